import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { uncompressSync } from 'snappy';
import type {
  MetricsWriter,
  RemoteWriteCodec,
  RewrittenWriteRequest,
  WriteOutcome,
} from '../../src/domain/ports';
import type { SenderCredentials, SenderIdentity } from '../../src/ingest/sender-auth';
import { RemoteWriteHandler } from '../../src/http/remote-write.handler';
import { SampleRateLimiter } from '../../src/ingest/rate-limiter';
import { IngestMetrics } from '../../src/ingest/ingest-metrics';

/** The handler's clock in these tests. */
const NOW = Date.parse('2026-12-03T12:00:00Z');

// The route over fakes of its ports: which check answers first, and how codec errors and backend
// outcomes become status codes. The real codec and a real Prometheus are in the integration test.

class FakeCodecError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/** "Decompression" is the identity; the body text picks what `rewrite` does. */
const codec: RemoteWriteCodec = {
  version(contentType) {
    if (contentType === undefined || contentType === 'application/x-protobuf') return '1.0';
    if (contentType === 'application/x-protobuf;proto=io.prometheus.write.v2.Request') return '2.0';
    throw new FakeCodecError(415, `unsupported content type ${contentType}`);
  },
  checkContentEncoding(value) {
    if (value !== 'snappy') throw new FakeCodecError(415, `unsupported content encoding ${value}`);
  },
  decompress(body) {
    if (body.toString() === 'huge') throw new FakeCodecError(413, 'decoded size over the cap');
    return body;
  },
  rewrite(_version, raw): RewrittenWriteRequest {
    const text = raw.toString();
    if (text === 'bad') throw new FakeCodecError(400, 'series 0 (up{job="x"}): duplicate label "job"');
    if (text === 'bug') throw new TypeError('cannot read properties of undefined');
    // 'future': a sample 11 min ahead of NOW; 'int64max': the largest int64 ms; 'ancient': 1970.
    const newest = text === 'future' ? NOW + 660_000 : text === 'int64max' ? 2 ** 63 - 1 : 1_700_000_000_000;
    return {
      body: Buffer.from(`rewritten:${text}`),
      series: 2,
      samples: 3,
      histograms: 1,
      exemplars: 1,
      metadata: 0,
      newestTimestampMs: newest,
      oldestTimestampMs: text === 'ancient' ? 0 : 1_699_999_000_000,
      clusterInfo: null,
    };
  },
  errorStatus: (error) => (error instanceof FakeCodecError ? error.status : null),
};

const identity: SenderIdentity = { cloudAccountId: 'cluster-1', organizationId: 'org-1' };

describe('RemoteWriteHandler', () => {
  let server: http.Server;
  let url: string;
  let outcome: WriteOutcome;
  let writes: { body: string; tenant: string }[];
  let recorded: unknown[][];
  let limiter: SampleRateLimiter;
  let metrics: IngestMetrics;

  const writer: MetricsWriter = {
    async write(snappyBody, tenant) {
      writes.push({ body: uncompressSync(snappyBody).toString(), tenant });
      return outcome;
    },
    async close() {},
  };
  const auth = {
    async authenticate(credentials: SenderCredentials) {
      if (credentials.authorization === 'Bearer store-down') throw new Error('ClickHouse unreachable');
      return credentials.authorization === 'Bearer good'
        ? { ok: true as const, identity }
        : { ok: false as const, status: 401 as const, reason: 'unknown cluster or wrong secret' };
    },
  };

  beforeEach(async () => {
    outcome = { kind: 'written' };
    writes = [];
    recorded = [];
    limiter = new SampleRateLimiter(0);
    metrics = new IngestMetrics({ processMetrics: false, tenantLabels: true });
    const handler = new RemoteWriteHandler({
      codec,
      auth,
      writer,
      activity: { record: (...args) => recorded.push(args) },
      // Through a getter, so a test can swap the limiter.
      get limiter() {
        return limiter;
      },
      metrics,
      logger: pino({ level: 'silent' }),
      maxBodyBytes: 64,
      maxDecodedBytes: 1024,
      futureGraceMs: 600_000,
      maxSampleAgeMs: 5 * 365 * 86_400_000,
      now: () => NOW,
    });
    server = http.createServer((req, res) => void handler.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`;
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const good = {
    authorization: 'Bearer good',
    'content-type': 'application/x-protobuf',
    'content-encoding': 'snappy',
  };
  const send = async (headers: Record<string, string>, body: string | Buffer = 'ok', method = 'POST') => {
    const response = await fetch(url, { method, headers, body: method === 'GET' ? undefined : body });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

  it.each([
    ['GET', 405, 'GET', good, 'ok'],
    ['no credentials, even with a bad content type', 401, 'POST', { 'content-type': 'text/plain' }, 'ok'],
    ['a wrong content type', 415, 'POST', { ...good, 'content-type': 'application/json' }, 'ok'],
    ['gzip', 415, 'POST', { ...good, 'content-encoding': 'gzip' }, 'ok'],
    ['a compressed body over the cap', 413, 'POST', good, 'x'.repeat(65)],
    ['a decoded size over the cap', 413, 'POST', good, 'huge'],
    ['invalid series', 400, 'POST', good, 'bad'],
    ['a codec bug (retryable, never 4xx)', 500, 'POST', good, 'bug'],
    ['a sample 11 min ahead of the clock (grace 10 min)', 400, 'POST', good, 'future'],
    ['an int64-max timestamp', 400, 'POST', good, 'int64max'],
    ['a sample older than the accepted age', 400, 'POST', good, 'ancient'],
    ['a credential store that is down', 503, 'POST', { ...good, authorization: 'Bearer store-down' }, 'ok'],
  ])('answers %s with %i', async (_label, status, method, headers, body) => {
    const response = await send(headers, body, method);
    expect(response.status).toBe(status);
    expect(writes).toEqual([]);
    expect(recorded).toEqual([]);
  });

  it('names why a request with a sample too far ahead or too old was refused, and counts its samples', async () => {
    const ahead = await send(good, 'future');
    expect(ahead.text).toContain(`stamped ${new Date(NOW + 660_000).toISOString()}, more than 600 s ahead`);
    const old = await send(good, 'ancient');
    expect(old.text).toContain('stamped 1970-01-01T00:00:00.000Z, older than');
    const text = await metrics.render();
    expect(text.body).toContain(
      'cloudtuner_remote_write_samples_rejected_total{tenant="cluster-1",reason="too_far_in_future"} 4',
    );
    expect(text.body).toContain(
      'cloudtuner_remote_write_samples_rejected_total{tenant="cluster-1",reason="too_old"} 4',
    );
  });

  it('asks for basic auth on 401 and names the bad series on 400', async () => {
    const unauthenticated = await send({ ...good, authorization: 'Bearer nope' });
    expect(unauthenticated.headers.get('www-authenticate')).toBe('Basic realm="cloudtuner"');
    const bad = await send(good, 'bad');
    expect(bad.text).toContain('series 0 (up{job="x"}): duplicate label "job"');
  });

  it('forwards the rewritten body snappy-compressed for the authenticated tenant and answers 204', async () => {
    const response = await send(good, 'payload');
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect(response.headers.get('x-prometheus-remote-write-samples-written')).toBeNull();
    expect(writes).toEqual([{ body: 'rewritten:payload', tenant: 'cluster-1' }]);
    expect(recorded).toEqual([[identity, 1_700_000_000_000, null]]);
  });

  it('tells a 2.0 sender what was written, and that nothing was on failure', async () => {
    const v2 = { ...good, 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' };
    const ok = await send(v2);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('x-prometheus-remote-write-samples-written')).toBe('3');
    expect(ok.headers.get('x-prometheus-remote-write-histograms-written')).toBe('1');
    expect(ok.headers.get('x-prometheus-remote-write-exemplars-written')).toBe('1');
    outcome = { kind: 'unavailable', reason: 'down' };
    const failed = await send(v2);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('x-prometheus-remote-write-samples-written')).toBe('0');
  });

  it.each([
    [{ kind: 'rejected', status: 400, reason: 'out of order sample' }, 400, null, 'out of order sample'],
    [{ kind: 'unavailable', reason: 'metrics backend unreachable' }, 503, '5', 'unreachable'],
    [{ kind: 'unavailable', reason: 'answered 429', retryAfterSeconds: 30 }, 503, '30', '429'],
  ] as const)('maps a backend outcome %j to %i', async (backend, status, retryAfter, reason) => {
    outcome = backend;
    const response = await send(good);
    expect(response.status).toBe(status);
    expect(response.headers.get('retry-after')).toBe(retryAfter);
    expect(response.text).toContain(reason);
    expect(recorded).toEqual([]);
  });

  it('rate-limits per tenant after decoding, with Retry-After, before the backend', async () => {
    limiter = new SampleRateLimiter(1); // bucket of 2; each request holds 3 + 1 samples
    expect((await send(good)).status).toBe(204);
    const limited = await send(good);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(writes).toHaveLength(1);
  });

  it('counts requests by tenant and status, samples and bytes', async () => {
    await send(good, 'payload');
    await send(good, 'bad');
    await send({ ...good, authorization: 'Bearer nope' });
    outcome = { kind: 'unavailable', reason: 'down' };
    await send(good, 'again');
    const text = (await metrics.render()).body;
    expect(text).toContain('cloudtuner_remote_write_requests_total{tenant="cluster-1",status="204"} 1');
    expect(text).toContain('cloudtuner_remote_write_requests_total{tenant="cluster-1",status="400"} 1');
    expect(text).toContain('cloudtuner_remote_write_requests_total{tenant="unknown",status="401"} 1');
    expect(text).toContain('cloudtuner_remote_write_samples_accepted_total{tenant="cluster-1"} 4');
    expect(text).toContain(
      'cloudtuner_remote_write_samples_rejected_total{tenant="cluster-1",reason="backend_unavailable"} 4',
    );
    expect(text).toContain('cloudtuner_remote_write_received_bytes_total{tenant="cluster-1"} 15');
    expect(text).toContain('cloudtuner_remote_write_request_duration_seconds_count 4');
  });
});
