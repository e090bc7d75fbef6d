import { createTestCore } from '../support/test-core';
import { Fixtures } from '../support/fixtures';
import {
  CLUSTER_A,
  CLUSTER_B,
  LATE_SERIES,
  startK8sDayPrometheus,
  type K8sDayPrometheus,
} from '../support/k8s-day-fixture';
import type { Core } from '../../src/main';
import { MetricsBackendUnavailableError } from '../../src/domain/ports/metrics-source';
import { isRetryable } from '../../src/errors';

// The fixture day (figures worked out in k8s-cost-aggregation.test.ts): cluster A $19.348746,
// cluster B $4.008144. Late samples for A: ip-10-0-5-12 from 20:00 to 22:00 (24 steps = 2 h),
// 2 vCPU x $0.05 x 2 h = $0.2 cpu, 4 GiB x $0.005 x 2 h = $0.04 ram, no containers so all idle:
//   cpu 5.463984 + 0.2 = $5.663984; ram 2.939712 + 0.04 = $2.979712; idle 2.680212 + 0.24 = $2.920212
//   total 19.348746 + 0.24 = $19.588746

describe('late samples and a backend outage', () => {
  let fixture: K8sDayPrometheus;
  let core: Core & { dispose(): Promise<void> };
  let day: string;

  const rows = (table: 'expenses' | 'k8s_cost_breakdown', cluster: string) =>
    core.db.query<{ cost: number; sign: number }>(
      `SELECT ${table === 'expenses' ? 'cost' : 'total_cost AS cost'}, sign FROM {db:Identifier}.${table}
       WHERE cloud_account_id = {cluster:String} AND date = {date:DateTime('UTC')}
       ORDER BY sign, cost`,
      { cluster, date: `${day} 00:00:00` },
    );

  beforeAll(async () => {
    fixture = await startK8sDayPrometheus();
    day = fixture.day;
    core = await createTestCore({ METRICS_QUERY_URL: fixture.prometheus.url });
    const fixtures = new Fixtures(core);
    await fixtures.holdMerges();
    const org = await fixtures.organization('Late Org');
    await fixtures.account(org, { id: CLUSTER_A, name: 'prod-eks', type: 'KUBERNETES' });
    await fixtures.account(org, { id: CLUSTER_B, name: 'ml-gke', type: 'KUBERNETES' });
  }, 120_000);

  afterAll(async () => {
    await core?.dispose();
    await fixture?.dispose();
  });

  it('late samples change the day through exactly one -1/+1 pair in each table', async () => {
    const aggregate = (cluster: string) =>
      core.k8sCostAggregation.aggregateDay(cluster, day, { provisional: false });
    expect((await aggregate(CLUSTER_A)).written).toBe('new');
    expect((await aggregate(CLUSTER_B)).written).toBe('new');

    await fixture.addLate({ [CLUSTER_A]: LATE_SERIES });

    const corrected = await aggregate(CLUSTER_A);
    expect(corrected.written).toBe('correction');
    expect(corrected.breakdown).toMatchObject({
      cpu: expect.closeTo(5.663984, 8),
      ram: expect.closeTo(2.979712, 8),
      idle: expect.closeTo(2.920212, 8),
      total: expect.closeTo(19.588746, 8),
    });
    expect(await rows('expenses', CLUSTER_A)).toEqual([
      { cost: 19.348746, sign: -1 },
      { cost: 19.348746, sign: 1 },
      { cost: 19.588746, sign: 1 },
    ]);
    expect(await rows('k8s_cost_breakdown', CLUSTER_A)).toEqual([
      { cost: 19.348746, sign: -1 },
      { cost: 19.348746, sign: 1 },
      { cost: 19.588746, sign: 1 },
    ]);
    // Again: nothing more. Cluster B never saw A's late data.
    expect((await aggregate(CLUSTER_A)).written).toBe('none');
    const b = await aggregate(CLUSTER_B);
    expect(b.written).toBe('none');
    expect(b.breakdown.total).toBeCloseTo(4.008144, 8);
    expect(await rows('expenses', CLUSTER_B)).toEqual([{ cost: 4.008144, sign: 1 }]);
  });

  it('backend down: a retryable error (its query kept for the log, not in the message), nothing written; back up: the run succeeds', async () => {
    await fixture.prometheus.stop();
    const error = await core.k8sCostAggregation.aggregateDay(CLUSTER_A, day, { provisional: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MetricsBackendUnavailableError);
    const unavailable = error as MetricsBackendUnavailableError;
    expect(unavailable.retryable).toBe(true);
    expect(isRetryable(unavailable)).toBe(true);
    const queries = core.k8sCostAggregation.queries(CLUSTER_A, day).map((q) => q.promql);
    expect(queries).toContain(unavailable.query);
    expect(unavailable.message).not.toContain(unavailable.query); // kept on the error, for the log
    expect(unavailable.message).toMatch(/unreachable/);
    expect(await rows('expenses', CLUSTER_A)).toHaveLength(3);

    await fixture.prometheus.restart();
    const result = await core.k8sCostAggregation.aggregateDay(CLUSTER_A, day, { provisional: false });
    expect(result.written).toBe('none');
    expect(result.breakdown.total).toBeCloseTo(19.588746, 8);
  });
});
