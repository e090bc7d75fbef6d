import { useQuery } from 'urql';
import { ClusterListDocument } from '../generated/graphql';
import type { Range } from '../dates';
import { href, Link } from '../router';
import { Empty, ErrorState, Loading } from '../components/States';
import { StatusBadge } from './Cluster';

/** The organization's clusters, each opening its breakdown. */
export function Clusters({ range }: { range: Range }) {
  const [{ data, error }, refetch] = useQuery({ query: ClusterListDocument });
  if (error && !data)
    return <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!data) return <Loading label="Loading clusters" />;
  return (
    <section data-testid="clusters">
      <h1>Kubernetes clusters</h1>
      {data.k8sClusters.length === 0 ? (
        <Empty title="No clusters yet">
          Register one with the <code>registerK8sCluster</code> mutation and point its Prometheus remote_write
          here.
        </Empty>
      ) : (
        <ul className="cluster-list">
          {data.k8sClusters.map((c) => (
            <li key={c.id}>
              <Link
                to={href(`/clusters/${encodeURIComponent(c.id)}`, { start: range.start, end: range.end })}
              >
                {c.name}
              </Link>
              <StatusBadge status={c.status} />
              <span className="muted">
                {c.provider || 'unknown provider'} {c.region}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
