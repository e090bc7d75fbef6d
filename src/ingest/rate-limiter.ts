/**
 * A token bucket of samples per second for each tenant; the bucket holds two seconds' worth.
 * A request larger than the whole bucket is let through once the bucket is full and leaves it
 * in debt, so the long-run rate holds and a big batch is slowed, never refused for ever (it
 * would be if it had to fit: senders retry the same batch).
 */
export class SampleRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly capacity: number;

  constructor(
    private readonly samplesPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.capacity = samplesPerSecond * 2;
  }

  get enabled(): boolean {
    return this.samplesPerSecond > 0;
  }

  /** Takes `samples` from the tenant's bucket: null when admitted, else whole seconds to wait. */
  take(tenant: string, samples: number): number | null {
    if (!this.enabled || samples <= 0) return null;
    const now = this.now();
    const bucket = this.buckets.get(tenant) ?? { tokens: this.capacity, at: now };
    bucket.tokens = Math.min(
      this.capacity,
      bucket.tokens + ((now - bucket.at) / 1000) * this.samplesPerSecond,
    );
    bucket.at = now;
    this.buckets.set(tenant, bucket);
    const needed = Math.min(samples, this.capacity);
    if (bucket.tokens >= needed) {
      bucket.tokens -= samples;
      return null;
    }
    return Math.max(1, Math.ceil((needed - bucket.tokens) / this.samplesPerSecond));
  }
}
