import { SumsByKey } from '../../src/import/sums-by-key';
import { chargeKey, splitChargeKey } from '../../src/import/charge-key';

describe('SumsByKey', () => {
  it('adds values per key, in arrival order, for keys past 2^32', () => {
    const sums = new SumsByKey(4);
    const big = 2 ** 52 + 7; // exact as a double, and far past the 32-bit halves the hash mixes
    sums.add(big, 0.1);
    sums.add(3, 2.5);
    sums.add(big, 0.2);
    sums.add(2 ** 32 + 3, 1); // same low 32 bits as key 3: a different key all the same
    expect(sums.size).toBe(3);
    expect(sums.get(big)).toBe(0.1 + 0.2); // 0.30000000000000004, as `a + b` gives it
    expect(sums.get(3)).toBe(2.5);
    expect(sums.get(2 ** 32 + 3)).toBe(1);
    expect(sums.get(4)).toBeUndefined();
  });

  it('keeps every sum when it grows far past its first capacity', () => {
    const sums = new SumsByKey(16);
    // Keys 0, 1024, 2048, ... (as charge keys of one period look) each get k and then 1.
    for (let k = 0; k < 100_000; k++) sums.add(k * 1024, k);
    for (let k = 0; k < 100_000; k++) sums.add(k * 1024, 1);
    expect(sums.size).toBe(100_000);
    let total = 0;
    let count = 0;
    sums.forEach((key, sum) => {
      expect(sum).toBe(key / 1024 + 1);
      total += sum;
      count++;
    });
    expect(count).toBe(100_000);
    expect(total).toBe((99_999 * 100_000) / 2 + 100_000); // 0 + 1 + ... + 99,999, plus 1 each
  });

  it('hands out its entries as two arrays and forgets them on clear', () => {
    const sums = new SumsByKey();
    sums.add(10, 1.5);
    sums.add(20, -0.5);
    sums.add(10, 1);
    const { keys, sums: values } = sums.toArrays();
    const pairs = [...keys]
      .map((key, i) => [key, values[i]])
      .sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(pairs).toEqual([
      [10, 2.5],
      [20, -0.5],
    ]);
    sums.clear();
    expect(sums.size).toBe(0);
    expect(sums.get(10)).toBeUndefined();
    sums.add(10, 4);
    expect(sums.get(10)).toBe(4);
  });
});

describe('charge keys', () => {
  it('round-trip resource, day, category and billing period at their limits', () => {
    for (const parts of [
      { resource: 0, day: 0, category: 0, period: 0 },
      { resource: 1999, day: 19_967, category: 4, period: 3 }, // 2024-09-01
      { resource: 2 ** 24 - 1, day: 2 ** 16 - 1, category: 7, period: 2 ** 10 - 1 },
    ]) {
      const key = chargeKey(parts.resource, parts.day, parts.category, parts.period);
      expect(Number.isSafeInteger(key)).toBe(true);
      expect(splitChargeKey(key)).toEqual(parts);
    }
  });
});
