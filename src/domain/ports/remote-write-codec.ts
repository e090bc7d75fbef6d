/** Which remote-write protocol a request speaks, from its Content-Type. */
export type RemoteWriteVersion = '1.0' | '2.0';

/** A request rewritten for the backend, with what it held. */
export interface RewrittenWriteRequest {
  /** A 1.0 WriteRequest, uncompressed, with the tenant label set on every series. */
  body: Buffer;
  series: number;
  samples: number;
  histograms: number;
  exemplars: number;
  metadata: number;
  newestTimestampMs: number | null;
  /** Oldest sample/histogram timestamp in ms, or null when none. */
  oldestTimestampMs: number | null;
  /** Labels of the `kubecost_cluster_info` series, when the request carried one. */
  clusterInfo: Record<string, string> | null;
}

/** The tenant label the gateway writes into every series, and the cap on what it forwards. */
export interface RemoteWriteRewriteOptions {
  /** Label name, e.g. `cloud_account_id`; must be a valid, non-reserved 1.0 label name. */
  tenantLabel: string;
  /** Label value taken from the verified credentials; replaces whatever the client sent. */
  tenantValue: string;
  /** Cap on the re-encoded body (413 above it); the codec's default when absent. Matters for 2.0, where symbols are shared. */
  maxOutputBytes?: number;
}

/**
 * What the route needs from the byte-level codec (`src/ingest/remote-write.codec.ts` and the
 * files of `src/ingest/remote-write/` it assembles): the route knows
 * HTTP, the codec knows bytes. Every method throws an error for which `errorStatus` gives the
 * status the spec asks for (400 bad data, 413 too large, 415 wrong type or encoding).
 */
export interface RemoteWriteCodec {
  version(contentType: string | undefined): RemoteWriteVersion;
  checkContentEncoding(contentEncoding: string | undefined): void;
  /** Snappy block format; refuses (413) a decoded length over the cap before decoding. */
  decompress(body: Buffer, maxDecodedBytes: number): Buffer;
  rewrite(
    version: RemoteWriteVersion,
    raw: Buffer,
    options: RemoteWriteRewriteOptions,
  ): RewrittenWriteRequest;
  /** The status a codec error stands for; null for any other error (a bug: 500). */
  errorStatus(error: unknown): 400 | 413 | 415 | null;
}
