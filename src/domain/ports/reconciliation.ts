import type { BilledLine, ClusterDayEstimate, ReconciledResourceKind } from '../reconciliation';

/** A stored cluster-day estimate (the newest run's). */
export interface StoredEstimate {
  clusterId: string;
  date: string;
  provisional: boolean;
  estimate: ClusterDayEstimate;
}

/** Strings a bill's ResourceId may equal or end with (lower case) for a node or volume to match it. */
export interface BillCandidates {
  exact: string[];
  suffixes: string[];
}

/** A billed resource found to be a node or volume of a cluster. */
export interface ClusterResourceLink {
  resourceId: string;
  clusterId: string;
  kind: ReconciledResourceKind;
  lastMatched: string;
}

/** Where reconciliation keeps its inputs and finds the bills (ClickHouse implements it). */
export interface ReconciliationStore {
  saveEstimates(estimates: readonly StoredEstimate[]): Promise<void>;
  /** The organization's stored estimates of these clusters (all of them when omitted) in [from, to]. */
  estimates(
    organizationId: string,
    from: string,
    to: string,
    clusterIds?: readonly string[],
  ): Promise<StoredEstimate[]>;
  /** The organization's cloud bill lines in [from, to] whose ResourceId may match a candidate. */
  billedLines(
    organizationId: string,
    from: string,
    to: string,
    candidates: BillCandidates,
  ): Promise<BilledLine[]>;
  saveLinks(organizationId: string, links: readonly ClusterResourceLink[]): Promise<void>;
  /** The cluster each of these billed resources belongs to, where one was matched. */
  clusterLinks(organizationId: string, resourceIds: readonly string[]): Promise<Map<string, string>>;
}

/** Re-reconciles stored cluster-days after a bill import (the aggregation service implements it). */
export interface BillReconciler {
  /** Every cluster-day of the organization in [from, to] that has an estimate; returns how many. */
  reconcileOrganization(organizationId: string, from: string, to: string): Promise<number>;
}
