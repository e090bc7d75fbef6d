import { spawn } from 'node:child_process';
import { Queue } from 'bullmq';
import pino from 'pino';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestCore } from '../support/test-core';
import { createGraphQL, dataOf, errorOf, Fixtures, type RunGraphQL } from '../support/fixtures';
import {
  CLUSTER_A,
  CLUSTER_B,
  startK8sDayPrometheus,
  type K8sDayPrometheus,
} from '../support/k8s-day-fixture';
import { freePort, PrometheusProcess } from '../support/prometheus';
import { ensureTestRedis, eventually, randomPrefix, removePrefix, TEST_REDIS_URL } from '../support/redis';
import { startJobs, startServer, type Core, type RunningJobs } from '../../src/main';
import { RedisConnection } from '../../src/jobs/redis.connection';
import { K8sCostQueue } from '../../src/jobs/k8s-cost.queue';
import { K8sCostWorker } from '../../src/jobs/k8s-cost.worker';
import type { DayAggregator } from '../../src/domain/ports';
import {
  DAILY_SCHEDULER_ID,
  K8sCostScheduler,
  PROVISIONAL_SCHEDULER_ID,
} from '../../src/jobs/k8s-cost.scheduler';
import { AggregationRunService } from '../../src/services/aggregation-run.service';
import { K8sCostAggregationService } from '../../src/k8s-cost/k8s-cost-aggregation.service';
import { ClickHouseCloudAccountRepository } from '../../src/store/cloud-account.repository';
import { ClickHouseK8sCostRepository } from '../../src/store/k8s-cost.repository';
import { ClickHouseReconciliationStore } from '../../src/store/reconciliation.store';
import { ClickHouseAllocationStore } from '../../src/store/k8s-allocation.store';
import { ClickHouseExpenseWriter } from '../../src/store/expense.writer';
import { K8sCostCalculator } from '../../src/k8s-cost/k8s-cost.calculator';
import { PrometheusHttpMetricsSource } from '../../src/k8s-cost/prometheus-http.metrics-source';
import { createLogger } from '../../src/logger';
import type { AggregationRun } from '../../src/domain/aggregation-run';
import { addDays, formatDay } from '../../src/domain/days';

// The fixture day of test/support/k8s-day-fixture.ts, totals by hand in
// test/integration/k8s-cost-aggregation.test.ts: cluster A (EKS, 4 nodes, balancers, volumes,
// network) costs $19.348746, cluster B (one GKE node + management fee) $4.008144.
const A_TOTAL = 19.348746;
const B_TOTAL = 4.008144;

const BUILT_WORKER = path.resolve(__dirname, '../../dist/src/jobs/k8s-cost.worker.js');
const silent = createLogger('silent');

let fixture: K8sDayPrometheus;
let core: Core & { dispose(): Promise<void> };
let fixtures: Fixtures;
let gql: RunGraphQL;
let jobs: RunningJobs;
let orgA: string;
let orgB: string;
let day: string;
const prefix = randomPrefix();
const extraPrefixes: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

/** A prefix of its own for a test that runs its own workers, removed after the file. */
function ownPrefix(): string {
  const own = randomPrefix();
  extraPrefixes.push(own);
  return own;
}

/** A K8sCostAggregationService on the test's store against `metricsUrl` (a second "process"). */
function aggregationService(metricsUrl: string, now?: () => Date): K8sCostAggregationService {
  return new K8sCostAggregationService({
    accounts: new ClickHouseCloudAccountRepository(core.db),
    days: new ClickHouseK8sCostRepository(core.db),
    writer: new ClickHouseExpenseWriter(core.db),
    reconciliation: new ClickHouseReconciliationStore(core.db),
    allocations: new ClickHouseAllocationStore(core.db),
    calculator: new K8sCostCalculator(
      new PrometheusHttpMetricsSource({
        url: metricsUrl,
        backend: 'prometheus',
        tenantHeader: 'THANOS-TENANT',
        timeoutMs: 30_000,
      }),
      { stepSeconds: 300 },
    ),
    now,
  });
}

/** A worker on its own Redis connection, closed after the file. */
function ownWorker(
  own: string,
  aggregation: DayAggregator,
  extra: { concurrency?: number; lockMs?: number } = {},
) {
  const redis = new RedisConnection(TEST_REDIS_URL);
  const worker = new K8sCostWorker({
    redis,
    prefix: own,
    aggregation,
    logger: silent,
    concurrency: extra.concurrency ?? 1,
    lockMs: extra.lockMs ?? 2_000,
  });
  cleanups.push(async () => {
    await worker.close();
    await redis.close();
  });
  return worker;
}

/** A producer on its own Redis connection and prefix, closed after the file. */
function ownQueue(own: string, attempts = 3): K8sCostQueue {
  const redis = new RedisConnection(TEST_REDIS_URL);
  const queue = new K8sCostQueue({ redis, prefix: own, attempts, backoffMs: 500 });
  cleanups.push(async () => {
    await queue.close();
    await redis.close();
  });
  return queue;
}

const RUN_FIELDS = `id clusterId clusterName day provisional state progress attempts maxAttempts error
  enqueuedAt startedAt finishedAt written totalCost`;

interface RunView {
  id: string;
  clusterId: string;
  clusterName: string;
  day: string;
  provisional: boolean;
  state: string;
  progress: number;
  attempts: number;
  maxAttempts: number;
  error: string | null;
  enqueuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  written: string | null;
  totalCost: number | null;
}

async function aggregate(
  org: string,
  clusterIds: string[] | null,
  start: string,
  end = start,
): Promise<RunView[]> {
  const result = await gql(
    org,
    `mutation($input: AggregateK8sCostsInput!) { aggregateK8sCosts(input: $input) { ${RUN_FIELDS} } }`,
    { input: { clusterIds, range: { start, end } } },
  );
  return dataOf<{ aggregateK8sCosts: RunView[] }>(result).aggregateK8sCosts;
}

async function runs(org: string, filter: Record<string, unknown> = {}, first = 100): Promise<RunView[]> {
  const result = await gql(
    org,
    `query($filter: AggregationRunFilterInput, $first: Int!) { aggregationRuns(filter: $filter, first: $first) { ${RUN_FIELDS} } }`,
    { filter, first },
  );
  return dataOf<{ aggregationRuns: RunView[] }>(result).aggregationRuns;
}

/** Waits until the org's run `id` is SUCCEEDED or FAILED and returns it. */
async function finished(org: string, id: string, timeoutMs = 60_000): Promise<RunView> {
  return eventually(
    async () => {
      const run = (await runs(org)).find((r) => r.id === id);
      return run && (run.state === 'SUCCEEDED' || run.state === 'FAILED') ? run : undefined;
    },
    timeoutMs,
    `run ${id} to finish`,
  );
}

/** Waits until a run (read from the queue itself) is finished. */
async function finishedIn(queue: K8sCostQueue, id: string, timeoutMs = 60_000): Promise<AggregationRun> {
  return eventually(
    async () => {
      const [run] = await queue.get([id]);
      return run && (run.state === 'SUCCEEDED' || run.state === 'FAILED') ? run : undefined;
    },
    timeoutMs,
    `run ${id} to finish`,
  );
}

async function clusterTotal(org: string, id: string): Promise<number | undefined> {
  const result = await gql(
    org,
    `query($id: ID!, $range: DateRangeInput!) { k8sCluster(id: $id) { costs(range: $range) { total } } }`,
    { id, range: { start: day, end: day } },
  );
  return dataOf<{ k8sCluster: { costs: { total: number } } | null }>(result).k8sCluster?.costs.total;
}

/** Net rows of a cluster-day in `expenses` (merges are held, so pairs stay as written). */
async function netExpenseRows(cluster: string): Promise<{ rows: number; net: number; cost: number }> {
  const [row] = await core.db.query<{ rows: string; net: string; cost: number }>(
    `SELECT count() AS rows, sum(sign) AS net, sum(cost * sign) AS cost FROM {db:Identifier}.expenses
     WHERE cloud_account_id = {cluster:String} AND date = {date:DateTime('UTC')}`,
    { cluster, date: `${day} 00:00:00` },
  );
  return { rows: Number(row?.rows), net: Number(row?.net), cost: Number(row?.cost) };
}

beforeAll(async () => {
  ensureTestRedis();
  fixture = await startK8sDayPrometheus();
  day = fixture.day;
  core = await createTestCore({
    METRICS_QUERY_URL: fixture.prometheus.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    K8S_AGGREGATION_BACKOFF_MS: '500',
    K8S_AGGREGATION_LOCK_MS: '2000',
  });
  fixtures = new Fixtures(core);
  await fixtures.holdMerges();
  orgA = await fixtures.organization('Org A');
  orgB = await fixtures.organization('Org B');
  await fixtures.account(orgA, { id: CLUSTER_A, name: 'prod-eks', type: 'KUBERNETES', region: 'us-east-1' });
  await fixtures.account(orgB, { id: CLUSTER_B, name: 'ml-gke', type: 'KUBERNETES', k8sProvider: 'GCP' });
  await fixtures.account(orgA, { id: 'cluster-gone', name: 'old', type: 'KUBERNETES', deleted: true });
  gql = await createGraphQL(core);
  jobs = await startJobs(core, { worker: true, scheduler: false });
}, 180_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await jobs?.stop().catch(() => undefined);
  await core?.dispose();
  await fixture?.dispose();
  for (const own of [prefix, ...extraPrefixes]) await removePrefix(own);
}, 60_000);

describe('the scheduler', () => {
  it('fans out yesterday (final), the 2 days before it (final) and today (provisional) per live cluster', async () => {
    const own = ownPrefix();
    const queue = ownQueue(own);
    const now = new Date('2026-03-10T03:00:00Z');
    const service = new AggregationRunService(new ClickHouseCloudAccountRepository(core.db), queue, {
      rerunDays: 2,
      now: () => now,
    });
    const daily = await service.enqueueScheduled('daily');
    const provisional = await service.enqueueScheduled('provisional');
    const planned = (list: AggregationRun[]) =>
      list.map((run) => `${run.clusterId} ${run.day} ${run.provisional ? 'provisional' : 'final'}`).sort();
    // cluster-gone is deleted: no runs. Both organizations' live clusters: yes.
    expect(planned(daily)).toEqual([
      `${CLUSTER_A} 2026-03-07 final`,
      `${CLUSTER_A} 2026-03-08 final`,
      `${CLUSTER_A} 2026-03-09 final`,
      `${CLUSTER_B} 2026-03-07 final`,
      `${CLUSTER_B} 2026-03-08 final`,
      `${CLUSTER_B} 2026-03-09 final`,
    ]);
    expect(planned(provisional)).toEqual([
      `${CLUSTER_A} 2026-03-10 provisional`,
      `${CLUSTER_B} 2026-03-10 provisional`,
    ]);
    expect(daily.every((run) => run.state === 'QUEUED' && run.attempts === 0 && run.maxAttempts === 3)).toBe(
      true,
    );
    expect(daily.find((run) => run.clusterId === CLUSTER_B)?.organizationId).toBe(orgB);
    // Another tick while they wait: the same runs, no twins.
    const again = await service.enqueueScheduled('daily');
    expect(again.map((run) => run.id).sort()).toEqual(daily.map((run) => run.id).sort());
  });

  it('keeps one cron and one interval scheduler, and its ticks fan out', async () => {
    const own = ownPrefix();
    const redis = new RedisConnection(TEST_REDIS_URL);
    const ticks: string[] = [];
    const scheduler = new K8sCostScheduler({
      redis,
      prefix: own,
      cron: '0 3 * * *',
      provisionalRefreshMinutes: 60,
      fanOut: async (kind) => {
        ticks.push(kind);
        return [];
      },
      logger: silent,
    });
    cleanups.push(async () => {
      await scheduler.stop();
      await redis.close();
    });
    await scheduler.start();
    // Twice, as two scheduler processes would: still one of each.
    await scheduler.stop();
    await scheduler.start();
    const queue = new Queue('k8s-cost-schedule', { connection: redis.get(), prefix: own });
    cleanups.push(() => queue.close());
    const schedulers = await queue.getJobSchedulers();
    expect(
      schedulers
        .map((s) => ({ key: s.key, pattern: s.pattern, tz: s.tz, every: s.every }))
        .sort((a, b) => a.key.localeCompare(b.key)),
    ).toEqual([
      { key: DAILY_SCHEDULER_ID, pattern: '0 3 * * *', tz: 'UTC', every: undefined },
      { key: PROVISIONAL_SCHEDULER_ID, pattern: undefined, tz: undefined, every: 3_600_000 },
    ]);
    const daily = schedulers.find((s) => s.key === DAILY_SCHEDULER_ID);
    // Next daily tick: the next 03:00 UTC.
    const next = new Date(Number(daily?.next));
    expect(next.toISOString().slice(11)).toBe('03:00:00.000Z');
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
    // An interval scheduler's first tick is due at once: the provisional fan-out runs.
    await eventually(
      async () => (ticks.includes('provisional') ? true : undefined),
      20_000,
      'a provisional tick',
    );
  });
});

describe('runs', () => {
  it('a queued run computes the day; the cost reads back through GraphQL as the hand-computed total', async () => {
    const [queued] = await aggregate(orgA, [CLUSTER_A], day);
    expect(queued).toMatchObject({ clusterId: CLUSTER_A, clusterName: 'prod-eks', day, provisional: false });
    expect(['QUEUED', 'RUNNING']).toContain(queued?.state);
    const run = await finished(orgA, queued?.id as string);
    expect(run).toMatchObject({
      state: 'SUCCEEDED',
      progress: 100,
      attempts: 1,
      maxAttempts: 5,
      error: null,
      written: 'NEW',
      provisional: false,
    });
    expect(run.totalCost).toBeCloseTo(A_TOTAL, 8);
    const times = [run.enqueuedAt, run.startedAt, run.finishedAt].map((t) => Date.parse(t as string));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(await clusterTotal(orgA, CLUSTER_A)).toBeCloseTo(A_TOTAL, 8);
  });

  it('three runs of a day leave one day of cost', async () => {
    for (let i = 0; i < 2; i++) {
      const [queued] = await aggregate(orgA, [CLUSTER_A], day);
      const run = await finished(orgA, queued?.id as string);
      expect(run).toMatchObject({ state: 'SUCCEEDED', written: 'NONE' });
    }
    expect(await netExpenseRows(CLUSTER_A)).toEqual({ rows: 1, net: 1, cost: A_TOTAL });
    expect(await clusterTotal(orgA, CLUSTER_A)).toBeCloseTo(A_TOTAL, 8);
    const succeeded = await runs(orgA, { clusterIds: [CLUSTER_A], states: ['SUCCEEDED'] });
    expect(succeeded.map((run) => run.written)).toEqual(['NONE', 'NONE', 'NEW']);
  });

  it("today is queued as provisional; a day after today, a bad range or another org's cluster is refused", async () => {
    const today = formatDay(new Date());
    const [run] = await aggregate(orgA, [CLUSTER_A], today);
    expect(run).toMatchObject({ day: today, provisional: true });
    await finished(orgA, run?.id as string);

    const mutation = `mutation($input: AggregateK8sCostsInput!) { aggregateK8sCosts(input: $input) { id } }`;
    const refused = async (org: string, input: unknown) => errorOf(await gql(org, mutation, { input }));
    expect(
      await refused(orgA, { clusterIds: [CLUSTER_A], range: { start: today, end: addDays(today, 1) } }),
    ).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('input.range.end'),
    });
    expect(
      await refused(orgA, { clusterIds: [CLUSTER_A], range: { start: day, end: addDays(day, -1) } }),
    ).toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    expect(await refused(orgA, { clusterIds: [], range: { start: day, end: day } })).toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    // Org A cannot queue org B's cluster, nor a deleted one: NOT_FOUND, like a missing id.
    for (const id of [CLUSTER_B, 'cluster-gone', 'no-such-cluster'])
      expect(await refused(orgA, { clusterIds: [id], range: { start: day, end: day } })).toMatchObject({
        code: 'NOT_FOUND',
        message: `cluster ${JSON.stringify(id)} not found`,
      });
  });

  it("tenants never mix: org B computes its cluster, and neither organization sees the other's", async () => {
    const [queued] = await aggregate(orgB, null, day); // every cluster of org B: just cluster-b
    expect(queued?.clusterId).toBe(CLUSTER_B);
    const run = await finished(orgB, queued?.id as string);
    expect(run.totalCost).toBeCloseTo(B_TOTAL, 8);
    expect(await clusterTotal(orgB, CLUSTER_B)).toBeCloseTo(B_TOTAL, 8);
    expect(await clusterTotal(orgA, CLUSTER_A)).toBeCloseTo(A_TOTAL, 8);
    expect(await clusterTotal(orgA, CLUSTER_B)).toBeUndefined();
    expect(await clusterTotal(orgB, CLUSTER_A)).toBeUndefined();
  });

  it("aggregationRuns of one organization never shows another's runs", async () => {
    const ofA = await runs(orgA);
    const ofB = await runs(orgB);
    expect(ofA.length).toBeGreaterThanOrEqual(4);
    expect(new Set(ofA.map((run) => run.clusterId))).toEqual(new Set([CLUSTER_A]));
    expect(new Set(ofB.map((run) => run.clusterId))).toEqual(new Set([CLUSTER_B]));
    expect(await runs(orgA, { clusterIds: [CLUSTER_B] })).toEqual([]);
    expect(await runs(orgB, { clusterIds: [CLUSTER_A] })).toEqual([]);
    // Filters: by day range, by state; newest first; first limits.
    expect((await runs(orgA, { range: { start: day, end: day } })).every((run) => run.day === day)).toBe(
      true,
    );
    const firstTwo = await runs(orgA, {}, 2);
    expect(firstTwo.map((run) => run.id)).toEqual(ofA.slice(0, 2).map((run) => run.id));
    const enqueued = ofA.map((run) => Date.parse(run.enqueuedAt));
    expect(enqueued).toEqual([...enqueued].sort((a, b) => b - a));
    expect(errorOf(await gql(orgA, '{ aggregationRuns(first: 501) { id } }')).code).toBe('BAD_USER_INPUT');
  });
});

describe('retries and failures', () => {
  it('the backend down: the run retries with backoff, and succeeds once the backend is back', async () => {
    await fixture.prometheus.stop();
    let restarted = false;
    try {
      const [queued] = await aggregate(orgB, [CLUSTER_B], day);
      const retrying = await eventually(
        async () => {
          const run = (await runs(orgB)).find((r) => r.id === queued?.id);
          return run && run.state === 'RETRYING' && run.attempts >= 2 ? run : undefined;
        },
        30_000,
        'the run to retry',
      );
      expect(retrying.error).toMatch(/metrics backend unreachable/);
      await fixture.prometheus.restart();
      restarted = true;
      const run = await finished(orgB, queued?.id as string);
      expect(run.state).toBe('SUCCEEDED');
      expect(run.attempts).toBeGreaterThan(2);
      expect(run.error).toBeNull();
      expect(run.totalCost).toBeCloseTo(B_TOTAL, 8);
    } finally {
      if (!restarted) await fixture.prometheus.restart();
    }
    expect(await netExpenseRows(CLUSTER_B)).toEqual({ rows: 1, net: 1, cost: B_TOTAL });
  });

  it('a run for a cluster that does not exist fails once, naming the cause', async () => {
    const [queued] = await core.aggregationQueue.enqueue([
      {
        organizationId: orgA,
        clusterId: 'no-such-cluster',
        clusterName: 'ghost',
        day,
        provisional: false,
        trigger: 'cli',
      },
    ]);
    const run = await finished(orgA, queued?.id as string);
    expect(run).toMatchObject({
      state: 'FAILED',
      attempts: 1,
      maxAttempts: 5,
      written: null,
      totalCost: null,
    });
    expect(run.error).toBe('AggregationInputError: cluster "no-such-cluster" not found');
  });

  it("a query the backend refuses (MetricsQueryError) fails once, naming the backend's reason", async () => {
    // The same day in a Prometheus that refuses any query loading more than 100 samples.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-day-copy-'));
    fs.cpSync(fixture.dataDir, copy, { recursive: true });
    fs.rmSync(path.join(copy, 'lock'), { force: true });
    const strict = await PrometheusProcess.start({
      dataDir: copy,
      remoteWriteReceiver: false,
      flags: ['--storage.tsdb.retention.time=10y', '--query.max-samples=100'],
    });
    cleanups.push(async () => {
      await strict.dispose();
      fs.rmSync(copy, { recursive: true, force: true });
    });
    const own = ownPrefix();
    const queue = ownQueue(own, 5);
    ownWorker(own, aggregationService(strict.url));
    const [queued] = await queue.enqueue([
      {
        organizationId: orgB,
        clusterId: CLUSTER_B,
        clusterName: 'ml-gke',
        day,
        provisional: false,
        trigger: 'cli',
      },
    ]);
    const run = await finishedIn(queue, queued?.id as string);
    expect(run).toMatchObject({ state: 'FAILED', attempts: 1, maxAttempts: 5 });
    // The client sees what failed, not the backend's text, URL or PromQL (those are logged).
    expect(run.error).toBe('MetricsQueryError: metrics backend refused the query (422)');
  });
});

describe('one run per cluster-day at a time', () => {
  it('two requests for the same cluster-day while the first waits: one run', async () => {
    await jobs.worker?.worker.pause();
    try {
      const [first, second] = await Promise.all([
        aggregate(orgB, [CLUSTER_B], day),
        aggregate(orgB, [CLUSTER_B], day),
      ]);
      expect(first?.[0]?.id).toBeDefined();
      expect(second?.[0]?.id).toBe(first?.[0]?.id);
      jobs.worker?.worker.resume();
      expect((await finished(orgB, first?.[0]?.id as string)).state).toBe('SUCCEEDED');
    } finally {
      jobs.worker?.worker.resume();
    }
    expect(await netExpenseRows(CLUSTER_B)).toEqual({ rows: 1, net: 1, cost: B_TOTAL });
  });

  it('a final and a provisional run of one cluster-day on two workers never compute at the same time', async () => {
    // A fresh cluster-day (cluster A, the day before the fixture day: its data spills 2 h into it).
    const spill = addDays(day, 1);
    const own = ownPrefix();
    const queue = ownQueue(own);
    // Two workers, each with its own service (own in-process mutex): only the Redis lock is shared.
    const workers = [0, 1].map(() => ownWorker(own, aggregationService(fixture.prometheus.url)));
    for (const worker of workers) await worker.worker.pause();
    const queued = await queue.enqueue(
      [false, true].map((provisional) => ({
        organizationId: orgA,
        clusterId: CLUSTER_A,
        clusterName: 'prod-eks',
        day: spill,
        provisional,
        trigger: 'cli' as const,
      })),
    );
    expect(new Set(queued.map((run) => run.id)).size).toBe(2);
    for (const worker of workers) worker.worker.resume();
    const done = await Promise.all(queued.map((run) => finishedIn(queue, run.id)));
    expect(done.map((run) => run.state)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const [a, b] = done.map((run) => [run.startedAt?.getTime() ?? 0, run.finishedAt?.getTime() ?? 0]) as [
      [number, number],
      [number, number],
    ];
    // The later one started after the earlier one finished.
    expect(a[1] <= b[0] || b[1] <= a[0]).toBe(true);
    // One live row for the day; whichever order, the final run's figures are stored.
    const [row] = await core.db.query<{ net: string; provisional: number }>(
      `SELECT sum(sign) AS net, max(provisional * (sign > 0)) AS provisional FROM {db:Identifier}.k8s_cost_breakdown
       WHERE cloud_account_id = {cluster:String} AND date = {date:DateTime('UTC')}`,
      { cluster: CLUSTER_A, date: `${spill} 00:00:00` },
    );
    expect(Number(row?.net)).toBe(1);
    expect(Number(row?.provisional)).toBe(0);
  });

  it('a run whose worker process is killed mid-run is picked up again by another worker', async () => {
    if (!fs.existsSync(BUILT_WORKER))
      throw new Error('run `npm run build` first: this test starts dist/ in a child process');
    const own = ownPrefix();
    const queue = ownQueue(own);
    // A worker process whose run never ends (it is killed while "computing").
    const child = spawn(
      'node',
      [
        '-e',
        `
        const { K8sCostWorker } = require(${JSON.stringify(BUILT_WORKER)});
        const { RedisConnection } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/src/jobs/redis.connection.js'))});
        const { createLogger } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/src/logger.js'))});
        new K8sCostWorker({
          redis: new RedisConnection(${JSON.stringify(TEST_REDIS_URL)}),
          prefix: ${JSON.stringify(own)},
          logger: createLogger('silent'),
          concurrency: 1,
          lockMs: 2000,
          aggregation: { aggregateDay: (cluster, day) => { console.log('computing ' + cluster + ' ' + day); return new Promise(() => {}); } },
        });
        `,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const [queued] = await queue.enqueue([
      {
        organizationId: orgA,
        clusterId: CLUSTER_A,
        clusterName: 'prod-eks',
        day,
        provisional: false,
        trigger: 'cli',
      },
    ]);
    await eventually(
      async () => (output.includes(`computing ${CLUSTER_A} ${day}`) ? true : undefined),
      20_000,
      'the child to take the run',
    );
    const [running] = await queue.get([queued?.id as string]);
    expect(running).toMatchObject({ state: 'RUNNING', attempts: 1, progress: 10 });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // Another worker (this process) hands the stalled run out again once its lock has expired.
    ownWorker(own, aggregationService(fixture.prometheus.url), { lockMs: 2_000 });
    const run = await finishedIn(queue, queued?.id as string, 30_000);
    expect(run).toMatchObject({ state: 'SUCCEEDED', attempts: 2, written: 'none' });
    expect(run.totalCost).toBeCloseTo(A_TOTAL, 8);
    expect(await netExpenseRows(CLUSTER_A)).toEqual({ rows: 1, net: 1, cost: A_TOTAL });
  });
});

describe('roles', () => {
  it('role worker: health routes and /metrics only; /readyz checks ClickHouse and Redis', async () => {
    const own = ownPrefix();
    const worker = { ...core, config: { ...core.config, queuePrefix: own } };
    const running = await startServer(worker, { role: 'worker' });
    try {
      const ready = await fetch(`${running.url}/readyz`);
      expect(await ready.json()).toEqual({ ready: true, checks: { clickhouse: true, redis: true } });
      expect((await fetch(`${running.url}/graphql`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${running.url}/metrics`)).status).toBe(200);
    } finally {
      await running.stop();
    }
  });

  it('without METRICS_QUERY_URL no processor starts, and says so; role all schedules nothing either', async () => {
    const own = ownPrefix();
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const disabled = {
      ...core,
      logger,
      config: { ...core.config, queuePrefix: own, metrics: { ...core.config.metrics, queryUrl: undefined } },
    };
    const started = await startJobs(disabled, { worker: true, scheduler: false });
    expect(started.worker).toBeUndefined();
    expect(lines.join('')).toContain('aggregation disabled: METRICS_QUERY_URL is not set');
    await started.stop();
    const running = await startServer(disabled, { role: 'all' });
    await running.stop();
    const schedules = new Queue('k8s-cost-schedule', { connection: core.redis.get(), prefix: own });
    cleanups.push(() => schedules.close());
    expect(await schedules.getJobSchedulers()).toEqual([]);
  });

  it('Redis unreachable: /readyz answers 503 and names it', async () => {
    const redis = new RedisConnection(`redis://127.0.0.1:${await freePort()}`);
    const running = await startServer({ ...core, redis }, { role: 'api' });
    try {
      const ready = await fetch(`${running.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ready: false, checks: { clickhouse: true, redis: false } });
    } finally {
      await running.stop();
      await redis.close();
    }
  });
});
