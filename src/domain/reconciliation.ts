import type { K8sCostBreakdown } from './k8s-cost-components';

/**
 * One node's metric-priced cost over a cluster-day, as the cluster-day run computed it: the input
 * of reconciliation with the bills. `unsplit` is node cost charged in full at points where its
 * cpu/ram split was impossible; `idle` is the part of cpu + ram + gpu nobody allocated.
 */
export interface NodeEstimate {
  name: string;
  /** The cloud's id of the machine (`aws:///us-east-1a/i-...`), '' when the metrics carry none. */
  providerId: string;
  cpu: number;
  ram: number;
  gpu: number;
  unsplit: number;
  idle: number;
  /** Hours the node existed in the day: a scale set's shared bill line is split by these. */
  hours: number;
}

/** One persistent volume's metric-priced storage cost over a cluster-day. */
export interface VolumeEstimate {
  name: string;
  providerId: string;
  storage: number;
}

/** A cluster-day at metric prices, with the nodes and volumes a bill may also carry. */
export interface ClusterDayEstimate {
  breakdown: K8sCostBreakdown;
  nodes: NodeEstimate[];
  volumes: VolumeEstimate[];
}

/** A bill's cost of one resource on one day (FOCUS import), with what identifies the resource. */
export interface BilledLine {
  /** The platform's resource id (expenses.resource_id). */
  resourceId: string;
  /** The bill's ResourceId. */
  cloudResourceId: string;
  provider: string;
  /** The bill's account ref (GCP: the project a bare resource name lives in). */
  accountRef: string;
  date: string;
  cost: number;
}

export type ReconciledResourceKind = 'NODE' | 'VOLUME';

/** A node or volume of a cluster-day, metric price beside the bill (null: no bill line). */
export interface ReconciledResource {
  kind: ReconciledResourceKind;
  name: string;
  providerId: string;
  estimated: number;
  billed: number | null;
  /** The bill's resource (expenses.resource_id) the figure came from, when billed. */
  billResourceId: string | null;
}

/** A cluster-day after matching: the reconciled breakdown and the part no bill carries. */
export interface ReconciledDay {
  date: string;
  estimated: K8sCostBreakdown;
  reconciled: K8sCostBreakdown;
  /** What the matched bill lines cost (their share, for a shared scale-set line). */
  billed: number;
  /** reconciled.total - billed: the cluster's cost no bill line carries. */
  unbilled: number;
  resources: ReconciledResource[];
}
