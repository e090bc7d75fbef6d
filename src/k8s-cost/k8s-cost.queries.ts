import { parseDay } from '../domain/days';
import { TENANT_LABEL } from '../domain/tenancy';
import { ALLOCATION_QUERIES, allocationQueries } from './allocation.queries';

/**
 * The PromQL behind a cluster's daily cost.
 *
 * Semantics (what one query charges). For a UTC day D and integration step s (seconds, dividing a
 * day), the queries are evaluated at T = D + 24h (earlier for a running day, see
 * {@link k8sCostWindow}) over the subquery `[<T-D>:<s>]`, whose points are the multiples of s in
 * (D, T]. A point t charges s/3600 hours for every identity that has a sample in (t-s, t]: the
 * inner `last_over_time(x[s])` takes that sample, and `max by (<identity labels>)` collapses the
 * duplicates (HA replicas, twin exporters, which differ only in a replica or instance label)
 * before anything is summed. A node scraped every minute from 10:00 to 16:00 (samples at
 * hh:mm:30) thus gets the 72 points 10:05 .. 16:00, exactly 6 h; a day partitions into its 288
 * five-minute steps, so no step belongs to two days. Hourly rates are integrated over the hours
 * each series existed, never averaged and multiplied by 24.
 *
 * Windows are written in milliseconds one short of the intended length: Prometheus 2.x selects
 * closed ranges [t-r, t] and 3.x left-open ones (t-r, t]; `[r-1ms]` gives (t-r, t] on 2.x
 * (timestamps are whole milliseconds) and differs on 3.x only for a sample exactly 1 ms past t-r.
 * Without it, 2.x would evaluate 289 points a day (D itself too) and charge one step twice.
 *
 * Components (all $; prices are $ per hour, storage $ per GiB-hour, egress $ per GiB):
 * - management: `kubecost_cluster_management_cost` (one fee per cluster: max over series);
 * - loadBalancer: `kubecost_load_balancer_cost` per (namespace, service_name, ingress_ip);
 * - cpu / ram / gpu: per node, capacity x the node's price at each point: cores x
 *   `node_cpu_hourly_cost`, memory bytes / 2^30 x `node_ram_hourly_cost`, `node_gpu_count` x
 *   `node_gpu_hourly_cost`; only at points where the node has BOTH capacity series (cpu and memory);
 * - nodeUnsplit: at points where a node lacks either capacity series, `node_total_hourly_cost` in
 *   full, so the node is charged once, either split or unsplit, never invented;
 * - storage: `pv_hourly_cost` x `kube_persistentvolume_capacity_bytes` / 2^30 per persistentvolume;
 * - network: GiB moved x price per class, from `increase()` of each byte counter over the day
 *   (counter resets handled, duplicates collapsed per series before summing): internet="true" at
 *   the internet price; otherwise same_region="false" at the region price; otherwise
 *   same_zone="false" (same_region="true") at the zone price; same_zone="true" is free. Prices are
 *   the day's average. An empty answer (no byte counter existed) means unknown, not zero;
 * - idle: per node, its cpu + ram + gpu cost minus what containers claimed
 *   (`container_*_allocation` at the node's prices, integrated the same way, at split points;
 *   the `claimed*` queries), clamped at zero per node over the day. A part of cpu + ram + gpu,
 *   not an extra.
 * - workload allocation (the rest of {@link ALLOCATION_QUERIES}): see `allocation.queries.ts`.
 *
 * Every selector carries the tenant matcher `cloud_account_id="<cluster id>"`; all of them are
 * written by {@link QueryWriter.selector}, which escapes values as PromQL strings.
 */

/**
 * The queries of a cluster-day. cpu, ram, gpu and nodeUnsplit answer per node (label `node`), and
 * so do the three `claimed*` ones (what containers allocated, at their node's prices): idle is
 * computed from those per-node figures, so the expensive per-container queries run in parallel
 * instead of inside one query that would also recompute every node's cost. storage answers per
 * persistentvolume. Reconciliation with the bills needs each node's and volume's own figures:
 * nodeHours (hours each node existed), nodeIds and volumeIds (their `provider_id`, value 1).
 * The others answer one sum.
 */
export const K8S_COST_QUERIES = [
  'management',
  'loadBalancer',
  'cpu',
  'ram',
  'gpu',
  'nodeUnsplit',
  'storage',
  'network',
  'claimedCpu',
  'claimedRam',
  'claimedGpu',
  'nodeHours',
  'nodeIds',
  'volumeIds',
  ...ALLOCATION_QUERIES,
] as const;
export type K8sCostQueryName = (typeof K8S_COST_QUERIES)[number];

/** One query of a cluster-day: run it as an instant query at `time`. */
export interface K8sCostQuery {
  name: K8sCostQueryName;
  promql: string;
  time: Date;
}

/** The part of a day the queries integrate: the step points in (start, end]. */
export interface K8sCostWindow {
  day: string;
  start: Date;
  end: Date;
  stepSeconds: number;
  /** The whole day is covered (end = start + 24 h). */
  complete: boolean;
}

const DAY_SECONDS = 86_400;
const GIB = 1_073_741_824;

/** Cluster ids the queries accept: the platform's UUIDs and similar tokens, nothing to escape. */
const SAFE_TENANT = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Whether a cluster id may be used as a tenant (label value and header). */
export function isSafeTenantId(id: string): boolean {
  return SAFE_TENANT.test(id);
}

/** A PromQL double-quoted string literal (JSON escapes are a subset of Go's, which PromQL uses). */
export function promString(value: string): string {
  return JSON.stringify(value);
}

/**
 * The window of a day's queries at moment `now`: the whole day once it has ended; for the running
 * day, up to the last step boundary before `now` (at least one step), so a provisional figure
 * covers exactly the steps that have passed.
 */
export function k8sCostWindow(day: string, stepSeconds: number, now: Date): K8sCostWindow {
  const start = parseDay(day);
  if (!start) throw new RangeError(`not a YYYY-MM-DD day: ${JSON.stringify(day)}`);
  if (!Number.isInteger(stepSeconds) || stepSeconds <= 0 || DAY_SECONDS % stepSeconds !== 0)
    throw new RangeError(`step must divide a day evenly, got ${stepSeconds} s`);
  const dayEnd = start.getTime() + DAY_SECONDS * 1000;
  const stepMs = stepSeconds * 1000;
  const lastStep = Math.floor(now.getTime() / stepMs) * stepMs;
  const end = Math.min(dayEnd, Math.max(start.getTime() + stepMs, lastStep));
  return { day, start, end: new Date(end), stepSeconds, complete: end === dayEnd };
}

export type Matcher = readonly [label: string, op: '=' | '!=', value: string];

/** Writes every selector and window of one cluster's queries; the only place PromQL gets values. */
export class QueryWriter {
  private readonly stepMs: number;
  private readonly rangeMs: number;

  constructor(
    private readonly tenant: string,
    private readonly window: K8sCostWindow,
  ) {
    if (!isSafeTenantId(tenant)) throw new RangeError(`unsafe tenant id ${JSON.stringify(tenant)}`);
    this.stepMs = window.stepSeconds * 1000;
    this.rangeMs = window.end.getTime() - window.start.getTime();
  }

  /** `metric{cloud_account_id="<tenant>", ...}` with every value escaped. */
  selector(metric: string, ...matchers: Matcher[]): string {
    if (!METRIC_NAME.test(metric)) throw new RangeError(`bad metric name ${metric}`);
    const all: Matcher[] = [[TENANT_LABEL, '=', this.tenant], ...matchers];
    const text = all.map(([label, op, value]) => {
      if (!LABEL_NAME.test(label) || (label === TENANT_LABEL && value !== this.tenant))
        throw new RangeError(`bad matcher on ${label}`);
      return `${label}${op}${promString(value)}`;
    });
    return `${metric}{${text.join(', ')}}`;
  }

  /** The value of each identity at a point: the newest sample in (t-s, t], max over its twins. */
  point(metric: string, identity: readonly string[], ...matchers: Matcher[]): string {
    const by = identity.length ? ` by (${identity.join(', ')})` : '';
    return `max${by} (last_over_time(${this.selector(metric, ...matchers)}[${this.stepMs - 1}ms]))`;
  }

  /** The per-identity sum of an expression over the window's points (a subquery). */
  overWindow(expression: string): string {
    return `sum_over_time((${expression})[${this.rangeMs - 1}ms:${this.window.stepSeconds}s])`;
  }

  /** Dollars per identity: each point of `expression` ($/h) times the hours one step stands for. */
  perIdentity(expression: string): string {
    return `${this.overWindow(expression)} * ${this.window.stepSeconds} / 3600`;
  }

  /** Dollars: every point of `expression` ($/h) summed, times the hours one step stands for. */
  integrate(expression: string): string {
    return `sum(${this.overWindow(expression)}) * ${this.window.stepSeconds} / 3600`;
  }

  /** A range over the whole window, for increase() and price averages. */
  get windowRange(): string {
    return `${this.rangeMs / 1000}s`;
  }
}

/** The queries of one cluster-day, in component order; the calculator runs exactly these. */
export function k8sCostQueries(clusterId: string, window: K8sCostWindow): K8sCostQuery[] {
  const q = new QueryWriter(clusterId, window);
  const node = ['node'];
  const cpuCapacity = q.point('kube_node_status_capacity_cpu_cores', node);
  const memoryCapacity = q.point('kube_node_status_capacity_memory_bytes', node);
  const cpuPrice = q.point('node_cpu_hourly_cost', node);
  const ramPrice = q.point('node_ram_hourly_cost', node);
  const gpuPrice = q.point('node_gpu_hourly_cost', node);
  // A node is split at a point when both capacity series are there; otherwise it is unsplit.
  const splitNodes = `(${cpuCapacity} and on(node) ${memoryCapacity})`;
  const cpu = `((${cpuCapacity} * on(node) ${cpuPrice}) and on(node) ${memoryCapacity})`;
  const ram = `(((${memoryCapacity} / ${GIB}) * on(node) ${ramPrice}) and on(node) ${cpuCapacity})`;
  const gpu = `((${q.point('node_gpu_count', node)} * on(node) ${gpuPrice}) and on(node) ${splitNodes})`;
  const unsplit = `(${q.point('node_total_hourly_cost', node)} unless on(node) ${splitNodes})`;

  // What containers claimed, per node: each container's allocation (twins collapsed per point)
  // summed per node BEFORE the price join (sum of cores x price = price x sum of cores), so joins
  // run over nodes, not containers; only at points where the node is split, like its cost.
  // Measured on 200 nodes / 6,000 containers (Prometheus 2.42): the per-container `max by` at
  // every step is most of a cluster-day's work, hence one query per allocation metric, in parallel.
  // (Joining the price per container instead, to price each container at every step, took 9-12 s
  // a query against 2.7 s: bench:aggregate, BENCHMARKS.md.)
  const container = ['namespace', 'pod', 'container', 'node'];
  const claimed = (metric: string, scale: string, price: string) =>
    q.perIdentity(
      `((sum by (node) (${q.point(metric, container)})${scale}) * on(node) ${price}) and on(node) ${splitNodes}`,
    );

  const volume = ['persistentvolume'];
  const storage =
    `(${q.point('pv_hourly_cost', volume)} * on(persistentvolume) ` +
    `(${q.point('kube_persistentvolume_capacity_bytes', volume)} / ${GIB}))`;

  const tag = (expression: string, part: string) => `label_replace(${expression}, "part", "${part}", "", "")`;
  // Network: increase() per series (resets handled), duplicates collapsed per identity, then
  // summed per class and priced. The zero-valued "counters" series is there whenever any byte
  // counter existed, so an empty answer means "no counters": unknown, not zero.
  const flow = ['namespace', 'pod_name', 'internet', 'same_zone', 'same_region'];
  const bytes = 'kubecost_pod_network_egress_bytes_total';
  const gib = (...matchers: Matcher[]) =>
    `sum(max by (${flow.join(', ')}) (increase(${q.selector(bytes, ...matchers)}[${q.windowRange}]))) / ${GIB}`;
  const price = (metric: string) => `max(avg_over_time(${q.selector(metric)}[${q.windowRange}]))`;
  const network = [
    tag(`${gib(['internet', '=', 'true'])} * ${price('kubecost_network_internet_egress_cost')}`, 'internet'),
    tag(
      `${gib(['internet', '!=', 'true'], ['same_region', '=', 'false'])} * ${price('kubecost_network_region_egress_cost')}`,
      'region',
    ),
    tag(
      `${gib(['internet', '!=', 'true'], ['same_region', '=', 'true'], ['same_zone', '=', 'false'])} * ` +
        price('kubecost_network_zone_egress_cost'),
      'zone',
    ),
    tag(`count(count_over_time(${q.selector(bytes)}[${q.windowRange}])) * 0`, 'counters'),
  ].join(' or ');

  // One series per (identity, provider_id) seen in the window: Kubecost labels a node's and a
  // volume's price series with the cloud's id of that machine or disk.
  const providerIds = (metric: string, identity: string) =>
    `group by (${identity}, provider_id) (last_over_time(${q.selector(metric, ['provider_id', '!=', ''])}[${q.windowRange}]))`;

  const balancer = ['namespace', 'service_name', 'ingress_ip'];
  const promql: Record<K8sCostQueryName, string> = {
    management: q.integrate(q.point('kubecost_cluster_management_cost', [])),
    loadBalancer: q.integrate(q.point('kubecost_load_balancer_cost', balancer)),
    cpu: q.perIdentity(cpu),
    ram: q.perIdentity(ram),
    gpu: q.perIdentity(gpu),
    nodeUnsplit: q.perIdentity(unsplit),
    storage: q.perIdentity(storage),
    network,
    claimedCpu: claimed('container_cpu_allocation', '', cpuPrice),
    claimedRam: claimed('container_memory_allocation_bytes', ` / ${GIB}`, ramPrice),
    claimedGpu: claimed('container_gpu_allocation', '', gpuPrice),
    nodeHours: q.perIdentity(`(${q.point('node_total_hourly_cost', node)} * 0 + 1)`),
    nodeIds: providerIds('node_total_hourly_cost', 'node'),
    volumeIds: providerIds('pv_hourly_cost', 'persistentvolume'),
    ...allocationQueries(q, { storage, networkPrice: price }),
  };
  return K8S_COST_QUERIES.map((name) => ({ name, promql: promql[name], time: window.end }));
}
