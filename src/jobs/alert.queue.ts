import { Queue } from 'bullmq';
import type { AlertClaims, AlertJobs } from '../domain/ports';
import type { BudgetAlert } from '../domain/budget';
import { COMMAND_TIMEOUT_MS, unavailableOn, withTimeout, type RedisConnection } from './redis.connection';

/** The BullMQ queue of budget work: `evaluate` (an organization's budgets, or all) and `deliver`. */
export const ALERT_QUEUE = 'budget-alerts';
const DAILY_SCHEDULER = 'budget-evaluation-daily';

export type AlertJobData =
  | { kind: 'evaluate'; organizationId: string | null; reason: string }
  | { kind: 'deliver'; organizationId: string; alertId: string };

export interface AlertQueueOptions {
  redis: RedisConnection;
  prefix: string;
  /** Tries per delivery (ALERT_DELIVERY_ATTEMPTS). */
  deliveryAttempts: number;
  /** First retry delay of a delivery, doubled at each retry (ALERT_DELIVERY_BACKOFF_MS). */
  deliveryBackoffMs: number;
}

/** Producer side of the alert jobs, and the daily evaluation's schedule. */
export class AlertQueue implements AlertJobs {
  private queue?: Queue<AlertJobData>;

  constructor(private readonly options: AlertQueueOptions) {}

  get bull(): Queue<AlertJobData> {
    if (this.queue) return this.queue;
    this.queue = new Queue<AlertJobData>(ALERT_QUEUE, {
      connection: this.options.redis.producer(),
      prefix: this.options.prefix,
      defaultJobOptions: {
        removeOnComplete: { age: 7 * 86_400, count: 10_000 },
        removeOnFail: { age: 30 * 86_400 },
      },
    });
    this.queue.on('error', () => undefined);
    return this.queue;
  }

  async requestEvaluation(organizationId: string | null, reason: string): Promise<void> {
    await this.options.redis.readyProducer('queueing a budget evaluation');
    await this.add(() =>
      this.bull.add(
        'evaluate',
        { kind: 'evaluate', organizationId, reason },
        { attempts: 3, backoff: 5_000 },
      ),
    );
  }

  async deliver(alert: Pick<BudgetAlert, 'id' | 'organizationId'>): Promise<void> {
    await this.options.redis.readyProducer('queueing an alert delivery');
    await this.add(() =>
      this.bull.add(
        'deliver',
        { kind: 'deliver', organizationId: alert.organizationId, alertId: alert.id },
        {
          // One delivery job per alert, whoever asks twice.
          jobId: `deliver.${alert.id}`,
          attempts: this.options.deliveryAttempts,
          backoff: { type: 'exponential', delay: this.options.deliveryBackoffMs },
        },
      ),
    );
  }

  /** Every budget evaluated once a day (idempotent: any number of processes agree on one schedule). */
  async schedule(cron: string): Promise<void> {
    await this.add(() =>
      this.bull.upsertJobScheduler(
        DAILY_SCHEDULER,
        { pattern: cron, tz: 'UTC' },
        { name: 'evaluate', data: { kind: 'evaluate', organizationId: null, reason: 'daily' } },
      ),
    );
  }

  private async add(operation: () => Promise<unknown>): Promise<void> {
    await unavailableOn(this.options.redis, 'queueing alert work', () =>
      withTimeout(operation(), COMMAND_TIMEOUT_MS, 'queueing alert work'),
    );
  }

  async close(): Promise<void> {
    await this.queue?.close();
  }
}

/** Threshold claims in Redis: SET NX with a time to live, atomic across every process. */
export class RedisAlertClaims implements AlertClaims {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    const client = await this.redis.readyProducer('firing a budget alert');
    const result = await withTimeout(
      client.set(`${this.prefix}:budget-alert-claim:${key}`, String(Date.now()), 'EX', ttlSeconds, 'NX'),
      COMMAND_TIMEOUT_MS,
      'claiming a budget alert',
    );
    return result === 'OK';
  }
}
