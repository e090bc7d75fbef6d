import {
  ADDITIVE_K8S_COST_COMPONENTS,
  breakdownTotal,
  type K8sCostBreakdown,
} from '../domain/k8s-cost-components';
import type { NodeEstimate, VolumeEstimate } from '../domain/reconciliation';
import type { AllocationRow } from '../domain/allocation';
import { buildAllocation } from './allocation';
import { MetricsQueryError, type PromVector, type TenantMetricsSource } from '../domain/ports/metrics-source';
import {
  k8sCostQueries,
  k8sCostWindow,
  type K8sCostQuery,
  type K8sCostQueryName,
  type K8sCostWindow,
} from './k8s-cost.queries';

export interface K8sCostCalculatorOptions {
  /** Integration step in seconds (K8S_INTEGRATION_STEP_SECONDS); must divide a day. */
  stepSeconds: number;
}

/** A computed cluster-day. */
export interface K8sCostComputation {
  breakdown: K8sCostBreakdown;
  window: K8sCostWindow;
  /** Some query returned a series: the cluster sent metrics in the window. */
  hasData: boolean;
  /** Each node's cpu, ram, gpu, unsplit and idle cost (they add up to the breakdown's). */
  nodes: NodeEstimate[];
  /** Each persistent volume's storage cost (they add up to the breakdown's storage). */
  volumes: VolumeEstimate[];
  /** What each workload cost, at metric prices; the rows add up to the breakdown's total. */
  allocation: AllocationRow[];
}

/** Money is kept to 1e-9 $: far below a cent, above the noise of float sums in any order. */
export function roundCost(value: number): number {
  return Number(value.toFixed(9)) + 0; // + 0 turns -0 into 0
}

/**
 * Computes one cluster's costs for one UTC day from the metrics backend. It runs the queries of
 * {@link k8sCostQueries} concurrently and only adds their answers up (one number per node at
 * most): every selection, deduplication, join and integration happens in the backend, so a job
 * costs about as much as its slowest query, never more than the queries run one after another.
 */
export class K8sCostCalculator {
  constructor(
    private readonly metrics: TenantMetricsSource,
    private readonly options: K8sCostCalculatorOptions,
  ) {}

  /** The window of `day` as seen at `now` (the whole day once it has ended). */
  window(day: string, now: Date = new Date()): K8sCostWindow {
    return k8sCostWindow(day, this.options.stepSeconds, now);
  }

  /** The exact queries (PromQL, evaluation time) a computation of this cluster-day runs. */
  queries(clusterId: string, day: string, now: Date = new Date()): K8sCostQuery[] {
    return k8sCostQueries(clusterId, this.window(day, now));
  }

  /** The cluster-day's breakdown, rounded to 1e-9 $; rejects with the first query's MetricsError. */
  async compute(clusterId: string, day: string, now: Date = new Date()): Promise<K8sCostComputation> {
    const window = this.window(day, now);
    const source = this.metrics.forTenant(clusterId);
    const queries = k8sCostQueries(clusterId, window);
    const answers = await Promise.all(queries.map((q) => source.instantQuery(q.promql, q.time)));
    const answer = {} as Record<K8sCostQueryName, PromVector>;
    queries.forEach((query, i) => {
      const vector = answers[i] as PromVector;
      checkFinite(vector, query, clusterId);
      answer[query.name] = vector;
    });
    const hasData = answers.some((vector) => vector && vector.length > 0);
    const sum = (name: K8sCostQueryName) => roundCost(answer[name].reduce((total, s) => total + s.value, 0));

    // idle = per node max(0, cpu + ram + gpu - claimed cpu - claimed ram - claimed gpu).
    const perNode = new Map<string, number>();
    const add = (name: K8sCostQueryName, sign: 1 | -1) => {
      for (const sample of answer[name]) {
        const node = sample.metric.node ?? '';
        perNode.set(node, (perNode.get(node) ?? 0) + sign * sample.value);
      }
    };
    add('cpu', 1);
    add('ram', 1);
    add('gpu', 1);
    const owned = new Set(perNode.keys()); // a node with claims but no split cost has no idle
    add('claimedCpu', -1);
    add('claimedRam', -1);
    add('claimedGpu', -1);
    let idle = 0;
    const idleOf = new Map<string, number>();
    for (const [node, value] of perNode)
      if (owned.has(node) && value > 0) {
        idle += value;
        idleOf.set(node, value);
      }

    // Each additive component is the sum of its query's answer. A nullable one is unknown (null)
    // when its query answered nothing: the network query always answers a zero "counters" series
    // when byte counters existed.
    const breakdown = { idle: roundCost(idle), total: 0 } as Record<string, number | null>;
    for (const { key, nullable } of ADDITIVE_K8S_COST_COMPONENTS) {
      breakdown[key] = nullable && answer[key].length === 0 ? null : sum(key);
    }
    const result = breakdown as K8sCostBreakdown;
    result.total = roundCost(breakdownTotal(result));
    const { nodes, volumes } = resourcesOf(answer, idleOf);
    const allocation = buildAllocation(answer, { nodes, volumes, management: result.management });
    return { breakdown: result, window, hasData, nodes, volumes, allocation };
  }
}

/** The per-node and per-volume figures of a cluster-day, each rounded to 1e-9 $. */
function resourcesOf(
  answer: Record<K8sCostQueryName, PromVector>,
  idleOf: ReadonlyMap<string, number>,
): { nodes: NodeEstimate[]; volumes: VolumeEstimate[] } {
  const byLabel = (name: K8sCostQueryName, label: string) => {
    const values = new Map<string, number>();
    for (const sample of answer[name]) {
      const key = sample.metric[label] ?? '';
      values.set(key, (values.get(key) ?? 0) + sample.value);
    }
    return values;
  };
  // A node relabelled mid-day has two provider ids: the first in label order names it.
  const ids = (name: K8sCostQueryName, label: string) => {
    const found = new Map<string, string>();
    const sorted = [...answer[name]].sort((a, b) =>
      (a.metric.provider_id ?? '') < (b.metric.provider_id ?? '') ? -1 : 1,
    );
    for (const sample of sorted) {
      const key = sample.metric[label] ?? '';
      if (!found.has(key)) found.set(key, sample.metric.provider_id ?? '');
    }
    return found;
  };
  const [cpu, ram, gpu, unsplit, hours] = (['cpu', 'ram', 'gpu', 'nodeUnsplit', 'nodeHours'] as const).map(
    (name) => byLabel(name, 'node'),
  ) as [
    Map<string, number>,
    Map<string, number>,
    Map<string, number>,
    Map<string, number>,
    Map<string, number>,
  ];
  const nodeIds = ids('nodeIds', 'node');
  const names = new Set([...cpu.keys(), ...ram.keys(), ...gpu.keys(), ...unsplit.keys()]);
  const nodes = [...names].sort().map((name): NodeEstimate => ({
    name,
    providerId: nodeIds.get(name) ?? '',
    cpu: roundCost(cpu.get(name) ?? 0),
    ram: roundCost(ram.get(name) ?? 0),
    gpu: roundCost(gpu.get(name) ?? 0),
    unsplit: roundCost(unsplit.get(name) ?? 0),
    idle: roundCost(idleOf.get(name) ?? 0),
    hours: roundCost(hours.get(name) ?? 0),
  }));
  const storage = byLabel('storage', 'persistentvolume');
  const volumeIds = ids('volumeIds', 'persistentvolume');
  const volumes = [...storage.keys()].sort().map((name): VolumeEstimate => ({
    name,
    providerId: volumeIds.get(name) ?? '',
    storage: roundCost(storage.get(name) ?? 0),
  }));
  return { nodes, volumes };
}

/** A NaN or infinite value is a query that cannot give a cost. */
function checkFinite(vector: PromVector, query: K8sCostQuery, tenant: string): void {
  for (const sample of vector) {
    if (!Number.isFinite(sample.value))
      throw new MetricsQueryError(`the ${query.name} query returned ${sample.value}`, {
        query: query.promql,
        tenant,
      });
  }
}
