import { createTestCore } from '../support/test-core';
import { startServer, type RunningServer } from '../../src/main';
import { loadExampleQueries } from '../../src/http/examples';
import { addDays, formatDay } from '../../src/domain/days';
import type {
  DailyByServiceQuery,
  K8sAllocationQuery,
  K8sClustersQuery,
  K8sReconciliationQuery,
  SpendByProviderQuery,
  TopExpensesQuery,
} from '../../src/generated/graphql';

// The GraphiQL example operations, run over HTTP against the demo organization exactly as a
// person opening `npm run dev` would, with the answers checked against each other and by hand.
describe('example operations on the demo data', () => {
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let server: RunningServer;
  let token: string;
  const yesterday = addDays(formatDay(new Date()), -1);
  const range = { start: addDays(yesterday, -29), end: yesterday };
  const examples = new Map(loadExampleQueries().map((example) => [example.name, example.query]));

  async function run<T>(name: string, variables: Record<string, unknown> = { range }): Promise<T> {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: examples.get(name), variables }),
    });
    const body = (await response.json()) as { data: T; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data;
  }

  beforeAll(async () => {
    core = await createTestCore();
    ({ token } = await core.demo.seed());
    server = await startServer(core, { role: 'api' });
  });

  afterAll(async () => {
    await server.stop();
    await core.dispose();
  });

  it('has the six example operations', () => {
    expect([...examples.keys()]).toEqual([
      'daily-by-service',
      'k8s-allocation',
      'k8s-clusters',
      'k8s-reconciliation',
      'spend-by-provider',
      'top-expenses',
    ]);
  });

  it('agrees on the 30-day total across summary, expenses and breakdown, all four providers present', async () => {
    const summary = await run<SpendByProviderQuery>('spend-by-provider');
    const top = await run<TopExpensesQuery>('top-expenses');
    const daily = await run<DailyByServiceQuery>('daily-by-service');
    expect(summary.costSummary.byProvider.map((p) => p.provider).sort()).toEqual([
      'AWS',
      'AZURE',
      'GCP',
      'KUBERNETES',
    ]);
    expect(summary.costSummary.total).toBeGreaterThan(0);
    expect(top.expenses.totalCost).toBeCloseTo(summary.costSummary.total, 6);
    expect(daily.expenseBreakdown.total).toBeCloseTo(summary.costSummary.total, 6);
    expect(daily.expenseBreakdown.days).toHaveLength(30);
    expect(daily.expenseBreakdown.days[0]?.date).toBe(range.start);
  });

  it('shows each cluster as a virtual resource carrying what no bill line does, beside its reconciled breakdown', async () => {
    const top = await run<TopExpensesQuery>('top-expenses', { range, first: 100 });
    const { k8sClusters } = await run<K8sReconciliationQuery>('k8s-reconciliation');
    const clusters = top.expenses.edges.filter((edge) => edge.node.provider === 'KUBERNETES');
    expect(clusters.map((edge) => edge.node.name).sort()).toEqual(['ml-gke', 'prod-eks']);
    for (const { node } of clusters) {
      expect(node.resourceType).toBe('K8s Cluster');
      const rec = k8sClusters.find((c) => c.name === node.name)?.reconciliation;
      // The row's cost is the unbilled part; its breakdown is the whole reconciled cluster.
      expect(node.cost).toBeCloseTo(rec?.unbilled ?? -1, 4);
      expect(node.k8sCosts?.total).toBeCloseTo(rec?.reconciled ?? -1, 6);
      expect(rec?.billed).toBeGreaterThan(0);
      expect((rec?.reconciled ?? 0) - (rec?.billed ?? 0)).toBeCloseTo(rec?.unbilled ?? -1, 6);
      // The billed nodes are in the expense list as cloud rows (discounted: reconciled < estimated).
      expect(rec?.difference).toBeGreaterThan(0);
      const billedNodes = rec?.resources.filter((r) => r.billed !== null) ?? [];
      expect(billedNodes.length).toBeGreaterThan(0);
      expect(billedNodes.every((r) => r.expense && r.expense.provider !== 'KUBERNETES')).toBe(true);
    }
    expect(
      top.expenses.edges
        .filter((edge) => edge.node.provider !== 'KUBERNETES')
        .every((e) => e.node.k8sCosts === null),
    ).toBe(true);
  });

  it('splits the clusters by namespace, idle shared, adding up to their reconciled cost', async () => {
    const { k8sAllocation } = await run<K8sAllocationQuery>('k8s-allocation');
    const { k8sClusters } = await run<K8sClustersQuery>('k8s-clusters');
    const clusters = k8sClusters.reduce((sum, c) => sum + c.costs.total, 0);
    expect(k8sAllocation.total).toBeCloseTo(clusters, 2);
    expect(k8sAllocation.items.reduce((sum, i) => sum + i.total, 0)).toBeCloseTo(clusters, 2);
    const keys = k8sAllocation.items.map((i) => i.key);
    expect(keys).toEqual(
      expect.arrayContaining(['shop', 'ml', 'serving', 'payments', '__overhead__', '__unmounted__']),
    );
    expect(keys).not.toContain('__idle__'); // shared
    // $0.10/h x 24 h x 30 days x 2 clusters of management fee, in no namespace.
    expect(k8sAllocation.items.find((i) => i.key === '__overhead__')?.total).toBeCloseTo(144, 6);
    expect(k8sAllocation.days).toHaveLength(30);
    const totals = [...k8sAllocation.items].map((i) => i.total);
    expect(totals).toEqual([...totals].sort((a, b) => b - a));
  });

  it('reports prod-eks at $2.40 a day of EKS management and $1.20 of load balancers', async () => {
    const { k8sClusters } = await run<K8sClustersQuery>('k8s-clusters');
    const prod = k8sClusters.find((cluster) => cluster.name === 'prod-eks');
    const ml = k8sClusters.find((cluster) => cluster.name === 'ml-gke');
    // $0.10/h x 24 h x 30 days = $72; two balancers x $0.025/h x 24 h x 30 days = $36.
    expect(prod?.costs.management).toBeCloseTo(72, 9);
    expect(prod?.costs.loadBalancer).toBeCloseTo(36, 9);
    expect(prod?.status).toBe('HEALTHY');
    expect(ml?.status).toBe('STALE');
    expect(prod?.dailyCosts).toHaveLength(30);
    const dailySum = (prod?.dailyCosts ?? []).reduce((sum, day) => sum + day.costs.total, 0);
    expect(dailySum).toBeCloseTo(prod?.costs.total ?? -1, 6);
  });

  async function query<T>(text: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: text, variables }),
    });
    const body = (await response.json()) as { data: T; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data;
  }

  it('a filter on a cluster (k8sClusterIds) counts its billed nodes and its own row: its reconciled cost', async () => {
    const { k8sClusters } = await run<K8sClustersQuery>('k8s-clusters');
    for (const cluster of k8sClusters) {
      const { costSummary } = await query<{ costSummary: { total: number } }>(
        'query ($range: DateRangeInput!, $ids: [ID!]) { costSummary(range: $range, filter: { k8sClusterIds: $ids }) { total } }',
        { range, ids: [cluster.id] },
      );
      expect({ cluster: cluster.name, total: costSummary.total }).toEqual({
        cluster: cluster.name,
        total: expect.closeTo(cluster.costs.total, 6),
      });
    }
  });

  it("costAnomalies finds the demo's one planted anomaly first: BigQuery's $640 backfill, 9 days before the last day", async () => {
    const { costAnomalies } = await query<{
      costAnomalies: { date: string; key: string; expected: number; actual: number; impact: number }[];
    }>(
      'query ($range: DateRangeInput!) { costAnomalies(range: $range, by: SERVICE) { date key expected actual impact } }',
      {
        range,
      },
    );
    expect(costAnomalies[0]).toMatchObject({
      date: addDays(yesterday, -9),
      key: 'BigQuery',
      actual: expect.any(Number),
    });
    // events_raw alone cost $640 that day; BigQuery's other datasets a few dollars.
    expect(costAnomalies[0]?.actual).toBeGreaterThan(640);
    expect(costAnomalies[0]?.expected).toBeLessThan(20);
    expect(costAnomalies[0]?.impact).toBeGreaterThan(620);
    // Nothing else comes near it.
    for (const other of costAnomalies.slice(1)) expect(Math.abs(other.impact)).toBeLessThan(100);
  });
});
