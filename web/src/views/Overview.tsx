import { useEffect, useMemo } from 'react';
import { useQuery } from 'urql';
import { OverviewDocument } from '../generated/graphql';
import { eachDay, type Range } from '../dates';
import { change, longDay, money, providerName } from '../format';
import { href, Link } from '../router';
import { StackedDailyChart, type ChartSeries } from '../components/Chart';
import { Empty, ErrorState, Loading } from '../components/States';

/** The range's total against the previous period, per provider, and a stacked daily chart. */
export function Overview({ range }: { range: Range }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: OverviewDocument, variables: { range } });
  const days = useMemo(() => eachDay(range), [range]);
  const series = useMemo<ChartSeries[]>(() => {
    if (!data) return [];
    return data.expenseBreakdown.totals.map((total) => {
      const byDay = new Map(
        data.expenseBreakdown.days.map((day) => [
          day.date,
          day.items.find((i) => i.key === total.key)?.cost ?? 0,
        ]),
      );
      return { name: providerName(total.key), values: days.map((d) => byDay.get(d) ?? 0) };
    });
  }, [data, days]);

  useEffect(() => {
    // The moment the figures are on screen, for the first-render measurement (bench:dashboard).
    if (data && !performance.getEntriesByName('overview-rendered').length)
      performance.mark('overview-rendered');
  }, [data]);

  if (error && !data)
    return <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!data) return <Loading label="Loading the overview" rows={4} />;
  const summary = data.costSummary;
  const delta = change(summary.total, summary.previousTotal);
  return (
    <section aria-busy={fetching} data-testid="overview">
      <h1>Overview</h1>
      <div className="cards">
        <article className="card total">
          <h2>Total spend</h2>
          <p className="figure" data-testid="overview-total">
            {money(summary.total)}
          </p>
          <p className="sub">
            {longDay(summary.range.start)} – {longDay(summary.range.end)}
          </p>
          <p className="sub">
            <span className={`delta ${delta.direction}`} data-testid="overview-change">
              {delta.text}
            </span>{' '}
            vs <span data-testid="overview-previous">{money(summary.previousTotal)}</span> in the previous{' '}
            {eachDay(summary.previousRange).length} days
          </p>
        </article>
        {summary.byProvider.map((p) => {
          const d = change(p.cost, p.previousCost);
          return (
            <article className="card" key={p.provider} data-testid={`provider-${p.provider}`}>
              <h2>
                <Link to={href('/expenses', { start: range.start, end: range.end, provider: p.provider })}>
                  {providerName(p.provider)}
                </Link>
              </h2>
              <p className="figure" data-testid="provider-cost">
                {money(p.cost)}
              </p>
              <p className="sub">
                <span className={`delta ${d.direction}`}>{d.text}</span> vs {money(p.previousCost)}
              </p>
            </article>
          );
        })}
      </div>
      <article className="panel">
        <h2>Daily spend by provider</h2>
        {summary.total === 0 && summary.byProvider.length === 0 ? (
          <Empty title="No costs in this range">
            Import a FOCUS bill or connect a cluster, or pick another range.
          </Empty>
        ) : (
          <StackedDailyChart days={days} series={series} label="Daily spend by provider, stacked" />
        )}
      </article>
    </section>
  );
}
