import type { IncomingMessage, ServerResponse } from 'node:http';
import { compressSync } from 'snappy';
import type { Logger } from '../logger';
import { CLOSE_AFTER_413, readBody } from './read-body';
import type {
  MetricsWriter,
  RemoteWriteCodec,
  RemoteWriteVersion,
  RewrittenWriteRequest,
} from '../domain/ports';
import type { SenderAuthResult, SenderCredentials, SenderIdentity } from '../ingest/sender-auth';
import type { SampleRateLimiter } from '../ingest/rate-limiter';
import { TENANT_LABEL } from '../domain/tenancy';
import { UNKNOWN_TENANT, type IngestMetrics } from '../ingest/ingest-metrics';

/** Seconds a sender is asked to wait when the backend is down (it backs off further itself). */
const BACKEND_RETRY_AFTER_SECONDS = 5;

export interface RemoteWriteHandlerOptions {
  codec: RemoteWriteCodec;
  auth: { authenticate(credentials: SenderCredentials): Promise<SenderAuthResult> };
  writer: MetricsWriter;
  activity: {
    record(
      cluster: SenderIdentity,
      newestTimestampMs: number | null,
      clusterInfo: Record<string, string> | null,
    ): void;
  };
  limiter: SampleRateLimiter;
  metrics: IngestMetrics;
  logger: Logger;
  maxBodyBytes: number;
  maxDecodedBytes: number;
  /**
   * How far past this server's clock a sample may be (Mimir's creation_grace_period). One
   * sample ahead would move the backend's head forward and make it refuse every other cluster's
   * current samples as out of bounds, so such a request is refused whole, never forwarded.
   */
  futureGraceMs: number;
  /** How old a sample may be (0: any age). Older ones are past what the backend accepts. */
  maxSampleAgeMs: number;
  now?: () => number;
}

/** A response decided along the way. */
interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** What is known about a request when it is answered (for the log line and the counters). */
interface Progress {
  tenant: string;
  version?: RemoteWriteVersion;
  decoded?: RewrittenWriteRequest;
}

/**
 * `POST /api/v1/write` (and `/storage/api/v2/write`): authenticates the cluster, checks and
 * rewrites the request so every series carries the cluster's own tenant label, and forwards it
 * to the metrics backend with the backend's tenant header. Checks run in this order, each before
 * any work the next one costs: method (405), identity (401/403), content type and encoding (415),
 * compressed size (413), decompression (413/400), series (400), rate (429), backend (503/400).
 * Status codes follow the remote-write spec: 4xx only for data that can never be accepted (the
 * sender drops it), 5xx for anything worth retrying (the sender keeps it in its WAL).
 */
export class RemoteWriteHandler {
  constructor(private readonly options: RemoteWriteHandlerOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const progress: Progress = { tenant: UNKNOWN_TENANT };
    let answer: Answer;
    try {
      answer = await this.process(req, progress);
    } catch (error) {
      // A bug or a store failure, never the sender's fault: 500 keeps its data for a retry.
      this.options.logger.error({ err: error, tenant: progress.tenant }, 'remote_write failed');
      answer = { status: 500, body: 'internal error; retry later' };
    }
    const headers = { ...answer.headers };
    if (answer.body !== undefined) headers['content-type'] = 'text/plain; charset=utf-8';
    if (progress.version === '2.0') Object.assign(headers, writtenHeaders(answer.status, progress.decoded));
    res.writeHead(answer.status, headers).end(answer.body === undefined ? undefined : `${answer.body}\n`);
    const seconds = (performance.now() - started) / 1000;
    this.options.metrics.request(progress.tenant, answer.status, seconds);
    this.options.logger.info(
      {
        tenant: progress.tenant,
        series: progress.decoded?.series ?? 0,
        samples: progress.decoded?.samples ?? 0,
        status: answer.status,
        ms: Math.round(seconds * 1000),
        ...(answer.status >= 300 && answer.body ? { reason: answer.body } : {}),
      },
      'remote_write',
    );
  }

  private async process(req: IncomingMessage, progress: Progress): Promise<Answer> {
    const { codec, metrics } = this.options;
    if (req.method !== 'POST') {
      return { status: 405, headers: { allow: 'POST' }, body: 'remote_write takes POST' };
    }

    let auth: SenderAuthResult;
    try {
      auth = await this.options.auth.authenticate({
        authorization: req.headers.authorization,
        cloudAccountId: header(req, 'cloud-account-id'),
      });
    } catch (error) {
      this.options.logger.error({ err: error }, 'credential lookup failed');
      return unavailable('credentials cannot be checked right now');
    }
    if (!auth.ok) {
      return {
        status: auth.status,
        headers: auth.status === 401 ? { 'www-authenticate': 'Basic realm="cloudtuner"' } : {},
        body: auth.reason,
      };
    }
    const identity = auth.identity;
    const tenant = identity.cloudAccountId;
    progress.tenant = tenant;

    const refused = (error: unknown): Answer => {
      const status = codec.errorStatus(error);
      if (status === null) throw error;
      return { status, body: error instanceof Error ? error.message : String(error) };
    };
    let version: RemoteWriteVersion;
    try {
      version = codec.version(header(req, 'content-type'));
      codec.checkContentEncoding(header(req, 'content-encoding'));
    } catch (error) {
      return refused(error);
    }
    progress.version = version;

    let body: Buffer | null;
    try {
      body = await readBody(req, this.options.maxBodyBytes);
    } catch (error) {
      // The client closed the connection mid-body, or broke the framing (Node then answers 400
      // itself and closes). Nobody is left to read this answer; it is the sender's doing, not an
      // internal error, so it must not count (or be logged) as a 5xx.
      const message = error instanceof Error ? error.message : String(error);
      return { status: 400, body: `request body not received in full: ${message}` };
    }
    if (body === null) {
      return {
        status: 413,
        body: `compressed body over ${this.options.maxBodyBytes} bytes`,
        headers: { ...CLOSE_AFTER_413 },
      };
    }
    metrics.received(tenant, body.length);

    let decoded: RewrittenWriteRequest;
    try {
      const raw = codec.decompress(body, this.options.maxDecodedBytes);
      // The output is bounded like the decoded input: a 2.0 body can name one long symbol in
      // every series and grow a thousandfold when written out as 1.0.
      decoded = codec.rewrite(version, raw, {
        tenantLabel: TENANT_LABEL,
        tenantValue: tenant,
        maxOutputBytes: this.options.maxDecodedBytes,
      });
    } catch (error) {
      return refused(error);
    }
    progress.decoded = decoded;
    const samples = decoded.samples + decoded.histograms;

    const now = (this.options.now ?? Date.now)();
    const { futureGraceMs, maxSampleAgeMs } = this.options;
    if (decoded.newestTimestampMs !== null && decoded.newestTimestampMs > now + futureGraceMs) {
      metrics.rejectedSamples(tenant, 'too_far_in_future', samples);
      return {
        status: 400,
        body:
          `a sample is stamped ${stamp(decoded.newestTimestampMs)}, more than ${futureGraceMs / 1000} s ` +
          `ahead of this server's clock (${stamp(now)}): check the sender's clock; nothing was written`,
      };
    }
    if (
      maxSampleAgeMs > 0 &&
      decoded.oldestTimestampMs !== null &&
      decoded.oldestTimestampMs < now - maxSampleAgeMs
    ) {
      metrics.rejectedSamples(tenant, 'too_old', samples);
      return {
        status: 400,
        body:
          `a sample is stamped ${stamp(decoded.oldestTimestampMs)}, older than the ${maxSampleAgeMs / 1000} s ` +
          'the backend accepts; nothing was written',
      };
    }

    const wait = this.options.limiter.take(tenant, samples);
    if (wait !== null) {
      metrics.rejectedSamples(tenant, 'rate_limited', samples);
      return {
        status: 429,
        headers: { 'retry-after': String(wait) },
        body: 'rate limit of this cluster exceeded; retry later',
      };
    }

    // copyOutputData: without it snappy hands back external buffers whose finalization piles
    // up and the path runs ~5x slower (measured, bench/ingest-codec.bench.ts).
    const outcome = await this.options.writer.write(
      compressSync(decoded.body, { copyOutputData: true }),
      tenant,
    );
    switch (outcome.kind) {
      case 'written':
        metrics.acceptedSamples(tenant, samples);
        this.options.activity.record(identity, decoded.newestTimestampMs, decoded.clusterInfo);
        return { status: 204 };
      case 'rejected':
        metrics.rejectedSamples(tenant, 'backend_rejected', samples);
        return { status: 400, body: `metrics backend refused the data: ${outcome.reason}` };
      case 'unavailable':
        metrics.rejectedSamples(tenant, 'backend_unavailable', samples);
        this.options.logger.warn({ tenant, reason: outcome.reason }, 'metrics backend unavailable');
        return unavailable(outcome.reason, outcome.retryAfterSeconds);
    }
  }
}

function unavailable(reason: string, retryAfterSeconds = BACKEND_RETRY_AFTER_SECONDS): Answer {
  return { status: 503, headers: { 'retry-after': String(retryAfterSeconds) }, body: reason };
}

/** A header as one string (Node joins repeated unknown headers with ", "). */
function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Remote-Write 2.0 tells the sender what was written, on errors too (then nothing). */
function writtenHeaders(status: number, decoded: RewrittenWriteRequest | undefined): Record<string, string> {
  const written = status >= 200 && status < 300 && decoded;
  return {
    'x-prometheus-remote-write-samples-written': String(written ? decoded.samples : 0),
    'x-prometheus-remote-write-histograms-written': String(written ? decoded.histograms : 0),
    'x-prometheus-remote-write-exemplars-written': String(written ? decoded.exemplars : 0),
  };
}

/** A sample time for a message: ISO 8601 when representable, else the raw milliseconds. */
function stamp(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `${ms} ms` : date.toISOString();
}
