import type { RewrittenWriteRequest } from '../../domain/ports/remote-write-codec';
import { RemoteWriteError } from './errors';
import { isValidUtf8 } from './labels';
import { Writer } from './writer';

// Protobuf reading: every length is bounded by the enclosing message, so truncated or hostile input
// ends in a 400 and never in a hang, an out-of-range read or an allocation larger than the input.

export function malformed(what: string): RemoteWriteError {
  return new RemoteWriteError(400, `malformed protobuf: ${what}`);
}

export const TWO_63 = 2 ** 63;
export const TWO_64 = 2 ** 64;

/** A read position over one buffer; `end` bounds are passed per call (the enclosing message). */
export class Cursor {
  pos = 0;
  /** Where the message starts in `buf` (1.0 works on a copy placed after the output area). */
  base = 0;
  constructor(readonly buf: Buffer) {}

  /** Offset within the request body, for error messages. */
  at(p: number): number {
    return p - this.base;
  }

  /** Unsigned varint of up to 10 bytes (the protobuf limit); exact below 2^53. */
  varint(end: number): number {
    const buf = this.buf;
    let p = this.pos;
    if (p >= end) throw malformed(`truncated varint at byte ${this.at(p)}`);
    let b = buf[p++]!;
    if (b < 0x80) {
      this.pos = p;
      return b;
    }
    let v = b & 0x7f;
    let mul = 128;
    for (let i = 1; i < 10; i++) {
      if (p >= end) throw malformed(`truncated varint at byte ${this.at(p)}`);
      b = buf[p++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.pos = p;
        return v;
      }
      mul *= 128;
    }
    throw malformed(`varint longer than 10 bytes at byte ${this.at(p)}`);
  }

  /** int64 varint as a number (two's complement for negatives; exact within ±2^53, i.e. any real ms timestamp). */
  int64(end: number): number {
    const buf = this.buf;
    let p = this.pos;
    // Timestamps are 6-byte varints: 32-bit halves with integer ops, as protobufjs' LongBits does.
    // Reading up to 10 bytes is safe whenever the buffer has them; `end` is checked afterwards.
    if (buf.length - p < 10) {
      const v = this.varint(end);
      return v >= TWO_63 ? v - TWO_64 : v;
    }
    let b = buf[p++]!;
    let lo = b & 0x7f;
    let hi = 0;
    if (b >= 0x80) {
      b = buf[p++]!;
      lo |= (b & 0x7f) << 7;
      if (b >= 0x80) {
        b = buf[p++]!;
        lo |= (b & 0x7f) << 14;
        if (b >= 0x80) {
          b = buf[p++]!;
          lo |= (b & 0x7f) << 21;
          if (b >= 0x80) {
            b = buf[p++]!;
            lo |= (b & 0x0f) << 28;
            hi = (b & 0x7f) >> 4;
            for (let shift = 3; b >= 0x80; shift += 7) {
              if (shift > 31) throw malformed(`varint longer than 10 bytes at byte ${this.at(p)}`);
              b = buf[p++]!;
              hi |= (b & 0x7f) << shift;
            }
          }
        }
      }
    }
    if (p > end) throw malformed(`truncated varint at byte ${this.at(end)}`);
    this.pos = p;
    return hi < 0 ? -((~hi >>> 0) * 0x100000000 + (~lo >>> 0) + 1) : hi * 0x100000000 + (lo >>> 0);
  }

  /** A field tag; field number 0 and numbers above 2^29-1 are invalid (protobuf encoding spec). */
  tag(end: number): number {
    const t = this.varint(end);
    if (t < 8 || t > 0xffffffff) throw malformed(`invalid field tag ${t} at byte ${this.at(this.pos)}`);
    return t;
  }

  /** A length prefix, which must fit in what is left of the enclosing message. */
  len(end: number): number {
    const n = this.varint(end);
    if (n > end - this.pos) throw malformed(`length ${n} at byte ${this.at(this.pos)} overruns its message`);
    return n;
  }

  /** Advances over a fixed-size payload. */
  fixed(size: number, end: number): void {
    if (end - this.pos < size) throw malformed(`truncated fixed${size * 8} at byte ${this.at(this.pos)}`);
    this.pos += size;
  }

  /** Skips one field's payload of wire type `wt` (proto3: unknown fields are ignored, not errors). */
  skip(wt: number, end: number): void {
    switch (wt) {
      case 0:
        this.varint(end);
        return;
      case 1:
        this.fixed(8, end);
        return;
      case 2:
        this.pos = this.len(end) + this.pos;
        return;
      case 5:
        this.fixed(4, end);
        return;
      default:
        // 3/4 are proto2 groups, which no Remote-Write message uses; 6/7 do not exist.
        throw malformed(`unsupported wire type ${wt} before byte ${this.at(this.pos)}`);
    }
  }
}

/** The error for a known field that arrived with another wire type than its .proto declares. */
export function wrongWireType(message: string, tag: number): RemoteWriteError {
  return malformed(`${message} field ${tag >>> 3} has wire type ${tag & 7}`);
}

/** Validates a packed `repeated` varint payload (every varint ends inside the field). */
export function checkPackedVarints(c: Cursor, end: number): void {
  while (c.pos < end) c.varint(end);
}

/** Validates a `repeated double` field, packed (wire type 2, length a multiple of 8) or not (wire type 1). */
export function checkDoubles(c: Cursor, tag: number, end: number, message: string): boolean {
  if ((tag & 7) === 1) {
    c.fixed(8, end);
    return true;
  }
  if ((tag & 7) !== 2) throw wrongWireType(message, tag);
  const n = c.len(end);
  if (n % 8 !== 0) throw malformed(`${message} field ${tag >>> 3}: packed doubles of ${n} bytes`);
  c.pos += n;
  return n > 0;
}

/** Validates a `repeated` varint field (sint64 deltas, uint32 refs), packed or not. */
export function checkVarints(c: Cursor, tag: number, end: number, message: string): void {
  if ((tag & 7) === 0) {
    c.varint(end);
    return;
  }
  if ((tag & 7) !== 2) throw wrongWireType(message, tag);
  const n = c.len(end);
  checkPackedVarints(c, c.pos + n);
}

/** BucketSpan{sint32 offset = 1; uint32 length = 2} (identical in 1.0 and 2.0). */
export function checkBucketSpan(c: Cursor, end: number): void {
  while (c.pos < end) {
    const tag = c.tag(end);
    if (tag === 0x08 || tag === 0x10) c.varint(end);
    else if (tag >>> 3 === 1 || tag >>> 3 === 2) throw wrongWireType('BucketSpan', tag);
    else c.skip(tag & 7, end);
  }
}

/** A proto3 `string` payload, which must be UTF-8 (strict decoders, protobufjs 8 and Go's, refuse it otherwise). */
export function checkString(c: Cursor, end: number, what: string): void {
  const n = c.len(end);
  if (!isValidUtf8(c.buf, c.pos, c.pos + n)) throw new RemoteWriteError(400, `${what} is not valid UTF-8`);
  c.pos += n;
}

/** Label{string name = 1; string value = 2} of an exemplar: forwarded as sent, so only well-formedness. */
export function checkLabelMessage(c: Cursor, end: number): void {
  while (c.pos < end) {
    const tag = c.tag(end);
    if (tag === 0x0a || tag === 0x12) checkString(c, end, 'exemplar label');
    else if (tag >>> 3 === 1 || tag >>> 3 === 2) throw wrongWireType('Label', tag);
    else c.skip(tag & 7, end);
  }
}

/** MetricMetadata{type = 1; metric_family_name = 2; help = 4; unit = 5} (1.0, prompb/types.proto). */
export function checkMetadataV1(c: Cursor, end: number): void {
  while (c.pos < end) {
    const tag = c.tag(end);
    const field = tag >>> 3;
    if (tag === 0x08) c.varint(end);
    else if (tag === 0x12 || tag === 0x22 || tag === 0x2a) checkString(c, end, 'metadata text');
    else if (field === 1 || field === 2 || field === 4 || field === 5)
      throw wrongWireType('MetricMetadata', tag);
    else c.skip(tag & 7, end);
  }
}

/** Exemplar{repeated Label labels = 1; double value = 2; int64 timestamp = 3} (1.0). */
export function checkExemplarV1(c: Cursor, end: number): void {
  while (c.pos < end) {
    const tag = c.tag(end);
    if (tag === 0x0a) {
      const n = c.len(end);
      checkLabelMessage(c, c.pos + n);
    } else if (tag === 0x11) c.fixed(8, end);
    else if (tag === 0x18) c.varint(end);
    else if (tag >>> 3 >= 1 && tag >>> 3 <= 3) throw wrongWireType('Exemplar', tag);
    else c.skip(tag & 7, end);
  }
}

/** Native histogram schema for custom buckets (NHCB), which Remote-Write 1.0 cannot carry. */
export const SCHEMA_CUSTOM_BUCKETS = -53;

/** Per-request bookkeeping shared by both versions. */
export class Stats {
  series = 0;
  samples = 0;
  histograms = 0;
  exemplars = 0;
  metadata = 0;
  newest = -Infinity;
  oldest = Infinity;
  clusterInfo: Record<string, string> | null = null;

  /** Fields of the histogram scanned last (proto3: a scalar field sent twice keeps its last value). */
  histTimestamp = 0;
  histSchema = 0;
  histCustomValues = false;

  result(body: Buffer): RewrittenWriteRequest {
    return {
      body,
      series: this.series,
      samples: this.samples,
      histograms: this.histograms,
      exemplars: this.exemplars,
      metadata: this.metadata,
      newestTimestampMs: this.newest === -Infinity ? null : this.newest,
      oldestTimestampMs: this.oldest === Infinity ? null : this.oldest,
      clusterInfo: this.clusterInfo,
    };
  }
}

/**
 * Walks a Histogram (fields 1..16 are the same in 1.0 prompb/types.proto and 2.0; 2.0 adds
 * start_timestamp = 17). Validates wire types and packed lengths, records timestamp (15), schema (4)
 * and whether custom_values (16) is set; returns the size of fields 1..15, which is what a 2.0
 * histogram keeps in 1.0. With `out`, copies those fields there instead.
 */
export function walkHistogram(c: Cursor, end: number, st: Stats, out: Writer | null): number {
  const buf = c.buf;
  let kept = 0;
  let timestamp = 0;
  let schema = 0;
  let custom = false;
  while (c.pos < end) {
    const start = c.pos;
    const tag = c.tag(end);
    const field = tag >>> 3;
    const wt = tag & 7;
    switch (field) {
      case 1: // count_int
      case 6: // zero_count_int
      case 14: // reset_hint
        if (wt !== 0) throw wrongWireType('Histogram', tag);
        c.varint(end);
        break;
      case 4: // sint32 schema (zigzag)
        if (wt !== 0) throw wrongWireType('Histogram', tag);
        {
          const z = c.varint(end) % 0x100000000;
          schema = z % 2 === 1 ? -(z + 1) / 2 : z / 2;
        }
        break;
      case 15: // int64 timestamp (ms)
        if (wt !== 0) throw wrongWireType('Histogram', tag);
        timestamp = c.int64(end);
        break;
      case 2: // count_float
      case 3: // sum
      case 5: // zero_threshold
      case 7: // zero_count_float
        if (wt !== 1) throw wrongWireType('Histogram', tag);
        c.fixed(8, end);
        break;
      case 8: // negative_spans
      case 11: // positive_spans
        if (wt !== 2) throw wrongWireType('Histogram', tag);
        {
          const n = c.len(end);
          checkBucketSpan(c, c.pos + n);
        }
        break;
      case 9: // negative_deltas (sint64)
      case 12: // positive_deltas
        checkVarints(c, tag, end, 'Histogram');
        break;
      case 10: // negative_counts
      case 13: // positive_counts
        checkDoubles(c, tag, end, 'Histogram');
        break;
      case 16: // custom_values
        if (checkDoubles(c, tag, end, 'Histogram')) custom = true;
        break;
      default: // 17 = 2.0 start_timestamp, or unknown: dropped from the 1.0 output
        c.skip(wt, end);
        continue;
    }
    if (field <= 15) {
      kept += c.pos - start;
      if (out) out.copy(buf, start, c.pos);
    }
  }
  st.histTimestamp = timestamp;
  st.histSchema = schema;
  st.histCustomValues = custom;
  return kept;
}
