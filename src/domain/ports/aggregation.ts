import type { CloudAccount, K8sCostBreakdown } from '../model';
import type {
  AggregationRequest,
  AggregationRun,
  AggregationRunFilter,
  AggregationRunWritten,
} from '../aggregation-run';

/** The queue of cluster-day runs, as the run service needs it (BullMQ implements it: K8sCostQueue). */
export interface AggregationRunQueue {
  /** Queues runs; a cluster-day with a run of the same kind already pending answers with that run. */
  enqueue(requests: readonly AggregationRequest[]): Promise<AggregationRun[]>;
  /** Runs by id, whatever their organization (null: unknown or expired). */
  get(ids: readonly string[]): Promise<(AggregationRun | null)[]>;
  /** The organization's runs, newest first. */
  list(organizationId: string, filter: AggregationRunFilter, first: number): Promise<AggregationRun[]>;
}

/** Where the clusters are looked up (the cloud account repository). */
export interface ClusterDirectory {
  list(organizationId: string, type?: 'KUBERNETES'): Promise<CloudAccount[]>;
  getMany(organizationId: string, ids: readonly string[]): Promise<CloudAccount[]>;
  /** Global on purpose: a queued run names its cluster; the run was scoped when it was queued. */
  findById(id: string): Promise<CloudAccount | null>;
  /** Global on purpose: the daily schedule computes every organization's clusters. */
  listActiveClusters(): Promise<CloudAccount[]>;
}

export interface AggregateDayOptions {
  /** The day is still running (or not yet final): its breakdown row is marked provisional. */
  provisional: boolean;
}

export interface AggregateDayResult {
  written: AggregationRunWritten;
  /** The breakdown the store holds for the day after the call. */
  breakdown: K8sCostBreakdown;
  /** Whether that stored breakdown is provisional. */
  provisional: boolean;
  /** The cluster's virtual resource id (expenses.resource_id). */
  resourceId: string;
  /** The cluster sent metrics in the day's window; without any, nothing is written. */
  hasData: boolean;
}

/**
 * What a run computes with (K8sCostAggregationService; a stand-in in the queue tests). A failure
 * carrying `retryable: false` is final (see `isRetryable` in src/errors.ts); any other is retried.
 */
export interface DayAggregator {
  aggregateDay(clusterId: string, day: string, options: AggregateDayOptions): Promise<AggregateDayResult>;
}
