import { money, shortDay } from '../format';

/** A row's cost per day as a small line; its title names the highest day. */
export function Sparkline({ points }: { points: { date: string; cost: number }[] }) {
  const width = 96;
  const height = 24;
  if (points.length === 0) return null;
  const max = Math.max(...points.map((p) => p.cost), 0);
  const min = Math.min(...points.map((p) => p.cost), 0);
  const span = max - min || 1;
  const step = points.length > 1 ? width / (points.length - 1) : 0;
  const coordinates = points
    .map(
      (p, i) =>
        `${(i * step).toFixed(1)},${(height - 2 - ((p.cost - min) / span) * (height - 4)).toFixed(1)}`,
    )
    .join(' ');
  const peak = points.reduce(
    (best, p) => (p.cost > best.cost ? p : best),
    points[0] as { date: string; cost: number },
  );
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      data-testid="sparkline"
    >
      <title>{`Highest: ${money(peak.cost)} on ${shortDay(peak.date)}`}</title>
      <polyline points={coordinates} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}
