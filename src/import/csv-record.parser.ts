const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** Bytes that end an unquoted field. */
const STOP = new Uint8Array(256);
STOP[COMMA] = 1;
STOP[LF] = 1;
STOP[CR] = 1;

/** `Buffer#utf8Slice`: what `toString('utf8', s, e)` ends in, without its argument handling. */
interface Utf8Slicing {
  utf8Slice(start: number, end: number): string;
}

/** Field flags: the field was quoted; it held doubled quotes (`""`) that decoding must undo. */
export const QUOTED = 1;
export const ESCAPED = 2;

/** The longest record a parser holds by default (a FOCUS row is a few KiB). */
export const MAX_RECORD_BYTES = 1 << 20;

/** Input the parser will not hold (a record longer than its limit). */
export class CsvLimitError extends Error {
  override readonly name = 'CsvLimitError';
}

/**
 * One CSV record as spans over the parser's buffer. The same object is handed out for every
 * record and is only valid during the callback: nothing is decoded unless asked for, so a
 * reader that needs 15 of 44 columns pays for 15.
 */
export class CsvRecord {
  buf: Buffer = Buffer.alloc(0);
  /** Number of fields. */
  count = 0;
  /** Physical line (1-based) the record starts on; quoted newlines count as lines. */
  line = 0;
  /** Set when the record is malformed (a quote closed mid-field); the reason names the field. */
  malformed: string | null = null;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly flags: Uint8Array;

  constructor(readonly maxFields: number) {
    this.starts = new Int32Array(maxFields);
    this.ends = new Int32Array(maxFields);
    this.flags = new Uint8Array(maxFields);
  }

  /** The field as text (UTF-8, doubled quotes undone). */
  text(i: number): string {
    const text = (this.buf as unknown as Utf8Slicing).utf8Slice(
      this.starts[i] as number,
      this.ends[i] as number,
    );
    return (this.flags[i] as number) & ESCAPED ? text.replace(/""/g, '"') : text;
  }

  /** Byte length of the field as written (quotes and escapes excluded / included as bytes). */
  length(i: number): number {
    return (this.ends[i] as number) - (this.starts[i] as number);
  }

  /** True for an empty field and for the literal `NULL` (quoted or not) FOCUS exports write. */
  isNull(i: number): boolean {
    const s = this.starts[i] as number;
    const n = (this.ends[i] as number) - s;
    if (n === 0) return true;
    const b = this.buf;
    return n === 4 && b[s] === 0x4e && b[s + 1] === 0x55 && b[s + 2] === 0x4c && b[s + 3] === 0x4c;
  }

  /** Whether the field's bytes equal `ascii` (no decoding). */
  equals(i: number, ascii: Uint8Array): boolean {
    const s = this.starts[i] as number;
    if ((this.ends[i] as number) - s !== ascii.length) return false;
    for (let k = 0; k < ascii.length; k++) if (this.buf[s + k] !== ascii[k]) return false;
    return true;
  }
}

/**
 * A streaming RFC 4180 reader over bytes. It owns one growable buffer: callers write into
 * `writable()` (file reads land there directly, gunzip output is copied in), then `parse()`
 * hands out every complete record and keeps the unfinished tail for the next round. Memory is
 * the buffer (one read plus the longest record), whatever the file size.
 *
 * Written by hand rather than with csv-parse because this is the hot loop of an import: it
 * scans bytes, finds closing quotes with `Buffer.indexOf` (memchr), and decodes no field the
 * reader does not ask for. BENCHMARKS.md has the measured difference.
 */
export class CsvRecordParser {
  private buf: Buffer;
  private start = 0;
  private end = 0;
  private line = 1;
  private first = true;
  private readonly record: CsvRecord;

  constructor(
    private readonly onRecord: (record: CsvRecord) => void,
    options: { bufferBytes?: number; maxRecordBytes?: number; maxFields?: number } = {},
  ) {
    this.buf = Buffer.allocUnsafe((options.bufferBytes ?? 1 << 20) + 2);
    this.maxRecordBytes = options.maxRecordBytes ?? MAX_RECORD_BYTES;
    this.record = new CsvRecord(options.maxFields ?? 1024);
  }

  private readonly maxRecordBytes: number;

  /** Room to write the next bytes into, after the unconsumed tail (grown or compacted as needed). */
  writable(min = 1 << 16): { buffer: Buffer; offset: number; length: number } {
    if (this.start > 0 && (this.start === this.end || this.buf.length - 2 - this.end < min)) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (this.buf.length - 2 - this.end < min) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.end + min + 2));
      this.buf.copy(grown, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
      this.buf = grown;
    }
    return { buffer: this.buf, offset: this.end, length: this.buf.length - 2 - this.end };
  }

  /** Records that `n` bytes were written at `writable().offset`. */
  commit(n: number): void {
    this.end += n;
  }

  /** Copies a chunk in (for streams that hand out their own buffers, e.g. gunzip). */
  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const room = this.writable(Math.min(chunk.length - offset, 1 << 20));
      const n = Math.min(room.length, chunk.length - offset);
      chunk.copy(room.buffer, room.offset, offset, offset + n);
      this.commit(n);
      offset += n;
      this.parse(false);
    }
  }

  /** Parses every complete record; with `final`, the last record needs no line end. */
  parse(final: boolean): void {
    const b = this.buf;
    const len = this.end;
    if (this.first && len - this.start >= 3) {
      // A UTF-8 byte order mark, as spreadsheet tools write it, is not part of the first name.
      if (b[this.start] === 0xef && b[this.start + 1] === 0xbb && b[this.start + 2] === 0xbf) this.start += 3;
      this.first = false;
    } else if (this.first && !final) {
      return;
    }
    this.first = false;
    // Sentinels past the data: a quote stops the quoted scan, a line feed the unquoted one, so
    // the inner loops need no bounds test.
    b[len] = QUOTE;
    b[len + 1] = LF;
    const record = this.record;
    const starts = record.starts;
    const ends = record.ends;
    const flags = record.flags;
    const maxFields = record.maxFields;
    record.buf = b;
    let pos = this.start;
    while (pos < len) {
      const recordStart = pos;
      let n = 0;
      let complete = false;
      let newlines = 0;
      let malformed: string | null = null;
      for (;;) {
        if (n === maxFields) {
          malformed = `more than ${maxFields} fields`;
          n = 0;
        }
        let c = b[pos] as number;
        if (c === QUOTE) {
          const s = ++pos;
          let flag = QUOTED;
          for (;;) {
            // Two compares on a byte held in a local measured 20% faster than a table lookup here.
            let q = b[pos] as number;
            while (q !== QUOTE && q !== LF) q = b[++pos] as number;
            if (pos >= len) {
              pos = len;
              break;
            }
            if (b[pos] === LF) {
              newlines++;
              pos++;
              continue;
            }
            if (b[pos + 1] === QUOTE && pos + 1 < len) {
              flag |= ESCAPED;
              pos += 2;
              continue;
            }
            break;
          }
          if (pos + 1 >= len) {
            if (!final || pos >= len) break; // the closing quote or what follows is still to come
          }
          starts[n] = s;
          ends[n] = pos;
          flags[n] = flag;
          n++;
          pos++;
          c = pos < len ? (b[pos] as number) : LF;
          if (c === COMMA) {
            pos++;
            continue;
          }
          if (c === LF || c === CR) {
            pos += c === CR && b[pos + 1] === LF ? 2 : 1;
            complete = true;
            break;
          }
          // `"abc"x`: not CSV. Skip to the end of the line and report the record.
          malformed ??= `text after the closing quote of field ${n}`;
          while (pos < len && b[pos] !== LF) pos++;
          if (pos >= len && !final) break;
          pos++;
          complete = true;
          break;
        } else {
          const s = pos;
          while (STOP[b[pos] as number] === 0) pos++;
          if (pos >= len && !final) break;
          const stop = Math.min(pos, len);
          starts[n] = s;
          ends[n] = stop;
          flags[n] = 0;
          n++;
          c = pos < len ? (b[pos] as number) : LF;
          if (c === COMMA) {
            pos++;
            continue;
          }
          pos += c === CR && b[pos + 1] === LF ? 2 : 1;
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (final) {
          record.count = 0;
          record.line = this.line;
          record.malformed = 'a quoted field is not closed before the end of the file';
          this.start = len;
          this.onRecord(record);
          return;
        }
        this.start = recordStart;
        if (len - recordStart > this.maxRecordBytes) {
          throw new CsvLimitError(`line ${this.line}: a record longer than ${this.maxRecordBytes} bytes`);
        }
        return;
      }
      const line = this.line;
      this.line += 1 + newlines;
      // A blank line is no record (a trailing newline at the end of the file, typically).
      if (n === 1 && ends[0] === starts[0] && flags[0] === 0) continue;
      record.count = n;
      record.line = line;
      record.malformed = malformed;
      this.onRecord(record);
    }
    this.start = Math.min(pos, len);
  }

  /** Parses what is left at the end of the input. */
  finish(): void {
    this.parse(true);
  }

  /**
   * Parses `buf[offset, length)` on its own, lines counted from 1: a block of a file cut at a
   * line end, read by a worker thread. `buf` needs two spare bytes past `length`. Returns
   * whether the block ended exactly at a record's end (false: the cut fell inside a quoted
   * field, so this block's end and the next block's start are not where they were assumed).
   */
  parseBlock(buf: Buffer, offset: number, length: number, final: boolean): { clean: boolean; lines: number } {
    if (buf.length < length + 2) throw new Error('parseBlock needs two spare bytes after the data');
    this.buf = buf;
    this.start = offset;
    this.end = length;
    this.line = 1;
    this.first = false;
    this.parse(final);
    return { clean: this.start >= length, lines: this.line - 1 };
  }
}
