import type { AllocationCorrection, AllocationFigures, AllocationRow } from '../allocation';

/** Dimensions an allocation report groups by (GraphQL `K8sAllocationDimension`). */
export type AllocationDimension =
  'CLUSTER' | 'NODE' | 'NAMESPACE' | 'CONTROLLER_KIND' | 'CONTROLLER' | 'POD' | 'CONTAINER' | 'LABEL';

/** Which workload rows a report keeps; every list is OR within itself, AND across lists. */
export interface AllocationFilter {
  namespaces?: readonly string[];
  /** `<namespace>/<kind>/<name>`, kind in lower case. */
  controllers?: readonly string[];
  nodes?: readonly string[];
  /** Label key and value pairs, all of which a row's labels must hold. */
  labels?: readonly (readonly [key: string, value: string])[];
}

export interface AllocationQuery {
  organizationId: string;
  from: string;
  to: string;
  by: AllocationDimension;
  /** For LABEL: the label (sanitized like kube-state-metrics). */
  labelKey?: string;
  clusterIds?: readonly string[];
  filter?: AllocationFilter;
  /** Group by day as well (the report's daily series). */
  daily: boolean;
}

/**
 * One group of a cluster's allocation, bill-corrected: a workload key (or a bucket) on one
 * cluster (and day, when daily). `matches`: the group's rows pass the filter.
 */
export interface AllocationGroup extends AllocationFigures {
  clusterId: string;
  date: string | null;
  key: string;
  name: string;
  matches: boolean;
}

/** One cluster-day's allocation rows and the bill's correction of them. */
export interface AllocationDayRows {
  clusterId: string;
  day: string;
  rows: readonly AllocationRow[];
  correction: AllocationCorrection;
}

/** Where cluster-days' allocations live (ClickHouse implements it). */
export interface AllocationStore {
  /**
   * Replaces a cluster-day's allocation with these rows, corrected by the bill as given: the new
   * rows are written as a new version, then made the live one; readers never see a mix.
   */
  replaceDay(
    organizationId: string,
    clusterId: string,
    day: string,
    rows: readonly AllocationRow[],
    correction: AllocationCorrection,
  ): Promise<void>;
  /** replaceDay for many cluster-days of one organization at once (the demo's 90 days). */
  replaceDays(organizationId: string, days: readonly AllocationDayRows[]): Promise<void>;
  /** Changes the bill's correction of the live version (after a bill import); no-op when none. */
  correct(
    organizationId: string,
    clusterId: string,
    day: string,
    correction: AllocationCorrection,
  ): Promise<void>;
  /** The organization's allocation grouped by cluster (and day), key and filter match. */
  groups(query: AllocationQuery): Promise<AllocationGroup[]>;
}
