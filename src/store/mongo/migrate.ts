import type { AnyBulkWriteOperation, Model } from 'mongoose';
import { fromClickHouseTime } from '../../domain/days';
import type { Db } from '../db';
import type { MongoMetadata } from './repositories';

const BATCH = 1_000;

/** How many records of each kind `copyMetadataToMongo` wrote (upserted) into MongoDB. */
export interface MetadataCopyCounts {
  organizations: number;
  apiTokens: number;
  cloudAccounts: number;
  budgets: number;
  focusImports: number;
  clusterCredentials: number;
}

/**
 * `cloudtuner metadata migrate --to mongodb`: copies an installation's metadata from its
 * ClickHouse tables into MongoDB. Idempotent: every record is upserted by its id, so a second run
 * (or one after a partial run) writes the same documents again and adds none.
 */
export async function copyMetadataToMongo(db: Db, mongo: MongoMetadata): Promise<MetadataCopyCounts> {
  const { models } = mongo;
  const time = (text: string) => fromClickHouseTime(text);
  return {
    organizations: await copy(
      db,
      models.organizations,
      `SELECT id, name, toString(created_at) AS created_at FROM {db:Identifier}.organizations FINAL ORDER BY id`,
      (r: { id: string; name: string; created_at: string }) => ({
        _id: r.id,
        name: r.name,
        createdAt: time(r.created_at),
      }),
    ),
    apiTokens: await copy(
      db,
      models.apiTokens,
      `SELECT token_hash, id, organization_id, name, revoked, toString(created_at) AS created_at,
              toString(updated_at) AS updated_at
       FROM {db:Identifier}.api_tokens FINAL ORDER BY token_hash`,
      (r: {
        token_hash: string;
        id: string;
        organization_id: string;
        name: string;
        revoked: number;
        created_at: string;
        updated_at: string;
      }) => ({
        _id: r.token_hash,
        tokenId: r.id,
        organizationId: r.organization_id,
        name: r.name,
        revoked: Number(r.revoked) === 1,
        createdAt: time(r.created_at),
        updatedAt: time(r.updated_at),
      }),
    ),
    cloudAccounts: await copy(
      db,
      models.cloudAccounts,
      `SELECT id, organization_id, name, type, account_ref, k8s_provider, region, owner, version, deleted,
              toString(created_at) AS created_at, toString(updated_at) AS updated_at
       FROM {db:Identifier}.cloud_accounts FINAL ORDER BY id`,
      (r: Record<string, string | number>) => ({
        _id: String(r.id),
        organizationId: String(r.organization_id),
        name: String(r.name),
        type: String(r.type) as 'AWS',
        accountRef: String(r.account_ref),
        k8sProvider: String(r.k8s_provider),
        region: String(r.region),
        owner: String(r.owner),
        version: String(r.version),
        deleted: Number(r.deleted) === 1,
        createdAt: time(String(r.created_at)),
        updatedAt: time(String(r.updated_at)),
      }),
    ),
    budgets: await copy(
      db,
      models.budgets,
      `SELECT organization_id, id, name, amount, period, filter, thresholds, webhook_url, deleted,
              toString(created_at) AS created_at, toString(updated_at) AS updated_at
       FROM {db:Identifier}.budgets FINAL ORDER BY id`,
      (r: Record<string, string | number>) => ({
        _id: String(r.id),
        organizationId: String(r.organization_id),
        name: String(r.name),
        amount: Number(r.amount),
        period: String(r.period) as 'MONTHLY',
        filter: JSON.parse(String(r.filter)) as Record<string, unknown>,
        thresholds: JSON.parse(String(r.thresholds)) as { percent: number; basis: 'ACTUAL' }[],
        webhookUrl: r.webhook_url === '' ? null : String(r.webhook_url),
        deleted: Number(r.deleted) === 1,
        createdAt: time(String(r.created_at)),
        updatedAt: time(String(r.updated_at)),
      }),
    ),
    clusterCredentials: await copy(
      db,
      models.clusterCredentials,
      `SELECT secret_hash, cloud_account_id, revoked, toString(created_at) AS created_at,
              toString(updated_at) AS updated_at
       FROM {db:Identifier}.cluster_credentials FINAL ORDER BY secret_hash`,
      (r: {
        secret_hash: string;
        cloud_account_id: string;
        revoked: number;
        created_at: string;
        updated_at: string;
      }) => ({
        _id: r.secret_hash,
        cloudAccountId: r.cloud_account_id,
        revoked: Number(r.revoked) === 1,
        createdAt: time(r.created_at),
        updatedAt: time(r.updated_at),
      }),
    ),
    focusImports: await copy(
      db,
      models.focusImports,
      `SELECT id, organization_id, toString(started_at) AS started_at, toString(finished_at) AS finished_at,
              state, files, cost_column, rows_read, rows_imported, rows_refused, total_cost,
              toString(first_day) AS first_day, toString(last_day) AS last_day, error
       FROM {db:Identifier}.focus_imports ORDER BY id`,
      (r: Record<string, unknown>) => ({
        _id: String(r.id),
        organizationId: String(r.organization_id),
        startedAt: time(String(r.started_at)),
        finishedAt: time(String(r.finished_at)),
        state: String(r.state) as 'SUCCEEDED',
        files: r.files as string[],
        costColumn: String(r.cost_column) as 'EFFECTIVE',
        rowsRead: Number(r.rows_read),
        rowsImported: Number(r.rows_imported),
        rowsRefused: Number(r.rows_refused),
        totalCost: Number(r.total_cost),
        firstDay: (r.first_day as string | null) ?? null,
        lastDay: (r.last_day as string | null) ?? null,
        error: r.error === '' ? null : String(r.error),
      }),
    ),
  };
}

async function copy<Row, Doc extends { _id: string }>(
  db: Db,
  model: Model<Doc>,
  sql: string,
  toDoc: (row: Row) => Doc,
): Promise<number> {
  const rows = await db.query<Row>(sql);
  for (let i = 0; i < rows.length; i += BATCH) {
    const operations = rows.slice(i, i + BATCH).map((row) => {
      const doc = toDoc(row);
      return { replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } };
    });
    await (model as unknown as Model<{ _id: string }>).bulkWrite(
      operations as AnyBulkWriteOperation<{ _id: string }>[],
    );
  }
  return rows.length;
}
