import { IDLE, OVERHEAD, UNMOUNTED, sanitizeLabelName } from '../domain/allocation';
import type {
  AllocationDimension,
  AllocationFilter,
  AllocationGroup,
  AllocationStore,
  CloudAccountLookup,
} from '../domain/ports';
import type { DayRange } from '../domain/model';
import { roundCost } from '../k8s-cost/k8s-cost.calculator';
import { badInput } from '../errors';
import { validateRange } from './ranges';

export type IdleMode = 'SEPARATE' | 'SHARE' | 'HIDE';

/** One item of a report: a key's costs over the range (or a day). */
export interface AllocationItem {
  key: string;
  name: string;
  cpu: number;
  ram: number;
  gpu: number;
  storage: number;
  network: number;
  loadBalancer: number;
  overhead: number;
  idle: number;
  total: number;
  cpuCoreHours: number;
  ramByteHours: number;
  cpuEfficiency: number | null;
  ramEfficiency: number | null;
}

export interface AllocationRequest {
  range: DayRange;
  by: AllocationDimension;
  labelKey?: string | null;
  clusterIds?: readonly string[] | null;
  filter?: {
    namespaces?: readonly string[] | null;
    controllers?: readonly string[] | null;
    nodes?: readonly string[] | null;
    labels?: readonly string[] | null;
  } | null;
  idle: IdleMode;
}

export interface AllocationReport {
  total: number;
  items: AllocationItem[];
}

export interface AllocationDay {
  date: string;
  items: { key: string; total: number }[];
}

const MAX_LIST_INPUT = 1000;
const MAX_LABEL_FILTERS = 50;
const BUCKETS = new Set([IDLE, UNMOUNTED, OVERHEAD]);

/**
 * `k8sAllocation`: a cluster's (or all clusters') costs grouped by workload, with idle kept
 * apart, shared or hidden. Sharing follows OpenCost's shareIdle: per cluster (and per day in the
 * daily series), each resource's idle (cpu, ram, gpu) is spread over the items in proportion to
 * their cost of that resource; a node's unsplit cost (capacity unknown) in proportion to their
 * cpu + ram + gpu. Idle nobody can take (no item used that resource) stays in `__idle__`.
 */
export class K8sAllocationService {
  constructor(
    private readonly store: AllocationStore,
    private readonly accounts: CloudAccountLookup,
  ) {}

  async report(organizationId: string, request: AllocationRequest): Promise<AllocationReport> {
    const groups = await this.store.groups(this.query(organizationId, request, false));
    const items = await this.itemsOf(organizationId, groups, request);
    return { total: roundCost(items.reduce((sum, item) => sum + item.total, 0)), items };
  }

  async days(organizationId: string, request: AllocationRequest): Promise<AllocationDay[]> {
    const groups = await this.store.groups(this.query(organizationId, request, true));
    const byDate = new Map<string, AllocationGroup[]>();
    for (const group of groups) {
      const date = group.date ?? '';
      byDate.set(date, [...(byDate.get(date) ?? []), group]);
    }
    const days: AllocationDay[] = [];
    for (const date of [...byDate.keys()].sort()) {
      const items = await this.itemsOf(organizationId, byDate.get(date) ?? [], request);
      days.push({ date, items: items.map((item) => ({ key: item.key, total: item.total })) });
    }
    return days;
  }

  private query(organizationId: string, request: AllocationRequest, daily: boolean) {
    const range = validateRange(request.range);
    if (request.by === 'LABEL' && !request.labelKey)
      throw badInput('labelKey', 'is required when by is LABEL');
    const list = (name: string, values: readonly string[] | null | undefined, max = MAX_LIST_INPUT) => {
      if (values && values.length > max) throw badInput(name, `at most ${max} values`);
      return values ?? undefined;
    };
    const filter: AllocationFilter = {
      namespaces: list('filter.namespaces', request.filter?.namespaces),
      controllers: list('filter.controllers', request.filter?.controllers),
      nodes: list('filter.nodes', request.filter?.nodes),
      labels: list('filter.labels', request.filter?.labels, MAX_LABEL_FILTERS)?.map((pair, i) => {
        const at = pair.indexOf('=');
        if (at <= 0) throw badInput(`filter.labels[${i}]`, `${JSON.stringify(pair)} is not key=value`);
        return [sanitizeLabelName(pair.slice(0, at)), pair.slice(at + 1)] as const;
      }),
    };
    return {
      organizationId,
      from: range.start,
      to: range.end,
      by: request.by,
      labelKey: request.labelKey ? sanitizeLabelName(request.labelKey) : undefined,
      clusterIds: list('clusterIds', request.clusterIds),
      filter,
      daily,
    };
  }

  /** Items of one report (or one day): idle handled per cluster, then merged by key. */
  private async itemsOf(
    organizationId: string,
    groups: readonly AllocationGroup[],
    request: AllocationRequest,
  ): Promise<AllocationItem[]> {
    const byCluster = new Map<string, AllocationGroup[]>();
    for (const group of groups)
      byCluster.set(group.clusterId, [...(byCluster.get(group.clusterId) ?? []), group]);
    const merged = new Map<string, Sums>();
    for (const clusterGroups of byCluster.values()) {
      for (const item of withIdle(clusterGroups, request.idle)) {
        const sums = merged.get(item.key) ?? emptySums(item.key, item.name);
        add(sums, item);
        merged.set(item.key, sums);
      }
    }
    if (request.by === 'CLUSTER') {
      for (const sums of merged.values()) {
        if (BUCKETS.has(sums.key)) continue;
        const account = await this.accounts.findById(sums.key);
        if (account && account.organizationId === organizationId) sums.name = account.name;
      }
    }
    return [...merged.values()]
      .map(toItem)
      .sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

/** A group's figures once idle is placed: its share (SHARE) or the idle item itself. */
interface Placed {
  key: string;
  name: string;
  group: AllocationGroup;
  idle: number;
}

/** One cluster's groups with idle separated, shared or hidden; only groups that match the filter. */
function withIdle(groups: readonly AllocationGroup[], mode: IdleMode): Placed[] {
  const idleGroups = groups.filter((g) => g.key === IDLE);
  const idle = {
    cpu: sumOf(idleGroups, (g) => g.idleCpu),
    ram: sumOf(idleGroups, (g) => g.idleRam),
    gpu: sumOf(idleGroups, (g) => g.idleGpu),
    other: sumOf(idleGroups, (g) => g.idleOther),
  };
  const others = groups.filter((g) => g.key !== IDLE);
  const placed: Placed[] = [];
  let leftover = 0;
  if (mode === 'SHARE') {
    const cpu = sumOf(others, (g) => g.cpu);
    const ram = sumOf(others, (g) => g.ram);
    const gpu = sumOf(others, (g) => g.gpu);
    const compute = cpu + ram + gpu;
    for (const g of others) {
      if (!g.matches) continue;
      const share =
        (cpu > 0 ? (idle.cpu * g.cpu) / cpu : 0) +
        (ram > 0 ? (idle.ram * g.ram) / ram : 0) +
        (gpu > 0 ? (idle.gpu * g.gpu) / gpu : 0) +
        (compute > 0 ? (idle.other * (g.cpu + g.ram + g.gpu)) / compute : 0);
      placed.push({ key: g.key, name: g.name, group: g, idle: share });
    }
    leftover =
      (cpu > 0 ? 0 : idle.cpu) +
      (ram > 0 ? 0 : idle.ram) +
      (gpu > 0 ? 0 : idle.gpu) +
      (compute > 0 ? 0 : idle.other);
  } else {
    for (const g of others) if (g.matches) placed.push({ key: g.key, name: g.name, group: g, idle: 0 });
    if (mode === 'SEPARATE') leftover = idle.cpu + idle.ram + idle.gpu + idle.other;
  }
  const idleShown = idleGroups.some((g) => g.matches);
  if (leftover !== 0 && idleShown && idleGroups[0])
    placed.push({
      key: IDLE,
      name: IDLE,
      group: { ...idleGroups[0], cpuCoreHours: 0, ramByteHours: 0 },
      idle: leftover,
    });
  return placed;
}

interface Sums {
  key: string;
  name: string;
  cpu: number;
  ram: number;
  gpu: number;
  storage: number;
  network: number;
  loadBalancer: number;
  overhead: number;
  idle: number;
  cpuCoreHours: number;
  ramByteHours: number;
  cpuRequest: number | null;
  cpuUsage: number | null;
  ramRequest: number | null;
  ramUsage: number | null;
}

function emptySums(key: string, name: string): Sums {
  return {
    key,
    name,
    cpu: 0,
    ram: 0,
    gpu: 0,
    storage: 0,
    network: 0,
    loadBalancer: 0,
    overhead: 0,
    idle: 0,
    cpuCoreHours: 0,
    ramByteHours: 0,
    cpuRequest: null,
    cpuUsage: null,
    ramRequest: null,
    ramUsage: null,
  };
}

const plus = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : a + b);

function add(sums: Sums, placed: Placed): void {
  const g = placed.group;
  const isIdle = placed.key === IDLE;
  if (!isIdle) {
    sums.cpu += g.cpu;
    sums.ram += g.ram;
    sums.gpu += g.gpu;
  }
  sums.storage += g.storage;
  sums.network += g.network;
  sums.loadBalancer += g.loadBalancer;
  sums.overhead += g.overhead;
  sums.idle += placed.idle;
  sums.cpuCoreHours += g.cpuCoreHours;
  sums.ramByteHours += g.ramByteHours;
  sums.cpuRequest = plus(sums.cpuRequest, g.cpuRequestCoreHours);
  sums.cpuUsage = plus(sums.cpuUsage, g.cpuUsageCoreHours);
  sums.ramRequest = plus(sums.ramRequest, g.ramRequestByteHours);
  sums.ramUsage = plus(sums.ramUsage, g.ramUsageByteHours);
}

function toItem(s: Sums): AllocationItem {
  const parts = [s.cpu, s.ram, s.gpu, s.storage, s.network, s.loadBalancer, s.overhead, s.idle];
  const efficiency = (usage: number | null, request: number | null) =>
    usage !== null && request !== null && request > 0 ? roundCost(usage / request) : null;
  return {
    key: s.key,
    name: s.name,
    cpu: roundCost(s.cpu),
    ram: roundCost(s.ram),
    gpu: roundCost(s.gpu),
    storage: roundCost(s.storage),
    network: roundCost(s.network),
    loadBalancer: roundCost(s.loadBalancer),
    overhead: roundCost(s.overhead),
    idle: roundCost(s.idle),
    total: roundCost(parts.reduce((a, b) => a + b, 0)),
    cpuCoreHours: roundCost(s.cpuCoreHours),
    ramByteHours: roundCost(s.ramByteHours),
    cpuEfficiency: efficiency(s.cpuUsage, s.cpuRequest),
    ramEfficiency: efficiency(s.ramUsage, s.ramRequest),
  };
}

function sumOf<T>(values: readonly T[], f: (value: T) => number): number {
  return values.reduce((sum, value) => sum + f(value), 0);
}
