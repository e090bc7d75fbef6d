import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../../src/store/db';
import { addDays, formatDay, toClickHouseTime } from '../../src/domain/days';

/**
 * The synthetic organization the query benchmark runs against, generated inside the engine with
 * `INSERT ... SELECT ... FROM numbers(n)` (no row ever passes through JavaScript):
 *
 * - one organization, 12 cloud accounts: 4 AWS, 3 AZURE, 2 GCP and 3 KUBERNETES clusters;
 * - `resources` cloud resources (default 30,000) over the 9 cloud accounts, with type, service,
 *   region, owner and tags drawn from per-provider lists, plus one virtual resource per cluster;
 * - `rows` expense rows over the 365 days ending on `lastDay`: one row per cluster per day (cost =
 *   that day's k8s_cost_breakdown total), cloud rows spread evenly over the days (a sliding window
 *   over the resources, so a resource has a ~1-month gap once a year), and 0.25% of `rows` as
 *   correction pairs (a -1 row cancelling an existing row, a +1 row with the new cost), inserted
 *   after the base data like real late corrections;
 * - k8s_cost_breakdown rows for every cluster-day.
 *
 * Costs are deterministic (cityHash64 of resource and day): a log-uniform daily base between
 * $0.003 and $100 per resource, times +-15% daily noise, rounded to 6 decimals.
 */

/** Bump when the generated shape changes, so stale data is regenerated instead of reused. */
const GENERATOR_VERSION = 1;
export const BENCH_DAYS = 365;
const CORRECTION_SHARE = 0.0025;
/** Resources move this many slots per day through the daily window. */
const WINDOW_SHIFT = 83;

export const BENCH_ORG_ID = '0b5e9c1e-bench-4000-8000-000000000001';

interface AccountSpec {
  id: string;
  name: string;
  type: 'AWS' | 'AZURE' | 'GCP' | 'KUBERNETES';
  region: string;
  k8sProvider: string;
}

const ACCOUNTS: AccountSpec[] = [
  ['aws-prod', 'AWS'],
  ['aws-staging', 'AWS'],
  ['aws-data', 'AWS'],
  ['aws-sandbox', 'AWS'],
  ['azure-analytics', 'AZURE'],
  ['azure-web', 'AZURE'],
  ['azure-dev', 'AZURE'],
  ['gcp-ml', 'GCP'],
  ['gcp-prod', 'GCP'],
  ['eks-prod', 'KUBERNETES', 'us-east-1', 'AWS'],
  ['gke-ml', 'KUBERNETES', 'europe-west4', 'GCP'],
  ['aks-web', 'KUBERNETES', 'westeurope', 'AZURE'],
].map(([name, type, region, k8sProvider], i) => ({
  id: `0b5e9c1e-acct-4000-8000-${String(i + 1).padStart(12, '0')}`,
  name: name as string,
  type: type as AccountSpec['type'],
  region: region ?? '',
  k8sProvider: k8sProvider ?? '',
}));

const CLOUD_ACCOUNTS = ACCOUNTS.filter((a) => a.type !== 'KUBERNETES');
const CLUSTERS = ACCOUNTS.filter((a) => a.type === 'KUBERNETES');

/** [resource_type, service] pairs and regions per provider. */
const KINDS: Record<string, { kinds: [string, string][]; regions: string[] }> = {
  AWS: {
    kinds: [
      ['Instance', 'AmazonEC2'],
      ['Volume', 'AmazonEC2'],
      ['Snapshot', 'AmazonEC2'],
      ['Bucket', 'AmazonS3'],
      ['DB Instance', 'AmazonRDS'],
      ['Load Balancer', 'AWSELB'],
      ['Lambda Function', 'AWSLambda'],
      ['NAT Gateway', 'AmazonVPC'],
    ],
    regions: ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1'],
  },
  AZURE: {
    kinds: [
      ['Virtual Machine', 'Microsoft.Compute'],
      ['Disk', 'Microsoft.Compute'],
      ['Storage Account', 'Microsoft.Storage'],
      ['SQL Database', 'Microsoft.Sql'],
      ['App Service', 'Microsoft.Web'],
    ],
    regions: ['westeurope', 'northeurope', 'eastus', 'eastus2'],
  },
  GCP: {
    kinds: [
      ['Instance', 'Compute Engine'],
      ['Persistent Disk', 'Compute Engine'],
      ['Bucket', 'Cloud Storage'],
      ['Cloud SQL Instance', 'Cloud SQL'],
      ['BigQuery Dataset', 'BigQuery'],
    ],
    regions: ['us-central1', 'europe-west4', 'europe-west1', 'asia-east1'],
  },
};
const OWNERS = Array.from({ length: 40 }, (_, i) => `owner${String(i + 1).padStart(2, '0')}@bench.example`);
const ENVS = ['prod', 'staging', 'dev', 'qa', ''];
const TEAMS = ['platform', 'backend', 'data', 'ml', 'web', 'mobile', 'security', ''];

export interface DatasetMeta {
  version: number;
  organizationId: string;
  rows: number;
  cloudResources: number;
  clusters: number;
  correctionPairs: number;
  firstDay: string;
  lastDay: string;
  loadMs: number;
  generatedAt: string;
}

export interface Dataset extends DatasetMeta {
  /** True when existing data was reused instead of generated in this run. */
  reused: boolean;
}

/** A ClickHouse array literal of constant strings (the lists above; no outside input). */
function lit(values: readonly string[]): string {
  return `[${values.map((v) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;
}

/** The platform resource id of cloud resource number `n` (a UUID-shaped string, like the real ids). */
const cloudResourceId = (n: string) => `UUIDNumToString(MD5(concat('bench-r-', toString(${n}))))`;

/** Daily cost of cloud resource `r` on day index `d`; the same expression everywhere it is needed. */
const cloudCost = (r: string, d: string) =>
  `round(exp10((cityHash64('base', ${r}) % 100000) / 100000 * 4.5 - 2.5)
         * (0.85 + 0.3 * (cityHash64('noise', ${r}, ${d}) % 10000) / 10000), 6)`;

/**
 * The rows' expected shape for a row count: base rows are one per cluster per day plus cloud rows;
 * the correction pairs complete `rows`.
 */
function plan(rows: number, resources: number) {
  const clusterRows = CLUSTERS.length * BENCH_DAYS;
  const correctionPairs = Math.max(1, Math.round(rows * CORRECTION_SHARE));
  const cloudRows = rows - clusterRows - 2 * correctionPairs;
  if (cloudRows < BENCH_DAYS)
    throw new Error(`BENCH_ROWS=${rows} is too small (at least ${clusterRows + 3 * BENCH_DAYS})`);
  const perDay = Math.ceil(cloudRows / BENCH_DAYS);
  // Every (resource, day) pair must stay unique: grow the resource set if the day needs more.
  const cloudResources = Math.max(resources, Math.ceil(perDay * 1.1));
  return { clusterRows, correctionPairs, cloudRows, cloudResources, baseRows: rows - 2 * correctionPairs };
}

/**
 * Reuses the dataset in `db` when its marker file matches (`rows`, generator version) and the
 * table agrees (net sign sum and row count); otherwise empties the tables and generates it.
 */
export async function ensureDataset(
  db: Db,
  options: { rows: number; resources: number; dataDir: string; log: (line: string) => void },
): Promise<Dataset> {
  const metaFile = path.join(options.dataDir, 'bench-dataset.json');
  const p = plan(options.rows, options.resources);
  const existing = readMeta(metaFile);
  if (existing && existing.version === GENERATOR_VERSION && existing.rows === options.rows) {
    const [stats] = await db.query<{ rows: string; net: string }>(
      'SELECT count() AS rows, sum(sign) AS net FROM {db:Identifier}.expenses',
    );
    // Background merges may collapse correction pairs, so count() lies between the base rows
    // and `rows`; the net sign sum is invariant under collapsing.
    const count = Number(stats?.rows ?? 0);
    if (Number(stats?.net) === p.baseRows && count >= p.baseRows && count <= options.rows) {
      return { ...existing, reused: true };
    }
    options.log(`existing data does not match its marker (rows ${count}, net ${stats?.net}); regenerating`);
  }
  fs.rmSync(metaFile, { force: true });
  const meta = await generate(db, options.rows, p, options.log);
  fs.writeFileSync(metaFile, `${JSON.stringify(meta, null, 2)}\n`);
  return { ...meta, reused: false };
}

function readMeta(file: string): DatasetMeta | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as DatasetMeta;
  } catch {
    return null;
  }
}

async function generate(
  db: Db,
  rows: number,
  p: ReturnType<typeof plan>,
  log: (line: string) => void,
): Promise<DatasetMeta> {
  const started = performance.now();
  const lastDay = addDays(formatDay(new Date()), -1);
  const firstDay = addDays(lastDay, -(BENCH_DAYS - 1));
  const step = async (what: string, run: () => Promise<void>) => {
    const t = performance.now();
    await run();
    log(`  ${what}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };
  log(
    `generating ${rows.toLocaleString('en-US')} expense rows (${p.cloudResources.toLocaleString('en-US')} resources, ` +
      `${firstDay}..${lastDay}) ...`,
  );

  for (const table of [
    'organizations',
    'cloud_accounts',
    'resources',
    'expenses',
    'k8s_cost_breakdown',
    'api_tokens',
  ]) {
    await db.command(`TRUNCATE TABLE IF EXISTS {db:Identifier}.${table}`);
  }

  const createdAt = `${firstDay} 00:00:00.000`;
  const now = toClickHouseTime(new Date());
  await db.insert(
    'cloud_accounts',
    ACCOUNTS.map((a) => ({
      id: a.id,
      organization_id: BENCH_ORG_ID,
      name: a.name,
      type: a.type,
      account_ref: a.type === 'KUBERNETES' ? '' : a.name,
      k8s_provider: a.k8sProvider,
      region: a.region,
      owner: a.type === 'KUBERNETES' ? 'platform@bench.example' : '',
      version: a.type === 'KUBERNETES' ? '1.30' : '',
      deleted: 0,
      created_at: createdAt,
      updated_at: now,
    })),
  );

  const accountIds = lit(CLOUD_ACCOUNTS.map((a) => a.id));
  const providers = lit(CLOUD_ACCOUNTS.map((a) => a.type));
  // Per-provider lists, selected by the account's provider.
  const byProvider = (pick: (k: (typeof KINDS)[string]) => string[]) =>
    `multiIf(provider = 'AWS', ${lit(pick(KINDS.AWS!))}, provider = 'AZURE', ${lit(pick(KINDS.AZURE!))}, ${lit(pick(KINDS.GCP!))})`;
  const params = {
    org: BENCH_ORG_ID,
    first: `${firstDay} 00:00:00`,
    days: BENCH_DAYS,
    resources: p.cloudResources,
  };

  await step('resources', () =>
    db.command(
      `INSERT INTO {db:Identifier}.resources
         (id, organization_id, cloud_account_id, cloud_resource_id, name, resource_type, region, service,
          owner, tags, first_seen, last_seen, updated_at)
       SELECT id, {org:String}, account_id, cloud_ref, name, kind.1, region, kind.2, owner, tags,
              {first:DateTime('UTC')}, {first:DateTime('UTC')} + ({days:UInt32} - 1) * 86400, now64(3)
       FROM (
         SELECT number AS n,
                ${cloudResourceId('number')} AS id,
                number % ${CLOUD_ACCOUNTS.length} AS a,
                ${accountIds}[a + 1] AS account_id,
                ${providers}[a + 1] AS provider,
                arrayZip(${byProvider((k) => k.kinds.map((x) => x[0]))}, ${byProvider((k) => k.kinds.map((x) => x[1]))}) AS kinds,
                kinds[1 + cityHash64('kind', n) % length(kinds)] AS kind,
                ${byProvider((k) => k.regions)} AS regions,
                regions[1 + cityHash64('region', n) % length(regions)] AS region,
                concat(lower(replaceAll(kind.1, ' ', '-')), '-', toString(n)) AS name,
                concat('arn:bench:', lower(provider), ':', region, ':', toString(n)) AS cloud_ref,
                if(cityHash64('owner', n) % 10 = 0, '', ${lit(OWNERS)}[1 + cityHash64('owner', n) % ${OWNERS.length}]) AS owner,
                mapFilter((k, v) -> v != '', map(
                  'env', ${lit(ENVS)}[1 + cityHash64('env', n) % ${ENVS.length}],
                  'team', ${lit(TEAMS)}[1 + cityHash64('team', n) % ${TEAMS.length}],
                  'cost-center', if(cityHash64('cc', n) % 3 = 0, '', concat('cc-', toString(100 + cityHash64('cc', n) % 20)))
                )) AS tags
         FROM numbers({resources:UInt64}))`,
      params,
    ),
  );

  const clusterIds = lit(CLUSTERS.map((c) => c.id));
  const clusterNames = lit(CLUSTERS.map((c) => c.name));
  const clusterRegions = lit(CLUSTERS.map((c) => c.region));
  await step('cluster resources', () =>
    db.command(
      `INSERT INTO {db:Identifier}.resources
         (id, organization_id, cloud_account_id, cloud_resource_id, name, resource_type, region, service,
          owner, tags, first_seen, last_seen, updated_at)
       SELECT UUIDNumToString(MD5(concat('bench-k8s-', ${clusterIds}[number + 1]))), {org:String},
              ${clusterIds}[number + 1], ${clusterNames}[number + 1], ${clusterNames}[number + 1], 'K8s Cluster',
              ${clusterRegions}[number + 1], 'Kubernetes', 'platform@bench.example', map('env', 'prod'),
              {first:DateTime('UTC')}, {first:DateTime('UTC')} + ({days:UInt32} - 1) * 86400, now64(3)
       FROM numbers(${CLUSTERS.length})`,
      params,
    ),
  );

  // One breakdown row per cluster-day; network is unknown (NULL) on ~3% of days.
  await step('k8s_cost_breakdown', () =>
    db.command(
      `INSERT INTO {db:Identifier}.k8s_cost_breakdown
         (cloud_account_id, resource_id, date, cpu_cost, ram_cost, gpu_cost, node_unsplit_cost, storage_cost,
          network_cost, load_balancer_cost, management_cost, idle_cost, total_cost, provisional, sign)
       SELECT account_id, UUIDNumToString(MD5(concat('bench-k8s-', account_id))), {first:DateTime('UTC')} + d * 86400,
              cpu, ram, gpu, 0, storage, network, lb, mgmt,
              round((cpu + ram + gpu) * (0.1 + (cityHash64('idle', c, d) % 2500) / 10000), 6),
              round(cpu + ram + gpu + storage + ifNull(network, 0) + lb + mgmt, 6), 0, 1
       FROM (
         SELECT number % ${CLUSTERS.length} AS c, intDiv(number, ${CLUSTERS.length}) AS d,
                ${clusterIds}[c + 1] AS account_id,
                (300 + 200 * c) * (0.9 + 0.2 * (cityHash64('k8s', c, d) % 1000) / 1000) AS scale,
                round(scale * 0.55, 6) AS cpu, round(scale * 0.3, 6) AS ram,
                round(if(c = 1, scale * 0.4, 0), 6) AS gpu, round(scale * 0.05, 6) AS storage,
                if(cityHash64('net', c, d) % 100 < 3, NULL, round(scale * 0.04, 6)) AS network,
                1.2 AS lb, 2.4 AS mgmt
         FROM numbers(${p.clusterRows}))`,
      params,
    ),
  );
  await step('cluster expenses', () =>
    db.command(
      `INSERT INTO {db:Identifier}.expenses (cloud_account_id, resource_id, date, cost, sign)
       SELECT cloud_account_id, resource_id, date, total_cost, sign FROM {db:Identifier}.k8s_cost_breakdown`,
    ),
  );

  const cloudRowSource = (rowNumber: string) => `
    SELECT ${rowNumber} AS i, i % {days:UInt32} AS d, intDiv(i, {days:UInt32}) AS s,
           (s + d * ${WINDOW_SHIFT}) % {resources:UInt32} AS r,
           ${accountIds}[1 + r % ${CLOUD_ACCOUNTS.length}] AS account_id,
           ${cloudResourceId('r')} AS resource_id,
           {first:DateTime('UTC')} + d * 86400 AS day,
           ${cloudCost('r', 'd')} AS cost`;
  await step(`cloud expenses (${p.cloudRows.toLocaleString('en-US')} rows)`, () =>
    db.command(
      `INSERT INTO {db:Identifier}.expenses (cloud_account_id, resource_id, date, cost, sign)
       SELECT account_id, resource_id, day, cost, 1 FROM (${cloudRowSource('number')} FROM numbers({n:UInt64}))`,
      { ...params, n: p.cloudRows },
    ),
  );
  // Merge the bulk load like background merges would have over the year, before corrections
  // arrive (OPTIMIZE collapses nothing here: every base row has its own key).
  await step('OPTIMIZE expenses (base)', () => db.command('OPTIMIZE TABLE {db:Identifier}.expenses FINAL'));
  await step('OPTIMIZE resources, k8s_cost_breakdown', async () => {
    await db.command('OPTIMIZE TABLE {db:Identifier}.resources FINAL');
    await db.command('OPTIMIZE TABLE {db:Identifier}.k8s_cost_breakdown FINAL');
  });

  // Corrections: for spread-out existing rows, the old row with sign -1 and the new cost (+7%) with +1.
  const stride = Math.max(1, Math.floor(p.cloudRows / p.correctionPairs));
  await step(`corrections (${p.correctionPairs.toLocaleString('en-US')} pairs)`, () =>
    db.command(
      `INSERT INTO {db:Identifier}.expenses (cloud_account_id, resource_id, date, cost, sign)
       SELECT account_id, resource_id, day, if(sign = -1, cost, round(cost * 1.07, 6)), sign
       FROM (${cloudRowSource(`number * ${stride} + ${Math.floor(stride / 2)}`)}, arrayJoin([-1, 1]) AS sign
             FROM numbers({pairs:UInt64}))`,
      { ...params, pairs: p.correctionPairs },
    ),
  );

  await db.insert('organizations', [
    { id: BENCH_ORG_ID, name: 'Bench Corp', created_at: createdAt, updated_at: now },
  ]);

  const [check] = await db.query<{ rows: string; net: string }>(
    'SELECT count() AS rows, sum(sign) AS net FROM {db:Identifier}.expenses',
  );
  const count = Number(check?.rows);
  if (Number(check?.net) !== p.baseRows || count < p.baseRows || count > rows) {
    throw new Error(
      `generated ${check?.rows} expense rows (net ${check?.net}); expected ${rows} (net ${p.baseRows})`,
    );
  }
  return {
    version: GENERATOR_VERSION,
    organizationId: BENCH_ORG_ID,
    rows,
    cloudResources: p.cloudResources,
    clusters: CLUSTERS.length,
    correctionPairs: p.correctionPairs,
    firstDay,
    lastDay,
    loadMs: Math.round(performance.now() - started),
    generatedAt: new Date().toISOString(),
  };
}
