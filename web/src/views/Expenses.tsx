import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useQuery } from 'urql';
import {
  ExpensesDocument,
  FilterOptionsDocument,
  type ExpenseFilterInput,
  type ExpenseOrderInput,
  type ExpensesQuery,
  type Provider,
} from '../generated/graphql';
import type { Range } from '../dates';
import { integer, money, providerName, PROVIDER_NAMES } from '../format';
import { href, Link, navigate, withParams } from '../router';
import { Sparkline } from '../components/Sparkline';
import { Empty, ErrorState, Loading } from '../components/States';

const PAGE_SIZE = 25;
type Sort = 'cost-desc' | 'cost-asc' | 'name-asc' | 'name-desc';
const SORTS: Record<Sort, ExpenseOrderInput> = {
  'cost-desc': { field: 'COST', direction: 'DESC' },
  'cost-asc': { field: 'COST', direction: 'ASC' },
  'name-asc': { field: 'NAME', direction: 'ASC' },
  'name-desc': { field: 'NAME', direction: 'DESC' },
};

/** The URL's filters, as the API takes them. `tag` is `key` or `key=value`. */
export function filterFrom(params: URLSearchParams): ExpenseFilterInput {
  const filter: ExpenseFilterInput = {};
  const provider = params.get('provider');
  if (provider && provider in PROVIDER_NAMES) filter.providers = [provider as Provider];
  const account = params.get('account');
  if (account) filter.cloudAccountIds = [account];
  const region = params.get('region');
  if (region !== null) filter.regions = [region];
  const service = params.get('service');
  if (service !== null) filter.services = [service];
  const owner = params.get('owner');
  if (owner !== null) filter.owners = [owner];
  const tag = params.get('tag');
  if (tag) {
    const [key, ...rest] = tag.split('=');
    filter.tags = [rest.length ? { key: key as string, value: rest.join('=') } : { key: key as string }];
  }
  const q = params.get('q');
  if (q) filter.nameContains = q;
  return filter;
}

type Row = ExpensesQuery['expenses']['edges'][number]['node'];

/** The unified table: cloud resources and clusters side by side, filtered, sorted, paged. */
export function Expenses({ range, params }: { range: Range; params: URLSearchParams }) {
  const filter = useMemo(() => filterFrom(params), [params.toString()]);
  const sort = (params.get('sort') as Sort | null) ?? 'cost-desc';
  const orderBy = SORTS[sort] ?? SORTS['cost-desc'];
  // Cursors of the pages before this one: Previous walks back without the API paging backwards.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const queryKey = `${range.start}|${range.end}|${params.toString()}`;
  useEffect(() => setCursors([null]), [queryKey]);
  const after = cursors[cursors.length - 1] ?? null;

  const [{ data, error, fetching }, refetch] = useQuery({
    query: ExpensesDocument,
    variables: { range, filter, orderBy, first: PAGE_SIZE, after },
  });
  const [options] = useQuery({ query: FilterOptionsDocument, variables: { range } });

  const set = (key: string, value: string | null) =>
    navigate(withParams({ [key]: value }), { replace: false });
  const page = cursors.length;
  const connection = data?.expenses;

  return (
    <section data-testid="expenses">
      <h1>Expenses</h1>
      <Filters params={params} options={options.data} onChange={set} />
      {error && !data ? (
        <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      ) : !connection ? (
        <Loading label="Loading expenses" rows={8} />
      ) : connection.totalCount === 0 ? (
        <Empty title="No expenses match">
          Nothing was spent in this range with these filters.{' '}
          <Link to={href('/expenses', { start: range.start, end: range.end })}>Clear the filters</Link>
        </Empty>
      ) : (
        <>
          <p className="summary" aria-live="polite">
            <span data-testid="expenses-count">{integer(connection.totalCount)}</span> resources ·{' '}
            <span data-testid="expenses-total">{money(connection.totalCost)}</span>
            {fetching ? <span className="muted"> · updating…</span> : null}
          </p>
          <div className="table-wrap">
            <table className="expenses">
              <thead>
                <tr>
                  <SortHeader label="Resource" field="name" sort={sort} onSort={(s) => set('sort', s)} />
                  <th>Provider</th>
                  <th className="wide">Account</th>
                  <th className="wide">Region</th>
                  <th className="wide">Service</th>
                  <th className="wide">Owner</th>
                  <th className="wide">Daily</th>
                  <SortHeader label="Cost" field="cost" sort={sort} onSort={(s) => set('sort', s)} numeric />
                </tr>
              </thead>
              <tbody>
                {connection.edges.map(({ node }) => (
                  <ExpenseRow key={node.id} row={node} range={range} />
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Pages">
            <button type="button" disabled={page === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
              ← Previous
            </button>
            <span>
              Page {page} of {Math.max(1, Math.ceil(connection.totalCount / PAGE_SIZE))}
            </span>
            <button
              type="button"
              disabled={!connection.pageInfo.hasNextPage}
              onClick={() => setCursors([...cursors, connection.pageInfo.endCursor ?? null])}
            >
              Next →
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

function ExpenseRow({ row, range }: { row: Row; range: Range }) {
  const isCluster = row.provider === 'KUBERNETES';
  const clusterLink = (id: string) =>
    href(`/clusters/${encodeURIComponent(id)}`, { start: range.start, end: range.end });
  return (
    <tr data-testid="expense-row" data-provider={row.provider}>
      <td className="resource">
        {isCluster ? (
          <Link to={clusterLink(row.cloudAccount.id)} data-testid="cluster-link">
            {row.name}
          </Link>
        ) : (
          <span>{row.name}</span>
        )}
        <small title={row.cloudResourceId}>{row.resourceType}</small>
        {row.k8sCluster ? (
          <small>
            node of <Link to={clusterLink(row.k8sCluster.id)}>{row.k8sCluster.name}</Link>
          </small>
        ) : null}
        {row.tags.length ? (
          <span className="tags">
            {row.tags.slice(0, 3).map((t) => (
              <span className="tag" key={t.key}>
                {t.key}={t.value}
              </span>
            ))}
          </span>
        ) : null}
      </td>
      <td>
        <span className={`badge provider-${row.provider.toLowerCase()}`}>{providerName(row.provider)}</span>
      </td>
      <td className="wide">{row.cloudAccount.name}</td>
      <td className="wide">{row.region || '—'}</td>
      <td className="wide">{row.service || '—'}</td>
      <td className="wide">{row.owner || '—'}</td>
      <td className="wide">
        <Sparkline points={row.daily} />
      </td>
      <td className="num" data-testid="expense-cost">
        {money(row.cost)}
      </td>
    </tr>
  );
}

function SortHeader(props: {
  label: string;
  field: 'cost' | 'name';
  sort: Sort;
  onSort: (sort: Sort) => void;
  numeric?: boolean;
}) {
  const { label, field, sort, onSort, numeric } = props;
  const active = sort.startsWith(field);
  const ascending = sort.endsWith('asc');
  const next: Sort = active
    ? (`${field}-${ascending ? 'desc' : 'asc'}` as Sort)
    : field === 'cost'
      ? 'cost-desc'
      : 'name-asc';
  return (
    <th
      className={numeric ? 'num' : undefined}
      aria-sort={active ? (ascending ? 'ascending' : 'descending') : 'none'}
    >
      <button type="button" className="sort" onClick={() => onSort(next)} data-testid={`sort-${field}`}>
        {label} {active ? (ascending ? '▲' : '▼') : ''}
      </button>
    </th>
  );
}

interface Options {
  cloudAccounts: { id: string; name: string; type: string }[];
  regions: { totals: { key: string; name: string }[] };
  services: { totals: { key: string; name: string }[] };
  owners: { totals: { key: string; name: string }[] };
}

function Filters(props: {
  params: URLSearchParams;
  options: Options | undefined;
  onChange: (key: string, value: string | null) => void;
}) {
  const { params, options, onChange } = props;
  const [tag, setTag] = useState(params.get('tag') ?? '');
  const [q, setQ] = useState(params.get('q') ?? '');
  useEffect(() => setTag(params.get('tag') ?? ''), [params.get('tag')]);
  useEffect(() => setQ(params.get('q') ?? ''), [params.get('q')]);
  const select = (key: string, label: string, choices: { value: string; label: string }[]) => (
    <label>
      {label}
      <select
        name={key}
        value={params.get(key) ?? '*'}
        onChange={(e) => onChange(key, e.target.value === '*' ? null : e.target.value)}
      >
        <option value="*">All</option>
        {choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
    </label>
  );
  const values = (list: { key: string; name: string }[] | undefined) =>
    (list ?? [])
      .map((t) => ({ value: t.key, label: t.key === '' ? '(none)' : t.name }))
      .sort((a, b) => a.label.localeCompare(b.label));
  const submitText = (event: FormEvent) => {
    event.preventDefault();
    navigate(withParams({ tag: tag.trim() || null, q: q.trim() || null }));
  };
  return (
    <form className="filters" onSubmit={submitText} aria-label="Filters">
      {select(
        'provider',
        'Provider',
        Object.entries(PROVIDER_NAMES).map(([value, label]) => ({ value, label })),
      )}
      {select(
        'account',
        'Account',
        (options?.cloudAccounts ?? [])
          .map((a) => ({ value: a.id, label: a.name }))
          .sort((a, b) => a.label.localeCompare(b.label)),
      )}
      {select('region', 'Region', values(options?.regions.totals))}
      {select('service', 'Service', values(options?.services.totals))}
      {select('owner', 'Owner', values(options?.owners.totals))}
      <label>
        Tag
        <input name="tag" value={tag} onChange={(e) => setTag(e.target.value)} placeholder="env=prod" />
      </label>
      <label>
        Name
        <input
          name="q"
          type="search"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          placeholder="contains…"
        />
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}
