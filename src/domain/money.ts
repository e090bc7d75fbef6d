// ClickHouse sums money as Decimal128(10) and hands it over as decimal text; adding those in
// JavaScript floats would bring back the error the decimals removed (0.1 + 0.2), so totals made
// in the service are added as integer units of 1e-10 dollars.
const SCALE = 10;

/** Decimal text (`-12.5`, `3.0000000001`) to integer units of 1e-10. */
export function toUnits(text: string): bigint {
  const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`not a decimal amount: ${JSON.stringify(text)}`);
  const [, minus, whole, fraction = ''] = match;
  const units =
    BigInt(whole as string) * 10n ** BigInt(SCALE) + BigInt((fraction + '0'.repeat(SCALE)).slice(0, SCALE));
  return minus ? -units : units;
}

/** Integer units back to the nearest double (via decimal text, so rounding is correct). */
export function unitsToNumber(units: bigint): number {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const scale = 10n ** BigInt(SCALE);
  const text = `${abs / scale}.${(abs % scale).toString().padStart(SCALE, '0')}`;
  return negative ? -Number(text) : Number(text);
}

/** Exact sum of decimal texts, as a number. */
export function sumDecimals(values: Iterable<string>): number {
  let total = 0n;
  for (const value of values) total += toUnits(value);
  return unitsToNumber(total);
}
