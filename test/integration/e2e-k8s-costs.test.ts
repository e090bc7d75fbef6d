import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestCore } from '../support/test-core';
import { Fixtures } from '../support/fixtures';
import { PrometheusProcess, senderConfig } from '../support/prometheus';
import { ensureTestRedis, eventually, randomPrefix, removePrefix, TEST_REDIS_URL } from '../support/redis';
import { startServer, type RunningServer } from '../../src/main';
import { formatDay } from '../../src/domain/days';
import {
  awayFromMidnight,
  expectedCosts,
  startOpenCostExporter,
  STEP_SECONDS,
} from '../support/opencost-exporter';
import { postGraphQL } from '../support/http-graphql';

// End to end, one cluster: a fixture OpenCost exporter (test/support/opencost-exporter.ts) is scraped every second by a real
// Prometheus (the customer's), which remote_writes with the credentials of a cluster registered
// through GraphQL to the service, which forwards into the backend Prometheus. Then the day's job
// is queued through GraphQL and computes today (provisional) from the backend, and GraphQL shows
// the cluster's cost as a virtual resource beside a cloud row.
//
// Integration step: 10 s (K8S_INTEGRATION_STEP_SECONDS), so half a minute of scraping covers a few
// steps. A step point t charges 10/3600 h for every series with a sample in (t-10 s, t]; the test
// reads the raw sample times back from the backend and counts those points itself, so the
// expected dollars are: price x quantity x points x 10/3600, from the exporter's numbers below.

describe('end to end: exporter -> Prometheus -> remote_write -> service -> backend -> job -> GraphQL', () => {
  const prefix = randomPrefix();
  let exporter: http.Server;
  let backend: PrometheusProcess;
  let sender: PrometheusProcess | undefined;
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let server: RunningServer;
  let token: string;

  const graphql = <T>(query: string, variables: Record<string, unknown> = {}) =>
    postGraphQL<T>(server.url, token, query, variables);

  beforeAll(async () => {
    ensureTestRedis();
    await awayFromMidnight(120_000);
    exporter = await startOpenCostExporter();
    backend = await PrometheusProcess.start();
    core = await createTestCore({
      METRICS_WRITE_URL: backend.writeUrl,
      METRICS_QUERY_URL: backend.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      K8S_INTEGRATION_STEP_SECONDS: String(STEP_SECONDS),
      LOG_LEVEL: 'silent',
    });
    server = await startServer(core, { role: 'all' });
    const created = await core.organizations.create('E2E Org');
    token = created.token;
    // A cloud row beside the cluster: an m5.large at $0.096/h for 24 h today.
    const fixtures = new Fixtures(core);
    const aws = await fixtures.account(created.organization.id, { name: 'aws-main', type: 'AWS' });
    const instance = await fixtures.resource(aws, {
      name: 'web-1',
      resourceType: 'Instance',
      region: 'us-east-1',
    });
    await fixtures.costs(instance, { [formatDay(new Date())]: 2.304 });
  }, 120_000);

  afterAll(async () => {
    await sender?.dispose().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await core?.dispose().catch(() => undefined);
    await backend?.dispose().catch(() => undefined);
    await new Promise((resolve) => exporter?.close(resolve));
    await removePrefix(prefix);
  }, 60_000);

  it('shows the cluster-day computed from scraped OpenCost metrics, beside the cloud rows', async () => {
    const { registerK8sCluster: registration } = await graphql<{
      registerK8sCluster: { cluster: { id: string }; secret: string };
    }>(`
      mutation {
        registerK8sCluster(input: { name: "e2e-eks", provider: "AWS" }) {
          cluster {
            id
          }
          secret
        }
      }
    `);
    const clusterId = registration.cluster.id;
    const { port } = exporter.address() as AddressInfo;
    sender = await PrometheusProcess.start({
      remoteWriteReceiver: false,
      config: senderConfig({
        targetPort: port,
        writeUrl: `${server.url}/api/v1/write`,
        clusterId,
        secret: registration.secret,
        remoteWrite: ['metadata_config:', '  send: false'],
      }),
    });

    // Half a minute of scrapes arriving in the backend under the cluster's tenant label.
    const tenant = `cloud_account_id="${clusterId}"`;
    const count = async (metric: string) =>
      Number((await backend.query(`count_over_time(${metric}{${tenant}}[1h])`))[0]?.value?.[1] ?? 0);
    await eventually(
      async () => ((await count('kubecost_cluster_management_cost')) >= 30 ? true : undefined),
      90_000,
      '30 scrapes in the backend',
      1_000,
    );
    // Stop sending; wait until every queued sample has reached the backend.
    await sender.stop();
    let last = -1;
    await eventually(
      async () => {
        const now = await count('kubecost_cluster_management_cost');
        const settled = now === last;
        last = now;
        return settled ? true : undefined;
      },
      30_000,
      'the backend to stop growing',
      2_000,
    );

    // The raw sample times, and the 10-second step points they cover: t = ceil(ts / 10 s) * 10 s.
    const [raw] = await backend.query(`kubecost_cluster_management_cost{${tenant}}[1h]`);
    const times = (raw?.values ?? []).map(([ts]) => Math.round(ts * 1000));
    const stepMs = STEP_SECONDS * 1000;
    const points = new Set(times.map((ms) => Math.ceil(ms / stepMs) * stepMs));
    const today = formatDay(new Date(times[0] as number));
    expect(formatDay(new Date(Math.max(...points)))).toBe(today);
    // Every other series was scraped at the same moments (one scrape, one timestamp).
    for (const metric of [
      'node_total_hourly_cost',
      'container_cpu_allocation',
      'kube_persistentvolume_capacity_bytes',
    ])
      for (const [series] of [await backend.query(`${metric}{${tenant}}[1h]`)])
        expect(series?.values?.length).toBe(times.length);
    // The running day's window ends at the last step boundary before the job runs: be past the
    // last point, so the job counts them all whenever it runs.
    const lastPoint = Math.max(...points);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastPoint + 500 - Date.now())));

    const expected = expectedCosts(points.size) as Record<string, number | null> & { total: number };

    const { aggregateK8sCosts: queued } = await graphql<{
      aggregateK8sCosts: { id: string; provisional: boolean }[];
    }>(
      `
        mutation ($range: DateRangeInput!) {
          aggregateK8sCosts(input: { range: $range }) {
            id
            provisional
          }
        }
      `,
      { range: { start: today, end: today } },
    );
    expect(queued).toHaveLength(1);
    expect(queued[0]?.provisional).toBe(true);
    const run = await eventually(
      async () => {
        const { aggregationRuns } = await graphql<{
          aggregationRuns: {
            id: string;
            state: string;
            written: string;
            totalCost: number;
            error: string | null;
          }[];
        }>(`
          {
            aggregationRuns(first: 10) {
              id
              state
              written
              totalCost
              error
            }
          }
        `);
        const mine = aggregationRuns.find((r) => r.id === queued[0]?.id);
        return mine && (mine.state === 'SUCCEEDED' || mine.state === 'FAILED') ? mine : undefined;
      },
      60_000,
      'the run to finish',
    );
    expect(run).toMatchObject({ state: 'SUCCEEDED', error: null });
    expect(run.totalCost).toBeCloseTo(expected.total, 8);

    const range = { start: today, end: today };
    const { k8sCluster } = await graphql<{
      k8sCluster: {
        name: string;
        region: string;
        version: string;
        costs: Record<string, number | null>;
        dailyCosts: { date: string; provisional: boolean; costs: { total: number } }[];
      };
    }>(
      `
        query ($id: ID!, $range: DateRangeInput!) {
          k8sCluster(id: $id) {
            name
            region
            version
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
            dailyCosts(range: $range) {
              date
              provisional
              costs {
                total
              }
            }
          }
        }
      `,
      { id: clusterId, range },
    );
    for (const [key, value] of Object.entries(expected)) {
      if (value === null) expect({ [key]: k8sCluster.costs[key] }).toEqual({ [key]: null });
      else expect({ [key]: k8sCluster.costs[key] }).toEqual({ [key]: expect.closeTo(value, 8) });
    }
    // The management fee by itself: $0.10/h over the hours the samples covered.
    expect(k8sCluster.costs.management).toBeCloseTo((0.1 * (points.size * 10)) / 3600, 9);
    expect(k8sCluster.dailyCosts).toEqual([
      { date: today, provisional: true, costs: { total: expect.closeTo(expected.total, 8) } },
    ]);
    // kubecost_cluster_info reached the account (region and version) through remote_write.
    expect(k8sCluster).toMatchObject({ name: 'e2e-eks', region: 'us-east-1', version: '1.29' });

    const { expenses } = await graphql<{
      expenses: {
        totalCount: number;
        totalCost: number;
        edges: {
          node: {
            name: string;
            provider: string;
            resourceType: string;
            cloudResourceId: string;
            cost: number;
          };
        }[];
      };
    }>(
      `
        query ($range: DateRangeInput!) {
          expenses(range: $range) {
            totalCount
            totalCost
            edges {
              node {
                name
                provider
                resourceType
                cloudResourceId
                cost
              }
            }
          }
        }
      `,
      { range },
    );
    expect(expenses.totalCount).toBe(2);
    expect(expenses.totalCost).toBeCloseTo(2.304 + expected.total, 8);
    const byProvider = Object.fromEntries(expenses.edges.map(({ node }) => [node.provider, node]));
    expect(byProvider.AWS).toMatchObject({ name: 'web-1', resourceType: 'Instance', cost: 2.304 });
    expect(byProvider.KUBERNETES).toMatchObject({
      name: 'e2e-eks',
      resourceType: 'K8s Cluster',
      cloudResourceId: clusterId,
    });
    expect(byProvider.KUBERNETES?.cost).toBeCloseTo(expected.total, 8);
  }, 180_000);
});
