import type { CloudAccountLookup, CloudAccountRepository } from '../domain/ports';
import type { CloudAccount, Provider } from '../domain/model';
import { fromClickHouseTime, toClickHouseTime } from '../domain/days';
import { ownedBy } from './tenant-scope.sql';
import type { Db } from './db';

interface CloudAccountRow {
  id: string;
  organization_id: string;
  name: string;
  type: Provider;
  account_ref: string;
  k8s_provider: string;
  region: string;
  owner: string;
  version: string;
  deleted: number;
  created_at: string;
}

const COLUMNS = `id, organization_id, name, type, account_ref, k8s_provider, region, owner, version, deleted, created_at`;

/** Cloud accounts (clusters included) in ClickHouse; every read is scoped to one organization. */
export class ClickHouseCloudAccountRepository implements CloudAccountRepository, CloudAccountLookup {
  constructor(private readonly db: Db) {}

  async save(account: CloudAccount): Promise<void> {
    await this.saveMany([account]);
  }

  async saveMany(accounts: readonly CloudAccount[]): Promise<void> {
    if (accounts.length === 0) return;
    const updatedAt = toClickHouseTime(new Date());
    await this.db.insert(
      'cloud_accounts',
      accounts.map((account) => ({
        id: account.id,
        organization_id: account.organizationId,
        name: account.name,
        type: account.type,
        account_ref: account.accountRef,
        k8s_provider: account.k8sProvider,
        region: account.region,
        owner: account.owner,
        version: account.version,
        deleted: account.deleted ? 1 : 0,
        created_at: toClickHouseTime(account.createdAt),
        updated_at: updatedAt,
      })),
    );
  }

  async list(organizationId: string, type?: Provider): Promise<CloudAccount[]> {
    const rows = await this.db.query<CloudAccountRow>(
      `SELECT ${COLUMNS} FROM {db:Identifier}.cloud_accounts FINAL
       WHERE ${ownedBy()} AND deleted = 0
         AND ({type:String} = '' OR type = {type:String})
       ORDER BY name, id`,
      { org: organizationId, type: type ?? '' },
    );
    return rows.map(toCloudAccount);
  }

  async getMany(organizationId: string, ids: readonly string[]): Promise<CloudAccount[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<CloudAccountRow>(
      `SELECT ${COLUMNS} FROM {db:Identifier}.cloud_accounts FINAL
       WHERE ${ownedBy()} AND id IN {ids:Array(String)}`,
      { org: organizationId, ids },
    );
    return rows.map(toCloudAccount);
  }

  async lastDataAt(ids: readonly string[]): Promise<Map<string, Date>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.query<{ id: string; at: string }>(
      `SELECT cloud_account_id AS id, toString(max(last_data_at)) AS at
       FROM {db:Identifier}.k8s_cluster_heartbeats
       WHERE cloud_account_id IN {ids:Array(String)} GROUP BY cloud_account_id`,
      { ids },
    );
    return new Map(rows.map((row) => [row.id, fromClickHouseTime(row.at)]));
  }

  async findById(id: string): Promise<CloudAccount | null> {
    const rows = await this.db.query<CloudAccountRow>(
      `SELECT ${COLUMNS} FROM {db:Identifier}.cloud_accounts FINAL WHERE id = {id:String}`,
      { id },
    );
    return rows[0] ? toCloudAccount(rows[0]) : null;
  }

  /** Every live cluster of every organization (the scheduler's fan-out). */
  async listActiveClusters(): Promise<CloudAccount[]> {
    const rows = await this.db.query<CloudAccountRow>(
      `SELECT ${COLUMNS} FROM {db:Identifier}.cloud_accounts FINAL
       WHERE type = 'KUBERNETES' AND deleted = 0
       ORDER BY organization_id, id`,
    );
    return rows.map(toCloudAccount);
  }

  async recordDataAt(id: string, at: Date): Promise<void> {
    await this.db.insert('k8s_cluster_heartbeats', [
      { cloud_account_id: id, last_data_at: toClickHouseTime(at) },
    ]);
  }
}

function toCloudAccount(row: CloudAccountRow): CloudAccount {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    type: row.type,
    accountRef: row.account_ref,
    k8sProvider: row.k8s_provider,
    region: row.region,
    owner: row.owner,
    version: row.version,
    deleted: Number(row.deleted) === 1,
    createdAt: fromClickHouseTime(row.created_at),
  };
}
