import type { AnyBulkWriteOperation, Model } from 'mongoose';
import type {
  ClusterResourceLink,
  ExpenseRecord,
  ExpenseWriter,
  FocusImportStore,
  FocusStaging,
  K8sBreakdownRecord,
  K8sCostDayRepository,
  ReconciliationStore,
  ResourceDirectory,
  ResourceRecord,
  StagedCharge,
  StagedResource,
} from '../../domain/ports';
import type { ClickHouseExpenseWriter } from '../expense.writer';
import type { ClickHouseReconciliationStore } from '../reconciliation.store';
import type { ResourceDoc } from './models';
import { tagList } from '../../domain/model';

/** Documents per bulkWrite, and rows per ClickHouse insert of the re-sync. */
const BATCH = 1_000;
/** An import's resources per MongoDB round (18,000 new ones into FerretDB: 1.25 s in 5,000s, 1.4 s in 1,000s). */
const IMPORT_BATCH = 5_000;

/** A resource's metadata as MongoDB keeps it, with what only MongoDB and the import know. */
export interface ResourceMetadata extends ResourceRecord {
  serviceCategory: string;
  k8sCluster: ClusterResourceLink | null;
}

function toRecord(doc: ResourceDoc): ResourceMetadata {
  return {
    id: doc._id,
    organizationId: doc.organizationId,
    cloudAccountId: doc.cloudAccountId,
    cloudResourceId: doc.cloudResourceId ?? '',
    name: doc.name ?? '',
    resourceType: doc.resourceType ?? '',
    region: doc.region ?? '',
    service: doc.service ?? '',
    serviceCategory: doc.serviceCategory ?? '',
    owner: doc.owner ?? '',
    tags: Object.fromEntries((doc.tags ?? []).map((t) => [t.k, t.v])),
    firstSeen: doc.firstSeen,
    lastSeen: doc.lastSeen,
    k8sCluster: doc.k8sCluster
      ? {
          resourceId: doc._id,
          clusterId: doc.k8sCluster.clusterId,
          kind: doc.k8sCluster.kind as ClusterResourceLink['kind'],
          lastMatched: doc.k8sCluster.lastMatched,
        }
      : null,
  };
}

/** Tags as MongoDB keeps them: key/value pairs ordered by key. */
export const toTags = (tags: Record<string, string>) =>
  tagList(tags).map(({ key, value }) => ({ k: key, v: value }));

/** The dimensions every writer sets (what `resources` columns hold, bar owner and the seen-range). */
function dimensions(r: ResourceRecord) {
  return {
    cloudAccountId: r.cloudAccountId,
    cloudResourceId: r.cloudResourceId,
    name: r.name,
    resourceType: r.resourceType,
    region: r.region,
    service: r.service,
    tags: toTags(r.tags),
  };
}

/** The document of a resource's metadata (toRecord's inverse). */
export function toResourceDoc(r: ResourceMetadata, updatedAt: Date): ResourceDoc {
  return {
    _id: r.id,
    organizationId: r.organizationId,
    ...dimensions(r),
    serviceCategory: r.serviceCategory,
    owner: r.owner,
    firstSeen: r.firstSeen,
    lastSeen: r.lastSeen,
    k8sCluster: r.k8sCluster
      ? { clusterId: r.k8sCluster.clusterId, kind: r.k8sCluster.kind, lastMatched: r.k8sCluster.lastMatched }
      : null,
    updatedAt,
  };
}

/**
 * Resource metadata with MongoDB as the system of record (MONGODB_URL). ClickHouse keeps the
 * dimension columns its queries filter, sort and join on (`resources`, and `k8s_resource_links`
 * for the cluster link), written in the same operation after MongoDB; `resync` rewrites that
 * copy from MongoDB at start and by `cloudtuner metadata resync`, so MongoDB wins every
 * disagreement and a crash between the two writes leaves them apart only until then.
 *
 * Every query names the organization: a document is found by `{organizationId, _id}`, and an
 * upsert whose id another organization holds fails on the unique `_id` instead of touching it.
 */
export class MongoResourceStore implements ResourceDirectory {
  constructor(
    private readonly resources: Model<ResourceDoc>,
    private readonly clickhouse: { writer: ClickHouseExpenseWriter; links: ClickHouseReconciliationStore },
  ) {}

  /**
   * Writes resources as given (the demo seed, the aggregation's cluster rows): every dimension,
   * owner and seen-range replaced, the cluster link kept. Then ClickHouse's copy.
   */
  async upsert(records: readonly ResourceRecord[]): Promise<void> {
    if (records.length === 0) return;
    const updatedAt = new Date();
    await this.bulk(
      records.map((r) => ({
        updateOne: {
          filter: { _id: r.id, organizationId: r.organizationId },
          update: {
            $set: {
              ...dimensions(r),
              owner: r.owner,
              firstSeen: r.firstSeen,
              lastSeen: r.lastSeen,
              updatedAt,
            },
            $setOnInsert: { serviceCategory: '', k8sCluster: null },
          },
          upsert: true,
        },
      })),
    );
    await this.clickhouse.writer.upsertResources(records);
  }

  /**
   * A FOCUS import's resources, merged as the import's ClickHouse commit merges them: the bill's
   * dimensions replace the stored ones, first/last seen widen, the owner someone set is kept
   * (empty for a new resource), and so is the cluster link. MongoDB only: the commit writes
   * ClickHouse's copy from its staging tables in one INSERT ... SELECT.
   *
   * `changes` says which resources the commit will add or change (ClickHouse compares the
   * staging table with its copy, which trails MongoDB at most): a bill is mostly resources known
   * and unchanged (each day's export repeats the month), which are not written at all; new ones
   * are inserted with one insertMany per 5,000, changed ones merged with $min/$max.
   */
  async mergeImported(
    organizationId: string,
    staged: readonly StagedResource[],
    changes: readonly { id: string; known: boolean }[],
  ): Promise<void> {
    const known = new Map(changes.map((c) => [c.id, c.known]));
    const updatedAt = new Date();
    const wanted = staged.filter((r) => known.has(r.id));
    for (let i = 0; i < wanted.length; i += IMPORT_BATCH) {
      const batch = wanted.slice(i, i + IMPORT_BATCH);
      const raced = await this.insertNew(
        batch
          .filter((r) => !known.get(r.id))
          .map((r) => toResourceDoc({ ...r, organizationId, owner: '', k8sCluster: null }, updatedAt)),
      );
      await this.bulk(
        batch
          .filter((r) => known.get(r.id) || raced.has(r.id))
          .map((r) => ({
            updateOne: {
              filter: { _id: r.id, organizationId },
              update: {
                $set: { ...dimensions(r), serviceCategory: r.serviceCategory, updatedAt },
                $setOnInsert: { owner: '', k8sCluster: null },
                $min: { firstSeen: r.firstSeen },
                $max: { lastSeen: r.lastSeen },
              },
              upsert: true,
            },
          })),
      );
    }
  }

  /**
   * Inserts documents believed new; returns the ids another writer inserted first (a duplicate
   * key), which the caller merges instead. Any other failure is thrown.
   */
  private async insertNew(docs: readonly ResourceDoc[]): Promise<Set<string>> {
    if (docs.length === 0) return new Set();
    try {
      // lean: the documents are built here from the import's checked values, so mongoose's
      // per-document hydration and validation are skipped: they cost this process ~0.25 ms of CPU
      // per document (10,000 documents into FerretDB: 2.2-2.7 s of CPU, 0.1-0.2 s lean), taken
      // from the import running beside. The unique _id still guards identity.
      await this.resources.insertMany(docs, { ordered: false, lean: true });
      return new Set();
    } catch (error) {
      const writeErrors = (
        error as {
          writeErrors?: { code?: number; index?: number; err?: { code?: number; index?: number } }[];
        }
      ).writeErrors;
      if (!writeErrors?.length) throw error;
      const raced = new Set<string>();
      for (const e of writeErrors) {
        const code = e.code ?? e.err?.code;
        const index = e.index ?? e.err?.index;
        if (code !== 11000 || index === undefined) throw error;
        raced.add((docs[index] as ResourceDoc)._id);
      }
      return raced;
    }
  }

  async get(organizationId: string, id: string): Promise<ResourceMetadata | null> {
    const doc = await this.resources.findOne({ organizationId, _id: id }).lean();
    return doc ? toRecord(doc) : null;
  }

  /** One `$in` query for any number of ids (a page's rows). */
  async getMany(organizationId: string, ids: readonly string[]): Promise<Map<string, ResourceMetadata>> {
    if (ids.length === 0) return new Map();
    const docs = await this.resources.find({ organizationId, _id: { $in: [...ids] } }).lean();
    return new Map(docs.map((doc) => [doc._id, toRecord(doc)]));
  }

  /** Billed resources matched to a cluster: the link on their document, then ClickHouse's copy. */
  async saveLinks(organizationId: string, links: readonly ClusterResourceLink[]): Promise<void> {
    if (links.length === 0) return;
    const updatedAt = new Date();
    await this.bulk(
      links.map((link) => ({
        updateOne: {
          filter: { _id: link.resourceId, organizationId },
          update: {
            $set: {
              k8sCluster: { clusterId: link.clusterId, kind: link.kind, lastMatched: link.lastMatched },
              updatedAt,
            },
          },
        },
      })),
    );
    await this.clickhouse.links.saveLinks(organizationId, links);
  }

  async clusterLinks(organizationId: string, ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const docs = await this.resources
      .find({ organizationId, _id: { $in: [...ids] }, k8sCluster: { $ne: null } }, { k8sCluster: 1 })
      .lean();
    return new Map(docs.flatMap((doc) => (doc.k8sCluster ? [[doc._id, doc.k8sCluster.clusterId]] : [])));
  }

  /** Rewrites ClickHouse's copy of every resource (and cluster link) from MongoDB; returns how many. */
  async resync(): Promise<number> {
    let count = 0;
    let batch: ResourceMetadata[] = [];
    const flush = async () => {
      await this.clickhouse.writer.upsertResources(batch);
      const links = new Map<string, ClusterResourceLink[]>();
      for (const r of batch) {
        if (!r.k8sCluster) continue;
        const list = links.get(r.organizationId) ?? [];
        list.push(r.k8sCluster);
        links.set(r.organizationId, list);
      }
      for (const [organizationId, list] of links) await this.clickhouse.links.saveLinks(organizationId, list);
      count += batch.length;
      batch = [];
    };
    for await (const doc of this.resources.find().sort({ _id: 1 }).lean().cursor()) {
      batch.push(toRecord(doc as ResourceDoc));
      if (batch.length === BATCH) await flush();
    }
    await flush();
    return count;
  }

  private async bulk(operations: AnyBulkWriteOperation<ResourceDoc>[]): Promise<void> {
    if (operations.length) await this.resources.bulkWrite(operations, { ordered: false });
  }
}

/** The cost writer with resources going through MongoDB first; cost rows stay ClickHouse's. */
export class MongoResourceWriter implements ExpenseWriter {
  constructor(
    private readonly store: MongoResourceStore,
    private readonly clickhouse: ExpenseWriter,
  ) {}

  upsertResources(resources: readonly ResourceRecord[]): Promise<void> {
    return this.store.upsert(resources);
  }

  insertExpenses(rows: readonly ExpenseRecord[]): Promise<void> {
    return this.clickhouse.insertExpenses(rows);
  }

  insertK8sBreakdown(rows: readonly K8sBreakdownRecord[]): Promise<void> {
    return this.clickhouse.insertK8sBreakdown(rows);
  }
}

/** The aggregation's read-back, with a resource as last written read from MongoDB. */
export function mongoK8sCostDays(
  store: MongoResourceStore,
  clickhouse: K8sCostDayRepository,
): K8sCostDayRepository {
  return {
    storedDay: (cloudAccountId, resourceId, date) => clickhouse.storedDay(cloudAccountId, resourceId, date),
    async getResource(organizationId, id) {
      const found = await store.get(organizationId, id);
      if (!found) return null;
      const { serviceCategory: _category, k8sCluster: _link, ...record } = found;
      return record;
    },
  };
}

/** Reconciliation with the cluster links kept on the resources' MongoDB documents. */
export function mongoReconciliationStore(
  store: MongoResourceStore,
  clickhouse: ReconciliationStore,
): ReconciliationStore {
  return {
    saveEstimates: (estimates) => clickhouse.saveEstimates(estimates),
    estimates: (organizationId, from, to, clusterIds) =>
      clickhouse.estimates(organizationId, from, to, clusterIds),
    billedLines: (organizationId, from, to, candidates) =>
      clickhouse.billedLines(organizationId, from, to, candidates),
    saveLinks: (organizationId, links) => store.saveLinks(organizationId, links),
    clusterLinks: (organizationId, ids) => store.clusterLinks(organizationId, ids),
  };
}

/**
 * FOCUS imports with the import's resources merged into MongoDB at commit, before the ClickHouse
 * commit writes its copy (so no expense row points at a resource MongoDB lacks).
 */
export class MongoFocusImportStore implements FocusImportStore {
  constructor(
    private readonly store: MongoResourceStore,
    private readonly clickhouse: FocusImportStore,
  ) {}

  async openStaging(): Promise<FocusStaging> {
    const inner = await this.clickhouse.openStaging();
    const store = this.store;
    const resources: StagedResource[] = [];
    return {
      addCharges: (rows: readonly StagedCharge[]) => inner.addCharges(rows),
      changedResources: (organizationId) => inner.changedResources(organizationId),
      async addResources(rows) {
        for (const row of rows) resources.push(row);
        await inner.addResources(rows);
      },
      async commit(input) {
        // MongoDB's record goes first, while ClickHouse computes the differences; the commit
        // waits for it before its first live write, and writes nothing if it failed.
        const changes = await inner.changedResources(input.organizationId);
        const merged = store.mergeImported(input.organizationId, resources, changes);
        merged.catch(() => undefined);
        return inner.commit({ ...input, before: merged });
      },
      dispose: () => inner.dispose(),
    };
  }
}
