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
 * The figures an allocation row carries, defined once: the row type, its zero, its rounding, the
 * ClickHouse columns, the report's sums and the bill's correction are all derived from this list.
 * `factor`: which of the bill's corrections scales the figure when read (a node's for what ran
 * on it, a volume's for its storage; none for the rest). `nullable`: absent (null) when the
 * cluster sends no such metric, not zero.
 */
export const ALLOCATION_FIGURES = [
  { key: 'cpu', column: 'cpu_cost', factor: 'node', nullable: false },
  { key: 'ram', column: 'ram_cost', factor: 'node', nullable: false },
  { key: 'gpu', column: 'gpu_cost', factor: 'node', nullable: false },
  { key: 'storage', column: 'storage_cost', factor: 'volume', nullable: false },
  { key: 'network', column: 'network_cost', factor: null, nullable: false },
  { key: 'loadBalancer', column: 'load_balancer_cost', factor: null, nullable: false },
  { key: 'overhead', column: 'overhead_cost', factor: null, nullable: false },
  { key: 'idleCpu', column: 'idle_cpu_cost', factor: 'node', nullable: false },
  { key: 'idleRam', column: 'idle_ram_cost', factor: 'node', nullable: false },
  { key: 'idleGpu', column: 'idle_gpu_cost', factor: 'node', nullable: false },
  // A node's cost that could not be split into cpu, ram and gpu (capacity unknown).
  { key: 'idleOther', column: 'idle_other_cost', factor: 'node', nullable: false },
  { key: 'cpuCoreHours', column: 'cpu_core_hours', factor: null, nullable: false },
  { key: 'ramByteHours', column: 'ram_byte_hours', factor: null, nullable: false },
  { key: 'gpuHours', column: 'gpu_hours', factor: null, nullable: false },
  { key: 'cpuRequestCoreHours', column: 'cpu_request_core_hours', factor: null, nullable: true },
  { key: 'cpuUsageCoreHours', column: 'cpu_usage_core_hours', factor: null, nullable: true },
  { key: 'ramRequestByteHours', column: 'ram_request_byte_hours', factor: null, nullable: true },
  { key: 'ramUsageByteHours', column: 'ram_usage_byte_hours', factor: null, nullable: true },
] as const satisfies readonly {
  key: string;
  column: string;
  factor: 'node' | 'volume' | null;
  nullable: boolean;
}[];

type Figure = (typeof ALLOCATION_FIGURES)[number];
export type AllocationFigure = Figure['key'];

/** Dollars, hours and (nullable) request and usage hours of a row or a group of rows. */
export type AllocationFigures = {
  [F in Figure as F['key']]: F['nullable'] extends true ? number | null : number;
};

/** Every figure zero, the nullable ones null. */
export function zeroFigures(): AllocationFigures {
  const zero: Record<string, number | null> = {};
  for (const { key, nullable } of ALLOCATION_FIGURES) zero[key] = nullable ? null : 0;
  return zero as AllocationFigures;
}

/**
 * One row of a cluster-day's allocation at metric prices.
 * - container rows: namespace, controller, pod, container and node set; cpu, ram, gpu and hours;
 * - pod rows (container ''): a claimed volume's storage (`volume` set), or the pod's network;
 * - namespace rows (pod ''): a load balancer of a service of that namespace;
 * - bucket rows: `__idle__` per node (idle* set), `__unmounted__` per volume (storage),
 *   `__overhead__` once (the management fee).
 */
export interface AllocationRow extends AllocationFigures {
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
}

/** A row with no dimension and every figure zero, its fields overridden by `fields`. */
export function allocationRow(fields: Partial<AllocationRow> = {}): AllocationRow {
  return {
    bucket: '',
    namespace: '',
    controllerKind: '',
    controller: '',
    pod: '',
    container: '',
    node: '',
    volume: '',
    labels: {},
    ...zeroFigures(),
    ...fields,
  };
}

/** Every figure of a row rounded to 1e-9 (what the cluster totals are kept to). */
export function roundFigures(row: AllocationFigures): void {
  const figures = row as Record<AllocationFigure, number | null>;
  for (const { key } of ALLOCATION_FIGURES) {
    const value = figures[key];
    if (value !== null) figures[key] = Number(value.toFixed(9)) + 0;
  }
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
