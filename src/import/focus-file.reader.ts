import fs from 'node:fs';
import { createGunzip } from 'node:zlib';
import { DomainError } from '../errors';
import { CsvLimitError, CsvRecordParser, type CsvRecord } from './csv-record.parser';
import type { FocusChargeAccumulator } from './focus-charge.accumulator';
import { resolveColumns } from './focus-columns';

const READ_BYTES = 2 << 20;

export interface ReadFocusOptions {
  /** The name errors show (the path as the caller gave it, never a server path it did not). */
  displayName: string;
  /** Awaited after every chunk: the caller drains pending charge totals here. */
  afterChunk: () => Promise<void>;
  /** Bytes of the file read so far (compressed bytes for a gzipped file). */
  onProgress?: (bytesRead: number) => void;
}

function refuseFile(
  displayName: string,
  message: string,
  details: Record<string, unknown> = {},
): DomainError {
  return new DomainError('BAD_USER_INPUT', `${displayName}: ${message}`, { file: displayName, ...details });
}

/**
 * Streams one FOCUS CSV file (plain, or gzipped: told by its first two bytes, 1f 8b, not by its
 * name) through the CSV parser into the accumulator. The header is checked first: a file that
 * lacks a mandatory column is refused before any row is read. Memory stays at the parser's
 * buffer, whatever the file's size.
 */
export async function readFocusFile(
  path: string,
  accumulator: FocusChargeAccumulator,
  options: ReadFocusOptions,
): Promise<void> {
  const name = options.displayName;
  let header = false;
  let dataRows = 0;
  const parser = new CsvRecordParser((record: CsvRecord) => {
    if (header) {
      dataRows++;
      accumulator.add(record);
      return;
    }
    if (record.malformed !== null) throw refuseFile(name, `line ${record.line}: ${record.malformed}`);
    const names = Array.from({ length: record.count }, (_, i) => record.text(i));
    const resolved = resolveColumns(names);
    if ('missing' in resolved) {
      throw refuseFile(
        name,
        `not a FOCUS file: mandatory column${resolved.missing.length > 1 ? 's' : ''} missing: ${resolved.missing.join(', ')}`,
        { missingColumns: resolved.missing },
      );
    }
    accumulator.startFile(name, resolved.columns);
    header = true;
  });

  const handle = await fs.promises.open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    throw refuseFile(
      name,
      error.code === 'ENOENT' ? 'no such file' : `cannot be read (${error.code ?? error.message})`,
    );
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw refuseFile(name, 'is not a file');
    if (stat.size === 0) throw refuseFile(name, 'the file is empty');
    const magic = Buffer.alloc(2);
    await handle.read(magic, 0, 2, 0);
    if (magic[0] === 0x1f && magic[1] === 0x8b) {
      await readGzipped(handle, parser, options);
    } else {
      let position = 0;
      for (;;) {
        const room = parser.writable(READ_BYTES);
        const { bytesRead } = await handle.read(
          room.buffer,
          room.offset,
          Math.min(room.length, READ_BYTES),
          position,
        );
        if (bytesRead === 0) break;
        position += bytesRead;
        parser.commit(bytesRead);
        parser.parse(false);
        await options.afterChunk();
        options.onProgress?.(position);
      }
    }
    parser.finish();
    await options.afterChunk();
  } catch (error) {
    if (error instanceof CsvLimitError) throw refuseFile(name, error.message);
    throw error;
  } finally {
    await handle.close();
  }
  if (!header) throw refuseFile(name, 'the file is empty');
  if (dataRows === 0) throw refuseFile(name, 'has a header but no rows');
}

async function readGzipped(
  handle: fs.promises.FileHandle,
  parser: CsvRecordParser,
  options: ReadFocusOptions,
) {
  const source = handle.createReadStream({ start: 0, autoClose: false, highWaterMark: READ_BYTES });
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  try {
    for await (const chunk of gunzip) {
      parser.push(chunk as Buffer);
      await options.afterChunk();
      options.onProgress?.(source.bytesRead);
    }
  } catch (error) {
    if (error instanceof DomainError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_')) {
      throw refuseFile(options.displayName, `is not a readable gzip file (${(error as Error).message})`);
    }
    throw error;
  } finally {
    source.unpipe(gunzip);
    source.destroy();
  }
}
