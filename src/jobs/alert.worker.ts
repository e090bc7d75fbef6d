import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from '../logger';
import type { BudgetAlert } from '../domain/budget';
import { ALERT_QUEUE, type AlertJobData } from './alert.queue';
import type { RedisConnection } from './redis.connection';

/** What the alert jobs call: evaluation and one delivery attempt (BudgetService). */
export interface AlertProcessor {
  evaluate(organizationId: string): Promise<BudgetAlert[]>;
  organizationsWithBudgets(): Promise<string[]>;
  deliver(
    organizationId: string,
    alertId: string,
    attempt: number,
  ): Promise<{ ok: boolean; retry: boolean; error: string | null }>;
}

/**
 * Processes the alert jobs. A delivery that fails with no answer or a 5xx throws, and BullMQ
 * retries it with exponential backoff; a 4xx is final (UnrecoverableError). Every attempt is
 * recorded by the processor before this decides.
 */
export class AlertWorker {
  readonly worker: Worker<AlertJobData>;

  constructor(
    private readonly options: {
      redis: RedisConnection;
      prefix: string;
      processor: AlertProcessor;
      logger: Logger;
      concurrency?: number;
    },
  ) {
    this.worker = new Worker<AlertJobData>(ALERT_QUEUE, (job) => this.process(job), {
      connection: options.redis.get(),
      prefix: options.prefix,
      name: `${os.hostname()}:${process.pid}`,
      concurrency: options.concurrency ?? 4,
    });
    this.worker.on('failed', (job, error) => {
      if (!job) return;
      options.logger.warn(
        { job: job.id, kind: job.data.kind, attempts: job.attemptsMade },
        `alert job failed: ${error.message.slice(0, 300)}`,
      );
    });
    this.worker.on('error', (error) => options.logger.error({ err: error }, 'alert worker error'));
  }

  private async process(job: Job<AlertJobData>): Promise<unknown> {
    const { processor, logger } = this.options;
    const data = job.data;
    if (data.kind === 'deliver') {
      const result = await processor.deliver(data.organizationId, data.alertId, job.attemptsMade + 1);
      if (result.ok) {
        logger.info({ alert: data.alertId, attempt: job.attemptsMade + 1 }, 'budget alert delivered');
        return { delivered: true };
      }
      if (!result.retry) throw new UnrecoverableError(result.error ?? 'refused');
      throw new Error(result.error ?? 'delivery failed');
    }
    const organizations = data.organizationId
      ? [data.organizationId]
      : await processor.organizationsWithBudgets();
    let fired = 0;
    for (const organizationId of organizations) fired += (await processor.evaluate(organizationId)).length;
    if (fired) logger.info({ reason: data.reason, fired }, 'budget thresholds crossed');
    return { fired };
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}
