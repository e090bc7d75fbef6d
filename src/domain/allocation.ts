/**
 * Workload allocation: what each container, pod, controller, namespace, node and label value of
 * a cluster cost. One cluster-day is a list of {@link AllocationRow}s whose costs add up to the
 * cluster-day's breakdown total (to 1e-9 $ per row), so every report over them adds up to the
 * clusters' cost, whatever it is grouped by.
 */

/** Special items, named as OpenCost names them. */
export const IDLE = '__idle__';
export const UNMOUNTED = '__unmounted__';
export const UNALLOCATED = '__unallocated__';
export const OVERHEAD = '__overhead__';

/** A row that belongs to no workload: '' for a workload row. */
export type AllocationBucket = '' | typeof IDLE | typeof UNMOUNTED | typeof OVERHEAD;

/** Controller kinds, lower case; a pod no controller owns is its own controller (kind `pod`). */
export type ControllerKind = string;

/**
 * One row of a cluster-day's allocation at metric prices.
 * - container rows: namespace, controller, pod, container and node set; cpu, ram, gpu and hours;
 * - pod rows (container ''): a claimed volume's storage (`volume` set), or the pod's network;
 * - namespace rows (pod ''): a load balancer of a service of that namespace;
 * - bucket rows: `__idle__` per node (idle* set), `__unmounted__` per volume (storage),
 *   `__overhead__` once (the management fee).
 * Request and usage hours are null where the cluster sends no such metric.
 */
export interface AllocationRow {
  bucket: AllocationBucket;
  namespace: string;
  controllerKind: ControllerKind;
  controller: string;
  pod: string;
  container: string;
  node: string;
  volume: string;
  /** The pod's labels (kube_pod_labels), else its namespace's (kube_namespace_labels). */
  labels: Record<string, string>;
  cpu: number;
  ram: number;
  gpu: number;
  storage: number;
  network: number;
  loadBalancer: number;
  overhead: number;
  idleCpu: number;
  idleRam: number;
  idleGpu: number;
  /** A node's cost that could not be split into cpu, ram and gpu (capacity unknown). */
  idleOther: number;
  cpuCoreHours: number;
  ramByteHours: number;
  gpuHours: number;
  cpuRequestCoreHours: number | null;
  cpuUsageCoreHours: number | null;
  ramRequestByteHours: number | null;
  ramUsageByteHours: number | null;
}

/** The bill's correction of a cluster-day's allocation (reconciliation, issue 11). */
export interface AllocationCorrection {
  /** Per node: billed / metric price of its cpu + ram + gpu (+ unsplit); absent: 1. */
  nodeFactors: Record<string, number>;
  /** Per volume: billed / metric price of its storage; absent: 1. */
  volumeFactors: Record<string, number>;
  /** Bills of nodes that had no metric price at all: idle. */
  extraIdle: number;
  /** Bills of volumes that had no metric price at all: unmounted. */
  extraUnmounted: number;
}

export const NO_CORRECTION: AllocationCorrection = {
  nodeFactors: {},
  volumeFactors: {},
  extraIdle: 0,
  extraUnmounted: 0,
};

/** The total of a row: every cost it holds, idle included. */
export function allocationRowTotal(row: AllocationRow): number {
  return (
    row.cpu +
    row.ram +
    row.gpu +
    row.storage +
    row.network +
    row.loadBalancer +
    row.overhead +
    row.idleCpu +
    row.idleRam +
    row.idleGpu +
    row.idleOther
  );
}

/** Label names as kube-state-metrics writes them: `app.kubernetes.io/name` -> `app_kubernetes_io_name`. */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}
