import {
  IDLE,
  OVERHEAD,
  UNMOUNTED,
  allocationRow,
  roundFigures,
  type AllocationRow,
} from '../domain/allocation';
import { groupBy } from '../domain/group-by';
import type { NodeEstimate, VolumeEstimate } from '../domain/reconciliation';
import type { PromVector } from '../domain/ports/metrics-source';

/** The answers the allocation is built from, by query name (see `allocation.queries.ts`). */
export type AllocationAnswers = Record<
  | 'claimedCpu'
  | 'claimedRam'
  | 'claimedGpu'
  | 'allocCpuHours'
  | 'allocRamHours'
  | 'allocGpuHours'
  | 'allocCpuAverage'
  | 'cpuRequest'
  | 'ramRequest'
  | 'cpuUsage'
  | 'ramUsage'
  | 'pvc'
  | 'podNetwork'
  | 'loadBalancers'
  | 'podOwners'
  | 'replicaSetOwners'
  | 'podLabels'
  | 'namespaceLabels'
  | 'serviceSelectors',
  PromVector
>;

/** The cluster-day's figures the allocation must add up to. */
export interface AllocationTotals {
  nodes: readonly NodeEstimate[];
  volumes: readonly VolumeEstimate[];
  management: number;
}

const key = (...parts: string[]) => parts.join('\u0000');

/** A pod's controller: its owner, a ReplicaSet's owner in its place; a bare pod is its own (kind pod). */
export function controllersOf(
  podOwners: PromVector,
  replicaSetOwners: PromVector,
): (namespace: string, pod: string) => { kind: string; name: string } {
  const owner = (vector: PromVector, child: string) => {
    const found = new Map<string, { kind: string; name: string }>();
    // Several owners (or a relabelled one): the first in (kind, name) order, for a stable answer.
    const sorted = [...vector].sort((a, b) =>
      `${a.metric.owner_kind}/${a.metric.owner_name}` < `${b.metric.owner_kind}/${b.metric.owner_name}`
        ? -1
        : 1,
    );
    for (const { metric } of sorted) {
      const kind = metric.owner_kind ?? '';
      const name = metric.owner_name ?? '';
      if (!kind || !name || kind === '<none>' || name === '<none>') continue;
      const k = key(metric.namespace ?? '', metric[child] ?? '');
      if (!found.has(k)) found.set(k, { kind: kind.toLowerCase(), name });
    }
    return found;
  };
  const pods = owner(podOwners, 'pod');
  const replicaSets = owner(replicaSetOwners, 'replicaset');
  return (namespace, pod) => {
    const direct = pods.get(key(namespace, pod));
    if (!direct) return { kind: 'pod', name: pod };
    if (direct.kind === 'replicaset') return replicaSets.get(key(namespace, direct.name)) ?? direct;
    return direct;
  };
}

/** The `label_*` labels of an info series set, merged per identity (twins carry the same ones). */
export function labelsOf(
  vector: PromVector,
  identity: readonly string[],
): Map<string, Record<string, string>> {
  const found = new Map<string, Record<string, string>>();
  for (const { metric } of vector) {
    const k = key(...identity.map((label) => metric[label] ?? ''));
    const labels = found.get(k) ?? {};
    for (const [name, value] of Object.entries(metric))
      if (name.startsWith('label_') && value !== '' && !(name.slice(6) in labels))
        labels[name.slice(6)] = value;
    found.set(k, labels);
  }
  return found;
}

/**
 * The cluster-day's allocation rows. They add up to the cluster's total (cpu + ram + gpu +
 * unsplit + storage + network + load balancers + management):
 * - containers share what they claimed on their node (`claimed*`) by their hours of each
 *   resource; where a node's containers claimed more of a resource than it has (allocation =
 *   max(request, usage) can overcommit), they share the node's whole cost of it, no more;
 * - `__idle__`, per node: its cost of each resource minus what was claimed, and its unsplit cost
 *   (`idleOther`: containers on a node without capacity series cannot be priced);
 * - each volume's cost goes to the pods holding claims on it (`pvc`), the rest to `__unmounted__`;
 * - network per pod; a load balancer to the pods its service selects (`service_selector_labels`
 *   against the pods' own labels), by the hours they existed, else to its namespace (pod '');
 *   the management fee to `__overhead__`.
 */
export function buildAllocation(answer: AllocationAnswers, totals: AllocationTotals): AllocationRow[] {
  const controllerOf = controllersOf(answer.podOwners, answer.replicaSetOwners);
  const podLabels = labelsOf(answer.podLabels, ['namespace', 'pod']);
  const namespaceLabels = labelsOf(answer.namespaceLabels, ['namespace']);
  const labelsFor = (namespace: string, pod: string) =>
    podLabels.get(key(namespace, pod)) ?? namespaceLabels.get(key(namespace)) ?? {};

  const rows = new Map<string, AllocationRow>();
  /** The row of a workload (pod '' for a namespace row), created on first use. */
  const workloadRow = (namespace: string, pod: string, container: string, node: string, volume = '') => {
    const k = key(namespace, pod, container, node, volume);
    let row = rows.get(k);
    if (!row) {
      const controller = pod ? controllerOf(namespace, pod) : { kind: '', name: '' };
      row = allocationRow({
        namespace,
        controllerKind: controller.kind,
        controller: controller.name,
        pod,
        container,
        node,
        volume,
        labels: pod ? labelsFor(namespace, pod) : (namespaceLabels.get(key(namespace)) ?? {}),
      });
      rows.set(k, row);
    }
    return row;
  };
  const containerRow = (m: Record<string, string>) =>
    workloadRow(m.namespace ?? '', m.pod ?? '', m.container ?? '', m.node ?? '');

  // Containers: hours of each resource.
  const fields = [
    ['allocCpuHours', 'cpuCoreHours'],
    ['allocRamHours', 'ramByteHours'],
    ['allocGpuHours', 'gpuHours'],
  ] as const;
  for (const [query, field] of fields)
    for (const sample of answer[query]) containerRow(sample.metric)[field] += sample.value;

  // Each node's claimed cost of a resource, shared by its containers by their hours of it; a node
  // whose containers claimed more than it has (allocation = max(request, usage) can overcommit)
  // charges them its whole cost of it, no more; idle is the rest. Claims on a node with no split
  // cost at all (not among the nodes) cost nothing.
  const containers = [...rows.values()];
  const byNode = groupBy(containers, (row) => row.node);
  const claimedOn = (query: 'claimedCpu' | 'claimedRam' | 'claimedGpu') =>
    new Map(answer[query].map(({ metric, value }) => [metric.node ?? '', value]));
  const resources = [
    { cost: 'cpu', hours: 'cpuCoreHours', idle: 'idleCpu', claimed: claimedOn('claimedCpu') },
    { cost: 'ram', hours: 'ramByteHours', idle: 'idleRam', claimed: claimedOn('claimedRam') },
    { cost: 'gpu', hours: 'gpuHours', idle: 'idleGpu', claimed: claimedOn('claimedGpu') },
  ] as const;
  const idleRows: AllocationRow[] = [];
  for (const node of totals.nodes) {
    const on = byNode.get(node.name) ?? [];
    const idle = allocationRow({ bucket: IDLE, node: node.name, idleOther: node.unsplit });
    for (const resource of resources) {
      const hours = on.reduce((sum, row) => sum + row[resource.hours], 0);
      const claimed = hours > 0 ? Math.min(resource.claimed.get(node.name) ?? 0, node[resource.cost]) : 0;
      for (const row of on) row[resource.cost] = hours > 0 ? (claimed * row[resource.hours]) / hours : 0;
      idle[resource.idle] = node[resource.cost] - claimed;
    }
    if (idle.idleCpu || idle.idleRam || idle.idleGpu || idle.idleOther) idleRows.push(idle);
  }

  // Efficiency inputs. A container's hours of existence on a node are its core-hours there over
  // its average cores; its average request and working set times those hours give core-hours
  // and byte-hours; its cpu usage (core-hours over the day) is shared by those hours too.
  const perWorkload = (vector: PromVector) =>
    new Map(
      vector.map(({ metric, value }) => [
        key(metric.namespace ?? '', metric.pod ?? '', metric.container ?? ''),
        value,
      ]),
    );
  const averageCores = new Map(
    answer.allocCpuAverage.map(({ metric, value }) => [
      key(metric.namespace ?? '', metric.pod ?? '', metric.container ?? '', metric.node ?? ''),
      value,
    ]),
  );
  const alive = new Map<AllocationRow, number>();
  for (const row of containers) {
    const cores = averageCores.get(key(row.namespace, row.pod, row.container, row.node));
    if (cores) alive.set(row, row.cpuCoreHours / cores);
  }
  const aliveOf = groupBy(alive.keys(), (row) => key(row.namespace, row.pod, row.container));
  const efficiency = [
    ['cpuRequest', 'cpuRequestCoreHours', 'average'],
    ['ramRequest', 'ramRequestByteHours', 'average'],
    ['ramUsage', 'ramUsageByteHours', 'average'],
    ['cpuUsage', 'cpuUsageCoreHours', 'total'],
  ] as const;
  for (const [query, field, kind] of efficiency) {
    for (const [k, value] of perWorkload(answer[query])) {
      const on = aliveOf.get(k) ?? [];
      const hours = on.reduce((sum, row) => sum + (alive.get(row) ?? 0), 0);
      if (hours > 0)
        for (const row of on) {
          const share = alive.get(row) ?? 0;
          row[field] = kind === 'average' ? value * share : (value * share) / hours;
        }
    }
  }

  // A pod's node, for its pod-level rows: the node it spent the most core-hours on.
  const podNode = new Map<string, { node: string; hours: number }>();
  for (const row of containers) {
    const k = key(row.namespace, row.pod);
    const best = podNode.get(k);
    if (!best || row.cpuCoreHours > best.hours) podNode.set(k, { node: row.node, hours: row.cpuCoreHours });
  }
  const nodeOfPod = (namespace: string, pod: string) => podNode.get(key(namespace, pod))?.node ?? '';

  // Volumes: claimed shares to their pods, the rest unmounted.
  const claimedOf = new Map<string, number>();
  for (const { metric, value } of answer.pvc) {
    const namespace = metric.namespace ?? '';
    const pod = metric.pod ?? '';
    const volume = metric.persistentvolume ?? '';
    workloadRow(namespace, pod, '', nodeOfPod(namespace, pod), volume).storage += value;
    claimedOf.set(volume, (claimedOf.get(volume) ?? 0) + value);
  }
  const unmounted: AllocationRow[] = [];
  for (const volume of totals.volumes) {
    const rest = volume.storage - (claimedOf.get(volume.name) ?? 0);
    if (Math.abs(rest) > 1e-12)
      unmounted.push(allocationRow({ bucket: UNMOUNTED, volume: volume.name, storage: rest }));
  }

  for (const { metric, value } of answer.podNetwork) {
    const namespace = metric.namespace ?? '';
    const pod = metric.pod_name ?? '';
    workloadRow(namespace, pod, '', nodeOfPod(namespace, pod)).network += value;
  }
  // Load balancers: to the pods their service selects, by the hours each pod existed.
  const selectors = labelsOf(answer.serviceSelectors, ['namespace', 'service']);
  const podHours = new Map<string, { namespace: string; pod: string; hours: number }>();
  for (const [row, hours] of alive) {
    const k = key(row.namespace, row.pod);
    const seen = podHours.get(k);
    if (!seen || hours > seen.hours) podHours.set(k, { namespace: row.namespace, pod: row.pod, hours });
  }
  for (const { metric, value } of answer.loadBalancers) {
    const namespace = metric.namespace ?? '';
    const selector = Object.entries(selectors.get(key(namespace, metric.service_name ?? '')) ?? {});
    const selected = selector.length
      ? [...podHours.values()].filter(
          (p) =>
            p.namespace === namespace &&
            selector.every(([label, wanted]) => podLabels.get(key(namespace, p.pod))?.[label] === wanted),
        )
      : [];
    const hours = selected.reduce((sum, p) => sum + p.hours, 0);
    if (hours > 0)
      for (const p of selected)
        workloadRow(namespace, p.pod, '', nodeOfPod(namespace, p.pod)).loadBalancer +=
          (value * p.hours) / hours;
    else workloadRow(namespace, '', '', '').loadBalancer += value;
  }

  const overhead = totals.management
    ? [allocationRow({ bucket: OVERHEAD, overhead: totals.management })]
    : [];
  const all = [...rows.values(), ...idleRows, ...unmounted, ...overhead];
  all.forEach(roundFigures);
  return all.sort(compareRows);
}

function compareRows(a: AllocationRow, b: AllocationRow): number {
  const ka = key(a.bucket, a.namespace, a.pod, a.container, a.node, a.volume);
  const kb = key(b.bucket, b.namespace, b.pod, b.container, b.node, b.volume);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
