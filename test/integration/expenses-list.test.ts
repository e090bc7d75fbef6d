import { createTestCore } from '../support/test-core';
import {
  countQueries,
  createGraphQL,
  dataOf,
  errorOf,
  Fixtures,
  k8sRecord,
  type RunGraphQL,
} from '../support/fixtures';
import type { CloudAccount } from '../../src/domain/model';
import type { ExpenseRecord, K8sBreakdownRecord, ResourceRecord } from '../../src/domain/ports';

// The world (range 2024-03-10 .. 2024-03-12, three days):
//
// org A: AWS "Prod AWS", AZURE "Corp Azure", GCP "Data GCP", KUBERNETES "Cluster One"
//   res-01 web-server-1  AWS   Instance    us-east-1     AmazonEC2     alice {env: prod, team: web}
//          10.50 on 10, 11, 12 (+ 100 on 09 and 100 on 13, outside)       -> 3 x 10.50 = 31.50
//   res-02 db-volume     AWS   Volume      us-east-1     AmazonEBS     bob   {env: dev}
//          2.25 on 10 and 12                                               -> 2 x 2.25 = 4.50
//   res-03 Analytics-VM  AZURE VirtualMachine westeurope Compute       carol {team: data}
//          7.00 on 11; on 12 +10, then -10 and +12 (a correction)          -> 7 + 12 = 19.00
//   res-04 bucket-logs   GCP   Bucket      europe-west1  Cloud Storage alice {}
//          0.1 on 10, 0.2 on 11                                            -> 0.1 + 0.2 = 0.30
//   res-05 cluster-one   K8S   K8s Cluster us-east-1     Kubernetes    dave  {env: prod}
//          20 on 10, 30 on 11, 25 on 12 (+ 999 on 09, outside)             -> 20 + 30 + 25 = 75.00
//   res-06 old-snapshot  AWS   Snapshot    us-east-1     AmazonEBS     bob   {}
//          5 on 2024-03-01 only (outside)                                  -> not listed
//   res-07 db-volume     AWS   Volume      eu-west-1     AmazonEBS     erin  {env: staging}
//          4.50 on 11                                                      -> 4.50 (ties res-02 on cost and name)
//   res-08 ghost-vm      AWS   Instance    us-east-1     AmazonEC2     bob   {}
//          +5 then -5 on 11 (fully cancelled)                              -> not listed
//
// totalCount = 6 (res-01, 02, 03, 04, 05, 07)
// totalCost  = 31.50 + 4.50 + 19.00 + 0.30 + 75.00 + 4.50 = 134.80
//
// org B: AWS "B AWS" with web-server-b (us-east-1, AmazonEC2, alice, env=prod), 1000 a day: never seen by A.

const RANGE = { start: '2024-03-10', end: '2024-03-12' };

const COST: Record<string, number> = {
  'res-01': 31.5,
  'res-02': 4.5,
  'res-03': 19,
  'res-04': 0.3,
  'res-05': 75,
  'res-07': 4.5,
};

interface Node {
  resourceId: string;
  name: string;
  cost: number;
  provider: string;
  region: string;
  service: string;
  owner: string;
  resourceType: string;
  tags: { key: string; value: string }[];
  cloudAccount: { id: string; name: string; type: string };
  lastExpense: { date: string; cost: number } | null;
  k8sCosts: Record<string, number | null> | null;
}
interface Connection {
  totalCount: number;
  totalCost: number;
  edges: { cursor: string; node: Node }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
}

const LIST = /* GraphQL */ `
  query (
    $range: DateRangeInput!
    $filter: ExpenseFilterInput
    $orderBy: ExpenseOrderInput
    $first: Int
    $after: String
  ) {
    expenses(range: $range, filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      totalCost
      edges {
        cursor
        node {
          resourceId
          name
          cost
          provider
          region
          service
          owner
          resourceType
          tags {
            key
            value
          }
          cloudAccount {
            id
            name
            type
          }
          lastExpense {
            date
            cost
          }
          k8sCosts {
            cpu
            ram
            gpu
            nodeUnsplit
            storage
            network
            loadBalancer
            management
            idle
            total
          }
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        endCursor
      }
    }
  }
`;

describe('expenses', () => {
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let run: RunGraphQL;
  let orgA: string;
  let orgB: string;
  const acc: Record<string, CloudAccount> = {};

  async function list(variables: Record<string, unknown>, org = orgA): Promise<Connection> {
    return dataOf<{ expenses: Connection }>(await run(org, LIST, { range: RANGE, first: 100, ...variables }))
      .expenses;
  }
  const ids = (c: Connection) => c.edges.map((e) => e.node.resourceId);

  beforeAll(async () => {
    core = await createTestCore();
    run = await createGraphQL(core);
    const fx = new Fixtures(core);
    await fx.holdMerges();
    orgA = await fx.organization('Org A');
    orgB = await fx.organization('Org B');
    acc.aws = await fx.account(orgA, { name: 'Prod AWS', type: 'AWS' });
    acc.azure = await fx.account(orgA, { name: 'Corp Azure', type: 'AZURE' });
    acc.gcp = await fx.account(orgA, { name: 'Data GCP', type: 'GCP' });
    acc.k8s = await fx.account(orgA, { name: 'Cluster One', type: 'KUBERNETES' });
    acc.bAws = await fx.account(orgB, { name: 'B AWS', type: 'AWS' });
    const aws = acc.aws;
    const r1 = await fx.resource(aws, {
      id: 'res-01',
      name: 'web-server-1',
      resourceType: 'Instance',
      region: 'us-east-1',
      service: 'AmazonEC2',
      owner: 'alice',
      tags: { env: 'prod', team: 'web' },
    });
    const r2 = await fx.resource(aws, {
      id: 'res-02',
      name: 'db-volume',
      resourceType: 'Volume',
      region: 'us-east-1',
      service: 'AmazonEBS',
      owner: 'bob',
      tags: { env: 'dev' },
    });
    const r3 = await fx.resource(acc.azure, {
      id: 'res-03',
      name: 'Analytics-VM',
      resourceType: 'VirtualMachine',
      region: 'westeurope',
      service: 'Compute',
      owner: 'carol',
      tags: { team: 'data' },
    });
    const r4 = await fx.resource(acc.gcp, {
      id: 'res-04',
      name: 'bucket-logs',
      resourceType: 'Bucket',
      region: 'europe-west1',
      service: 'Cloud Storage',
      owner: 'alice',
    });
    const r5 = await fx.resource(acc.k8s, {
      id: 'res-05',
      name: 'cluster-one',
      resourceType: 'K8s Cluster',
      region: 'us-east-1',
      service: 'Kubernetes',
      owner: 'dave',
      tags: { env: 'prod' },
    });
    const r6 = await fx.resource(aws, {
      id: 'res-06',
      name: 'old-snapshot',
      resourceType: 'Snapshot',
      region: 'us-east-1',
      service: 'AmazonEBS',
      owner: 'bob',
    });
    const r7 = await fx.resource(aws, {
      id: 'res-07',
      name: 'db-volume',
      resourceType: 'Volume',
      region: 'eu-west-1',
      service: 'AmazonEBS',
      owner: 'erin',
      tags: { env: 'staging' },
    });
    const r8 = await fx.resource(aws, {
      id: 'res-08',
      name: 'ghost-vm',
      resourceType: 'Instance',
      region: 'us-east-1',
      service: 'AmazonEC2',
      owner: 'bob',
    });
    const rb = await fx.resource(acc.bAws, {
      id: 'res-b1',
      name: 'web-server-b',
      resourceType: 'Instance',
      region: 'us-east-1',
      service: 'AmazonEC2',
      owner: 'alice',
      tags: { env: 'prod' },
    });

    await fx.costs(r1, {
      '2024-03-09': 100,
      '2024-03-10': 10.5,
      '2024-03-11': 10.5,
      '2024-03-12': 10.5,
      '2024-03-13': 100,
    });
    await fx.costs(r2, { '2024-03-10': 2.25, '2024-03-12': 2.25 });
    await fx.costs(r3, { '2024-03-11': 7, '2024-03-12': 10 });
    await fx.correct(r3, '2024-03-12', 10, 12);
    await fx.costs(r4, { '2024-03-10': 0.1, '2024-03-11': 0.2 });
    await fx.costs(r5, { '2024-03-09': 999, '2024-03-10': 20, '2024-03-11': 30, '2024-03-12': 25 });
    await fx.costs(r6, { '2024-03-01': 5 });
    await fx.costs(r7, { '2024-03-11': 4.5 });
    await fx.costs(r8, { '2024-03-11': 5 });
    await fx.cancel(r8, '2024-03-11', 5);
    await fx.costs(rb, { '2024-03-10': 1000, '2024-03-11': 1000, '2024-03-12': 1000 });

    // Cluster breakdown; each day's parts add up to its total (idle is inside cpu + ram + gpu):
    //   09: outside the range, all 100s
    //   10: cpu 8  + ram 6 + gpu 0 + storage 2 + network 1   + lb 1   + mgmt 2 = 20, idle 3
    //   11: cpu 12 + ram 9 + gpu 2 + storage 3 + network 1.5 + lb 0.5 + mgmt 2 = 30, idle 4
    //   12: cpu 10 + ram 7 + gpu 1 + storage 3 + network ?   + lb 1   + mgmt 3 = 25, idle 2
    await fx.k8s(r5, '2024-03-09', { cpu: 100, ram: 100, storage: 100, network: 100, idle: 100, total: 999 });
    await fx.k8s(r5, '2024-03-10', {
      cpu: 8,
      ram: 6,
      storage: 2,
      network: 1,
      loadBalancer: 1,
      management: 2,
      idle: 3,
      total: 20,
    });
    await fx.k8s(r5, '2024-03-11', {
      cpu: 12,
      ram: 9,
      gpu: 2,
      storage: 3,
      network: 1.5,
      loadBalancer: 0.5,
      management: 2,
      idle: 4,
      total: 30,
    });
    await fx.k8s(r5, '2024-03-12', {
      cpu: 10,
      ram: 7,
      gpu: 1,
      storage: 3,
      network: null,
      loadBalancer: 1,
      management: 3,
      idle: 2,
      total: 25,
    });
  });
  afterAll(async () => core.dispose());

  it('lists each resource with its cost over the range, and the totals', async () => {
    const page = await list({});
    // 6 rows with a cost in the range: res-06 (outside) and res-08 (cancelled) are absent.
    expect(page.totalCount).toBe(6);
    // 31.50 + 4.50 + 19.00 + 0.30 + 75.00 + 4.50 = 134.80
    expect(page.totalCost).toBe(134.8);
    expect(Object.fromEntries(page.edges.map((e) => [e.node.resourceId, e.node.cost]))).toEqual(COST);
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it('returns the dimensions of each row and its cloud account', async () => {
    const page = await list({});
    const web = page.edges.find((e) => e.node.resourceId === 'res-01')?.node;
    expect(web).toMatchObject({
      name: 'web-server-1',
      provider: 'AWS',
      resourceType: 'Instance',
      region: 'us-east-1',
      service: 'AmazonEC2',
      owner: 'alice',
      tags: [
        { key: 'env', value: 'prod' },
        { key: 'team', value: 'web' },
      ],
    });
    const accountOf = Object.fromEntries(page.edges.map((e) => [e.node.resourceId, e.node.cloudAccount]));
    const expected = (a: CloudAccount | undefined) => ({ id: a?.id, name: a?.name, type: a?.type });
    expect(accountOf).toEqual({
      'res-01': expected(acc.aws),
      'res-02': expected(acc.aws),
      'res-07': expected(acc.aws),
      'res-03': { id: acc.azure?.id, name: 'Corp Azure', type: 'AZURE' },
      'res-04': { id: acc.gcp?.id, name: 'Data GCP', type: 'GCP' },
      'res-05': { id: acc.k8s?.id, name: 'Cluster One', type: 'KUBERNETES' },
    });
  });

  describe('filters', () => {
    const cases: [string, () => Record<string, unknown>, string[], number][] = [
      // AWS: res-01 31.50 + res-02 4.50 + res-07 4.50 = 40.50
      ['cloudAccountIds', () => ({ cloudAccountIds: [acc.aws?.id] }), ['res-01', 'res-02', 'res-07'], 40.5],
      // res-03 19.00 + res-04 0.30 = 19.30
      ['providers', () => ({ providers: ['AZURE', 'GCP'] }), ['res-03', 'res-04'], 19.3],
      // 4.50 + 4.50 = 9.00
      ['resourceTypes', () => ({ resourceTypes: ['Volume'] }), ['res-02', 'res-07'], 9],
      // 31.50 + 4.50 + 75.00 = 111.00
      ['regions', () => ({ regions: ['us-east-1'] }), ['res-01', 'res-02', 'res-05'], 111],
      ['services', () => ({ services: ['AmazonEC2'] }), ['res-01'], 31.5],
      // 31.50 + 0.30 = 31.80
      ['owners', () => ({ owners: ['alice'] }), ['res-01', 'res-04'], 31.8],
      // env=prod: 31.50 + 75.00 = 106.50
      ['tag with value', () => ({ tags: [{ key: 'env', value: 'prod' }] }), ['res-01', 'res-05'], 106.5],
      // has env: 31.50 + 4.50 + 75.00 + 4.50 = 115.50
      ['tag key only', () => ({ tags: [{ key: 'env' }] }), ['res-01', 'res-02', 'res-05', 'res-07'], 115.5],
      ['nameContains, upper-case query', () => ({ nameContains: 'WEB' }), ['res-01'], 31.5],
      ['nameContains, lower-case query', () => ({ nameContains: 'analytics' }), ['res-03'], 19],
      // AWS and us-east-1: 31.50 + 4.50 = 36.00
      [
        'providers + regions',
        () => ({ providers: ['AWS'], regions: ['us-east-1'] }),
        ['res-01', 'res-02'],
        36,
      ],
      ['tag key + owners', () => ({ tags: [{ key: 'env' }], owners: ['alice', 'carol'] }), ['res-01'], 31.5],
    ];
    it.each(cases)('%s', async (_name, filter, expectedIds, expectedCost) => {
      const page = await list({ filter: filter(), orderBy: { field: 'NAME', direction: 'ASC' } });
      expect([...ids(page)].sort()).toEqual(expectedIds);
      expect(page.totalCount).toBe(expectedIds.length);
      expect(page.totalCost).toBe(expectedCost);
      for (const edge of page.edges) expect(edge.node.cost).toBe(COST[edge.node.resourceId]);
    });
  });

  describe('order', () => {
    // Costs: res-05 75, res-01 31.50, res-03 19, res-02 4.50, res-07 4.50, res-04 0.30.
    // Names: Analytics-VM (03), bucket-logs (04), cluster-one (05), db-volume (02), db-volume (07),
    // web-server-1 (01). Ties (res-02 / res-07 on both) go by resource id ascending.
    const orders: [string, string, string[]][] = [
      ['COST', 'DESC', ['res-05', 'res-01', 'res-03', 'res-02', 'res-07', 'res-04']],
      ['COST', 'ASC', ['res-04', 'res-02', 'res-07', 'res-03', 'res-01', 'res-05']],
      ['NAME', 'ASC', ['res-03', 'res-04', 'res-05', 'res-02', 'res-07', 'res-01']],
      ['NAME', 'DESC', ['res-01', 'res-02', 'res-07', 'res-05', 'res-04', 'res-03']],
    ];

    it.each(orders)('%s %s', async (field, direction, expected) => {
      expect(ids(await list({ orderBy: { field, direction } }))).toEqual(expected);
    });

    it('defaults to COST DESC', async () => {
      expect(ids(await list({}))).toEqual(orders[0]?.[2]);
    });

    it.each(orders)(
      'pages of 2 in %s %s collect every row once, in order',
      async (field, direction, expected) => {
        const seen: string[] = [];
        let after: string | null = null;
        let pages = 0;
        for (;;) {
          const page: Connection = await list({ orderBy: { field, direction }, first: 2, after });
          pages += 1;
          expect(page.totalCount).toBe(6);
          expect(page.totalCost).toBe(134.8);
          expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
          expect(page.edges).toHaveLength(2);
          seen.push(...ids(page));
          after = page.pageInfo.endCursor;
          if (!page.pageInfo.hasNextPage) break;
          expect(pages).toBeLessThan(10);
        }
        // 6 rows / 2 per page = 3 pages
        expect(pages).toBe(3);
        expect(seen).toEqual(expected);
        // A page after the last: no rows, the same totals.
        const beyond = await list({ orderBy: { field, direction }, first: 2, after });
        expect(beyond.edges).toEqual([]);
        expect(beyond.totalCount).toBe(6);
        expect(beyond.totalCost).toBe(134.8);
        expect(beyond.pageInfo.hasNextPage).toBe(false);
      },
    );

    it('rejects a cursor issued for another order', async () => {
      const byName = await list({ orderBy: { field: 'NAME', direction: 'ASC' }, first: 2 });
      const cursor = byName.pageInfo.endCursor;
      expect(cursor).toEqual(expect.any(String));
      const result = await run(orgA, LIST, {
        range: RANGE,
        first: 2,
        orderBy: { field: 'COST', direction: 'ASC' },
        after: cursor,
      });
      const error = errorOf(result);
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/^after\b/);
      const sameFieldOtherDirection = await run(orgA, LIST, {
        range: RANGE,
        first: 2,
        orderBy: { field: 'NAME', direction: 'DESC' },
        after: cursor,
      });
      expect(errorOf(sameFieldOtherDirection)).toMatchObject({ code: 'BAD_USER_INPUT' });
    });

    it.each([
      ['garbage', 'not-a-cursor'],
      ['base64 of non-JSON', Buffer.from('hello').toString('base64url')],
      [
        'COST cursor with a non-number value',
        Buffer.from('{"f":"COST","d":"DESC","v":"1; DROP","id":"x"}').toString('base64url'),
      ],
    ])('rejects a %s cursor', async (_name, after) => {
      const error = errorOf(await run(orgA, LIST, { range: RANGE, first: 2, after }));
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/^after\b/);
    });
  });

  it('counts a corrected day once, at its new cost', async () => {
    // res-03: 7.00 on the 11th; on the 12th +10, -10, +12 -> 7 + 12 = 19 (not 7 + 10 + 12 = 29)
    const page = await list({ filter: { providers: ['AZURE'] } });
    expect(page.edges.map((e) => e.node.cost)).toEqual([19]);
    expect(page.totalCost).toBe(19);
    // The corrected day alone: 12
    const day = await run(orgA, LIST, {
      range: { start: '2024-03-12', end: '2024-03-12' },
      filter: { providers: ['AZURE'] },
    });
    expect(dataOf<{ expenses: Connection }>(day).expenses.edges.map((e) => e.node.cost)).toEqual([12]);
  });

  it('drops a fully cancelled resource-day from the list and the count', async () => {
    // res-08 had only +5 / -5 on the 11th.
    const day = dataOf<{ expenses: Connection }>(
      await run(orgA, LIST, {
        range: { start: '2024-03-11', end: '2024-03-11' },
        filter: { services: ['AmazonEC2'] },
      }),
    ).expenses;
    expect(ids(day)).toEqual(['res-01']);
    expect(day.totalCount).toBe(1);
    expect(day.totalCost).toBe(10.5);
    expect(ids(await list({ filter: { nameContains: 'ghost' } }))).toEqual([]);
  });

  it('gives lastExpense as the newest day up to the range end', async () => {
    const page = await list({});
    const last = Object.fromEntries(page.edges.map((e) => [e.node.resourceId, e.node.lastExpense]));
    expect(last).toEqual({
      'res-01': { date: '2024-03-12', cost: 10.5 }, // 100 on the 13th is after the range
      'res-02': { date: '2024-03-12', cost: 2.25 },
      'res-03': { date: '2024-03-12', cost: 12 }, // the corrected value
      'res-04': { date: '2024-03-11', cost: 0.2 },
      'res-05': { date: '2024-03-12', cost: 25 },
      'res-07': { date: '2024-03-11', cost: 4.5 },
    });
    // Range ending on the 10th: res-01's newest day is the 10th.
    const early = await run(orgA, LIST, {
      range: { start: '2024-03-10', end: '2024-03-10' },
      filter: { services: ['AmazonEC2'] },
    });
    const [edge] = dataOf<{ expenses: Connection }>(early).expenses.edges;
    expect(edge?.node.lastExpense).toEqual({ date: '2024-03-10', cost: 10.5 });
  });

  it('gives each row one cost per day of the range (0 where nothing was spent), adding up to its cost', async () => {
    const DAILY = /* GraphQL */ `
      query ($range: DateRangeInput!) {
        expenses(range: $range) {
          edges {
            node {
              resourceId
              cost
              daily {
                date
                cost
              }
            }
          }
        }
      }
    `;
    type Row = { resourceId: string; cost: number; daily: { date: string; cost: number }[] };
    const edges = dataOf<{ expenses: { edges: { node: Row }[] } }>(await run(orgA, DAILY, { range: RANGE }))
      .expenses.edges;
    const daily = Object.fromEntries(edges.map((e) => [e.node.resourceId, e.node.daily.map((d) => d.cost)]));
    expect(daily).toEqual({
      'res-01': [10.5, 10.5, 10.5], // not the 100s on the 9th and 13th
      'res-02': [2.25, 0, 2.25],
      'res-03': [0, 7, 12], // the corrected value
      'res-04': [0.1, 0.2, 0],
      'res-05': [20, 30, 25],
      'res-07': [0, 4.5, 0],
    });
    for (const { node } of edges) {
      expect(node.daily.map((d) => d.date)).toEqual(['2024-03-10', '2024-03-11', '2024-03-12']);
      expect(node.daily.reduce((sum, d) => sum + d.cost, 0)).toBeCloseTo(node.cost, 9);
    }
  });

  it('gives k8sCosts for the cluster row only, summed over the range', async () => {
    const page = await list({});
    for (const edge of page.edges) {
      if (edge.node.resourceId !== 'res-05') expect(edge.node.k8sCosts).toBeNull();
    }
    const cluster = page.edges.find((e) => e.node.resourceId === 'res-05')?.node;
    // The 10th + 11th + 12th; network unknown on the 12th -> null.
    expect(cluster?.k8sCosts).toEqual({
      cpu: 30, // 8 + 12 + 10
      ram: 22, // 6 + 9 + 7
      gpu: 3, // 0 + 2 + 1
      nodeUnsplit: 0,
      storage: 8, // 2 + 3 + 3
      network: null,
      loadBalancer: 2.5, // 1 + 0.5 + 1
      management: 7, // 2 + 2 + 3
      idle: 9, // 3 + 4 + 2
      total: 75, // 20 + 30 + 25
    });
  });

  it('gives k8s network when every day of the range has it', async () => {
    const result = await run(orgA, LIST, {
      range: { start: '2024-03-10', end: '2024-03-11' },
      filter: { providers: ['KUBERNETES'] },
    });
    const [edge] = dataOf<{ expenses: Connection }>(result).expenses.edges;
    expect(edge?.node.cost).toBe(50); // 20 + 30
    expect(edge?.node.k8sCosts).toEqual({
      cpu: 20, // 8 + 12
      ram: 15, // 6 + 9
      gpu: 2,
      nodeUnsplit: 0,
      storage: 5, // 2 + 3
      network: 2.5, // 1 + 1.5
      loadBalancer: 1.5, // 1 + 0.5
      management: 4, // 2 + 2
      idle: 7, // 3 + 4
      total: 50,
    });
  });

  it('adds money exactly: 0.1 + 0.2 over two days is 0.3', async () => {
    const page = await list({ filter: { providers: ['GCP'] } });
    expect(page.edges.map((e) => e.node.cost)).toEqual([0.3]);
    expect(page.totalCost).toBe(0.3);
  });

  it("never shows another organization's rows", async () => {
    const pageB = await list({}, orgB);
    expect(ids(pageB)).toEqual(['res-b1']);
    expect(pageB.totalCost).toBe(3000); // 3 x 1000
  });

  describe('query count', () => {
    let orgC: string;

    beforeAll(async () => {
      // 120 resources, one per account in turn (AWS, AZURE, GCP, KUBERNETES), resource i costing
      // i + 1 on 2024-03-11; every 4th one is a cluster with a breakdown row of the same total.
      const fx = new Fixtures(core);
      orgC = await fx.organization('Org C');
      const accounts = [
        await fx.account(orgC, { name: 'C AWS', type: 'AWS' }),
        await fx.account(orgC, { name: 'C AZURE', type: 'AZURE' }),
        await fx.account(orgC, { name: 'C GCP', type: 'GCP' }),
        await fx.account(orgC, { name: 'C K8S', type: 'KUBERNETES' }),
      ];
      const resources: ResourceRecord[] = [];
      for (let a = 0; a < 4; a++) {
        const specs = [];
        for (let i = a; i < 120; i += 4)
          specs.push({ id: `c-${String(i).padStart(3, '0')}`, name: `res ${i}` });
        resources.push(...(await fx.resources(accounts[a] as CloudAccount, specs)));
      }
      const expenses: ExpenseRecord[] = [];
      const breakdown: K8sBreakdownRecord[] = [];
      for (const r of resources) {
        const cost = Number(r.id.slice(2)) + 1;
        expenses.push({
          cloudAccountId: r.cloudAccountId,
          resourceId: r.id,
          date: '2024-03-11',
          cost,
          sign: 1,
        });
        if (r.cloudAccountId === accounts[3]?.id)
          breakdown.push(k8sRecord(r, '2024-03-11', { cpu: cost, total: cost }));
      }
      await fx.expenseRows(expenses);
      await fx.k8sRows(breakdown);
    });

    it('is the same small number for a page of 10 and a page of 100', async () => {
      const counted = async (first: number) =>
        countQueries(
          core,
          async () =>
            dataOf<{ expenses: Connection }>(await run(orgC, LIST, { range: RANGE, first })).expenses,
        );
      const ten = await counted(10);
      const hundred = await counted(100);
      // Sanity: the pages are what was asked, with every per-row field filled in.
      expect(ten.result.totalCount).toBe(120);
      // 1 + 2 + ... + 120 = 120 x 121 / 2 = 7260
      expect(ten.result.totalCost).toBe(7260);
      expect(ten.result.edges).toHaveLength(10);
      expect(hundred.result.edges).toHaveLength(100);
      // Biggest first: c-119 (a cluster, 119 % 4 = 3) costs 120.
      const top = hundred.result.edges[0]?.node;
      expect(top).toMatchObject({
        resourceId: 'c-119',
        cost: 120,
        cloudAccount: { name: 'C K8S', type: 'KUBERNETES' },
        lastExpense: { date: '2024-03-11', cost: 120 },
      });
      expect(top?.k8sCosts).toMatchObject({ cpu: 120, total: 120 });
      const clusterRows = hundred.result.edges.filter((e) => e.node.k8sCosts !== null);
      // c-020 .. c-119 are on the page; clusters among them: 23, 27, ..., 119 -> 25 rows
      expect(clusterRows).toHaveLength(25);
      for (const e of hundred.result.edges) expect(e.node.lastExpense?.cost).toBe(e.node.cost);

      // list + cloud accounts + last expenses + k8s costs
      expect(ten.queries).toBe(hundred.queries);
      expect(hundred.queries).toBeLessThanOrEqual(4);
    });
  });
});
