import type { DayRange } from './model';

/** Where a run is, as users see it (BullMQ's states folded into five). */
export const AGGREGATION_RUN_STATES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'RETRYING'] as const;
export type AggregationRunState = (typeof AGGREGATION_RUN_STATES)[number];

/** What a finished run wrote: nothing (same figures), a first row, or a -1/+1 correction. */
export type AggregationRunWritten = 'none' | 'new' | 'correction';

/** Who asked for a run. */
export type AggregationTrigger = 'schedule' | 'api' | 'cli';

/** One cluster-day to aggregate, as queued. */
export interface AggregationRequest {
  organizationId: string;
  clusterId: string;
  clusterName: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** The day has not ended when requested: the result is marked provisional. */
  provisional: boolean;
  trigger: AggregationTrigger;
}

/** One run of the aggregation of a cluster-day. */
export interface AggregationRun {
  id: string;
  organizationId: string;
  clusterId: string;
  clusterName: string;
  day: string;
  /** As requested; once finished, as written (a provisional run never replaces a final day). */
  provisional: boolean;
  state: AggregationRunState;
  /** 0 queued, 10 computing, 100 finished (a run is one backend round of queries and a write). */
  progress: number;
  /** Attempts started so far (a retry or a pick-up after a worker died counts). */
  attempts: number;
  maxAttempts: number;
  /** Why the last attempt failed (FAILED, RETRYING), else null. */
  error: string | null;
  enqueuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  written: AggregationRunWritten | null;
  /** The cluster-day's total cost after the run (US dollars), once SUCCEEDED. */
  totalCost: number | null;
  trigger: AggregationTrigger;
}

/** Filters of `aggregationRuns`; every given list must match. */
export interface AggregationRunFilter {
  clusterIds?: readonly string[];
  states?: readonly AggregationRunState[];
  /** Runs whose day falls in the range. */
  range?: DayRange;
}

/** What a scheduler tick plans: `daily` = yesterday + re-run days (final), `provisional` = today. */
export type ScheduleKind = 'daily' | 'provisional';
