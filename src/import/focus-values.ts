import type { Provider } from '../domain/model';

// Value readers for FOCUS cells, working on bytes: an import reads millions of them and most
// are plain decimals and fixed-layout timestamps, so the common shapes are read without making
// a string first. Anything unusual falls back to the exact (slower) path.

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A decimal number written in `buf[start, end)`, or NaN when it is not one. Plain decimals with
 * at most 15 significant digits are read as integer / 10^k: both are exact doubles, so the
 * quotient is the correctly rounded value, the same double `Number(text)` gives.
 */
export function readDecimal(buf: Buffer, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
  } else if (buf[i] === 0x2b) {
    i++;
  }
  let mantissa = 0;
  let significant = 0;
  let anyDigit = false;
  let point = -1;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c >= 0x30 && c <= 0x39) {
      anyDigit = true;
      mantissa = mantissa * 10 + (c - 0x30);
      if (mantissa > 0) significant++;
    } else if (c === 0x2e && point < 0) {
      point = i;
    } else {
      break;
    }
  }
  if (i === end && anyDigit && significant <= 15) {
    const scale = point < 0 ? 0 : end - point - 1;
    if (scale < POW10.length) {
      const value = scale === 0 ? mantissa : mantissa / (POW10[scale] as number);
      return negative ? -value : value;
    }
  }
  const text = buf.toString('latin1', start, end);
  return DECIMAL.test(text) ? Number(text) : Number.NaN;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digit(buf: Buffer, i: number): number {
  const c = (buf[i] as number) - 0x30;
  return c >= 0 && c <= 9 ? c : -1000;
}

function two(buf: Buffer, i: number): number {
  return digit(buf, i) * 10 + digit(buf, i + 1);
}

/**
 * A FOCUS timestamp in `buf[start, end)` as epoch milliseconds, or NaN. Accepted (UTC unless an
 * offset says otherwise): `YYYY-MM-DDTHH:mm:ssZ`, `YYYY-MM-DD HH:mm:ss`, either with fractional
 * seconds, a `Z` or a `±HH:MM` offset, minutes-only `YYYY-MM-DDTHH:mmZ`, and a bare `YYYY-MM-DD`.
 */
export function readTimestamp(buf: Buffer, start: number, end: number): number {
  const n = end - start;
  if (n < 10 || buf[start + 4] !== 0x2d || buf[start + 7] !== 0x2d) return Number.NaN;
  const year = two(buf, start) * 100 + two(buf, start + 2);
  const month = two(buf, start + 5);
  const day = two(buf, start + 8);
  if (year < 1970 || year > 2999 || month < 1 || month > 12 || day < 1) return Number.NaN;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (DAYS_IN_MONTH[month - 1] as number) + (leap ? 1 : 0)) return Number.NaN;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let ms = 0;
  let i = start + 10;
  if (i < end) {
    const sep = buf[i];
    if ((sep !== 0x54 && sep !== 0x20) || end - i < 6 || buf[i + 3] !== 0x3a) return Number.NaN;
    hour = two(buf, i + 1);
    minute = two(buf, i + 4);
    i += 6;
    if (i < end && buf[i] === 0x3a) {
      second = two(buf, i + 1);
      i += 3;
      if (i < end && buf[i] === 0x2e) {
        let scale = 100;
        for (i++; i < end && digit(buf, i) >= 0; i++) {
          ms += digit(buf, i) * scale;
          scale /= 10;
        }
        ms = Math.floor(ms);
      }
    }
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return Number.NaN;
    if (i > end) return Number.NaN;
  }
  let offsetMinutes = 0;
  if (i < end) {
    const c = buf[i];
    if (c === 0x5a && i + 1 === end) {
      // Z
    } else if ((c === 0x2b || c === 0x2d) && (end - i === 6 || end - i === 5)) {
      const oh = two(buf, i + 1);
      const om = end - i === 6 ? (buf[i + 3] === 0x3a ? two(buf, i + 4) : -1) : two(buf, i + 3);
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
      offsetMinutes = (c === 0x2b ? 1 : -1) * (oh * 60 + om);
    } else {
      return Number.NaN;
    }
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
}

/**
 * `readTimestamp` for one column, remembering the last value: exports list many rows of the same
 * hour together, and comparing 19 bytes from the end (where hours differ) is cheaper than reading them.
 */
export class TimestampReader {
  private readonly last = Buffer.alloc(40);
  private length = -1;
  private value = Number.NaN;

  read(buf: Buffer, start: number, end: number): number {
    const n = end - start;
    if (n === this.length) {
      let i = n - 1;
      while (i >= 0 && this.last[i] === buf[start + i]) i--;
      if (i < 0) return this.value;
    }
    const value = readTimestamp(buf, start, end);
    if (n <= this.last.length) {
      buf.copy(this.last, 0, start, end);
      this.length = n;
      this.value = value;
    }
    return value;
  }
}

/** Values of FOCUS ChargeCategory (1.0 to 1.2), as stored in expense_charges.charge_category. */
export const CHARGE_CATEGORIES = ['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment'] as const;
export type ChargeCategory = (typeof CHARGE_CATEGORIES)[number];

/**
 * The cloud account type of a FOCUS ProviderName, and the key that tells providers apart in
 * stable ids: AWS, AZURE and GCP under any of their spellings; everything else is OTHER, kept
 * apart by its lower-cased name (`other:oracle`).
 */
export function providerOf(name: string): { type: Provider; key: string } {
  const n = name.trim().toLowerCase();
  if (n === 'aws' || n === 'amazon web services' || n === 'amazon' || n.startsWith('amazon web services'))
    return { type: 'AWS', key: 'AWS' };
  if (n === 'microsoft' || n === 'azure' || n === 'microsoft azure' || n.startsWith('microsoft'))
    return { type: 'AZURE', key: 'AZURE' };
  if (n === 'google cloud' || n === 'google' || n === 'gcp' || n.startsWith('google cloud'))
    return { type: 'GCP', key: 'GCP' };
  return { type: 'OTHER', key: `other:${n}` };
}

/**
 * The FOCUS Tags cell (a JSON object) as string pairs: strings as they are, other values as
 * JSON (`1`, `true`, `{"a":1}`), null as "". Throws a message fit for a row error.
 */
export function parseTags(text: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message})`);
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
  const tags: Record<string, string> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    tags[key] = typeof v === 'string' ? v : v === null ? '' : JSON.stringify(v);
  }
  return tags;
}
