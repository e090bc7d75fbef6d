import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { createCore, startServer, type Core } from '../src/main';
import { packageRoot } from '../src/package-root';
import { hashSecret } from '../src/domain/tenancy';
import { FerretDb } from '../test/support/ferretdb';
import { ensureFocusFile } from './support/focus-file';
import { summarize, table } from './support/stats';
import { intEnv } from './support/env';

/**
 * `npm run bench:mongo`: what MONGODB_URL costs, each figure against the embedded default
 * measured in the same run, with FerretDB 1.24 over SQLite as the MongoDB (built by
 * scripts/build-go-tools.sh; MongoDB itself is not installable here).
 *
 * 1. import: the 2M-row FOCUS file over BENCH_RESOURCES resources (20,000, every one new to a
 *    fresh database), imported by `FocusImportService.importFiles` in a child process of its own,
 *    alternately without and with MONGODB_URL (a fresh MongoDB database each run); then the same
 *    file again in the same child (every resource known: looked up, not rewritten). Target: the
 *    import's rate with MongoDB at least 0.90 of the rate without (a drop of 10% at most).
 * 2. page: `expenses(first: 50)` with every resource detail and the cloud account, over HTTP
 *    (keep-alive, bearer token), from a service on the embedded default and from a service with
 *    MONGODB_URL on the same ClickHouse database (the bill imported through the latter, so its
 *    accounts and resources are in both stores), requests alternating after a warm-up. Both answers must be identical. Target: median with
 *    MongoDB + DataLoader at most 1.25x the ClickHouse-only path.
 *
 * Env: BENCH_ROWS (2000000), BENCH_RESOURCES (20000), BENCH_RUNS (2 imports per kind),
 * BENCH_REQUESTS (200 per path), BENCH_WARMUP (20), BENCH_PARTS ("import,page"),
 * BENCH_MONGODB_URL (a MongoDB to use instead of FerretDB: `mongodb://host:27017`).
 */

const ROOT = packageRoot(__dirname);
const DIR = path.join(ROOT, '.bench-data', 'mongo');
const FILE_DIR = path.join(ROOT, '.bench-data', 'import');

const PAGE_QUERY = `
  query BenchExpensesPage($range: DateRangeInput!) {
    expenses(range: $range, first: 50) {
      totalCount
      totalCost
      edges {
        cursor
        node {
          id resourceId cloudResourceId name resourceType provider region service owner
          tags { key value } cost firstSeen lastSeen
          cloudAccount { id name type }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }`;

interface ImportResult {
  kind: string;
  rows: number;
  resources: number;
  ms: number;
  againMs: number;
  totalCost: number;
}

function config(extra: Record<string, string> = {}) {
  return loadConfig({ DATA_DIR: path.join(DIR, 'data'), LOG_LEVEL: 'warn', PORT: '0', ...extra });
}

/** Runs inside a child: one import and its repeat, printed as JSON on stdout. */
async function child(kind: string, file: string, mongoUrl: string): Promise<void> {
  const settings = {
    CLICKHOUSE_DATABASE: 'bench_mongo_import',
    ...(kind === 'mongodb' ? { MONGODB_URL: mongoUrl } : {}),
  };
  // A fresh ClickHouse database each time: the first import of a bill, every resource new.
  const old = await createCore(config({ CLICKHOUSE_DATABASE: 'bench_mongo_import' }), createLogger('warn'));
  await old.db.command('DROP DATABASE IF EXISTS {db:Identifier}').finally(() => old.close());
  const core = await createCore(config(settings), createLogger('warn'));
  try {
    const { organization } = await core.organizations.create('Bench Bills');
    let started = performance.now();
    const report = await core.services.focusImport.importFiles(organization.id, [file]);
    const ms = performance.now() - started;
    if (report.rowsRefused > 0) throw new Error(`refused rows: ${JSON.stringify(report.errors[0])}`);
    started = performance.now();
    await core.services.focusImport.importFiles(organization.id, [file]);
    const againMs = performance.now() - started;
    if (kind === 'mongodb') {
      const stored = await core.mongo!.models.resources.countDocuments({ organizationId: organization.id });
      if (stored !== report.resources)
        throw new Error(`MongoDB holds ${stored} of ${report.resources} resources`);
    }
    const result: ImportResult = {
      kind,
      rows: report.rowsImported,
      resources: report.resources,
      ms,
      againMs,
      totalCost: report.totalCost,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await core.close();
  }
}

function measureImport(kind: string, file: string, mongoUrl: string): ImportResult {
  const result = spawnSync(process.execPath, [__filename, '--child', kind, file, mongoUrl], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (result.status !== 0) throw new Error(`${kind} child failed:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) as string) as ImportResult;
}

async function importBench(
  file: string,
  ferret: Pick<FerretDb, 'url'>,
  rows: number,
): Promise<(string | number)[][]> {
  const runs = intEnv('BENCH_RUNS', 2);
  const results: Record<string, ImportResult[]> = { clickhouse: [], mongodb: [] };
  for (let i = 0; i < runs; i++) {
    for (const kind of i % 2 === 0 ? ['clickhouse', 'mongodb'] : ['mongodb', 'clickhouse']) {
      const r = measureImport(kind, file, ferret.url(`bench_import_${randomBytes(4).toString('hex')}`));
      process.stderr.write(
        `import ${kind}: ${(r.ms / 1000).toFixed(2)} s, again ${(r.againMs / 1000).toFixed(2)} s (${r.resources} resources)\n`,
      );
      (results[kind] as ImportResult[]).push(r);
    }
  }
  const [base, mongo] = [results.clickhouse as ImportResult[], results.mongodb as ImportResult[]];
  for (const r of [...base, ...mongo]) {
    if (r.rows !== rows) throw new Error(`${r.kind} imported ${r.rows} of ${rows} rows`);
    if (Math.abs(r.totalCost - (base[0] as ImportResult).totalCost) > 1e-6)
      throw new Error(`${r.kind} total ${r.totalCost} differs from ${(base[0] as ImportResult).totalCost}`);
  }
  const median = (list: ImportResult[], pick: (r: ImportResult) => number) =>
    summarize(list.map(pick)).median;
  const out: (string | number)[][] = [['import', 'resources', 'embedded s', 'MONGODB_URL s', 'rate ratio']];
  for (const [label, pick] of [
    ['first (all new)', (r: ImportResult) => r.ms],
    ['again (all known)', (r: ImportResult) => r.againMs],
  ] as const) {
    const [b, m] = [median(base, pick), median(mongo, pick)];
    out.push([
      label,
      (base[0] as ImportResult).resources,
      (b / 1000).toFixed(2),
      (m / 1000).toFixed(2),
      (b / m).toFixed(3),
    ]);
  }
  return out;
}

async function pageBench(file: string, ferret: Pick<FerretDb, 'url'>): Promise<(string | number)[][]> {
  const requests = intEnv('BENCH_REQUESTS', 200);
  const warmup = intEnv('BENCH_WARMUP', 20);
  const database = 'bench_mongo_page';
  const plain = await createCore(config({ CLICKHOUSE_DATABASE: database }), createLogger('warn'));
  await plain.db.command('DROP DATABASE IF EXISTS {db:Identifier}');
  await plain.close();
  const cores: Core[] = [];
  const servers: { stop(): Promise<void> }[] = [];
  try {
    const base = await createCore(config({ CLICKHOUSE_DATABASE: database }), createLogger('warn'));
    cores.push(base);
    const { organization, token, tokenId } = await base.organizations.create('Bench Pages');
    // The same organization and token in MongoDB, and the bill imported through the MONGODB_URL
    // service: its accounts and resources go to both stores, as they do in production.
    const withMongo = await createCore(
      config({
        CLICKHOUSE_DATABASE: database,
        MONGODB_URL: ferret.url(`bench_page_${randomBytes(4).toString('hex')}`),
      }),
      createLogger('warn'),
    );
    cores.push(withMongo);
    await withMongo.mongo!.organizations.create(organization);
    await withMongo.mongo!.apiTokens.create(hashSecret(token), {
      id: tokenId,
      organizationId: organization.id,
      name: 'bench',
      revoked: false,
    });
    await withMongo.services.focusImport.importFiles(organization.id, [file]);
    const urls: Record<string, string> = {};
    for (const [name, core] of [
      ['embedded default', base],
      ['MONGODB_URL', withMongo],
    ] as const) {
      const server = await startServer(core, { role: 'api' });
      servers.push(server);
      urls[name] = server.url;
    }
    const range = { start: '2024-09-01', end: '2024-09-30' };
    const ask = async (name: string) => {
      const started = performance.now();
      const response = await fetch(`${urls[name]}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: PAGE_QUERY, variables: { range } }),
      });
      const body = (await response.json()) as { data?: unknown; errors?: unknown };
      const ms = performance.now() - started;
      if (response.status !== 200 || body.errors) throw new Error(`${name}: ${JSON.stringify(body.errors)}`);
      return { ms, body };
    };
    const names = Object.keys(urls);
    const [a, b] = await Promise.all(names.map((n) => ask(n)));
    if (!isDeepStrictEqual(a?.body, b?.body)) throw new Error('the two paths answered differently');
    for (let i = 0; i < warmup; i++) for (const n of names) await ask(n);
    let finds = 0;
    const stop = withMongo.mongo!.onCommand((c) => {
      if (c.name === 'find') finds++;
    });
    const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    try {
      for (let i = 0; i < requests; i++) {
        for (const n of i % 2 === 0 ? names : [...names].reverse()) times[n]?.push((await ask(n)).ms);
      }
    } finally {
      stop();
    }
    // Where the MongoDB path's time goes: the page's one `$in`, as the loader sends it.
    const ids = (
      b?.body as { data: { expenses: { edges: { node: { resourceId: string } }[] } } }
    ).data.expenses.edges.map((e) => e.node.resourceId);
    const model = withMongo.mongo!.models.resources;
    const inTimes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const found = await model.find({ organizationId: organization.id, _id: { $in: ids } }).lean();
      inTimes.push(performance.now() - started);
      if (found.length !== ids.length) throw new Error('documents missing');
    }
    const s = Object.fromEntries(names.map((n) => [n, summarize(times[n] as number[])]));
    const baseline = s['embedded default']!;
    const documents = await model.estimatedDocumentCount();
    return [
      ['expenses page (50 rows)', 'median ms', 'p90 ms', 'p99 ms', 'MongoDB finds/request', 'median ratio'],
      ...names.map((n) => [
        n,
        s[n]!.median.toFixed(1),
        s[n]!.p90.toFixed(1),
        s[n]!.p99.toFixed(1),
        n === 'MONGODB_URL' ? (finds / requests).toFixed(1) : '-',
        (s[n]!.median / baseline.median).toFixed(3),
      ]),
      [
        `  its $in of 50 ids (${documents} documents)`,
        summarize(inTimes).median.toFixed(1),
        summarize(inTimes).p90.toFixed(1),
        '-',
        '',
        '',
      ],
    ];
  } finally {
    for (const server of servers) await server.stop();
    for (const core of cores.reverse()) await core.close();
  }
}

/** FerretDB started here, or the MongoDB of BENCH_MONGODB_URL (`mongodb://host:port`, no database). */
async function mongoServer(): Promise<Pick<FerretDb, 'url' | 'dispose'>> {
  const url = process.env.BENCH_MONGODB_URL;
  if (!url) return FerretDb.start();
  const base = url.replace(/\/+$/, '');
  return { url: (database: string) => `${base}/${database}`, dispose: async () => undefined };
}

async function main(): Promise<void> {
  const rows = intEnv('BENCH_ROWS', 2_000_000);
  const resources = intEnv('BENCH_RESOURCES', 20_000);
  const file = await ensureFocusFile(FILE_DIR, rows, resources);
  const ferret = await mongoServer();
  try {
    const parts = (process.env.BENCH_PARTS ?? 'import,page').split(',');
    const tables: string[] = [];
    if (parts.includes('import')) tables.push(table(await importBench(file, ferret, rows)));
    if (parts.includes('page')) tables.push(table(await pageBench(file, ferret)));
    const [load1] = os.loadavg();
    process.stdout.write(
      `\n${tables.join('\n\n')}\n\n${rows} rows, ${resources} resources; ` +
        `${os.availableParallelism()} cores; load average when done: ${load1?.toFixed(2)}\n`,
    );
  } finally {
    await ferret.dispose();
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as string, process.argv[4] as string, process.argv[5] as string).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
