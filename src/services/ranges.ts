import type { DayRange } from '../domain/model';
import { addDays, daysBetweenInclusive, parseDay } from '../domain/days';
import { badInput } from '../errors';

/** Longest range any query accepts, in days. */
export const MAX_RANGE_DAYS = 366;

/**
 * The days a range may cover. ClickHouse DateTime holds 1970-01-01 .. 2106-02-07, and reads also
 * look at the previous period of the same length (up to a year before `start`) and at the day
 * after `end`: bounds inside that, so no date outside it ever reaches a statement.
 */
export const FIRST_DAY = '1971-01-01';
export const LAST_DAY = '2099-12-31';

/** Checks a range of whole UTC days; `argument` names it in the error (e.g. `range`). */
export function validateRange(range: DayRange, argument = 'range'): DayRange {
  if (!parseDay(range.start))
    throw badInput(`${argument}.start`, `${JSON.stringify(range.start)} is not a YYYY-MM-DD day`);
  if (!parseDay(range.end))
    throw badInput(`${argument}.end`, `${JSON.stringify(range.end)} is not a YYYY-MM-DD day`);
  if (range.end < range.start) throw badInput(`${argument}.end`, `must not be before start (${range.start})`);
  if (range.start < FIRST_DAY) throw badInput(`${argument}.start`, `must be ${FIRST_DAY} or later`);
  if (range.end > LAST_DAY) throw badInput(`${argument}.end`, `must be ${LAST_DAY} or earlier`);
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
