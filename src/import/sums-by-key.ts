const EMPTY = -1;
const TWO_32 = 2 ** 32;

/**
 * Running sums keyed by non-negative integers below 2^53, in typed arrays (open addressing,
 * linear probing, at most half full). The import adds every row's cost here: a
 * `Map<number, number>` boxes a key above 2^30 into a new heap number on every lookup, which
 * made the update and the garbage it left one of the import's larger per-row costs. Sums add
 * up in the order values arrive, exactly as `a + b + ...` would.
 */
export class SumsByKey {
  private keys: Float64Array;
  private sums: Float64Array;
  private mask: number;
  /** Distinct keys held. */
  size = 0;

  constructor(capacity = 1 << 16) {
    const slots = 2 ** Math.ceil(Math.log2(Math.max(16, capacity * 2)));
    this.keys = new Float64Array(slots).fill(EMPTY);
    this.sums = new Float64Array(slots);
    this.mask = slots - 1;
  }

  add(key: number, value: number): void {
    const keys = this.keys;
    const mask = this.mask;
    let i = slotOf(key) & mask;
    for (;;) {
      const k = keys[i] as number;
      if (k === key) {
        this.sums[i] = (this.sums[i] as number) + value;
        return;
      }
      if (k === EMPTY) {
        keys[i] = key;
        this.sums[i] = value;
        if (++this.size * 2 > keys.length) this.grow();
        return;
      }
      i = (i + 1) & mask;
    }
  }

  /** The sum for `key`, or undefined when nothing was added under it. */
  get(key: number): number | undefined {
    let i = slotOf(key) & this.mask;
    for (;;) {
      const k = this.keys[i] as number;
      if (k === key) return this.sums[i];
      if (k === EMPTY) return undefined;
      i = (i + 1) & this.mask;
    }
  }

  /** Every (key, sum), in no particular order. */
  forEach(visit: (key: number, sum: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as number;
      if (k !== EMPTY) visit(k, this.sums[i] as number);
    }
  }

  /** Every (key, sum) as two arrays of `size` entries, in no particular order. */
  toArrays(): { keys: Float64Array; sums: Float64Array } {
    const keys = new Float64Array(this.size);
    const sums = new Float64Array(this.size);
    let n = 0;
    this.forEach((key, sum) => {
      keys[n] = key;
      sums[n++] = sum;
    });
    return { keys, sums };
  }

  clear(): void {
    this.keys.fill(EMPTY);
    this.size = 0;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldSums = this.sums;
    this.keys = new Float64Array(oldKeys.length * 2).fill(EMPTY);
    this.sums = new Float64Array(oldKeys.length * 2);
    this.mask = this.keys.length - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i] as number;
      if (k === EMPTY) continue;
      let j = slotOf(k) & this.mask;
      while (this.keys[j] !== EMPTY) j = (j + 1) & this.mask;
      this.keys[j] = k;
      this.sums[j] = oldSums[i] as number;
      this.size++;
    }
  }
}

/** Mixes both 32-bit halves of the key (murmur3's finalizer), so nearby keys spread out. */
function slotOf(key: number): number {
  const high = Math.floor(key / TWO_32);
  let h = (key >>> 0) ^ Math.imul(high, 0x27d4eb2d);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
