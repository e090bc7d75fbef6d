import type { MetricsBackendKind } from '../domain/ports';
import {
  MetricsBackendUnavailableError,
  MetricsQueryError,
  type MetricsSource,
  type PromVector,
  type TenantMetricsSource,
} from '../domain/ports/metrics-source';

export interface PrometheusHttpOptions {
  /** Base of the HTTP query API: `/api/v1/query` is appended (Mimir: include its `/prometheus`). */
  url: string;
  backend: MetricsBackendKind;
  /** Header carrying the tenant (THANOS-TENANT, X-Scope-OrgID). */
  tenantHeader: string;
  /** Whole-request deadline (connect, evaluate, read the body). */
  timeoutMs: number;
}

interface ApiBody {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: { metric?: Record<string, string>; value?: [number, string] }[] };
}

/** Longest backend text quoted in an error message. */
const MAX_REASON = 512;
/** How long a look at Thanos Query's endpoints stands for the queries after it. */
const STORES_CHECK_MS = 2_000;

/**
 * The Prometheus HTTP query API (Prometheus, Thanos Query, Mimir) as a MetricsSource. Queries go
 * as POST forms, so long PromQL never meets a URL length limit. Thanos is asked for deduplicated
 * (`dedup`), raw-resolution (`max_source_resolution=0s`: downsampled blocks would integrate a
 * 5-minute step over 5-minute or 1-hour averages) and complete (`partial_response=false`: a cost
 * computed from a store that did not answer is a wrong cost, not a smaller one) answers.
 */
export class PrometheusHttpMetricsSource implements TenantMetricsSource {
  private readonly endpoint: string;
  private readonly storesEndpoint: string;
  /** The last look at Thanos' endpoints, shared by the queries of the next STORES_CHECK_MS. */
  private storesChecked?: { at: number; result: Promise<void> };

  constructor(private readonly options: PrometheusHttpOptions) {
    const base = options.url.replace(/\/+$/, '');
    this.endpoint = `${base}/api/v1/query`;
    this.storesEndpoint = `${base}/api/v1/stores`;
  }

  /**
   * Thanos Query answers from the endpoints it can reach: one that is away (a store gateway
   * holding the older blocks, a receive replica) simply drops out, and `partial_response=false`
   * does not notice. So before querying, every endpoint Query knows must have answered its last
   * health check; if one has not, the query fails as unavailable (the run retries later) rather
   * than computing a day from part of its data.
   */
  private allEndpointsUp(tenant: string): Promise<void> {
    const now = Date.now();
    if (this.storesChecked && now - this.storesChecked.at < STORES_CHECK_MS) return this.storesChecked.result;
    const result = (async () => {
      let text: string;
      let status: number;
      try {
        const response = await fetch(this.storesEndpoint, {
          headers: { accept: 'application/json', [this.options.tenantHeader]: tenant },
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        status = response.status;
        text = await response.text();
      } catch (error) {
        throw new MetricsBackendUnavailableError('metrics backend unreachable', {
          query: '(endpoint check)',
          tenant,
          detail: `${this.storesEndpoint}: ${describe(error)}`,
        });
      }
      const body = parseJson(text) as
        | { status?: string; data?: Record<string, { name?: string; lastError?: string | null }[]> }
        | undefined;
      if (status !== 200 || body?.status !== 'success') return; // Not Thanos Query after all: nothing to check.
      const down = Object.entries(body.data ?? {}).flatMap(([kind, endpoints]) =>
        (Array.isArray(endpoints) ? endpoints : [])
          .filter((e) => e?.lastError)
          .map((e) => `${kind} ${e.name}: ${e.lastError}`),
      );
      if (down.length) {
        throw new MetricsBackendUnavailableError(
          'a metrics store is unreachable: the answer would be partial',
          {
            query: '(endpoint check)',
            tenant,
            detail: down.join('; ').slice(0, MAX_REASON),
          },
        );
      }
    })();
    this.storesChecked = { at: now, result };
    // A failed check is not reused: the next query looks again.
    result.catch(() => {
      if (this.storesChecked?.result === result) this.storesChecked = undefined;
    });
    return result;
  }

  forTenant(tenant: string): MetricsSource {
    return { instantQuery: (promql, time) => this.instantQuery(promql, time, tenant) };
  }

  /** One instant query on behalf of `tenant`; typed errors name the query. */
  async instantQuery(promql: string, time: Date, tenant: string): Promise<PromVector> {
    const { backend, tenantHeader, timeoutMs } = this.options;
    const form = new URLSearchParams({
      query: promql,
      time: (time.getTime() / 1000).toFixed(3),
      // The server gives up at the same moment the client does, instead of computing for nobody.
      timeout: `${Math.max(1, Math.floor(timeoutMs / 1000))}s`,
    });
    if (backend === 'thanos') {
      await this.allEndpointsUp(tenant);
      form.set('dedup', 'true');
      form.set('partial_response', 'false');
      form.set('max_source_resolution', '0s');
    }
    const details = { query: promql, tenant };
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'user-agent': 'cloudtuner-aggregation',
          [tenantHeader]: tenant,
        },
        body: form,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      // The abort reason is a DOMException, not always `instanceof Error` (realms): test its name.
      const name = (error as { name?: unknown } | null)?.name;
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      throw new MetricsBackendUnavailableError(
        timedOut ? `metrics backend did not answer within ${timeoutMs} ms` : 'metrics backend unreachable',
        { ...details, detail: `${this.endpoint}: ${describe(error)}` },
        { cause: error },
      );
    }
    const body = parseJson(text);
    const reason = body?.error
      ? `${body.errorType ?? 'error'}: ${body.error}`.slice(0, MAX_REASON)
      : text.trim().slice(0, MAX_REASON);
    const status = response.status;
    if (status >= 500 || status === 429 || status === 408) {
      const error = new MetricsBackendUnavailableError(`metrics backend answered ${status}`, {
        ...details,
        status,
        detail: reason,
      });
      const retryAfter = Number(response.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) error.retryAfterSeconds = retryAfter;
      throw error;
    }
    if (!response.ok || body?.status !== 'success') {
      throw new MetricsQueryError(`metrics backend refused the query (${status})`, {
        ...details,
        status,
        detail: reason,
      });
    }
    const data = body.data;
    if (data?.resultType !== 'vector' || !Array.isArray(data.result)) {
      throw new MetricsQueryError(`expected a vector, got ${JSON.stringify(data?.resultType)}`, {
        ...details,
        status,
      });
    }
    return data.result.map((series) => ({
      metric: series.metric ?? {},
      value: parseValue(series.value?.[1]),
    }));
  }
}

function parseJson(text: string): ApiBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as ApiBody) : undefined;
  } catch {
    return undefined;
  }
}

/** Prometheus writes floats with Go's formatting: `NaN`, `+Inf`, `-Inf` or a decimal. */
function parseValue(text: string | undefined): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return text === undefined ? NaN : Number(text);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
