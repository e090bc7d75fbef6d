/**
 * An integer setting of a benchmark from the environment (`BENCH_ROWS=10_000_000` reads as 10M);
 * the fallback when unset or blank. Anything else than an integer >= `min` stops the run.
 */
export function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name}=${raw}: expected an integer >= ${min}`);
  return value;
}
