import protobuf from 'protobufjs';

/**
 * protobufjs definitions of the Remote-Write 1.0 (`prometheus.WriteRequest`, prompb/remote.proto and
 * prompb/types.proto) and 2.0 (`io.prometheus.write.v2.Request`, prompb/io/prometheus/write/v2/types.proto)
 * messages. Tests and benches build and check payloads with them; the ingest path itself uses the
 * hand-written single-pass codec in `remote-write.codec.ts`, which is ~10x faster.
 *
 * Field numbers are copied from the Prometheus proto files; names are camelCase so the plain objects
 * read naturally in TypeScript (names never reach the wire).
 */

/** Histogram fields shared by 1.0 and 2.0 (2.0 adds `startTimestamp` = 17). */
const histogramFields = {
  countInt: { type: 'uint64', id: 1 },
  countFloat: { type: 'double', id: 2 },
  sum: { type: 'double', id: 3 },
  schema: { type: 'sint32', id: 4 },
  zeroThreshold: { type: 'double', id: 5 },
  zeroCountInt: { type: 'uint64', id: 6 },
  zeroCountFloat: { type: 'double', id: 7 },
  negativeSpans: { rule: 'repeated', type: 'BucketSpan', id: 8 },
  negativeDeltas: { rule: 'repeated', type: 'sint64', id: 9 },
  negativeCounts: { rule: 'repeated', type: 'double', id: 10 },
  positiveSpans: { rule: 'repeated', type: 'BucketSpan', id: 11 },
  positiveDeltas: { rule: 'repeated', type: 'sint64', id: 12 },
  positiveCounts: { rule: 'repeated', type: 'double', id: 13 },
  resetHint: { type: 'int32', id: 14 },
  timestamp: { type: 'int64', id: 15 },
  customValues: { rule: 'repeated', type: 'double', id: 16 },
};
const histogramOneofs = {
  count: { oneof: ['countInt', 'countFloat'] },
  zeroCount: { oneof: ['zeroCountInt', 'zeroCountFloat'] },
};
const bucketSpan = { fields: { offset: { type: 'sint32', id: 1 }, length: { type: 'uint32', id: 2 } } };

const root = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: {
          fields: {
            timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 },
            metadata: { rule: 'repeated', type: 'MetricMetadata', id: 3 },
          },
        },
        TimeSeries: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            samples: { rule: 'repeated', type: 'Sample', id: 2 },
            exemplars: { rule: 'repeated', type: 'Exemplar', id: 3 },
            histograms: { rule: 'repeated', type: 'Histogram', id: 4 },
          },
        },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
        Exemplar: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            value: { type: 'double', id: 2 },
            timestamp: { type: 'int64', id: 3 },
          },
        },
        MetricMetadata: {
          fields: {
            type: { type: 'int32', id: 1 },
            metricFamilyName: { type: 'string', id: 2 },
            help: { type: 'string', id: 4 },
            unit: { type: 'string', id: 5 },
          },
        },
        Histogram: { oneofs: histogramOneofs, fields: histogramFields },
        BucketSpan: bucketSpan,
      },
    },
    io: {
      nested: {
        prometheus: {
          nested: {
            write: {
              nested: {
                v2: {
                  nested: {
                    Request: {
                      fields: {
                        symbols: { rule: 'repeated', type: 'string', id: 4 },
                        timeseries: { rule: 'repeated', type: 'TimeSeries', id: 5 },
                      },
                    },
                    TimeSeries: {
                      fields: {
                        labelsRefs: { rule: 'repeated', type: 'uint32', id: 1 },
                        samples: { rule: 'repeated', type: 'Sample', id: 2 },
                        histograms: { rule: 'repeated', type: 'Histogram', id: 3 },
                        exemplars: { rule: 'repeated', type: 'Exemplar', id: 4 },
                        metadata: { type: 'Metadata', id: 5 },
                      },
                    },
                    Sample: {
                      fields: {
                        value: { type: 'double', id: 1 },
                        timestamp: { type: 'int64', id: 2 },
                        startTimestamp: { type: 'int64', id: 3 },
                      },
                    },
                    Exemplar: {
                      fields: {
                        labelsRefs: { rule: 'repeated', type: 'uint32', id: 1 },
                        value: { type: 'double', id: 2 },
                        timestamp: { type: 'int64', id: 3 },
                      },
                    },
                    Metadata: {
                      fields: {
                        type: { type: 'int32', id: 1 },
                        helpRef: { type: 'uint32', id: 3 },
                        unitRef: { type: 'uint32', id: 4 },
                      },
                    },
                    Histogram: {
                      oneofs: histogramOneofs,
                      fields: { ...histogramFields, startTimestamp: { type: 'int64', id: 17 } },
                    },
                    BucketSpan: bucketSpan,
                  },
                },
              },
            },
          },
        },
      },
    },
  },
});

/** The protobufjs type of `prometheus.WriteRequest` (what the reference path in the bench uses). */
export const WriteRequestV1Type = root.lookupType('prometheus.WriteRequest');
/** The protobufjs type of `io.prometheus.write.v2.Request`. */
export const RequestV2Type = root.lookupType('io.prometheus.write.v2.Request');

/** A 1.0 / 2.0 Label as a plain object. */
export interface LabelV1 {
  name: string;
  value: string;
}
/** A float sample; `timestamp` in ms (int64 as a JS number: exact below 2^53). Zero values are absent once decoded. */
export interface SampleV1 {
  value?: number;
  timestamp?: number;
}
/** A 1.0 exemplar. */
export interface ExemplarV1 {
  labels?: LabelV1[];
  value?: number;
  timestamp?: number;
}
/** A native-histogram bucket span. */
export interface BucketSpan {
  offset?: number;
  length?: number;
}
/** A native histogram (1.0 and 2.0 share fields 1..16; 2.0 adds `startTimestamp`). */
export interface HistogramV1 {
  countInt?: number;
  countFloat?: number;
  sum?: number;
  schema?: number;
  zeroThreshold?: number;
  zeroCountInt?: number;
  zeroCountFloat?: number;
  negativeSpans?: BucketSpan[];
  negativeDeltas?: number[];
  negativeCounts?: number[];
  positiveSpans?: BucketSpan[];
  positiveDeltas?: number[];
  positiveCounts?: number[];
  resetHint?: number;
  timestamp?: number;
  customValues?: number[];
}
/** A 1.0 time series. */
export interface TimeSeriesV1 {
  labels?: LabelV1[];
  samples?: SampleV1[];
  exemplars?: ExemplarV1[];
  histograms?: HistogramV1[];
}
/** 1.0 metadata; `type` uses the MetricType numbers shared by 1.0 and 2.0 (0 unknown .. 7 stateset). */
export interface MetricMetadataV1 {
  type?: number;
  metricFamilyName?: string;
  help?: string;
  unit?: string;
}
/** A 1.0 `prometheus.WriteRequest`. */
export interface WriteRequestV1 {
  timeseries?: TimeSeriesV1[];
  metadata?: MetricMetadataV1[];
}
/** A 2.0 sample. */
export interface SampleV2 {
  value?: number;
  timestamp?: number;
  startTimestamp?: number;
}
/** A 2.0 exemplar (labels as refs into `symbols`). */
export interface ExemplarV2 {
  labelsRefs?: number[];
  value?: number;
  timestamp?: number;
}
/** 2.0 per-series metadata (help/unit as refs into `symbols`). */
export interface MetadataV2 {
  type?: number;
  helpRef?: number;
  unitRef?: number;
}
/** A 2.0 histogram. */
export interface HistogramV2 extends HistogramV1 {
  startTimestamp?: number;
}
/** A 2.0 time series. */
export interface TimeSeriesV2 {
  labelsRefs?: number[];
  samples?: SampleV2[];
  histograms?: HistogramV2[];
  exemplars?: ExemplarV2[];
  metadata?: MetadataV2;
}
/** A 2.0 `io.prometheus.write.v2.Request`. */
export interface RequestV2 {
  symbols?: string[];
  timeseries?: TimeSeriesV2[];
}

/** Converts int64 fields to plain numbers; keeps only fields present on the wire. */
const toObjectOptions: protobuf.IConversionOptions = { longs: Number, arrays: false, defaults: false };

/** Encodes a 1.0 WriteRequest (uncompressed protobuf bytes). */
export function encodeWriteRequestV1(obj: WriteRequestV1): Buffer {
  const bytes = WriteRequestV1Type.encode(WriteRequestV1Type.fromObject(obj)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes 1.0 WriteRequest bytes into a plain object (int64 as numbers, absent fields omitted). */
export function decodeWriteRequestV1(buf: Uint8Array): WriteRequestV1 {
  return WriteRequestV1Type.toObject(WriteRequestV1Type.decode(buf), toObjectOptions) as WriteRequestV1;
}

/** Encodes a 2.0 Request (uncompressed protobuf bytes). */
export function encodeRequestV2(obj: RequestV2): Buffer {
  const bytes = RequestV2Type.encode(RequestV2Type.fromObject(obj)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes 2.0 Request bytes into a plain object (int64 as numbers, absent fields omitted). */
export function decodeRequestV2(buf: Uint8Array): RequestV2 {
  return RequestV2Type.toObject(RequestV2Type.decode(buf), toObjectOptions) as RequestV2;
}
