import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { Logger } from '../logger';
import { addDays, formatDay } from '../domain/days';
import type { GraphQLHandler } from './graphql.handler';
import type { Dashboard } from './dashboard';
import { renderGraphiQLPage, serveGraphiQLAsset } from './graphiql';
import type { ExampleQuery } from './examples';
import type { RemoteWriteHandler } from './remote-write.handler';
import type { IngestMetrics } from '../ingest/ingest-metrics';

/** Where remote_write is accepted: Prometheus' own path, and the original platform's collectors'. */
export const REMOTE_WRITE_PATHS = ['/api/v1/write', '/storage/api/v2/write'];

/** A dependency /readyz checks; `ok` false makes the service not ready. */
export type ReadinessCheck = () => Promise<{ name: string; ok: boolean }>;

export interface HttpServerOptions {
  logger: Logger;
  /** Absent in roles that serve no API (worker, scheduler): they answer health routes only. */
  graphql?: GraphQLHandler;
  examples?: ExampleQuery[];
  /** The web dashboard at `/` (absent in roles that serve no API). */
  dashboard?: Dashboard;
  /** Pre-filled in GraphiQL's headers editor (the demo token in `serve --demo`). */
  graphiqlHeaders?: Record<string, string>;
  /** Absent in roles that take no remote_write (worker, scheduler). */
  remoteWrite?: RemoteWriteHandler;
  /** Served at /metrics in Prometheus text format. */
  metrics: IngestMetrics;
  /** When set, /metrics answers only requests bearing this token (METRICS_AUTH_TOKEN). */
  metricsAuthToken?: string;
  readiness: ReadinessCheck[];
}

/** How long an idle keep-alive connection stays open (announced as `Keep-Alive: timeout=75`). */
const KEEP_ALIVE_MS = 75_000;

/**
 * The service's HTTP surface: the dashboard (/ and its views, /assets/), /graphql (+ GraphiQL and
 * its assets), the remote_write routes,
 * /metrics, /healthz, /readyz.
 */
export function createHttpServer(options: HttpServerOptions): http.Server {
  const { logger } = options;
  const server = http.createServer((req, res) => {
    const started = performance.now();
    route(options, req, res)
      .catch((error: unknown) => {
        logger.error({ err: error, method: req.method, url: req.url }, 'request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal server error');
      })
      .finally(() => {
        logger.debug(
          {
            method: req.method,
            path: req.url?.split('?')[0],
            status: res.statusCode,
            ms: Math.round(performance.now() - started),
          },
          'http request',
        );
      });
  });
  // Remote-write senders hold their connections between sends, which can be many seconds apart.
  // Node closes an idle keep-alive connection after 5 s by default, and a sender that reuses one
  // just as it closes gets a reset: a failed send that Prometheus must retry (Go does not retry
  // a POST on its own). Idle connections stay open 75 s, longer than load balancers' usual 60 s,
  // so the side that closes is the one that knows; headers must still arrive within 80 s.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 5_000;
  return server;
}

async function route(
  options: HttpServerOptions,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (url.pathname === '/readyz') {
    const results = await Promise.all(
      options.readiness.map((check) => check().catch(() => ({ name: 'unknown', ok: false }))),
    );
    const ok = results.every((result) => result.ok);
    res
      .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ready: ok, checks: Object.fromEntries(results.map((r) => [r.name, r.ok])) }));
    return;
  }
  if (url.pathname === '/metrics' && (method === 'GET' || method === 'HEAD')) {
    if (options.metricsAuthToken && !bearerMatches(req.headers.authorization, options.metricsAuthToken)) {
      res
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="metrics"' })
        .end(method === 'HEAD' ? undefined : 'Authorization: Bearer <METRICS_AUTH_TOKEN> is required\n');
      return;
    }
    const { contentType, body } = await options.metrics.render();
    res.writeHead(200, { 'content-type': contentType }).end(method === 'HEAD' ? undefined : body);
    return;
  }
  if (options.remoteWrite && REMOTE_WRITE_PATHS.includes(url.pathname)) {
    await options.remoteWrite.handle(req, res);
    return;
  }
  if (
    options.graphql &&
    url.pathname.startsWith('/graphiql/assets/') &&
    (method === 'GET' || method === 'HEAD')
  ) {
    if (await serveGraphiQLAsset(url.pathname, res)) return;
  }
  if (options.graphql && url.pathname === '/graphql') {
    const wantsPage =
      method === 'GET' && !url.searchParams.has('query') && (req.headers.accept ?? '').includes('text/html');
    if (wantsPage) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(graphiqlPage(options));
      return;
    }
    await options.graphql.handle(req, res, url);
    return;
  }
  if (options.dashboard && (await options.dashboard.handle(req, res, url.pathname))) return;
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
}

function graphiqlPage(options: HttpServerOptions): string {
  // Example variables cover the last 30 whole days, so the tabs answer with data when run.
  const yesterday = addDays(formatDay(new Date()), -1);
  const range = { start: addDays(yesterday, -29), end: yesterday };
  return renderGraphiQLPage({
    endpoint: '/graphql',
    defaultHeaders: options.graphiqlHeaders ?? { Authorization: 'Bearer <your API token>' },
    examples: (options.examples ?? []).map((example) => ({ ...example, variables: { range } })),
  });
}

/** Whether an Authorization header carries `Bearer <expected>`, compared in constant time. */
function bearerMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const given = createHash('sha256')
    .update(match[1] as string)
    .digest();
  return timingSafeEqual(given, createHash('sha256').update(expected).digest());
}
