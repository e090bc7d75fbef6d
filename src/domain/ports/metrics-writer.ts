/** What became of a forwarded write. */
export type WriteOutcome =
  | { kind: 'written' }
  /** The backend refused the data for good (a 4xx about the data): the sender must not retry. */
  | { kind: 'rejected'; status: number; reason: string }
  /** Down, slow, overloaded or misconfigured: worth retrying later. */
  | { kind: 'unavailable'; reason: string; retryAfterSeconds?: number };

/** The remote_write backend (Thanos Receive, Mimir, Prometheus) as the route sees it. */
export interface MetricsWriter {
  /** Sends a snappy-compressed 1.0 WriteRequest on behalf of `tenant`. Never throws. */
  write(snappyBody: Buffer, tenant: string): Promise<WriteOutcome>;
  close(): Promise<void>;
}
