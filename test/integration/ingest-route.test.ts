import { randomBytes } from 'node:crypto';
import { compressSync, uncompressSync } from 'snappy';
import { createTestCore } from '../support/test-core';
import { PrometheusProcess } from '../support/prometheus';
import {
  FakeBackend,
  V1_CONTENT_TYPE,
  V2_CONTENT_TYPE,
  basicAuth,
  postWrite,
  series,
  v1Body,
  v1Headers,
  v2Body,
} from '../support/remote-write-client';
import { startServer, type Core, type RunningServer } from '../../src/main';
import type { Config } from '../../src/config';
import type { ClusterRegistration } from '../../src/services/cluster-registration.service';
import { decodeWriteRequestV1 } from '../../src/ingest/remote-write.proto';
import { sendOversizedChunked } from '../support/raw-http';

type TestCore = Awaited<ReturnType<typeof createTestCore>>;

/** The same core seen through a changed config: a second server on other settings, same store. */
function withConfig(core: Core, change: (config: Config) => Partial<Config>): Core {
  return { ...core, config: { ...core.config, ...change(core.config) } };
}

describe('remote_write route: auth, tenant, spec status codes, over a real Prometheus', () => {
  let prometheus: PrometheusProcess;
  let core: TestCore;
  let server: RunningServer;
  let fake: FakeBackend;
  let viaFake: RunningServer;
  let limited: RunningServer;
  let organizationId: string;
  let token: string;
  let cluster: ClusterRegistration;
  let rotatedAway: { id: string; oldSecret: string; newSecret: string };
  let deleted: ClusterRegistration;
  // Samples a minute old: inside Prometheus' head block, and HEALTHY for the cluster status.
  const t0 = Date.now() - 60_000;

  beforeAll(async () => {
    prometheus = await PrometheusProcess.start();
    core = await createTestCore({
      METRICS_WRITE_URL: prometheus.writeUrl,
      INGEST_MAX_BODY_BYTES: String(64 * 1024),
      INGEST_MAX_DECODED_BYTES: String(1024 * 1024),
      PUBLIC_URL: 'https://costs.example.test',
      METRICS_TENANT_LABELS: 'true',
    });
    server = await startServer(core, { role: 'api' });
    const created = await core.organizations.create('Acme');
    organizationId = created.organization.id;
    token = created.token;
    const registrations = core.services.clusterRegistration;
    cluster = await registrations.register(organizationId, { name: 'prod-eu', provider: 'AWS' });
    const rotated = await registrations.register(organizationId, { name: 'rotated' });
    const renewed = await registrations.rotate(organizationId, rotated.cluster.id);
    rotatedAway = { id: rotated.cluster.id, oldSecret: rotated.secret, newSecret: renewed.secret };
    deleted = await registrations.register(organizationId, { name: 'gone' });
    await registrations.delete(organizationId, deleted.cluster.id);

    fake = await FakeBackend.start();
    viaFake = await startServer(
      withConfig(core, (config) => ({
        metrics: { ...config.metrics, writeUrl: fake.url, writeTimeoutMs: 500 },
      })),
      { role: 'api' },
    );
    limited = await startServer(
      withConfig(core, (config) => ({ ingest: { ...config.ingest, rateLimitSamplesPerSecond: 100 } })),
      { role: 'api' },
    );
  });

  afterAll(async () => {
    await Promise.allSettled([server?.stop(), viaFake?.stop(), limited?.stop()]);
    await fake?.stop();
    await core?.dispose();
    await prometheus?.dispose();
  });

  const writeUrl = (running: RunningServer = server) => `${running.url}/api/v1/write`;
  const auth = () => v1Headers(cluster.cluster.id, cluster.secret);
  let metricNumber = 0;
  /** A valid one-sample body under a metric name no other request used (no out-of-order clashes). */
  const freshBody = () => v1Body({ timeseries: [series(`probe_${++metricNumber}`, { job: 'test' }, 1, t0)] });

  // Snappy's preamble is the decoded length as a varint: 0x80 0x80 0x80 0x20 claims 64 MiB.
  const claims64MiB = Buffer.concat([Buffer.from([0x80, 0x80, 0x80, 0x20]), randomBytes(100)]);

  const cases: [string, () => Record<string, string>, () => Buffer, number][] = [
    ['basic auth: cluster id and secret', auth, freshBody, 204],
    ['a bearer secret', () => ({ ...auth(), authorization: `Bearer ${cluster.secret}` }), freshBody, 204],
    [
      'a Cloud-Account-Id header naming the same cluster',
      () => ({ ...auth(), 'cloud-account-id': cluster.cluster.id }),
      freshBody,
      204,
    ],
    [
      'the new secret after a rotation',
      () => v1Headers(rotatedAway.id, rotatedAway.newSecret),
      freshBody,
      204,
    ],
    [
      'no Content-Type and no version header (1.0 is assumed)',
      () => ({ authorization: auth().authorization as string, 'content-encoding': 'snappy' }),
      freshBody,
      204,
    ],
    [
      'a metadata-only request (Prometheus sends one a minute)',
      auth,
      () => v1Body({ metadata: [{ type: 1, metricFamilyName: 'probe_meta', help: 'a counter', unit: '' }] }),
      204,
    ],
    [
      'no credentials',
      () => {
        const { authorization: _, ...rest } = auth();
        return rest;
      },
      freshBody,
      401,
    ],
    ['a wrong secret', () => v1Headers(cluster.cluster.id, 'ctw_wrong'), freshBody, 401],
    ['a rotated-away secret', () => v1Headers(rotatedAway.id, rotatedAway.oldSecret), freshBody, 401],
    ['a deleted cluster', () => v1Headers(deleted.cluster.id, deleted.secret), freshBody, 403],
    [
      'a Cloud-Account-Id header naming another cluster',
      () => ({ ...auth(), 'cloud-account-id': deleted.cluster.id }),
      freshBody,
      403,
    ],
    ['a JSON content type', () => ({ ...auth(), 'content-type': 'application/json' }), freshBody, 415],
    [
      'an unknown proto=',
      () => ({ ...auth(), 'content-type': 'application/x-protobuf;proto=example.Other' }),
      freshBody,
      415,
    ],
    ['gzip', () => ({ ...auth(), 'content-encoding': 'gzip' }), freshBody, 415],
    [
      'no Content-Encoding (snappy is assumed, as Prometheus does: a 4xx would drop the data)',
      () => {
        const { 'content-encoding': _, ...rest } = auth();
        return rest;
      },
      freshBody,
      204,
    ],
    ['a compressed body over INGEST_MAX_BODY_BYTES', auth, () => randomBytes(64 * 1024 + 1), 413],
    ['a snappy preamble claiming 64 MiB decoded', auth, () => claims64MiB, 413],
    ['a corrupt snappy body', auth, () => Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x01, 0x02]), 400],
    ['snappy of bytes that are not protobuf', auth, () => compressSync(Buffer.from([0xff, 0xff, 0xff])), 400],
    [
      'a series without __name__',
      auth,
      () =>
        v1Body({
          timeseries: [{ labels: [{ name: 'job', value: 'x' }], samples: [{ value: 1, timestamp: t0 }] }],
        }),
      400,
    ],
    [
      'a series with a duplicate label name',
      auth,
      () =>
        v1Body({
          timeseries: [series('probe_dup', { job: 'a' }, 1, t0)].map((s) => ({
            ...s,
            labels: [...s.labels, { name: 'job', value: 'b' }],
          })),
        }),
      400,
    ],
  ];

  it.each(cases.map(([label, headers, body, status]) => [label, status, headers, body] as const))(
    'answers %s with %i',
    async (_label, status, headers, body) => {
      const response = await postWrite(writeUrl(), headers(), body());
      expect({ status: response.status, text: response.text }).toEqual({ status, text: expect.any(String) });
      if (status === 204) expect(response.text).toBe('');
    },
  );

  it('serves the same route at /storage/api/v2/write', async () => {
    const response = await postWrite(`${server.url}/storage/api/v2/write`, auth(), freshBody());
    expect(response.status).toBe(204);
  });

  it('asks for basic auth on 401 and names the bad series on 400', async () => {
    const unauthenticated = await postWrite(writeUrl(), { 'content-type': V1_CONTENT_TYPE }, freshBody());
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('www-authenticate')).toBe('Basic realm="cloudtuner"');
    const bad = await postWrite(
      writeUrl(),
      auth(),
      v1Body({
        timeseries: [
          { labels: [{ name: 'job', value: 'nameless' }], samples: [{ value: 1, timestamp: t0 }] },
        ],
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/nameless|__name__/);
  });

  it("writes the authenticated cluster's tenant label, whatever label and headers the client sent", async () => {
    const response = await postWrite(
      writeUrl(),
      { ...auth(), 'THANOS-TENANT': 'victim', 'X-Scope-OrgID': 'victim' },
      v1Body({ timeseries: [series('tenant_probe', { cloud_account_id: 'victim', job: 'x' }, 42, t0)] }),
    );
    expect(response.status).toBe(204);
    const found = await prometheus.query('tenant_probe', new Date(t0));
    expect(found.map((s) => [s.metric, s.value?.[1]])).toEqual([
      [{ __name__: 'tenant_probe', cloud_account_id: cluster.cluster.id, job: 'x' }, '42'],
    ]);
    expect(await prometheus.query('{cloud_account_id="victim"}', new Date(t0))).toEqual([]);
  });

  it('bounds the rewritten output like the decoded input: a small 2.0 body amplified by a shared symbol is 413', async () => {
    // 1,250 series each naming one 100 KB label value: ~100 KB decoded (under the 1 MiB
    // INGEST_MAX_DECODED_BYTES of this server), ~125 MB once written out as 1.0 series.
    const symbols = ['', '__name__', 'amplified', 'blob', 'x'.repeat(100_000), 'i'];
    const timeseries = Array.from({ length: 1_250 }, (_, i) => ({
      labelsRefs: [1, 2, 3, 4],
      samples: [{ value: i, timestamp: t0 }],
    }));
    const body = v2Body({ symbols, timeseries });
    expect(body.length).toBeLessThan(64 * 1024);
    const response = await postWrite(
      writeUrl(),
      {
        authorization: basicAuth(cluster.cluster.id, cluster.secret),
        'content-type': V2_CONTENT_TYPE,
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '2.0.0',
      },
      body,
    );
    expect(response.status).toBe(413);
    expect(response.text).toContain('re-encoded');
    expect(await prometheus.query('amplified', new Date(t0))).toEqual([]);
  });

  it("refuses a sample a day ahead (never forwarded), so every cluster's current samples still land", async () => {
    const ahead = v1Body({
      timeseries: [series('from_the_future', { job: 'test' }, 1, Date.now() + 86_400_000)],
    });
    const refused = await postWrite(writeUrl(), auth(), ahead);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('ahead of this server');
    // Prometheus never saw it: its head did not move a day ahead, current samples are accepted.
    const current = await postWrite(writeUrl(), auth(), freshBody());
    expect(current.status).toBe(204);
    const renewed = await postWrite(
      writeUrl(),
      v1Headers(rotatedAway.id, rotatedAway.newSecret),
      freshBody(),
    );
    expect(renewed.status).toBe(204);
  });

  it('accepts a 2.0 request and says how much it wrote', async () => {
    const symbols = ['', '__name__', 'v2_probe', 'job', 'x', 'cloud_account_id', 'victim'];
    const response = await postWrite(
      writeUrl(),
      {
        authorization: basicAuth(cluster.cluster.id, cluster.secret),
        'content-type': V2_CONTENT_TYPE,
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '2.0.0',
      },
      v2Body({
        symbols,
        timeseries: [
          {
            labelsRefs: [1, 2, 3, 4, 5, 6],
            samples: [
              { value: 7, timestamp: t0 - 1000 },
              { value: 8, timestamp: t0 },
            ],
          },
        ],
      }),
    );
    expect(response.status).toBe(204);
    expect(response.headers.get('x-prometheus-remote-write-samples-written')).toBe('2');
    expect(response.headers.get('x-prometheus-remote-write-histograms-written')).toBe('0');
    expect(response.headers.get('x-prometheus-remote-write-exemplars-written')).toBe('0');
    const found = await prometheus.query('v2_probe', new Date(t0));
    expect(found.map((s) => [s.metric, s.value?.[1]])).toEqual([
      [{ __name__: 'v2_probe', cloud_account_id: cluster.cluster.id, job: 'x' }, '8'],
    ]);
  });

  it('sends the backend only its own headers: the tenant header is the authenticated cluster', async () => {
    fake.received.length = 0;
    fake.answer = () => ({ status: 200 });
    const response = await postWrite(
      writeUrl(viaFake),
      { ...auth(), 'THANOS-TENANT': 'victim', 'X-Scope-OrgID': 'victim', 'x-custom': 'leak' },
      v1Body({
        timeseries: [series('forwarded', { zeta: 'z', cloud_account_id: 'victim', alpha: 'a' }, 1, t0)],
      }),
    );
    expect(response.status).toBe(204);
    expect(fake.received).toHaveLength(1);
    const [{ headers, body }] = fake.received as [(typeof fake.received)[number]];
    expect(headers).toMatchObject({
      'thanos-tenant': cluster.cluster.id,
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
    });
    for (const name of ['authorization', 'x-scope-orgid', 'x-custom', 'cloud-account-id']) {
      expect(headers[name]).toBeUndefined();
    }
    const forwarded = decodeWriteRequestV1(uncompressSync(body) as Buffer);
    expect(forwarded.timeseries?.[0]?.labels).toEqual([
      { name: '__name__', value: 'forwarded' },
      { name: 'alpha', value: 'a' },
      { name: 'cloud_account_id', value: cluster.cluster.id },
      { name: 'zeta', value: 'z' },
    ]);
  });

  it.each([
    [
      '400 (data it can never accept)',
      400,
      { status: 400, body: 'out of order sample' },
      null,
      /out of order/,
    ],
    ['409 (Thanos: conflict)', 400, { status: 409, body: 'conflict' }, null, /conflict/],
    ['500', 503, { status: 500, body: 'boom' }, '5', /500/],
    ['429 with Retry-After', 503, { status: 429, headers: { 'retry-after': '17' } }, '17', /429/],
    ['404 (a misconfigured URL, not bad data)', 503, { status: 404 }, '5', /404/],
  ])('answers a backend %s with %i', async (_label, status, answer, retryAfter, reason) => {
    fake.answer = () => answer;
    const response = await postWrite(writeUrl(viaFake), auth(), freshBody());
    expect(response.status).toBe(status);
    expect(response.headers.get('retry-after')).toBe(retryAfter);
    expect(response.text).toMatch(reason);
  });

  it('answers 503 with Retry-After when the backend does not answer in time', async () => {
    fake.answer = () => ({ status: 204 });
    fake.delayMs = 2000;
    try {
      const response = await postWrite(writeUrl(viaFake), auth(), freshBody());
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(response.text).toContain('500 ms');
    } finally {
      fake.delayMs = 0;
    }
  });

  it('answers 503 with Retry-After while Prometheus is down, and 204 once it is back', async () => {
    await prometheus.stop();
    const body = v1Body({ timeseries: [series('outage_probe', {}, 5, t0)] });
    const down = await postWrite(writeUrl(), auth(), body);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(down.text).toContain('unreachable');
    await prometheus.restart();
    const back = await postWrite(writeUrl(), auth(), body);
    expect(back.status).toBe(204);
    const found = await prometheus.query('outage_probe', new Date(t0));
    expect(found.map((s) => s.value?.[1])).toEqual(['5']);
  });

  it('rate-limits a cluster with 429 and Retry-After when a limit is configured', async () => {
    // 100 samples/s: the bucket holds 200.
    const batch = (n: number) =>
      v1Body({
        timeseries: Array.from({ length: n }, (_, i) => series('limited_probe', { i: String(i) }, i, t0)),
      });
    const first = await postWrite(writeUrl(limited), auth(), batch(150));
    expect(first.status).toBe(204);
    const second = await postWrite(writeUrl(limited), auth(), batch(150));
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another cluster has a bucket of its own.
    const other = await postWrite(
      writeUrl(limited),
      v1Headers(rotatedAway.id, rotatedAway.newSecret),
      freshBody(),
    );
    expect(other.status).toBe(204);
  });

  describe('cluster freshness and info', () => {
    const graphql = async (query: string, variables: Record<string, unknown>) => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as { data: { k8sCluster: Record<string, unknown> }; errors?: unknown };
    };
    const CLUSTER = `query ($id: ID!) { k8sCluster(id: $id) { status lastDataAt provider region version } }`;

    it('reports NO_DATA before the first sample, HEALTHY with the newest sample time after the flush', async () => {
      const fresh = await core.services.clusterRegistration.register(organizationId, {
        name: 'fresh',
        provider: 'AWS',
      });
      const before = await graphql(CLUSTER, { id: fresh.cluster.id });
      expect(before.data.k8sCluster).toMatchObject({ status: 'NO_DATA', lastDataAt: null });
      const newest = t0 + 30_000;
      const response = await postWrite(
        writeUrl(),
        v1Headers(fresh.cluster.id, fresh.secret),
        v1Body({
          timeseries: [
            series('node_total_hourly_cost', { node: 'a' }, 0.1, t0),
            series('node_total_hourly_cost', { node: 'b' }, 0.2, newest),
          ],
        }),
      );
      expect(response.status).toBe(204);
      // Freshness is written in the background every few seconds, not per request.
      await core.clusterActivity.flush();
      const after = await graphql(CLUSTER, { id: fresh.cluster.id });
      expect(after.data.k8sCluster).toMatchObject({
        status: 'HEALTHY',
        lastDataAt: new Date(newest).toISOString(),
      });
    });

    it('fills provider, region and version from kubecost_cluster_info', async () => {
      const info = await core.services.clusterRegistration.register(organizationId, {
        name: 'info',
        provider: 'AWS',
      });
      const response = await postWrite(
        writeUrl(),
        v1Headers(info.cluster.id, info.secret),
        v1Body({
          timeseries: [
            series(
              'kubecost_cluster_info',
              { provider: 'GCP', region: 'europe-west1', version: '1.29', provisioner: 'GKE' },
              1,
              t0,
            ),
          ],
        }),
      );
      expect(response.status).toBe(204);
      await core.clusterActivity.flush();
      const after = await graphql(CLUSTER, { id: info.cluster.id });
      expect(after.data.k8sCluster).toMatchObject({
        provider: 'GCP',
        region: 'europe-west1',
        version: '1.29',
      });
    });
  });

  it('exposes per-cluster counters at /metrics when asked for (METRICS_TENANT_LABELS=true)', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const id = cluster.cluster.id;
    const value = (pattern: string) => {
      const line = text.split('\n').find((l) => l.startsWith(pattern));
      return line === undefined ? undefined : Number(line.slice(pattern.length));
    };
    expect(
      value(`cloudtuner_remote_write_requests_total{tenant="${id}",status="204"} `),
    ).toBeGreaterThanOrEqual(5);
    expect(value(`cloudtuner_remote_write_requests_total{tenant="${id}",status="415"} `)).toBe(3);
    expect(
      value(`cloudtuner_remote_write_requests_total{tenant="unknown",status="401"} `),
    ).toBeGreaterThanOrEqual(2);
    expect(value(`cloudtuner_remote_write_samples_accepted_total{tenant="${id}"} `)).toBeGreaterThanOrEqual(
      5,
    );
    expect(value(`cloudtuner_remote_write_received_bytes_total{tenant="${id}"} `)).toBeGreaterThan(0);
    expect(value('cloudtuner_remote_write_request_duration_seconds_count ')).toBeGreaterThan(10);
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('by default names no tenant at /metrics, and METRICS_AUTH_TOKEN closes it to others', async () => {
    const secret = 'metrics-scrape-token-0123456789';
    const guarded = await startServer(
      withConfig(core, () => ({ selfMetrics: { authToken: secret, tenantLabels: false } })),
      { role: 'api' },
    );
    try {
      // One accepted request through this server, so its counters have something to say.
      const write = await fetch(writeUrl(guarded), { method: 'POST', headers: auth(), body: freshBody() });
      expect(write.status).toBe(204);
      const open = await fetch(`${guarded.url}/metrics`);
      expect(open.status).toBe(401);
      expect(await open.text()).not.toContain('cloudtuner_');
      const wrong = await fetch(`${guarded.url}/metrics`, {
        headers: { authorization: 'Bearer not-the-token' },
      });
      expect(wrong.status).toBe(401);
      const scraped = await fetch(`${guarded.url}/metrics`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      expect(scraped.status).toBe(200);
      const text = await scraped.text();
      expect(text).toContain('cloudtuner_remote_write_requests_total{status="204"} 1');
      expect(text).not.toContain('tenant=');
      expect(text).not.toContain(cluster.cluster.id);
    } finally {
      await guarded.stop();
    }
  });

  it('answers an oversized chunked body with 413 and closes the connection', async () => {
    const { port } = new URL(server.url);
    const { authorization } = auth();
    const answer = await sendOversizedChunked(Number(port), '/api/v1/write', {
      authorization: authorization as string,
      'content-encoding': 'snappy',
    });
    expect(answer.head).toMatch(/^HTTP\/1\.1 413/);
    expect(answer.head.toLowerCase()).toContain('connection: close');
    expect(answer.closed).toBe(true);
  });
});
