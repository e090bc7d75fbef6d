import type {
  BreakdownCell,
  BreakdownDimension,
  CloudAccount,
  DayRange,
  ExpenseFilter,
  ExpenseOrderField,
  ExpensePage,
  K8sCostBreakdown,
  Organization,
  Provider,
  SortDirection,
  Tag,
} from './model';

// The narrow interfaces the services own. ClickHouse implements them today (src/store); a
// MongoDB adapter for the metadata ones could implement them later without touching services.

export interface OrganizationRepository {
  create(org: Organization): Promise<void>;
  get(id: string): Promise<Organization | null>;
  findByName(name: string): Promise<Organization | null>;
}

export interface CloudAccountRepository {
  save(account: CloudAccount): Promise<void>;
  /** Several accounts in one write (an import that finds dozens of new accounts at once). */
  saveMany(accounts: readonly CloudAccount[]): Promise<void>;
  /** The organization's live accounts, optionally of one type. */
  list(organizationId: string, type?: Provider): Promise<CloudAccount[]>;
  /** Accounts with these ids that belong to the organization; others are silently absent. */
  getMany(organizationId: string, ids: readonly string[]): Promise<CloudAccount[]>;
  /** Newest sample time per cluster, for the given cluster ids. */
  lastDataAt(ids: readonly string[]): Promise<Map<string, Date>>;
  recordDataAt(id: string, at: Date): Promise<void>;
}

/** Looks an account up by id alone, for jobs that run outside any organization's request. */
export interface CloudAccountLookup {
  /** The account whatever its organization, deleted ones included; null if absent. */
  findById(id: string): Promise<CloudAccount | null>;
}

export interface StoredToken {
  id: string;
  organizationId: string;
  name: string;
  revoked: boolean;
}

export interface ApiTokenRepository {
  create(tokenHash: string, token: StoredToken): Promise<void>;
  findByHash(tokenHash: string): Promise<StoredToken | null>;
}

/** A cluster's remote-write credential as stored, with the state of the account it opens. */
export interface StoredClusterCredential {
  cloudAccountId: string;
  organizationId: string;
  /** SHA-256 (hex) of the secret; the secret itself is never stored. */
  secretHash: string;
  revoked: boolean;
  /** The cluster's cloud account is deleted. */
  accountDeleted: boolean;
}

/** Remote-write credentials of clusters (KUBERNETES cloud accounts). */
export interface ClusterCredentialRepository {
  create(cloudAccountId: string, secretHash: string): Promise<void>;
  /** Every credential of one cluster, live and revoked (basic auth compares against them). */
  listByAccount(cloudAccountId: string): Promise<StoredClusterCredential[]>;
  /** The credential with this secret hash (bearer auth), live or revoked. */
  findByHash(secretHash: string): Promise<StoredClusterCredential | null>;
  /** Revokes every live credential of the cluster. */
  revokeAll(cloudAccountId: string): Promise<void>;
}

/** A resource's dimensions as written by importers, the demo seed and the aggregation jobs. */
export interface ResourceRecord {
  id: string;
  organizationId: string;
  cloudAccountId: string;
  cloudResourceId: string;
  name: string;
  resourceType: string;
  region: string;
  service: string;
  owner: string;
  tags: Record<string, string>;
  firstSeen: string;
  lastSeen: string;
}

export interface ExpenseRecord {
  cloudAccountId: string;
  resourceId: string;
  /** ISO day. */
  date: string;
  cost: number;
  sign: 1 | -1;
}

export interface K8sBreakdownRecord extends Omit<K8sCostBreakdown, 'total'> {
  cloudAccountId: string;
  resourceId: string;
  date: string;
  total: number;
  provisional: boolean;
  sign: 1 | -1;
}

/** One distinct row value of a cluster-day with its net sign (sum of signs of identical rows). */
export interface NetRow<T> {
  value: T;
  /** 1 for the live row; 0-sum groups are omitted; anything else is a state to repair. */
  net: number;
}

/** A cluster-day as stored, net of sign pairs, with the row values exactly as written. */
export interface StoredK8sDay {
  expenses: NetRow<number>[];
  breakdowns: NetRow<K8sCostBreakdown & { provisional: boolean }>[];
}

/** What the aggregation job reads back before it writes a cluster-day. */
export interface K8sCostDayRepository {
  storedDay(cloudAccountId: string, resourceId: string, date: string): Promise<StoredK8sDay>;
  /** A resource as last written, or null. */
  getResource(organizationId: string, id: string): Promise<ResourceRecord | null>;
}

/** One charge total of a FOCUS import: a resource, a UTC day, a billing period, a charge category. */
export interface StagedCharge {
  cloudAccountId: string;
  resourceId: string;
  /** ISO day. */
  date: string;
  /** Provider-qualified billing account (`AWS:123456789012`). */
  billingAccountRef: string;
  /** ISO day the billing period starts. */
  billingPeriodStart: string;
  chargeCategory: string;
  cost: number;
}

/** A resource as a FOCUS import saw it (first/last seen: its first and last day in the file). */
export interface StagedResource extends ResourceRecord {
  serviceCategory: string;
}

/** How many rows a committed import wrote. */
export interface FocusCommitCounts {
  resourceDays: number;
  expenseRowsAdded: number;
  expenseRowsCancelled: number;
  chargeRowsAdded: number;
  chargeRowsCancelled: number;
}

/**
 * One import's staging area: charges and resources are staged while the files are read, and
 * nothing the readers see changes until `commit`, which writes only the differences with what
 * is stored. `dispose` drops the staging area whether or not it was committed.
 */
export interface FocusStaging {
  addCharges(rows: readonly StagedCharge[]): Promise<void>;
  addResources(rows: readonly StagedResource[]): Promise<void>;
  commit(input: {
    organizationId: string;
    billingPeriods: readonly { billingAccount: string; start: string }[];
    /** Cancel stored days of these billing periods that the import does not have. */
    cancelMissing: boolean;
  }): Promise<FocusCommitCounts>;
  dispose(): Promise<void>;
}

export interface FocusImportStore {
  openStaging(): Promise<FocusStaging>;
}

/** Writes cost rows and resource dimensions. */
export interface ExpenseWriter {
  upsertResources(resources: readonly ResourceRecord[]): Promise<void>;
  insertExpenses(rows: readonly ExpenseRecord[]): Promise<void>;
  insertK8sBreakdown(rows: readonly K8sBreakdownRecord[]): Promise<void>;
}

export interface ExpenseListQuery {
  organizationId: string;
  range: DayRange;
  filter: ExpenseFilter;
  orderBy: { field: ExpenseOrderField; direction: SortDirection };
  first: number;
  /** Keyset position: the sort value and resource id of the last row already seen. */
  after?: { value: number | string; resourceId: string };
}

export interface LastExpense {
  date: string;
  cost: number;
}

/** Answers the read side; every method is one SQL query scoped to the organization. */
export interface ExpenseReader {
  list(query: ExpenseListQuery): Promise<ExpensePage>;
  /** Daily costs per dimension value over [from, to]. */
  breakdown(
    organizationId: string,
    from: string,
    to: string,
    by: BreakdownDimension,
    tagKey: string | undefined,
    filter: ExpenseFilter,
  ): Promise<BreakdownCell[]>;
  /** Cost per provider in the current range and in the previous one. */
  summary(
    organizationId: string,
    range: DayRange,
    previous: DayRange,
    filter: ExpenseFilter,
  ): Promise<{ provider: Provider; current: string; previous: string }[]>;
  lastExpenses(
    organizationId: string,
    resourceIds: readonly string[],
    upTo: string,
  ): Promise<Map<string, LastExpense>>;
  /** Summed breakdown per cluster resource over the range. */
  k8sCosts(
    organizationId: string,
    resourceIds: readonly string[],
    range: DayRange,
  ): Promise<Map<string, K8sCostBreakdown>>;
  /** Breakdown per day for clusters (by cloud account id). */
  k8sDailyCosts(
    organizationId: string,
    clusterIds: readonly string[],
    range: DayRange,
  ): Promise<Map<string, { date: string; costs: K8sCostBreakdown; provisional: boolean }[]>>;
  k8sClusterCosts(
    organizationId: string,
    clusterIds: readonly string[],
    range: DayRange,
  ): Promise<Map<string, K8sCostBreakdown>>;
}

export type { Tag };
