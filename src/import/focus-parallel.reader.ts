import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';
import type { FocusCostColumn, FocusRowError } from '../domain/model';
import type { StagedCharge } from '../domain/ports';
import { DomainError } from '../errors';
import { MAX_RECORD_BYTES } from './csv-record.parser';
import { CsvRecordParser } from './csv-record.parser';
import { chargeKey, chargeRows, periodKey, splitChargeKey } from './charge-key';
import { mergeSummaries, type AccumulatorSummary } from './focus-summary';
import { SumsByKey } from './sums-by-key';
import { resolveColumns, type FocusColumns } from './focus-columns';
import type { FromParseWorker, ToParseWorker } from './focus-parse.worker';

/** Blocks in flight per worker: one being parsed, one waiting, so a worker never idles. */
const IN_FLIGHT = 2;

/**
 * The parallel read cannot give the one-thread read's answer: a block cut was not at a record's
 * end (a quoted field held a line break exactly there), or a record is longer than the parser
 * holds (MAX_RECORD_BYTES). The parallel read is then abandoned and the caller reads the files
 * again in one thread, which imports the first and refuses the second with its line number:
 * one answer whatever a file's size or compression.
 */
export class MisalignedBlockError extends Error {
  override readonly name = 'MisalignedBlockError';
}

interface WorkerSlot {
  worker: Worker;
  inFlight: number;
  summary?: AccumulatorSummary;
  /** Its last charge totals, sent at `finish` (keys index its summary's resources and periods). */
  totals?: { keys: Float64Array; sums: Float64Array };
}

/**
 * Reads FOCUS files with worker threads, for big files: the main thread reads (and gunzips)
 * the bytes and cuts them into blocks at line ends; the workers parse and accumulate in
 * parallel and send their charge totals back. A cut is only assumed to fall between records;
 * each worker says whether its block ended exactly at a record's end, and the first block
 * that did not makes the whole read fail with MisalignedBlockError (the caller then reads the
 * files sequentially: correct, slower, and only for files with line breaks inside quotes).
 */
export class FocusParallelReader {
  private readonly slots: WorkerSlot[];
  private readonly free: ArrayBuffer[] = [];
  private failure: Error | null = null;
  private readonly waiters: (() => void)[] = [];
  private readonly blockReplies = new Map<
    number,
    { lines: number; records: number; errors: FocusRowError[]; clean: boolean }
  >();
  private charges: Promise<void> = Promise.resolve();
  /** Records the workers have parsed so far (for progress). */
  rowsRead = 0;
  /** Blocks sent for the files before this one: block ids run on across files. */
  private blocksBefore = 0;

  private constructor(
    workers: number,
    init: ToParseWorker & { type: 'init' },
    private readonly blockBytes: number,
    private readonly onCharges: (rows: StagedCharge[]) => Promise<void>,
  ) {
    this.slots = Array.from({ length: workers }, () => {
      const slot: WorkerSlot = { worker: startWorker(), inFlight: 0 };
      slot.worker.on('message', (message: FromParseWorker) => this.onMessage(slot, message));
      slot.worker.on('error', (error) => this.fail(error));
      slot.worker.postMessage(init);
      return slot;
    });
  }

  /** Starts `workers` parse workers for one import; blocks of `blockBytes` (4 MiB suits). */
  static start(
    workers: number,
    options: { organizationId: string; costColumn: FocusCostColumn; flushAt: number; blockBytes: number },
    onCharges: (rows: StagedCharge[]) => Promise<void>,
  ): FocusParallelReader {
    const { blockBytes, ...init } = options;
    return new FocusParallelReader(workers, { type: 'init', ...init }, blockBytes, onCharges);
  }

  /**
   * Reads one file through the workers. Returns its refused rows (lines of the file) once
   * every block is parsed; charge totals go to `onCharges` as the workers send them.
   */
  async readFile(
    filePath: string,
    displayName: string,
    onProgress?: (bytesRead: number) => void,
  ): Promise<{ errors: FocusRowError[] }> {
    const refuse = (message: string, details: Record<string, unknown> = {}) =>
      new DomainError('BAD_USER_INPUT', `${displayName}: ${message}`, { file: displayName, ...details });
    const handle = await fs.promises.open(filePath, 'r').catch((error: NodeJS.ErrnoException) => {
      throw refuse(
        error.code === 'ENOENT' ? 'no such file' : `cannot be read (${error.code ?? error.message})`,
      );
    });
    this.blockReplies.clear();
    const firstBlock = this.blocksBefore;
    let blocks = 0;
    let headerLines = 0;
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw refuse('is not a file');
      if (stat.size === 0) throw refuse('the file is empty');
      const magic = Buffer.alloc(2);
      await handle.read(magic, 0, 2, 0);
      const gzipped = magic[0] === 0x1f && magic[1] === 0x8b;

      let block = this.takeBuffer(this.blockBytes);
      let filled = 0;
      let header = false;
      // Where the data starts in `block`: after the header until the block holding it is sent.
      let dataStart = 0;
      const dispatch = async (final: boolean) => {
        let offset = dataStart;
        if (!header) {
          const found = readHeader(block, filled, final, refuse);
          if (!found) {
            if (filled > MAX_RECORD_BYTES)
              throw new MisalignedBlockError(`${displayName}: header over the record limit`);
            return false; // the header line is not complete yet
          }
          for (const slot of this.slots) {
            slot.worker.postMessage({
              type: 'file',
              file: displayName,
              columns: found.columns,
            } satisfies ToParseWorker);
          }
          header = true;
          headerLines = found.lines;
          offset = dataStart = found.end;
        }
        const cut = final ? filled : block.lastIndexOf(0x0a, filled - 1) + 1;
        if (cut <= offset) {
          if (final) return true;
          // No line end after the data start yet: the block has to grow, up to one record.
          if (filled - offset > MAX_RECORD_BYTES)
            throw new MisalignedBlockError(`${displayName}: a record over the record limit`);
          return false;
        }
        dataStart = 0; // the header, if this block held it, is behind the cut
        const next = this.takeBuffer(Math.max(this.blockBytes, (filled - cut) * 2 + 2));
        block.copy(next, 0, cut, filled);
        await this.send(firstBlock + blocks++, block, offset, cut, final);
        block = next;
        filled = filled - cut;
        return true;
      };
      const append = async (chunk: Buffer) => {
        let at = 0;
        while (at < chunk.length) {
          if (filled === block.length - 2) {
            if (!(await dispatch(false))) {
              const grown = this.takeBuffer(block.length * 2);
              block.copy(grown, 0, 0, filled);
              block = grown;
            }
          }
          const n = Math.min(chunk.length - at, block.length - 2 - filled);
          chunk.copy(block, filled, at, at + n);
          filled += n;
          at += n;
        }
      };

      if (gzipped) {
        const source = handle.createReadStream({ start: 0, autoClose: false, highWaterMark: 1 << 20 });
        const gunzip = createGunzip({ chunkSize: 1 << 20 });
        source.on('error', (error) => gunzip.destroy(error));
        source.pipe(gunzip);
        try {
          for await (const chunk of gunzip) {
            await append(chunk as Buffer);
            onProgress?.(source.bytesRead);
          }
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? '';
          if (code.startsWith('Z_'))
            throw refuse(`is not a readable gzip file (${(error as Error).message})`);
          throw error;
        } finally {
          source.unpipe(gunzip);
          source.destroy();
        }
      } else {
        let position = 0;
        for (;;) {
          if (filled === block.length - 2 && !(await dispatch(false))) {
            const grown = this.takeBuffer(block.length * 2);
            block.copy(grown, 0, 0, filled);
            block = grown;
          }
          const { bytesRead } = await handle.read(block, filled, block.length - 2 - filled, position);
          if (bytesRead === 0) break;
          position += bytesRead;
          filled += bytesRead;
          onProgress?.(position);
        }
      }
      if (filled > 0 || !header) {
        if (!header && filled === 0) throw refuse('the file is empty');
        await dispatch(true);
      }
      if (!header) throw refuse('the file is empty');
      await this.drain();
    } finally {
      await handle.close();
    }

    // Lines of each block follow from the blocks before it.
    const errors: FocusRowError[] = [];
    let line = headerLines;
    let rows = 0;
    this.blocksBefore += blocks;
    for (let id = firstBlock; id < firstBlock + blocks; id++) {
      const reply = this.blockReplies.get(id);
      if (!reply) throw new Error(`block ${id} of ${displayName} was never answered`);
      if (!reply.clean) throw new MisalignedBlockError(`${displayName}: block ${id}`);
      for (const error of reply.errors) errors.push({ ...error, line: error.line + line });
      line += reply.lines;
      rows += reply.records;
    }
    if (rows === 0) throw refuse('has a header but no rows');
    return { errors };
  }

  /**
   * Collects the workers' summaries and last charge totals. The totals overlap (every worker
   * saw most resource-days): they are added up here, by number — each worker's resource and
   * billing period indexes mapped to the merged summary's — so the staging table gets one row
   * per key, and no string is built for a key that is merged away.
   */
  async finish(): Promise<AccumulatorSummary> {
    for (const slot of this.slots) slot.worker.postMessage({ type: 'finish' } satisfies ToParseWorker);
    await this.until(() =>
      this.slots.every((slot) => slot.summary !== undefined && slot.totals !== undefined),
    );
    await this.charges;
    const merged = mergeSummaries(this.slots.map((slot) => slot.summary as AccumulatorSummary));
    const resourceIndex = new Map(merged.resources.map((r, i) => [r.id, i]));
    const periodIndex = new Map(merged.billingPeriods.map((p, i) => [periodKey(p), i]));
    const totals = new SumsByKey();
    for (const slot of this.slots) {
      const summary = slot.summary as AccumulatorSummary;
      const resources = summary.resources.map((r) => resourceIndex.get(r.id) as number);
      const periods = summary.billingPeriods.map((p) => periodIndex.get(periodKey(p)) as number);
      const { keys, sums } = slot.totals as { keys: Float64Array; sums: Float64Array };
      for (let i = 0; i < keys.length; i++) {
        const { resource, day, category, period } = splitChargeKey(keys[i] as number);
        totals.add(
          chargeKey(resources[resource] as number, day, category, periods[period] as number),
          sums[i] as number,
        );
      }
    }
    await this.onCharges(chargeRows(totals, merged.resources, merged.billingPeriods));
    return merged;
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private takeBuffer(size: number): Buffer {
    const reused = this.free.findIndex((b) => b.byteLength >= size + 2);
    const arrayBuffer =
      reused >= 0 ? (this.free.splice(reused, 1)[0] as ArrayBuffer) : new ArrayBuffer(size + 2);
    return Buffer.from(arrayBuffer);
  }

  private async send(
    id: number,
    block: Buffer,
    offset: number,
    length: number,
    final: boolean,
  ): Promise<void> {
    await this.until(() => this.slots.some((slot) => slot.inFlight < IN_FLIGHT));
    const slot = this.slots.reduce((best, s) => (s.inFlight < best.inFlight ? s : best));
    slot.inFlight++;
    const buffer = block.buffer as ArrayBuffer;
    const message: ToParseWorker = { type: 'block', id, buffer, offset, length, final };
    slot.worker.postMessage(message, [buffer]);
  }

  private async drain(): Promise<void> {
    await this.until(() => this.slots.every((slot) => slot.inFlight === 0));
    await this.charges;
  }

  private onMessage(slot: WorkerSlot, message: FromParseWorker): void {
    if (message.type === 'block') {
      slot.inFlight--;
      this.rowsRead += message.records;
      this.free.push(message.buffer);
      this.blockReplies.set(message.id, {
        lines: message.lines,
        records: message.records,
        errors: message.errors,
        clean: message.clean,
      });
    } else if (message.type === 'totals') {
      slot.totals = { keys: message.keys, sums: message.sums };
    } else if (message.type === 'charges') {
      // Staging writes happen one after another, in the order the workers sent them.
      this.charges = this.charges.then(() => this.onCharges(message.rows));
      this.charges.catch((error: Error) => this.fail(error));
    } else if (message.type === 'summary') {
      slot.summary = message.summary;
    } else {
      this.fail(
        message.domain
          ? new DomainError(message.domain.code, message.message, message.domain.details)
          : message.limit
            ? new MisalignedBlockError(message.message)
            : new Error(message.message),
      );
    }
    this.wake();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Resolves once `ready()` holds; rejects as soon as any worker failed. */
  private async until(ready: () => boolean): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (ready()) return;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

/** The header of a block's first bytes: its columns and where the data starts. */
function readHeader(
  block: Buffer,
  filled: number,
  final: boolean,
  refuse: (message: string, details?: Record<string, unknown>) => DomainError,
): { columns: FocusColumns; end: number; lines: number } | null {
  let names: string[] | null = null;
  let malformed: string | null = null;
  const parser = new CsvRecordParser((record) => {
    if (names || malformed) return;
    malformed = record.malformed;
    names = Array.from({ length: record.count }, (_, i) => record.text(i));
  });
  const lineEnd = block.indexOf(0x0a);
  const end = lineEnd >= 0 && lineEnd < filled ? lineEnd + 1 : final ? filled : -1;
  if (end < 0) return null;
  parser.push(block.subarray(0, end));
  parser.finish();
  if (malformed) throw refuse(`line 1: ${malformed as string}`);
  if (!names) throw refuse('the file is empty');
  const resolved = resolveColumns(names);
  if ('missing' in resolved) {
    throw refuse(
      `not a FOCUS file: mandatory column${resolved.missing.length > 1 ? 's' : ''} missing: ${resolved.missing.join(', ')}`,
      { missingColumns: resolved.missing },
    );
  }
  return { columns: resolved.columns, end, lines: 1 };
}

/**
 * A parse worker. Compiled, it is the `.js` file beside this one; from TypeScript sources (the
 * test runner) it is transpiled on load with the TypeScript compiler, as ts-jest does.
 */
function startWorker(): Worker {
  const compiled = path.join(__dirname, 'focus-parse.worker.js');
  if (fs.existsSync(compiled)) return new Worker(compiled);
  const source = path.join(__dirname, 'focus-parse.worker.ts');
  return new Worker(
    `const ts = require('typescript');
     const fs = require('node:fs');
     require.extensions['.ts'] = (module, file) => module._compile(ts.transpileModule(fs.readFileSync(file, 'utf8'), {
       compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
       fileName: file,
     }).outputText, file);
     require(${JSON.stringify(source)});`,
    { eval: true },
  );
}
