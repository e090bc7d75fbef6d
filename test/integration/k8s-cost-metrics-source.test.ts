import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusProcess, freePort } from '../support/prometheus';
import {
  PrometheusHttpMetricsSource,
  type PrometheusHttpOptions,
} from '../../src/k8s-cost/prometheus-http.metrics-source';
import {
  MetricsBackendUnavailableError,
  MetricsError,
  MetricsQueryError,
  type PromVector,
  type TenantMetricsSource,
} from '../../src/domain/ports/metrics-source';
import { K8sCostCalculator } from '../../src/k8s-cost/k8s-cost.calculator';
import { k8sCostQueries, k8sCostWindow, type K8sCostQueryName } from '../../src/k8s-cost/k8s-cost.queries';

interface Seen {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  form: URLSearchParams;
}

/** A stand-in backend: records each request and answers with `reply` (or never, when null). */
async function fakeBackend(
  reply: { status: number; body: string; headers?: Record<string, string> } | null,
): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, form: new URLSearchParams(body) });
      if (!reply) return; // hang: the client's timeout must fire
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const VECTOR = JSON.stringify({
  status: 'success',
  data: {
    resultType: 'vector',
    result: [
      { metric: { node: 'a' }, value: [1700000000, '1.5'] },
      { metric: {}, value: [1700000000, '+Inf'] },
    ],
  },
});
const AT = new Date('2024-03-02T00:00:00Z');
const QUERY = 'sum(up{cloud_account_id="cluster-a"})';

function source(url: string, options: Partial<PrometheusHttpOptions> = {}): PrometheusHttpMetricsSource {
  return new PrometheusHttpMetricsSource({
    url,
    backend: 'prometheus',
    tenantHeader: 'THANOS-TENANT',
    timeoutMs: 5_000,
    ...options,
  });
}

describe('PrometheusHttpMetricsSource', () => {
  it('POSTs the query at the time given, with the tenant header set to the cluster id', async () => {
    const backend = await fakeBackend({ status: 200, body: VECTOR });
    try {
      const vector = await source(`${backend.url}/`).forTenant('cluster-a').instantQuery(QUERY, AT);
      expect(vector).toEqual([
        { metric: { node: 'a' }, value: 1.5 },
        { metric: {}, value: Infinity },
      ]);
      const [request] = backend.seen;
      expect(request?.method).toBe('POST');
      expect(request?.url).toBe('/api/v1/query');
      expect(request?.headers['thanos-tenant']).toBe('cluster-a');
      expect(Object.fromEntries(request?.form ?? [])).toEqual({
        query: QUERY,
        time: '1709337600.000',
        timeout: '5s',
      });
    } finally {
      await backend.close();
    }
  });

  it('asks Thanos for deduplicated, raw-resolution, complete answers; Mimir gets X-Scope-OrgID', async () => {
    const backend = await fakeBackend({ status: 200, body: VECTOR });
    try {
      await source(backend.url, { backend: 'thanos' }).forTenant('cluster-a').instantQuery(QUERY, AT);
      await source(`${backend.url}/prometheus`, { backend: 'mimir', tenantHeader: 'X-Scope-OrgID' })
        .forTenant('cluster-b')
        .instantQuery(QUERY, AT);
      // Thanos is first asked whether all its endpoints are up (GET /api/v1/stores), then queried.
      const [stores, thanos, mimir] = backend.seen;
      expect(stores?.method).toBe('GET');
      expect(stores?.url).toBe('/api/v1/stores');
      expect(stores?.headers['thanos-tenant']).toBe('cluster-a');
      expect(thanos?.form.get('dedup')).toBe('true');
      expect(thanos?.form.get('partial_response')).toBe('false');
      expect(thanos?.form.get('max_source_resolution')).toBe('0s');
      expect(mimir?.url).toBe('/prometheus/api/v1/query');
      expect(mimir?.headers['x-scope-orgid']).toBe('cluster-b');
      expect(mimir?.form.has('dedup')).toBe(false);
    } finally {
      await backend.close();
    }
  });

  const errorBody = (errorType: string, error: string) =>
    JSON.stringify({ status: 'error', errorType, error });
  it.each([
    [503, errorBody('timeout', 'query timed out'), {}, MetricsBackendUnavailableError, true],
    [500, 'internal error', {}, MetricsBackendUnavailableError, true],
    [502, '<html>bad gateway</html>', {}, MetricsBackendUnavailableError, true],
    [
      429,
      errorBody('too_many_requests', 'slow down'),
      { 'retry-after': '7' },
      MetricsBackendUnavailableError,
      true,
    ],
    [400, errorBody('bad_data', '1:5: parse error'), {}, MetricsQueryError, false],
    [422, errorBody('execution', 'many-to-many matching not allowed'), {}, MetricsQueryError, false],
    [404, 'not found', {}, MetricsQueryError, false],
    [
      200,
      JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }),
      {},
      MetricsQueryError,
      false,
    ],
    [200, 'not json', {}, MetricsQueryError, false],
  ])('answer %i %s', async (status, body, headers, type, retryable) => {
    const backend = await fakeBackend({ status, body, headers });
    try {
      const error = await source(backend.url)
        .forTenant('cluster-a')
        .instantQuery(QUERY, AT)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(type);
      expect(error).toMatchObject({ retryable, query: QUERY, tenant: 'cluster-a' });
      // The query stays on the error (for the log); the message a client may see omits it.
      expect((error as Error).message).not.toContain(QUERY);
      expect((error as Error).message).not.toContain(backend.url);
      if (status === 429) expect(error).toMatchObject({ retryAfterSeconds: 7 });
    } finally {
      await backend.close();
    }
  });

  it('a backend that does not answer in time is unavailable (retryable), naming the query', async () => {
    const backend = await fakeBackend(null);
    try {
      const error = await source(backend.url, { timeoutMs: 200 })
        .forTenant('cluster-a')
        .instantQuery(QUERY, AT)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(MetricsBackendUnavailableError);
      expect((error as Error).message).toBe('metrics backend did not answer within 200 ms');
      expect(error).toMatchObject({ query: QUERY });
    } finally {
      await backend.close();
    }
  });

  it('connection refused is unavailable (retryable)', async () => {
    const port = await freePort();
    const error = await source(`http://127.0.0.1:${port}`)
      .forTenant('cluster-a')
      .instantQuery(QUERY, AT)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(MetricsBackendUnavailableError);
    expect(error).toMatchObject({ retryable: true });
    // What a client may see names no URL; the log gets it from `detail`.
    expect((error as Error).message).toBe('metrics backend unreachable');
    expect((error as MetricsError).detail).toContain(`127.0.0.1:${port}`);
  });

  it('against a real Prometheus: answers a vector, refuses bad PromQL as a MetricsQueryError (400)', async () => {
    const prometheus = await PrometheusProcess.start({ remoteWriteReceiver: false });
    try {
      const tenant = source(prometheus.url).forTenant('cluster-a');
      expect(await tenant.instantQuery('vector(2) * 21', new Date())).toEqual([{ metric: {}, value: 42 }]);
      const error = await tenant.instantQuery('sum(', new Date()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MetricsQueryError);
      expect(error).toMatchObject({ status: 400, retryable: false, query: 'sum(' });
      expect((error as Error).message).toBe('metrics backend refused the query (400)');
      expect((error as MetricsError).detail).toMatch(/bad_data/);
    } finally {
      await prometheus.dispose();
    }
  });
});

describe('K8sCostCalculator answers', () => {
  /** A source that answers every query with the same vector. */
  const answering = (value: number): TenantMetricsSource => ({
    forTenant: () => ({ instantQuery: async () => [{ metric: {}, value }] }),
  });

  it('a NaN from the backend is a query error naming the component, not a cost', async () => {
    const calculator = new K8sCostCalculator(answering(NaN), { stepSeconds: 300 });
    const error = await calculator.compute('cluster-a', '2024-03-01').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MetricsQueryError);
    expect((error as MetricsError).message).toMatch(/the management query returned NaN/);
  });

  it('sums the answers, idle per node clamped at zero; network included in the total, idle not', async () => {
    const node = (name: string, value: number) => ({ metric: { node: name }, value });
    const answers: Partial<Record<K8sCostQueryName, PromVector>> = {
      management: [{ metric: {}, value: 2.4 }],
      loadBalancer: [{ metric: {}, value: 0.9 }],
      cpu: [node('a', 3), node('b', 1)],
      ram: [node('a', 1), node('b', 0.5)],
      gpu: [node('a', 0)],
      nodeUnsplit: [{ metric: {}, value: 1.152 }],
      storage: [{ metric: {}, value: 0.25 }],
      network: [
        { metric: { part: 'internet' }, value: 2 },
        { metric: { part: 'counters' }, value: 0 },
      ],
      claimedCpu: [node('a', 2), node('b', 2), node('c', 5)],
      claimedRam: [node('a', 0.5)],
      claimedGpu: [],
    };
    const names = new Map(
      k8sCostQueries('cluster-a', k8sCostWindow('2024-03-01', 300, new Date())).map((q) => [
        q.promql,
        q.name,
      ]),
    );
    const calculator = new K8sCostCalculator(
      {
        forTenant: () => ({
          instantQuery: async (promql: string): Promise<PromVector> =>
            answers[names.get(promql) as K8sCostQueryName] ?? [],
        }),
      },
      { stepSeconds: 300 },
    );
    const { breakdown } = await calculator.compute('cluster-a', '2024-03-01');
    // idle: a = 3 + 1 + 0 - 2 - 0.5 = 1.5; b = 1 + 0.5 - 2 < 0 -> 0; c has claims but no split cost -> 0
    // total = cpu 4 + ram 1.5 + gpu 0 + unsplit 1.152 + storage 0.25 + network 2 + lb 0.9 + mgmt 2.4 = 12.202
    expect(breakdown).toEqual({
      cpu: 4,
      ram: 1.5,
      gpu: 0,
      nodeUnsplit: 1.152,
      storage: 0.25,
      network: 2,
      loadBalancer: 0.9,
      management: 2.4,
      idle: 1.5,
      total: 12.202,
    });
    // Without the zero "counters" series, there were no byte counters: network unknown.
    answers.network = [];
    expect((await calculator.compute('cluster-a', '2024-03-01')).breakdown).toMatchObject({
      network: null,
      total: 10.202,
    });
  });
});
