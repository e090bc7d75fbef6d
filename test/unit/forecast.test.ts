import { baselineForecast, fitForecast } from '../../src/domain/forecast';
import { findAnomalies } from '../../src/domain/anomaly';
import { addDays, eachDay } from '../../src/domain/days';
import { buildDemoData } from '../../src/demo/demo-data';

// 2024-01-07 is a Sunday. The synthetic series: 100 + 2 a day, and a weekly pattern by weekday.
const FIRST = '2024-01-07';
const WEEK = [-30, 10, 12, 15, 10, 5, -25]; // Sunday .. Saturday
const truth = (i: number) => 100 + 2 * i + (WEEK[i % 7] as number);
// Deterministic noise in [-1, 1].
const noise = (i: number) =>
  Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453) - 0.5;

describe('fitForecast (trend + day-of-week, OLS)', () => {
  it('recovers a noise-free trend and weekly pattern exactly, with a zero-width interval', () => {
    const history = Array.from({ length: 84 }, (_, i) => truth(i));
    const model = fitForecast(FIRST, history);
    const future = eachDay(addDays(FIRST, 84), addDays(FIRST, 97));
    const points = model.days(future);
    points.forEach((p, h) => {
      expect(p.cost).toBeCloseTo(truth(84 + h), 6);
      expect(p.high - p.low).toBeLessThan(1e-6);
    });
    // Day 84 is a Sunday: 100 + 168 - 30 = 238; day 85 a Monday: 100 + 170 + 10 = 280.
    expect(points[0]).toMatchObject({ date: '2024-03-31', cost: expect.closeTo(238, 6) });
    expect(points[1]?.cost).toBeCloseTo(280, 6);
    expect(model.sum(future).cost).toBeCloseTo(
      future.reduce((s, _, h) => s + truth(84 + h), 0),
      6,
    );
  });

  it('with noise: every forecast within 2 of the truth, inside its interval, and the interval of a sum narrower than the sum of the intervals', () => {
    const history = Array.from({ length: 84 }, (_, i) => truth(i) + noise(i));
    const model = fitForecast(FIRST, history);
    const future = eachDay(addDays(FIRST, 84), addDays(FIRST, 111));
    const points = model.days(future);
    points.forEach((p, h) => {
      expect(Math.abs(p.cost - truth(84 + h))).toBeLessThan(2);
      expect(p.low).toBeLessThan(truth(84 + h));
      expect(p.high).toBeGreaterThan(truth(84 + h));
      // Noise of at most 1 (sd ~0.58): the 95% interval is a few dollars wide, not tens.
      expect(p.high - p.low).toBeLessThan(4);
    });
    const sum = model.sum(future);
    expect(sum.high - sum.low).toBeLessThan(points.reduce((s, p) => s + (p.high - p.low), 0));
  });

  it('its 95% intervals hold ~95% of outcomes: 400 noisy series, the days and the 28-day sums', () => {
    let dayMisses = 0;
    let sumMisses = 0;
    const future = eachDay(addDays(FIRST, 84), addDays(FIRST, 111));
    for (let seed = 1; seed <= 400; seed++) {
      const draw = (i: number) => noise(i + seed * 1000);
      const model = fitForecast(
        FIRST,
        Array.from({ length: 84 }, (_, i) => truth(i) + draw(i)),
      );
      const outcome = future.map((_, h) => truth(84 + h) + draw(84 + h));
      model.days(future).forEach((p, h) => {
        if ((outcome[h] as number) < p.low || (outcome[h] as number) > p.high) dayMisses++;
      });
      const sum = model.sum(future);
      const total = outcome.reduce((a, b) => a + b, 0);
      if (total < sum.low || total > sum.high) sumMisses++;
    }
    // Uniform noise is not normal, so the days' intervals are a little conservative.
    expect(dayMisses / (400 * 28)).toBeGreaterThan(0.005);
    expect(dayMisses / (400 * 28)).toBeLessThan(0.08);
    expect(sumMisses / 400).toBeGreaterThan(0.02);
    expect(sumMisses / 400).toBeLessThan(0.09);
  });

  it('beats the naive baseline (mean of the last 30 days) on a trending weekly series', () => {
    const history = Array.from({ length: 84 }, (_, i) => truth(i) + noise(i));
    const model = fitForecast(FIRST, history).days(eachDay(addDays(FIRST, 84), addDays(FIRST, 111)));
    const baseline = baselineForecast(history);
    const mae = (f: (h: number) => number) =>
      model.reduce((s, _, h) => s + Math.abs(f(h) - truth(84 + h)), 0) / model.length;
    const modelError = mae((h) => model[h]?.cost as number);
    const baselineError = mae(() => baseline);
    expect(modelError).toBeLessThan(1);
    expect(baselineError).toBeGreaterThan(40);
  });

  it('falls back to the mean of a short history, and forecasts 0 from none', () => {
    const model = fitForecast(FIRST, [10, 12, 14]);
    expect(model.days(['2024-01-10'])[0]).toMatchObject({ cost: 12 });
    expect(model.sum(['2024-01-10', '2024-01-11']).cost).toBe(24);
    expect(fitForecast(FIRST, []).days(['2024-01-10'])[0]).toEqual({
      date: '2024-01-10',
      cost: 0,
      low: 0,
      high: 0,
    });
  });

  it('never forecasts a negative cost from a history without credits', () => {
    const falling = Array.from({ length: 28 }, (_, i) => Math.max(0, 50 - 2 * i));
    for (const p of fitForecast(FIRST, falling).days(eachDay(addDays(FIRST, 28), addDays(FIRST, 40)))) {
      expect(p.cost).toBeGreaterThanOrEqual(0);
      expect(p.low).toBeGreaterThanOrEqual(0);
    }
  });

  it('beats the baseline on the demo data: each account, 62 days of history, the next 28 days', () => {
    const data = buildDemoData({ lastDay: '2025-06-30', now: new Date('2025-07-01T06:00:00Z') });
    const days = eachDay('2025-04-02', '2025-06-30');
    let modelError = 0;
    let baselineError = 0;
    for (const account of data.accounts) {
      const byDay = new Map<string, number>();
      for (const e of data.expenses.filter((x) => x.cloudAccountId === account.id)) {
        byDay.set(e.date, (byDay.get(e.date) ?? 0) + e.cost);
      }
      const series = days.map((d) => byDay.get(d) ?? 0);
      const history = series.slice(0, 62);
      const actual = series.slice(62);
      const forecast = fitForecast(days[0] as string, history).days(days.slice(62));
      const baseline = baselineForecast(history);
      actual.forEach((a, h) => {
        modelError += Math.abs((forecast[h]?.cost as number) - a);
        baselineError += Math.abs(baseline - a);
      });
    }
    expect(modelError).toBeLessThan(baselineError);
  });
});

describe('findAnomalies (same-weekday median, MAD)', () => {
  // Twelve weeks of a weekday/weekend pattern with a little wobble.
  const steady = Array.from({ length: 84 }, (_, i) => (i % 7 === 0 || i % 7 === 6 ? 40 : 100) + (i % 3));

  it('finds a spike: the day, the expected cost (same weekday median) and the dollar impact', () => {
    const series = [...steady];
    series[75] = 400; // a Friday (75 % 7 = 5)
    const found = findAnomalies(series, 56);
    expect(found).toHaveLength(1);
    // Fridays of the 8 weeks before: 100 + (i % 3) for i = 68, 61, ..., 19 -> values 102,101,100,...
    const fridays = [68, 61, 54, 47, 40, 33, 26, 19].map((i) => 100 + (i % 3)).sort((a, b) => a - b);
    const expected = ((fridays[3] as number) + (fridays[4] as number)) / 2;
    expect(found[0]).toMatchObject({ index: 75, expected, actual: 400, impact: 400 - expected });
    expect(found[0]?.score).toBeGreaterThan(3.5);
  });

  it('weekends are the pattern, not anomalies; a steady series has none', () => {
    expect(findAnomalies(steady, 56)).toEqual([]);
  });

  it('reports a drop with a negative impact, and ignores a departure under minImpact', () => {
    const series = [...steady];
    series[71] = 5; // Monday, ~100 expected
    series[72] = 108; // +7: far in MAD terms, but under the $10 minimum
    const found = findAnomalies(series, 56);
    expect(found.map((a) => a.index)).toEqual([71]);
    expect(found[0]?.impact).toBeLessThan(-90);
  });

  it('does not judge a day with fewer than four same weekdays behind it', () => {
    const young = [
      100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100,
      900,
    ];
    expect(findAnomalies(young, 0)).toEqual([]);
  });
});
