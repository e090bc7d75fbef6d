import type { MetricsSource, PromVector, TenantMetricsSource } from '../domain/ports/metrics-source';

/**
 * Bounds how many queries one run has in flight against the metrics backend
 * (METRICS_QUERY_CONCURRENCY). The calculator asks for a run's ~11 queries at once and gets one
 * source per run from `forTenant`, so the bound applies per run: a worker then sends at most
 * K8S_AGGREGATION_CONCURRENCY x this many queries together, a load set by configuration rather
 * than by the number of queries a run happens to have.
 *
 * The default, 1, runs a run's queries one after another: its cost is the sum of its queries, and
 * parallelism comes from computing several runs at once. Measured (bench:aggregate, 2 cores): with
 * every query of a run in flight at once, one run was ~1.8x faster on an idle machine, but it
 * already kept both cores busy, so 20 runs took no less than 20 single runs; one at a time, 20 runs
 * with concurrency 2 take about half of 20 single runs. Waiting here is first come, first served
 * and does not count toward the query timeout, which starts when the request is sent.
 */
export class LimitedMetricsSource implements TenantMetricsSource {
  constructor(
    private readonly inner: TenantMetricsSource,
    private readonly limit: number,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be >= 1, got ${limit}`);
  }

  /** A source for one run: at most `limit` of its queries in flight. */
  forTenant(tenant: string): MetricsSource {
    const source = this.inner.forTenant(tenant);
    const slots = new Semaphore(this.limit);
    return { instantQuery: (promql, time) => slots.run(() => source.instantQuery(promql, time)) };
  }
}

/** First come, first served: at most `limit` tasks running. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run(task: () => Promise<PromVector>): Promise<PromVector> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter (active stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
