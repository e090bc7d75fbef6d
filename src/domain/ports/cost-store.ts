import type {
  BreakdownCell,
  BreakdownDimension,
  DayRange,
  ExpenseFilter,
  ExpenseOrderField,
  ExpensePage,
  K8sCostBreakdown,
  Provider,
  SortDirection,
} from '../model';

// The cost rows (expenses, the Kubernetes breakdown) and the resource dimensions beside them.

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
  /** Cost per day of each resource over the range (days without a cost are absent). */
  dailyCosts(
    organizationId: string,
    resourceIds: readonly string[],
    range: DayRange,
  ): Promise<Map<string, { date: string; cost: number }[]>>;
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
