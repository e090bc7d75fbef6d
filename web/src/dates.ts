// Calendar days as ISO strings (YYYY-MM-DD), always UTC, as the API counts them.

export interface Range {
  start: string;
  end: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + n);
  return date.toISOString().slice(0, 10);
}

export function daysBetween(start: string, end: string): number {
  return Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000) + 1;
}

export function eachDay(range: Range): string[] {
  const count = daysBetween(range.start, range.end);
  return Array.from({ length: Math.max(0, count) }, (_, i) => addDays(range.start, i));
}

/** The last `days` days ending today (UTC): what every view opens on. */
export function lastDays(days: number, now = new Date()): Range {
  const end = todayUtc(now);
  return { start: addDays(end, -(days - 1)), end };
}

/** The range a URL names (`start`, `end`), or the last 30 days when it names none or a bad one. */
export function rangeFrom(params: URLSearchParams): Range {
  const start = params.get('start') ?? '';
  const end = params.get('end') ?? '';
  const valid = (day: string) => DAY.test(day) && !Number.isNaN(Date.parse(`${day}T00:00:00Z`));
  if (valid(start) && valid(end) && start <= end) return { start, end };
  return lastDays(30);
}
