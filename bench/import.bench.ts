import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { createCore } from '../src/main';
import { packageRoot } from '../src/package-root';
import { DEFAULT_FOCUS_IMPORT_LIMITS, FocusImportService } from '../src/import/focus-import.service';
import { ClickHouseOrganizationRepository } from '../src/store/organization.repository';
import { ClickHouseCloudAccountRepository } from '../src/store/cloud-account.repository';
import { ClickHouseFocusImportStore } from '../src/store/focus-import.store';
import { summarize, table } from './support/stats';
import { intEnv } from './support/env';
import { ensureFocusFile } from './support/focus-file';

/**
 * `npm run bench:import`: FOCUS import throughput and memory against ClickHouse reading the same
 * CSV natively, on files generated from the shared sample's shape.
 *
 * - Generates `.bench-data/import/focus-<rows>.csv` for 1M and 2M rows (streamed to disk, kept
 *   for later runs): the sample's 1,000 rows as templates over RESOURCES resources (ResourceId
 *   suffixed, templates without one stay unattributed) x 30 days of September 2024, hourly
 *   periods. Both sizes cover the same resource-days, so only the rows per resource-day differ.
 * - Each measurement runs in a child process of its own (so its peak memory is its own), one
 *   at a time (the embedded engine holds its data folder), alternating between:
 *   - import: `FocusImportService.importFiles` on a fresh database, the code path of
 *     `cloudtuner import-focus`: parse (worker threads, one per core), validate, split, stage,
 *     diff, write; `import 1 thread` (first size only) is the same with the workers off;
 *   - native: the embedded ClickHouse (chdb, same process kind) running
 *     `SELECT ... FROM file(path, CSVWithNames, <the columns the import reads>)` grouped per
 *     (account, resource, UTC day), summing EffectiveCost;
 *   - csv-parse (1M only): the csv-parse stream over the same file, records counted, nothing else.
 * - Memory: process.memoryUsage().rss sampled every 20 ms, and resourceUsage().maxRSS.
 * - CPU: process.cpuUsage() of each child (every thread), the figure that holds when other work
 *   shares the machine; wall time is what a user waits.
 *
 * Env: BENCH_RUNS (2 per size and kind), BENCH_RESOURCES (2000), BENCH_SIZES ("1000000,2000000").
 */

const ROOT = packageRoot(__dirname);
const DIR = path.join(ROOT, '.bench-data', 'import');

interface ChildResult {
  kind: string;
  rows: number;
  ms: number;
  /** CPU time of the whole child (all its threads, the embedded engine's included), ms. */
  cpuMs: number;
  peakRssMiB: number;
  maxRssMiB: number;
  totalCost: number;
  groups: number;
}

/** Runs inside a child: one measurement, printed as JSON on stdout. */
async function child(kind: string, file: string): Promise<void> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const config = loadConfig({
    DATA_DIR: path.join(DIR, 'data'),
    CLICKHOUSE_DATABASE: 'bench_import',
    LOG_LEVEL: 'warn',
  });
  let result: Omit<ChildResult, 'peakRssMiB' | 'maxRssMiB' | 'cpuMs'>;
  const cpuBefore = process.cpuUsage();
  if (kind === 'csv-parse') {
    const started = performance.now();
    let rows = -1;
    const parser = fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(parseCsv());
    for await (const _record of parser) rows++;
    result = { kind, rows, ms: performance.now() - started, totalCost: 0, groups: 0 };
  } else {
    if (kind.startsWith('import')) {
      // A fresh database each time: the first import of a bill, not a re-import.
      const old = await createCore(config, createLogger('warn'));
      await old.db.command('DROP DATABASE IF EXISTS {db:Identifier}').finally(() => old.close());
    }
    const fresh = await createCore(config, createLogger('warn'));
    try {
      const started = performance.now();
      if (kind.startsWith('import')) {
        const { organization } = await fresh.organizations.create('Bench Bills');
        const service =
          kind === 'import'
            ? fresh.services.focusImport
            : new FocusImportService(
                new ClickHouseOrganizationRepository(fresh.db),
                new ClickHouseCloudAccountRepository(fresh.db),
                new ClickHouseFocusImportStore(fresh.db),
                DIR,
                { ...DEFAULT_FOCUS_IMPORT_LIMITS, workers: 1 },
              );
        const report = await service.importFiles(organization.id, [file]);
        if (report.rowsRefused > 0) throw new Error(`refused rows: ${JSON.stringify(report.errors[0])}`);
        result = {
          kind,
          rows: report.rowsImported,
          ms: performance.now() - started,
          totalCost: report.totalCost,
          groups: report.resourceDays,
        };
      } else {
        // The columns the import reads, typed as it reads them; the others are skipped unparsed.
        const [row] = await fresh.db.query<{ rows: string; groups: string; total: number }>(
          `SELECT sum(n) AS rows, count() AS groups, sum(c) AS total FROM (
             SELECT ProviderName, BillingAccountId, SubAccountId, ResourceId, toDate(ChargePeriodStart) AS day,
                    sum(EffectiveCost) AS c, count() AS n, uniqExact(Tags) AS t
             FROM file({path:String}, 'CSVWithNames',
               'ProviderName String, BillingAccountId String, SubAccountId Nullable(String),
                BillingCurrency String, ChargeCategory String, EffectiveCost Float64,
                ChargePeriodStart DateTime(\\'UTC\\'), ChargePeriodEnd DateTime(\\'UTC\\'),
                BillingPeriodStart DateTime(\\'UTC\\'), ResourceId Nullable(String), ResourceName Nullable(String),
                ServiceName String, RegionId Nullable(String), Tags Nullable(String)')
             GROUP BY ProviderName, BillingAccountId, SubAccountId, ResourceId, day)
           SETTINGS input_format_skip_unknown_fields = 1, format_csv_null_representation = 'NULL'`,
          { path: file },
        );
        result = {
          kind,
          rows: Number(row?.rows),
          ms: performance.now() - started,
          totalCost: Number(row?.total),
          groups: Number(row?.groups),
        };
      }
    } finally {
      await fresh.close();
    }
  }
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const cpu = process.cpuUsage(cpuBefore);
  const out: ChildResult = {
    ...result,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMiB: Math.round(peak / 2 ** 20),
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function measure(kind: string, file: string): ChildResult {
  const result = spawnSync(process.execPath, [__filename, '--child', kind, file], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (result.status !== 0) throw new Error(`${kind} child failed:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) as string) as ChildResult;
}

async function main(): Promise<void> {
  const runs = intEnv('BENCH_RUNS', 2);
  const resources = intEnv('BENCH_RESOURCES', 2000);
  const sizes = (process.env.BENCH_SIZES ?? '1000000,2000000').split(',').map(Number);
  const rowsOut: (string | number)[][] = [
    [
      'rows',
      'file MiB',
      'kind',
      'median s',
      'rows/s',
      'CPU s',
      'rows/CPU s',
      'peak RSS MiB',
      'maxRSS MiB',
      'rate vs native',
      'CPU vs native',
    ],
  ];
  let failed = false;
  for (const size of sizes) {
    const file = await ensureFocusFile(DIR, size, resources);
    const mib = Math.round(fs.statSync(file).size / 2 ** 20);
    const results: Record<string, ChildResult[]> = {
      native: [],
      import: [],
      'import 1 thread': [],
      'csv-parse': [],
    };
    for (let i = 0; i < runs; i++) {
      // Alternate the order so caches and background load favour neither side.
      const order = i % 2 === 0 ? ['native', 'import'] : ['import', 'native'];
      for (const kind of order) {
        const r = measure(kind, file);
        process.stderr.write(`${size} ${kind}: ${(r.ms / 1000).toFixed(2)} s, peak ${r.peakRssMiB} MiB\n`);
        (results[kind] as ChildResult[]).push(r);
      }
    }
    if (size === sizes[0]) {
      results['import 1 thread']?.push(measure('import 1 thread', file));
      results['csv-parse']?.push(measure('csv-parse', file));
    }
    const rate = (kind: string) => {
      const list = results[kind] as ChildResult[];
      return list.length ? size / (summarize(list.map((r) => r.ms)).median / 1000) : Number.NaN;
    };
    const cpu = (kind: string) =>
      summarize((results[kind] as ChildResult[]).map((r) => r.cpuMs)).median / 1000;
    for (const kind of ['native', 'import', 'import 1 thread', 'csv-parse']) {
      const list = results[kind] as ChildResult[];
      if (!list.length) continue;
      const median = summarize(list.map((r) => r.ms)).median;
      rowsOut.push([
        size,
        mib,
        kind,
        (median / 1000).toFixed(2),
        Math.round(size / (median / 1000)),
        cpu(kind).toFixed(2),
        Math.round(size / cpu(kind)),
        Math.max(...list.map((r) => r.peakRssMiB)),
        Math.max(...list.map((r) => r.maxRssMiB)),
        kind.startsWith('import') ? (rate(kind) / rate('native')).toFixed(2) : '',
        kind.startsWith('import') ? (cpu('native') / cpu(kind)).toFixed(2) : '',
      ]);
    }
    // The import must take every row and land on the bill's total.
    const imported = results.import?.[0] as ChildResult;
    const native = results.native?.[0] as ChildResult;
    if (imported.rows !== size || native.rows !== size) {
      failed = true;
      process.stderr.write(
        `row counts differ: import ${imported.rows}, native ${native.rows}, file ${size}\n`,
      );
    }
    if (Math.abs(imported.totalCost - native.totalCost) > 1e-6 * Math.max(1, Math.abs(native.totalCost))) {
      failed = true;
      process.stderr.write(`totals differ: import ${imported.totalCost}, native ${native.totalCost}\n`);
    }
  }
  const [load1] = os.loadavg();
  process.stdout.write(
    `\n${table(rowsOut)}\n\n${os.availableParallelism()} cores; load average when done: ${load1?.toFixed(2)}\n`,
  );
  if (failed) process.exitCode = 1;
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as string, process.argv[4] as string).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
