/** Cloud account kinds. A KUBERNETES account is one cluster. */
export const PROVIDERS = ['AWS', 'AZURE', 'GCP', 'KUBERNETES', 'OTHER'] as const;
export type Provider = (typeof PROVIDERS)[number];

export interface Organization {
  id: string;
  name: string;
  createdAt: Date;
}

export interface CloudAccount {
  id: string;
  organizationId: string;
  name: string;
  type: Provider;
  /** The provider's own account / subscription / project id. */
  accountRef: string;
  /** For clusters: where the cluster runs (e.g. AWS for EKS). */
  k8sProvider: string;
  region: string;
  owner: string;
  version: string;
  deleted: boolean;
  createdAt: Date;
}

/** Inclusive range of whole UTC days, as ISO `YYYY-MM-DD` strings. */
export interface DayRange {
  start: string;
  end: string;
}

export interface Tag {
  key: string;
  value: string;
}

/** A resource's tags as a list ordered by key (code-unit order, as ClickHouse sorts them). */
export function tagList(tags: Record<string, string>): Tag[] {
  return Object.entries(tags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));
}

/** Filters shared by expenses, breakdown and summary; every list is ANDed, values within ORed. */
export interface ExpenseFilter {
  cloudAccountIds?: string[];
  providers?: Provider[];
  resourceTypes?: string[];
  regions?: string[];
  services?: string[];
  owners?: string[];
  /** A tag with no value matches any resource that has the key. */
  tags?: { key: string; value?: string | null }[];
  nameContains?: string;
  /**
   * These clusters' whole cost: each one's own row (what no bill carries) and the billed VMs and
   * disks reconciled as its nodes and volumes.
   */
  k8sClusterIds?: string[];
  /** These resources only (platform ids); internal, not a GraphQL filter field. */
  resourceIds?: string[];
}

export type ExpenseOrderField = 'COST' | 'NAME';
export type SortDirection = 'ASC' | 'DESC';

/** One resource's cost over a range, with its dimensions. */
export interface ExpenseRow {
  resourceId: string;
  cloudResourceId: string;
  cloudAccountId: string;
  provider: Provider;
  name: string;
  resourceType: string;
  region: string;
  service: string;
  owner: string;
  tags: Tag[];
  cost: number;
  firstSeen: Date;
  lastSeen: Date;
  /** The exact value the list is sorted by (cost as decimal text, or the name), for cursors. */
  sortKey: string;
}

export interface ExpensePage {
  rows: ExpenseRow[];
  totalCount: number;
  totalCost: number;
  hasNextPage: boolean;
}

export type { K8sCostBreakdown } from './k8s-cost-components';

export const BREAKDOWN_DIMENSIONS = [
  'PROVIDER',
  'CLOUD_ACCOUNT',
  'RESOURCE_TYPE',
  'REGION',
  'SERVICE',
  'OWNER',
  'K8S_CLUSTER',
  'TAG',
] as const;
export type BreakdownDimension = (typeof BREAKDOWN_DIMENSIONS)[number];

/** A cost of one dimension value on one day. */
export interface BreakdownCell {
  date: string;
  key: string;
  name: string;
  /** Exact decimal text (summed as Decimal128 in ClickHouse). */
  cost: string;
}

/** Which FOCUS cost an import reads: EffectiveCost (amortized; the default) or BilledCost (as invoiced). */
export type FocusCostColumn = 'EFFECTIVE' | 'BILLED';

/** A FOCUS row the import refused, and why. */
export interface FocusRowError {
  file: string;
  /** Physical line of the file (the header is line 1). */
  line: number;
  /** The column at fault; null when the row as a whole is unreadable. */
  column: string | null;
  reason: string;
  /** The offending cell, cut to 200 characters; null when there is none. */
  value: string | null;
}

/** One billing period of one billing account (`AWS:123456789012`), as an import covered it. */
export interface FocusBillingPeriod {
  billingAccount: string;
  /** ISO day the billing period starts. */
  start: string;
}

/** What a FOCUS import read, refused and wrote. */
/** One import as the history keeps it (`focusImports`). */
export interface FocusImportRecord {
  id: string;
  organizationId: string;
  startedAt: Date;
  finishedAt: Date;
  state: 'SUCCEEDED' | 'FAILED';
  files: string[];
  costColumn: FocusCostColumn;
  rowsRead: number;
  rowsImported: number;
  rowsRefused: number;
  totalCost: number;
  firstDay: string | null;
  lastDay: string | null;
  /** Why it failed, as its caller was told; null when it succeeded. */
  error: string | null;
}

export interface FocusImportReport {
  files: string[];
  costColumn: FocusCostColumn;
  rowsRead: number;
  rowsImported: number;
  rowsRefused: number;
  /** The first refused rows (at most 100); `errorsOmitted` counts the rest. */
  errors: FocusRowError[];
  errorsOmitted: number;
  /** US dollars over the rows taken, from the chosen cost column. */
  totalCost: number;
  firstDay: string | null;
  lastDay: string | null;
  cloudAccounts: CloudAccount[];
  accountsCreated: number;
  resources: number;
  resourceDays: number;
  billingPeriods: FocusBillingPeriod[];
  /** Rows written to expenses: +1 (new or corrected days) and -1 (replaced or vanished days). */
  expenseRowsAdded: number;
  expenseRowsCancelled: number;
  /** The same in expense_charges (per charge category). */
  chargeRowsAdded: number;
  chargeRowsCancelled: number;
  /** Whether days of these billing periods absent from the file were cancelled (only when no row was refused). */
  missingCancelled: boolean;
  durationMs: number;
}
