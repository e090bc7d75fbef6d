import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { compressSync } from 'snappy';
import { createTestCore } from '../support/test-core';
import { V1_CONTENT_TYPE, V2_CONTENT_TYPE, basicAuth } from '../support/remote-write-client';
import { runAll, startServer, type RunningServer } from '../../src/main';
import {
  encodeRequestV2,
  encodeWriteRequestV1,
  type TimeSeriesV1,
} from '../../src/ingest/remote-write.proto';
import { mutate } from '../support/protobuf-mutations';

type TestCore = Awaited<ReturnType<typeof createTestCore>>;

/**
 * Random and mutated remote_write requests POSTed over HTTP, with valid credentials, to the real
 * route of a running server (role api) whose backend is a fake that answers 204: the route's own
 * behaviour is under test. Bodies start from valid snappy-compressed 1.0 and 2.0 requests and are
 * mutated before and after compression; headers (content types, encodings, versions) and the
 * HTTP framing (lengths, chunking, truncation) are mutated too. Every answer must be 2xx or 4xx,
 * the server's own counters must show no 5xx, and it must still be healthy and writing at the end.
 *
 * Reproduce one case: FUZZ_SEED=<seed> FUZZ_CASE=<index> npx jest test/integration/ingest-route-fuzz.test.ts
 * More cases: FUZZ_CASES=100000.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 0x1f0cafe);
const ONLY = process.env.FUZZ_CASE === undefined ? -1 : Number(process.env.FUZZ_CASE);
const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const IN_FLIGHT = 8;
const MAX_BODY = 64 * 1024; // small caps so 413 is reachable
const MAX_DECODED = 512 * 1024;
const T0 = 1_764_000_000_000;

/** mulberry32: small, seedable, good enough to pick mutations. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Version = '1.0' | '2.0';

/** Valid uncompressed requests of both versions, to mutate. */
function corpus(): { version: Version; raw: Buffer }[] {
  const labels = (record: Record<string, string>) =>
    Object.entries(record).map(([name, value]) => ({ name, value }));
  const batch: TimeSeriesV1[] = Array.from({ length: 60 }, (_, i) => ({
    labels: labels({
      __name__: ['container_cpu_allocation', 'node_total_hourly_cost', 'kube_pod_owner'][i % 3] as string,
      cluster_id: 'prod-eks',
      instance: `ip-10-0-${i % 7}-17`,
      job: 'kubecost',
      namespace: ['shop', 'payments', 'kube-system'][i % 3] as string,
      node: `ip-10-0-${i % 7}-17`,
      pod: `api-${i.toString(36)}`,
    }),
    samples: [{ value: i / 7, timestamp: T0 + i }],
  }));
  const v1 = [
    encodeWriteRequestV1({ timeseries: batch }),
    encodeWriteRequestV1({
      timeseries: [
        {
          // Unsorted, with a tenant label to be replaced; NaN, stale marker and infinities.
          labels: labels({ zone: 'a', cloud_account_id: 'victim', __name__: 'odd_values', job: 'x' }),
          samples: [
            { value: Number.NaN, timestamp: T0 },
            { value: Number.POSITIVE_INFINITY, timestamp: T0 + 1 },
            { value: Number.NEGATIVE_INFINITY, timestamp: T0 + 2 },
          ],
        },
        {
          labels: labels({
            __name__: 'kubecost_cluster_info',
            provider: 'AWS',
            region: 'us-east-1',
            version: '1.29',
          }),
          samples: [{ value: 1, timestamp: T0 }],
        },
      ],
      metadata: [{ type: 1, metricFamilyName: 'odd_values', help: 'a gauge', unit: '' }],
    }),
    encodeWriteRequestV1({
      timeseries: [
        {
          labels: labels({ __name__: 'request_duration_seconds', job: 'api' }),
          histograms: [
            {
              countInt: 5,
              sum: 1.5,
              schema: 3,
              zeroThreshold: 1e-9,
              zeroCountInt: 1,
              positiveSpans: [{ offset: 2, length: 2 }],
              positiveDeltas: [2, -1],
              timestamp: T0,
            },
          ],
          exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 0.3, timestamp: T0 }],
        },
      ],
    }),
    encodeWriteRequestV1({ metadata: [{ type: 2, metricFamilyName: 'x_total', help: 'h', unit: 'u' }] }),
  ];
  const stale = Buffer.from(v1[1] as Buffer);
  const nan = stale.indexOf(Buffer.from([0, 0, 0, 0, 0, 0, 0xf8, 0x7f]));
  if (nan >= 0) stale.set([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f], nan); // NaN -> stale marker
  v1.push(stale);
  const v2 = [
    encodeRequestV2({
      symbols: ['', '__name__', 'up', 'job', 'node', 'k8s.pod', 'a b', 'trace_id', 'abc', 'help', 'sec'],
      timeseries: [
        {
          labelsRefs: [3, 4, 1, 2, 5, 6],
          samples: [{ value: 2, timestamp: T0, startTimestamp: T0 - 1000 }],
          exemplars: [{ labelsRefs: [7, 8], value: 2, timestamp: T0 }],
          metadata: { type: 1, helpRef: 9, unitRef: 10 },
        },
        {
          labelsRefs: [1, 2],
          histograms: [
            {
              countFloat: 2.5,
              sum: 3,
              schema: 0,
              positiveSpans: [{ length: 2 }],
              positiveCounts: [1, 1.5],
              timestamp: T0,
            },
          ],
        },
      ],
    }),
    encodeRequestV2({
      symbols: ['', '__name__', 'node_total_hourly_cost', 'node', 'cloud_account_id', 'victim'],
      timeseries: Array.from({ length: 40 }, (_, i) => ({
        labelsRefs: [1, 2, 3, 2, 4, 5],
        samples: [{ value: i, timestamp: T0 + i }],
      })),
    }),
    encodeRequestV2({ symbols: [''], timeseries: [] }),
  ];
  return [
    ...v1.map((raw) => ({ version: '1.0' as const, raw })),
    ...v2.map((raw) => ({ version: '2.0' as const, raw })),
  ];
}

/** Printable ASCII noise (valid in a header value). */
function noise(rnd: () => number, max: number): string {
  return Array.from({ length: Math.floor(rnd() * max) }, () =>
    String.fromCharCode(0x20 + Math.floor(rnd() * 95)),
  ).join('');
}

/** How the request is framed on the wire. */
type Framing =
  | 'keep-alive' // a well-formed request on the pooled keep-alive agent
  | 'chunked' // raw socket: Transfer-Encoding: chunked, valid chunks
  | 'bad-chunks' // raw socket: malformed chunk sizes
  | 'short-length' // raw socket: Content-Length below the body (the rest parses as garbage)
  | 'long-length' // raw socket: Content-Length above the body, then the client closes
  | 'two-lengths' // raw socket: two different Content-Length headers
  | 'bad-length' // raw socket: a Content-Length that is not a number
  | 'length-and-chunked'; // raw socket: both framings at once

/**
 * Framings after which the client closes its side at once: the body it announced may never be
 * complete (a chunk or a Content-Length larger than what follows), so the server may just close.
 */
const GIVES_UP = new Set<Framing>(['long-length', 'bad-chunks']);

interface FuzzCase {
  index: number;
  description: string;
  headers: Record<string, string>;
  body: Buffer;
  framing: Framing;
}

const CONTENT_TYPES = [
  undefined,
  '',
  V1_CONTENT_TYPE,
  V2_CONTENT_TYPE,
  'application/x-protobuf;proto=prometheus.WriteRequest',
  'application/x-protobuf; proto=io.prometheus.write.v2.Request',
  'APPLICATION/X-PROTOBUF',
  'application/x-protobuf;proto=',
  'application/x-protobuf;proto=example.Other',
  'application/x-protobuf;proto=io.prometheus.write.v2.Request;charset=utf-8',
  'application/json',
  'text/plain',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
];
const ENCODINGS = [
  undefined,
  '',
  'snappy',
  'SNAPPY',
  'gzip',
  'deflate',
  'zstd',
  'identity',
  'snappy, gzip',
  'br',
];
const VERSIONS = [undefined, '0.1.0', '2.0.0', '1.0.0', '9.9.9', ''];

/** Builds case `index` from its own PRNG, so any case can be replayed alone. */
function buildCase(
  index: number,
  base: { version: Version; raw: Buffer }[],
  auth: Record<string, string>,
): FuzzCase {
  const rnd = prng((SEED ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const pool = base.map((entry) => entry.raw);
  const entry = pick(base);
  const notes: string[] = [`corpus ${base.indexOf(entry)} (${entry.version})`];

  let body: Buffer;
  const mode = int(100);
  if (mode < 12) {
    body = compressSync(entry.raw);
    notes.push('valid body');
  } else if (mode < 52) {
    body = compressSync(mutate(entry.raw, rnd, pool));
    notes.push('mutated, then compressed');
  } else if (mode < 80) {
    body = mutate(compressSync(entry.raw), rnd, pool);
    notes.push('compressed, then mutated');
  } else if (mode < 86) {
    // The snappy preamble (decoded length varint) rewritten: too large, too small, overlong.
    const compressed = compressSync(entry.raw);
    let skip = 0;
    while (skip < compressed.length && (compressed[skip] as number) & 0x80) skip++;
    const preamble = pick([
      [0x80, 0x80, 0x80, 0x20], // 64 MiB
      [0x81, 0x80, 0x20], // just over the cap
      [int(128)],
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ]);
    body = Buffer.concat([Buffer.from(preamble), compressed.subarray(skip + 1)]);
    notes.push(`preamble ${Buffer.from(preamble).toString('hex')}`);
  } else if (mode < 92) {
    body = Buffer.from(Array.from({ length: int(400) }, () => int(256)));
    notes.push(`noise ${body.length} B`);
  } else if (mode < 95) {
    body = compressSync(Buffer.from(Array.from({ length: int(4000) }, () => int(256))));
    notes.push('compressed noise');
  } else if (mode < 97) {
    body = Buffer.alloc(0);
    notes.push('empty body');
  } else if (mode < 98) {
    body = Buffer.from(Array.from({ length: MAX_BODY + 1 + int(1000) }, () => int(256)));
    notes.push('over the body cap');
  } else {
    // Decodes to more than the decoded cap: many copies of a valid series.
    const copies = Math.ceil(MAX_DECODED / entry.raw.length) + 1;
    body = compressSync(Buffer.concat(Array.from({ length: copies }, () => entry.raw)));
    notes.push(`${copies} concatenated copies`);
  }

  const headers: Record<string, string> = { ...auth };
  const contentType =
    rnd() < 0.7
      ? entry.version === '1.0'
        ? V1_CONTENT_TYPE
        : V2_CONTENT_TYPE
      : rnd() < 0.9
        ? pick(CONTENT_TYPES)
        : noise(rnd, 40);
  if (contentType !== undefined) headers['content-type'] = contentType;
  const encoding = rnd() < 0.85 ? 'snappy' : rnd() < 0.9 ? pick(ENCODINGS) : noise(rnd, 20);
  if (encoding !== undefined) headers['content-encoding'] = encoding;
  const version =
    rnd() < 0.85
      ? entry.version === '1.0'
        ? '0.1.0'
        : '2.0.0'
      : rnd() < 0.9
        ? pick(VERSIONS)
        : noise(rnd, 10);
  if (version !== undefined) headers['x-prometheus-remote-write-version'] = version;
  if (rnd() < 0.03)
    headers['cloud-account-id'] = rnd() < 0.5 ? (auth['x-cluster-id'] as string) : noise(rnd, 40);
  if (rnd() < 0.02) headers.authorization = pick([noise(rnd, 60), 'Basic', 'Bearer ', basicAuth('', 'x')]);
  if (rnd() < 0.02) headers['thanos-tenant'] = 'victim';
  delete headers['x-cluster-id'];
  notes.push(`content-type ${JSON.stringify(contentType)}, encoding ${JSON.stringify(encoding)}`);

  const framings: Framing[] = [
    'chunked',
    'bad-chunks',
    'short-length',
    'long-length',
    'two-lengths',
    'bad-length',
    'length-and-chunked',
  ];
  const framing: Framing = rnd() < 0.94 ? 'keep-alive' : pick(framings);
  notes.push(`framing ${framing}`);
  return { index, description: notes.join('; '), headers, body, framing };
}

/** The credential headers only (without the helper key a case may copy from). */
function pickAuth(auth: Record<string, string>): Record<string, string> {
  return { authorization: auth.authorization as string };
}

/** What came back: statuses of the responses read (none when the server closed without one). */
interface Outcome {
  statuses: number[];
  text: string;
}

function postKeepAlive(agent: http.Agent, url: URL, fuzz: FuzzCase): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { ...fuzz.headers, 'content-length': String(fuzz.body.length) },
    });
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          statuses: [res.statusCode ?? 0],
          text: Buffer.concat(chunks).toString('utf8').slice(0, 300),
        }),
      );
    });
    req.end(fuzz.body);
  });
}

/** Writes the request byte by byte as framed, on a socket of its own (Connection: close). */
function postRaw(port: number, fuzz: FuzzCase, rnd: () => number): Promise<Outcome> {
  const lines = ['POST /api/v1/write HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of Object.entries(fuzz.headers)) lines.push(`${name}: ${value}`);
  const { body } = fuzz;
  let payload = body;
  switch (fuzz.framing) {
    case 'chunked':
    case 'bad-chunks': {
      lines.push('Transfer-Encoding: chunked');
      const parts: Buffer[] = [];
      for (let at = 0; at < body.length;) {
        const size = Math.min(body.length - at, 1 + Math.floor(rnd() * 4096));
        const sizeLine =
          fuzz.framing === 'bad-chunks' && rnd() < 0.5
            ? ['zz', '-1', (size + 7).toString(16), ''][Math.floor(rnd() * 4)]
            : size.toString(16);
        parts.push(Buffer.from(`${sizeLine}\r\n`), body.subarray(at, at + size), Buffer.from('\r\n'));
        at += size;
      }
      parts.push(Buffer.from(fuzz.framing === 'bad-chunks' ? 'x\r\n\r\n' : '0\r\n\r\n'));
      payload = Buffer.concat(parts);
      break;
    }
    case 'short-length':
      lines.push(`Content-Length: ${Math.floor(rnd() * body.length)}`);
      break;
    case 'long-length':
      lines.push(`Content-Length: ${body.length + 1 + Math.floor(rnd() * 1000)}`);
      break;
    case 'two-lengths':
      lines.push(`Content-Length: ${body.length}`, `Content-Length: ${body.length + 1}`);
      break;
    case 'bad-length':
      lines.push(`Content-Length: ${['abc', '-1', '1e3', '0x10', ' '][Math.floor(rnd() * 5)]}`);
      break;
    case 'length-and-chunked':
      lines.push(`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked');
      break;
    case 'keep-alive':
      lines.push(`Content-Length: ${body.length}`);
  }
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(30_000, () => socket.destroy(new Error('no answer and no close within 30 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may reset a connection it refused mid-body: what arrived before still counts.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return;
      reject(error);
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((m) => Number(m[1]));
      resolve({ statuses, text: text.slice(0, 300) });
    });
    socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]));
    // A client that gives up mid-body: the server sees the end of the stream before the body.
    if (GIVES_UP.has(fuzz.framing)) socket.end();
  });
}

/** A remote_write backend that answers every write 204 and keeps nothing. */
async function startNullBackend(): Promise<{ url: string; writes: () => number; stop: () => Promise<void> }> {
  let writes = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      writes++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1/receive`,
    writes: () => writes,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('remote_write route under random and mutated requests over HTTP', () => {
  let core: TestCore;
  let server: RunningServer;
  let backend: Awaited<ReturnType<typeof startNullBackend>>;
  let auth: Record<string, string>;

  beforeAll(async () => {
    backend = await startNullBackend();
    core = await createTestCore({
      METRICS_WRITE_URL: backend.url,
      INGEST_MAX_BODY_BYTES: String(MAX_BODY),
      INGEST_MAX_DECODED_BYTES: String(MAX_DECODED),
    });
    server = await startServer(core, { role: 'api' });
    const { organization } = await core.organizations.create('Fuzz');
    const cluster = await core.services.clusterRegistration.register(organization.id, { name: 'fuzz' });
    auth = {
      authorization: basicAuth(cluster.cluster.id, cluster.secret),
      // Not sent: lets a case set a matching Cloud-Account-Id header.
      'x-cluster-id': cluster.cluster.id,
    };
  });

  afterAll(async () => {
    await runAll([
      async () => server?.stop(),
      async () => core?.clusterActivity.stop(),
      async () => core?.dispose(),
      async () => backend?.stop(),
    ]);
  });

  it('counts a client that closes mid-body as 400, never as an internal error', async () => {
    const { port } = server.server.address() as AddressInfo;
    const count = async (status: number) => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return text
        .split('\n')
        .filter(
          (line) =>
            line.startsWith('cloudtuner_remote_write_requests_total{') && line.includes(`status="${status}"`),
        )
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    };
    const before = { 400: await count(400), 500: await count(500) };
    const outcome = await postRaw(
      port,
      {
        index: -1,
        description: 'announces 5000 bytes, sends 10, closes',
        headers: { ...pickAuth(auth), 'content-type': V1_CONTENT_TYPE, 'content-encoding': 'snappy' },
        body: compressSync(Buffer.from('0123456789')),
        framing: 'long-length',
      },
      () => 0.999,
    );
    expect(outcome.statuses.every((status) => status >= 400 && status < 500)).toBe(true);
    // The route notes the request once the connection is gone.
    for (let i = 0; i < 50 && (await count(400)) === before[400]; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect({ 400: await count(400), 500: await count(500) }).toEqual({
      400: before[400] + 1,
      500: before[500],
    });
  });

  it(`answers ${ONLY >= 0 ? `case ${ONLY}` : `${CASES} cases`} (seed ${SEED}) with 2xx or 4xx, never 5xx`, async () => {
    const url = new URL(`${server.url}/api/v1/write`);
    const { port } = server.server.address() as AddressInfo;
    const base = corpus();
    const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const byStatus = new Map<string, number>();
    const failures: string[] = [];
    const indexes = ONLY >= 0 ? [ONLY] : Array.from({ length: CASES }, (_, i) => i);
    let next = 0;
    const started = Date.now();

    const worker = async () => {
      while (next < indexes.length) {
        const index = indexes[next++] as number;
        const fuzz = buildCase(index, base, auth);
        const where = `seed=${SEED} case=${index} (${fuzz.description})`;
        try {
          const outcome =
            fuzz.framing === 'keep-alive'
              ? await postKeepAlive(agent, url, fuzz)
              : await postRaw(port, fuzz, prng(index));
          for (const status of outcome.statuses) {
            const key = `${fuzz.framing === 'keep-alive' ? '' : `${fuzz.framing} `}${status}`;
            byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
            if (!(status >= 200 && status < 300) && !(status >= 400 && status < 500)) {
              failures.push(`${where}: answered ${status}: ${outcome.text}`);
            }
          }
          // Only a client that gave up mid-body may go without an answer.
          if (outcome.statuses.length === 0 && !GIVES_UP.has(fuzz.framing)) {
            failures.push(`${where}: connection closed without an answer`);
          }
        } catch (error) {
          failures.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    agent.destroy();
    const seconds = (Date.now() - started) / 1000;
    const summary = [...byStatus].sort(([a], [b]) => a.localeCompare(b));
    process.stdout.write(
      `fuzz seed ${SEED}: ${indexes.length} cases in ${seconds.toFixed(1)} s; ${JSON.stringify(Object.fromEntries(summary))}\n`,
    );
    expect(failures.slice(0, 20)).toEqual([]);

    // The server's own view: no request it answered (or tried to) with a 5xx.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const fiveHundreds = metrics
      .split('\n')
      .filter((line) => /^cloudtuner_remote_write_requests_total\{.*status="5\d\d"/.test(line));
    expect(fiveHundreds).toEqual([]);

    if (ONLY < 0) {
      // The fuzzer reached every outcome the route has for bad data, and wrote the good data.
      const unreached = ['204', '400', '401', '403', '413', '415'].filter((status) => !byStatus.get(status));
      expect(unreached).toEqual([]);
      expect(backend.writes()).toBeGreaterThan(0);
    }

    // Still healthy, and still writing.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: auth.authorization as string,
        'content-type': V1_CONTENT_TYPE,
        'content-encoding': 'snappy',
      },
      body: compressSync(base[0]?.raw as Buffer),
    });
    expect([response.status, await response.text()]).toEqual([204, '']);
  }, 120_000);
});
