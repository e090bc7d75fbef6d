interface Entry<V> {
  key: Buffer;
  value: V;
  next: Entry<V> | null;
}

const SEPARATOR = 0xff; // never a byte of UTF-8 text

/**
 * A map keyed by up to three byte spans of a buffer, looked up without decoding them to
 * strings: an import looks an account and a resource up for every row, and hashing the bytes
 * in place (FNV-1a over the lengths and the last bytes; every candidate is then compared in
 * full) costs less than making a string of an 80-byte ARN to hash it again.
 * Empty spans (start = end) are allowed; the spans are separated in the key, so ("ab", "c")
 * and ("a", "bc") differ.
 */
export class ByteKeyMap<V> {
  private readonly buckets = new Map<number, Entry<V>>();
  size = 0;

  get(buf: Buffer, s0: number, e0: number, s1 = 0, e1 = 0, s2 = 0, e2 = 0): V | undefined {
    let entry = this.buckets.get(hash(buf, s0, e0, s1, e1, s2, e2)) ?? null;
    while (entry !== null) {
      if (matches(entry.key, buf, s0, e0, s1, e1, s2, e2)) return entry.value;
      entry = entry.next;
    }
    return undefined;
  }

  set(buf: Buffer, s0: number, e0: number, s1: number, e1: number, s2: number, e2: number, value: V): void {
    const h = hash(buf, s0, e0, s1, e1, s2, e2);
    const key = Buffer.allocUnsafe(e0 - s0 + e1 - s1 + e2 - s2 + 2);
    let at = buf.copy(key, 0, s0, e0);
    key[at++] = SEPARATOR;
    at += buf.copy(key, at, s1, e1);
    key[at++] = SEPARATOR;
    buf.copy(key, at, s2, e2);
    this.buckets.set(h, { key, value, next: this.buckets.get(h) ?? null });
    this.size++;
  }
}

/** Bytes of each span that are hashed, from its end: ids (ARNs, paths) differ at their tails. */
const HASHED_TAIL = 24;

function hash(buf: Buffer, s0: number, e0: number, s1: number, e1: number, s2: number, e2: number): number {
  let h = Math.imul(0x811c9dc5 ^ (e0 - s0), 0x01000193);
  for (let i = Math.max(s0, e0 - HASHED_TAIL); i < e0; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
  h = Math.imul(h ^ (e1 - s1), 0x01000193);
  for (let i = Math.max(s1, e1 - HASHED_TAIL); i < e1; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
  h = Math.imul(h ^ (e2 - s2), 0x01000193);
  for (let i = Math.max(s2, e2 - HASHED_TAIL); i < e2; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
  // A small integer (31 bits), so the Map keys it without boxing a heap number per lookup.
  return h & 0x3fffffff;
}

function matches(
  key: Buffer,
  buf: Buffer,
  s0: number,
  e0: number,
  s1: number,
  e1: number,
  s2: number,
  e2: number,
): boolean {
  if (key.length !== e0 - s0 + e1 - s1 + e2 - s2 + 2) return false;
  let k = 0;
  for (let i = s0; i < e0; i++) if (key[k++] !== buf[i]) return false;
  if (key[k++] !== SEPARATOR) return false;
  for (let i = s1; i < e1; i++) if (key[k++] !== buf[i]) return false;
  if (key[k++] !== SEPARATOR) return false;
  for (let i = s2; i < e2; i++) if (key[k++] !== buf[i]) return false;
  return true;
}
