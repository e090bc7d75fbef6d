import { Redis } from 'ioredis';

/** How long a producer call (enqueue, quit) waits for Redis before it gives up. */
export const COMMAND_TIMEOUT_MS = 10_000;

/**
 * The process's one Redis connection, opened on first use: one-shot CLI commands that never
 * touch a queue (migrate, org create) never connect. BullMQ shares it (queues, the workers'
 * non-blocking commands) and duplicates it for the workers' blocking reads, which is why
 * `maxRetriesPerRequest` is null: BullMQ requires it, and a worker should wait out a Redis restart
 * rather than fail its jobs.
 */
export class RedisConnection {
  private client?: Redis;

  constructor(private readonly url: string) {}

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

  /** Closes the client if one was opened: QUIT when connected, otherwise drop it at once. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
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
