/**
 * Cost anomalies: a day whose cost departs from the recent pattern of its key. Robust by
 * construction, so one bad day does not hide the next: the expected cost of a day is the median
 * of the same weekday over the trailing `weeks` weeks, and the spread is the scaled median
 * absolute deviation (MAD · 1.4826, which estimates the standard deviation of normal data) of
 * those same days. The score is the modified z-score of Iglewicz & Hoaglin (How to Detect and
 * Handle Outliers, 1993): (actual - expected) / spread, an outlier beyond 3.5. A day is reported
 * only when its dollar impact is at least `minImpact` too, so pennies page no one.
 */

export interface AnomalyOptions {
  /** Same-weekday days looked back at (default 8: eight weeks). */
  weeks: number;
  /** Fewest same-weekday days with a cost needed to judge a day (default 4). */
  minWeeks: number;
  /** |score| at least this (default 3.5). */
  threshold: number;
  /** |actual - expected| at least this many dollars (default 10). */
  minImpact: number;
}

export const DEFAULT_ANOMALY_OPTIONS: AnomalyOptions = {
  weeks: 8,
  minWeeks: 4,
  threshold: 3.5,
  minImpact: 10,
};

export interface AnomalyDay {
  /** Index of the day in the series. */
  index: number;
  expected: number;
  actual: number;
  /** actual - expected, in dollars (negative for a drop). */
  impact: number;
  score: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The anomalous days among `series[from..]` (one cost per consecutive day; the days before `from`
 * are history only). A key that did not exist for `minWeeks` same weekdays is not judged yet.
 */
export function findAnomalies(
  series: readonly number[],
  from: number,
  options: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS,
): AnomalyDay[] {
  const found: AnomalyDay[] = [];
  for (let i = Math.max(from, 0); i < series.length; i++) {
    const past: number[] = [];
    for (let w = 1; w <= options.weeks && i - 7 * w >= 0; w++) past.push(series[i - 7 * w] as number);
    if (past.length < options.minWeeks) continue;
    const expected = median(past);
    const mad = median(past.map((v) => Math.abs(v - expected)));
    // A perfectly steady series has no spread: a cent's change would score infinity. A floor of
    // 1% of the expected cost (and a cent) keeps the score meaningful; minImpact does the rest.
    const spread = Math.max(1.4826 * mad, 0.01 * Math.abs(expected), 0.01);
    const actual = series[i] as number;
    const impact = actual - expected;
    const score = impact / spread;
    if (Math.abs(score) >= options.threshold && Math.abs(impact) >= options.minImpact) {
      found.push({ index: i, expected, actual, impact, score });
    }
  }
  return found;
}
