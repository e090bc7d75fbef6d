import { RemoteWriteError } from './errors';
import { varintSize } from './labels';

// Writing.

/** Copies [s, e) of src to dst at o; a JS loop beats Buffer#copy's call overhead below ~64 bytes. */
export function copyRange(src: Buffer, s: number, e: number, dst: Buffer, o: number): number {
  if (src === dst) return move(dst, o, s, e);
  if (e - s < 64) {
    for (let i = s; i < e; i++) dst[o++] = src[i]!;
    return o;
  }
  return o + src.copy(dst, o, s, e);
}

export function writeVarint(dst: Buffer, o: number, v: number): number {
  while (v >= 0x80) {
    dst[o++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  dst[o++] = v;
  return o;
}

/** Writes a TimeSeries.labels field: 0x0a, length, Label{0x0a name, 0x12 value}. */
export function writeLabel(
  dst: Buffer,
  o: number,
  nb: Buffer,
  ns: number,
  ne: number,
  vb: Buffer,
  vs: number,
  ve: number,
): number {
  const nl = ne - ns;
  const vl = ve - vs;
  dst[o++] = 0x0a;
  o = writeVarint(dst, o, 2 + varintSize(nl) + nl + varintSize(vl) + vl);
  dst[o++] = 0x0a;
  o = writeVarint(dst, o, nl);
  o = copyRange(nb, ns, ne, dst, o);
  dst[o++] = 0x12;
  o = writeVarint(dst, o, vl);
  return copyRange(vb, vs, ve, dst, o);
}

/** A growable output for 2.0, whose 1.0 size is not bounded by the input size. */
export class Writer {
  buf: Buffer;
  pos = 0;
  constructor(
    capacity: number,
    readonly max: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(256, Math.min(capacity, max + 16)));
  }

  ensure(n: number): void {
    const need = this.pos + n;
    if (need > this.max)
      throw new RemoteWriteError(
        413,
        `request re-encoded as Remote-Write 1.0 would exceed ${this.max} bytes: send smaller batches`,
      );
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.min(Math.max(need, this.buf.length * 2), this.max + 16));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  varint(v: number): void {
    this.pos = writeVarint(this.buf, this.pos, v);
  }

  copy(src: Buffer, s: number, e: number): void {
    this.pos = copyRange(src, s, e, this.buf, this.pos);
  }

  label(nb: Buffer, ns: number, ne: number, vb: Buffer, vs: number, ve: number): void {
    this.pos = writeLabel(this.buf, this.pos, nb, ns, ne, vb, vs, ve);
  }
}

/** Moves [s, e) of buf to o (o <= s); short ranges go byte by byte, cheaper than the builtin call. */
export function move(buf: Buffer, o: number, s: number, e: number): number {
  if (e - s < 16) {
    for (let i = s; i < e; i++) buf[o++] = buf[i]!;
    return o;
  }
  buf.copyWithin(o, s, e);
  return o + e - s;
}
