import type { DayRange } from '../domain/model';
import { addDays, daysBetweenInclusive, parseDay } from '../domain/days';
import { badInput } from '../errors';

/** Longest range any query accepts, in days. */
export const MAX_RANGE_DAYS = 366;

/** Checks a range of whole UTC days; `argument` names it in the error (e.g. `range`). */
export function validateRange(range: DayRange, argument = 'range'): DayRange {
  if (!parseDay(range.start))
    throw badInput(`${argument}.start`, `${JSON.stringify(range.start)} is not a YYYY-MM-DD day`);
  if (!parseDay(range.end))
    throw badInput(`${argument}.end`, `${JSON.stringify(range.end)} is not a YYYY-MM-DD day`);
  if (range.end < range.start) throw badInput(`${argument}.end`, `must not be before start (${range.start})`);
  const days = daysBetweenInclusive(range.start, range.end);
  if (days > MAX_RANGE_DAYS) {
    throw badInput(argument, `spans ${days} days; at most ${MAX_RANGE_DAYS} are allowed`);
  }
  return range;
}

/** The same-length period that ends the day before `range` starts. */
export function previousRange(range: DayRange): DayRange {
  const days = daysBetweenInclusive(range.start, range.end);
  return { start: addDays(range.start, -days), end: addDays(range.start, -1) };
}
