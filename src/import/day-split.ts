export const DAY_MS = 86_400_000;

/**
 * Spreads `cost` over the UTC days of the charge period [startMs, endMs) (start inclusive, end
 * exclusive) in proportion to the time in each day: 12 h on one day and 24 h on the next take
 * 1/3 and 2/3. The last day gets what is left, so the pieces add up to `cost` exactly. A period
 * of zero length (a one-off charge stamped with one instant) goes whole to the day it falls in.
 * `day` is days since 1970-01-01.
 */
export function splitByUtcDay(
  startMs: number,
  endMs: number,
  cost: number,
  add: (day: number, cost: number) => void,
): void {
  const firstDay = Math.floor(startMs / DAY_MS);
  const lastDay = Math.floor((endMs - 1) / DAY_MS);
  if (endMs <= startMs || lastDay === firstDay) {
    add(firstDay, cost);
    return;
  }
  const span = endMs - startMs;
  let given = 0;
  for (let day = firstDay; day < lastDay; day++) {
    const from = Math.max(startMs, day * DAY_MS);
    const until = (day + 1) * DAY_MS;
    const piece = (cost * (until - from)) / span;
    given += piece;
    add(day, piece);
  }
  add(lastDay, cost - given);
}

/** `YYYY-MM-DD` of a day number (days since 1970-01-01). */
export function dayToIso(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}
