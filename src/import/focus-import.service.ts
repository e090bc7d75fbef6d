import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import type {
  BillReconciler,
  CloudAccountRepository,
  FocusImportHistory,
  FocusImportStore,
  FocusStaging,
  OrganizationRepository,
} from '../domain/ports';
import type {
  CloudAccount,
  FocusCostColumn,
  FocusImportRecord,
  FocusImportReport,
  FocusRowError,
} from '../domain/model';
import { randomUUID } from 'node:crypto';
import { badInput, DomainError, notFound } from '../errors';
import { addDays } from '../domain/days';
import { FocusChargeAccumulator } from './focus-charge.accumulator';
import type { AccumulatorSummary } from './focus-summary';
import { readFocusFile } from './focus-file.reader';
import { FocusParallelReader, MisalignedBlockError } from './focus-parallel.reader';
import { dayToIso } from './day-split';

/** Largest page of `focusImports`. */
export const MAX_HISTORY_PAGE = 200;

/** Progress of a running import, for a progress bar. */
export interface FocusImportProgress {
  file: string;
  fileIndex: number;
  files: number;
  /** Bytes of this file read so far and its size on disk (compressed, for a gzipped file). */
  bytesRead: number;
  bytesTotal: number;
  rowsRead: number;
}

export interface FocusImportOptions {
  costColumn?: FocusCostColumn;
  onProgress?: (progress: FocusImportProgress) => void;
}

export interface FocusImportLimits {
  /** Charge totals held in memory (per reader) before they are moved to the staging table. */
  flushAt: number;
  /** Refused rows reported with their reason (the rest are counted). */
  maxErrors: number;
  /** Worker threads parsing big imports; 1 = always read in the calling thread. */
  workers: number;
  /** Imports at least this big (bytes on disk, all files) are parsed by the workers. */
  parallelMinBytes: number;
  /** Bytes per block a worker parses. */
  blockBytes: number;
}

/** Defaults: a worker per core (at most 4) for imports of 32 MiB and more, in 4 MiB blocks. */
export const DEFAULT_FOCUS_IMPORT_LIMITS: FocusImportLimits = {
  flushAt: 200_000,
  maxErrors: 100,
  workers: Math.min(4, os.availableParallelism()),
  parallelMinBytes: 32 << 20,
  blockBytes: 4 << 20,
};

/**
 * Imports FOCUS cost exports (AWS, Azure, GCP, any FOCUS 1.0-1.2 provider) into expenses.
 *
 * One import = the files given together (every part of a multi-file export belongs in one
 * import). The files are streamed and validated row by row; per-(resource, day, billing period,
 * charge category) totals are staged, and only once every file has been read does the commit
 * compare them with what is stored and write the differences as -1/+1 pairs. An import that
 * fails on the way leaves the stored costs as they were. Imports run one at a time per organization:
 * two concurrent commits of the same billing period would each correct the same old rows.
 */
export class FocusImportService {
  /** The tail of each organization's import queue: one organization never waits for another's. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly organizations: OrganizationRepository,
    private readonly accounts: CloudAccountRepository,
    private readonly store: FocusImportStore,
    /** The only folder `importFromImportDir` reads from (IMPORT_DIR). */
    private readonly importDir: string,
    private readonly limits: FocusImportLimits = DEFAULT_FOCUS_IMPORT_LIMITS,
    /** Re-reconciles the cluster-days a committed bill may match (issue 11); none in some tests. */
    private readonly reconciler: BillReconciler | null = null,
    /** Where each import is remembered (`focusImports`); none in some tests. */
    private readonly history: FocusImportHistory | null = null,
    /** Told after an import that changed stored costs (the budgets are evaluated again). */
    private readonly afterImport: ((organizationId: string) => Promise<void>) | null = null,
  ) {}

  /** The organization's recent imports, newest first (at most `first`). */
  async recent(organizationId: string, first: number): Promise<FocusImportRecord[]> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_HISTORY_PAGE)
      throw badInput('first', `must be between 1 and ${MAX_HISTORY_PAGE}`);
    return this.history ? this.history.list(organizationId, first) : [];
  }

  /** Imports local files (the operator CLI): paths are used as given. */
  async importFiles(
    organizationId: string,
    files: readonly string[],
    options: FocusImportOptions = {},
  ): Promise<FocusImportReport> {
    return this.serialized(organizationId, () =>
      this.run(
        organizationId,
        files.map((file) => ({ path: file, displayName: file })),
        options,
      ),
    );
  }

  /**
   * Imports one file named relative to IMPORT_DIR (the GraphQL mutation). The path is resolved,
   * symbolic links included, and refused unless it stays inside IMPORT_DIR.
   */
  async importFromImportDir(
    organizationId: string,
    relativePath: string,
    costColumn: FocusCostColumn = 'EFFECTIVE',
  ): Promise<FocusImportReport> {
    const resolved = await this.resolveImportPath(relativePath);
    return this.serialized(organizationId, () => this.run(organizationId, [resolved], { costColumn }));
  }

  private async resolveImportPath(given: string): Promise<{ path: string; displayName: string }> {
    const argument = 'input.path';
    if (!given || given.includes('\0')) throw badInput(argument, 'must name a file in the import folder');
    let root: string;
    try {
      root = await fs.promises.realpath(this.importDir);
    } catch {
      throw badInput(argument, 'the import folder (IMPORT_DIR) does not exist on the server');
    }
    const outside = () => badInput(argument, 'must name a file inside the import folder (IMPORT_DIR)');
    const candidate = path.resolve(root, given);
    if (!isInside(root, candidate)) throw outside();
    let real: string;
    try {
      real = await fs.promises.realpath(candidate);
    } catch {
      throw badInput(argument, 'no such file in the import folder');
    }
    // A symbolic link inside the folder may point anywhere: the target must be inside too.
    if (!isInside(root, real)) throw outside();
    // Checked without opening it: opening a FIFO blocks until someone writes to it.
    const stat = await fs.promises.stat(real);
    if (!stat.isFile())
      throw badInput(argument, 'must name a regular file (not a folder, FIFO, socket or device)');
    return { path: real, displayName: path.relative(root, real) };
  }

  /**
   * Runs one organization's imports one at a time (two concurrent commits of its billing periods
   * would each correct the same old rows); different organizations' imports never share rows and
   * run side by side.
   */
  private serialized<T>(organizationId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(organizationId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.queues.set(organizationId, tail);
    void tail.then(() => {
      if (this.queues.get(organizationId) === tail) this.queues.delete(organizationId);
    });
    return next;
  }

  /** One import, remembered in the history whether it succeeds or fails. */
  private async run(
    organizationId: string,
    files: readonly { path: string; displayName: string }[],
    options: FocusImportOptions,
  ): Promise<FocusImportReport> {
    const startedAt = new Date();
    const entry = {
      id: randomUUID(),
      organizationId,
      startedAt,
      files: files.map((f) => f.displayName),
      costColumn: options.costColumn ?? 'EFFECTIVE',
    };
    let report: FocusImportReport;
    try {
      report = await this.runImport(organizationId, files, options);
    } catch (error) {
      // An unknown organization has no history to keep; any other failure is worth showing.
      const unknownOrganization = error instanceof DomainError && error.code === 'NOT_FOUND';
      if (this.history && !unknownOrganization) {
        await this.history
          .record({
            ...entry,
            finishedAt: new Date(),
            state: 'FAILED',
            rowsRead: 0,
            rowsImported: 0,
            rowsRefused: 0,
            totalCost: 0,
            firstDay: null,
            lastDay: null,
            // What the caller was told: a DomainError's message is meant for them, anything else is not.
            error: error instanceof DomainError ? error.message : 'internal error (see the server log)',
          })
          // The import's own error is the one to report.
          .catch(() => undefined);
      }
      throw error;
    }
    await this.history?.record({
      ...entry,
      finishedAt: new Date(),
      state: 'SUCCEEDED',
      rowsRead: report.rowsRead,
      rowsImported: report.rowsImported,
      rowsRefused: report.rowsRefused,
      totalCost: report.totalCost,
      firstDay: report.firstDay,
      lastDay: report.lastDay,
      error: null,
    });
    if (this.afterImport && report.expenseRowsAdded + report.expenseRowsCancelled > 0) {
      await this.afterImport(organizationId);
    }
    return report;
  }

  private async runImport(
    organizationId: string,
    files: readonly { path: string; displayName: string }[],
    options: FocusImportOptions,
  ): Promise<FocusImportReport> {
    const started = performance.now();
    const costColumn = options.costColumn ?? 'EFFECTIVE';
    if (files.length === 0) throw badInput('files', 'name at least one file');
    if (!(await this.organizations.get(organizationId))) throw notFound('organization', organizationId);
    const stats = await Promise.all(files.map((file) => fs.promises.stat(file.path).catch(() => null)));
    // Before anything opens them: opening a FIFO would block until someone writes to it.
    stats.forEach((stat, i) => {
      if (stat && !stat.isFile())
        throw badInput(
          'files',
          `${files[i]?.displayName} is not a regular file (a folder, FIFO, socket or device)`,
        );
    });
    const sizes = stats.map((stat) => stat?.size ?? 0);
    const totalBytes = sizes.reduce((a, b) => a + b, 0);
    const context = { organizationId, costColumn, files, sizes, onProgress: options.onProgress };
    let staging = await this.store.openStaging();
    try {
      let read: ReadResult;
      if (this.limits.workers > 1 && totalBytes >= this.limits.parallelMinBytes) {
        try {
          read = await this.readParallel(context, staging);
        } catch (error) {
          if (!(error instanceof MisalignedBlockError)) throw error;
          // A line break inside quotes fell on a block cut: start over in one thread.
          await staging.dispose();
          staging = await this.store.openStaging();
          read = await this.readSequential(context, staging);
        }
      } else {
        read = await this.readSequential(context, staging);
      }
      const { summary, errors } = read;

      let cloudAccounts: CloudAccount[] = [];
      let accountsCreated = 0;
      let counts = {
        resourceDays: 0,
        expenseRowsAdded: 0,
        expenseRowsCancelled: 0,
        chargeRowsAdded: 0,
        chargeRowsCancelled: 0,
      };
      if (summary.rowsImported > 0) {
        const existing = new Map(
          (
            await this.accounts.getMany(
              organizationId,
              summary.accounts.map((a) => a.id),
            )
          ).map((a) => [a.id, a]),
        );
        const created: CloudAccount[] = [];
        for (const account of summary.accounts) {
          let stored = existing.get(account.id);
          if (!stored) {
            stored = {
              id: account.id,
              organizationId,
              name: account.name,
              type: account.type,
              accountRef: account.accountRef,
              k8sProvider: '',
              region: '',
              owner: '',
              version: '',
              deleted: false,
              createdAt: new Date(),
            };
            created.push(stored);
          }
          cloudAccounts.push(stored);
        }
        // One insert for all new accounts: an export names dozens of accounts, and each insert
        // is a commit of its own.
        await this.accounts.saveMany(created);
        accountsCreated = created.length;
        cloudAccounts = cloudAccounts.sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id));
        await staging.addResources(summary.resources);
        counts = await staging.commit({
          organizationId,
          billingPeriods: summary.billingPeriods,
          cancelMissing: summary.rowsRefused === 0,
        });
      }
      const hasDays = summary.minDay <= summary.maxDay;
      if (this.reconciler && hasDays && counts.expenseRowsAdded + counts.expenseRowsCancelled > 0) {
        // Cluster-days computed before this bill arrived (or against an older export of it) now
        // match its lines: their cluster costs and the unified totals follow right away. The
        // range covers the billing periods too, whose days a re-export may have cancelled.
        const periods = summary.billingPeriods.map((p) => p.start).sort();
        const from = [dayToIso(summary.minDay), ...periods].sort()[0] as string;
        const lastPeriodEnd = periods.length ? addDays(periods[periods.length - 1] as string, 31) : '';
        const to = [dayToIso(summary.maxDay), lastPeriodEnd].sort().pop() as string;
        await this.reconciler.reconcileOrganization(organizationId, from, to);
      }
      return {
        files: files.map((f) => f.displayName),
        costColumn,
        rowsRead: summary.rowsRead,
        rowsImported: summary.rowsImported,
        rowsRefused: summary.rowsRefused,
        errors,
        errorsOmitted: summary.rowsRefused - errors.length,
        totalCost: Number(summary.totalCost.toFixed(10)),
        firstDay: hasDays ? dayToIso(summary.minDay) : null,
        lastDay: hasDays ? dayToIso(summary.maxDay) : null,
        cloudAccounts,
        accountsCreated,
        resources: summary.resources.length,
        resourceDays: counts.resourceDays,
        billingPeriods: [...summary.billingPeriods].sort(
          (a, b) => compare(a.billingAccount, b.billingAccount) || compare(a.start, b.start),
        ),
        expenseRowsAdded: counts.expenseRowsAdded,
        expenseRowsCancelled: counts.expenseRowsCancelled,
        chargeRowsAdded: counts.chargeRowsAdded,
        chargeRowsCancelled: counts.chargeRowsCancelled,
        missingCancelled: summary.rowsImported > 0 && summary.rowsRefused === 0,
        durationMs: Math.round(performance.now() - started),
      };
    } finally {
      await staging.dispose();
    }
  }

  /** Reads the files in this thread (small imports, and the fallback of the parallel read). */
  private async readSequential(context: ReadContext, staging: FocusStaging): Promise<ReadResult> {
    const accumulator = new FocusChargeAccumulator({
      organizationId: context.organizationId,
      costColumn: context.costColumn,
      maxErrors: this.limits.maxErrors,
    });
    for (const [fileIndex, file] of context.files.entries()) {
      await readFocusFile(file.path, accumulator, {
        displayName: file.displayName,
        afterChunk: async () => {
          if (accumulator.pendingCharges >= this.limits.flushAt) {
            await staging.addCharges(accumulator.takeCharges());
          }
        },
        onProgress: (bytesRead) =>
          context.onProgress?.({
            file: file.displayName,
            fileIndex,
            files: context.files.length,
            bytesRead,
            bytesTotal: context.sizes[fileIndex] ?? 0,
            rowsRead: accumulator.rowsRead,
          }),
      });
    }
    await staging.addCharges(accumulator.takeCharges());
    return { summary: accumulator.summary(), errors: accumulator.errors };
  }

  /** Reads the files with worker threads parsing blocks of them in parallel (big imports). */
  private async readParallel(context: ReadContext, staging: FocusStaging): Promise<ReadResult> {
    const reader = FocusParallelReader.start(
      this.limits.workers,
      {
        organizationId: context.organizationId,
        costColumn: context.costColumn,
        flushAt: this.limits.flushAt,
        blockBytes: this.limits.blockBytes,
      },
      (rows) => staging.addCharges(rows),
    );
    try {
      const errors: FocusRowError[] = [];
      for (const [fileIndex, file] of context.files.entries()) {
        const read = await reader.readFile(file.path, file.displayName, (bytesRead) =>
          context.onProgress?.({
            file: file.displayName,
            fileIndex,
            files: context.files.length,
            bytesRead,
            bytesTotal: context.sizes[fileIndex] ?? 0,
            rowsRead: reader.rowsRead,
          }),
        );
        errors.push(...read.errors.slice(0, this.limits.maxErrors - errors.length));
      }
      return { summary: await reader.finish(), errors };
    } finally {
      await reader.close();
    }
  }
}

interface ReadContext {
  organizationId: string;
  costColumn: FocusCostColumn;
  files: readonly { path: string; displayName: string }[];
  sizes: number[];
  onProgress?: (progress: FocusImportProgress) => void;
}

interface ReadResult {
  summary: AccumulatorSummary;
  errors: FocusRowError[];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return (
    relative !== '' &&
    relative !== '..' &&
    !relative.startsWith(`..${path.sep}`) &&
    !path.isAbsolute(relative)
  );
}
