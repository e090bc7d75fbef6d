import { createTestCore } from '../support/test-core';
import { ensureTestRedis, eventually, randomPrefix, removePrefix, TEST_REDIS_URL } from '../support/redis';
import { ThanosStack } from '../support/thanos';
import { postWrite, series, v1Body, v1Headers } from '../support/remote-write-client';
import { startServer, type RunningServer } from '../../src/main';
import { PrometheusHttpMetricsSource } from '../../src/k8s-cost/prometheus-http.metrics-source';

// Two thanos receive replicas in one hashring (replication factor 2, compose's receive flags
// plus the ring's), each labelling its blocks receive_replica="0" / "1": every sample the service
// forwards is held twice, and thanos query (compose's --query.replica-label=receive_replica)
// gives the job each series once, so a cluster-day is never counted double.

describe('Thanos with two receive replicas', () => {
  const prefix = randomPrefix();
  let thanos: ThanosStack;
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let server: RunningServer;

  beforeAll(async () => {
    ensureTestRedis();
    thanos = await ThanosStack.start({ replicas: 2 });
    core = await createTestCore({ ...thanos.serviceEnv(), REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix });
    server = await startServer(core, { role: 'api' });
  }, 180_000);

  afterAll(async () => {
    await server?.stop().catch(() => undefined);
    await core?.dispose().catch(() => undefined);
    await thanos?.dispose().catch(() => undefined);
    await removePrefix(prefix);
  }, 60_000);

  it('holds each sample in both replicas, and the job sees each series once', async () => {
    const org = await core.organizations.create('Replicated Org');
    const { cluster, secret } = await core.services.clusterRegistration.register(org.organization.id, {
      name: 'replicated',
    });
    const at = Date.now() - 30_000;
    const body = v1Body({
      timeseries: [
        series('node_total_hourly_cost', { node: 'a' }, 0.25, at),
        series('node_total_hourly_cost', { node: 'b' }, 0.5, at),
      ],
    });
    await eventually(
      async () =>
        (await postWrite(`${server.url}/api/v1/write`, v1Headers(cluster.id, secret), body)).status === 204
          ? true
          : undefined,
      30_000,
      'the write to be accepted by both replicas',
      500,
    );
    const raw = async (dedup: boolean) => {
      const params = new URLSearchParams({ query: 'node_total_hourly_cost', dedup: String(dedup) });
      const response = await fetch(`${thanos.queryUrl}/api/v1/query?${params}`, {
        headers: { 'THANOS-TENANT': cluster.id },
      });
      const result = ((await response.json()) as { data: { result: { metric: Record<string, string> }[] } })
        .data.result;
      return result.map((r) => `${r.metric.node}@${r.metric.receive_replica ?? '-'}`).sort();
    };
    // Both replicas hold both series...
    expect(
      await eventually(async () => ((await raw(false)).length === 4 ? raw(false) : undefined), 30_000),
    ).toEqual(['a@0', 'a@1', 'b@0', 'b@1']);
    // ...and deduplicated, each series is there once.
    expect(await raw(true)).toEqual(['a@-', 'b@-']);
    // The job's own queries (dedup=true, partial_response=false) count and sum each node once.
    const source = new PrometheusHttpMetricsSource({
      url: thanos.queryUrl,
      backend: 'thanos',
      tenantHeader: 'THANOS-TENANT',
      timeoutMs: 10_000,
    });
    const [count] = await source.instantQuery('count(node_total_hourly_cost)', new Date(), cluster.id);
    const [sum] = await source.instantQuery('sum(node_total_hourly_cost)', new Date(), cluster.id);
    expect(count?.value).toBe(2);
    expect(sum?.value).toBe(0.75);
  });
});
