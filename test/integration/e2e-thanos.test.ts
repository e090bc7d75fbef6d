import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestCore } from '../support/test-core';
import { PrometheusProcess, senderConfig } from '../support/prometheus';
import { ensureTestRedis, eventually, randomPrefix, removePrefix, TEST_REDIS_URL } from '../support/redis';
import { composeThanosVersion, ThanosStack } from '../support/thanos';
import {
  awayFromMidnight,
  expectedCosts,
  startOpenCostExporter,
  STEP_SECONDS,
} from '../support/opencost-exporter';
import { postGraphQL } from '../support/http-graphql';
import { startServer, type RunningServer } from '../../src/main';
import { formatDay } from '../../src/domain/days';

// The brief's metrics path through real Thanos, started with docker-compose.yml's own flags
// (test/support/thanos.ts reads them from the compose file): two organizations, one cluster each,
// each scraped by its own Prometheus (the customer's) that remote_writes to the service with its
// cluster's credentials; the service sets THANOS-TENANT to the cluster, thanos receive stores
// one tenant per cluster, thanos query (tenancy enforced) answers the daily job, and GraphQL
// shows each organization its cluster's dollars, hand-computed from the samples Thanos holds.

interface Org {
  token: string;
  clusterId: string;
  secret: string;
  sender?: PrometheusProcess;
}

describe('end to end through Thanos (receive, store, query as docker-compose.yml runs them)', () => {
  const prefix = randomPrefix();
  let exporter: http.Server;
  let thanos: ThanosStack;
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let server: RunningServer;
  const orgs: Org[] = [];

  const graphql = <T>(org: Org, query: string, variables: Record<string, unknown> = {}) =>
    postGraphQL<T>(server.url, org.token, query, variables);

  beforeAll(async () => {
    ensureTestRedis();
    await awayFromMidnight(150_000);
    exporter = await startOpenCostExporter();
    thanos = await ThanosStack.start();
    core = await createTestCore({
      // As docker-compose.yml sets them for the service (x-cloudtuner environment).
      ...thanos.serviceEnv(),
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      K8S_INTEGRATION_STEP_SECONDS: String(STEP_SECONDS),
    });
    server = await startServer(core, { role: 'all' });
    for (const name of ['Thanos A', 'Thanos B']) {
      const { token } = await core.organizations.create(name);
      const org: Org = { token, clusterId: '', secret: '' };
      const { registerK8sCluster } = await graphql<{
        registerK8sCluster: { cluster: { id: string }; secret: string };
      }>(
        org,
        `mutation { registerK8sCluster(input: { name: "${name}-eks", provider: "AWS" }) { cluster { id } secret } }`,
      );
      org.clusterId = registerK8sCluster.cluster.id;
      org.secret = registerK8sCluster.secret;
      orgs.push(org);
    }
  }, 180_000);

  afterAll(async () => {
    for (const org of orgs) await org.sender?.dispose().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await core?.dispose().catch(() => undefined);
    await thanos?.dispose().catch(() => undefined);
    await new Promise((resolve) => exporter?.close(resolve));
    await removePrefix(prefix);
  }, 60_000);

  it('runs Thanos with the compose file flags: the pinned version, tenant header and enforced tenancy', () => {
    expect(composeThanosVersion()).toBe('v0.39.2');
    expect(thanos.flags.receive).toEqual(
      expect.arrayContaining([
        '--receive.tenant-header=THANOS-TENANT',
        '--receive.default-tenant-id=no-tenant',
      ]),
    );
    expect(thanos.flags.query).toEqual(
      expect.arrayContaining([
        '--query.tenant-header=THANOS-TENANT',
        '--query.tenant-label-name=tenant_id',
        '--query.enforce-tenancy',
        '--query.replica-label=receive_replica',
      ]),
    );
  });

  it("computes each organization's cluster-day from its own tenant only, in dollars by hand", async () => {
    const { port } = exporter.address() as AddressInfo;
    for (const org of orgs) {
      org.sender = await PrometheusProcess.start({
        remoteWriteReceiver: false,
        config: senderConfig({
          targetPort: port,
          writeUrl: `${server.url}/api/v1/write`,
          clusterId: org.clusterId,
          secret: org.secret,
          remoteWrite: ['metadata_config:', '  send: false'],
        }),
      });
    }
    // Each tenant's samples, as its own header sees them in thanos query.
    const count = async (org: Org) =>
      Number(
        (await thanos.instant(org.clusterId, 'count_over_time(kubecost_cluster_management_cost[1h])'))[0]
          ?.value?.[1] ?? 0,
      );
    for (const org of orgs) {
      await eventually(
        async () => ((await count(org)) >= 25 ? true : undefined),
        120_000,
        '25 scrapes in Thanos',
        1_000,
      );
    }
    for (const org of orgs) await org.sender?.stop();
    for (const org of orgs) {
      let last = -1;
      await eventually(
        async () => {
          const now = await count(org);
          const settled = now === last;
          last = now;
          return settled ? true : undefined;
        },
        30_000,
        'Thanos to stop growing',
        2_000,
      );
    }

    // Tenancy: a query with no tenant matcher at all sees only the header's tenant.
    for (const org of orgs) {
      const series = await thanos.instant(org.clusterId, 'kubecost_cluster_management_cost');
      expect(series.map((s) => s.metric.tenant_id)).toEqual([org.clusterId]);
      expect(series.map((s) => s.metric.cloud_account_id)).toEqual([org.clusterId]);
      // The replica label was deduplicated away, as compose's query is told to.
      expect(series[0]?.metric.receive_replica).toBeUndefined();
    }
    expect(await thanos.instant('some-other-tenant', 'kubecost_cluster_management_cost')).toEqual([]);

    let today = '';
    const expected = new Map<string, Record<string, number | null>>();
    let lastPoint = 0;
    for (const org of orgs) {
      const [raw] = await thanos.instant(org.clusterId, 'kubecost_cluster_management_cost[1h]');
      const times = (raw?.values ?? []).map(([ts]) => Math.round(ts * 1000));
      const stepMs = STEP_SECONDS * 1000;
      const points = new Set(times.map((ms) => Math.ceil(ms / stepMs) * stepMs));
      today = formatDay(new Date(times[0] as number));
      lastPoint = Math.max(lastPoint, ...points);
      expected.set(org.clusterId, expectedCosts(points.size));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastPoint + 500 - Date.now())));

    for (const org of orgs) {
      const { aggregateK8sCosts } = await graphql<{ aggregateK8sCosts: { id: string }[] }>(
        org,
        'mutation ($range: DateRangeInput!) { aggregateK8sCosts(input: { range: $range }) { id } }',
        { range: { start: today, end: today } },
      );
      expect(aggregateK8sCosts).toHaveLength(1);
      const run = await eventually(
        async () => {
          const { aggregationRuns } = await graphql<{
            aggregationRuns: { id: string; state: string; totalCost: number; error: string | null }[];
          }>(org, '{ aggregationRuns(first: 5) { id state totalCost error } }');
          const mine = aggregationRuns.find((r) => r.id === aggregateK8sCosts[0]?.id);
          return mine && (mine.state === 'SUCCEEDED' || mine.state === 'FAILED') ? mine : undefined;
        },
        90_000,
        'the run to finish',
      );
      const want = expected.get(org.clusterId) as Record<string, number | null> & { total: number };
      expect(run).toMatchObject({ state: 'SUCCEEDED', error: null });
      expect(run.totalCost).toBeCloseTo(want.total, 8);

      const { k8sCluster } = await graphql<{ k8sCluster: { costs: Record<string, number | null> } }>(
        org,
        `
          query ($id: ID!, $range: DateRangeInput!) {
            k8sCluster(id: $id) {
              costs(range: $range) {
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
        `,
        { id: org.clusterId, range: { start: today, end: today } },
      );
      for (const [key, value] of Object.entries(want)) {
        if (value === null) expect({ [key]: k8sCluster.costs[key] }).toEqual({ [key]: null });
        else expect({ [key]: k8sCluster.costs[key] }).toEqual({ [key]: expect.closeTo(value, 8) });
      }
    }
    // Neither organization sees the other's cluster.
    const [a, b] = orgs as [Org, Org];
    expect(
      (await graphql<{ k8sCluster: unknown }>(a, `{ k8sCluster(id: "${b.clusterId}") { id } }`)).k8sCluster,
    ).toBeNull();
  });
});
