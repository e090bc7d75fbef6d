import { useQuery } from 'urql';
import { ActivityDocument, type ActivityQuery } from '../generated/graphql';
import { integer, longDay, money, moment } from '../format';
import { Empty, ErrorState, Loading } from '../components/States';

const STATE_CLASS: Record<string, string> = {
  SUCCEEDED: 'ok',
  FAILED: 'bad',
  RUNNING: 'busy',
  QUEUED: 'wait',
  RETRYING: 'warn',
};

function State({ state }: { state: string }) {
  return (
    <span className={`badge state-${STATE_CLASS[state] ?? 'wait'}`} data-testid="state">
      {state.charAt(0) + state.slice(1).toLowerCase()}
    </span>
  );
}

/** Recent FOCUS imports and cost runs, with their state and what they wrote. */
export function Imports() {
  const [{ data, error }, refetch] = useQuery({ query: ActivityDocument });
  if (error && !data)
    return <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!data) return <Loading label="Loading imports and runs" rows={6} />;
  return (
    <section data-testid="imports">
      <h1>Imports and cost runs</h1>
      <article className="panel">
        <h2>FOCUS bill imports</h2>
        {data.focusImports.length === 0 ? (
          <Empty title="No imports in the last 90 days">
            Import a FOCUS export with <code>cloudtuner import-focus</code> or the <code>importFocus</code>{' '}
            mutation.
          </Empty>
        ) : (
          <ImportTable imports={data.focusImports} />
        )}
      </article>
      <article className="panel">
        <h2>Cluster cost runs</h2>
        {data.aggregationRuns.length === 0 ? (
          <Empty title="No cost runs in the last 7 days">
            Runs appear here when the scheduler or <code>aggregateK8sCosts</code> queues a cluster-day.
          </Empty>
        ) : (
          <RunTable runs={data.aggregationRuns} />
        )}
      </article>
    </section>
  );
}

function ImportTable({ imports }: { imports: ActivityQuery['focusImports'] }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th className="wide">Started</th>
            <th>File</th>
            <th>State</th>
            <th className="num wide">Rows</th>
            <th className="num wide">Refused</th>
            <th className="wide">Days</th>
            <th className="num">Cost</th>
          </tr>
        </thead>
        <tbody>
          {imports.map((i) => (
            <tr key={i.id} data-testid="import-row">
              <td className="wide">{moment(i.startedAt)}</td>
              <td className="file breakable">
                {i.files.join(', ')}
                {i.error ? <small className="error-text">{i.error}</small> : null}
              </td>
              <td>
                <State state={i.state} />
              </td>
              <td className="num wide">{integer(i.rowsImported)}</td>
              <td className="num wide">{integer(i.rowsRefused)}</td>
              <td className="wide">
                {i.firstDay && i.lastDay ? `${longDay(i.firstDay)} – ${longDay(i.lastDay)}` : '—'}
              </td>
              <td className="num" data-testid="import-cost">
                {money(i.totalCost)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RunTable({ runs }: { runs: ActivityQuery['aggregationRuns'] }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Cluster</th>
            <th>Day</th>
            <th>State</th>
            <th className="wide">Attempts</th>
            <th className="wide">Finished</th>
            <th className="num">Cost</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-testid="run-row">
              <td>{r.clusterName}</td>
              <td>
                {longDay(r.day)}
                {r.provisional ? <small> provisional</small> : null}
              </td>
              <td>
                <State state={r.state} />
                {r.state === 'RUNNING' ? <small> {r.progress}%</small> : null}
                {r.error ? <small className="error-text">{r.error}</small> : null}
              </td>
              <td className="wide">
                {r.attempts} of {r.maxAttempts}
              </td>
              <td className="wide">{r.finishedAt ? moment(r.finishedAt) : '—'}</td>
              <td className="num">
                {r.totalCost === null || r.totalCost === undefined ? '—' : money(r.totalCost)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
