import type { FocusImportRecord } from '../model';
import type { ResourceRecord } from './cost-store';

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

/** The organization's recent imports, newest first. */
export interface FocusImportHistory {
  record(entry: FocusImportRecord): Promise<void>;
  list(organizationId: string, first: number): Promise<FocusImportRecord[]>;
}
