import http from 'node:http';
import protobuf from 'protobufjs';
import type { AddressInfo } from 'node:net';
import { createTestCore } from '../support/test-core';
import { PrometheusProcess, senderConfig } from '../support/prometheus';
import { ensureTestRedis, eventually, randomPrefix, removePrefix, TEST_REDIS_URL } from '../support/redis';
import { goTool, ThanosStack } from '../support/thanos';
import { startServer, type RunningServer } from '../../src/main';
import { postWrite, series, v1Body, v1Headers } from '../support/remote-write-client';
import { PrometheusHttpMetricsSource } from '../../src/k8s-cost/prometheus-http.metrics-source';
import { MetricsBackendUnavailableError } from '../../src/domain/ports';

// Remote-Write 2.0 from a real Prometheus 3.x sender (built by scripts/build-go-tools.sh): a
// counter with its metadata and an exponential native histogram, scraped in the protobuf format
// and sent as io.prometheus.write.v2.Request to the service, which
// checks the cluster's credentials, stamps its tenant and forwards to thanos receive (started
// with docker-compose.yml's flags). Thanos holds them under the cluster's tenant only, and the
// sender, which reads the 2.0 response headers, counts nothing as failed.

// The app's metrics in the protobuf exposition format, the one Prometheus reads native
// histograms from: a counter with its help text, and an exponential native histogram (schema 0:
// bucket boundaries at powers of 2) of ten observations, 2 in (0.5, 1], 5 in (1, 2], 3 in (2, 4].
const CLIENT_PROTO = `
syntax = "proto2";
package io.prometheus.client;
message LabelPair { optional string name = 1; optional string value = 2; }
message Counter { optional double value = 1; }
message BucketSpan { optional sint32 offset = 1; optional uint32 length = 2; }
message Histogram {
  optional uint64 sample_count = 1; optional double sample_sum = 2;
  optional sint32 schema = 5; optional double zero_threshold = 6; optional uint64 zero_count = 7;
  repeated BucketSpan positive_span = 12; repeated sint64 positive_delta = 13;
}
message Metric { repeated LabelPair label = 1; optional Counter counter = 3; optional Histogram histogram = 7; }
message MetricFamily { optional string name = 1; optional string help = 2; optional int32 type = 3; repeated Metric metric = 4; }
`;
const MetricFamily = protobuf.parse(CLIENT_PROTO).root.lookupType('io.prometheus.client.MetricFamily');

function exposition(): Buffer {
  const families = [
    {
      name: 'cloudtuner_test_requests_total',
      help: 'Requests served by the test app.',
      type: 0, // COUNTER
      metric: [{ label: [{ name: 'path', value: '/' }], counter: { value: 42 } }],
    },
    {
      name: 'cloudtuner_test_latency_seconds',
      help: 'Request latency.',
      type: 4, // HISTOGRAM
      metric: [
        {
          histogram: {
            sampleCount: 10,
            sampleSum: 17.5,
            schema: 0,
            zeroThreshold: 1e-128,
            zeroCount: 0,
            // Buckets 0, 1, 2 at schema 0: (0.5, 1], (1, 2], (2, 4]; counts 2, 5, 3 as deltas.
            positiveSpan: [{ offset: 0, length: 3 }],
            positiveDelta: [2, 3, -2],
          },
        },
      ],
    },
  ];
  return Buffer.concat(
    families.map((f) => Buffer.from(MetricFamily.encodeDelimited(MetricFamily.create(f)).finish())),
  );
}

/** The test app, serving `exposition()` in the protobuf format. */
async function startExporter(): Promise<http.Server> {
  const exporter = http.createServer((req, res) => {
    res
      .writeHead(200, {
        'content-type':
          'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
      })
      .end(exposition());
  });
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
  return exporter;
}

/** A Prometheus 3 scraping the app and sending Remote-Write 2.0 to the service as a cluster. */
function startRw2Sender(exporter: http.Server, serviceUrl: string, clusterId: string, secret: string) {
  return PrometheusProcess.start({
    binary: goTool('prometheus'),
    remoteWriteReceiver: false,
    flags: ['--enable-feature=metadata-wal-records'],
    config: senderConfig({
      targetPort: (exporter.address() as AddressInfo).port,
      writeUrl: `${serviceUrl}/api/v1/write`,
      clusterId,
      secret,
      scrape: ['scrape_protocols: [PrometheusProto]', 'scrape_native_histograms: true'],
      remoteWrite: ['protobuf_message: io.prometheus.write.v2.Request', 'send_native_histograms: true'],
    }),
  });
}

describe('Remote-Write 2.0 from Prometheus 3 through the service into Thanos', () => {
  const prefix = randomPrefix();
  let exporter: http.Server;
  let thanos: ThanosStack;
  let sender: PrometheusProcess | undefined;
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let server: RunningServer;

  beforeAll(async () => {
    ensureTestRedis();
    exporter = await startExporter();
    thanos = await ThanosStack.start();
    core = await createTestCore({
      // As docker-compose.yml sets them for the service (x-cloudtuner environment).
      ...thanos.serviceEnv(),
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
    });
    server = await startServer(core, { role: 'api' });
  }, 180_000);

  afterAll(async () => {
    await sender?.dispose().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await core?.dispose().catch(() => undefined);
    await thanos?.dispose().catch(() => undefined);
    await new Promise((resolve) => exporter?.close(resolve));
    await removePrefix(prefix);
  }, 60_000);

  it('stores the samples and native histograms under the cluster tenant; the sender counts no failure', async () => {
    const org = await core.organizations.create('RW2 Org');
    const registration = await core.services.clusterRegistration.register(org.organization.id, {
      name: 'rw2',
    });
    const clusterId = registration.cluster.id;
    sender = await startRw2Sender(exporter, server.url, clusterId, registration.secret);
    // A few scrapes' worth of both kinds in Thanos, as the cluster's tenant sees them.
    await eventually(
      async () => {
        const counter = await thanos.instant(
          clusterId,
          'count_over_time(cloudtuner_test_requests_total[1h])',
        );
        const histogram = await thanos.instant(clusterId, 'histogram_count(cloudtuner_test_latency_seconds)');
        return Number(counter[0]?.value?.[1] ?? 0) >= 5 && histogram.length ? true : undefined;
      },
      60_000,
      'samples and histograms in Thanos',
      1_000,
    ).catch(async (error: unknown) => {
      const counter = await thanos
        .instant(clusterId, 'cloudtuner_test_requests_total')
        .catch((e) => String(e));
      const any = await thanos.instant(clusterId, '{__name__=~"cloudtuner.*"}').catch((e) => String(e));
      const senderHist = await sender
        ?.query('histogram_count(cloudtuner_test_latency_seconds)')
        .catch((e: unknown) => String(e));
      throw new Error(
        `${String(error)}\ncounter: ${JSON.stringify(counter)}\nany: ${JSON.stringify(any).slice(0, 2000)}\nsender's histogram: ${JSON.stringify(senderHist)}\nsender:\n${sender?.output.slice(-3000)}\nreceive:\n${thanos.receive.log.slice(-3000)}`,
      );
    });
    const counter = await thanos.instant(clusterId, 'cloudtuner_test_requests_total');
    expect(counter).toHaveLength(1);
    expect(counter[0]?.metric).toMatchObject({
      __name__: 'cloudtuner_test_requests_total',
      path: '/',
      cloud_account_id: clusterId,
      tenant_id: clusterId,
    });
    expect(counter[0]?.value?.[1]).toBe('42');
    // The histogram arrived as a native one: its count and sum are the exposition's.
    const count = await thanos.instant(clusterId, 'histogram_count(cloudtuner_test_latency_seconds)');
    const sum = await thanos.instant(clusterId, 'histogram_sum(cloudtuner_test_latency_seconds)');
    expect(count[0]?.value?.[1]).toBe('10');
    expect(sum[0]?.value?.[1]).toBe('17.5');
    // Seven of ten observations at or under 2 s: the buckets survived (2 in (0.5, 1], 5 in (1, 2]).
    const under = await thanos.instant(
      clusterId,
      'histogram_fraction(0, 2, cloudtuner_test_latency_seconds)',
    );
    expect(Number(under[0]?.value?.[1])).toBeCloseTo(0.7, 9);
    // No other tenant sees any of it.
    expect(await thanos.instant('another-cluster', 'cloudtuner_test_requests_total')).toEqual([]);

    // The sender's own account: 2.0 requests, nothing failed or dropped.
    // (read from its /metrics: this Prometheus does not scrape itself)
    const metrics = await (await fetch(`${sender.url}/metrics`)).text();
    const own = (metric: string) =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0)
        .toString();
    expect(Number(own('prometheus_remote_storage_samples_total'))).toBeGreaterThan(0);
    expect(Number(own('prometheus_remote_storage_histograms_total'))).toBeGreaterThan(0);
    expect(own('prometheus_remote_storage_samples_failed_total')).toBe('0');
    expect(own('prometheus_remote_storage_histograms_failed_total')).toBe('0');
    expect(sender.output).not.toMatch(/level=(error|ERROR)/);
  }, 150_000);

  it("answers receive's 409 (out of order, duplicate) with a 400 the sender drops, and keeps what was stored", async () => {
    const org = await core.organizations.create('RW Conflict Org');
    const { cluster, secret } = await core.services.clusterRegistration.register(org.organization.id, {
      name: 'conflict',
    });
    const url = `${server.url}/api/v1/write`;
    const headers = v1Headers(cluster.id, secret);
    const now = Date.now() - 60_000;
    const write = (value: number, at: number) =>
      postWrite(url, headers, v1Body({ timeseries: [series('conflict_test', { job: 'x' }, value, at)] }));
    // Receive may still be opening this tenant's TSDB (503, which the sender retries): wait that out.
    await eventually(
      async () => ((await write(1, now)).status === 204 ? true : undefined),
      30_000,
      'first write',
    );
    const older = await write(2, now - 3_600_000);
    expect(older.status).toBe(400);
    expect(older.text).toMatch(/^metrics backend refused the data: .*out of (order|bounds)/);
    const duplicate = await write(3, now);
    expect(duplicate.status).toBe(400);
    expect(duplicate.text).toMatch(/^metrics backend refused the data: .*duplicate/);
    const stored = await eventually(async () => {
      const found = await thanos.instant(cluster.id, 'conflict_test');
      return found.length ? found : undefined;
    }, 30_000);
    expect(stored.map((s) => s.value?.[1])).toEqual(['1']);
  });

  it('a query Thanos can answer only in part (a store away) fails retryably: no partial day is computed', async () => {
    const source = new PrometheusHttpMetricsSource({
      url: thanos.queryUrl,
      backend: 'thanos',
      tenantHeader: 'THANOS-TENANT',
      timeoutMs: 10_000,
    });
    const tenant = 'any-tenant';
    await expect(source.instantQuery('vector(1)', new Date(), tenant)).resolves.toHaveLength(1);
    await thanos.store.stop();
    try {
      // Query notices the store's absence at its next health check (every few seconds).
      const failure = await eventually(
        async () => {
          const error = await source.instantQuery('up', new Date(), tenant).then(
            () => undefined,
            (e: unknown) => e,
          );
          return error ?? undefined;
        },
        30_000,
        'the query to fail',
        500,
      );
      expect(failure).toBeInstanceOf(MetricsBackendUnavailableError);
      expect((failure as MetricsBackendUnavailableError).message).toBe(
        'a metrics store is unreachable: the answer would be partial',
      );
      expect((failure as MetricsBackendUnavailableError).retryable).toBe(true);
    } finally {
      await thanos.store.start();
    }
    await eventually(
      async () =>
        (await source.instantQuery('up', new Date(), tenant).catch(() => null)) ? true : undefined,
      30_000,
      'thanos query to see the store again',
      500,
    );
  });
});

describe('Remote-Write 2.0 from Prometheus 3 through the service into Prometheus 3 as the backend', () => {
  const prefix = randomPrefix();
  let exporter: http.Server;
  let backend: PrometheusProcess;
  let sender: PrometheusProcess | undefined;
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let server: RunningServer;

  beforeAll(async () => {
    ensureTestRedis();
    exporter = await startExporter();
    backend = await PrometheusProcess.start({ binary: goTool('prometheus') });
    core = await createTestCore({
      METRICS_WRITE_URL: backend.writeUrl,
      METRICS_QUERY_URL: backend.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
    });
    server = await startServer(core, { role: 'api' });
  }, 120_000);

  afterAll(async () => {
    await sender?.dispose().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await core?.dispose().catch(() => undefined);
    await backend?.dispose().catch(() => undefined);
    await new Promise((resolve) => exporter?.close(resolve));
    await removePrefix(prefix);
  }, 60_000);

  it('stores the counter and the native histogram under the cluster label', async () => {
    const org = await core.organizations.create('RW2 Prom Org');
    const registration = await core.services.clusterRegistration.register(org.organization.id, {
      name: 'p3',
    });
    const clusterId = registration.cluster.id;
    sender = await startRw2Sender(exporter, server.url, clusterId, registration.secret);
    const tenant = `cloud_account_id="${clusterId}"`;
    await eventually(
      async () => {
        const histogram = await backend.query(`histogram_count(cloudtuner_test_latency_seconds{${tenant}})`);
        return histogram.length ? true : undefined;
      },
      90_000,
      'the histogram in Prometheus',
      1_000,
    );
    const counter = await backend.query(`cloudtuner_test_requests_total{${tenant}}`);
    expect(counter[0]?.value?.[1]).toBe('42');
    expect(
      (await backend.query(`histogram_sum(cloudtuner_test_latency_seconds{${tenant}})`))[0]?.value?.[1],
    ).toBe('17.5');
    const under = await backend.query(`histogram_fraction(0, 2, cloudtuner_test_latency_seconds{${tenant}})`);
    expect(Number(under[0]?.value?.[1])).toBeCloseTo(0.7, 9);
  }, 150_000);
});
