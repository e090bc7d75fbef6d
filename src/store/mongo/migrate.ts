import type { AnyBulkWriteOperation, Model } from 'mongoose';
import { fromClickHouseTime } from '../../domain/days';
import type { Db } from '../db';
import type { MongoMetadata } from './repositories';
import type { ResourceDoc } from './models';
import { toResourceDoc } from './resources';
import type { ClusterResourceLink } from '../../domain/ports';

const BATCH = 1_000;

/** How many records of each kind `copyMetadataToMongo` wrote (upserted) into MongoDB. */
export interface MetadataCopyCounts {
  organizations: number;
  apiTokens: number;
  cloudAccounts: number;
  budgets: number;
  focusImports: number;
  clusterCredentials: number;
  resources: number;
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
    resources: await copyResources(db, models.resources),
  };
}

interface ResourceCopyRow {
  id: string;
  organization_id: string;
  cloud_account_id: string;
  cloud_resource_id: string;
  name: string;
  resource_type: string;
  region: string;
  service: string;
  service_category: string;
  owner: string;
  tags: Record<string, string>;
  first_seen: string;
  last_seen: string;
  updated_at: string;
  cluster_id: string;
  kind: string;
  last_matched: string;
}

/**
 * Resources with their cluster links, a page at a time in (organization, id) order: an
 * installation may hold millions, which neither side should take in one piece.
 */
async function copyResources(db: Db, model: Model<ResourceDoc>): Promise<number> {
  let count = 0;
  let after = { org: '', id: '' };
  for (;;) {
    const rows = await db.query<ResourceCopyRow>(
      `SELECT r.id AS id, r.organization_id AS organization_id, r.cloud_account_id AS cloud_account_id,
              r.cloud_resource_id AS cloud_resource_id, r.name AS name, r.resource_type AS resource_type,
              r.region AS region, r.service AS service, r.service_category AS service_category,
              r.owner AS owner, r.tags AS tags, toString(toDate(r.first_seen)) AS first_seen,
              toString(toDate(r.last_seen)) AS last_seen, toString(r.updated_at) AS updated_at,
              l.cluster_id AS cluster_id, l.kind AS kind, toString(toDate(l.last_matched)) AS last_matched
       FROM (SELECT * FROM {db:Identifier}.resources FINAL
             WHERE (organization_id, id) > ({after_org:String}, {after_id:String})
             ORDER BY organization_id, id LIMIT {batch:UInt32}) AS r
       LEFT JOIN (SELECT * FROM {db:Identifier}.k8s_resource_links FINAL) AS l
         ON l.organization_id = r.organization_id AND l.resource_id = r.id
       ORDER BY r.organization_id, r.id
       SETTINGS join_use_nulls = 0`,
      { after_org: after.org, after_id: after.id, batch: BATCH },
    );
    if (rows.length === 0) return count;
    await replaceDocs(
      model,
      rows.map((r) =>
        toResourceDoc(
          {
            id: r.id,
            organizationId: r.organization_id,
            cloudAccountId: r.cloud_account_id,
            cloudResourceId: r.cloud_resource_id,
            name: r.name,
            resourceType: r.resource_type,
            region: r.region,
            service: r.service,
            serviceCategory: r.service_category,
            owner: r.owner,
            tags: r.tags,
            firstSeen: r.first_seen,
            lastSeen: r.last_seen,
            k8sCluster: r.cluster_id
              ? {
                  resourceId: r.id,
                  clusterId: r.cluster_id,
                  kind: r.kind as ClusterResourceLink['kind'],
                  lastMatched: r.last_matched,
                }
              : null,
          },
          fromClickHouseTime(r.updated_at),
        ),
      ),
    );
    count += rows.length;
    const last = rows[rows.length - 1] as ResourceCopyRow;
    after = { org: last.organization_id, id: last.id };
  }
}

async function copy<Row, Doc extends { _id: string }>(
  db: Db,
  model: Model<Doc>,
  sql: string,
  toDocument: (row: Row) => Doc,
): Promise<number> {
  const rows = await db.query<Row>(sql);
  for (let i = 0; i < rows.length; i += BATCH)
    await replaceDocs(model, rows.slice(i, i + BATCH).map(toDocument));
  return rows.length;
}

/** Upserts documents whole by `_id`: what makes a second copy write the same documents again. */
async function replaceDocs<Doc extends { _id: string }>(
  model: Model<Doc>,
  docs: readonly Doc[],
): Promise<void> {
  if (docs.length === 0) return;
  await (model as unknown as Model<{ _id: string }>).bulkWrite(
    docs.map((doc) => ({
      replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true },
    })) as AnyBulkWriteOperation<{ _id: string }>[],
    { ordered: false },
  );
}
