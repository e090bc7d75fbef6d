import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { createCore, runAll, startServer, type Core, type RunningServer } from '../src/main';
import { ClickHouseExpenseReader } from '../src/store/expense.reader';
import { addDays } from '../src/domain/days';
import { previousRange } from '../src/services/ranges';
import { packageRoot } from '../src/package-root';
import { ensureDataset, type Dataset } from './support/dataset';
import { summarize, table, type Summary } from './support/stats';
import { intEnv } from './support/env';
import { machineCpuMs } from './support/proc';

/**
 * `npm run bench:query`: the two heavy API queries over a year of synthetic expenses in the
 * embedded engine, each timed two ways in the same process and run:
 *
 * - GraphQL: a POST to the real server (startServer, role api, port 0) over a keep-alive
 *   connection, with a bearer token; includes auth, Apollo parsing/validation/complexity,
 *   resolvers, DataLoaders, the SQL, and JSON on both sides.
 * - direct: the reader method the resolver ends in (`ClickHouseExpenseReader.list` / `.breakdown`
 *   on `core.db`, the same ClickHouse client), with the arguments the service passes. It issues
 *   the identical SQL text and parameters; the run checks the text is the same (via db.observe).
 *
 * Runs are interleaved (G,D then D,G, alternately) after a warm-up, so noise and caches hit both
 * sides alike. Timings never fail the run; errors and wrong answers do (exit 1).
 *
 * Env: BENCH_ROWS (10000000), BENCH_RUNS (15), BENCH_WARMUP (3), BENCH_RESOURCES (30000),
 * BENCH_DATA_DIR (.bench-data/query-<rows>), BENCH_JSON (write the results there), LOG_LEVEL (warn).
 */

const EXPENSES_QUERY = `
  query BenchTopExpenses($range: DateRangeInput!) {
    expenses(range: $range, first: 50, orderBy: { field: COST, direction: DESC }) {
      totalCount
      totalCost
      edges { node { name provider cost cloudAccount { name } } }
    }
  }`;

const BREAKDOWN_QUERY = `
  query BenchBreakdownByProvider($range: DateRangeInput!) {
    expenseBreakdown(range: $range, by: PROVIDER) {
      total
      previousTotal
      totals { key name total previousTotal }
      days { date total items { key name cost } }
    }
  }`;

interface ExpensesData {
  expenses: {
    totalCount: number;
    totalCost: number;
    edges: { node: { name: string; provider: string; cost: number; cloudAccount: { name: string } } }[];
  };
}

interface BreakdownData {
  expenseBreakdown: { total: number; previousTotal: number; totals: { key: string; total: number }[] };
}

/** One timed call; `check` is a compact fingerprint of the answer to compare the two paths. */
type Call = () => Promise<{ check: string }>;

interface Case {
  name: string;
  describe: string;
  graphql: Call;
  direct: Call;
}

interface CaseResult {
  name: string;
  describe: string;
  graphql: Summary;
  direct: Summary;
  ratio: number;
  /** SQL statements per GraphQL request (most seen), their summed time inside the request, and
   * the part of it spent on statements other than the direct path's (e.g. the cloudAccount loader). */
  queriesPerRequest: number;
  sqlInGraphql: Summary;
  extraSqlInGraphql: Summary;
  /** CPU use of the whole machine while this case was measured (see cpuWindow). */
  cpu: CpuUse | null;
  sqlText: string;
}

async function main(): Promise<void> {
  const rows = intEnv('BENCH_ROWS', 10_000_000, 1);
  const runs = intEnv('BENCH_RUNS', 15, 1);
  const warmup = intEnv('BENCH_WARMUP', 3, 0);
  const resources = intEnv('BENCH_RESOURCES', 30_000, 1);
  const dataDir = path.resolve(
    process.env.BENCH_DATA_DIR || path.join(packageRoot(__dirname), '.bench-data', `query-${rows}`),
  );
  const log = (line: string) => process.stdout.write(`${line}\n`);

  const config = loadConfig({
    DATA_DIR: dataDir,
    CLICKHOUSE_DATABASE: 'bench',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
  });
  log(`bench:query  data dir ${dataDir}`);
  const core = await createCore(config, createLogger(config.logLevel));
  let running: RunningServer | undefined;
  try {
    const dataset = await ensureDataset(core.db, { rows, resources, dataDir, log });
    log(
      dataset.reused
        ? `reusing ${dataset.rows.toLocaleString('en-US')} expense rows generated ${dataset.generatedAt} (load took ${(dataset.loadMs / 1000).toFixed(1)} s)`
        : `generated ${dataset.rows.toLocaleString('en-US')} expense rows in ${(dataset.loadMs / 1000).toFixed(1)} s`,
    );
    const { token } = await core.tokens.issue(dataset.organizationId, 'bench');
    running = await startServer(core, { role: 'api' });
    let connections = 0;
    running.server.on('connection', () => connections++);

    const cases = buildCases(core, running.url, token, dataset);
    const results: CaseResult[] = [];
    for (const c of cases) results.push(await measure(core, c, runs, warmup, log));

    report(results, dataset, { runs, warmup, connections, log });
    const out = process.env.BENCH_JSON;
    if (out) {
      fs.writeFileSync(
        out,
        `${JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, runs, warmup, dataset, results }, null, 2)}\n`,
      );
      log(`results written to ${out}`);
    }
  } finally {
    await runAll([async () => running?.stop(), () => core.close()]);
  }
}

function buildCases(core: Core, url: string, token: string, dataset: Dataset): Case[] {
  const reader = new ClickHouseExpenseReader(core.db);
  const org = dataset.organizationId;
  const last = dataset.lastDay;
  const range30 = { start: addDays(last, -29), end: last };
  const range90 = { start: addDays(last, -89), end: last };
  const previous90 = previousRange(range90);

  const post = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
    if (!response.ok || body.errors || !body.data) {
      throw new Error(`GraphQL ${response.status}: ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
    }
    return body.data;
  };
  const money = (x: number) => x.toFixed(2);

  return [
    {
      name: 'expenses',
      describe: `top 50 by cost, ${range30.start}..${range30.end} (30 d), all accounts, totalCount + totalCost`,
      graphql: async () => {
        const { expenses } = await post<ExpensesData>(EXPENSES_QUERY, { range: range30 });
        const names = expenses.edges.map((e) => e.node.name).join(',');
        return { check: `${expenses.totalCount}|${money(expenses.totalCost)}|${names}` };
      },
      // What ExpenseService.list passes for these arguments (default orderBy, no filter, no cursor).
      direct: async () => {
        const page = await reader.list({
          organizationId: org,
          range: range30,
          filter: {},
          orderBy: { field: 'COST', direction: 'DESC' },
          first: 50,
          after: undefined,
        });
        const names = page.rows.map((r) => r.name).join(',');
        return { check: `${page.totalCount}|${money(page.totalCost)}|${names}` };
      },
    },
    {
      name: 'expenseBreakdown',
      describe: `by PROVIDER, ${range90.start}..${range90.end} (90 d; the SQL reads 180 d with the previous period)`,
      graphql: async () => {
        const { expenseBreakdown: b } = await post<BreakdownData>(BREAKDOWN_QUERY, { range: range90 });
        const totals = b.totals.map((t) => `${t.key}=${money(t.total)}`).join(',');
        return { check: `${money(b.total)}|${money(b.previousTotal)}|${totals}` };
      },
      // What ExpenseService.breakdown passes: the previous period's start to the range's end.
      direct: async () => {
        const cells = await reader.breakdown(org, previous90.start, range90.end, 'PROVIDER', undefined, {});
        const sums = new Map<string, { cur: number; prev: number }>();
        for (const cell of cells) {
          const entry = sums.get(cell.key) ?? { cur: 0, prev: 0 };
          if (cell.date >= range90.start) entry.cur += Number(cell.cost);
          else entry.prev += Number(cell.cost);
          sums.set(cell.key, entry);
        }
        const all = [...sums.entries()].sort((a, b) => b[1].cur - a[1].cur || b[1].prev - a[1].prev);
        const total = all.reduce((s, [, v]) => s + v.cur, 0);
        const prev = all.reduce((s, [, v]) => s + v.prev, 0);
        return {
          check: `${money(total)}|${money(prev)}|${all.map(([k, v]) => `${k}=${money(v.cur)}`).join(',')}`,
        };
      },
    },
  ];
}

/** Runs `call` while recording the statements it issues through core.db. */
async function observed(core: Core, call: Call) {
  const statements: { sql: string; ms: number }[] = [];
  const stop = core.db.observe((event) => statements.push({ sql: event.sql, ms: event.ms }));
  const started = performance.now();
  try {
    const { check } = await call();
    return { ms: performance.now() - started, check, statements };
  } finally {
    stop();
  }
}

const normalize = (sql: string) => sql.replace(/\s+/g, ' ').trim();

async function measure(
  core: Core,
  c: Case,
  runs: number,
  warmup: number,
  log: (line: string) => void,
): Promise<CaseResult> {
  // First calls: both paths must give the same answer, and GraphQL must run the direct SQL.
  const g0 = await observed(core, c.graphql);
  const d0 = await observed(core, c.direct);
  if (g0.check !== d0.check) {
    throw new Error(
      `${c.name}: GraphQL and direct answers differ\n  graphql: ${g0.check}\n  direct:  ${d0.check}`,
    );
  }
  if (d0.statements.length !== 1)
    throw new Error(`${c.name}: direct path issued ${d0.statements.length} statements`);
  const directSql = normalize((d0.statements[0] as { sql: string }).sql);
  if (!g0.statements.some((s) => normalize(s.sql) === directSql)) {
    throw new Error(`${c.name}: the GraphQL request did not issue the direct path's SQL`);
  }
  log(
    `${c.name}: first calls ${g0.ms.toFixed(0)} ms (GraphQL), ${d0.ms.toFixed(0)} ms (direct); answers agree`,
  );

  for (let i = 0; i < warmup; i++) {
    await c.graphql();
    await c.direct();
  }
  const graphql: number[] = [];
  const direct: number[] = [];
  const sqlInGraphql: number[] = [];
  const extraSqlInGraphql: number[] = [];
  let queriesPerRequest = 0;
  const runGraphql = async () => {
    const r = await observed(core, c.graphql);
    graphql.push(r.ms);
    sqlInGraphql.push(r.statements.reduce((sum, s) => sum + s.ms, 0));
    extraSqlInGraphql.push(
      r.statements.filter((s) => normalize(s.sql) !== directSql).reduce((sum, s) => sum + s.ms, 0),
    );
    queriesPerRequest = Math.max(queriesPerRequest, r.statements.length);
  };
  const runDirect = async () => {
    const r = await observed(core, c.direct);
    direct.push(r.ms);
  };
  const window = cpuWindow();
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      await runGraphql();
      await runDirect();
    } else {
      await runDirect();
      await runGraphql();
    }
  }
  const cpu = window.end();
  const g = summarize(graphql);
  const d = summarize(direct);
  log(`${c.name}: GraphQL median ${g.median.toFixed(1)} ms, direct median ${d.median.toFixed(1)} ms`);
  return {
    name: c.name,
    describe: c.describe,
    graphql: g,
    direct: d,
    ratio: g.median / d.median,
    queriesPerRequest,
    sqlInGraphql: summarize(sqlInGraphql),
    extraSqlInGraphql: summarize(extraSqlInGraphql),
    cpu,
    sqlText: directSql,
  };
}

export interface CpuUse {
  /** Fractions of all cores' time: busy overall, used by this process, used by everything else. */
  machine: number;
  self: number;
  others: number;
}

/**
 * Measures how busy the machine was between now and end(): /proc/stat for all cores, and
 * process.cpuUsage() for this process (the in-process engine's threads included). Other
 * processes competing for the 2 cores show up as `others`; null where /proc/stat is missing.
 */
function cpuWindow(): { end(): CpuUse | null } {
  const start = machineCpuMs();
  const startSelf = process.cpuUsage();
  const startWall = performance.now();
  return {
    end() {
      const stop = machineCpuMs();
      if (!start || !stop || stop.total === start.total) return null;
      const machine = (stop.busy - start.busy) / (stop.total - start.total);
      const used = process.cpuUsage(startSelf);
      const self = (used.user + used.system) / 1000 / ((performance.now() - startWall) * os.cpus().length);
      return { machine, self: Math.min(self, machine), others: Math.max(0, machine - self) };
    },
  };
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

const TARGET_RATIO = 1.25;
const TARGET_MEDIAN_MS = 500;

function report(
  results: CaseResult[],
  dataset: Dataset,
  o: { runs: number; warmup: number; connections: number; log: (line: string) => void },
): void {
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  o.log('');
  o.log(
    `bench:query  ${new Date().toISOString()}  node ${process.version}  ${os.cpus().length} cpus  ` +
      `${o.runs} runs/path after ${o.warmup} warm-up, interleaved`,
  );
  o.log(
    `data: ${dataset.rows.toLocaleString('en-US')} expense rows (${dataset.correctionPairs.toLocaleString('en-US')} correction pairs), ` +
      `${dataset.cloudResources.toLocaleString('en-US')} cloud resources + ${dataset.clusters} clusters, ` +
      `${dataset.firstDay}..${dataset.lastDay}; ` +
      `${dataset.reused ? 'reused' : 'generated'} (load ${(dataset.loadMs / 1000).toFixed(1)} s)`,
  );
  for (const r of results) o.log(`  ${r.name}: ${r.describe}`);
  o.log('');
  o.log(
    table([
      [
        'case',
        'GraphQL median',
        'GraphQL p90',
        'direct median',
        'direct p90',
        'ratio G/D',
        'SQL in G',
        'other SQL in G',
        'stmts/req',
      ],
      ...results.map((r) => [
        r.name,
        ms(r.graphql.median),
        ms(r.graphql.p90),
        ms(r.direct.median),
        ms(r.direct.p90),
        `${r.ratio.toFixed(2)}x`,
        ms(r.sqlInGraphql.median),
        ms(r.extraSqlInGraphql.median),
        String(r.queriesPerRequest),
      ]),
    ]),
  );
  o.log('');
  for (const r of results) {
    const ratioOk = r.ratio <= TARGET_RATIO;
    const medianOk = r.graphql.median < TARGET_MEDIAN_MS && r.direct.median < TARGET_MEDIAN_MS;
    o.log(
      `  ${r.name}: ratio ${r.ratio.toFixed(2)} ${ratioOk ? '<=' : '>'} ${TARGET_RATIO} ${ratioOk ? 'met' : 'NOT met'}; ` +
        `medians ${medianOk ? 'under' : 'NOT all under'} ${TARGET_MEDIAN_MS} ms ${medianOk ? 'met' : 'NOT met'}; ` +
        `min ${ms(r.graphql.min)} (GraphQL) / ${ms(r.direct.min)} (direct)`,
    );
    if (r.cpu) {
      o.log(
        `    CPU while measuring: machine ${pct(r.cpu.machine)} busy, this process ${pct(r.cpu.self)}, ` +
          `other processes ${pct(r.cpu.others)} of ${os.cpus().length} cores`,
      );
    }
  }
  o.log(`  (${o.connections} TCP connection(s) for all GraphQL requests)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
