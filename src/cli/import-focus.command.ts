import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import type { Core } from '../main';
import type { FocusCostColumn, FocusImportReport } from '../domain/model';
import type { FocusImportProgress } from '../import/focus-import.service';

/** Files smaller than this finish before a bar would be worth drawing. */
const PROGRESS_MIN_BYTES = 8 << 20;

type WithCore = <T>(logLevel: string | undefined, run: (core: Core) => Promise<T>) => Promise<T>;

/** Adds `cloudtuner import-focus FILE... --org ID [--cost effective|billed] [--json]`. */
export function registerImportFocusCommand(program: Command, withCore: WithCore): void {
  program
    .command('import-focus')
    .description(
      'Import FOCUS 1.0-1.2 cost exports (CSV, plain or gzipped) into an organization. Give every file ' +
        'of one export together. Idempotent: the same files again write nothing.',
    )
    .argument('<files...>', 'FOCUS CSV files')
    .requiredOption('--org <id>', 'organization id')
    .addOption(
      new Option('--cost <column>', 'the FOCUS cost to import')
        .choices(['effective', 'billed'])
        .default('effective'),
    )
    .option('--json', 'print the report as JSON (no progress bar)')
    .action(async (files: string[], options: { org: string; cost: string; json?: boolean }) => {
      const bar = options.json || !process.stderr.isTTY ? null : progressBar();
      let report: FocusImportReport;
      try {
        report = await withCore(undefined, (core) =>
          core.services.focusImport.importFiles(options.org, files, {
            costColumn: options.cost.toUpperCase() as FocusCostColumn,
            onProgress: bar?.update,
          }),
        );
      } finally {
        bar?.stop();
      }
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      printReport(report);
    });
}

/** A bar on stderr, drawn only once a file big enough to wait for is being read. */
function progressBar(): { update: (p: FocusImportProgress) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{file} [{bar}] {percentage}% | {rows} rows | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let current = '';
  return {
    update(p) {
      if (p.bytesTotal < PROGRESS_MIN_BYTES) return;
      const payload = {
        file: p.files > 1 ? `${p.file} (${p.fileIndex + 1}/${p.files})` : p.file,
        rows: p.rowsRead,
      };
      if (current !== p.file) {
        if (current) bar.stop();
        current = p.file;
        bar.start(p.bytesTotal, p.bytesRead, payload);
      } else {
        bar.update(p.bytesRead, payload);
      }
    },
    stop() {
      if (current) bar.stop();
    },
  };
}

function printReport(report: FocusImportReport): void {
  const lines = [
    `files: ${report.files.join(', ')}`,
    `cost column: ${report.costColumn}`,
    `rows: ${report.rowsRead} read, ${report.rowsImported} imported, ${report.rowsRefused} refused`,
    `total cost: ${report.totalCost} USD${report.firstDay ? ` (${report.firstDay} .. ${report.lastDay})` : ''}`,
    `cloud accounts: ${report.cloudAccounts.length} (${report.accountsCreated} created)`,
    ...report.cloudAccounts.slice(0, 10).map((a) => `  ${a.type} ${a.accountRef}: ${a.name} (${a.id})`),
    ...(report.cloudAccounts.length > 10 ? [`  ... and ${report.cloudAccounts.length - 10} more`] : []),
    `resources: ${report.resources}, resource-days: ${report.resourceDays}`,
    `billing periods: ${report.billingPeriods.map((p) => `${p.billingAccount} from ${p.start}`).join(', ')}`,
    `expenses written: +${report.expenseRowsAdded} / -${report.expenseRowsCancelled}; charges: +${report.chargeRowsAdded} / -${report.chargeRowsCancelled}`,
    `took: ${report.durationMs} ms`,
  ];
  for (const error of report.errors) {
    lines.push(
      `refused ${error.file}:${error.line}${error.column ? ` ${error.column}` : ''}: ${error.reason}` +
        (error.value !== null ? ` (${JSON.stringify(error.value)})` : ''),
    );
  }
  if (report.errorsOmitted > 0) lines.push(`... and ${report.errorsOmitted} more refused rows`);
  if (!report.missingCancelled && report.rowsRefused > 0) {
    lines.push('days of these billing periods missing from the file were kept (rows were refused)');
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
