import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { createCore } from '../src/main';
import { addDays, formatDay } from '../src/domain/days';
import { baselineForecast } from '../src/domain/forecast';
import type { ExpenseFilter, Provider } from '../src/domain/model';
import { summarize, table } from './support/stats';

/**
 * `npm run bench:forecast`: how far off the forecast is, against the naive baseline, on the demo
 * data (90 days ending yesterday) in the embedded engine, through the service costForecast uses.
 *
 * Backtest: the last 28 days are forecast from the 62 before them (CostInsightService.forecast
 * fits on the whole days before the range), and compared with what they cost. The baseline
 * forecasts every day at the mean of the last 30 days of the same history. Per series (the
 * organization's total, each provider, each cloud account, each service) it prints the mean
 * absolute error (MAE, dollars a day) and WAPE (sum of absolute errors / sum of actuals) of both,
 * and how often the actual day fell inside the model's 95% interval. Also the time of one
 * forecast against the daily-totals query it is fitted on (the reference), both medians of 20.
 */

const log = (line: string) => process.stdout.write(`${line}\n`);
const HORIZON = 28;

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cloudtuner-bench-forecast-'));
  const config = loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    CLICKHOUSE_DATABASE: 'bench_forecast',
    QUEUE_PREFIX: `bench-forecast-${process.pid}`,
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
  });
  const core = await createCore(config, createLogger(config.logLevel));
  try {
    const { organizationId } = await core.demo.seed();
    const insight = core.services.insight;
    const lastDay = addDays(formatDay(new Date()), -1);
    const target = { start: addDays(lastDay, -(HORIZON - 1)), end: lastDay };
    const history = { start: addDays(target.start, -62), end: addDays(target.start, -1) };
    const accounts = await core.services.cloudAccounts.list(organizationId);
    const services = (
      await core.services.expenses.breakdown(organizationId, { range: target, by: 'SERVICE' })
    ).totals.map((t) => t.key);
    const series: { name: string; filter: ExpenseFilter }[] = [
      { name: 'total', filter: {} },
      ...(['AWS', 'AZURE', 'GCP', 'KUBERNETES'] as Provider[]).map((p) => ({
        name: `provider ${p}`,
        filter: { providers: [p] },
      })),
      ...accounts.map((a) => ({ name: `account ${a.name}`, filter: { cloudAccountIds: [a.id] } })),
      ...services.map((s) => ({ name: `service ${s}`, filter: { services: [s] } })),
    ];

    const rows: (string | number)[][] = [
      [
        'series',
        'actual $/day',
        'model MAE',
        'baseline MAE',
        'model WAPE',
        'baseline WAPE',
        'in 95% interval',
      ],
    ];
    let modelAbs = 0;
    let baselineAbs = 0;
    let actualSum = 0;
    let inside = 0;
    let wins = 0;
    for (const { name, filter } of series) {
      const actual = await insight.dailyTotals(organizationId, target, filter);
      const past = await insight.dailyTotals(organizationId, history, filter);
      const forecast = await insight.forecast(organizationId, target, filter);
      const baseline = baselineForecast(past);
      let m = 0;
      let b = 0;
      let covered = 0;
      actual.forEach((value, i) => {
        const f = forecast[i] as { cost: number; low: number; high: number };
        m += Math.abs(f.cost - value);
        b += Math.abs(baseline - value);
        if (value >= f.low && value <= f.high) covered++;
      });
      const total = actual.reduce((x, y) => x + y, 0);
      modelAbs += m;
      baselineAbs += b;
      actualSum += total;
      inside += covered;
      if (m < b) wins++;
      rows.push([
        name,
        (total / HORIZON).toFixed(2),
        (m / HORIZON).toFixed(2),
        (b / HORIZON).toFixed(2),
        total ? `${((m / total) * 100).toFixed(1)}%` : '-',
        total ? `${((b / total) * 100).toFixed(1)}%` : '-',
        `${covered}/${HORIZON}`,
      ]);
    }
    log(
      `\nbench:forecast — demo data, forecast ${target.start}..${target.end} from ${history.start}..${history.end}\n`,
    );
    log(table(rows));
    log(
      `\nall ${series.length} series: model WAPE ${((modelAbs / actualSum) * 100).toFixed(1)}%, ` +
        `baseline WAPE ${((baselineAbs / actualSum) * 100).toFixed(1)}% ` +
        `(model / baseline error ${(modelAbs / baselineAbs).toFixed(2)}x); the model is closer on ${wins} of ${series.length} series; ` +
        `${((inside / (series.length * HORIZON)) * 100).toFixed(1)}% of actual days inside the 95% interval`,
    );

    const time = async (work: () => Promise<unknown>) => {
      const ms: number[] = [];
      for (let i = 0; i < 21; i++) {
        const started = performance.now();
        await work();
        if (i > 0) ms.push(performance.now() - started);
      }
      return summarize(ms).median;
    };
    const forecastMs = await time(() => insight.forecast(organizationId, target, {}));
    const queryMs = await time(() => insight.dailyTotals(organizationId, history, {}));
    log(
      `one costForecast (28 days, 62 of history): ${forecastMs.toFixed(1)} ms median; ` +
        `reference, the daily-totals query it fits on: ${queryMs.toFixed(1)} ms (${(forecastMs / queryMs).toFixed(2)}x)\n`,
    );
    if (modelAbs >= baselineAbs) {
      log('FAIL: the model does not beat the baseline');
      process.exitCode = 1;
    }
  } finally {
    await core.db.command('DROP DATABASE IF EXISTS {db:Identifier}').catch(() => undefined);
    await core.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
