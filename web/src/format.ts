// How numbers and moments read for people: dollars and cents, short axis labels, "3 h ago".

const USD = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const USD_COMPACT = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  notation: 'compact',
  maximumFractionDigits: 1,
});
const INTEGER = new Intl.NumberFormat('en-US');
const PERCENT = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

/** `$20,894.05`; `-$3.10` for a credit. */
export function money(value: number): string {
  // -0.001 rounds to "-$0.00", which reads as a credit that is not there.
  return USD.format(Math.abs(value) < 0.005 ? 0 : value);
}

/** `$1.2K`, for chart axes. */
export function compactMoney(value: number): string {
  return USD_COMPACT.format(value);
}

export function integer(value: number): string {
  return INTEGER.format(value);
}

/** `45.2%`; `—` when there is nothing to divide by. */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : PERCENT.format(value);
}

/** The change from `previous` to `current`: `+12.5%`, `-3%`, or `new` when there was nothing before. */
export function change(
  current: number,
  previous: number,
): { text: string; direction: 'up' | 'down' | 'flat' } {
  if (Math.abs(previous) < 0.005) {
    return Math.abs(current) < 0.005 ? { text: '0%', direction: 'flat' } : { text: 'new', direction: 'up' };
  }
  const ratio = (current - previous) / Math.abs(previous);
  if (Math.abs(ratio) < 0.0005) return { text: '0%', direction: 'flat' };
  return { text: `${ratio > 0 ? '+' : ''}${PERCENT.format(ratio)}`, direction: ratio > 0 ? 'up' : 'down' };
}

/** `Mar 10` (UTC), for chart axes and compact cells. */
export function shortDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  return date.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** `Mar 10, 2024` (UTC). */
export function longDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  return date.toLocaleDateString('en-US', {
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** `Mar 10, 14:05 UTC`. */
export function moment(iso: string): string {
  const date = new Date(iso);
  return `${date.toLocaleString('en-US', {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: 'UTC',
  })} UTC`;
}

/** `just now`, `12 min ago`, `3 h ago`, `2 days ago`. */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  const days = Math.floor(seconds / 86400);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

/** Provider names as people write them. */
export const PROVIDER_NAMES: Record<string, string> = {
  AWS: 'AWS',
  AZURE: 'Azure',
  GCP: 'Google Cloud',
  KUBERNETES: 'Kubernetes',
  OTHER: 'Other',
};

export function providerName(key: string): string {
  return PROVIDER_NAMES[key] ?? key;
}
