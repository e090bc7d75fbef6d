import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../logger';
import { createCore, runAll, startJobs, type RunningJobs } from '../main';
import type { AggregationRun } from '../domain/aggregation-run';

interface AggregateOptions {
  from: string;
  to: string;
  cluster: string[];
  org?: string;
  wait: boolean;
  work?: boolean;
  json?: boolean;
}

/** How often the runs' states are read while waiting. */
const POLL_MS = 250;

const finished = (run: AggregationRun | null) =>
  run === null || run.state === 'SUCCEEDED' || run.state === 'FAILED';

function describeRun(run: AggregationRun): string {
  const parts = [
    run.id,
    `${run.clusterName} (${run.clusterId})`,
    run.day,
    run.provisional ? 'provisional' : 'final',
    run.state,
    `attempts ${run.attempts}/${run.maxAttempts}`,
  ];
  if (run.written) parts.push(`written ${run.written}`);
  if (run.totalCost !== null) parts.push(`$${run.totalCost}`);
  if (run.error) parts.push(`error: ${run.error}`);
  return parts.join('  ');
}

/**
 * `cloudtuner aggregate`: queues one run per cluster and day, then waits for them with a progress
 * bar (stderr) and prints each run's outcome; exits 1 when any failed.
 *
 * Who computes the runs: the service's workers, through the shared Redis. With the embedded
 * engine no other process can write this data folder, so the command runs a worker itself while
 * it waits (as it does with `--work` against a ClickHouse server).
 */
export function aggregateCommand(): Command {
  return new Command('aggregate')
    .description(
      'Queue the daily cost aggregation of clusters over a range of days (backfill) and wait for it.',
    )
    .requiredOption('--from <day>', 'first UTC day, YYYY-MM-DD')
    .requiredOption('--to <day>', 'last UTC day, YYYY-MM-DD (today is computed as provisional)')
    .option(
      '--cluster <id>',
      'a cluster id (repeat for more); default: every live cluster (of --org)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--org <id>', 'only clusters of this organization')
    .option('--no-wait', 'queue and exit; the service workers compute the runs')
    .option('--work', 'compute the runs in this process too (implied with the embedded engine)')
    .option('--json', 'print JSON')
    .action(async (options: AggregateOptions) => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
      const work = options.wait && (Boolean(options.work) || !config.clickhouse.url);
      if (work && !config.metrics.queryUrl)
        throw new ConfigError(
          'METRICS_QUERY_URL is not set: nothing here can compute the runs (set it, or use --no-wait and let the service workers compute them)',
        );
      const core = await createCore(config, logger);
      let jobs: RunningJobs | undefined;
      try {
        const queued = await core.services.aggregationRuns.request(
          options.org ?? null,
          {
            clusterIds: options.cluster.length ? options.cluster : undefined,
            range: { start: options.from, end: options.to },
          },
          'cli',
        );
        const ids = [...new Set(queued.map((run) => run.id))];
        process.stderr.write(`queued ${ids.length} run${ids.length === 1 ? '' : 's'}\n`);
        let runs: (AggregationRun | null)[] = queued;
        if (options.wait && ids.length) {
          if (work) jobs = await startJobs(core, { worker: true, scheduler: false });
          runs = await waitFor(ids, (list) => core.services.aggregationRuns.get(list));
        }
        const failed = runs.filter((run) => run === null || run.state === 'FAILED').length;
        const succeeded = runs.filter((run) => run?.state === 'SUCCEEDED').length;
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ runs: runs.filter(Boolean), succeeded, failed })}\n`);
        } else {
          for (const run of runs) if (run) process.stdout.write(`${describeRun(run)}\n`);
          const missing = runs.filter((run) => run === null).length;
          process.stdout.write(
            options.wait
              ? `${runs.length} runs: ${succeeded} succeeded, ${failed} failed${missing ? ` (${missing} vanished)` : ''}\n`
              : `${runs.length} runs queued\n`,
          );
        }
        if (failed) process.exitCode = 1;
      } finally {
        await runAll([async () => jobs?.stop(), () => core.close()]);
      }
    });
}

/** Polls the runs until every one has finished (or vanished), showing a progress bar. */
async function waitFor(
  ids: string[],
  read: (ids: string[]) => Promise<(AggregationRun | null)[]>,
): Promise<(AggregationRun | null)[]> {
  const bar = new SingleBar(
    {
      format:
        'aggregating |{bar}| {value}/{total} runs | {succeeded} succeeded, {failed} failed, {running} running',
      stream: process.stderr,
      hideCursor: true,
      // Redirected to a file or CI log: a line every 5 s instead of redrawing.
      noTTYOutput: true,
      notTTYSchedule: 5_000,
    },
    Presets.shades_classic,
  );
  bar.start(ids.length, 0, { succeeded: 0, failed: 0, running: 0 });
  try {
    for (;;) {
      const runs = await read(ids);
      const count = (state: string) => runs.filter((run) => run?.state === state).length;
      const done = runs.filter(finished).length;
      bar.update(done, {
        succeeded: count('SUCCEEDED'),
        failed: count('FAILED') + runs.filter((run) => run === null).length,
        running: count('RUNNING'),
      });
      if (done === ids.length) return runs;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    bar.stop();
  }
}
