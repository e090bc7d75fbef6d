import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { createCore, runAll, startServer, type RunningServer } from '../src/main';
import { addDays } from '../src/domain/days';
import { packageRoot } from '../src/package-root';
import { ensureDataset } from './support/dataset';
import { summarize, table, type Summary } from './support/stats';
import { intEnv } from './support/env';

/**
 * `npm run bench:fairness`: while organization A floods the API with heavy requests, how long
 * does organization B's `costSummary` take? Two phases, each a child process on the same data
 * (the embedded engine binds one folder per process), measured in the same run:
 *
 * - fair: the defaults (GRAPHQL_CONCURRENCY 8, GRAPHQL_ORG_CONCURRENCY 2): A holds two slots;
 * - reference: GRAPHQL_ORG_CONCURRENCY = GRAPHQL_CONCURRENCY = 1000, i.e. no sharing, as before.
 *
 * A: BENCH_FLOOD (16) concurrent loops of `expenses` over a year, 50 rows by cost, of
 * BENCH_ROWS (2,000,000) expense rows (bench:query's generator). B (no expenses of its own): one
 * `costSummary` over 30 days after another for BENCH_SECONDS (20). Prints B's latencies (p50,
 * p99, max) and A's completed requests per phase; target: B's p99 under 1 s with sharing.
 */

const HEAVY = `query Heavy($range: DateRangeInput!) {
  expenses(range: $range, first: 50) { totalCount totalCost edges { node { name cost } } }
}`;
const LIGHT = `query Light($range: DateRangeInput!) { costSummary(range: $range) { total } }`;

interface PhaseResult {
  phase: string;
  light: Summary;
  lightCount: number;
  heavyDone: number;
  heavyErrors: number;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

async function phase(): Promise<void> {
  const rows = intEnv('BENCH_ROWS', 2_000_000, 1);
  const flood = intEnv('BENCH_FLOOD', 16, 1);
  const seconds = intEnv('BENCH_SECONDS', 20, 1);
  const dataDir = dataDirOf(rows);
  const config = loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    CLICKHOUSE_DATABASE: 'bench',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
  });
  const core = await createCore(config, createLogger(config.logLevel));
  let server: RunningServer | undefined;
  try {
    const dataset = await ensureDataset(core.db, { rows, resources: 30_000, dataDir, log });
    const a = (await core.tokens.issue(dataset.organizationId, 'flood')).token;
    const b = (await core.organizations.create('Quiet neighbour')).token;
    server = await startServer(core, { role: 'api' });
    const url = `${server.url}/graphql`;
    const year = { start: addDays(dataset.lastDay, -364), end: dataset.lastDay };
    const month = { start: addDays(dataset.lastDay, -29), end: dataset.lastDay };
    const post = async (token: string, query: string, range: object) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables: { range } }),
      });
      const body = (await response.json()) as { errors?: unknown };
      return !body.errors;
    };
    // Warm-up: one of each.
    await post(a, HEAVY, year);
    await post(b, LIGHT, month);

    const until = performance.now() + seconds * 1000;
    let heavyDone = 0;
    let heavyErrors = 0;
    const floods = Array.from({ length: flood }, async () => {
      while (performance.now() < until) {
        if (await post(a, HEAVY, year)) heavyDone++;
        else heavyErrors++;
      }
    });
    const light: number[] = [];
    // Let the flood fill the service first.
    await new Promise((resolve) => setTimeout(resolve, 500));
    while (performance.now() < until) {
      const started = performance.now();
      if (!(await post(b, LIGHT, month))) throw new Error('costSummary failed');
      light.push(performance.now() - started);
    }
    await Promise.all(floods);
    const result: PhaseResult = {
      phase: process.env.BENCH_PHASE ?? '',
      light: summarize(light),
      lightCount: light.length,
      heavyDone,
      heavyErrors,
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    await runAll([async () => server?.stop(), () => core.close()]);
  }
}

function dataDirOf(rows: number): string {
  return path.resolve(
    process.env.BENCH_DATA_DIR || path.join(packageRoot(__dirname), '.bench-data', `query-${rows}`),
  );
}

/** Runs both phases as child processes and compares them. */
function main(): void {
  const phases = [
    { name: 'fair (defaults: 8 slots, 2 per organization)', env: {} },
    {
      name: 'reference (no sharing: 1000 / 1000)',
      env: { GRAPHQL_CONCURRENCY: '1000', GRAPHQL_ORG_CONCURRENCY: '1000' },
    },
  ];
  log(
    `bench:fairness  ${intEnv('BENCH_FLOOD', 16, 1)} flooding loops (org A: a year of expenses, top 50) against one costSummary loop (org B), ${intEnv('BENCH_SECONDS', 20, 1)} s per phase; ${os.cpus().length} CPUs; Node ${process.version}`,
  );
  const results: PhaseResult[] = [];
  for (const p of phases) {
    const child = spawnSync(process.execPath, [__filename], {
      env: { ...process.env, ...p.env, BENCH_PHASE: p.name, BENCH_CHILD: '1' },
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const lines = `${child.stdout}`.split('\n');
    for (const line of lines) if (line && !line.startsWith('RESULT ')) log(`  ${line}`);
    const found = lines.find((line) => line.startsWith('RESULT '));
    if (child.status !== 0 || !found) throw new Error(`phase ${p.name} failed:\n${child.stderr}`);
    results.push(JSON.parse(found.slice(7)) as PhaseResult);
  }
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  log('');
  log(
    table([
      ['phase', 'B costSummary p50', 'p99', 'max', 'B requests', 'A requests done'],
      ...results.map((r) => [
        r.phase,
        ms(r.light.median),
        ms(r.light.p99),
        ms(r.light.max),
        String(r.lightCount),
        String(r.heavyDone),
      ]),
    ]),
  );
  const [fair, reference] = results as [PhaseResult, PhaseResult];
  const p99 = fair.light.p99;
  log(
    `B's p99 with sharing / without: ${(p99 / reference.light.p99).toFixed(2)}; ` +
      `with sharing ${ms(p99)} (target < 1 s: ${p99 < 1000 ? 'met' : 'NOT met'})`,
  );
  const out = process.env.BENCH_JSON;
  if (out) fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`);
}

if (process.env.BENCH_CHILD) {
  phase().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
} else {
  try {
    main();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
