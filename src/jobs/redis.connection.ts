import { Redis } from 'ioredis';
import { DomainError } from '../errors';

/** How long a producer call (enqueue, quit) waits for Redis before it gives up. */
export const COMMAND_TIMEOUT_MS = 10_000;

/** How long a request waits for a Redis that is not connected before it is told to retry. */
const PRODUCER_WAIT_MS = 2_000;

/**
 * Redis (the job queue) cannot be reached: the request did nothing it does not say, and may be
 * retried in a few seconds. A client error (code SERVICE_UNAVAILABLE), not a fault of this
 * service.
 */
export class QueueUnavailableError extends DomainError {
  readonly retryable = true;
  constructor(what: string, done = 'nothing was queued or changed') {
    super(
      'SERVICE_UNAVAILABLE',
      `the job queue (Redis) is unavailable while ${what}: ${done}; retry in a few seconds`,
      {
        retryable: true,
      },
    );
  }
}

/**
 * The process's one Redis connection, opened on first use: one-shot CLI commands that never
 * touch a queue (migrate, org create) never connect. BullMQ shares it (queues, the workers'
 * non-blocking commands) and duplicates it for the workers' blocking reads, which is why
 * `maxRetriesPerRequest` is null: BullMQ requires it, and a worker should wait out a Redis restart
 * rather than fail its jobs.
 */
export class RedisConnection {
  private client?: Redis;
  private producerClient?: Redis;

  constructor(private readonly url: string) {}

  /**
   * The client for requests a person waits on (queueing runs, listing them): it never queues a
   * command while Redis is away (`enableOfflineQueue: false`), so a request fails at once with
   * QueueUnavailableError instead of hanging for the outage, and a command that failed is never
   * sent later behind the caller's back (runs "queued" after the request gave up). Connected on
   * first use; it reconnects by itself.
   */
  producer(): Redis {
    if (!this.producerClient) {
      this.producerClient = new Redis(this.url, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: PRODUCER_WAIT_MS,
        retryStrategy: (times) => Math.min(times * 200, 2_000),
      });
      // Connection errors surface through the commands; without a listener ioredis logs them.
      this.producerClient.on('error', () => undefined);
    }
    return this.producerClient;
  }

  /** The producer client once connected; QueueUnavailableError if it is not within a moment. */
  async readyProducer(what: string): Promise<Redis> {
    const client = this.producer();
    if (client.status === 'ready') return client;
    let onReady = () => undefined as void;
    const ready = new Promise<void>((resolve) => client.once('ready', (onReady = resolve)));
    try {
      await withTimeout(ready, PRODUCER_WAIT_MS, what);
    } catch {
      throw new QueueUnavailableError(what);
    } finally {
      client.off('ready', onReady);
    }
    return client;
  }

  /** The shared client (connecting on first call). */
  get(): Redis {
    this.client ??= new Redis(this.url, {
      maxRetriesPerRequest: null,
      lazyConnect: true,
      // ioredis retries a lost connection forever by default; cap the delay between tries.
      retryStrategy: (times) => Math.min(times * 200, 5_000),
    });
    return this.client;
  }

  /** PING within a deadline; false when Redis does not answer (readiness). */
  async ping(timeoutMs = 2_000): Promise<boolean> {
    try {
      return (await withTimeout(this.get().ping(), timeoutMs, 'redis ping')) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Closes the clients that were opened: QUIT when connected, otherwise drop them at once. */
  async close(): Promise<void> {
    const producer = this.producerClient;
    this.producerClient = undefined;
    await quit(producer);
    const client = this.client;
    this.client = undefined;
    await quit(client);
  }
}

async function quit(client: Redis | undefined): Promise<void> {
  if (!client) return;
  if (client.status === 'ready') {
    try {
      await withTimeout(client.quit(), COMMAND_TIMEOUT_MS, 'redis quit');
      return;
    } catch {
      // fall through: disconnect without waiting for the server
    }
  }
  client.disconnect();
}

/** Rejects when `promise` has not settled within `ms`, naming `what`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer from Redis within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `operation`; a Redis failure in it (the connection lost or not back yet, no answer in
 * time) becomes QueueUnavailableError saying what was already done. Anything else is a fault and
 * stays one.
 */
export async function unavailableOn<T>(
  redis: RedisConnection,
  what: string,
  operation: () => Promise<T>,
  done?: string,
): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    const message = (error as Error).message ?? '';
    const timedOut = /no answer from Redis/.test(message);
    const lost =
      timedOut ||
      redis.producer().status !== 'ready' ||
      // A connection error that surfaced after the client reconnected.
      /ECONNREFUSED|ECONNRESET|EPIPE|Connection is closed|Stream isn't writeable/.test(message);
    if (error instanceof DomainError || !lost) throw error;
    // Sent but unanswered: Redis may have carried it out.
    throw new QueueUnavailableError(
      what,
      done ?? (timedOut ? 'it may or may not have taken effect: look before retrying' : undefined),
    );
  }
}
