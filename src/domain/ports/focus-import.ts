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
  /**
   * The staged resources that are new to the organization (`known: false`) or that the commit
   * would change (a dimension, or a wider first/last seen), compared with the stored ones.
   */
  changedResources(organizationId: string): Promise<{ id: string; known: boolean }[]>;
  commit(input: {
    organizationId: string;
    billingPeriods: readonly { billingAccount: string; start: string }[];
    /** Cancel stored days of these billing periods that the import does not have. */
    cancelMissing: boolean;
    /**
     * Work that must be done before anything live is written (MongoDB's record of the import's
     * resources), already started so it runs while the differences are computed; when it fails,
     * nothing is written.
     */
    before?: Promise<void>;
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
