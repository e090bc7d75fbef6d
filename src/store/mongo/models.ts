import { Schema, type Connection, type Model } from 'mongoose';

// The MongoDB documents of the metadata kept there (MONGODB_URL): schemas with validation, and
// the indexes every lookup needs, unique where identity demands it. `_id` is the record's own id
// (a UUID, or the token's hash), so a lookup by id is the primary key.

export interface OrganizationDoc {
  _id: string;
  name: string;
  createdAt: Date;
}

export interface ApiTokenDoc {
  /** SHA-256 of the token, hex: the token itself is never stored. */
  _id: string;
  tokenId: string;
  organizationId: string;
  name: string;
  revoked: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface BudgetDoc {
  _id: string;
  organizationId: string;
  name: string;
  amount: number;
  period: 'MONTHLY' | 'QUARTERLY' | 'YEARLY';
  filter: Record<string, unknown>;
  thresholds: { percent: number; basis: 'ACTUAL' | 'FORECAST' }[];
  webhookUrl: string | null;
  deleted: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface CloudAccountDoc {
  _id: string;
  organizationId: string;
  name: string;
  type: 'AWS' | 'AZURE' | 'GCP' | 'KUBERNETES' | 'OTHER';
  accountRef: string;
  k8sProvider: string;
  region: string;
  owner: string;
  version: string;
  deleted: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface ClusterCredentialDoc {
  /** SHA-256 (hex) of the secret; the secret itself is never stored. */
  _id: string;
  cloudAccountId: string;
  revoked: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface FocusImportDoc {
  _id: string;
  organizationId: string;
  startedAt: Date;
  finishedAt: Date;
  state: 'SUCCEEDED' | 'FAILED';
  files: string[];
  costColumn: 'EFFECTIVE' | 'BILLED';
  rowsRead: number;
  rowsImported: number;
  rowsRefused: number;
  totalCost: number;
  firstDay: string | null;
  lastDay: string | null;
  error: string | null;
}

/**
 * A resource's metadata: the dimensions importers, the demo seed and the aggregation write, and
 * the cluster a billed node or volume was last matched to. Tags are key/value pairs, not an
 * object: tag keys hold dots and colons (`kubernetes.io/name`, `aws:createdBy`) that are not
 * safe as field names. Days are ISO text (`YYYY-MM-DD`), so $min/$max widen them correctly.
 */
export interface ResourceDoc {
  _id: string;
  organizationId: string;
  cloudAccountId: string;
  cloudResourceId: string;
  name: string;
  resourceType: string;
  region: string;
  service: string;
  serviceCategory: string;
  owner: string;
  tags: { k: string; v: string }[];
  firstSeen: string;
  lastSeen: string;
  k8sCluster: { clusterId: string; kind: string; lastMatched: string } | null;
  updatedAt: Date;
}

const UUID = /^[0-9a-f-]{36}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const opts = { versionKey: false, _id: false } as const;

const organizationSchema = new Schema<OrganizationDoc>(
  {
    _id: { type: String, required: true, match: UUID },
    name: { type: String, required: true, minlength: 1, maxlength: 200 },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'organizations' },
);
organizationSchema.index({ name: 1, createdAt: 1 });

const apiTokenSchema = new Schema<ApiTokenDoc>(
  {
    _id: { type: String, required: true, match: /^[0-9a-f]{64}$/ },
    tokenId: { type: String, required: true, match: UUID },
    organizationId: { type: String, required: true, match: UUID },
    name: { type: String, required: true, maxlength: 200 },
    revoked: { type: Boolean, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'api_tokens' },
);
apiTokenSchema.index({ tokenId: 1 }, { unique: true });
apiTokenSchema.index({ organizationId: 1, tokenId: 1 });

const thresholdSchema = new Schema(
  {
    percent: { type: Number, required: true, min: 0, max: 1000 },
    basis: { type: String, required: true, enum: ['ACTUAL', 'FORECAST'] },
  },
  opts,
);

const budgetSchema = new Schema<BudgetDoc>(
  {
    _id: { type: String, required: true, match: UUID },
    organizationId: { type: String, required: true, match: UUID },
    name: { type: String, required: true, minlength: 1, maxlength: 200 },
    amount: { type: Number, required: true, min: 0 },
    period: { type: String, required: true, enum: ['MONTHLY', 'QUARTERLY', 'YEARLY'] },
    filter: { type: Schema.Types.Mixed, required: true, default: {} },
    thresholds: { type: [thresholdSchema], required: true },
    webhookUrl: { type: String, default: null, maxlength: 2048 },
    deleted: { type: Boolean, required: true, default: false },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'budgets', minimize: false },
);
budgetSchema.index({ organizationId: 1, deleted: 1, name: 1 });

const cloudAccountSchema = new Schema<CloudAccountDoc>(
  {
    _id: { type: String, required: true, match: UUID },
    organizationId: { type: String, required: true, match: UUID },
    name: { type: String, required: true, minlength: 1, maxlength: 500 },
    type: { type: String, required: true, enum: ['AWS', 'AZURE', 'GCP', 'KUBERNETES', 'OTHER'] },
    accountRef: { type: String, default: '', maxlength: 500 },
    k8sProvider: { type: String, default: '', maxlength: 100 },
    region: { type: String, default: '', maxlength: 100 },
    owner: { type: String, default: '', maxlength: 500 },
    version: { type: String, default: '', maxlength: 100 },
    deleted: { type: Boolean, required: true, default: false },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'cloud_accounts' },
);
cloudAccountSchema.index({ organizationId: 1, deleted: 1, name: 1 });
cloudAccountSchema.index({ type: 1, deleted: 1 });

const clusterCredentialSchema = new Schema<ClusterCredentialDoc>(
  {
    _id: { type: String, required: true, match: /^[0-9a-f]{64}$/ },
    cloudAccountId: { type: String, required: true, match: UUID },
    revoked: { type: Boolean, required: true, default: false },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'cluster_credentials' },
);
clusterCredentialSchema.index({ cloudAccountId: 1, revoked: 1 });

const focusImportSchema = new Schema<FocusImportDoc>(
  {
    _id: { type: String, required: true, match: UUID },
    organizationId: { type: String, required: true, match: UUID },
    startedAt: { type: Date, required: true },
    finishedAt: { type: Date, required: true },
    state: { type: String, required: true, enum: ['SUCCEEDED', 'FAILED'] },
    files: { type: [String], required: true },
    costColumn: { type: String, required: true, enum: ['EFFECTIVE', 'BILLED'] },
    rowsRead: { type: Number, required: true, min: 0 },
    rowsImported: { type: Number, required: true, min: 0 },
    rowsRefused: { type: Number, required: true, min: 0 },
    totalCost: { type: Number, required: true },
    firstDay: { type: String, default: null, match: DAY },
    lastDay: { type: String, default: null, match: DAY },
    error: { type: String, default: null },
  },
  { versionKey: false, collection: 'focus_imports' },
);
focusImportSchema.index({ organizationId: 1, startedAt: -1 });
// No TTL index: FerretDB has none ("expireAfterSeconds is not implemented"). Reads show the last
// 90 days, as ClickHouse's TTL does; older records stay until removed.

const resourceSchema = new Schema<ResourceDoc>(
  {
    _id: { type: String, required: true, minlength: 1, maxlength: 200 },
    organizationId: { type: String, required: true, match: UUID },
    cloudAccountId: { type: String, required: true, match: UUID },
    cloudResourceId: { type: String, default: '', maxlength: 4096 },
    name: { type: String, default: '', maxlength: 4096 },
    resourceType: { type: String, default: '', maxlength: 500 },
    region: { type: String, default: '', maxlength: 200 },
    service: { type: String, default: '', maxlength: 500 },
    serviceCategory: { type: String, default: '', maxlength: 200 },
    owner: { type: String, default: '', maxlength: 500 },
    tags: {
      type: [new Schema({ k: { type: String, required: true }, v: { type: String, default: '' } }, opts)],
      default: [],
    },
    firstSeen: { type: String, required: true, match: DAY },
    lastSeen: { type: String, required: true, match: DAY },
    k8sCluster: {
      type: new Schema(
        {
          clusterId: { type: String, required: true, match: UUID },
          kind: { type: String, required: true, enum: ['NODE', 'VOLUME'] },
          lastMatched: { type: String, required: true, match: DAY },
        },
        opts,
      ),
      default: null,
    },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'resources' },
);
// No index beyond _id's: every query names the _id (one, or a page's $in) beside the
// organization, which MongoDB answers from the _id index; a second index only slowed the
// import's inserts (18,000 documents into FerretDB: 2.2 s with an {organizationId, _id} index,
// 1.55 s without).

export interface MetadataModels {
  organizations: Model<OrganizationDoc>;
  apiTokens: Model<ApiTokenDoc>;
  budgets: Model<BudgetDoc>;
  focusImports: Model<FocusImportDoc>;
  cloudAccounts: Model<CloudAccountDoc>;
  clusterCredentials: Model<ClusterCredentialDoc>;
  resources: Model<ResourceDoc>;
}

/** The models on one connection, with their indexes created (idempotent). */
export async function metadataModels(connection: Connection): Promise<MetadataModels> {
  const models: MetadataModels = {
    organizations: connection.model<OrganizationDoc>('Organization', organizationSchema),
    apiTokens: connection.model<ApiTokenDoc>('ApiToken', apiTokenSchema),
    budgets: connection.model<BudgetDoc>('Budget', budgetSchema),
    focusImports: connection.model<FocusImportDoc>('FocusImport', focusImportSchema),
    cloudAccounts: connection.model<CloudAccountDoc>('CloudAccount', cloudAccountSchema),
    clusterCredentials: connection.model<ClusterCredentialDoc>('ClusterCredential', clusterCredentialSchema),
    resources: connection.model<ResourceDoc>('Resource', resourceSchema),
  };
  for (const model of Object.values(models) as Model<unknown>[]) await model.createIndexes();
  return models;
}
