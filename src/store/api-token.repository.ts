import type { ApiTokenRepository, StoredToken } from '../domain/ports';
import { toClickHouseTime } from '../domain/days';
import type { Db } from './db';
import { ownedBy } from './tenant-scope.sql';

/** API tokens by their SHA-256 (hex); the token itself is never stored. */
export class ClickHouseApiTokenRepository implements ApiTokenRepository {
  constructor(private readonly db: Db) {}

  async create(tokenHash: string, token: StoredToken): Promise<void> {
    const now = toClickHouseTime(new Date());
    await this.db.insert('api_tokens', [
      {
        token_hash: tokenHash,
        id: token.id,
        organization_id: token.organizationId,
        name: token.name,
        revoked: token.revoked ? 1 : 0,
        created_at: now,
        updated_at: now,
      },
    ]);
  }

  async revoke(organizationId: string, id: string): Promise<string | null> {
    const rows = await this.db.query<{ token_hash: string; name: string; created_at: string }>(
      `SELECT token_hash, name, toString(created_at) AS created_at FROM {db:Identifier}.api_tokens FINAL
       WHERE ${ownedBy()} AND id = {id:String}`,
      { org: organizationId, id },
    );
    const row = rows[0];
    if (!row) return null;
    // A newer version of the same row (ReplacingMergeTree by token_hash, newest updated_at wins).
    await this.db.insert('api_tokens', [
      {
        token_hash: row.token_hash,
        id,
        organization_id: organizationId,
        name: row.name,
        revoked: 1,
        created_at: row.created_at,
        updated_at: toClickHouseTime(new Date()),
      },
    ]);
    return row.token_hash;
  }

  async findByHash(tokenHash: string): Promise<StoredToken | null> {
    const rows = await this.db.query<{ id: string; organization_id: string; name: string; revoked: number }>(
      `SELECT id, organization_id, name, revoked FROM {db:Identifier}.api_tokens FINAL
       WHERE token_hash = {hash:FixedString(64)}`,
      { hash: tokenHash },
    );
    const row = rows[0];
    return row
      ? {
          id: row.id,
          organizationId: row.organization_id,
          name: row.name,
          revoked: Number(row.revoked) === 1,
        }
      : null;
  }
}
