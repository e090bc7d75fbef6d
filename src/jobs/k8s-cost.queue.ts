import { randomBytes } from 'node:crypto';
import { Queue, type Job, type JobState } from 'bullmq';
import type {
  AggregationRequest,
  AggregationRun,
  AggregationRunFilter,
  AggregationRunState,
  AggregationRunWritten,
  AggregationTrigger,
} from '../domain/aggregation-run';
import type { AggregationRunQueue } from '../domain/ports';
import { COMMAND_TIMEOUT_MS, unavailableOn, withTimeout, type RedisConnection } from './redis.connection';
import type { Redis } from 'ioredis';

/** The BullMQ queue of cluster-day runs (queue names may not contain ':'). */
export const K8S_COST_QUEUE = 'k8s-cost';

/** What a job carries: the organization too, so runs are listed per organization only. */
export interface K8sCostJobData {
  organizationId: string;
  clusterId: string;
  clusterName: string;
  day: string;
  provisional: boolean;
  trigger: AggregationTrigger;
}

/** What a finished job returns (kept by BullMQ as the job's return value). */
export interface K8sCostJobResult {
  written: AggregationRunWritten;
  provisional: boolean;
  hasData: boolean;
  totalCost: number;
}

/** A job of the run queue, as BullMQ hands it out. */
export type K8sCostJob = Job<K8sCostJobData, K8sCostJobResult>;

/** Finished runs stay visible this long (BullMQ removes them when a later job finishes). */
const KEEP_SUCCEEDED_SECONDS = 7 * 86_400;
const KEEP_FAILED_SECONDS = 30 * 86_400;
/** Most runs of one list call examined (newest first) before it answers with what it found. */
const MAX_SCANNED = 5_000;
const SCAN_BATCH = 200;
/** Longest error text shown with a run. */
const MAX_ERROR = 2_000;

export interface K8sCostQueueOptions {
  redis: RedisConnection;
  /** Key prefix (QUEUE_PREFIX). */
  prefix: string;
  /** Tries per run (K8S_AGGREGATION_ATTEMPTS). */
  attempts: number;
  /** First retry delay in ms, doubled at each retry (K8S_AGGREGATION_BACKOFF_MS). */
  backoffMs: number;
}

/**
 * The producer side of the aggregation jobs and the view of their runs, straight from BullMQ's
 * state in Redis (see README, "Aggregation jobs").
 *
 * Identity and dedup: every run gets its own job id (`<cluster>.<day>.<final|provisional>.<random>`)
 * so a finished run never blocks a new one, and BullMQ's deduplication id
 * `k8s-cost/<cluster>/<day>/<final|provisional>` makes a request for a cluster-day that already has
 * a run of the same kind waiting, retrying or running return that run instead of queueing a twin.
 * Runs of the same cluster-day never compute at the same time: the worker holds a per-cluster-day
 * Redis lock (ClusterDayLock) while it computes, which also covers a final and a provisional run
 * of one day.
 *
 * Every run is also indexed per organization (a sorted set by enqueue time), so listing an
 * organization's runs reads that organization's runs only.
 */
export class K8sCostQueue implements AggregationRunQueue {
  private queue?: Queue<K8sCostJobData, K8sCostJobResult>;

  constructor(private readonly options: K8sCostQueueOptions) {}

  /** The BullMQ queue, created (and connected) on first use. */
  get bull(): Queue<K8sCostJobData, K8sCostJobResult> {
    if (this.queue) return this.queue;
    this.queue = new Queue<K8sCostJobData, K8sCostJobResult>(K8S_COST_QUEUE, {
      // The producer client: a request fails at once while Redis is away (see RedisConnection).
      connection: this.options.redis.producer(),
      prefix: this.options.prefix,
      defaultJobOptions: {
        attempts: this.options.attempts,
        backoff: { type: 'exponential', delay: this.options.backoffMs },
        removeOnComplete: { age: KEEP_SUCCEEDED_SECONDS },
        removeOnFail: { age: KEEP_FAILED_SECONDS },
      },
    });
    // Connection errors reach the callers through their commands (QueueUnavailableError).
    this.queue.on('error', () => undefined);
    return this.queue;
  }

  private indexKey(organizationId: string): string {
    return `${this.options.prefix}:k8s-cost-index:org:${organizationId}`;
  }

  async enqueue(requests: readonly AggregationRequest[]): Promise<AggregationRun[]> {
    if (requests.length === 0) return [];
    await this.options.redis.readyProducer('queueing runs');
    const now = Date.now();
    const jobs = await unavailableOn(this.options.redis, 'queueing runs', () =>
      withTimeout(
        this.bull.addBulk(
          requests.map((request) => {
            const kind = request.provisional ? 'provisional' : 'final';
            const data: K8sCostJobData = {
              organizationId: request.organizationId,
              clusterId: request.clusterId,
              clusterName: request.clusterName,
              day: request.day,
              provisional: request.provisional,
              trigger: request.trigger,
            };
            return {
              name: 'aggregate',
              data,
              opts: {
                jobId: `${safe(request.clusterId)}.${request.day}.${kind}.${now.toString(36)}${randomBytes(4).toString('hex')}`,
                deduplication: { id: `k8s-cost/${request.clusterId}/${request.day}/${kind}` },
              },
            };
          }),
        ),
        COMMAND_TIMEOUT_MS,
        'enqueueing aggregation runs',
      ),
    );
    // From here the runs are queued whatever happens next: an error says so.
    const queued = `${jobs.length} run(s) were queued (${jobs.map((job) => job.id).join(', ')}) but could not be read back`;
    const redis = this.options.redis.producer();
    const pipeline = redis.pipeline();
    const cutoff = now - KEEP_FAILED_SECONDS * 1000;
    requests.forEach((request, i) => {
      const key = this.indexKey(request.organizationId);
      pipeline.zadd(key, 'NX', now, String(jobs[i]?.id));
      pipeline.zremrangebyscore(key, '-inf', cutoff);
    });
    // A deduplicated request answers with the run already queued: read every run back as stored.
    const runs = await unavailableOn(
      this.options.redis,
      'reading the queued runs back',
      async () => {
        await pipeline.exec();
        return this.get(jobs.map((job) => String(job.id)));
      },
      queued,
    );
    return runs.filter((run): run is AggregationRun => run !== null);
  }

  async get(ids: readonly string[]): Promise<(AggregationRun | null)[]> {
    await this.options.redis.readyProducer('reading runs');
    return unavailableOn(this.options.redis, 'reading runs', () =>
      Promise.all(
        ids.map(async (id) => {
          // State first, then the job: a job read after it completed carries its return value.
          const state = await this.bull.getJobState(id);
          const job = (await this.bull.getJob(id)) as K8sCostJob | undefined;
          return job ? toRun(job, state) : null;
        }),
      ),
    );
  }

  async list(organizationId: string, filter: AggregationRunFilter, first: number): Promise<AggregationRun[]> {
    const redis = await this.options.redis.readyProducer('listing runs');
    return unavailableOn(this.options.redis, 'listing runs', () =>
      this.listFrom(redis, organizationId, filter, first),
    );
  }

  private async listFrom(
    redis: Redis,
    organizationId: string,
    filter: AggregationRunFilter,
    first: number,
  ): Promise<AggregationRun[]> {
    const key = this.indexKey(organizationId);
    const clusters = filter.clusterIds?.length ? new Set(filter.clusterIds) : undefined;
    const states = filter.states?.length ? new Set(filter.states) : undefined;
    const out: AggregationRun[] = [];
    for (let offset = 0; out.length < first && offset < MAX_SCANNED; offset += SCAN_BATCH) {
      const ids = await redis.zrevrange(key, offset, offset + SCAN_BATCH - 1);
      if (ids.length === 0) break;
      // States before jobs (see get): a run that completes in between still shows its result.
      const jobStates = await Promise.all(ids.map((id) => this.bull.getJobState(id)));
      const jobs = await Promise.all(
        ids.map((id) => this.bull.getJob(id) as Promise<K8sCostJob | undefined>),
      );
      const gone = ids.filter((_, i) => !jobs[i]);
      if (gone.length) await redis.zrem(key, ...gone);
      const runs = jobs.flatMap((job, i) =>
        job !== undefined &&
        // The index is per organization already; the job's own data is checked again.
        job.data.organizationId === organizationId &&
        (!clusters || clusters.has(job.data.clusterId)) &&
        (!filter.range || (job.data.day >= filter.range.start && job.data.day <= filter.range.end))
          ? [toRun(job, jobStates[i] as JobState | 'unknown')]
          : [],
      );
      for (const run of runs) {
        if (out.length >= first) break;
        if (!states || states.has(run.state)) out.push(run);
      }
      if (ids.length < SCAN_BATCH) break;
    }
    return out;
  }

  /** Closes the BullMQ queue (the Redis connection is closed by its owner). */
  async close(): Promise<void> {
    const queue = this.queue;
    this.queue = undefined;
    await queue?.close();
  }
}

/** BullMQ's job state folded into the five states users see. */
export function runState(state: JobState | 'unknown', attemptsMade: number): AggregationRunState {
  switch (state) {
    case 'active':
      return 'RUNNING';
    case 'completed':
      return 'SUCCEEDED';
    case 'failed':
      return 'FAILED';
    default:
      // waiting, delayed (a backoff, or waiting for another run of the same day), prioritized.
      return attemptsMade > 0 ? 'RETRYING' : 'QUEUED';
  }
}

function toRun(job: K8sCostJob, state: JobState | 'unknown'): AggregationRun {
  const data = job.data;
  const result = state === 'completed' ? (job.returnvalue ?? null) : null;
  const runState_ = runState(state, job.attemptsMade);
  const error =
    runState_ === 'FAILED' || runState_ === 'RETRYING'
      ? (job.failedReason || null)?.slice(0, MAX_ERROR)
      : null;
  const progress = typeof job.progress === 'number' ? job.progress : 0;
  return {
    id: String(job.id),
    organizationId: data.organizationId,
    clusterId: data.clusterId,
    clusterName: data.clusterName,
    day: data.day,
    provisional: result ? result.provisional : data.provisional,
    state: runState_,
    progress:
      runState_ === 'SUCCEEDED' || runState_ === 'FAILED' ? 100 : runState_ === 'RUNNING' ? progress : 0,
    attempts: Math.max(job.attemptsStarted ?? 0, job.attemptsMade),
    maxAttempts: job.opts.attempts ?? 1,
    error: error ?? null,
    enqueuedAt: new Date(job.timestamp),
    startedAt: job.processedOn ? new Date(job.processedOn) : null,
    finishedAt:
      job.finishedOn && (runState_ === 'SUCCEEDED' || runState_ === 'FAILED')
        ? new Date(job.finishedOn)
        : null,
    written: result?.written ?? null,
    totalCost: result ? result.totalCost : null,
    trigger: data.trigger,
  };
}

/** A cluster id as part of a job id: BullMQ refuses ':' in custom ids. */
function safe(id: string): string {
  return id.replace(/:/g, '_');
}
