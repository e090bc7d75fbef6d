import { createTestCore } from '../support/test-core';
import { createGraphQL, dataOf, Fixtures, type RunGraphQL } from '../support/fixtures';
import type { CloudAccount } from '../../src/domain/model';

// Two organizations with look-alike data on the same days (range 2024-07-01 .. 2024-07-02,
// previous period 2024-06-29 .. 2024-06-30):
//
// org A: AWS "A AWS" + KUBERNETES "A Cluster"
//   a-web   (AWS, us-east-1, alice, env=prod)  10 on 07-01, 10 on 07-02, 4 on 06-30 -> 20 / previous 4
//   a-k8s   (cluster)                           5 on 07-01 (cpu 3 + ram 2)          -> 5 / previous 0
//   total 20 + 5 = 25, previous 4
// org B: AWS "B AWS" + KUBERNETES "B Cluster", the same shapes at 10x:
//   b-web   100 + 100 = 200 / previous 40; b-k8s 50 (cpu 30 + ram 20)
//   total 200 + 50 = 250, previous 40

const RANGE = { start: '2024-07-01', end: '2024-07-02' };

const EVERYTHING = /* GraphQL */ `
  query ($range: DateRangeInput!, $filter: ExpenseFilterInput) {
    expenses(range: $range, filter: $filter) {
      totalCount
      totalCost
      edges {
        node {
          resourceId
          cost
          cloudAccount {
            id
            name
          }
        }
      }
    }
    expenseBreakdown(range: $range, by: CLOUD_ACCOUNT, filter: $filter) {
      totals {
        key
        name
        total
        previousTotal
      }
      total
      previousTotal
    }
    costSummary(range: $range, filter: $filter) {
      total
      previousTotal
      byProvider {
        provider
        cost
        previousCost
      }
    }
  }
`;

const ACCOUNTS = /* GraphQL */ `
  {
    cloudAccounts {
      id
      name
      type
    }
    k8sClusters {
      id
      name
    }
  }
`;

const CLUSTER = /* GraphQL */ `
  query ($id: ID!, $range: DateRangeInput!) {
    k8sCluster(id: $id) {
      id
      name
      costs(range: $range) {
        cpu
        ram
        total
      }
      dailyCosts(range: $range) {
        date
        costs {
          total
        }
      }
    }
  }
`;

interface Everything {
  expenses: {
    totalCount: number;
    totalCost: number;
    edges: { node: { resourceId: string; cost: number; cloudAccount: { id: string; name: string } } }[];
  };
  expenseBreakdown: {
    totals: { key: string; name: string; total: number; previousTotal: number }[];
    total: number;
    previousTotal: number;
  };
  costSummary: {
    total: number;
    previousTotal: number;
    byProvider: { provider: string; cost: number; previousCost: number }[];
  };
}

describe('tenancy', () => {
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let run: RunGraphQL;
  let orgA: string;
  let orgB: string;
  const acc: Record<string, CloudAccount> = {};
  let aBeforeB: Everything;

  const everything = async (org: string, filter?: Record<string, unknown>) =>
    dataOf<Everything>(await run(org, EVERYTHING, { range: RANGE, filter }));
  const id = (name: string) => (acc[name] as CloudAccount).id;

  beforeAll(async () => {
    core = await createTestCore();
    run = await createGraphQL(core);
    const fx = new Fixtures(core);
    await fx.holdMerges();

    // Two organizations of the same shape, B's money ten times A's: a leak shows as a wrong sum.
    const seed = async (letter: 'A' | 'B', scale: number) => {
      const org = await fx.organization(`Org ${letter}`);
      const p = letter.toLowerCase();
      const aws = await fx.account(org, { name: `${letter} AWS`, type: 'AWS' });
      const cluster = await fx.account(org, { name: `${letter} Cluster`, type: 'KUBERNETES' });
      acc[`${p}Aws`] = aws;
      acc[`${p}Cluster`] = cluster;
      const web = await fx.resource(aws, {
        id: `${p}-web`,
        name: 'web',
        region: 'us-east-1',
        owner: 'alice',
        tags: { env: 'prod' },
      });
      const k8s = await fx.resource(cluster, {
        id: `${p}-k8s`,
        name: 'cluster',
        resourceType: 'K8s Cluster',
      });
      await fx.costs(web, { '2024-06-30': 4 * scale, '2024-07-01': 10 * scale, '2024-07-02': 10 * scale });
      await fx.costs(k8s, { '2024-07-01': 5 * scale });
      await fx.k8s(k8s, '2024-07-01', { cpu: 3 * scale, ram: 2 * scale, total: 5 * scale });
      await fx.heartbeat(cluster, new Date());
      return org;
    };
    orgA = await seed('A', 1);
    // What A sees before B exists.
    aBeforeB = await everything(orgA);
    orgB = await seed('B', 10);
  });
  afterAll(async () => core.dispose());

  it('each organization sees only its own rows and totals', async () => {
    const a = await everything(orgA);
    expect(a.expenses.totalCount).toBe(2);
    expect(a.expenses.totalCost).toBe(25); // 20 + 5
    expect(a.expenses.edges.map((e) => [e.node.resourceId, e.node.cost, e.node.cloudAccount.name])).toEqual([
      ['a-web', 20, 'A AWS'],
      ['a-k8s', 5, 'A Cluster'],
    ]);
    const b = await everything(orgB);
    expect(b.expenses.totalCount).toBe(2);
    expect(b.expenses.totalCost).toBe(250); // 200 + 50
    expect(b.expenses.edges.map((e) => [e.node.resourceId, e.node.cost, e.node.cloudAccount.name])).toEqual([
      ['b-web', 200, 'B AWS'],
      ['b-k8s', 50, 'B Cluster'],
    ]);
  });

  it("leaves org A's breakdown and summary as they were before org B had data", async () => {
    const a = await everything(orgA);
    expect(a).toEqual(aBeforeB);
    expect(a.expenseBreakdown).toEqual({
      totals: [
        { key: id('aAws'), name: 'A AWS', total: 20, previousTotal: 4 },
        { key: id('aCluster'), name: 'A Cluster', total: 5, previousTotal: 0 },
      ],
      total: 25,
      previousTotal: 4,
    });
    expect(a.costSummary.total).toBe(25);
    expect(a.costSummary.previousTotal).toBe(4);
    expect([...a.costSummary.byProvider].sort((x, y) => (x.provider < y.provider ? -1 : 1))).toEqual([
      { provider: 'AWS', cost: 20, previousCost: 4 },
      { provider: 'KUBERNETES', cost: 5, previousCost: 0 },
    ]);
  });

  it('shows org B its own breakdown and summary', async () => {
    const b = await everything(orgB);
    expect(b.expenseBreakdown.totals).toEqual([
      { key: id('bAws'), name: 'B AWS', total: 200, previousTotal: 40 },
      { key: id('bCluster'), name: 'B Cluster', total: 50, previousTotal: 0 },
    ]);
    expect([b.expenseBreakdown.total, b.expenseBreakdown.previousTotal]).toEqual([250, 40]);
    expect([b.costSummary.total, b.costSummary.previousTotal]).toEqual([250, 40]);
  });

  it('lists only its own cloud accounts and clusters', async () => {
    const a = dataOf<{ cloudAccounts: unknown[]; k8sClusters: unknown[] }>(await run(orgA, ACCOUNTS));
    expect(a.cloudAccounts).toEqual([
      { id: id('aAws'), name: 'A AWS', type: 'AWS' },
      { id: id('aCluster'), name: 'A Cluster', type: 'KUBERNETES' },
    ]);
    expect(a.k8sClusters).toEqual([{ id: id('aCluster'), name: 'A Cluster' }]);
    const b = dataOf<{ cloudAccounts: unknown[]; k8sClusters: unknown[] }>(await run(orgB, ACCOUNTS));
    expect(b.cloudAccounts).toEqual([
      { id: id('bAws'), name: 'B AWS', type: 'AWS' },
      { id: id('bCluster'), name: 'B Cluster', type: 'KUBERNETES' },
    ]);
    expect(b.k8sClusters).toEqual([{ id: id('bCluster'), name: 'B Cluster' }]);
  });

  it("returns nothing for a filter on the other organization's accounts", async () => {
    const a = await everything(orgA, { cloudAccountIds: [id('bAws'), id('bCluster')] });
    expect(a.expenses).toEqual({ totalCount: 0, totalCost: 0, edges: [] });
    expect(a.expenseBreakdown).toEqual({ totals: [], total: 0, previousTotal: 0 });
    expect(a.costSummary).toEqual({ total: 0, previousTotal: 0, byProvider: [] });
  });

  it("ignores the other organization's ids mixed into a filter", async () => {
    // A's AWS account plus B's: only a-web, 20 / previous 4.
    const a = await everything(orgA, { cloudAccountIds: [id('aAws'), id('bAws')] });
    expect(a.expenses.edges.map((e) => e.node.resourceId)).toEqual(['a-web']);
    expect([a.expenses.totalCount, a.expenses.totalCost]).toEqual([1, 20]);
    expect([a.expenseBreakdown.total, a.expenseBreakdown.previousTotal]).toEqual([20, 4]);
    expect([a.costSummary.total, a.costSummary.previousTotal]).toEqual([20, 4]);
  });

  it('matches resource-level filters only within the organization', async () => {
    // Both a-web and b-web are alice's, us-east-1, env=prod.
    const a = await everything(orgA, {
      owners: ['alice'],
      regions: ['us-east-1'],
      tags: [{ key: 'env', value: 'prod' }],
    });
    expect(a.expenses.edges.map((e) => e.node.resourceId)).toEqual(['a-web']);
    expect([a.expenses.totalCost, a.expenseBreakdown.total, a.costSummary.total]).toEqual([20, 20, 20]);
    expect([a.expenseBreakdown.previousTotal, a.costSummary.previousTotal]).toEqual([4, 4]);
  });

  it("answers null for the other organization's cluster", async () => {
    const asA = await run(orgA, CLUSTER, { id: id('bCluster'), range: RANGE });
    expect(dataOf<{ k8sCluster: unknown }>(asA).k8sCluster).toBeNull();
    const asB = await run(orgB, CLUSTER, { id: id('bCluster'), range: RANGE });
    expect(dataOf<{ k8sCluster: unknown }>(asB).k8sCluster).toEqual({
      id: id('bCluster'),
      name: 'B Cluster',
      costs: { cpu: 30, ram: 20, total: 50 },
      dailyCosts: [{ date: '2024-07-01', costs: { total: 50 } }],
    });
    const ownA = await run(orgA, CLUSTER, { id: id('aCluster'), range: RANGE });
    expect(dataOf<{ k8sCluster: unknown }>(ownA).k8sCluster).toEqual({
      id: id('aCluster'),
      name: 'A Cluster',
      costs: { cpu: 3, ram: 2, total: 5 },
      dailyCosts: [{ date: '2024-07-01', costs: { total: 5 } }],
    });
  });
});
