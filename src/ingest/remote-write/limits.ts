/** Labels per series beyond which a series is refused: Mimir/Cortex default to 30; this only stops abuse. */
export const MAX_LABELS_PER_SERIES = 4096;
/** The same cap under the short name the label loops use. */
export const MAX_LABELS = MAX_LABELS_PER_SERIES;
/** Default cap on the re-encoded body: a 2.0 request can reference one long symbol many times. */
export const DEFAULT_MAX_OUTPUT_BYTES = 128 * 1024 * 1024;

/** Content-Type media type and `proto=` values (lower case) of the two Remote-Write versions. */
export const PROTOBUF_MEDIA_TYPE = 'application/x-protobuf';
export const PROTO_V1 = 'prometheus.writerequest';
export const PROTO_V2 = 'io.prometheus.write.v2.request';
