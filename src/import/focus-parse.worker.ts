import { parentPort } from 'node:worker_threads';
import type { FocusCostColumn, FocusRowError } from '../domain/model';
import type { StagedCharge } from '../domain/ports';
import { DomainError } from '../errors';
import { CsvLimitError, CsvRecordParser } from './csv-record.parser';
import { FocusChargeAccumulator } from './focus-charge.accumulator';
import type { AccumulatorSummary } from './focus-summary';
import type { FocusColumns } from './focus-columns';

/** What the import's main thread sends a parse worker. */
export type ToParseWorker =
  | { type: 'init'; organizationId: string; costColumn: FocusCostColumn; flushAt: number }
  | { type: 'file'; file: string; columns: FocusColumns }
  /** `id` counts blocks over the whole import, in file order (rows are ordered by it). */
  | { type: 'block'; id: number; buffer: ArrayBuffer; offset: number; length: number; final: boolean }
  | { type: 'finish' };

/** What a parse worker answers. */
export type FromParseWorker =
  | { type: 'charges'; rows: StagedCharge[] }
  /** The last totals, at `finish`: keys index the resources and periods of the summary after it. */
  | { type: 'totals'; keys: Float64Array; sums: Float64Array }
  | {
      type: 'block';
      id: number;
      buffer: ArrayBuffer;
      clean: boolean;
      lines: number;
      /** Records read (refused ones included). */
      records: number;
      /** Refused rows of this block, lines counted from the block's start (1-based). */
      errors: FocusRowError[];
    }
  | { type: 'summary'; summary: AccumulatorSummary }
  | {
      type: 'error';
      message: string;
      domain: { code: DomainError['code']; details: Record<string, unknown> } | null;
      limit: boolean;
    };

// A worker thread of a parallel FOCUS import: it parses the blocks of the file it is handed
// (cut at line ends by the main thread) into its own accumulator, which lives for the whole
// import, and sends its charge totals back whenever it holds more than `flushAt` of them.
const port = parentPort;
if (port) {
  let accumulator: FocusChargeAccumulator | null = null;
  let flushAt = 0;
  const parser = new CsvRecordParser((record) => accumulator?.add(record));
  port.on('message', (message: ToParseWorker) => {
    try {
      if (message.type === 'init') {
        accumulator = new FocusChargeAccumulator({
          organizationId: message.organizationId,
          costColumn: message.costColumn,
          // Errors are sent after every block and the main thread keeps the first ones overall.
          maxErrors: Number.MAX_SAFE_INTEGER,
        });
        flushAt = message.flushAt;
      } else if (message.type === 'file') {
        accumulator?.startFile(message.file, message.columns);
      } else if (message.type === 'block') {
        const acc = accumulator as FocusChargeAccumulator;
        const buffer = Buffer.from(message.buffer);
        const before = acc.rowsRead;
        acc.startBlock(message.id);
        const { clean, lines } = parser.parseBlock(buffer, message.offset, message.length, message.final);
        if (acc.pendingCharges >= flushAt) port.postMessage({ type: 'charges', rows: acc.takeCharges() });
        const errors = acc.errors.splice(0, Math.min(acc.errors.length, 1000));
        acc.errors.length = 0;
        const reply: FromParseWorker = {
          type: 'block',
          id: message.id,
          buffer: message.buffer,
          clean,
          lines,
          records: acc.rowsRead - before,
          errors,
        };
        port.postMessage(reply, [message.buffer]);
      } else {
        const acc = accumulator as FocusChargeAccumulator;
        const { keys, sums } = acc.takeChargeArrays();
        const totals: FromParseWorker = { type: 'totals', keys, sums };
        port.postMessage(totals, [keys.buffer as ArrayBuffer, sums.buffer as ArrayBuffer]);
        port.postMessage({ type: 'summary', summary: acc.summary() } satisfies FromParseWorker);
      }
    } catch (error) {
      port.postMessage({
        type: 'error',
        message: (error as Error).message,
        domain: error instanceof DomainError ? { code: error.code, details: error.details } : null,
        // A record over the parser's limit: the one-thread read refuses it with its line number.
        limit: error instanceof CsvLimitError,
      });
    }
  });
}
