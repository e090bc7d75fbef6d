import { ConfigError, loadConfig } from '../../src/config';
import { runState } from '../../src/jobs/k8s-cost.queue';
import { LimitedMetricsSource } from '../../src/k8s-cost/limited.metrics-source';
import type { TenantMetricsSource } from '../../src/domain/ports/metrics-source';
import { scheduledDays } from '../../src/services/aggregation-run.service';

describe('scheduledDays', () => {
  const at = new Date('2026-03-10T03:00:00Z');

  it('daily: yesterday, then the re-run days before it, all final', () => {
    expect(scheduledDays('daily', at, 2)).toEqual([
      { day: '2026-03-09', provisional: false },
      { day: '2026-03-08', provisional: false },
      { day: '2026-03-07', provisional: false },
    ]);
    expect(scheduledDays('daily', at, 0)).toEqual([{ day: '2026-03-09', provisional: false }]);
  });

  it('provisional: today, whatever the hour (UTC)', () => {
    expect(scheduledDays('provisional', new Date('2026-03-10T00:00:00Z'), 2)).toEqual([
      { day: '2026-03-10', provisional: true },
    ]);
    expect(scheduledDays('provisional', new Date('2026-03-10T23:59:59.999Z'), 2)).toEqual([
      { day: '2026-03-10', provisional: true },
    ]);
  });

  it('crosses month and year ends', () => {
    expect(scheduledDays('daily', new Date('2026-01-01T03:00:00Z'), 2).map((d) => d.day)).toEqual([
      '2025-12-31',
      '2025-12-30',
      '2025-12-29',
    ]);
    expect(scheduledDays('daily', new Date('2024-03-01T03:00:00Z'), 1).map((d) => d.day)).toEqual([
      '2024-02-29',
      '2024-02-28',
    ]);
  });
});

describe('runState', () => {
  it.each([
    ['waiting', 0, 'QUEUED'],
    ['prioritized', 0, 'QUEUED'],
    // Delayed without a failed attempt: waiting for another run of the same cluster-day.
    ['delayed', 0, 'QUEUED'],
    ['delayed', 1, 'RETRYING'],
    ['waiting', 2, 'RETRYING'],
    ['active', 0, 'RUNNING'],
    ['active', 3, 'RUNNING'],
    ['completed', 1, 'SUCCEEDED'],
    ['failed', 1, 'FAILED'],
  ] as const)('%s after %d failed attempts is %s', (state, attempts, expected) => {
    expect(runState(state, attempts)).toBe(expected);
  });
});

describe('aggregation config', () => {
  it('defaults: 03:00 UTC, 2 re-run days, hourly refresh, 5 attempts from 30 s, concurrency 2', () => {
    const config = loadConfig({});
    expect(config.queuePrefix).toBe('cloudtuner');
    expect(config.aggregation).toEqual({
      cron: '0 3 * * *',
      rerunDays: 2,
      provisionalRefreshMinutes: 60,
      attempts: 5,
      backoffMs: 30_000,
      concurrency: 2,
      lockMs: 30_000,
      scheduleCheckSeconds: 60,
    });
    expect(config.metrics.queryConcurrency).toBe(1);
  });

  it('reads every key', () => {
    const config = loadConfig({
      QUEUE_PREFIX: 'ct-prod',
      K8S_AGGREGATION_CRON: '30 4 * * 1-5',
      K8S_AGGREGATION_RERUN_DAYS: '5',
      K8S_PROVISIONAL_REFRESH_MINUTES: '0',
      K8S_AGGREGATION_ATTEMPTS: '8',
      K8S_AGGREGATION_BACKOFF_MS: '1000',
      K8S_AGGREGATION_CONCURRENCY: '4',
      K8S_AGGREGATION_LOCK_MS: '60000',
      K8S_SCHEDULE_CHECK_SECONDS: '15',
      METRICS_QUERY_URL: 'http://thanos-query:9090/',
    });
    expect(config.queuePrefix).toBe('ct-prod');
    expect(config.aggregation).toEqual({
      cron: '30 4 * * 1-5',
      rerunDays: 5,
      provisionalRefreshMinutes: 0,
      attempts: 8,
      backoffMs: 1000,
      concurrency: 4,
      lockMs: 60_000,
      scheduleCheckSeconds: 15,
    });
    expect(config.metrics.queryUrl).toBe('http://thanos-query:9090');
  });

  it.each([
    ['QUEUE_PREFIX', 'has:colon'],
    ['K8S_AGGREGATION_CRON', 'every day'],
    ['K8S_AGGREGATION_CRON', '0 3 * *'],
    ['K8S_AGGREGATION_RERUN_DAYS', '-1'],
    ['K8S_PROVISIONAL_REFRESH_MINUTES', '2000'],
    ['K8S_AGGREGATION_ATTEMPTS', '0'],
    ['K8S_AGGREGATION_CONCURRENCY', 'two'],
    ['K8S_AGGREGATION_LOCK_MS', '10'],
    ['METRICS_QUERY_CONCURRENCY', '0'],
  ])('%s=%s fails fast naming the key', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`${key}=`));
  });
});

describe('LimitedMetricsSource', () => {
  it('keeps at most `limit` queries of one run in flight, first come first served', async () => {
    let inFlight = 0;
    let most = 0;
    const started: string[] = [];
    const releases: (() => void)[] = [];
    const inner: TenantMetricsSource = {
      forTenant: (tenant) => ({
        instantQuery: async (promql) => {
          started.push(`${tenant}:${promql}`);
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise<void>((resolve) => releases.push(resolve));
          inFlight--;
          return [{ metric: { tenant }, value: Number(promql) }];
        },
      }),
    };
    const limited = new LimitedMetricsSource(inner, 2);
    const run = limited.forTenant('a');
    const answers = Promise.all(['1', '2', '3', '4'].map((q) => run.instantQuery(q, new Date())));
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    await tick();
    expect(started).toEqual(['a:1', 'a:2']);
    // Another run has slots of its own.
    const other = limited.forTenant('b').instantQuery('5', new Date());
    await tick();
    expect(started).toEqual(['a:1', 'a:2', 'b:5']);
    releases.shift()?.();
    await tick();
    expect(started).toEqual(['a:1', 'a:2', 'b:5', 'a:3']);
    while (started.length < 5 || releases.length) {
      releases.shift()?.();
      await tick();
    }
    expect((await answers).map((vector) => vector[0]?.value)).toEqual([1, 2, 3, 4]);
    expect((await other)[0]?.value).toBe(5);
    expect(most).toBe(3);
  });

  it('a failed query frees its slot', async () => {
    const inner: TenantMetricsSource = {
      forTenant: () => ({
        instantQuery: async (promql) => {
          if (promql === 'bad') throw new Error('refused');
          return [];
        },
      }),
    };
    const source = new LimitedMetricsSource(inner, 1).forTenant('t');
    await expect(source.instantQuery('bad', new Date())).rejects.toThrow('refused');
    await expect(source.instantQuery('good', new Date())).resolves.toEqual([]);
  });
});
