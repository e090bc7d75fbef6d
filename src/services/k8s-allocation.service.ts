import {
  ALLOCATION_FIGURES,
  IDLE,
  OVERHEAD,
  UNMOUNTED,
  sanitizeLabelName,
  zeroFigures,
  type AllocationFigure,
  type AllocationFigures,
} from '../domain/allocation';
import type {
  AllocationDimension,
  AllocationFilter,
  AllocationGroup,
  AllocationStore,
  CloudAccountRepository,
} from '../domain/ports';
import type { DayRange } from '../domain/model';
import { roundCost } from '../k8s-cost/k8s-cost.calculator';
import { badInput } from '../errors';
import { validateRange } from './ranges';
import { groupBy } from '../domain/group-by';

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
    private readonly accounts: Pick<CloudAccountRepository, 'getMany'>,
  ) {}

  async report(organizationId: string, request: AllocationRequest): Promise<AllocationReport> {
    const groups = await this.store.groups(this.query(organizationId, request, false));
    const items = itemsOf(groups, request.idle);
    if (request.by === 'CLUSTER') {
      // The keys are cluster ids of this organization: one lookup names them all.
      const ids = items.map((item) => item.key).filter((key) => !BUCKETS.has(key));
      const names = new Map((await this.accounts.getMany(organizationId, ids)).map((a) => [a.id, a.name]));
      for (const item of items) item.name = names.get(item.key) ?? item.name;
    }
    return { total: roundCost(items.reduce((sum, item) => sum + item.total, 0)), items };
  }

  async days(organizationId: string, request: AllocationRequest): Promise<AllocationDay[]> {
    const groups = await this.store.groups(this.query(organizationId, request, true));
    const byDate = groupBy(groups, (group) => group.date ?? '');
    return [...byDate.keys()].sort().map((date) => ({
      date,
      items: itemsOf(byDate.get(date) ?? [], request.idle).map(({ key, total }) => ({ key, total })),
    }));
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
}

/** Items of one report (or one day): idle handled per cluster, then merged by key, largest first. */
function itemsOf(groups: readonly AllocationGroup[], idle: IdleMode): AllocationItem[] {
  const merged = new Map<string, Sums>();
  for (const clusterGroups of groupBy(groups, (group) => group.clusterId).values()) {
    for (const placed of withIdle(clusterGroups, idle)) {
      const sums = merged.get(placed.key) ?? {
        key: placed.key,
        name: placed.name,
        figures: zeroFigures(),
        idle: 0,
      };
      add(sums, placed);
      merged.set(placed.key, sums);
    }
  }
  return [...merged.values()]
    .map(toItem)
    .sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
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
      group: idleGroups[0],
      idle: leftover,
    });
  return placed;
}

/** A key's figures summed over its groups (their own idle figures left out), and its idle. */
interface Sums {
  key: string;
  name: string;
  figures: AllocationFigures;
  idle: number;
}

/** The figures an item sums; a group's idle* figures reach it only through `idle` (placed). */
const SUMMED = ALLOCATION_FIGURES.filter(({ key }) => !key.startsWith('idle'));
/** The idle item's own cpu, ram and gpu are idle, not used: they are in its `idle` only. */
const USED = new Set<AllocationFigure>(['cpu', 'ram', 'gpu']);

function add(sums: Sums, placed: Placed): void {
  const isIdle = placed.key === IDLE;
  const figures = sums.figures as Record<AllocationFigure, number | null>;
  for (const { key } of SUMMED) {
    if (isIdle && USED.has(key)) continue;
    const value = placed.group[key];
    const sum = figures[key];
    figures[key] = sum === null ? value : value === null ? sum : sum + value;
  }
  sums.idle += placed.idle;
}

function toItem({ key, name, figures: f, idle }: Sums): AllocationItem {
  const parts = [f.cpu, f.ram, f.gpu, f.storage, f.network, f.loadBalancer, f.overhead, idle];
  const efficiency = (usage: number | null, request: number | null) =>
    usage !== null && request !== null && request > 0 ? roundCost(usage / request) : null;
  return {
    key,
    name,
    cpu: roundCost(f.cpu),
    ram: roundCost(f.ram),
    gpu: roundCost(f.gpu),
    storage: roundCost(f.storage),
    network: roundCost(f.network),
    loadBalancer: roundCost(f.loadBalancer),
    overhead: roundCost(f.overhead),
    idle: roundCost(idle),
    total: roundCost(parts.reduce((a, b) => a + b, 0)),
    cpuCoreHours: roundCost(f.cpuCoreHours),
    ramByteHours: roundCost(f.ramByteHours),
    cpuEfficiency: efficiency(f.cpuUsageCoreHours, f.cpuRequestCoreHours),
    ramEfficiency: efficiency(f.ramUsageByteHours, f.ramRequestByteHours),
  };
}

function sumOf<T>(values: readonly T[], f: (value: T) => number): number {
  return values.reduce((sum, value) => sum + f(value), 0);
}
