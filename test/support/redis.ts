import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the tests use (a local one is started by scripts/ensure-redis.js when none answers). */
export const TEST_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** Starts a local redis-server if nothing answers at TEST_REDIS_URL (the npm scripts do it too). */
export function ensureTestRedis(): void {
  const result = spawnSync('node', [path.resolve(__dirname, '../../scripts/ensure-redis.js')], {
    env: { ...process.env, REDIS_URL: TEST_REDIS_URL },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`no Redis for the tests: ${result.stderr || result.stdout}`);
}

/** A queue prefix of its own for one test (every BullMQ and lock key lives under it). */
export function randomPrefix(): string {
  return `test-${randomBytes(6).toString('hex')}`;
}

/** Deletes every key under `prefix:` (what a test's queues, runs and locks left behind). */
export async function removePrefix(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Resolves once `check` returns a value other than undefined; fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
