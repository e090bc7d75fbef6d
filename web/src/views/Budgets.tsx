import { useQuery } from 'urql';
import { BudgetsDocument, type BudgetsQuery } from '../generated/graphql';
import type { Range } from '../dates';
import { longDay, money, moment, percent, shortDay } from '../format';
import { Empty, ErrorState, Loading } from '../components/States';

const STATUS: Record<string, { label: string; className: string }> = {
  OK: { label: 'On track', className: 'status-healthy' },
  AT_RISK: { label: 'At risk', className: 'status-stale' },
  EXCEEDED: { label: 'Exceeded', className: 'status-no_data' },
};

type BudgetRow = BudgetsQuery['budgets'][number];

/** Budgets with spent against forecast, their alerts, and the range's cost anomalies. */
export function Budgets({ range }: { range: Range }) {
  const [{ data, error }, refetch] = useQuery({ query: BudgetsDocument, variables: { range } });
  if (error && !data)
    return <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!data) return <Loading label="Loading budgets" rows={5} />;
  return (
    <section data-testid="budgets">
      <h1>Budgets and anomalies</h1>
      {data.budgets.length === 0 ? (
        <Empty title="No budgets yet">
          Create one with the <code>createBudget</code> mutation: an amount per month, quarter or year over
          any filter (a cluster, a provider, an account, a tag).
        </Empty>
      ) : (
        <div className="budget-list">
          {data.budgets.map((budget) => (
            <BudgetCard key={budget.id} budget={budget} />
          ))}
        </div>
      )}
      <article className="panel" data-testid="anomalies">
        <h2>Cost anomalies by service</h2>
        {data.costAnomalies.length === 0 ? (
          <Empty title="No anomalies in this range">
            No service cost departed from its usual pattern for that weekday by $10 or more.
          </Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Day</th>
                  <th>Service</th>
                  <th className="num wide">Expected</th>
                  <th className="num">Actual</th>
                  <th className="num">Impact</th>
                </tr>
              </thead>
              <tbody>
                {data.costAnomalies.map((a) => (
                  <tr key={`${a.key}|${a.date}`} data-testid="anomaly-row">
                    <td className="nowrap">{shortDay(a.date)}</td>
                    <td className="breakable">{a.name}</td>
                    <td className="num wide">{money(a.expected)}</td>
                    <td className="num">{money(a.actual)}</td>
                    <td
                      className={`num ${a.impact > 0 ? 'delta up' : 'delta down'}`}
                      data-testid="anomaly-impact"
                    >
                      {a.impact > 0 ? '+' : ''}
                      {money(a.impact)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </article>
    </section>
  );
}

function BudgetCard({ budget }: { budget: BudgetRow }) {
  const status = STATUS[budget.status] ?? { label: budget.status, className: '' };
  // The bar's scale: the larger of the amount and the forecast's high end, so nothing overflows.
  const scale = Math.max(budget.amount, budget.forecastHigh, budget.spent) || 1;
  const at = (value: number) => `${Math.min(100, (value / scale) * 100).toFixed(2)}%`;
  return (
    <article className="card budget" data-testid="budget" data-name={budget.name}>
      <h2>
        {budget.name} <span className={`badge ${status.className}`}>{status.label}</span>
      </h2>
      <p className="sub">
        {budget.period.toLowerCase()} · {longDay(budget.periodStart)} – {longDay(budget.periodEnd)}
      </p>
      <p className="figure">
        <span data-testid="budget-spent">{money(budget.spent)}</span>
        <span className="muted"> of {money(budget.amount)}</span>
      </p>
      <div
        className="bar"
        role="img"
        aria-label={`Spent ${percent(budget.spent / budget.amount)} of the budget; forecast ${percent(budget.forecast / budget.amount)}`}
      >
        <div
          className="bar-forecast"
          style={{
            left: at(budget.forecastLow),
            width: `calc(${at(budget.forecastHigh)} - ${at(budget.forecastLow)})`,
          }}
        />
        <div className={`bar-spent ${status.className}`} style={{ width: at(budget.spent) }} />
        <div
          className="bar-amount"
          style={{ left: at(budget.amount) }}
          title={`Budget ${money(budget.amount)}`}
        />
        <div
          className="bar-mark"
          style={{ left: at(budget.forecast) }}
          title={`Forecast ${money(budget.forecast)}`}
        />
      </div>
      <p className="sub">
        Forecast <strong data-testid="budget-forecast">{money(budget.forecast)}</strong> (
        {money(budget.forecastLow)} – {money(budget.forecastHigh)}) by {longDay(budget.periodEnd)}
      </p>
      <p className="sub">
        Alerts at{' '}
        {budget.thresholds
          .map((t) => `${t.percent}% ${t.basis === 'ACTUAL' ? 'spent' : 'forecast'}`)
          .join(', ')}
      </p>
      {budget.alerts.length ? (
        <ul className="alerts">
          {budget.alerts.slice(0, 3).map((alert) => (
            <li key={alert.id} data-testid="budget-alert">
              <small>{moment(alert.firedAt)}</small> {alert.text}
            </li>
          ))}
        </ul>
      ) : null}
    </article>
  );
}
