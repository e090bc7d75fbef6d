import http from 'node:http';
import https from 'node:https';
import type { WebhookSender } from '../domain/ports';
import type { WebhookUrlChecker } from './webhook-url';

const SYSTEM_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed (try again)',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** Longest part of a receiver's answer kept in an attempt's error. */
const MAX_ERROR_BODY = 200;

/** POSTs alert bodies with node:http(s), through the checker's lookup, within a timeout. */
export class HttpWebhookSender implements WebhookSender {
  constructor(
    private readonly urls: WebhookUrlChecker,
    private readonly timeoutMs: number,
  ) {}

  post(
    url: string,
    body: string,
    headers: Record<string, string>,
  ): Promise<{ status: number | null; error: string | null; durationMs: number }> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    return new Promise((resolve) => {
      let settled = false;
      const done = (status: number | null, error: string | null) => {
        if (settled) return;
        settled = true;
        resolve({ status, error, durationMs: elapsed() });
      };
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        done(null, 'not a URL');
        return;
      }
      const client = target.protocol === 'https:' ? https : http;
      const request = client.request(
        target,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'cloudtuner-alerts/1',
            ...headers,
          },
          lookup: this.urls.lookup(),
          timeout: this.timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            if (size < MAX_ERROR_BODY) chunks.push(chunk);
            size += chunk.length;
          });
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) return done(status, null);
            const text = Buffer.concat(chunks)
              .toString('utf8')
              .slice(0, MAX_ERROR_BODY)
              .replace(/\s+/g, ' ')
              .trim();
            done(status, `HTTP ${status}${text ? `: ${text}` : ''}`);
          });
          response.on('error', (error) => done(response.statusCode ?? null, error.message));
        },
      );
      request.on('timeout', () => {
        request.destroy(new Error(`no answer within ${this.timeoutMs} ms`));
      });
      // System errors by their code only: their messages name resolved addresses.
      request.on('error', (error: NodeJS.ErrnoException) =>
        done(null, error.code ? (SYSTEM_ERRORS[error.code] ?? error.code) : error.message),
      );
      request.end(body);
    });
  }
}
