import 'reflect-metadata';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { createCore, runAll, startJobs, type Core, type RunningJobs } from '../src/main';
import { packageRoot } from '../src/package-root';
import type { AggregationRun } from '../src/domain/aggregation-run';
import type { K8sCostQuery } from '../src/k8s-cost/k8s-cost.queries';
import { ClickHouseOrganizationRepository } from '../src/store/organization.repository';
import { ClickHouseCloudAccountRepository } from '../src/store/cloud-account.repository';
import { ensureK8sDataset, type K8sDataset } from './support/k8s-dataset';
import { PrometheusServer } from './support/prometheus-server';
import { summarize, table, type Summary } from './support/stats';
import { intEnv } from './support/env';
import { machineCpuMs, peakRssBytes } from './support/proc';

/**
 * `npm run bench:aggregate`: the daily cost job of one cluster-day against a real Prometheus
 * holding `BENCH_CLUSTERS` synthetic clusters (tenants) of `BENCH_NODES` nodes and
 * `BENCH_CONTAINERS` containers each (bench/support/k8s-dataset.ts), timed two ways in the same
 * process and run:
 *
 * - job: a run queued through AggregationRunService (BullMQ on Redis), taken by the worker
 *   (startJobs, the production wiring), computed by K8sCostAggregationService (its queries run
 *   concurrently) and written to the embedded ClickHouse; wall time = BullMQ's finishedOn minus
 *   the job's enqueue timestamp;
 * - direct: the same PromQL (`service.queries(cluster, day)`, same evaluation times) POSTed to
 *   Prometheus one after the other by this script, the sum of their times (request + JSON parse).
 *
 * Then every cluster at once (one run each, concurrency BENCH_CONCURRENCY): wall time from the
 * first enqueue to the last finish. Targets: job <= 1.3 x direct for one cluster; all clusters
 * <= clusters x one cluster's job time. The run checks the job's total equals the direct answers'.
 *
 * Env: BENCH_CLUSTERS (20), BENCH_NODES (200), BENCH_CONTAINERS (6000), BENCH_SAMPLE_SECONDS
 * (300), BENCH_DAY (2025-06-15), BENCH_RUNS (7), BENCH_FANOUT_RUNS (3), BENCH_CONCURRENCY (2),
 * BENCH_DATA_DIR (.bench-data), BENCH_JSON (write results there), METRICS_QUERY_CONCURRENCY (1),
 * REDIS_URL, LOG_LEVEL (warn).
 */

/** The queries whose answers make up the day's total. */
const TOTAL_PARTS = new Set<string>([
  'cpu',
  'ram',
  'gpu',
  'nodeUnsplit',
  'storage',
  'network',
  'loadBalancer',
  'management',
]);

const log = (line: string) => process.stdout.write(`${line}\n`);
const ms = (value: number) => `${value.toFixed(0)} ms`;
const mib = (bytes: number | null) => (bytes === null ? 'n/a' : `${(bytes / 1_048_576).toFixed(0)} MiB`);

interface DirectResult {
  totalMs: number;
  perQuery: { component: string; ms: number }[];
  total: number;
}

/** The queries one after the other, as the job's source sends them (POST form, same time). */
async function runDirect(url: string, queries: K8sCostQuery[], timeoutMs: number): Promise<DirectResult> {
  const perQuery: { component: string; ms: number }[] = [];
  let total = 0;
  for (const query of queries) {
    const started = performance.now();
    const response = await fetch(`${url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        query: query.promql,
        time: (query.time.getTime() / 1000).toFixed(3),
        timeout: `${Math.floor(timeoutMs / 1000)}s`,
      }),
    });
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result: { value: [number, string] }[] };
    };
    perQuery.push({ component: query.name, ms: performance.now() - started });
    if (body.status !== 'success') throw new Error(`${query.name}: ${body.error}`);
    // What the calculator adds up into the total (the claimed-allocation queries only feed idle).
    if (TOTAL_PARTS.has(query.name))
      for (const series of body.data?.result ?? []) total += Number(series.value[1]);
  }
  return { totalMs: perQuery.reduce((sum, q) => sum + q.ms, 0), perQuery, total };
}

/** Queues runs and waits for them; returns them finished. */
async function runJobs(
  core: Core,
  organizationId: string | null,
  clusterIds: string[] | undefined,
  day: string,
) {
  const queued = await core.services.aggregationRuns.request(
    organizationId,
    { clusterIds, range: { start: day, end: day } },
    'cli',
  );
  const ids = queued.map((run) => run.id);
  for (;;) {
    const runs = await core.services.aggregationRuns.get(ids);
    if (runs.every((run) => run && (run.state === 'SUCCEEDED' || run.state === 'FAILED'))) {
      const done = runs as AggregationRun[];
      const failed = done.find((run) => run.state === 'FAILED');
      if (failed) throw new Error(`run ${failed.id} failed: ${failed.error}`);
      return done;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function wallMs(runs: AggregationRun[]): number {
  const start = Math.min(...runs.map((run) => run.enqueuedAt.getTime()));
  const end = Math.max(...runs.map((run) => (run.finishedAt as Date).getTime()));
  return end - start;
}

async function main(): Promise<void> {
  const clusters = intEnv('BENCH_CLUSTERS', 20, 1);
  const nodes = intEnv('BENCH_NODES', 200, 1);
  const containers = intEnv('BENCH_CONTAINERS', 6000, 1);
  const sampleSeconds = intEnv('BENCH_SAMPLE_SECONDS', 300, 10);
  const runs = intEnv('BENCH_RUNS', 7, 1);
  const fanoutRuns = intEnv('BENCH_FANOUT_RUNS', 3, 1);
  const concurrency = intEnv('BENCH_CONCURRENCY', 2, 1);
  const day = process.env.BENCH_DAY || '2025-06-15';
  const root = path.resolve(process.env.BENCH_DATA_DIR || path.join(packageRoot(__dirname), '.bench-data'));

  log(
    `bench:aggregate  ${clusters} clusters x ${nodes} nodes x ${containers} containers, ${day}, a sample every ${sampleSeconds} s`,
  );
  const dataset: K8sDataset = await ensureK8sDataset(
    root,
    { clusters, nodes, containers, day, sampleSeconds },
    log,
  );
  log(
    `${dataset.reused ? 'reusing' : 'generated'} ${dataset.samples.toLocaleString('en-US')} samples, ` +
      `${dataset.seriesPerCluster.toLocaleString('en-US')} series per cluster, in ${dataset.tsdbDir}` +
      ` (generation took ${(dataset.generateMs / 1000).toFixed(0)} s)`,
  );

  const ensured = spawnSync('node', [path.join(packageRoot(__dirname), 'scripts/ensure-redis.js')], {
    encoding: 'utf8',
  });
  if (ensured.status !== 0) throw new Error(ensured.stderr);
  const prometheus = await PrometheusServer.start(dataset.tsdbDir);
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    ...process.env,
    DATA_DIR: path.join(root, 'aggregate-clickhouse'),
    CLICKHOUSE_DATABASE: `bench_agg_${randomBytes(4).toString('hex')}`,
    CLICKHOUSE_URL: '',
    METRICS_QUERY_URL: prometheus.url,
    METRICS_BACKEND: 'prometheus',
    METRICS_QUERY_TIMEOUT_MS: '600000',
    QUEUE_PREFIX: prefix,
    K8S_AGGREGATION_CONCURRENCY: String(concurrency),
    K8S_AGGREGATION_ATTEMPTS: '1',
    K8S_AGGREGATION_LOCK_MS: '60000',
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
  });
  const core = await createCore(config, createLogger(config.logLevel));
  let jobs: RunningJobs | undefined;
  try {
    // One organization per cluster: 20 tenants.
    await createTenants(core, dataset);
    jobs = await startJobs(core, { worker: true, scheduler: false });
    const one = dataset.tenants[0] as string;
    const queries = core.k8sCostAggregation.queries(one, day);
    log(
      `${queries.length} queries per cluster-day, at most ${config.metrics.queryConcurrency} in flight per run (METRICS_QUERY_CONCURRENCY); worker concurrency ${concurrency}; Prometheus ${prometheusVersion()}; ${os.cpus().length} CPUs; Node ${process.version}`,
    );

    // Peak memory before any query: the process (worker and embedded ClickHouse) and Prometheus.
    const peakBefore = { self: peakRssBytes(), prometheus: prometheus.peakRssBytes() };
    // Warm-up: pages in, caches filled, the first run writes the day ("new").
    await runDirect(prometheus.url, queries, config.metrics.queryTimeoutMs);
    await runJobs(core, `org-${one}`, [one], day);

    const jobTimes: number[] = [];
    const directTimes: number[] = [];
    // Prometheus' CPU time per side: the work itself, whatever else shares the machine.
    const jobCpu: number[] = [];
    const directCpu: number[] = [];
    const promCpu = () => prometheus.cpuMs() ?? NaN;
    const machine = machineWindow(prometheus);
    const perQuery = new Map<string, number[]>();
    const check = { job: 0, direct: 0 };
    for (let i = 0; i < runs; i++) {
      // Alternate the order so drift and caches hit both sides alike.
      const order = i % 2 === 0 ? ['job', 'direct'] : ['direct', 'job'];
      for (const side of order) {
        const cpuBefore = promCpu();
        if (side === 'job') {
          const [run] = await runJobs(core, `org-${one}`, [one], day);
          jobCpu.push(promCpu() - cpuBefore);
          jobTimes.push(wallMs([run as AggregationRun]));
          check.job = run?.totalCost ?? NaN;
        } else {
          const direct = await runDirect(prometheus.url, queries, config.metrics.queryTimeoutMs);
          directTimes.push(direct.totalMs);
          directCpu.push(promCpu() - cpuBefore);
          for (const q of direct.perQuery)
            perQuery.set(q.component, [...(perQuery.get(q.component) ?? []), q.ms]);
          check.direct = direct.total;
        }
      }
      log(
        `  round ${i + 1}/${runs}: job ${ms(jobTimes.at(-1) as number)} (Prometheus CPU ${ms(jobCpu.at(-1) as number)}), ` +
          `direct ${ms(directTimes.at(-1) as number)} (Prometheus CPU ${ms(directCpu.at(-1) as number)})`,
      );
    }
    if (Math.abs(check.job - check.direct) > 1e-6)
      throw new Error(`the job's total $${check.job} differs from the direct queries' $${check.direct}`);

    const singleMachine = machine.end();
    const peakAfter = { self: peakRssBytes(), prometheus: prometheus.peakRssBytes() };
    // Each all-clusters run is paired with a one-cluster job just before it, so both see the
    // same machine (other work sharing the cores changes both alike).
    const fanout: number[] = [];
    const fanoutCpu: number[] = [];
    const paired: number[] = [];
    const pairedRatios: number[] = [];
    const fanoutMachine = machineWindow(prometheus);
    for (let i = 0; i < fanoutRuns; i++) {
      const [single] = await runJobs(core, `org-${one}`, [one], day);
      paired.push(wallMs([single as AggregationRun]));
      const cpuBefore = promCpu();
      const done = await runJobs(core, null, dataset.tenants, day);
      fanoutCpu.push(promCpu() - cpuBefore);
      fanout.push(wallMs(done));
      pairedRatios.push((fanout.at(-1) as number) / (paired.at(-1) as number));
      log(
        `  all ${clusters} clusters, run ${i + 1}/${fanoutRuns}: ${ms(fanout.at(-1) as number)} ` +
          `(Prometheus CPU ${ms(fanoutCpu.at(-1) as number)}); one cluster just before: ${ms(paired.at(-1) as number)}; ` +
          `ratio ${(pairedRatios.at(-1) as number).toFixed(2)}`,
      );
    }

    const job = summarize(jobTimes);
    const direct = summarize(directTimes);
    const all = summarize(fanout);
    const allMachine = fanoutMachine.end();
    const ratio = job.median / direct.median;
    const fanoutRatio = summarize(pairedRatios).median;
    log('');
    log(
      `one cluster (${one}, ${day}): total $${check.job.toFixed(6)} (job) = $${check.direct.toFixed(6)} (direct)`,
    );
    log(
      table([
        ['', 'median', 'min', 'p90', 'max'],
        ['job (queue + queries + store)', ...cells(job)],
        ['direct (sum of the queries)', ...cells(direct)],
        ['Prometheus CPU per job', ...cells(summarize(jobCpu))],
        ['Prometheus CPU per direct sequence', ...cells(summarize(directCpu))],
      ]),
    );
    log(`machine while measuring one cluster: ${describeMachine(singleMachine)}`);
    log(
      `peak memory (VmHWM) before the first query -> after the one-cluster rounds: this process (worker + embedded ClickHouse) ${mib(peakBefore.self)} -> ${mib(peakAfter.self)}, Prometheus ${mib(peakBefore.prometheus)} -> ${mib(peakAfter.prometheus)}`,
    );
    log('');
    log(table([['direct query', 'median'], ...[...perQuery].map(([c, t]) => [c, ms(summarize(t).median)])]));
    log('');
    log(
      table([
        ['', 'median', 'min', 'max'],
        [`all ${clusters} clusters, concurrency ${concurrency}`, ms(all.median), ms(all.min), ms(all.max)],
        [
          'one cluster just before each',
          ...[summarize(paired)].flatMap((p) => [ms(p.median), ms(p.min), ms(p.max)]),
        ],
        [
          `Prometheus CPU, all ${clusters} clusters / ${clusters}`,
          ...[summarize(fanoutCpu)].flatMap((c) => [
            ms(c.median / clusters),
            ms(c.min / clusters),
            ms(c.max / clusters),
          ]),
        ],
      ]),
    );
    log(`machine while measuring all clusters: ${describeMachine(allMachine)}`);
    log('');
    log(`job / direct (medians): ${ratio.toFixed(2)}  (target <= 1.3: ${ratio <= 1.3 ? 'met' : 'NOT met'})`);
    log(
      `${clusters} clusters / one cluster's job (median of the paired ratios): ${fanoutRatio.toFixed(2)}  (target <= ${clusters}: ${fanoutRatio <= clusters ? 'met' : 'NOT met'})`,
    );
    const out = process.env.BENCH_JSON;
    if (out)
      fs.writeFileSync(
        out,
        `${JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, dataset, job, direct, jobCpu: summarize(jobCpu), directCpu: summarize(directCpu), all, paired: summarize(paired), pairedRatios, fanoutCpu: summarize(fanoutCpu), queryConcurrency: config.metrics.queryConcurrency, ratio, fanoutRatio, singleMachine, allMachine, peakBefore, peakAfter }, null, 2)}\n`,
      );
  } finally {
    await runAll([
      async () => jobs?.stop(),
      () => core.db.command('DROP DATABASE IF EXISTS {db:Identifier}'),
      () => removeKeys(core, prefix),
      () => core.close(),
      () => prometheus.stop(),
    ]);
  }
}

interface MachineUse {
  /** Fractions of all cores' time: busy overall, Prometheus, this process, everything else. */
  busy: number;
  prometheus: number;
  self: number;
  others: number;
}

/**
 * How busy the cores were between now and end() (/proc/stat), and who used them: Prometheus, this
 * process (worker, embedded ClickHouse), anything else (other work sharing the machine). Null
 * without /proc.
 */
function machineWindow(prometheus: PrometheusServer): { end(): MachineUse | null } {
  const start = machineCpuMs();
  const prom0 = prometheus.cpuMs();
  const self0 = process.cpuUsage();
  return {
    end() {
      const stop = machineCpuMs();
      const prom1 = prometheus.cpuMs();
      if (!start || !stop || prom0 === null || prom1 === null) return null;
      const total = stop.total - start.total;
      const self = process.cpuUsage(self0);
      const selfMs = (self.user + self.system) / 1000;
      const busy = (stop.busy - start.busy) / total;
      const promShare = (prom1 - prom0) / total;
      const selfShare = selfMs / total;
      return {
        busy,
        prometheus: promShare,
        self: selfShare,
        others: Math.max(0, busy - promShare - selfShare),
      };
    },
  };
}

function describeMachine(use: MachineUse | null): string {
  if (!use) return 'unknown (no /proc)';
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  return `${pct(use.busy)} busy: Prometheus ${pct(use.prometheus)}, this process ${pct(use.self)}, other processes ${pct(use.others)}`;
}

function cells(s: Summary): string[] {
  return [ms(s.median), ms(s.min), ms(s.p90), ms(s.max)];
}

/** One organization per bench cluster, the cluster a KUBERNETES account whose id is its tenant. */
async function createTenants(core: Core, dataset: K8sDataset): Promise<void> {
  const organizations = new ClickHouseOrganizationRepository(core.db);
  const accounts = new ClickHouseCloudAccountRepository(core.db);
  const createdAt = new Date('2024-01-01T00:00:00Z');
  for (const tenant of dataset.tenants) {
    await organizations.create({ id: `org-${tenant}`, name: `org-${tenant}`, createdAt });
    await accounts.save({
      id: tenant,
      organizationId: `org-${tenant}`,
      name: tenant,
      type: 'KUBERNETES',
      accountRef: '',
      k8sProvider: 'AWS',
      region: 'us-east-1',
      owner: '',
      version: '1.29',
      deleted: false,
      createdAt,
    });
  }
}

async function removeKeys(core: Core, prefix: string): Promise<void> {
  const redis = core.redis.get();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

function prometheusVersion(): string {
  try {
    return /version (\S+)/.exec(execFileSync('prometheus', ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
