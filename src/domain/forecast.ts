import { addDays, daysBetweenInclusive } from './days';

/**
 * Daily cost forecasts: a linear trend plus day-of-week effects, fitted by ordinary least squares
 * on the daily history, with prediction intervals. This is the regression with "trend and
 * seasonal dummy variables" of Hyndman & Athanasopoulos, Forecasting: Principles and Practice
 * (3rd ed., 2021), section 7.4, and its intervals are those of section 7.9 (matrix formulation):
 * yhat ± z · sigma · sqrt(1 + x*' (X'X)^-1 x*), sigma² = RSS / (n - k). A sum over several days
 * (a budget period) gets the interval of the sum: sigma² · (h + s' (X'X)^-1 s), s the sum of the
 * days' regressors (errors independent from day to day, parameter error shared).
 */

/** One forecast day: the expected cost and its ~95% prediction interval. */
export interface ForecastPoint {
  date: string;
  cost: number;
  low: number;
  high: number;
}

export interface FittedForecast {
  /** Forecast of each given day. */
  days(dates: readonly string[]): ForecastPoint[];
  /** Forecast of the sum over the given days, with the interval of the sum. */
  sum(dates: readonly string[]): { cost: number; low: number; high: number };
}

/** z of a two-sided 95% normal interval. */
const Z95 = 1.959964;
/** Fewer days than this, and the weekday pattern is not estimable: the mean is used instead. */
export const MIN_HISTORY_DAYS = 14;

const weekday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay();

/**
 * Fits the model to `history` (one cost per consecutive day, oldest first, starting on
 * `firstDay`). With fewer than MIN_HISTORY_DAYS days it falls back to the mean and the spread of
 * what there is (no trend, no weekdays); with no history at all every forecast is 0.
 */
export function fitForecast(firstDay: string, history: readonly number[]): FittedForecast {
  const n = history.length;
  const nonNegative = history.every((v) => v >= 0);
  const floor = (v: number) => (nonNegative ? Math.max(0, v) : v);
  const features = (day: string): number[] => {
    const t = daysBetweenInclusive(firstDay, day) - 1;
    const dow = weekday(day);
    // Intercept, trend, and one dummy per weekday but Sunday (the baseline).
    return [1, t, ...[1, 2, 3, 4, 5, 6].map((d) => (dow === d ? 1 : 0))];
  };

  if (n < MIN_HISTORY_DAYS) {
    const mean = n ? history.reduce((a, b) => a + b, 0) / n : 0;
    const sd = n > 1 ? Math.sqrt(history.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
    return {
      days: (dates) =>
        dates.map((date) => ({
          date,
          cost: floor(mean),
          low: floor(mean - Z95 * sd),
          high: floor(mean + Z95 * sd),
        })),
      sum: (dates) => {
        const h = dates.length;
        return {
          cost: floor(mean * h),
          low: floor(mean * h - Z95 * sd * Math.sqrt(h)),
          high: floor(mean * h + Z95 * sd * Math.sqrt(h)),
        };
      },
    };
  }

  const X = history.map((_, i) => features(addDays(firstDay, i)));
  const k = (X[0] as number[]).length;
  const xtx = Array.from({ length: k }, (_, a) =>
    Array.from({ length: k }, (_, b) => X.reduce((s, row) => s + (row[a] as number) * (row[b] as number), 0)),
  );
  const xty = Array.from({ length: k }, (_, a) =>
    X.reduce((s, row, i) => s + (row[a] as number) * (history[i] as number), 0),
  );
  const inverse = invert(xtx);
  const beta = inverse.map((row) => row.reduce((s, v, b) => s + v * (xty[b] as number), 0));
  const predict = (x: readonly number[]) => x.reduce((s, v, a) => s + v * (beta[a] as number), 0);
  const rss = X.reduce((s, row, i) => s + ((history[i] as number) - predict(row)) ** 2, 0);
  const sigma = Math.sqrt(rss / Math.max(1, n - k));
  const quadratic = (x: readonly number[]) =>
    x.reduce((s, xa, a) => s + xa * x.reduce((t, xb, b) => t + (inverse[a]?.[b] as number) * xb, 0), 0);

  return {
    days: (dates) =>
      dates.map((date) => {
        const x = features(date);
        const yhat = predict(x);
        const half = Z95 * sigma * Math.sqrt(1 + quadratic(x));
        return { date, cost: floor(yhat), low: floor(yhat - half), high: floor(yhat + half) };
      }),
    sum: (dates) => {
      if (dates.length === 0) return { cost: 0, low: 0, high: 0 };
      const s = new Array<number>(k).fill(0);
      for (const date of dates) features(date).forEach((v, a) => (s[a] = (s[a] as number) + v));
      const total = predict(s);
      const half = Z95 * sigma * Math.sqrt(dates.length + quadratic(s));
      return { cost: floor(total), low: floor(total - half), high: floor(total + half) };
    },
  };
}

/** The naive baseline the model is measured against: the mean of the last 30 days, every day. */
export function baselineForecast(history: readonly number[], window = 30): number {
  const recent = history.slice(-window);
  return recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : 0;
}

/** Gauss-Jordan inverse with partial pivoting; a singular matrix gets a tiny ridge. */
function invert(matrix: readonly (readonly number[])[]): number[][] {
  const k = matrix.length;
  const a = matrix.map((row, i) => [...row, ...Array.from({ length: k }, (_, j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++) {
      if (Math.abs(a[r]?.[col] as number) > Math.abs(a[pivot]?.[col] as number)) pivot = r;
    }
    [a[col], a[pivot]] = [a[pivot] as number[], a[col] as number[]];
    const row = a[col] as number[];
    if (Math.abs(row[col] as number) < 1e-12) row[col] = 1e-12;
    const p = row[col] as number;
    for (let c = 0; c < 2 * k; c++) row[c] = (row[c] as number) / p;
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const other = a[r] as number[];
      const factor = other[col] as number;
      if (factor === 0) continue;
      for (let c = 0; c < 2 * k; c++) other[c] = (other[c] as number) - factor * (row[c] as number);
    }
  }
  return a.map((row) => row.slice(k));
}
