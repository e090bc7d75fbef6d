/** Stable codes a client can branch on; they become GraphQL `extensions.code`. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'CONFLICT'
  /** A dependency (the job queue) is away: retry later; the message says what was done. */
  | 'SERVICE_UNAVAILABLE'
  /** The request's statement ran past CLICKHOUSE_MAX_EXECUTION_SECONDS and was stopped. */
  | 'QUERY_TIMEOUT';

/** A failure the caller caused or can act on; anything else is an internal error. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Bad input, naming the argument (GraphQL path like `range.end`) that is wrong. */
export function badInput(argument: string, message: string): DomainError {
  return new DomainError('BAD_USER_INPUT', `${argument}: ${message}`, { argument });
}

export function notFound(what: string, id: string): DomainError {
  return new DomainError('NOT_FOUND', `${what} ${JSON.stringify(id)} not found`, { id });
}

/**
 * Whether a later attempt of a failed job may succeed. Errors that know say so with a boolean
 * `retryable` (bad input, a query the backend refuses: false; an unavailable backend: true);
 * anything else (store or network failures) is worth a retry.
 */
export function isRetryable(error: unknown): boolean {
  const retryable = (error as { retryable?: unknown } | null)?.retryable;
  return typeof retryable === 'boolean' ? retryable : true;
}
