import type { CloudAccount, DayRange } from '../domain/model';
import type { AggregationRunQueue, ClusterDirectory } from '../domain/ports';
import type {
  AggregationRequest,
  AggregationRun,
  AggregationRunFilter,
  AggregationTrigger,
  ScheduleKind,
} from '../domain/aggregation-run';
import { AGGREGATION_RUN_STATES } from '../domain/aggregation-run';
import { addDays, eachDay, formatDay } from '../domain/days';
import { badInput, notFound } from '../errors';
import { validateRange } from './ranges';

export interface AggregationRunServiceOptions {
  /** Days before yesterday aggregated again at every daily run (K8S_AGGREGATION_RERUN_DAYS). */
  rerunDays: number;
  now?: () => Date;
}

/** Largest number of cluster-days one request may queue. */
export const MAX_RUNS_PER_REQUEST = 10_000;
/** Largest page of `aggregationRuns`. */
export const MAX_RUNS_PAGE = 500;
/** Values any list argument may hold. */
const MAX_LIST_INPUT = 1000;

/** The days a scheduler tick covers at `now`, each with whether it is still running. */
export function scheduledDays(
  kind: ScheduleKind,
  now: Date,
  rerunDays: number,
): { day: string; provisional: boolean }[] {
  const today = formatDay(now);
  if (kind === 'provisional') return [{ day: today, provisional: true }];
  return Array.from({ length: rerunDays + 1 }, (_, i) => ({
    day: addDays(today, -1 - i),
    provisional: false,
  }));
}

/**
 * Requests aggregation runs (a backfill from the API or the CLI, or a scheduler tick) and shows
 * them. Every request is checked against the caller's organization: another organization's
 * cluster is NOT_FOUND, and an organization only ever lists its own runs.
 */
export class AggregationRunService {
  private readonly now: () => Date;

  constructor(
    private readonly clusters: ClusterDirectory,
    private readonly queue: AggregationRunQueue,
    private readonly options: AggregationRunServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Queues one run per cluster and day of `range`. `organizationId` null (operator CLI): clusters
   * of any organization. No `clusterIds`: every live cluster in scope. Days that have not ended
   * are queued as provisional; days in the future are refused.
   */
  async request(
    organizationId: string | null,
    input: { clusterIds?: readonly string[] | null; range: DayRange },
    trigger: AggregationTrigger,
  ): Promise<AggregationRun[]> {
    const range = validateRange({ start: input.range.start, end: input.range.end }, 'input.range');
    const today = formatDay(this.now());
    if (range.end > today)
      throw badInput('input.range.end', `${range.end} has not started yet (today is ${today} UTC)`);
    if (input.clusterIds && input.clusterIds.length > MAX_LIST_INPUT)
      throw badInput('input.clusterIds', `at most ${MAX_LIST_INPUT} ids`);
    const clusters = await this.resolveClusters(organizationId, input.clusterIds);
    const days = eachDay(range.start, range.end);
    if (clusters.length * days.length > MAX_RUNS_PER_REQUEST)
      throw badInput(
        'input.range',
        `${clusters.length} clusters x ${days.length} days is more than ${MAX_RUNS_PER_REQUEST} runs; split the range`,
      );
    return this.queue.enqueue(
      clusters.flatMap((cluster) => days.map((day) => toRequest(cluster, day, day >= today, trigger))),
    );
  }

  /** Plans and queues a scheduler tick's runs: every live cluster of every organization. */
  async enqueueScheduled(kind: ScheduleKind): Promise<AggregationRun[]> {
    const days = scheduledDays(kind, this.now(), this.options.rerunDays);
    const clusters = await this.clusters.listActiveClusters();
    return this.queue.enqueue(
      clusters.flatMap((cluster) =>
        days.map(({ day, provisional }) => toRequest(cluster, day, provisional, 'schedule')),
      ),
    );
  }

  /** The organization's runs, newest first, filtered. */
  async list(
    organizationId: string,
    filter: AggregationRunFilter | undefined,
    first = 50,
  ): Promise<AggregationRun[]> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_RUNS_PAGE)
      throw badInput('first', `must be an integer from 1 to ${MAX_RUNS_PAGE}`);
    for (const name of ['clusterIds', 'states'] as const)
      if ((filter?.[name]?.length ?? 0) > MAX_LIST_INPUT)
        throw badInput(`filter.${name}`, `at most ${MAX_LIST_INPUT} values`);
    const checked: AggregationRunFilter = {
      clusterIds: filter?.clusterIds ?? undefined,
      states: filter?.states ?? undefined,
      range: filter?.range ? validateRange(filter.range, 'filter.range') : undefined,
    };
    for (const state of checked.states ?? [])
      if (!AGGREGATION_RUN_STATES.includes(state)) throw badInput('filter.states', `unknown state ${state}`);
    return this.queue.list(organizationId, checked, first);
  }

  /** Runs by id for an operator (the CLI watching what it queued); no organization scope. */
  async get(ids: readonly string[]): Promise<(AggregationRun | null)[]> {
    return this.queue.get(ids);
  }

  private async resolveClusters(
    organizationId: string | null,
    ids: readonly string[] | null | undefined,
  ): Promise<CloudAccount[]> {
    if (ids === null || ids === undefined) {
      if (organizationId !== null) return this.clusters.list(organizationId, 'KUBERNETES');
      return this.clusters.listActiveClusters();
    }
    if (ids.length === 0)
      throw badInput('input.clusterIds', 'give at least one cluster id, or leave it out for every cluster');
    const unique = [...new Set(ids)];
    const found =
      organizationId === null
        ? (await Promise.all(unique.map((id) => this.clusters.findById(id)))).filter(
            (account): account is CloudAccount => account !== null,
          )
        : await this.clusters.getMany(organizationId, unique);
    const live = new Map(
      found.filter((account) => account.type === 'KUBERNETES' && !account.deleted).map((a) => [a.id, a]),
    );
    // Another organization's cluster is indistinguishable from a missing one.
    const missing = unique.find((id) => !live.has(id));
    if (missing !== undefined) throw notFound('cluster', missing);
    return unique.map((id) => live.get(id) as CloudAccount);
  }
}

function toRequest(
  cluster: CloudAccount,
  day: string,
  provisional: boolean,
  trigger: AggregationTrigger,
): AggregationRequest {
  return {
    organizationId: cluster.organizationId,
    clusterId: cluster.id,
    clusterName: cluster.name,
    day,
    provisional,
    trigger,
  };
}
