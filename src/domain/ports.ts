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
  /** The organization's live accounts, optionally of one type. */
  list(organizationId: string, type?: Provider): Promise<CloudAccount[]>;
  /** Accounts with these ids that belong to the organization; others are silently absent. */
  getMany(organizationId: string, ids: readonly string[]): Promise<CloudAccount[]>;
  /** Newest sample time per cluster, for the given cluster ids. */
  lastDataAt(ids: readonly string[]): Promise<Map<string, Date>>;
  recordDataAt(id: string, at: Date): Promise<void>;
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
