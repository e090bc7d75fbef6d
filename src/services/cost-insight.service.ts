import type { ExpenseReader } from '../domain/ports';
import type { BreakdownDimension, DayRange, ExpenseFilter } from '../domain/model';
import { addDays, eachDay, formatDay } from '../domain/days';
import { fitForecast, type FittedForecast, type ForecastPoint } from '../domain/forecast';
import { DEFAULT_ANOMALY_OPTIONS, findAnomalies } from '../domain/anomaly';
import { badInput } from '../errors';
import { validateRange } from './ranges';
import { displayName, validateFilter, validateTagKey } from './expense.service';

/** Days of history a forecast is fitted on: thirteen whole weeks. */
export const FORECAST_HISTORY_DAYS = 91;
/** Days before a range the anomaly detection looks back at: eight weeks of the same weekday. */
const ANOMALY_LOOKBACK_DAYS = 7 * DEFAULT_ANOMALY_OPTIONS.weeks;

export interface CostAnomaly {
  date: string;
  key: string;
  name: string;
  expected: number;
  actual: number;
  impact: number;
  score: number;
}

/** Forecasts and anomalies over the daily costs of the unified model (cloud and clusters alike). */
export class CostInsightService {
  constructor(
    private readonly reader: ExpenseReader,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Cost per day of `range` forecast from the FORECAST_HISTORY_DAYS whole days before it (or
   * before today, for a range that starts later): past days of the range are forecast as if
   * they had not happened, which is how a forecast is checked against what did.
   */
  async forecast(
    organizationId: string,
    range: DayRange,
    filter: ExpenseFilter = {},
  ): Promise<ForecastPoint[]> {
    validateRange(range);
    const model = await this.fit(organizationId, range.start, validateFilter(filter));
    return model.days(eachDay(range.start, range.end));
  }

  /** The model fitted on the whole days before `from` (and before today). */
  async fit(organizationId: string, from: string, filter: ExpenseFilter): Promise<FittedForecast> {
    const yesterday = addDays(formatDay(this.now()), -1);
    const historyEnd = [addDays(from, -1), yesterday].sort()[0] as string;
    const historyStart = addDays(historyEnd, -(FORECAST_HISTORY_DAYS - 1));
    const totals = await this.dailyTotals(organizationId, { start: historyStart, end: historyEnd }, filter);
    // A new account's history starts with its first cost, not with 91 days of zeros.
    const first = totals.findIndex((v) => v !== 0);
    if (first < 0) return fitForecast(historyStart, []);
    return fitForecast(addDays(historyStart, first), totals.slice(first));
  }

  /** Total cost of each day of the range under the filter (0 on days without any). */
  async dailyTotals(organizationId: string, range: DayRange, filter: ExpenseFilter): Promise<number[]> {
    const cells = await this.reader.breakdown(
      organizationId,
      range.start,
      range.end,
      'PROVIDER',
      undefined,
      filter,
    );
    const byDay = new Map<string, number>();
    for (const cell of cells) byDay.set(cell.date, (byDay.get(cell.date) ?? 0) + Number(cell.cost));
    return eachDay(range.start, range.end).map((day) => byDay.get(day) ?? 0);
  }

  /**
   * The whole days of `range` (today is not over: it is left out) whose cost, per value of `by`,
   * departs from that value's recent pattern (see domain/anomaly.ts), largest dollar impact first.
   */
  async anomalies(
    organizationId: string,
    input: {
      range: DayRange;
      by: BreakdownDimension;
      tagKey?: string | null;
      filter?: ExpenseFilter;
      minImpact?: number | null;
    },
  ): Promise<CostAnomaly[]> {
    const range = validateRange(input.range);
    const filter = validateFilter(input.filter ?? {});
    const tagKey = validateTagKey(input.by, input.tagKey);
    const minImpact = input.minImpact ?? DEFAULT_ANOMALY_OPTIONS.minImpact;
    if (!Number.isFinite(minImpact) || minImpact < 0)
      throw badInput('minImpact', 'must be 0 or more dollars');
    // Only whole days are judged: today has not ended (every cost of it would look like a drop).
    const end = [range.end, addDays(formatDay(this.now()), -1)].sort()[0] as string;
    if (end < range.start) return [];
    const from = addDays(range.start, -ANOMALY_LOOKBACK_DAYS);
    const days = eachDay(from, end);
    const index = new Map(days.map((d, i) => [d, i]));
    const cells = await this.reader.breakdown(organizationId, from, end, input.by, tagKey, filter);
    const series = new Map<string, { name: string; values: number[] }>();
    for (const cell of cells) {
      const entry = series.get(cell.key) ?? {
        name: cell.name,
        values: new Array<number>(days.length).fill(0),
      };
      entry.values[index.get(cell.date) as number] = Number(cell.cost);
      if (cell.date >= range.start) entry.name = cell.name;
      series.set(cell.key, entry);
    }
    const found: CostAnomaly[] = [];
    for (const [key, { name, values }] of series) {
      for (const day of findAnomalies(values, ANOMALY_LOOKBACK_DAYS, {
        ...DEFAULT_ANOMALY_OPTIONS,
        minImpact,
      })) {
        found.push({
          date: days[day.index] as string,
          key,
          name: displayName(name),
          expected: round(day.expected),
          actual: round(day.actual),
          impact: round(day.impact),
          score: Math.round(day.score * 100) / 100,
        });
      }
    }
    return found.sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact) || a.date.localeCompare(b.date));
  }
}

const round = (value: number) => Math.round(value * 1e6) / 1e6;
