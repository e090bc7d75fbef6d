import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { createCore, runAll, startServer, type Core, type RunningServer } from '../src/main';
import { addDays, formatDay } from '../src/domain/days';
import { packageRoot } from '../src/package-root';
import { ClickHouseAllocationStore } from '../src/store/k8s-allocation.store';
import { ClickHouseOrganizationRepository } from '../src/store/organization.repository';
import type { AllocationQuery } from '../src/domain/ports';
import { ALLOCATION_FIGURES as FIGURES } from '../src/domain/allocation';
import { summarize, table } from './support/stats';
import { intEnv } from './support/env';
import { peakRssBytes } from './support/proc';

/**
 * `npm run bench:allocation`, part 2 (part 1 is bench:aggregate on one cluster of 200 nodes and
 * 6,000 containers, which the package script runs first: the cluster-day job computes the
 * allocation): `k8sAllocation(by: NAMESPACE)` over `BENCH_DAYS` days of `BENCH_CLUSTERS` clusters
 * of `BENCH_CONTAINERS` containers in the embedded engine, timed two ways in the same process:
 *
 * - GraphQL: a POST to the real server (keep-alive, bearer token): auth, Apollo, the service's
 *   idle handling, the SQL, JSON on both sides;
 * - direct: the store's `groups` with the arguments the service passes (the identical SQL, checked
 *   via db.observe), the same ClickHouse client.
 *
 * The rows are generated inside ClickHouse (INSERT ... SELECT FROM numbers()), one per container
 * per cluster-day, plus 200 idle rows (nodes) per cluster-day; eight nodes per cluster carry a
 * bill factor, so the correction's map lookups are part of the work. Targets: GraphQL <= 1.25 x
 * direct, median < 300 ms.
 *
 * Env: BENCH_ALLOC_CLUSTERS (50), BENCH_ALLOC_DAYS (90), BENCH_ALLOC_CONTAINERS (6000), BENCH_RUNS (15),
 * BENCH_WARMUP (3), BENCH_DATA_DIR (.bench-data/allocation-<clusters>x<days>x<containers>),
 * BENCH_JSON (write the results there), LOG_LEVEL (warn).
 */

const ORG = 'bench-allocation-org';
const GENERATOR_VERSION = 2;
const NODES = 200;

const QUERY = `
  query BenchAllocation($range: DateRangeInput!) {
    k8sAllocation(range: $range, by: NAMESPACE) { total items { key total } }
  }`;

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const clusters = intEnv('BENCH_ALLOC_CLUSTERS', 50, 1);
  const days = intEnv('BENCH_ALLOC_DAYS', 90, 1);
  const containers = intEnv('BENCH_ALLOC_CONTAINERS', 6000, 1);
  const runs = intEnv('BENCH_RUNS', 15, 1);
  const warmup = intEnv('BENCH_WARMUP', 3, 0);
  const dataDir = path.resolve(
    process.env.BENCH_DATA_DIR ||
      path.join(packageRoot(__dirname), '.bench-data', `allocation-${clusters}x${days}x${containers}`),
  );
  const config = loadConfig({
    DATA_DIR: dataDir,
    CLICKHOUSE_DATABASE: 'bench_allocation',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
  });
  log(
    `bench:allocation (query)  ${clusters} clusters x ${days} days x ${containers} containers, data dir ${dataDir}`,
  );
  const core = await createCore(config, createLogger(config.logLevel));
  let running: RunningServer | undefined;
  try {
    const lastDay = await ensureRows(core, dataDir, { clusters, days, containers });
    const range = { start: addDays(lastDay, -(days - 1)), end: lastDay };
    const { token } = await core.tokens.issue(ORG, 'bench');
    running = await startServer(core, { role: 'api' });
    const url = running.url;
    const store = new ClickHouseAllocationStore(core.db);
    // What K8sAllocationService passes to the store for these arguments.
    const query: AllocationQuery = {
      organizationId: ORG,
      from: range.start,
      to: range.end,
      by: 'NAMESPACE',
      labelKey: undefined,
      clusterIds: undefined,
      filter: { namespaces: undefined, controllers: undefined, nodes: undefined, labels: undefined },
      daily: false,
    };
    const graphql = async () => {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: QUERY, variables: { range } }),
      });
      const body = (await response.json()) as {
        data?: { k8sAllocation: { total: number; items: { key: string }[] } };
        errors?: unknown;
      };
      if (!body.data) throw new Error(`GraphQL ${response.status}: ${JSON.stringify(body.errors)}`);
      return body.data.k8sAllocation;
    };
    const direct = () => store.groups(query);

    // First calls: the same statements, the same total.
    const seen = (run: () => Promise<unknown>) => observed(core, run);
    const g0 = await seen(graphql);
    const d0 = await seen(direct);
    // The request's allocation statements (auth's token lookup aside) are the direct path's.
    const sql = (s: { sql: string }[]) =>
      s
        .filter((x) => x.sql.includes('k8s_allocation'))
        .map((x) => x.sql.replace(/\s+/g, ' ').trim())
        .join('\n');
    if (sql(g0.statements) !== sql(d0.statements))
      throw new Error('the GraphQL request did not issue the direct path statements');
    const report = g0.value as Awaited<ReturnType<typeof graphql>>;
    // The total from the rows themselves, corrected by the live run rows: what the roll-up holds.
    const [rowsTotal] = await core.db.query<{ total: number }>(
      `SELECT sum(${FIGURES.filter((f) => f.column.endsWith('_cost'))
        .map(
          (f) =>
            `a.${f.column}${f.factor === 'node' ? ' * if(mapContains(r.node_factors, a.node), r.node_factors[a.node], 1)' : ''}`,
        )
        .join(' + ')}) AS total
       FROM {db:Identifier}.k8s_allocations AS a
       INNER JOIN {db:Identifier}.k8s_allocation_runs AS r
         ON a.cloud_account_id = r.cloud_account_id AND a.date = r.date AND a.version = r.version
       WHERE a.organization_id = {org:String} AND a.date >= {from:Date} AND a.date <= {to:Date}`,
      { org: ORG, from: range.start, to: range.end },
    );
    if (Math.abs(report.total - Number(rowsTotal?.total)) > 0.01)
      throw new Error(`totals differ: GraphQL $${report.total}, the rows $${rowsTotal?.total}`);
    log(
      `first calls: GraphQL ${g0.ms.toFixed(0)} ms, direct ${d0.ms.toFixed(0)} ms; ${d0.statements.length} statements each; total $${report.total.toFixed(2)} in ${report.items.length} items`,
    );

    for (let i = 0; i < warmup; i++) {
      await graphql();
      await direct();
    }
    const g: number[] = [];
    const d: number[] = [];
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? [graphql, direct] : [direct, graphql];
      for (const run of order) {
        const started = performance.now();
        await run();
        (run === graphql ? g : d).push(performance.now() - started);
      }
    }
    const gs = summarize(g);
    const ds = summarize(d);
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    log('');
    log(
      table([
        ['', 'median', 'min', 'p90', 'max'],
        ['GraphQL k8sAllocation by NAMESPACE', ms(gs.median), ms(gs.min), ms(gs.p90), ms(gs.max)],
        ['direct (the store, same SQL)', ms(ds.median), ms(ds.min), ms(ds.p90), ms(ds.max)],
      ]),
    );
    const ratio = gs.median / ds.median;
    log(
      `GraphQL / direct (medians): ${ratio.toFixed(2)}  (target <= 1.25: ${ratio <= 1.25 ? 'met' : 'NOT met'})`,
    );
    log(`GraphQL median ${ms(gs.median)}  (target < 300 ms: ${gs.median < 300 ? 'met' : 'NOT met'})`);
    const peak = peakRssBytes();
    log(
      `peak memory of this process (server + embedded ClickHouse): ${peak === null ? 'n/a' : `${(peak / 1_048_576).toFixed(0)} MiB`}; ${os.cpus().length} CPUs; Node ${process.version}`,
    );
    const out = process.env.BENCH_JSON;
    if (out)
      fs.writeFileSync(
        out,
        `${JSON.stringify({ date: new Date().toISOString(), clusters, days, containers, graphql: gs, direct: ds, ratio, peak }, null, 2)}\n`,
      );
  } finally {
    await runAll([async () => running?.stop(), () => core.close()]);
  }
}

async function observed(core: Core, run: () => Promise<unknown>) {
  const statements: { sql: string }[] = [];
  const stop = core.db.observe((event) => statements.push({ sql: event.sql }));
  const started = performance.now();
  try {
    const value = await run();
    return { value, ms: performance.now() - started, statements };
  } finally {
    stop();
  }
}

/**
 * The allocation rows of the spec, generated when the marker file is missing or another shape.
 * Returns the last day of the data.
 */
async function ensureRows(
  core: Core,
  dataDir: string,
  spec: { clusters: number; days: number; containers: number },
): Promise<string> {
  const marker = path.join(dataDir, 'bench-allocation.json');
  try {
    const saved = JSON.parse(fs.readFileSync(marker, 'utf8')) as {
      version: number;
      lastDay: string;
      rows: number;
    };
    const [count] = await core.db.query<{ rows: string }>(
      'SELECT count() AS rows FROM {db:Identifier}.k8s_allocations WHERE organization_id = {org:String}',
      { org: ORG },
    );
    if (saved.version === GENERATOR_VERSION && Number(count?.rows) === saved.rows) {
      log(`reusing ${saved.rows.toLocaleString('en-US')} allocation rows ending ${saved.lastDay}`);
      return saved.lastDay;
    }
  } catch {
    // no marker: generate
  }
  const lastDay = addDays(formatDay(new Date()), -1);
  const started = performance.now();
  for (const table of ['k8s_allocations', 'k8s_allocation_runs', 'k8s_allocation_namespaces'])
    await core.db.command(`TRUNCATE TABLE IF EXISTS {db:Identifier}.${table}`);
  if (!(await core.organizations.get(ORG)))
    await new ClickHouseOrganizationRepository(core.db).create({
      id: ORG,
      name: 'Bench allocation',
      createdAt: new Date(),
    });
  const params = { org: ORG, last: lastDay, days: spec.days, containers: spec.containers, nodes: NODES };
  const perCluster = spec.days * spec.containers;
  // Container rows: cores 0.10 .. 2.00 and 128 MiB .. 4 GiB at the bench node prices, all day.
  await core.db.command(
    `INSERT INTO {db:Identifier}.k8s_allocations
       (organization_id, cloud_account_id, date, version, bucket, namespace, controller_kind, controller,
        pod, container, node, volume, labels, cpu_cost, ram_cost, gpu_cost, storage_cost, network_cost,
        load_balancer_cost, overhead_cost, idle_cpu_cost, idle_ram_cost, idle_gpu_cost, idle_other_cost,
        cpu_core_hours, ram_byte_hours, gpu_hours, cpu_request_core_hours, cpu_usage_core_hours,
        ram_request_byte_hours, ram_usage_byte_hours)
     SELECT {org:String}, concat('bench-cluster-', toString(c)), {last:Date} - d, 1, '',
            concat('ns-', toString(i % 40)), if(i % 400 % 5 = 4, 'statefulset', 'deployment'),
            concat('app-', toString(i % 400)), concat('pod-', toString(i)), concat('c-', toString(i % 3)),
            concat('node-', toString(i % {nodes:UInt32})), '',
            map('app', concat('app-', toString(i % 400)), 'team', concat('team-', toString(i % 12))),
            cores * 24 * 0.031611, gib * 24 * 0.004237, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            cores * 24, gib * 24 * 1073741824, 0, cores * 24 * 0.8, cores * 24 * 0.5,
            gib * 24 * 1073741824 * 0.8, gib * 24 * 1073741824 * 0.6
     FROM (SELECT intDiv(number, ${perCluster}) AS c, intDiv(number % ${perCluster}, {containers:UInt32}) AS d,
                  number % {containers:UInt32} AS i, 0.1 + (cityHash64(number) % 191) / 100 AS cores,
                  (128 + cityHash64(number, 1) % 3969) / 1024 AS gib
           FROM numbers(${spec.clusters * perCluster}))`,
    params,
  );
  // Idle rows: one per node and day.
  await core.db.command(
    `INSERT INTO {db:Identifier}.k8s_allocations
       (organization_id, cloud_account_id, date, version, bucket, node, idle_cpu_cost, idle_ram_cost)
     SELECT {org:String}, concat('bench-cluster-', toString(intDiv(number, {days:UInt32} * {nodes:UInt32}))),
            {last:Date} - intDiv(number % ({days:UInt32} * {nodes:UInt32}), {nodes:UInt32}), 1, '__idle__',
            concat('node-', toString(number % {nodes:UInt32})), 0.75, 0.4
     FROM numbers(${spec.clusters * spec.days * NODES})`,
    params,
  );
  // The live version of every cluster-day, eight billed nodes at 65% of list price.
  await core.db.command(
    `INSERT INTO {db:Identifier}.k8s_allocation_runs
       (organization_id, cloud_account_id, date, version, node_factors, volume_factors, extra_idle,
        extra_unmounted, updated_at)
     SELECT {org:String}, concat('bench-cluster-', toString(intDiv(number, {days:UInt32}))),
            {last:Date} - number % {days:UInt32}, 1,
            mapFromArrays(arrayMap(k -> concat('node-', toString(k)), range(8)), arrayMap(k -> 0.65, range(8))),
            map(), 0, 0, toDateTime64('2026-01-01 00:00:00', 6, 'UTC')
     FROM numbers(${spec.clusters * spec.days})`,
    params,
  );
  // Their namespaces, corrected, as the store rolls each cluster-day up (generation = the run
  // row's updated_at); the run checks the report's total against the rows themselves.
  await core.db.command(
    `INSERT INTO {db:Identifier}.k8s_allocation_namespaces
       (organization_id, cloud_account_id, date, generation, bucket, namespace, ${FIGURES.map((f) => f.column).join(', ')})
     SELECT a.organization_id, a.cloud_account_id, a.date, r.updated_at, a.bucket, a.namespace,
            ${FIGURES.map(({ column, factor }) => `sum(a.${column}${factor === 'node' ? ' * if(mapContains(r.node_factors, a.node), r.node_factors[a.node], 1)' : ''})`).join(', ')}
     FROM {db:Identifier}.k8s_allocations AS a
     INNER JOIN {db:Identifier}.k8s_allocation_runs AS r
       ON a.cloud_account_id = r.cloud_account_id AND a.date = r.date AND a.version = r.version
     WHERE a.organization_id = {org:String} AND r.organization_id = {org:String}
     GROUP BY a.organization_id, a.cloud_account_id, a.date, r.updated_at, a.bucket, a.namespace`,
    params,
  );
  const rows = spec.clusters * spec.days * (spec.containers + NODES);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(
    marker,
    `${JSON.stringify({ version: GENERATOR_VERSION, lastDay, rows, ...spec }, null, 2)}\n`,
  );
  log(
    `generated ${rows.toLocaleString('en-US')} allocation rows in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return lastDay;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
