import type { RewrittenWriteRequest } from '../../domain/ports/remote-write-codec';
import { RemoteWriteError } from './errors';
import {
  CLUSTER_INFO_METRIC,
  LabelSet,
  STRIDE,
  type Tenant,
  isValidUtf8,
  labelFieldSize,
  labels,
  varintSize,
} from './labels';
import { Cursor, SCHEMA_CUSTOM_BUCKETS, Stats, walkHistogram, wrongWireType } from './wire';
import { Writer } from './writer';

// 2.0 -> 1.0: Request{repeated string symbols = 4; repeated TimeSeries timeseries = 5}.

/** Where each symbol's length varint sits (one int per symbol: its range is decoded on use). */
export class Symbols {
  /** Range of the symbol last looked up. */
  s = 0;
  e = 0;
  private readonly c: Cursor;
  constructor(
    readonly buf: Buffer,
    readonly offsets: Int32Array,
  ) {
    this.c = new Cursor(buf);
  }

  get count(): number {
    return this.offsets.length;
  }

  /** Looks symbol `ref` up (already bounds-checked by the caller) into s/e. */
  at(ref: number): void {
    const c = this.c;
    c.pos = this.offsets[ref]!;
    const n = c.varint(this.buf.length);
    this.s = c.pos;
    this.e = c.pos + n;
  }
}

/** The 1.0 MetricMetadata a 2.0 series carries: type as its varint bytes, help and unit as symbol refs. */
export interface PendingMetadata {
  /** The metric family: the series' __name__ value, as a range of the body. */
  nameS: number;
  nameE: number;
  typeS: number;
  typeE: number;
  help: number;
  unit: number;
}

export function rewriteV2(raw: Buffer, tenant: Tenant, maxOut: number): RewrittenWriteRequest {
  const end = raw.length;
  const c = new Cursor(raw);
  const st = new Stats();

  let nSymbols = 0;
  let nSeries = 0;
  while (c.pos < end) {
    const tag = c.tag(end);
    const field = tag >>> 3;
    if (field === 4 || field === 5) {
      if ((tag & 7) !== 2) throw wrongWireType('Request', tag);
      c.pos = c.len(end) + c.pos;
      if (field === 4) nSymbols++;
      else nSeries++;
    } else if (field <= 3) {
      // `reserved 1 to 3` in the 2.0 Request exists so a 1.0 body fails deterministically.
      throw new RemoteWriteError(
        400,
        `io.prometheus.write.v2.Request field ${field} is reserved: this looks like a Remote-Write 1.0 ` +
          'prometheus.WriteRequest; send it with Content-Type application/x-protobuf',
      );
    } else c.skip(tag & 7, end);
  }
  const symbolOffsets = new Int32Array(nSymbols);
  const seriesOffsets = new Int32Array(nSeries);
  nSymbols = 0;
  nSeries = 0;
  c.pos = 0;
  while (c.pos < end) {
    const tag = c.tag(end);
    if (tag === 0x22) symbolOffsets[nSymbols++] = c.pos;
    else if (tag === 0x2a) seriesOffsets[nSeries++] = c.pos;
    c.skip(tag & 7, end);
  }
  const symbols = new Symbols(raw, symbolOffsets);
  if (nSymbols > 0) {
    symbols.at(0);
    // 2.0 spec: "symbols array MUST start with empty string" (so ref 0 means "unset").
    if (symbols.e !== symbols.s)
      throw new RemoteWriteError(400, 'symbols[0] must be the empty string (Remote-Write 2.0)');
  }

  const w = new Writer(end * 2 + 1024, maxOut);
  // Keyed by where the metric name's symbol starts (no string per series); names are compared as
  // strings only below, in case a sender repeats a symbol.
  const families = new Map<number, PendingMetadata>();
  for (let i = 0; i < nSeries; i++) {
    c.pos = seriesOffsets[i]!;
    const n = c.varint(end);
    seriesV2(c, c.pos, c.pos + n, st, tenant, symbols, w, families);
  }
  // 2.0 carries metadata per series; 1.0 per metric family in WriteRequest.metadata (field 3).
  const emitted = new Set<string>();
  for (const m of families.values()) {
    const family = raw.toString('utf8', m.nameS, m.nameE);
    if (emitted.has(family)) continue;
    emitted.add(family);
    const fam = Buffer.from(family);
    symbols.at(m.help);
    const hs = symbols.s;
    const he = symbols.e;
    symbols.at(m.unit);
    const us = symbols.s;
    const ue = symbols.e; // refs were range-checked, and a series with metadata has symbols
    const typeSize = m.typeS >= 0 ? 1 + m.typeE - m.typeS : 0;
    const stringField = (len: number): number => (len > 0 ? 1 + varintSize(len) + len : 0);
    const size = typeSize + stringField(fam.length) + stringField(he - hs) + stringField(ue - us);
    w.ensure(1 + 5 + size);
    w.byte(0x1a);
    w.varint(size);
    if (typeSize > 0) {
      w.byte(0x08);
      w.copy(raw, m.typeS, m.typeE);
    }
    w.byte(0x12);
    w.varint(fam.length);
    w.copy(fam, 0, fam.length);
    if (he > hs) {
      w.byte(0x22);
      w.varint(he - hs);
      w.copy(raw, hs, he);
    }
    if (ue > us) {
      w.byte(0x2a);
      w.varint(ue - us);
      w.copy(raw, us, ue);
    }
    st.metadata++;
  }
  return st.result(w.buf.subarray(0, w.pos));
}

/** Per-series scratch for the sample / exemplar scans (last-wins field positions). */
export class Scan {
  valueS = -1;
  tsS = -1;
  tsE = -1;
  ts = 0;
}
export const scan = new Scan();

/**
 * TimeSeries{labels_refs = 1; samples = 2; histograms = 3; exemplars = 4; metadata = 5}. Two walks:
 * the first validates and sizes everything (1.0 needs the length before the bytes), the second
 * writes; nothing per sample is stored, so memory stays flat whatever the series holds.
 */
export function seriesV2(
  c: Cursor,
  sStart: number,
  sEnd: number,
  st: Stats,
  tenant: Tenant,
  symbols: Symbols,
  w: Writer,
  families: Map<number, PendingMetadata>,
): void {
  const raw = c.buf;
  const L = labels;
  const index = st.series;
  L.reset(raw, tenant.name, true, index);
  let pendingName = -1;
  let nRefs = 0;
  const ref = (r: number): void => {
    if (r >= symbols.count)
      throw L.invalid(`labels_refs[${nRefs}] = ${r} is out of range (${symbols.count} symbols)`);
    nRefs++;
    if (pendingName < 0) {
      pendingName = r;
      return;
    }
    symbols.at(pendingName);
    const ns = symbols.s;
    const ne = symbols.e;
    symbols.at(r);
    L.add(ns, ne, symbols.s, symbols.e, -1);
    pendingName = -1;
  };
  let size = 0;
  let meta: PendingMetadata | null = null;
  while (c.pos < sEnd) {
    const tag = c.tag(sEnd);
    switch (tag) {
      case 0x0a: {
        // Packed labels_refs; several occurrences concatenate (proto3 repeated semantics).
        const e = c.len(sEnd) + c.pos;
        while (c.pos < e) ref(c.varint(e));
        break;
      }
      case 0x08:
        ref(c.varint(sEnd));
        break;
      case 0x12: {
        const e = c.len(sEnd) + c.pos;
        scanSampleV2(c, e);
        const inner = sampleInnerSize();
        size += 1 + varintSize(inner) + inner;
        st.samples++;
        if (scan.ts > st.newest) st.newest = scan.ts;
        if (scan.ts < st.oldest) st.oldest = scan.ts;
        break;
      }
      case 0x1a: {
        const e = c.len(sEnd) + c.pos;
        const kept = walkHistogram(c, e, st, null);
        if (st.histSchema === SCHEMA_CUSTOM_BUCKETS || st.histCustomValues)
          throw L.invalid(
            'native histogram with custom buckets (schema -53 / custom_values) cannot be represented in Remote-Write 1.0',
          );
        size += 1 + varintSize(kept) + kept;
        st.histograms++;
        if (st.histTimestamp > st.newest) st.newest = st.histTimestamp;
        if (st.histTimestamp < st.oldest) st.oldest = st.histTimestamp;
        break;
      }
      case 0x22: {
        const e = c.len(sEnd) + c.pos;
        const inner = exemplarV2(c, e, symbols, L, null);
        size += 1 + varintSize(inner) + inner;
        st.exemplars++;
        break;
      }
      case 0x2a: {
        const e = c.len(sEnd) + c.pos;
        meta = metadataV2(c, e, symbols, L);
        break;
      }
      default: {
        const field = tag >>> 3;
        if (field >= 1 && field <= 5) throw wrongWireType('TimeSeries', tag);
        c.skip(tag & 7, sEnd); // 6 = deprecated created_timestamp, or unknown
      }
    }
  }
  if (pendingName >= 0) throw L.invalid(`labels_refs has an odd length (${nRefs})`);
  L.finish();

  const total = L.outputSize(tenant.field) + size;
  w.ensure(1 + 5 + total);
  w.byte(0x0a);
  w.varint(total);
  const lab = L.lab;
  // Labels in order with the tenant label where it sorts (the client's own tenant label is dropped).
  let placed = false;
  let written = 0;
  for (let k = 0; k < L.n; k++) {
    const i = L.sorted ? k : L.order[k]!;
    if (i === L.tenantIdx) continue;
    if (!placed && written === L.beforeTenant) {
      w.copy(tenant.field, 0, tenant.field.length);
      placed = true;
    }
    const b = i * STRIDE;
    w.label(raw, lab[b]!, lab[b + 1]!, raw, lab[b + 2]!, lab[b + 3]!);
    written++;
  }
  if (!placed) w.copy(tenant.field, 0, tenant.field.length);

  // Second walk: samples (1.0 TimeSeries field 2), exemplars (3), histograms (4), in input order.
  c.pos = sStart;
  while (c.pos < sEnd) {
    const tag = c.tag(sEnd);
    if (tag === 0x12) {
      const e = c.len(sEnd) + c.pos;
      scanSampleV2(c, e);
      w.byte(0x12);
      w.varint(sampleInnerSize());
      writeSampleFields(w, raw);
    } else if (tag === 0x1a) {
      const e = c.len(sEnd) + c.pos;
      const start = c.pos;
      const kept = walkHistogram(c, e, st, null);
      c.pos = start;
      w.byte(0x22);
      w.varint(kept);
      walkHistogram(c, e, st, w);
    } else if (tag === 0x22) {
      const e = c.len(sEnd) + c.pos;
      const start = c.pos;
      const inner = exemplarV2(c, e, symbols, L, null);
      c.pos = start;
      w.byte(0x1a);
      w.varint(inner);
      exemplarV2(c, e, symbols, L, w);
    } else c.skip(tag & 7, sEnd);
  }

  if (meta) {
    meta.nameS = L.lab[L.nameIdx * STRIDE + 2]!;
    meta.nameE = L.lab[L.nameIdx * STRIDE + 3]!;
    if (!families.has(meta.nameS)) families.set(meta.nameS, meta);
  }
  if (L.isMetric(CLUSTER_INFO_METRIC)) st.clusterInfo = L.toRecord(tenant);
  st.series++;
}

/** Sample{double value = 1; int64 timestamp = 2; int64 start_timestamp = 3}: 1.0 has no start_timestamp. */
export function scanSampleV2(c: Cursor, end: number): void {
  scan.valueS = -1;
  scan.tsS = -1;
  scan.tsE = -1;
  scan.ts = 0;
  while (c.pos < end) {
    const tag = c.tag(end);
    if (tag === 0x09) {
      scan.valueS = c.pos;
      c.fixed(8, end);
    } else if (tag === 0x10) {
      scan.tsS = c.pos;
      scan.ts = c.int64(end);
      scan.tsE = c.pos;
    } else if (tag === 0x18) c.varint(end);
    else if (tag >>> 3 >= 1 && tag >>> 3 <= 3) throw wrongWireType('Sample', tag);
    else c.skip(tag & 7, end);
  }
}

export function sampleInnerSize(): number {
  return (scan.valueS >= 0 ? 9 : 0) + (scan.tsS >= 0 ? 1 + scan.tsE - scan.tsS : 0);
}

/** Writes the last value (fixed64 bytes verbatim: NaN payloads such as the stale marker survive) and timestamp. */
export function writeSampleFields(w: Writer, raw: Buffer): void {
  if (scan.valueS >= 0) {
    w.byte(0x09);
    w.copy(raw, scan.valueS, scan.valueS + 8);
  }
  if (scan.tsS >= 0) {
    w.byte(0x10);
    w.copy(raw, scan.tsS, scan.tsE);
  }
}

/**
 * Exemplar{labels_refs = 1; value = 2; timestamp = 3} -> 1.0 Exemplar{labels = 1; value = 2;
 * timestamp = 3}: refs resolved into Label messages. Returns the 1.0 size; with `w`, writes it.
 */
export function exemplarV2(c: Cursor, end: number, symbols: Symbols, L: LabelSet, w: Writer | null): number {
  const raw = c.buf;
  let size = 0;
  let pending = -1;
  let valueS = -1;
  let tsS = -1;
  let tsE = -1;
  const ref = (r: number): void => {
    if (r >= symbols.count)
      throw L.invalid(`exemplar labels_refs: ${r} is out of range (${symbols.count} symbols)`);
    if (pending < 0) {
      pending = r;
      return;
    }
    symbols.at(pending);
    const ns = symbols.s;
    const ne = symbols.e;
    symbols.at(r);
    if (!w && !(isValidUtf8(raw, ns, ne) && isValidUtf8(raw, symbols.s, symbols.e)))
      throw L.invalid('exemplar label is not valid UTF-8');
    size += labelFieldSize(ne - ns, symbols.e - symbols.s);
    if (w) w.label(raw, ns, ne, raw, symbols.s, symbols.e);
    pending = -1;
  };
  while (c.pos < end) {
    const tag = c.tag(end);
    if (tag === 0x0a) {
      const e = c.len(end) + c.pos;
      while (c.pos < e) ref(c.varint(e));
    } else if (tag === 0x08) ref(c.varint(end));
    else if (tag === 0x11) {
      valueS = c.pos;
      c.fixed(8, end);
    } else if (tag === 0x18) {
      tsS = c.pos;
      c.varint(end);
      tsE = c.pos;
    } else if (tag >>> 3 >= 1 && tag >>> 3 <= 3) throw wrongWireType('Exemplar', tag);
    else c.skip(tag & 7, end);
  }
  if (pending >= 0) throw L.invalid('exemplar labels_refs has an odd length');
  if (valueS >= 0) {
    size += 9;
    if (w) {
      w.byte(0x11);
      w.copy(raw, valueS, valueS + 8);
    }
  }
  if (tsS >= 0) {
    size += 1 + tsE - tsS;
    if (w) {
      w.byte(0x18);
      w.copy(raw, tsS, tsE);
    }
  }
  return size;
}

/** Metadata{type = 1; help_ref = 3; unit_ref = 4}; null when it says nothing (all defaults). */
export function metadataV2(c: Cursor, end: number, symbols: Symbols, L: LabelSet): PendingMetadata | null {
  const m: PendingMetadata = { nameS: 0, nameE: 0, typeS: -1, typeE: -1, help: 0, unit: 0 };
  let type = 0;
  while (c.pos < end) {
    const tag = c.tag(end);
    if (tag === 0x08) {
      m.typeS = c.pos;
      type = c.varint(end);
      m.typeE = c.pos;
    } else if (tag === 0x18 || tag === 0x20) {
      const r = c.varint(end);
      if (r >= symbols.count)
        throw L.invalid(
          `metadata ${tag === 0x18 ? 'help_ref' : 'unit_ref'} = ${r} is out of range (${symbols.count} symbols)`,
        );
      if (tag === 0x18) m.help = r;
      else m.unit = r;
      symbols.at(r);
      if (!isValidUtf8(c.buf, symbols.s, symbols.e))
        throw L.invalid('metadata help or unit is not valid UTF-8');
    } else if (tag >>> 3 === 1 || tag >>> 3 === 3 || tag >>> 3 === 4) throw wrongWireType('Metadata', tag);
    else c.skip(tag & 7, end);
  }
  if (type === 0) m.typeS = m.typeE = -1;
  let empty = m.typeS < 0;
  if (empty && m.help !== 0) {
    symbols.at(m.help);
    empty = symbols.e === symbols.s;
  }
  if (empty && m.unit !== 0) {
    symbols.at(m.unit);
    empty = symbols.e === symbols.s;
  }
  return empty ? null : m;
}
