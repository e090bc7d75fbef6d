import mongoose from 'mongoose';
import type {
  ApiTokenRepository,
  ClusterCredentialRepository,
  StoredClusterCredential,
  BudgetStore,
  FocusImportHistory,
  OrganizationRepository,
  StoredToken,
} from '../../domain/ports';
import type { Budget } from '../../domain/budget';
import type { ExpenseFilter, FocusImportRecord, Organization } from '../../domain/model';
import { metadataModels, type MetadataModels } from './models';

/**
 * MongoDB (through mongoose) as the system of record for organizations, API tokens, budgets and
 * import records, when MONGODB_URL is set. Every query names the organization it belongs to,
 * except the two the ports call global on purpose (an organization by id, a token by its hash).
 */
export class MongoMetadata {
  private constructor(
    private readonly connection: mongoose.Connection,
    readonly models: MetadataModels,
  ) {}

  static async open(url: string): Promise<MongoMetadata> {
    // Command monitoring: how many queries a request made is something tests count.
    const connection = mongoose.createConnection(url, {
      serverSelectionTimeoutMS: 10_000,
      monitorCommands: true,
    });
    await connection.asPromise();
    return new MongoMetadata(connection, await metadataModels(connection));
  }

  get organizations(): OrganizationRepository {
    const { organizations } = this.models;
    const toOrganization = (doc: { _id: string; name: string; createdAt: Date }): Organization => ({
      id: doc._id,
      name: doc.name,
      createdAt: doc.createdAt,
    });
    return {
      async create(org) {
        await organizations.create({ _id: org.id, name: org.name, createdAt: org.createdAt });
      },
      async get(id) {
        const doc = await organizations.findById(id).lean();
        return doc ? toOrganization(doc) : null;
      },
      async findByName(name) {
        const doc = await organizations.findOne({ name }).sort({ createdAt: 1, _id: 1 }).lean();
        return doc ? toOrganization(doc) : null;
      },
    };
  }

  get apiTokens(): ApiTokenRepository {
    const { apiTokens } = this.models;
    const toToken = (doc: {
      tokenId: string;
      organizationId: string;
      name: string;
      revoked: boolean;
    }): StoredToken => ({
      id: doc.tokenId,
      organizationId: doc.organizationId,
      name: doc.name,
      revoked: doc.revoked,
    });
    return {
      async create(tokenHash, token) {
        const now = new Date();
        await apiTokens.create({
          _id: tokenHash,
          tokenId: token.id,
          organizationId: token.organizationId,
          name: token.name,
          revoked: token.revoked,
          createdAt: now,
          updatedAt: now,
        });
      },
      async findByHash(tokenHash) {
        const doc = await apiTokens.findById(tokenHash).lean();
        return doc ? toToken(doc) : null;
      },
      async revoke(organizationId, id) {
        const doc = await apiTokens
          .findOneAndUpdate(
            { organizationId, tokenId: id },
            { $set: { revoked: true, updatedAt: new Date() } },
          )
          .lean();
        return doc ? doc._id : null;
      },
    };
  }

  get budgets(): BudgetStore {
    const { budgets } = this.models;
    const toBudget = (doc: {
      _id: string;
      organizationId: string;
      name: string;
      amount: number;
      period: Budget['period'];
      filter: Record<string, unknown>;
      thresholds: Budget['thresholds'];
      webhookUrl: string | null;
      createdAt: Date;
      updatedAt: Date;
    }): Budget => ({
      id: doc._id,
      organizationId: doc.organizationId,
      name: doc.name,
      amount: doc.amount,
      period: doc.period,
      filter: doc.filter as ExpenseFilter,
      thresholds: doc.thresholds.map((t) => ({ percent: t.percent, basis: t.basis })),
      webhookUrl: doc.webhookUrl ?? null,
      createdAt: doc.createdAt,
      updatedAt: doc.updatedAt,
    });
    return {
      async save(budget) {
        await budgets.replaceOne(
          { _id: budget.id, organizationId: budget.organizationId },
          {
            _id: budget.id,
            organizationId: budget.organizationId,
            name: budget.name,
            amount: budget.amount,
            period: budget.period,
            filter: budget.filter,
            thresholds: budget.thresholds,
            webhookUrl: budget.webhookUrl,
            deleted: false,
            createdAt: budget.createdAt,
            updatedAt: budget.updatedAt,
          },
          { upsert: true, runValidators: true },
        );
      },
      async get(organizationId, id) {
        const doc = await budgets.findOne({ _id: id, organizationId, deleted: false }).lean();
        return doc ? toBudget(doc) : null;
      },
      async list(organizationId) {
        const docs = await budgets.find({ organizationId, deleted: false }).sort({ name: 1, _id: 1 }).lean();
        return docs.map(toBudget);
      },
      async delete(organizationId, id) {
        const result = await budgets.updateOne(
          { _id: id, organizationId, deleted: false },
          { $set: { deleted: true, updatedAt: new Date() } },
        );
        return result.modifiedCount === 1;
      },
      async organizationsWithBudgets() {
        const ids = (await budgets.distinct('organizationId', { deleted: false })) as string[];
        return ids.sort();
      },
    };
  }

  get focusImports(): FocusImportHistory {
    const { focusImports } = this.models;
    return {
      async record(entry) {
        await focusImports.create({ ...entry, _id: entry.id });
      },
      async list(organizationId, first) {
        // The last 90 days, as ClickHouse keeps them (focus_imports' TTL).
        const since = new Date(Date.now() - 90 * 86_400_000);
        const docs = await focusImports
          .find({ organizationId, startedAt: { $gte: since } })
          .sort({ startedAt: -1, _id: -1 })
          .limit(first)
          .lean();
        return docs.map((doc): FocusImportRecord => ({
          id: doc._id,
          organizationId: doc.organizationId,
          startedAt: doc.startedAt,
          finishedAt: doc.finishedAt,
          state: doc.state,
          files: doc.files,
          costColumn: doc.costColumn,
          rowsRead: doc.rowsRead,
          rowsImported: doc.rowsImported,
          rowsRefused: doc.rowsRefused,
          totalCost: doc.totalCost,
          firstDay: doc.firstDay ?? null,
          lastDay: doc.lastDay ?? null,
          error: doc.error ?? null,
        }));
      },
    };
  }

  /** Cluster remote-write credentials (hashed), with the state of the cluster account they open. */
  get clusterCredentials(): ClusterCredentialRepository {
    const { clusterCredentials, cloudAccounts } = this.models;
    // A credential whose cluster is gone (or not a cluster) opens nothing, as in ClickHouse's join.
    const withAccounts = async (
      docs: { _id: string; cloudAccountId: string; revoked: boolean }[],
    ): Promise<StoredClusterCredential[]> => {
      if (docs.length === 0) return [];
      const ids = [...new Set(docs.map((d) => d.cloudAccountId))];
      const accounts = new Map(
        (await cloudAccounts.find({ _id: { $in: ids }, type: 'KUBERNETES' }).lean()).map((a) => [a._id, a]),
      );
      return docs.flatMap((doc) => {
        const account = accounts.get(doc.cloudAccountId);
        return account
          ? [
              {
                cloudAccountId: doc.cloudAccountId,
                organizationId: account.organizationId,
                secretHash: doc._id,
                revoked: doc.revoked,
                accountDeleted: account.deleted,
              },
            ]
          : [];
      });
    };
    return {
      async create(cloudAccountId, secretHash) {
        const now = new Date();
        await clusterCredentials.create({
          _id: secretHash,
          cloudAccountId,
          revoked: false,
          createdAt: now,
          updatedAt: now,
        });
      },
      async listByAccount(cloudAccountId) {
        return withAccounts(await clusterCredentials.find({ cloudAccountId }).lean());
      },
      async findByHash(secretHash) {
        const doc = await clusterCredentials.findById(secretHash).lean();
        return doc ? ((await withAccounts([doc]))[0] ?? null) : null;
      },
      async revokeAll(cloudAccountId) {
        await clusterCredentials.updateMany(
          { cloudAccountId, revoked: false },
          { $set: { revoked: true, updatedAt: new Date() } },
        );
      },
    };
  }

  /** Calls `listener` with each command sent (its name and collection); returns the unsubscribe. */
  onCommand(listener: (command: { name: string; collection: string }) => void): () => void {
    const client = this.connection.getClient();
    const handler = (event: { commandName: string; command: Record<string, unknown> }) =>
      listener({ name: event.commandName, collection: String(event.command[event.commandName] ?? '') });
    client.on('commandStarted', handler);
    return () => client.off('commandStarted', handler);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
