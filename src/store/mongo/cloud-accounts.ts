import type { Model } from 'mongoose';
import type { CloudAccountLookup, CloudAccountRepository, ClusterDirectory } from '../../domain/ports';
import type { CloudAccount, Provider } from '../../domain/model';
import type { ClickHouseCloudAccountRepository } from '../cloud-account.repository';
import type { CloudAccountDoc } from './models';

const RESYNC_BATCH = 1_000;

function toAccount(doc: CloudAccountDoc): CloudAccount {
  return {
    id: doc._id,
    organizationId: doc.organizationId,
    name: doc.name,
    type: doc.type,
    accountRef: doc.accountRef ?? '',
    k8sProvider: doc.k8sProvider ?? '',
    region: doc.region ?? '',
    owner: doc.owner ?? '',
    version: doc.version ?? '',
    deleted: doc.deleted,
    createdAt: doc.createdAt,
  };
}

function toDoc(account: CloudAccount, updatedAt: Date): CloudAccountDoc {
  return {
    _id: account.id,
    organizationId: account.organizationId,
    name: account.name,
    type: account.type,
    accountRef: account.accountRef,
    k8sProvider: account.k8sProvider,
    region: account.region,
    owner: account.owner,
    version: account.version,
    deleted: account.deleted,
    createdAt: account.createdAt,
    updatedAt,
  };
}

/**
 * Cloud accounts (clusters included) with MongoDB as the system of record. ClickHouse keeps the
 * copy its queries join on (`cloud_accounts`: every expense read is scoped through it), written
 * in the same operation, after MongoDB; `resync` rewrites that copy from MongoDB (at start and by
 * `cloudtuner metadata resync`), so a crash between the two writes leaves them apart only until
 * then, and MongoDB wins every disagreement (the rewritten rows are ClickHouse's newest version).
 * Heartbeats (`lastDataAt`) are telemetry, not metadata: they stay in ClickHouse.
 */
export class MongoCloudAccountRepository
  implements CloudAccountRepository, CloudAccountLookup, ClusterDirectory
{
  constructor(
    private readonly accounts: Model<CloudAccountDoc>,
    private readonly clickhouse: ClickHouseCloudAccountRepository,
  ) {}

  async save(account: CloudAccount): Promise<void> {
    await this.saveMany([account]);
  }

  async saveMany(accounts: readonly CloudAccount[]): Promise<void> {
    if (accounts.length === 0) return;
    const now = new Date();
    await this.accounts.bulkWrite(
      accounts.map((account) => ({
        replaceOne: { filter: { _id: account.id }, replacement: toDoc(account, now), upsert: true },
      })),
    );
    await this.clickhouse.saveMany(accounts);
  }

  async list(organizationId: string, type?: Provider): Promise<CloudAccount[]> {
    const docs = await this.accounts
      .find({ organizationId, deleted: false, ...(type ? { type } : {}) })
      .sort({ name: 1, _id: 1 })
      .lean();
    return docs.map(toAccount);
  }

  async getMany(organizationId: string, ids: readonly string[]): Promise<CloudAccount[]> {
    if (ids.length === 0) return [];
    return (await this.accounts.find({ organizationId, _id: { $in: [...ids] } }).lean()).map(toAccount);
  }

  async findById(id: string): Promise<CloudAccount | null> {
    const doc = await this.accounts.findById(id).lean();
    return doc ? toAccount(doc) : null;
  }

  async listActiveClusters(): Promise<CloudAccount[]> {
    const docs = await this.accounts
      .find({ type: 'KUBERNETES', deleted: false })
      .sort({ organizationId: 1, _id: 1 })
      .lean();
    return docs.map(toAccount);
  }

  lastDataAt(ids: readonly string[]): Promise<Map<string, Date>> {
    return this.clickhouse.lastDataAt(ids);
  }

  recordDataAt(id: string, at: Date): Promise<void> {
    return this.clickhouse.recordDataAt(id, at);
  }

  /** Rewrites ClickHouse's copy of every account from MongoDB; returns how many. */
  async resync(): Promise<number> {
    let count = 0;
    let batch: CloudAccount[] = [];
    for await (const doc of this.accounts.find().sort({ _id: 1 }).lean().cursor()) {
      batch.push(toAccount(doc as CloudAccountDoc));
      if (batch.length === RESYNC_BATCH) {
        await this.clickhouse.saveMany(batch);
        count += batch.length;
        batch = [];
      }
    }
    await this.clickhouse.saveMany(batch);
    return count + batch.length;
  }
}
