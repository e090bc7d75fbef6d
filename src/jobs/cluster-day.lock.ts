import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

// Compare-and-set scripts: a holder only ever extends or deletes its own lock, never one a later
// holder took after it expired.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/** A lock this process holds; renewed in the background until released. */
export interface HeldLock {
  /** False once a renewal found the lock gone (expired and maybe taken by another holder). */
  readonly held: boolean;
  release(): Promise<void>;
}

/**
 * A Redis lock per cluster-day (`SET NX PX` with a random token), so two runs of the same
 * cluster-day never compute at the same time in any process: a final and a provisional run of
 * the same day, or a job BullMQ handed out again while its first worker was still alive but late
 * renewing its job lock. It lives `ttlMs` after its holder's last renewal (every ttl/3), so the
 * lock of a worker that died frees itself as fast as BullMQ's job lock does.
 */
export class ClusterDayLock {
  constructor(
    private readonly redis: () => Redis,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  /** The Redis key of a cluster-day's lock. */
  key(clusterId: string, day: string): string {
    return `${this.prefix}:k8s-cost-lock:${clusterId}:${day}`;
  }

  /** Takes the lock if free; null when another holder has it. */
  async tryAcquire(clusterId: string, day: string): Promise<HeldLock | null> {
    const redis = this.redis();
    const key = this.key(clusterId, day);
    const token = randomBytes(16).toString('hex');
    if ((await redis.set(key, token, 'PX', this.ttlMs, 'NX')) !== 'OK') return null;
    let held = true;
    let renewing: Promise<unknown> = Promise.resolve();
    const timer = setInterval(
      () => {
        renewing = redis
          .eval(RENEW, 1, key, token, String(this.ttlMs))
          .then((renewed) => {
            if (Number(renewed) !== 1) held = false;
          })
          .catch(() => undefined); // Redis away for a moment: the next renewal tries again.
      },
      Math.max(100, Math.floor(this.ttlMs / 3)),
    );
    timer.unref();
    return {
      get held() {
        return held;
      },
      async release() {
        clearInterval(timer);
        await renewing;
        await redis.eval(RELEASE, 1, key, token);
      },
    };
  }
}
