import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { compressSync } from 'snappy';
import {
  encodeRequestV2,
  encodeWriteRequestV1,
  type RequestV2,
  type WriteRequestV1,
} from '../../src/ingest/remote-write.proto';

/** Content types of the two protocol versions. */
export const V1_CONTENT_TYPE = 'application/x-protobuf';
export const V2_CONTENT_TYPE = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';

/** A 1.0 request body as Prometheus sends it: protobuf, snappy block format. */
export function v1Body(request: WriteRequestV1): Buffer {
  return compressSync(encodeWriteRequestV1(request));
}

/** A 2.0 request body: protobuf, snappy block format. */
export function v2Body(request: RequestV2): Buffer {
  return compressSync(encodeRequestV2(request));
}

/** One float series with one sample: `{__name__: name, ...labels} value @ timestampMs`. */
export function series(name: string, labels: Record<string, string>, value: number, timestampMs: number) {
  return {
    labels: [
      { name: '__name__', value: name },
      ...Object.entries(labels).map(([key, v]) => ({ name: key, value: v })),
    ],
    samples: [{ value, timestamp: timestampMs }],
  };
}

/** The headers a 1.0 sender sends, with basic auth. */
export function v1Headers(user: string, password: string): Record<string, string> {
  return {
    authorization: basicAuth(user, password),
    'content-type': V1_CONTENT_TYPE,
    'content-encoding': 'snappy',
    'x-prometheus-remote-write-version': '0.1.0',
  };
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** POSTs a body; returns status, headers and the body text. */
export async function postWrite(url: string, headers: Record<string, string>, body: Buffer) {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** What a fake backend received. */
export interface ReceivedWrite {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A remote_write backend a test controls: answers every write with `answer()` and remembers
 * what it received, on a loopback port of its own.
 */
export class FakeBackend {
  readonly received: ReceivedWrite[] = [];
  answer: () => { status: number; body?: string; headers?: Record<string, string> } = () => ({ status: 204 });
  /** Milliseconds to wait before answering (a slow backend). */
  delayMs = 0;
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeBackend> {
    // The handler needs the instance, which needs the listening server: a late-bound reference.
    const ref: { backend?: FakeBackend } = {};
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const backend = ref.backend;
        backend?.received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        const answer = backend?.answer() ?? { status: 500 };
        const timer = setTimeout(() => {
          if (!res.destroyed) res.writeHead(answer.status, answer.headers).end(answer.body);
        }, backend?.delayMs ?? 0);
        res.on('close', () => clearTimeout(timer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    ref.backend = new FakeBackend(server, `http://127.0.0.1:${port}/api/v1/receive`);
    return ref.backend;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
