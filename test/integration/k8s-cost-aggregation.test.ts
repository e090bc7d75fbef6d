import { isRetryable } from '../../src/errors';
import { createTestCore } from '../support/test-core';
import { Fixtures } from '../support/fixtures';
import {
  CLUSTER_A,
  CLUSTER_B,
  startK8sDayPrometheus,
  type K8sDayPrometheus,
} from '../support/k8s-day-fixture';
import type { Core } from '../../src/main';
import type { CloudAccount } from '../../src/domain/model';
import { addDays, formatDay } from '../../src/domain/days';
import { ClickHouseCloudAccountRepository } from '../../src/store/cloud-account.repository';
import { ClickHouseExpenseWriter } from '../../src/store/expense.writer';
import { ClickHouseK8sCostRepository } from '../../src/store/k8s-cost.repository';
import { ClickHouseReconciliationStore } from '../../src/store/reconciliation.store';
import { ClickHouseAllocationStore } from '../../src/store/k8s-allocation.store';
import { PrometheusHttpMetricsSource } from '../../src/k8s-cost/prometheus-http.metrics-source';
import { K8sCostCalculator } from '../../src/k8s-cost/k8s-cost.calculator';
import {
  AggregationInputError,
  clusterResourceId,
  K8sCostAggregationService,
} from '../../src/k8s-cost/k8s-cost-aggregation.service';

// The fixture day (test/support/k8s-day-fixture.ts) in a real Prometheus, every series with an
// HA twin; figures by hand, 5-minute steps (288 a day), every sample at hh:mm:30.
//
// Cluster A:
//   cpu   ip-10-0-1-17 m5.xlarge   4 vCPU x $0.031611 x 24 h = $3.034656
//         ip-10-0-2-33 m5.2xlarge  8 vCPU x $0.031611 x  6 h = $1.517328   (10:00 .. 16:00: 72 steps)
//         ip-10-0-3-51 spot        4 vCPU x $0.0095   x 24 h = $0.912
//         ip-10-0-4-90 has no capacity series: not split            = $0
//                                                          cpu = $5.463984
//   ram   ip-10-0-1-17  16 GiB x $0.004237 x 24 h = $1.627008
//         ip-10-0-2-33  32 GiB x $0.004237 x  6 h = $0.813504
//         ip-10-0-3-51  16 GiB x $0.0013   x 24 h = $0.4992
//                                                          ram = $2.939712
//   gpu   ip-10-0-3-51  1 GPU x $0.158 x 24 h (ip-10-0-1-17: 0 GPUs) = $3.792
//   nodeUnsplit  ip-10-0-4-90  $0.096/h x 12 h (00:00 .. 12:00)    = $1.152
//   storage  pvc-1 100 GiB x $0.000137 x 24 h = $0.3288
//            pvc-2  50 GiB x $0.00011  x 12 h = $0.066             = $0.3948
//   network  counters grow per minute for 1440 minutes (reset at noon, which increase() undoes):
//            internet 16 MiB x 1440 = 22.5 GiB x $0.09 = $2.025
//            region    8 MiB x 1440 = 11.25 GiB x $0.02 = $0.225
//            zone      4 MiB x 1440 = 5.625 GiB x $0.01 = $0.05625
//            same zone 32 MiB x 1440 = 45 GiB, free      = $0
//                                                      network = $2.30625
//   loadBalancer  ingress-nginx $0.025 x 24 h = $0.6; shop/api-lb deleted at noon $0.025 x 12 h = $0.3
//                                                                  = $0.9
//   management  $0.10 x 24 h = $2.4
//   total = 5.463984 + 2.939712 + 3.792 + 1.152 + 0.3948 + 2.30625 + 0.9 + 2.4 = $19.348746
//   idle  ip-10-0-1-17  node 3.034656 + 1.627008 = $4.661664
//                       claimed: api 2 cores x 0.031611 x 24 = 1.517328, 8 GiB x 0.004237 x 24 = 0.813504,
//                                worker 1 core x 0.031611 x 12 = 0.379332, 2 GiB x 0.004237 x 12 = 0.101688
//                                = $2.811852                       idle = $1.849812
//         ip-10-0-2-33  node 1.517328 + 0.813504 = $2.330832; claimed 8 cores x 0.031611 x 6 = 1.517328
//                       + 40 GiB x 0.004237 x 6 = 1.01688 = $2.534208 (more than the node): idle = $0
//         ip-10-0-3-51  node 0.912 + 0.4992 + 3.792 = $5.2032; claimed 2 x 0.0095 x 24 = 0.456
//                       + 4 GiB x 0.0013 x 24 = 0.1248 + 1 GPU x 0.158 x 24 = 3.792 = $4.3728: idle = $0.8304
//         ip-10-0-4-90  unsplit, its cron container claims nothing                  idle = $0
//                                                         idle = 1.849812 + 0.8304 = $2.680212
// Cluster B (a node with the same NAME as A's, other prices; no counters, volumes, balancers):
//   cpu 2 vCPU x $0.021811 x 24 h = $1.046928; ram 8 GiB x $0.002923 x 24 h = $0.561216;
//   management $0.10 x 24 h = $2.4; network unknown (null); idle = the whole node $1.608144
//   total = 1.046928 + 0.561216 + 2.4 = $4.008144

const A_DAY = {
  cpu: 5.463984,
  ram: 2.939712,
  gpu: 3.792,
  nodeUnsplit: 1.152,
  storage: 0.3948,
  network: 2.30625,
  loadBalancer: 0.9,
  management: 2.4,
  idle: 2.680212,
  total: 19.348746,
};
const B_DAY = {
  cpu: 1.046928,
  ram: 0.561216,
  gpu: 0,
  nodeUnsplit: 0,
  storage: 0,
  network: null,
  loadBalancer: 0,
  management: 2.4,
  idle: 1.608144,
  total: 4.008144,
};

/** Every figure to 1e-8 $ (the service keeps 1e-9). */
function expectCosts(actual: Record<string, number | null>, expected: Record<string, number | null>): void {
  for (const [key, value] of Object.entries(expected)) {
    if (value === null) expect({ [key]: actual[key] }).toEqual({ [key]: null });
    else expect({ [key]: actual[key] }).toEqual({ [key]: expect.closeTo(value, 8) });
  }
}

let fixture: K8sDayPrometheus;

beforeAll(async () => {
  fixture = await startK8sDayPrometheus();
}, 120_000);

afterAll(async () => fixture?.dispose());

/** A service on the core's store whose clock reads `now` (the core's own reads the real clock). */
function serviceAt(core: Core, now: Date): K8sCostAggregationService {
  return new K8sCostAggregationService({
    accounts: new ClickHouseCloudAccountRepository(core.db),
    days: new ClickHouseK8sCostRepository(core.db),
    writer: new ClickHouseExpenseWriter(core.db),
    reconciliation: new ClickHouseReconciliationStore(core.db),
    allocations: new ClickHouseAllocationStore(core.db),
    calculator: new K8sCostCalculator(
      new PrometheusHttpMetricsSource({
        url: fixture.prometheus.url,
        backend: 'prometheus',
        tenantHeader: 'THANOS-TENANT',
        timeoutMs: 30_000,
      }),
      { stepSeconds: 300 },
    ),
    now: () => now,
  });
}

describe('K8sCostAggregationService on a real Prometheus day', () => {
  let core: Core & { dispose(): Promise<void> };
  let fixtures: Fixtures;
  let org: string;
  let day: string;

  const rows = (table: 'expenses' | 'k8s_cost_breakdown', cluster: string) =>
    core.db.query<{ cost: number; sign: number; provisional?: number }>(
      `SELECT ${table === 'expenses' ? 'cost' : 'total_cost AS cost, provisional'}, sign
       FROM {db:Identifier}.${table}
       WHERE cloud_account_id = {cluster:String} AND date = {date:DateTime('UTC')}
       ORDER BY sign DESC, cost`,
      { cluster, date: `${day} 00:00:00` },
    );

  const daily = async (cluster: string) =>
    (await core.services.k8sClusters.dailyCosts(org, [cluster], { start: day, end: day })).get(cluster) ?? [];

  beforeAll(async () => {
    day = fixture.day;
    core = await createTestCore({ METRICS_QUERY_URL: fixture.prometheus.url });
    fixtures = new Fixtures(core);
    // Pairs stay on disk as written, so row counts below are what the service wrote.
    await fixtures.holdMerges();
    org = await fixtures.organization('Aggregation Org');
    await fixtures.account(org, {
      id: CLUSTER_A,
      name: 'prod-eks',
      type: 'KUBERNETES',
      k8sProvider: 'AWS',
      region: 'us-east-1',
      owner: 'platform-team',
      version: '1.29',
    });
    await fixtures.account(org, { id: CLUSTER_B, name: 'ml-gke', type: 'KUBERNETES', k8sProvider: 'GCP' });
  }, 120_000);

  afterAll(async () => core?.dispose());

  it('computes cluster A by hand: integrated hours, HA twins once, unsplit node, idle as a part', async () => {
    const result = await core.k8sCostAggregation.aggregateDay(CLUSTER_A, day, { provisional: false });
    expect(result.written).toBe('new');
    expect(result.provisional).toBe(false);
    expectCosts({ ...result.breakdown }, A_DAY);
    // The stored day reads back the same through the cluster's daily costs.
    const [stored] = await daily(CLUSTER_A);
    expect(stored?.date).toBe(day);
    expect(stored?.provisional).toBe(false);
    expectCosts({ ...stored?.costs }, A_DAY);
  });

  it('splits cluster A over its workloads, adding up to its total; the overcommitted job costs its node', async () => {
    const report = (by: 'NAMESPACE' | 'NODE') =>
      core.services.allocation.report(org, {
        range: { start: day, end: day },
        by,
        clusterIds: [CLUSTER_A],
        idle: 'SEPARATE',
      });
    const namespaces = await report('NAMESPACE');
    expect(namespaces.total).toBeCloseTo(19.348746, 6);
    const t = Object.fromEntries(namespaces.items.map((i) => [i.key, i.total]));
    // batch/run claims 8 cores and 40 GiB on ip-10-0-2-33 (8 vCPU, 32 GiB) for 6 h: charged the
    // node's whole cpu + ram, 1.517328 + 0.813504, never more.
    expect(t.batch).toBeCloseTo(2.330832, 6);
    // misc/cron runs on ip-10-0-4-90, which has no capacity series: nothing can be priced for it;
    // that node's $0.096/h x 12 h is idle (the pod still shows, at $0).
    expect(t.misc).toBe(0);
    expect(t.__overhead__).toBeCloseTo(2.4, 6); // $0.10/h EKS fee
    const nodes = await report('NODE');
    expect(nodes.items.find((i) => i.key === 'ip-10-0-2-33')?.total).toBeCloseTo(2.330832, 6);
  });

  it('writes the cluster as a virtual resource with one expenses row beside the breakdown', async () => {
    const resourceId = clusterResourceId(CLUSTER_A);
    const [resource] = await core.db.query<Record<string, unknown>>(
      `SELECT name, resource_type, service, region, owner, cloud_resource_id, tags,
              toString(toDate(first_seen)) AS first_seen, toString(toDate(last_seen)) AS last_seen
       FROM {db:Identifier}.resources FINAL WHERE id = {id:String}`,
      { id: resourceId },
    );
    expect(resource).toEqual({
      name: 'prod-eks',
      resource_type: 'K8s Cluster',
      service: 'Kubernetes',
      region: 'us-east-1',
      owner: 'platform-team',
      cloud_resource_id: CLUSTER_A,
      tags: { k8s_provider: 'AWS', k8s_version: '1.29' },
      first_seen: day,
      last_seen: day,
    });
    const page = await core.services.expenses.list(org, {
      range: { start: day, end: day },
      filter: { cloudAccountIds: [CLUSTER_A] },
    });
    expect(page.rows.map((row) => [row.resourceId, row.resourceType, row.provider])).toEqual([
      [resourceId, 'K8s Cluster', 'KUBERNETES'],
    ]);
    expect(page.totalCost).toBeCloseTo(19.348746, 8);
  });

  it('three more runs of the day write nothing: one day of cost, one row in each table', async () => {
    for (let i = 0; i < 3; i++) {
      const result = await core.k8sCostAggregation.aggregateDay(CLUSTER_A, day, { provisional: false });
      expect(result.written).toBe('none');
      expectCosts({ ...result.breakdown }, A_DAY);
    }
    expect(await rows('expenses', CLUSTER_A)).toEqual([{ cost: 19.348746, sign: 1 }]);
    expect(await rows('k8s_cost_breakdown', CLUSTER_A)).toEqual([
      { cost: 19.348746, sign: 1, provisional: 0 },
    ]);
    const page = await core.services.expenses.list(org, { range: { start: day, end: day } });
    expect(page.totalCost).toBeCloseTo(19.348746, 8);
  });

  it('cluster B: its own numbers (same node name as A), network unknown without byte counters', async () => {
    // Three concurrent runs of a fresh day: exactly one writes it.
    const results = await Promise.all(
      [1, 2, 3].map(() => core.k8sCostAggregation.aggregateDay(CLUSTER_B, day, { provisional: false })),
    );
    expect(results.map((r) => r.written).sort()).toEqual(['new', 'none', 'none']);
    for (const result of results) expectCosts({ ...result.breakdown }, B_DAY);
    expect(await rows('expenses', CLUSTER_B)).toEqual([{ cost: 4.008144, sign: 1 }]);
    expect(await rows('k8s_cost_breakdown', CLUSTER_B)).toHaveLength(1);
    const [stored] = await daily(CLUSTER_B);
    expect(stored?.costs.network).toBeNull();
    expectCosts({ ...stored?.costs }, B_DAY);
    // A's day is untouched by B's run, and re-running A after B changes nothing.
    expect((await core.k8sCostAggregation.aggregateDay(CLUSTER_A, day, { provisional: false })).written).toBe(
      'none',
    );
    expect(await rows('expenses', CLUSTER_A)).toHaveLength(1);
  });

  it('a day without any metrics writes nothing (no zero day, no resource change)', async () => {
    // Three days before the fixture day: no series at all in (00:00, 24:00].
    const empty = addDays(day, -3);
    const result = await core.k8sCostAggregation.aggregateDay(CLUSTER_A, empty, { provisional: false });
    expect(result).toMatchObject({ written: 'none', hasData: false });
    const [counts] = await core.db.query<{ n: string }>(
      `SELECT count() AS n FROM {db:Identifier}.expenses WHERE date = {date:DateTime('UTC')}`,
      { date: `${empty} 00:00:00` },
    );
    expect(Number(counts?.n)).toBe(0);
  });
});

describe('provisional to final on a day not yet stored', () => {
  let core: Core & { dispose(): Promise<void> };
  let fixtures: Fixtures;
  let account: CloudAccount;
  let day: string;

  beforeAll(async () => {
    day = fixture.day;
    core = await createTestCore({ METRICS_QUERY_URL: fixture.prometheus.url });
    fixtures = new Fixtures(core);
    await fixtures.holdMerges();
    const org = await fixtures.organization('Provisional Org');
    account = await fixtures.account(org, { id: CLUSTER_B, name: 'ml-gke', type: 'KUBERNETES' });
  }, 120_000);

  afterAll(async () => core?.dispose());

  it('marks the running day provisional, then replaces it with the final figures', async () => {
    const at = (iso: string) => serviceAt(core, new Date(iso));
    // At 15:02 the window is (00:00, 15:00], 180 steps = 15 h:
    //   cpu 2 vCPU x $0.021811 x 15 h = $0.65433; ram 8 GiB x $0.002923 x 15 h = $0.35076;
    //   management $0.10 x 15 h = $1.5; total = $2.50509; idle = the node = $1.00509
    const running = await at(`${day}T15:02:00Z`).aggregateDay(account.id, day, { provisional: true });
    expect(running).toMatchObject({ written: 'new', provisional: true });
    expectCosts(
      { ...running.breakdown },
      {
        cpu: 0.65433,
        ram: 0.35076,
        management: 1.5,
        network: null,
        idle: 1.00509,
        total: 2.50509,
      },
    );
    // A final run before the day has ended is refused (not retryable).
    await expect(
      at(`${day}T23:00:00Z`).aggregateDay(account.id, day, { provisional: false }),
    ).rejects.toMatchObject({
      code: 'BAD_DAY',
    });
    // The next day: final, through a -1/+1 pair in both tables.
    const final = await at(`${addDays(day, 1)}T03:00:00Z`).aggregateDay(account.id, day, {
      provisional: false,
    });
    expect(final).toMatchObject({ written: 'correction', provisional: false });
    expectCosts({ ...final.breakdown }, B_DAY);
    const expenses = await core.db.query<{ cost: number; sign: number }>(
      `SELECT cost, sign FROM {db:Identifier}.expenses WHERE cloud_account_id = {id:String} ORDER BY sign, cost`,
      { id: account.id },
    );
    expect(expenses).toEqual([
      { cost: 2.50509, sign: -1 },
      { cost: 2.50509, sign: 1 },
      { cost: 4.008144, sign: 1 },
    ]);
    const breakdowns = await core.db.query<{ total_cost: number; provisional: number; sign: number }>(
      `SELECT total_cost, provisional, sign FROM {db:Identifier}.k8s_cost_breakdown
       WHERE cloud_account_id = {id:String} ORDER BY sign, total_cost`,
      { id: account.id },
    );
    expect(breakdowns).toEqual([
      { total_cost: 2.50509, provisional: 1, sign: -1 },
      { total_cost: 2.50509, provisional: 1, sign: 1 },
      { total_cost: 4.008144, provisional: 0, sign: 1 },
    ]);
    // An hourly provisional job that ran late changes nothing once the day is final.
    const late = await at(`${day}T16:00:00Z`).aggregateDay(account.id, day, { provisional: true });
    expect(late).toMatchObject({ written: 'none', provisional: false });
    const days = await core.services.k8sClusters.dailyCosts(account.organizationId, [account.id], {
      start: day,
      end: day,
    });
    expect(days.get(account.id)).toEqual([
      {
        date: day,
        provisional: false,
        costs: expect.objectContaining({ total: expect.closeTo(4.008144, 8) }),
      },
    ]);
  });
});

describe('inputs a retry cannot fix', () => {
  let core: Core & { dispose(): Promise<void> };
  let org: string;

  beforeAll(async () => {
    // No metrics backend is reached: every case fails before the first query.
    core = await createTestCore({ METRICS_QUERY_URL: 'http://127.0.0.1:9' });
    const fixtures = new Fixtures(core);
    org = await fixtures.organization('Inputs Org');
    await fixtures.account(org, { id: 'aws-1', name: 'aws', type: 'AWS' });
    await fixtures.account(org, { id: 'gone', name: 'gone', type: 'KUBERNETES', deleted: true });
  });

  afterAll(async () => core?.dispose());

  it.each([
    ['an unknown cluster', 'no-such-cluster', '2024-03-01', 'UNKNOWN_CLUSTER'],
    ['a deleted cluster', 'gone', '2024-03-01', 'UNKNOWN_CLUSTER'],
    ['an id that cannot be a tenant', 'a"} or vector(1) #', '2024-03-01', 'UNKNOWN_CLUSTER'],
    ['an account that is not a cluster', 'aws-1', '2024-03-01', 'NOT_A_CLUSTER'],
    ['a day that does not exist', 'aws-1', '2024-02-30', 'BAD_DAY'],
    ['a day in the future', 'aws-1', addDays(formatDay(new Date()), 2), 'BAD_DAY'],
    ['a final run of today', 'aws-1', formatDay(new Date()), 'BAD_DAY'],
  ])('%s fails once, not retryable', async (_, cluster, day, code) => {
    const error = await core.k8sCostAggregation.aggregateDay(cluster, day, { provisional: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AggregationInputError);
    expect(error).toMatchObject({ code, retryable: false });
    expect(isRetryable(error)).toBe(false);
  });
});

describe('a day written twice by racing processes', () => {
  let core: Core & { dispose(): Promise<void> };
  let day: string;

  beforeAll(async () => {
    day = fixture.day;
    core = await createTestCore({ METRICS_QUERY_URL: fixture.prometheus.url });
    const fixtures = new Fixtures(core);
    await fixtures.holdMerges();
    const org = await fixtures.organization('Race Org');
    await fixtures.account(org, { id: CLUSTER_B, name: 'ml-gke', type: 'KUBERNETES' });
    // Two workers that both got past the job-id guard: each wrote the day as new (one insert each;
    // identical rows in ONE insert would be collapsed by ClickHouse on insert).
    const resourceId = clusterResourceId(CLUSTER_B);
    const base = { cloudAccountId: CLUSTER_B, resourceId, date: day };
    const breakdown = { ...base, ...B_DAY, provisional: false, sign: 1 as const };
    for (let worker = 0; worker < 2; worker++) {
      await fixtures.expenseRows([{ ...base, cost: 4.008144, sign: 1 }]);
      await fixtures.k8sRows([breakdown]);
    }
  });

  afterAll(async () => core?.dispose());

  it('the next run cancels both and writes the day once', async () => {
    const result = await core.k8sCostAggregation.aggregateDay(CLUSTER_B, day, { provisional: false });
    expect(result.written).toBe('correction');
    for (const table of ['expenses', 'k8s_cost_breakdown']) {
      const [net] = await core.db.query<{ rows: string; net: string; cost: number }>(
        `SELECT count() AS rows, sum(sign) AS net, sum(${table === 'expenses' ? 'cost' : 'total_cost'} * sign) AS cost
         FROM {db:Identifier}.${table} WHERE cloud_account_id = {id:String}`,
        { id: CLUSTER_B },
      );
      // +1 +1 (the race), -1 -1 +1 (the repair): one day of $4.008144.
      expect({ table, rows: Number(net?.rows), net: Number(net?.net) }).toEqual({ table, rows: 5, net: 1 });
      expect(net?.cost).toBeCloseTo(4.008144, 8);
    }
    expect((await core.k8sCostAggregation.aggregateDay(CLUSTER_B, day, { provisional: false })).written).toBe(
      'none',
    );
  });
});
