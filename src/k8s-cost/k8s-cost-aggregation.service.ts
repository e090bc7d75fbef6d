import { tagList, type CloudAccount, type K8sCostBreakdown } from '../domain/model';
import type {
  BillReconciler,
  ClusterResourceLink,
  ReconciliationStore,
  StoredEstimate,
  CloudAccountLookup,
  ExpenseRecord,
  ExpenseWriter,
  K8sBreakdownRecord,
  K8sCostDayRepository,
  NetRow,
  ResourceRecord,
  AggregateDayOptions,
  AggregateDayResult,
  AllocationStore,
} from '../domain/ports';
import { uuidV5 } from '../domain/uuid';
import { groupBy } from '../domain/group-by';
import { K8S_COST_COLUMNS } from '../domain/k8s-cost-components';
import { formatDay, parseDay } from '../domain/days';
import { isSafeTenantId, type K8sCostQuery } from './k8s-cost.queries';
import { roundCost, type K8sCostCalculator } from './k8s-cost.calculator';
import type { ClusterDayEstimate, ReconciledDay } from '../domain/reconciliation';
import { billCandidates } from './provider-id';
import { allocationCorrection, reconcileDay } from './reconcile';

export type AggregationInputCode = 'UNKNOWN_CLUSTER' | 'NOT_A_CLUSTER' | 'BAD_DAY';

/**
 * A job that cannot succeed however often it runs: unknown or deleted cluster, an account that is
 * not a cluster, a malformed day, a day in the future, or a final run of a day not yet over. The
 * queue layer turns it into BullMQ's UnrecoverableError.
 */
export class AggregationInputError extends Error {
  override readonly name = 'AggregationInputError';
  readonly retryable = false;
  constructor(
    readonly code: AggregationInputCode,
    message: string,
  ) {
    super(message);
  }
}

const CLUSTER_NAMESPACE = 'a3f1c9d2-5b7e-4e0a-9c61-2d8f4b7a0e13';

/** The stable id of a cluster's virtual resource: a UUID v5 of the cluster id (names may change). */
export function clusterResourceId(clusterId: string): string {
  return uuidV5(CLUSTER_NAMESPACE, clusterId);
}

type StoredBreakdown = K8sCostBreakdown & { provisional: boolean };

/** Every value a stored breakdown row holds, total included. */
const FIELDS = K8S_COST_COLUMNS.map((c) => c.key);

/** Equal once both sides are rounded to 1e-9 $ (what the calculator writes). */
function sameCost(a: number | null, b: number | null): boolean {
  return a === null || b === null ? a === b : roundCost(a) === roundCost(b);
}

function sameBreakdown(a: StoredBreakdown, b: StoredBreakdown): boolean {
  return a.provisional === b.provisional && FIELDS.every((field) => sameCost(a[field], b[field]));
}

/** The one live row of a clean state (a single value with net sign +1), else undefined. */
function live<T>(rows: readonly NetRow<T>[]): T | undefined {
  return rows.length === 1 && rows[0]?.net === 1 ? rows[0].value : undefined;
}

/** Rows that bring every stored value's net sign to zero: the stored row as -1 (a +1 for a stray -1). */
function cancelling<T>(rows: readonly NetRow<T>[]): { value: T; sign: 1 | -1 }[] {
  return rows.flatMap((row) =>
    Array.from({ length: Math.abs(row.net) }, () => ({
      value: row.value,
      sign: row.net > 0 ? (-1 as const) : 1,
    })),
  );
}

/** Runs one task per key at a time, in call order. */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const tail = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export interface K8sCostAggregationDeps {
  accounts: CloudAccountLookup;
  days: K8sCostDayRepository;
  writer: ExpenseWriter;
  calculator: K8sCostCalculator;
  reconciliation: ReconciliationStore;
  allocations: AllocationStore;
  now?: () => Date;
}

/**
 * Turns one cluster-day of metrics into its rows: the cluster as a virtual resource, one
 * `expenses` row (cost = total) and the `k8s_cost_breakdown` row beside it.
 *
 * Never counted twice. Within a process, runs of the same cluster-day are serialized by a mutex,
 * and each run computes, then reads what is stored (grouped by exact row values) right before it
 * writes: same figures (to 1e-9 $) -> nothing; changed figures -> the stored row as -1 and the new
 * one as +1, in each table independently, so a run interrupted between inserts is repaired by
 * the next (cancels are written first: an interrupted run leaves the day missing, never doubled). Across processes, the BullMQ job id (one job per cluster-day) is what keeps two
 * runs from overlapping; should two still race, the day can hold two live rows until the next run
 * of it, which cancels every stored row and writes one (any state converges to a single +1 row).
 *
 * Provisional rows (the running day) carry provisional=1; the final run replaces them through a
 * correction even when the figures did not change. A provisional run never overwrites a final row.
 */
export class K8sCostAggregationService implements BillReconciler {
  private readonly locks = new KeyedMutex();
  private readonly now: () => Date;

  constructor(private readonly deps: K8sCostAggregationDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The queries of a cluster-day as a job would run them now (for benchmarks and debugging). */
  queries(clusterId: string, day: string): K8sCostQuery[] {
    const now = this.now();
    this.checkInput(clusterId, day, { provisional: true }, now);
    return this.deps.calculator.queries(clusterId, day, now);
  }

  /**
   * Computes and stores one cluster's cost for one UTC day. Throws AggregationInputError for an
   * unknown cluster or a bad day (not retryable), MetricsBackendUnavailableError when the backend
   * is down (retryable), MetricsQueryError when it refuses a query (not retryable).
   */
  async aggregateDay(
    clusterId: string,
    day: string,
    options: AggregateDayOptions,
  ): Promise<AggregateDayResult> {
    const now = this.now();
    this.checkInput(clusterId, day, options, now);
    return this.locks.run(`${clusterId}|${day}`, () => this.aggregateLocked(clusterId, day, options, now));
  }

  private checkInput(clusterId: string, day: string, options: AggregateDayOptions, now: Date): void {
    if (!isSafeTenantId(clusterId))
      throw new AggregationInputError('UNKNOWN_CLUSTER', `cluster ${JSON.stringify(clusterId)} not found`);
    const start = parseDay(day);
    if (!start) throw new AggregationInputError('BAD_DAY', `${JSON.stringify(day)} is not a YYYY-MM-DD day`);
    if (day > formatDay(now)) throw new AggregationInputError('BAD_DAY', `${day} is in the future`);
    if (!options.provisional && !this.deps.calculator.window(day, now).complete)
      throw new AggregationInputError('BAD_DAY', `${day} has not ended yet: aggregate it as provisional`);
  }

  private async aggregateLocked(
    clusterId: string,
    day: string,
    options: AggregateDayOptions,
    now: Date,
  ): Promise<AggregateDayResult> {
    const account = await this.deps.accounts.findById(clusterId);
    if (!account || account.deleted)
      throw new AggregationInputError('UNKNOWN_CLUSTER', `cluster ${JSON.stringify(clusterId)} not found`);
    if (account.type !== 'KUBERNETES')
      throw new AggregationInputError(
        'NOT_A_CLUSTER',
        `cloud account ${JSON.stringify(clusterId)} is ${account.type}, not a Kubernetes cluster`,
      );
    const resourceId = clusterResourceId(clusterId);
    const { breakdown, hasData, nodes, volumes, allocation } = await this.deps.calculator.compute(
      clusterId,
      day,
      now,
    );

    // Read right before writing (inside the lock): the comparison is against the newest state.
    const stored = await this.deps.days.storedDay(clusterId, resourceId, day);
    const storedLive = live(stored.breakdowns);
    const unchanged = (result: StoredBreakdown): AggregateDayResult => {
      const { provisional, ...costs } = result;
      return { written: 'none', breakdown: costs, provisional, resourceId, hasData };
    };
    // No metrics at all in the window (backfilling before the cluster existed, or data past
    // retention): write nothing rather than a zero day, and keep whatever is stored.
    if (!hasData) return unchanged(storedLive ?? { ...breakdown, provisional: options.provisional });
    // Dimensions follow the account (renamed, region or version from kubecost_cluster_info) even
    // when the figures do not change; the row is rewritten only when something differs.
    await this.upsertResource(account, resourceId, day);
    if (options.provisional && storedLive && !storedLive.provisional) return unchanged(storedLive);

    const estimate: StoredEstimate = {
      clusterId,
      date: day,
      provisional: options.provisional,
      estimate: { breakdown, nodes, volumes },
    };
    await this.deps.reconciliation.saveEstimates([estimate]);
    const lines = await this.deps.reconciliation.billedLines(
      account.organizationId,
      day,
      day,
      candidatesOf(estimate.estimate),
    );
    const reconciled = reconcileDay(day, estimate.estimate, lines);
    // The workload split first: a run that dies after it rewrites it on retry; the cluster's
    // rows are what the run's outcome is judged by.
    await this.deps.allocations.replaceDay(
      account.organizationId,
      clusterId,
      day,
      allocation,
      allocationCorrection(reconciled),
    );
    const written = await this.settle(
      account.organizationId,
      clusterId,
      reconciled,
      options.provisional,
      stored,
    );
    return {
      written,
      breakdown: reconciled.reconciled,
      provisional: options.provisional,
      resourceId,
      hasData,
    };
  }

  /**
   * Reconciles the organization's stored cluster-days in [from, to] with the bills as they are
   * now: run after a bill import, so the cluster costs and the unified totals follow a bill that
   * arrived after the cluster-day was computed, or a corrected one. The same -1/+1 corrections
   * as a run; a cluster-day whose figures did not change writes nothing.
   */
  async reconcileOrganization(organizationId: string, from: string, to: string): Promise<number> {
    const estimates = await this.deps.reconciliation.estimates(organizationId, from, to);
    const byCluster = groupBy(estimates, (e) => e.clusterId);
    for (const [clusterId, days] of byCluster) {
      const candidates = { exact: [] as string[], suffixes: [] as string[] };
      for (const e of days) {
        const c = candidatesOf(e.estimate);
        candidates.exact.push(...c.exact);
        candidates.suffixes.push(...c.suffixes);
      }
      candidates.exact = [...new Set(candidates.exact)];
      candidates.suffixes = [...new Set(candidates.suffixes)];
      const first = days[0]?.date ?? from;
      const last = days[days.length - 1]?.date ?? to;
      const lines = await this.deps.reconciliation.billedLines(organizationId, first, last, candidates);
      for (const e of days) {
        await this.locks.run(`${clusterId}|${e.date}`, async () => {
          const stored = await this.deps.days.storedDay(clusterId, clusterResourceId(clusterId), e.date);
          const storedLive = live(stored.breakdowns);
          // A run of the day after our read of the estimates has reconciled it already.
          if (storedLive && storedLive.provisional !== e.provisional) return;
          const reconciled = reconcileDay(e.date, e.estimate, lines);
          await this.deps.allocations.correct(
            organizationId,
            clusterId,
            e.date,
            allocationCorrection(reconciled),
          );
          await this.settle(organizationId, clusterId, reconciled, e.provisional, stored);
        });
      }
    }
    return estimates.length;
  }

  /**
   * Brings the stored cluster-day to the reconciled figures: the expenses row holds what no bill
   * carries (the unified totals count each dollar once), the breakdown row the whole reconciled
   * cost of the cluster. Each table independently: nothing when equal (to 1e-9 $), else the stored
   * row as -1 and the new one as +1.
   */
  private async settle(
    organizationId: string,
    clusterId: string,
    day: ReconciledDay,
    provisional: boolean,
    stored: Awaited<ReturnType<K8sCostAggregationDeps['days']['storedDay']>>,
  ): Promise<AggregateDayResult['written']> {
    const resourceId = clusterResourceId(clusterId);
    const computed: StoredBreakdown = { ...day.reconciled, provisional };
    const storedLive = live(stored.breakdowns);
    const base = { cloudAccountId: clusterId, resourceId, date: day.date };
    const expenseRows: ExpenseRecord[] = [];
    const storedCost = live(stored.expenses);
    if (storedCost === undefined || !sameCost(storedCost, day.unbilled)) {
      for (const row of cancelling(stored.expenses))
        expenseRows.push({ ...base, cost: row.value, sign: row.sign });
      expenseRows.push({ ...base, cost: day.unbilled, sign: 1 });
    }
    const breakdownRows: K8sBreakdownRecord[] = [];
    if (!storedLive || !sameBreakdown(storedLive, computed)) {
      for (const row of cancelling(stored.breakdowns))
        breakdownRows.push({ ...base, ...row.value, sign: row.sign });
      breakdownRows.push({ ...base, ...computed, sign: 1 });
    }
    const links: ClusterResourceLink[] = day.resources.flatMap((r) =>
      r.billResourceId
        ? [{ resourceId: r.billResourceId, clusterId, kind: r.kind, lastMatched: day.date }]
        : [],
    );
    await this.deps.reconciliation.saveLinks(organizationId, links);
    if (!expenseRows.length && !breakdownRows.length) return 'none';

    // One row per insert, cancels first. ClickHouse collapses each inserted block as a merge
    // would (optimize_on_insert): two identical -1 rows in one block keep only one, and a block
    // with more -1 than +1 rows drops its +1. Cancels before the new row: if the process dies in
    // between, the day is missing until the next run, never counted twice.
    for (const row of expenseRows) await this.deps.writer.insertExpenses([row]);
    for (const row of breakdownRows) await this.deps.writer.insertK8sBreakdown([row]);
    return stored.expenses.length + stored.breakdowns.length ? 'correction' : 'new';
  }

  /** The cluster as a virtual resource; written only when a dimension or its seen-range changes. */
  private async upsertResource(account: CloudAccount, resourceId: string, day: string): Promise<void> {
    const existing = await this.deps.days.getResource(account.organizationId, resourceId);
    const tags: Record<string, string> = { ...existing?.tags };
    if (account.k8sProvider) tags.k8s_provider = account.k8sProvider;
    if (account.version) tags.k8s_version = account.version;
    const wanted: ResourceRecord = {
      id: resourceId,
      organizationId: account.organizationId,
      cloudAccountId: account.id,
      cloudResourceId: account.id,
      name: account.name,
      resourceType: 'K8s Cluster',
      region: account.region,
      service: 'Kubernetes',
      owner: account.owner,
      tags,
      firstSeen: existing && existing.firstSeen < day ? existing.firstSeen : day,
      lastSeen: existing && existing.lastSeen > day ? existing.lastSeen : day,
    };
    if (!existing || canonical(existing) !== canonical(wanted))
      await this.deps.writer.upsertResources([wanted]);
  }
}

/** What a bill's ResourceId may look like for any node or volume of the day. */
function candidatesOf(estimate: ClusterDayEstimate): { exact: string[]; suffixes: string[] } {
  const exact = new Set<string>();
  const suffixes = new Set<string>();
  const add = (c: { exact: string[]; suffixes: string[] }) => {
    c.exact.forEach((v) => exact.add(v));
    c.suffixes.forEach((v) => suffixes.add(v));
  };
  for (const node of estimate.nodes) add(billCandidates('node', node.providerId));
  for (const volume of estimate.volumes) add(billCandidates('volume', volume.providerId));
  return { exact: [...exact], suffixes: [...suffixes] };
}

function canonical(resource: ResourceRecord): string {
  const tags = tagList(resource.tags);
  return JSON.stringify({ ...resource, tags });
}
