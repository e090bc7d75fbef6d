const DAY_MS = 86_400_000;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses `YYYY-MM-DD` as a UTC midnight; null when it is not a real calendar day. */
export function parseDay(text: string): Date | null {
  const match = ISO_DAY.exec(text);
  if (!match) return null;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? date : null;
}

/** `YYYY-MM-DD` of the UTC day a moment falls in. */
export function formatDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The day `n` days after (negative: before) an ISO day. */
export function addDays(day: string, n: number): string {
  return formatDay(new Date((parseDay(day) as Date).getTime() + n * DAY_MS));
}

/** Number of days from start to end inclusive. */
export function daysBetweenInclusive(start: string, end: string): number {
  return Math.round(((parseDay(end) as Date).getTime() - (parseDay(start) as Date).getTime()) / DAY_MS) + 1;
}

/** Every ISO day from start to end inclusive. */
export function eachDay(start: string, end: string): string[] {
  const count = daysBetweenInclusive(start, end);
  return Array.from({ length: Math.max(0, count) }, (_, i) => addDays(start, i));
}

/** ClickHouse `DateTime64(3)` text for a moment (the input format every engine accepts). */
export function toClickHouseTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/** Parses ClickHouse DateTime output (`YYYY-MM-DD hh:mm:ss[.fff]`, UTC) into a Date. */
export function fromClickHouseTime(text: string): Date {
  return new Date(`${text.replace(' ', 'T')}Z`);
}
