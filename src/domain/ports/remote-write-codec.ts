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
  /** Labels of the `kubecost_cluster_info` series, when the request carried one. */
  clusterInfo: Record<string, string> | null;
}

/**
 * What the route needs from the byte-level codec (`remote-write.codec.ts`): the route knows
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
    options: { tenantLabel: string; tenantValue: string },
  ): RewrittenWriteRequest;
  /** The status a codec error stands for; null for any other error (a bug: 500). */
  errorStatus(error: unknown): 400 | 413 | 415 | null;
}
