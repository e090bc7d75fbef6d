/** Metrics backends the jobs query; the kind decides the tenant header default and Thanos' query flags. */
export const METRICS_BACKENDS = ['prometheus', 'thanos', 'mimir'] as const;
export type MetricsBackendKind = (typeof METRICS_BACKENDS)[number];

/** One series of an instant-query answer: its labels and its value at the query time. */
export interface PromSample {
  metric: Record<string, string>;
  /** The sample value; NaN and ±Inf arrive as such. */
  value: number;
}

/** The answer to an instant query whose result type is `vector`. */
export type PromVector = PromSample[];

/**
 * Answers PromQL for one tenant (a cluster's cloud account). The jobs depend on this alone, so
 * Thanos Query, Prometheus or Mimir sit behind it the same way, and tests can stand in for it.
 */
export interface MetricsSource {
  /** Evaluates `promql` at `time`; rejects with a MetricsError naming the query. */
  instantQuery(promql: string, time: Date): Promise<PromVector>;
}

/** Hands out sources bound to one tenant: every request they send carries its tenant header. */
export interface TenantMetricsSource {
  forTenant(tenant: string): MetricsSource;
}

/** Base of the metrics-backend failures; `retryable` says whether a later attempt may succeed. */
export abstract class MetricsError extends Error {
  abstract readonly retryable: boolean;
  /** The PromQL that failed. */
  readonly query: string;
  readonly tenant: string;
  /** The backend's HTTP status, when it answered. */
  readonly status?: number;
  /** What the backend said, or where it could not be reached: for the operators' log only. */
  readonly detail?: string;

  /**
   * `message` is what a client may see (AggregationRun.error): it names no URL, PromQL or backend
   * text, which may quote either. The query, tenant and `detail` stay on the error for the log.
   */
  constructor(
    message: string,
    details: { query: string; tenant: string; status?: number; detail?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.query = details.query;
    this.tenant = details.tenant;
    this.status = details.status;
    this.detail = details.detail;
  }
}

/**
 * The backend could not answer now: connection refused or reset, no answer within the timeout,
 * a 5xx, 408 or 429. Worth retrying with backoff.
 */
export class MetricsBackendUnavailableError extends MetricsError {
  override readonly name = 'MetricsBackendUnavailableError';
  override readonly retryable = true;
  /** From a Retry-After header, when the backend sent one. */
  retryAfterSeconds?: number;
}

/**
 * The backend refused the query itself (4xx, `bad_data`, an execution error, an answer of the
 * wrong shape or a value that is not a number): the same query will fail again. Not retryable.
 */
export class MetricsQueryError extends MetricsError {
  override readonly name = 'MetricsQueryError';
  override readonly retryable = false;
}
