import type { ClusterCredentialRepository, StoredClusterCredential } from '../domain/ports';
import { toClickHouseTime } from '../domain/days';
import type { Db } from './db';

interface CredentialRow {
  cloud_account_id: string;
  organization_id: string;
  secret_hash: string;
  revoked: number;
  account_deleted: number;
}

// Credentials joined with their account: a credential whose account is gone opens nothing, and
// the caller needs the organization and the deleted flag to tell 401 from 403.
const SELECT_JOINED = `
  SELECT c.cloud_account_id AS cloud_account_id, a.organization_id AS organization_id,
         c.secret_hash AS secret_hash, c.revoked AS revoked, a.deleted AS account_deleted
  FROM {db:Identifier}.cluster_credentials AS c FINAL
  INNER JOIN (SELECT id, organization_id, deleted FROM {db:Identifier}.cloud_accounts FINAL
              WHERE type = 'KUBERNETES') AS a ON a.id = c.cloud_account_id`;

/** Cluster remote-write credentials by SHA-256 of their secret (ReplacingMergeTree, read FINAL). */
export class ClickHouseClusterCredentialRepository implements ClusterCredentialRepository {
  constructor(private readonly db: Db) {}

  async create(cloudAccountId: string, secretHash: string): Promise<void> {
    const now = toClickHouseTime(new Date());
    await this.db.insert('cluster_credentials', [
      {
        cloud_account_id: cloudAccountId,
        secret_hash: secretHash,
        created_at: now,
        revoked: 0,
        updated_at: now,
      },
    ]);
  }

  async listByAccount(cloudAccountId: string): Promise<StoredClusterCredential[]> {
    const rows = await this.db.query<CredentialRow>(
      `${SELECT_JOINED} WHERE c.cloud_account_id = {id:String}`,
      { id: cloudAccountId },
    );
    return rows.map(toCredential);
  }

  async findByHash(secretHash: string): Promise<StoredClusterCredential | null> {
    const rows = await this.db.query<CredentialRow>(
      `${SELECT_JOINED} WHERE c.secret_hash = {hash:FixedString(64)} LIMIT 1`,
      { hash: secretHash },
    );
    return rows[0] ? toCredential(rows[0]) : null;
  }

  async revokeAll(cloudAccountId: string): Promise<void> {
    // The new version must sort after the live one even within the same millisecond.
    await this.db.command(
      `INSERT INTO {db:Identifier}.cluster_credentials
         (cloud_account_id, secret_hash, created_at, revoked, updated_at)
       SELECT cloud_account_id, secret_hash, created_at, 1,
              greatest({now:DateTime64(3, 'UTC')}, updated_at + toIntervalMillisecond(1))
       FROM {db:Identifier}.cluster_credentials FINAL
       WHERE cloud_account_id = {id:String} AND revoked = 0`,
      { id: cloudAccountId, now: toClickHouseTime(new Date()) },
    );
  }
}

function toCredential(row: CredentialRow): StoredClusterCredential {
  return {
    cloudAccountId: row.cloud_account_id,
    organizationId: row.organization_id,
    secretHash: row.secret_hash,
    revoked: Number(row.revoked) === 1,
    accountDeleted: Number(row.account_deleted) === 1,
  };
}
