import { Queue, Worker } from 'bullmq';
import type { Logger } from '../logger';
import type { AggregationRun, ScheduleKind } from '../domain/aggregation-run';
import { withTimeout, type RedisConnection } from './redis.connection';

/** The queue of the fan-out ticks; the runs themselves go to K8S_COST_QUEUE. */
export const K8S_COST_SCHEDULE_QUEUE = 'k8s-cost-schedule';

/** The two job schedulers: the daily final runs and the running day's refresh. */
export const DAILY_SCHEDULER_ID = 'k8s-cost-daily';
export const PROVISIONAL_SCHEDULER_ID = 'k8s-cost-provisional';

/** `daily`: yesterday (final) and the re-run days; `provisional`: today's running cost. */
interface TickData {
  kind: ScheduleKind;
}

export interface K8sCostSchedulerOptions {
  redis: RedisConnection;
  prefix: string;
  /** K8S_AGGREGATION_CRON, evaluated in UTC. */
  cron: string;
  /** K8S_PROVISIONAL_REFRESH_MINUTES; 0 removes the provisional scheduler. */
  provisionalRefreshMinutes: number;
  /** Plans and enqueues the runs of one tick (AggregationRunService.enqueueScheduled). */
  fanOut(kind: ScheduleKind): Promise<AggregationRun[]>;
  logger: Logger;
  /** How often the schedules are checked and re-created if Redis lost them (default 60 s). */
  checkEveryMs?: number;
}

/**
 * Keeps two BullMQ job schedulers (`upsertJobScheduler`, idempotent: any number of scheduler
 * processes agree on one schedule, and a changed cron replaces the old one) and processes their
 * ticks: each tick fans out one run per active cluster for the days of its kind. A tick is a job
 * like any other, so it is taken by exactly one scheduler process, retried if the store is down,
 * and picked up again if its process dies.
 */
export class K8sCostScheduler {
  private queue?: Queue<TickData>;
  private worker?: Worker<TickData, number>;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: K8sCostSchedulerOptions) {}

  async start(): Promise<void> {
    const { redis, prefix, cron, provisionalRefreshMinutes, logger } = this.options;
    const queue = new Queue<TickData>(K8S_COST_SCHEDULE_QUEUE, {
      connection: redis.get(),
      prefix,
      defaultJobOptions: {
        attempts: 5,
        backoff: { type: 'exponential', delay: 10_000 },
        removeOnComplete: { count: 200 },
        removeOnFail: { count: 200 },
      },
    });
    this.queue = queue;
    queue.on('error', (error) => logger.warn({ err: error }, 'aggregation schedule queue: Redis error'));
    await this.ensureSchedules();
    // Redis may lose its data (a restart without persistence, a failover to an empty replica):
    // the schedules are checked and re-created, so daily costs do not silently stop.
    this.timer = setInterval(() => {
      this.recreateMissing().catch((error: unknown) =>
        logger.warn({ err: error }, 'aggregation schedules could not be checked'),
      );
    }, this.options.checkEveryMs ?? 60_000);
    this.timer.unref();
    this.worker = new Worker<TickData, number>(
      K8S_COST_SCHEDULE_QUEUE,
      async (job) => (await this.options.fanOut(job.data.kind)).length,
      { connection: redis.get(), prefix, concurrency: 1 },
    );
    this.worker.on('completed', (job, count) =>
      logger.info({ kind: job.data.kind, runs: count }, 'aggregation fan-out enqueued runs'),
    );
    this.worker.on('failed', (job, error) =>
      logger.warn({ kind: job?.data.kind, err: error }, 'aggregation fan-out failed'),
    );
    this.worker.on('error', (error) => logger.error({ err: error }, 'aggregation scheduler error'));
    logger.info({ cron, tz: 'UTC', provisionalRefreshMinutes }, 'aggregation scheduler started');
  }

  /** The schedulers that should exist, with their repeat and tick. */
  private async ensureSchedules(): Promise<void> {
    const queue = this.queue as Queue<TickData>;
    const { cron, provisionalRefreshMinutes } = this.options;
    const tickOpts = { attempts: 5, backoff: { type: 'exponential', delay: 10_000 } };
    await queue.upsertJobScheduler(
      DAILY_SCHEDULER_ID,
      { pattern: cron, tz: 'UTC' },
      { name: 'fan-out', data: { kind: 'daily' }, opts: tickOpts },
    );
    if (provisionalRefreshMinutes > 0) {
      await queue.upsertJobScheduler(
        PROVISIONAL_SCHEDULER_ID,
        { every: provisionalRefreshMinutes * 60_000 },
        { name: 'fan-out', data: { kind: 'provisional' }, opts: tickOpts },
      );
    } else {
      await queue.removeJobScheduler(PROVISIONAL_SCHEDULER_ID);
    }
  }

  /** The scheduler ids this process keeps that Redis does not hold (all of them before start). */
  async missingSchedules(): Promise<string[]> {
    const queue = this.queue;
    const wanted = [
      DAILY_SCHEDULER_ID,
      ...(this.options.provisionalRefreshMinutes > 0 ? [PROVISIONAL_SCHEDULER_ID] : []),
    ];
    if (!queue) return wanted;
    const found = await withTimeout(
      Promise.all(wanted.map((id) => queue.getJobScheduler(id))),
      2_000,
      'reading the aggregation schedules',
    );
    return wanted.filter((_, i) => !found[i]);
  }

  /** Re-creates the schedules when Redis lost any of them; returns the ids that were missing. */
  async recreateMissing(): Promise<string[]> {
    const missing = await this.missingSchedules();
    if (missing.length && this.queue) {
      await this.ensureSchedules();
      this.options.logger.warn({ missing }, 'aggregation schedules were missing from Redis: re-created');
    }
    return missing;
  }

  /** Stops processing ticks, then closes the schedule queue. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    const worker = this.worker;
    const queue = this.queue;
    this.worker = undefined;
    this.queue = undefined;
    let first: unknown;
    for (const step of [() => worker?.close(), () => queue?.close()]) {
      try {
        await step();
      } catch (error) {
        first ??= error;
      }
    }
    if (first !== undefined) throw first;
  }
}
