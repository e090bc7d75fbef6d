import os from 'node:os';
import { DelayedError, UnrecoverableError, Worker } from 'bullmq';
import type { Logger } from '../logger';
import { MetricsError, type DayAggregator } from '../domain/ports';
import { isRetryable } from '../errors';
import { ClusterDayLock } from './cluster-day.lock';
import {
  K8S_COST_QUEUE,
  type K8sCostJob,
  type K8sCostJobData,
  type K8sCostJobResult,
} from './k8s-cost.queue';
import type { RedisConnection } from './redis.connection';

export interface K8sCostWorkerOptions {
  redis: RedisConnection;
  prefix: string;
  aggregation: DayAggregator;
  logger: Logger;
  /** Runs computed at the same time by this worker (K8S_AGGREGATION_CONCURRENCY). */
  concurrency: number;
  /**
   * BullMQ job lock (K8S_AGGREGATION_LOCK_MS), renewed every half of it while a run computes. The
   * stalled-job check runs as often, so the run of a worker that died is handed out again after
   * about two of these; the cluster-day lock lives as long.
   */
  lockMs: number;
  /** Shown on the jobs it takes; default host:pid. */
  name?: string;
  /** Told after each run that finished (the organization's budgets are evaluated again). */
  onCompleted?: (data: K8sCostJobData) => void;
}

/** Progress of a run that holds its cluster-day and is computing. */
const COMPUTING = 10;

/**
 * Processes aggregation runs: takes the cluster-day lock (or puts the run back for a moment when
 * another run of the same cluster-day computes), computes the day, and says whether a failure is
 * worth a retry: bad input (unknown or deleted cluster, a bad day) and queries the backend refuses
 * become BullMQ's UnrecoverableError and fail at once; an unreachable backend or store propagates,
 * and BullMQ retries with exponential backoff.
 */
export class K8sCostWorker {
  readonly worker: Worker<K8sCostJobData, K8sCostJobResult>;
  private readonly lock: ClusterDayLock;
  private readonly lockRetryMs: number;

  constructor(private readonly options: K8sCostWorkerOptions) {
    this.lock = new ClusterDayLock(() => options.redis.get(), options.prefix, options.lockMs);
    this.lockRetryMs = Math.min(5_000, Math.max(250, Math.floor(options.lockMs / 4)));
    this.worker = new Worker<K8sCostJobData, K8sCostJobResult>(
      K8S_COST_QUEUE,
      (job, token) => this.process(job, token),
      {
        connection: options.redis.get(),
        prefix: options.prefix,
        name: options.name ?? `${os.hostname()}:${process.pid}`,
        concurrency: options.concurrency,
        lockDuration: options.lockMs,
        stalledInterval: options.lockMs,
        // A run whose worker died twice is failed rather than handed out forever.
        maxStalledCount: 2,
      },
    );
    const { logger } = options;
    this.worker.on('failed', (job, error) => {
      if (!job) return;
      const retrying = !(error instanceof UnrecoverableError) && job.attemptsMade < (job.opts.attempts ?? 1);
      // The run's error (what clients see) names no URL or PromQL; the log keeps both.
      const metrics = error instanceof MetricsError ? { query: error.query, detail: error.detail } : {};
      logger.warn(
        {
          run: job.id,
          cluster: job.data.clusterId,
          day: job.data.day,
          attempts: job.attemptsMade,
          retrying,
          ...metrics,
        },
        `aggregation run failed: ${error.message.slice(0, 500)}`,
      );
    });
    this.worker.on('completed', (job) => options.onCompleted?.(job.data));
    this.worker.on('stalled', (jobId) =>
      logger.warn({ run: jobId }, 'aggregation run stalled; handed out again'),
    );
    this.worker.on('error', (error) => logger.error({ err: error }, 'aggregation worker error'));
  }

  private async process(job: K8sCostJob, token?: string): Promise<K8sCostJobResult> {
    const { clusterId, day, provisional } = job.data;
    const held = await this.lock.tryAcquire(clusterId, day);
    if (!held) {
      // Another run of this cluster-day is computing: come back shortly, without using an attempt.
      await job.moveToDelayed(Date.now() + this.lockRetryMs, token);
      throw new DelayedError();
    }
    try {
      await job.updateProgress(COMPUTING);
      const started = performance.now();
      const result = await this.options.aggregation.aggregateDay(clusterId, day, { provisional });
      this.options.logger.info(
        {
          run: job.id,
          cluster: clusterId,
          day,
          provisional: result.provisional,
          written: result.written,
          totalCost: result.breakdown.total,
          ms: Math.round(performance.now() - started),
        },
        'aggregated cluster-day',
      );
      return {
        written: result.written,
        provisional: result.provisional,
        hasData: result.hasData,
        totalCost: result.breakdown.total,
      };
    } catch (error) {
      if (isRetryable(error)) throw error;
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      throw new UnrecoverableError(`${name}: ${message}`);
    } finally {
      await held.release().catch(() => undefined);
    }
  }

  /** Stops taking runs and waits for the ones computing to finish. */
  async close(): Promise<void> {
    await this.worker.close();
  }
}
