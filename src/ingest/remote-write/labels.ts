import { isUtf8 } from 'node:buffer';
import type { RemoteWriteRewriteOptions } from '../../domain/ports/remote-write-codec';
import { RemoteWriteError } from './errors';
import { MAX_LABELS } from './limits';
import { writeLabel } from './writer';

// Labels: validation on bytes, order, and the error text naming the series.

/** `[a-zA-Z_]` then `[a-zA-Z0-9_]*`: the 1.0 label name charset (remote_write_spec §Labels). */
export const NAME_FIRST = new Uint8Array(256);
export const NAME_REST = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  const alpha = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f;
  NAME_FIRST[b] = alpha ? 1 : 0;
  NAME_REST[b] = alpha || (b >= 0x30 && b <= 0x39) ? 1 : 0;
}
export const METRIC_NAME_LABEL = Buffer.from('__name__');
export const CLUSTER_INFO_METRIC = Buffer.from('kubecost_cluster_info');

/** Byte-wise comparison of two ranges (Prometheus orders label names as Go strings, i.e. bytes). */
export function compareBytes(a: Buffer, as: number, ae: number, b: Buffer, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let i = 0; i < n; i++) {
    const d = a[as + i]! - b[bs + i]!;
    if (d !== 0) return d;
  }
  return ae - as - (be - bs);
}

export function isLegacyName(buf: Buffer, s: number, e: number): boolean {
  let ok = NAME_FIRST[buf[s]!]!;
  for (let i = s + 1; i < e; i++) ok &= NAME_REST[buf[i]!]!;
  return ok === 1;
}

/**
 * Whether [s, e) holds a byte >= 0x80 (i.e. is not plain ASCII), reading 4 bytes at a time through
 * `words`, an Int32Array over the same memory starting `shift` bytes before buf[0]: label values
 * are most of the bytes the 1.0 path looks at, and byte loops dominate its cost.
 */
export function hasHighBit(
  buf: Buffer,
  words: Int32Array<ArrayBufferLike>,
  shift: number,
  s: number,
  e: number,
): boolean {
  let h = 0;
  let k = s;
  while (k < e && ((k + shift) & 3) !== 0) h |= buf[k++]!;
  let w = (k + shift) >> 2;
  const wEnd = (e + shift) >> 2;
  for (; w + 4 <= wEnd; w += 4) h |= words[w]! | words[w + 1]! | words[w + 2]! | words[w + 3]!;
  for (; w < wEnd; w++) h |= words[w]!;
  for (k = Math.max(k, (wEnd << 2) - shift); k < e; k++) h |= buf[k]!;
  return (h & 0x80808080) !== 0;
}

export function isValidUtf8(buf: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (buf[i]! >= 0x80) return isUtf8(buf.subarray(s, e));
  return true;
}

export function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Encoded size of a TimeSeries.labels entry: tag, length, then Label{name = 1, value = 2}. */
export function labelFieldSize(nameLen: number, valueLen: number): number {
  const inner = 2 + varintSize(nameLen) + nameLen + varintSize(valueLen) + valueLen;
  return 1 + varintSize(inner) + inner;
}

/** The tenant label, checked and encoded once per request. */
export interface Tenant {
  name: Buffer;
  value: string;
  /** The encoded TimeSeries.labels field (tag 0x0a, length, Label). */
  field: Buffer;
}

export function tenantLabel(options: RemoteWriteRewriteOptions): Tenant {
  const { tenantLabel: name, tenantValue: value } = options;
  // A configuration error, not a request error: fail loudly rather than answer 400 to every sender.
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) || name.startsWith('__'))
    throw new TypeError(`tenantLabel ${JSON.stringify(name)} must be a valid, non-reserved label name`);
  if (value === '') throw new TypeError('tenantValue must not be empty');
  const n = Buffer.from(name);
  const v = Buffer.from(value);
  const field = Buffer.allocUnsafe(labelFieldSize(n.length, v.length));
  writeLabel(field, 0, n, 0, n.length, v, 0, v.length);
  return { name: n, value, field };
}

/** Scratch for one series' labels: [nameStart, nameEnd, valueStart, valueEnd, rawStart] per label. */
export const STRIDE = 5;
export const EMPTY = Buffer.alloc(0);

export class LabelSet {
  readonly lab = new Int32Array(MAX_LABELS * STRIDE);
  readonly order = new Int32Array(MAX_LABELS);
  buf: Buffer = EMPTY;
  words: Int32Array<ArrayBufferLike> = new Int32Array(0);
  shift = 0;
  tenant: Buffer = EMPTY;
  utf8Names = false;
  series = 0;
  n = 0;
  /** Index of `__name__`, of the client's tenant label, and how many labels sort before the tenant. */
  nameIdx = -1;
  tenantIdx = -1;
  beforeTenant = 0;
  sorted = true;
  /** Encoded size of the labels that leave, without the tenant label. */
  size = 0;

  reset(buf: Buffer, tenant: Buffer, utf8Names: boolean, series: number): void {
    if (buf !== this.buf) {
      this.buf = buf;
      // Int32 view of the same bytes, aligned down to 4 (see hasHighBit).
      this.shift = buf.byteOffset & 3;
      const from = buf.byteOffset - this.shift;
      this.words = new Int32Array(buf.buffer, from, (buf.byteOffset + buf.length - from) >> 2);
    }
    this.tenant = tenant;
    this.utf8Names = utf8Names;
    this.series = series;
    this.n = 0;
    this.nameIdx = -1;
    this.tenantIdx = -1;
    this.beforeTenant = 0;
    this.sorted = true;
    this.size = 0;
  }

  release(): void {
    this.buf = this.tenant = EMPTY;
    this.words = new Int32Array(0);
  }

  /**
   * Validates one label (series rules of remote-write.md: non-empty name and value, 1.0 charset or
   * 2.0 UTF-8, `__` prefix reserved except `__name__`) and records it; `rawStart` >= 0 marks a label
   * already canonically encoded at [rawStart, ve) that can be copied as is.
   */
  add(ns: number, ne: number, vs: number, ve: number, rawStart: number): void {
    const buf = this.buf;
    const i = this.n;
    // One cheap combined check (lookup-table AND over the name, OR over the value for non-ASCII);
    // `reject` works out the precise message only when something is wrong.
    let ok = ne > ns && ve > vs && i < MAX_LABELS ? 1 : 0;
    if (ok === 1) {
      if (this.utf8Names) ok = isValidUtf8(buf, ns, ne) ? 1 : 0;
      else {
        ok = NAME_FIRST[buf[ns]!]!;
        for (let k = ns + 1; k < ne; k++) ok &= NAME_REST[buf[k]!]!;
      }
      // Values of canonical labels are checked per run of labels by checkAscii (one call, not ten).
      if (rawStart < 0 && !isValidUtf8(buf, vs, ve)) ok = 0;
    }
    if (ok === 0) throw this.reject(ns, ne, vs, ve);
    const first = buf[ns]!;
    if (first === 0x5f && ne - ns >= 2 && buf[ns + 1] === 0x5f) {
      if (compareBytes(buf, ns, ne, METRIC_NAME_LABEL, 0, METRIC_NAME_LABEL.length) !== 0)
        throw this.invalid(
          `label name ${this.quote(ns, ne)} is reserved (names starting "__")`,
          ns,
          ne,
          vs,
          ve,
        );
      this.nameIdx = i;
    }
    const tenant = this.tenant;
    const t = first !== tenant[0] ? first - tenant[0]! : compareBytes(buf, ns, ne, tenant, 0, tenant.length);
    const size = rawStart >= 0 ? ve - rawStart : labelFieldSize(ne - ns, ve - vs);
    if (t === 0) this.tenantIdx = i;
    else {
      if (t < 0) this.beforeTenant++;
      this.size += size;
    }
    const lab = this.lab;
    if (i > 0 && this.sorted) {
      const o = (i - 1) * STRIDE;
      const ps = lab[o]!;
      const d = buf[ps] !== first ? buf[ps]! - first : compareBytes(buf, ps, lab[o + 1]!, buf, ns, ne);
      if (d === 0) throw this.invalid(`duplicate label name ${this.quote(ns, ne)}`, ns, ne, vs, ve);
      if (d > 0) this.sorted = false;
    }
    const o = i * STRIDE;
    lab[o] = ns;
    lab[o + 1] = ne;
    lab[o + 2] = vs;
    lab[o + 3] = ve;
    lab[o + 4] = rawStart;
    this.n = i + 1;
  }

  /** The precise reason `add` refused a label. */
  private reject(ns: number, ne: number, vs: number, ve: number): RemoteWriteError {
    const buf = this.buf;
    if (ne <= ns) return this.invalid('empty label name', ns, ne, vs, ve);
    if (ve <= vs) return this.invalid(`empty value for label ${this.quote(ns, ne)}`, ns, ne, vs, ve);
    if (this.n >= MAX_LABELS) return this.invalid(`more than ${MAX_LABELS} labels`, ns, ne, vs, ve);
    if (this.utf8Names && !isValidUtf8(buf, ns, ne))
      return this.invalid('label name is not valid UTF-8', ns, ne, vs, ve);
    if (!this.utf8Names && !isLegacyName(buf, ns, ne))
      return this.invalid(
        `invalid label name ${this.quote(ns, ne)} (Remote-Write 1.0 allows [a-zA-Z_][a-zA-Z0-9_]*)`,
        ns,
        ne,
        vs,
        ve,
      );
    return this.invalid(`value of label ${this.quote(ns, ne)} is not valid UTF-8`, ns, ne, vs, ve);
  }

  /**
   * Checks the values of the canonical labels in [s, e) (a run of whole encoded labels) for UTF-8:
   * one pass over the run usually proves it plain ASCII, which is valid UTF-8 (the framing bytes are
   * ASCII too, so a run with no high bit anywhere has none in its values). Only otherwise are the
   * values checked one by one, which also finds the label to name.
   */
  checkAscii(s: number, e: number): void {
    if (!hasHighBit(this.buf, this.words, this.shift, s, e)) return;
    const lab = this.lab;
    for (let i = 0; i < this.n; i++) {
      const o = i * STRIDE;
      const start = lab[o + 4]!;
      if (start < s || start >= e) continue;
      if (!isValidUtf8(this.buf, lab[o + 2]!, lab[o + 3]!))
        throw this.invalid(`value of label ${this.quote(lab[o]!, lab[o + 1]!)} is not valid UTF-8`);
    }
  }

  /**
   * The 1.0 hot path: reads, validates and records the run of consecutive canonical labels with
   * one-byte lengths (0x0a len 0x0a nameLen name 0x12 valueLen value, what Prometheus sends) that
   * starts at p, and returns where the run ends. The same rules as `add`, with the state in locals
   * and no call per label (`add` is too large for V8 to inline); anything unusual stops the run and
   * goes through `add`. Values are checked for UTF-8 once over the whole run (checkAscii).
   */
  addRun(p: number, end: number): number {
    const buf = this.buf;
    const lab = this.lab;
    const tenant = this.tenant;
    const t0 = tenant[0]!;
    const start = p;
    let n = this.n;
    let sorted = this.sorted;
    let size = this.size;
    let before = this.beforeTenant;
    let prevS = n > 0 ? lab[(n - 1) * STRIDE]! : -1;
    let prevE = n > 0 ? lab[(n - 1) * STRIDE + 1]! : -1;
    while (p + 4 <= end && buf[p] === 0x0a) {
      const lEnd = p + 2 + buf[p + 1]!;
      const ns = p + 4;
      const nl = buf[p + 3]!;
      const ne = ns + nl;
      if (buf[p + 1]! >= 0x80 || buf[p + 2] !== 0x0a || nl >= 0x80 || ne + 2 > lEnd || lEnd > end) break;
      const vl = buf[ne + 1]!;
      if (buf[ne] !== 0x12 || vl >= 0x80 || ne + 2 + vl !== lEnd) break;
      if (nl === 0 || vl === 0 || n === MAX_LABELS) break; // `add` reports it
      const first = buf[ns]!;
      let ok = NAME_FIRST[first]!;
      for (let k = ns + 1; k < ne; k++) ok &= NAME_REST[buf[k]!]!;
      if (ok === 0) break;
      if (first === 0x5f && nl >= 2 && buf[ns + 1] === 0x5f) {
        if (compareBytes(buf, ns, ne, METRIC_NAME_LABEL, 0, METRIC_NAME_LABEL.length) !== 0) break;
        this.nameIdx = n;
      }
      const t = first !== t0 ? first - t0 : compareBytes(buf, ns, ne, tenant, 0, tenant.length);
      if (t === 0) this.tenantIdx = n;
      else {
        if (t < 0) before++;
        size += lEnd - p;
      }
      if (sorted && prevS >= 0) {
        const d = buf[prevS] !== first ? buf[prevS]! - first : compareBytes(buf, prevS, prevE, buf, ns, ne);
        if (d === 0) break;
        if (d > 0) sorted = false;
      }
      const o = n * STRIDE;
      lab[o] = prevS = ns;
      lab[o + 1] = prevE = ne;
      lab[o + 2] = ne + 2;
      lab[o + 3] = lEnd;
      lab[o + 4] = p;
      n++;
      p = lEnd;
    }
    this.n = n;
    this.sorted = sorted;
    this.size = size;
    this.beforeTenant = before;
    if (p > start) this.checkAscii(start, p);
    return p;
  }

  /** Series-level rules, then `order` holds the label indexes sorted by name (senders do send unsorted). */
  finish(): void {
    const n = this.n;
    if (n === 0) throw this.invalid('series has no labels');
    if (this.nameIdx < 0) throw this.invalid('missing __name__ label');
    if (this.sorted) return; // `order` is only filled (and read) for unsorted series
    const order = this.order;
    for (let i = 0; i < n; i++) order[i] = i;
    const lab = this.lab;
    const buf = this.buf;
    const cmp = (x: number, y: number): number =>
      compareBytes(buf, lab[x * STRIDE]!, lab[x * STRIDE + 1]!, buf, lab[y * STRIDE]!, lab[y * STRIDE + 1]!);
    if (n <= 24) {
      for (let i = 1; i < n; i++) {
        const x = order[i]!;
        let j = i - 1;
        for (; j >= 0 && cmp(order[j]!, x) > 0; j--) order[j + 1] = order[j]!;
        order[j + 1] = x;
      }
    } else {
      order.subarray(0, n).sort(cmp);
    }
    for (let k = 1; k < n; k++) {
      const x = order[k]!;
      if (cmp(order[k - 1]!, x) === 0)
        throw this.invalid(`duplicate label name ${this.quote(lab[x * STRIDE]!, lab[x * STRIDE + 1]!)}`);
    }
  }

  /** Encoded size of the labels leaving this series: the client's tenant label replaced by ours. */
  outputSize(tenantField: Buffer): number {
    return this.size + tenantField.length;
  }

  isMetric(name: Buffer): boolean {
    const o = this.nameIdx * STRIDE;
    return compareBytes(this.buf, this.lab[o + 2]!, this.lab[o + 3]!, name, 0, name.length) === 0;
  }

  /** The labels as they leave (sorted, tenant set): for kubecost_cluster_info only, so strings are fine. */
  toRecord(tenant: Tenant): Record<string, string> {
    const buf = this.buf;
    const pairs: [Buffer, string][] = [[tenant.name, tenant.value]];
    for (let i = 0; i < this.n; i++) {
      if (i === this.tenantIdx) continue;
      const o = i * STRIDE;
      pairs.push([
        buf.subarray(this.lab[o]!, this.lab[o + 1]!),
        buf.toString('utf8', this.lab[o + 2]!, this.lab[o + 3]!),
      ]);
    }
    pairs.sort(([a], [b]) => Buffer.compare(a, b));
    return Object.fromEntries(pairs.map(([name, value]) => [name.toString(), value]));
  }

  private quote(s: number, e: number): string {
    return JSON.stringify(truncate(this.buf.toString('utf8', s, e)));
  }

  /** `series 3 {__name__="up", job="x", ...}: <problem>` listing __name__ first and at most 5 labels. */
  invalid(problem: string, ns = -1, ne = -1, vs = -1, ve = -1): RemoteWriteError {
    const buf = this.buf;
    const parts: string[] = [];
    const show = (s: number, e: number, v0: number, v1: number): void => {
      const name = s < 0 ? '' : buf.toString('utf8', s, e);
      const shown = /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) ? name : JSON.stringify(truncate(name));
      const value = v0 < 0 ? '' : buf.toString('utf8', v0, v1);
      parts.push(`${shown}=${JSON.stringify(truncate(value))}`);
    };
    const lab = this.lab;
    const total = this.n + (ns >= 0 ? 1 : 0);
    if (this.nameIdx >= 0) {
      const o = this.nameIdx * STRIDE;
      show(lab[o]!, lab[o + 1]!, lab[o + 2]!, lab[o + 3]!);
    }
    for (let i = 0; i < this.n && parts.length < 5; i++) {
      if (i === this.nameIdx) continue;
      const o = i * STRIDE;
      show(lab[o]!, lab[o + 1]!, lab[o + 2]!, lab[o + 3]!);
    }
    if (ns >= 0 && parts.length < 5) show(ns, Math.max(ns, ne), vs, Math.max(vs, ve));
    const more = total > parts.length ? ', ...' : '';
    return new RemoteWriteError(400, `series ${this.series} {${parts.join(', ')}${more}}: ${problem}`);
  }
}

export function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}

/** One scratch for the process: rewriting is synchronous, so calls never interleave. */
export const labels = new LabelSet();
