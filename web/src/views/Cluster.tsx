import { useMemo } from 'react';
import { useQuery } from 'urql';
import {
  ClusterAllocationDocument,
  ClusterDocument,
  type CostsFragment,
  type K8sAllocationDimension,
  type K8sAllocationFilter,
  type K8sClusterStatus,
} from '../generated/graphql';
import { eachDay, type Range } from '../dates';
import { ago, money, moment, percent } from '../format';
import { href, Link, withParams } from '../router';
import { PALETTE, StackedDailyChart, type ChartSeries } from '../components/Chart';
import { Empty, ErrorState, Loading } from '../components/States';

/** The parts of a cluster's cost that add up to its total, in the order they are drawn. */
const COMPONENTS: { key: keyof CostsFragment; label: string }[] = [
  { key: 'cpu', label: 'CPU' },
  { key: 'ram', label: 'RAM' },
  { key: 'gpu', label: 'GPU' },
  { key: 'nodeUnsplit', label: 'Nodes (unsplit)' },
  { key: 'storage', label: 'Storage' },
  { key: 'network', label: 'Network' },
  { key: 'loadBalancer', label: 'Load balancers' },
  { key: 'management', label: 'Management' },
];

const STATUS_TEXT: Record<K8sClusterStatus, string> = {
  HEALTHY: 'Healthy',
  STALE: 'Stale',
  NO_DATA: 'No data',
};

export function StatusBadge({ status }: { status: K8sClusterStatus }) {
  return (
    <span className={`badge status-${status.toLowerCase()}`} data-testid="cluster-status">
      {STATUS_TEXT[status]}
    </span>
  );
}

/** One cluster: freshness, its breakdown per day, estimate against the bill, and its workloads. */
export function Cluster({ id, range, params }: { id: string; range: Range; params: URLSearchParams }) {
  const [{ data, error }, refetch] = useQuery({ query: ClusterDocument, variables: { id, range } });
  const days = useMemo(() => eachDay(range), [range]);
  const series = useMemo<ChartSeries[]>(() => {
    const daily = data?.k8sCluster?.dailyCosts ?? [];
    const byDay = new Map(daily.map((d) => [d.date, d.costs]));
    const parts = COMPONENTS.filter(({ key }) => daily.some((d) => (d.costs[key] ?? 0) !== 0)).map(
      ({ key, label }, i) => ({
        name: label,
        values: days.map((day) => Number(byDay.get(day)?.[key] ?? 0)),
        color: PALETTE[i % PALETTE.length],
      }),
    );
    // Idle is a part of cpu + ram + gpu: a line over the bars, not another layer.
    const idle = {
      name: 'of which idle',
      line: true,
      color: '#555',
      values: days.map((day) => byDay.get(day)?.idle ?? 0),
    };
    return parts.length ? [...parts, idle] : [];
  }, [data, days]);

  if (error && !data)
    return <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!data) return <Loading label="Loading the cluster" rows={5} />;
  const cluster = data.k8sCluster;
  if (!cluster)
    return (
      <Empty title="No such cluster">
        Your organization has no cluster with this id.{' '}
        <Link to={href('/clusters', { start: range.start, end: range.end })}>See all clusters</Link>
      </Empty>
    );
  const costs = cluster.costs;
  const recon = cluster.reconciliation;
  return (
    <section data-testid="cluster">
      <p className="crumbs">
        <Link to={href('/clusters', { start: range.start, end: range.end })}>Clusters</Link> ›
      </p>
      <h1>
        {cluster.name} <StatusBadge status={cluster.status} />
      </h1>
      <p className="sub" data-testid="cluster-freshness">
        {[
          cluster.provider,
          cluster.region,
          cluster.version && `Kubernetes ${cluster.version}`,
          cluster.owner && `owned by ${cluster.owner}`,
        ]
          .filter(Boolean)
          .join(' · ')}
        {' · '}
        {cluster.lastDataAt ? (
          <span title={moment(cluster.lastDataAt)}>last data {ago(cluster.lastDataAt)}</span>
        ) : (
          'no data received yet'
        )}
      </p>
      <div className="cards">
        <article className="card total">
          <h2>Total</h2>
          <p className="figure" data-testid="cluster-total">
            {money(costs.total)}
          </p>
          <p className="sub">
            idle {money(costs.idle)} ({percent(costs.total ? costs.idle / costs.total : null)})
          </p>
        </article>
        {COMPONENTS.map(({ key, label }) => {
          const value = costs[key];
          if (key === 'nodeUnsplit' && !value) return null;
          return (
            <article className="card small" key={key} data-testid={`component-${key}`}>
              <h2>{label}</h2>
              <p className="figure">{value === null ? 'unknown' : money(Number(value))}</p>
            </article>
          );
        })}
      </div>
      <article className="panel">
        <h2>Daily cost by resource</h2>
        {series.length ? (
          <StackedDailyChart days={days} series={series} label="Daily cluster cost by resource, stacked" />
        ) : (
          <Empty title="No cost computed in this range">
            The daily cost runs have not written any day of this range yet.
          </Empty>
        )}
      </article>
      <article className="panel" data-testid="reconciliation">
        <h2>Estimate and bill</h2>
        <dl className="facts">
          <div>
            <dt>Metric estimate</dt>
            <dd data-testid="recon-estimated">{money(recon.estimated)}</dd>
          </div>
          <div>
            <dt>Billed (matched nodes and volumes)</dt>
            <dd data-testid="recon-billed">{money(recon.billed)}</dd>
          </div>
          <div>
            <dt>Not on a bill</dt>
            <dd>{money(recon.unbilled)}</dd>
          </div>
          <div>
            <dt>Reconciled cost</dt>
            <dd data-testid="recon-reconciled">{money(recon.reconciled)}</dd>
          </div>
          <div>
            <dt>Bill minus estimate</dt>
            <dd>{money(recon.difference)}</dd>
          </div>
        </dl>
      </article>
      <Allocation clusterId={cluster.id} range={range} params={params} />
    </section>
  );
}

/** Where the drill-down stands: all namespaces, one namespace's controllers, one controller's pods. */
function level(params: URLSearchParams): {
  by: K8sAllocationDimension;
  filter?: K8sAllocationFilter;
  ns?: string;
  controller?: string;
} {
  const ns = params.get('ns') ?? undefined;
  const controller = params.get('controller') ?? undefined;
  if (ns && controller)
    return { by: 'POD', filter: { namespaces: [ns], controllers: [controller] }, ns, controller };
  if (ns) return { by: 'CONTROLLER', filter: { namespaces: [ns] }, ns };
  return { by: 'NAMESPACE' };
}

const BUCKETS = new Set(['__idle__', '__unmounted__', '__overhead__', '__unallocated__']);

function Allocation({
  clusterId,
  range,
  params,
}: {
  clusterId: string;
  range: Range;
  params: URLSearchParams;
}) {
  const where = level(params);
  const [{ data, error }, refetch] = useQuery({
    query: ClusterAllocationDocument,
    variables: { id: clusterId, range, by: where.by, filter: where.filter },
  });
  const report = data?.k8sCluster?.allocation;
  const next = (key: string) =>
    where.by === 'NAMESPACE'
      ? withParams({ ns: key, controller: null })
      : where.by === 'CONTROLLER'
        ? withParams({ controller: key })
        : null;
  const title = where.by === 'NAMESPACE' ? 'Namespace' : where.by === 'CONTROLLER' ? 'Controller' : 'Pod';
  return (
    <article className="panel" data-testid="allocation">
      <h2>Workloads</h2>
      <p className="crumbs" data-testid="drill-crumbs">
        {where.ns ? (
          <Link to={withParams({ ns: null, controller: null })}>All namespaces</Link>
        ) : (
          <strong>All namespaces</strong>
        )}
        {where.ns ? (
          <>
            {' › '}
            {where.controller ? (
              <Link to={withParams({ controller: null })}>{where.ns}</Link>
            ) : (
              <strong>{where.ns}</strong>
            )}
          </>
        ) : null}
        {where.controller ? (
          <>
            {' › '}
            <strong>{where.controller.split('/').slice(1).join('/')}</strong>
          </>
        ) : null}
      </p>
      {error && !data ? (
        <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      ) : !report ? (
        <Loading label="Loading workloads" rows={5} />
      ) : report.items.length === 0 ? (
        <Empty title="No workloads in this range">No allocation was computed for these days.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="allocation">
            <thead>
              <tr>
                <th>{title}</th>
                <th className="num">CPU</th>
                <th className="num wide">RAM</th>
                <th className="num wide">GPU</th>
                <th className="num wide">Storage</th>
                <th className="num wide">Network</th>
                <th className="num wide">LB</th>
                <th className="num wide">CPU eff.</th>
                <th className="num">Total</th>
              </tr>
            </thead>
            <tbody>
              {report.items.map((item) => {
                const target = BUCKETS.has(item.key) ? null : next(item.key);
                return (
                  <tr key={item.key} data-testid="allocation-row" data-key={item.key}>
                    <td>
                      {target ? (
                        <Link to={target}>{item.name}</Link>
                      ) : (
                        <span className={BUCKETS.has(item.key) ? 'muted' : ''}>{item.name}</span>
                      )}
                    </td>
                    <td className="num">{money(item.cpu)}</td>
                    <td className="num wide">{money(item.ram)}</td>
                    <td className="num wide">{money(item.gpu)}</td>
                    <td className="num wide">{money(item.storage)}</td>
                    <td className="num wide">{money(item.network)}</td>
                    <td className="num wide">{money(item.loadBalancer)}</td>
                    <td className="num wide">{percent(item.cpuEfficiency)}</td>
                    <td className="num" data-testid="allocation-total">
                      {money(item.total)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
            <tfoot>
              <tr>
                <th>Total</th>
                {/* Under CPU, then the six columns a phone hides (RAM .. CPU eff.), hidden with them. */}
                <td />
                <td className="wide" colSpan={6} />
                <td className="num" data-testid="allocation-sum">
                  {money(report.total)}
                </td>
              </tr>
            </tfoot>
          </table>
        </div>
      )}
    </article>
  );
}
