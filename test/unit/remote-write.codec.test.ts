import snappy from 'snappy';
import {
  checkContentEncoding,
  decompressSnappy,
  MAX_LABELS_PER_SERIES,
  remoteWriteVersion,
  RemoteWriteError,
  rewriteWriteRequest,
} from '../../src/ingest/remote-write.codec';
import type { RemoteWriteVersion, RewrittenWriteRequest } from '../../src/domain/ports/remote-write-codec';
import {
  decodeRequestV2,
  decodeWriteRequestV1,
  encodeRequestV2,
  encodeWriteRequestV1,
  type LabelV1,
  type RequestV2,
  type TimeSeriesV1,
  type WriteRequestV1,
} from '../../src/ingest/remote-write.proto';

const TENANT = { tenantLabel: 'cloud_account_id', tenantValue: 'acct-42' };
const MiB = 1024 * 1024;

function rewrite(raw: Buffer, version: RemoteWriteVersion = '1.0'): RewrittenWriteRequest {
  return rewriteWriteRequest(version, raw, TENANT);
}

/** Runs fn and returns the RemoteWriteError it throws (failing the test on anything else). */
function rejection(fn: () => unknown): RemoteWriteError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RemoteWriteError) return err;
    throw err;
  }
  throw new Error('expected a RemoteWriteError, got success');
}

function labels(obj: Record<string, string>): LabelV1[] {
  return Object.entries(obj).map(([name, value]) => ({ name, value }));
}

/** The 1.0 series as they must leave: client tenant label replaced, labels sorted by name bytes. */
function expectedSeries(series: TimeSeriesV1[]): TimeSeriesV1[] {
  return series.map((ts) => ({
    ...ts,
    labels: [
      ...(ts.labels ?? []).filter((l) => l.name !== TENANT.tenantLabel),
      { name: TENANT.tenantLabel, value: TENANT.tenantValue },
    ].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name))),
  }));
}

/** Input and output compared through protobufjs (both normalised the same way). */
function expectRoundTrip(req: WriteRequestV1): RewrittenWriteRequest {
  const raw = encodeWriteRequestV1(req);
  const result = rewrite(raw);
  const input = decodeWriteRequestV1(raw);
  const output = decodeWriteRequestV1(result.body);
  expect(output.timeseries ?? []).toEqual(expectedSeries(input.timeseries ?? []));
  expect(output.metadata ?? []).toEqual(input.metadata ?? []);
  return result;
}

// A tiny protobuf writer for encodings protobufjs never produces (field order, padding, unknown fields).
function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
function lenField(field: number, payload: Buffer | number[] | string): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  return Buffer.from([...varint((field << 3) | 2), ...varint(bytes.length), ...bytes]);
}
function varintField(field: number, v: number): Buffer {
  return Buffer.from([...varint(field << 3), ...varint(v)]);
}
function doubleField(field: number, bits: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 1]), bits]);
}
function f64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return b;
}
/** The Prometheus stale marker, 0x7ff0000000000002, as little-endian wire bytes. */
const STALE_NAN = Buffer.from([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);
function rawLabel(name: string, value: string | Buffer): Buffer {
  return lenField(1, Buffer.concat([lenField(1, name), lenField(2, value)]));
}
function rawSample(bits: Buffer, ts: number): Buffer {
  return lenField(2, Buffer.concat([doubleField(1, bits), varintField(2, ts)]));
}
function rawSeries(...fields: Buffer[]): Buffer {
  return lenField(1, Buffer.concat(fields));
}

describe('remoteWriteVersion', () => {
  it.each<[string | undefined, RemoteWriteVersion]>([
    [undefined, '1.0'],
    ['', '1.0'],
    ['application/x-protobuf', '1.0'],
    ['application/x-protobuf;proto=prometheus.WriteRequest', '1.0'],
    ['Application/X-Protobuf ; Proto=prometheus.WriteRequest ', '1.0'],
    ['application/x-protobuf;proto=io.prometheus.write.v2.Request', '2.0'],
    ['application/x-protobuf; proto="io.prometheus.write.v2.Request"', '2.0'],
    ['application/x-protobuf;charset=utf-8; proto=io.prometheus.write.v2.request', '2.0'],
    ['application/x-protobuf;', '1.0'],
  ])('%j -> %s', (contentType, version) => {
    expect(remoteWriteVersion(contentType)).toBe(version);
  });

  it.each([
    'text/plain',
    'application/json',
    'image/png',
    'application/x-protobuf;proto=foo',
    'application/x-protobuf;proto=io.prometheus.write.v3.Request',
    'application/x-protobuf;proto',
    'application/x-protobufs',
    'application/protobuf',
  ])('%j -> 415', (contentType) => {
    expect(rejection(() => remoteWriteVersion(contentType)).status).toBe(415);
  });
});

describe('checkContentEncoding', () => {
  // Absent is accepted as snappy (what Prometheus' own receiver does): a 4xx would drop the data for
  // good, and the body must still decompress as a snappy block.
  it.each([undefined, '', 'snappy', 'SNAPPY', ' Snappy '])('%j is accepted', (value) => {
    expect(() => checkContentEncoding(value)).not.toThrow();
  });

  it.each(['gzip', 'deflate', 'zstd', 'br', 'identity', 'snappy, gzip', 'x-snappy-framed'])(
    '%j -> 415',
    (value) => {
      expect(rejection(() => checkContentEncoding(value)).status).toBe(415);
    },
  );
});

describe('decompressSnappy', () => {
  const raw = encodeWriteRequestV1({
    timeseries: [{ labels: labels({ __name__: 'up' }), samples: [{ value: 1, timestamp: 5 }] }],
  });

  afterEach(() => jest.restoreAllMocks());

  it('round-trips a snappy block', () => {
    expect(decompressSnappy(snappy.compressSync(raw), MiB).equals(raw)).toBe(true);
    expect(decompressSnappy(snappy.compressSync(Buffer.alloc(0)), MiB).length).toBe(0);
  });

  it('refuses a preamble over the cap with 413 before decompressing anything', () => {
    const spy = jest.spyOn(snappy, 'uncompressSync');
    // 5 bytes that claim 1 GiB of decoded data.
    const body = Buffer.from([...varint(1024 * MiB), 0x00]);
    const started = process.hrtime.bigint();
    const err = rejection(() => decompressSnappy(body, 32 * MiB));
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(err.status).toBe(413);
    expect(err.message).toMatch(/1073741824 bytes exceeds the limit of 33554432/);
    expect(spy).not.toHaveBeenCalled();
    expect(elapsedMs).toBeLessThan(50);
  });

  it('refuses a claim no body of that size can decode to (400, without allocating it)', () => {
    const spy = jest.spyOn(snappy, 'uncompressSync');
    const err = rejection(() => decompressSnappy(Buffer.from([...varint(8 * MiB), 0x00, 0x01]), 32 * MiB));
    expect(err.status).toBe(400);
    expect(spy).not.toHaveBeenCalled();
  });

  it.each<[string, Buffer]>([
    ['empty body', Buffer.alloc(0)],
    ['unterminated preamble', Buffer.from([0x80, 0x80])],
    ['preamble longer than 5 bytes', Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])],
    ['garbage after the preamble', Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
    ['not snappy at all', Buffer.from('{"hello":"world"} is not a snappy block at all, really', 'utf8')],
    [
      'first byte replaced (compliance suite)',
      Buffer.concat([Buffer.from('0'), snappy.compressSync(raw).subarray(1)]),
    ],
    ['truncated block', snappy.compressSync(raw).subarray(0, 10)],
  ])('corrupt input (%s) -> 400', (_, body) => {
    expect(rejection(() => decompressSnappy(body, 32 * MiB)).status).toBe(400);
  });
});

describe('rewriteWriteRequest 1.0', () => {
  it('forwards a single sample with value 1 and adds the tenant label', () => {
    const result = expectRoundTrip({
      timeseries: [
        {
          labels: labels({ __name__: 'up', job: 'node' }),
          samples: [{ value: 1, timestamp: 1732600000000 }],
        },
      ],
    });
    expect(decodeWriteRequestV1(result.body).timeseries?.[0]?.labels).toEqual(
      labels({ __name__: 'up', cloud_account_id: 'acct-42', job: 'node' }),
    );
    expect(result).toMatchObject({
      series: 1,
      samples: 1,
      histograms: 0,
      exemplars: 0,
      metadata: 0,
      newestTimestampMs: 1732600000000,
      clusterInfo: null,
    });
  });

  it('copies NaN, the stale marker, +Inf and -Inf bit for bit', () => {
    const values: [string, Buffer][] = [
      ['nan', f64(NaN)],
      ['stale', STALE_NAN],
      ['inf', f64(Infinity)],
      ['-inf', f64(-Infinity)],
      ['neg-zero', f64(-0)],
    ];
    const raw = Buffer.concat(
      values.map(([name, bits], i) => rawSeries(rawLabel('__name__', name), rawSample(bits, 1000 + i))),
    );
    const result = rewrite(raw);
    expect(result.samples).toBe(5);
    for (const [, bits] of values) {
      const needle = Buffer.concat([Buffer.from([0x09]), bits]);
      expect(result.body.includes(needle)).toBe(true);
    }
    // The stale marker specifically: 0x7ff0000000000002, little-endian on the wire.
    expect(result.body.includes(Buffer.from([0x09, 0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]))).toBe(true);
    const decoded = decodeWriteRequestV1(result.body).timeseries ?? [];
    expect(decoded.map((ts) => ts.samples?.[0]?.value)).toEqual([NaN, NaN, Infinity, -Infinity, -0]);
    expect(result.newestTimestampMs).toBe(1004);
  });

  it('sorts unsorted labels (by bytes: upper case before "_" before lower case)', () => {
    const result = expectRoundTrip({
      timeseries: [
        {
          labels: labels({ zone: 'a', job: 'x', __name__: 'up', Zeta: 'upper', instance: 'i:9100' }),
          samples: [{ value: 2, timestamp: 10 }],
        },
      ],
    });
    expect(decodeWriteRequestV1(result.body).timeseries?.[0]?.labels?.map((l) => l.name)).toEqual([
      'Zeta',
      '__name__',
      'cloud_account_id',
      'instance',
      'job',
      'zone',
    ]);
  });

  it.each<[string, Record<string, string> | LabelV1[], RegExp]>([
    [
      'duplicate (sorted input)',
      [
        { name: '__name__', value: 'up' },
        { name: 'job', value: 'x' },
        { name: 'job', value: 'y' },
      ],
      /^series 0 \{__name__="up", job="x", job="y"\}: duplicate label name "job"$/,
    ],
    [
      'duplicate (unsorted input)',
      [
        { name: 'job', value: 'x' },
        { name: '__name__', value: 'up' },
        { name: 'job', value: 'y' },
      ],
      /duplicate label name "job"/,
    ],
    [
      'empty name',
      [
        { name: '__name__', value: 'up' },
        { name: '', value: 'x' },
      ],
      /empty label name/,
    ],
    ['empty value', { __name__: 'up', job: '' }, /empty value for label "job"/],
    ['invalid 1.0 name', { __name__: 'up', 'a-b': 'x' }, /invalid label name "a-b"/],
    ['dotted name in 1.0', { __name__: 'up', 'k8s.pod': 'x' }, /invalid label name "k8s.pod"/],
    ['name starting with a digit', { __name__: 'up', '1abc': 'x' }, /invalid label name "1abc"/],
    ['missing __name__', { job: 'x' }, /^series 0 \{job="x"\}: missing __name__ label$/],
    ['empty __name__', { __name__: '', job: 'x' }, /empty value for label "__name__"/],
    ['reserved name', { __name__: 'up', __foo: 'x' }, /label name "__foo" is reserved/],
    ['reserved __tenant__', { __name__: 'up', __tenant__: 'x' }, /reserved/],
  ])('%s -> 400', (_, lbls, message) => {
    const raw = encodeWriteRequestV1({
      timeseries: [
        { labels: Array.isArray(lbls) ? lbls : labels(lbls), samples: [{ value: 1, timestamp: 1 }] },
      ],
    });
    const err = rejection(() => rewrite(raw));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(message);
  });

  it('refuses a series with no labels', () => {
    const raw = encodeWriteRequestV1({ timeseries: [{ labels: [], samples: [{ value: 1, timestamp: 1 }] }] });
    expect(rejection(() => rewrite(raw)).message).toBe('series 0 {}: series has no labels');
  });

  it('names the offending series by index and lists at most 5 labels, __name__ first', () => {
    const many = labels({ a: '1', b: '2', c: '3', d: '4', e: '5', f: '6', __name__: 'm', 'bad-name': 'x' });
    const raw = encodeWriteRequestV1({
      timeseries: [
        { labels: labels({ __name__: 'ok' }), samples: [{ value: 1, timestamp: 1 }] },
        { labels: labels({ __name__: 'ok' }), samples: [{ value: 1, timestamp: 1 }] },
        { labels: labels({ __name__: 'ok' }), samples: [{ value: 1, timestamp: 1 }] },
        { labels: many, samples: [{ value: 1, timestamp: 1 }] },
      ],
    });
    expect(rejection(() => rewrite(raw)).message).toBe(
      'series 3 {__name__="m", a="1", b="2", c="3", d="4", ...}: invalid label name "bad-name" ' +
        '(Remote-Write 1.0 allows [a-zA-Z_][a-zA-Z0-9_]*)',
    );
  });

  it('rejects the whole request when one series of several is invalid', () => {
    const raw = encodeWriteRequestV1({
      timeseries: [
        { labels: labels({ __name__: 'good', job: 'a' }), samples: [{ value: 1, timestamp: 1 }] },
        { labels: labels({ job: 'b' }), samples: [{ value: 1, timestamp: 1 }] },
        { labels: labels({ __name__: 'good', job: 'c' }), samples: [{ value: 1, timestamp: 1 }] },
      ],
    });
    const err = rejection(() => rewrite(raw));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^series 1 /);
  });

  it('replaces the tenant label the client sent (external_labels) and keeps exactly one', () => {
    const result = expectRoundTrip({
      timeseries: [
        {
          labels: labels({ __name__: 'up', cloud_account_id: 'victim', job: 'x' }),
          samples: [{ value: 1, timestamp: 1 }],
        },
        {
          labels: labels({ zzz: '1', cloud_account_id: 'victim', __name__: 'up' }),
          samples: [{ value: 1, timestamp: 1 }],
        },
      ],
    });
    for (const ts of decodeWriteRequestV1(result.body).timeseries ?? []) {
      const tenant = (ts.labels ?? []).filter((l) => l.name === 'cloud_account_id');
      expect(tenant).toEqual([{ name: 'cloud_account_id', value: 'acct-42' }]);
    }
    expect(result.body.includes(Buffer.from('victim'))).toBe(false);
  });

  it('adds the tenant label in sorted position: first, middle and last', () => {
    const result = expectRoundTrip({
      timeseries: [
        { labels: labels({ __name__: 'a' }), samples: [{ value: 1, timestamp: 1 }] },
        { labels: labels({ __name__: 'a', zone: 'z' }), samples: [{ value: 1, timestamp: 1 }] },
        { labels: labels({ Upper: 'u', __name__: 'a' }), samples: [{ value: 1, timestamp: 1 }] },
        {
          labels: labels({ __name__: 'a', cloud: 'c', cloud_account_idx: 'd' }),
          samples: [{ value: 1, timestamp: 1 }],
        },
      ],
    });
    expect(result.series).toBe(4);
  });

  it('refuses a tenant label the client sent twice (a duplicate name)', () => {
    const raw = encodeWriteRequestV1({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'up' },
            { name: 'cloud_account_id', value: 'a' },
            { name: 'cloud_account_id', value: 'b' },
          ],
          samples: [{ value: 1, timestamp: 1 }],
        },
      ],
    });
    expect(rejection(() => rewrite(raw)).message).toMatch(/duplicate label name "cloud_account_id"/);
  });

  it('accepts and forwards a metadata-only request', () => {
    const result = expectRoundTrip({
      metadata: [
        { type: 1, metricFamilyName: 'http_requests_total', help: 'Requests.', unit: '' },
        { type: 2, metricFamilyName: 'node_total_hourly_cost', help: 'Total node cost per hour' },
      ],
    });
    expect(result).toMatchObject({ series: 0, samples: 0, metadata: 2, newestTimestampMs: null });
    expect(result.body.length).toBeGreaterThan(0);
  });

  it('accepts an empty request', () => {
    const result = rewrite(Buffer.alloc(0));
    expect(result).toMatchObject({ series: 0, samples: 0, metadata: 0, newestTimestampMs: null });
    expect(result.body.length).toBe(0);
  });

  it('forwards histograms and exemplars unchanged', () => {
    const result = expectRoundTrip({
      timeseries: [
        {
          labels: labels({ __name__: 'http_request_duration_seconds', job: 'api' }),
          histograms: [
            {
              countInt: 10,
              sum: 3.5,
              schema: 3,
              zeroThreshold: 1e-128,
              zeroCountInt: 1,
              negativeSpans: [{ offset: -2, length: 1 }],
              negativeDeltas: [1],
              positiveSpans: [
                { offset: 0, length: 2 },
                { offset: 3, length: 1 },
              ],
              positiveDeltas: [2, -1, 5],
              resetHint: 2,
              timestamp: 1732600005000,
            },
            {
              countFloat: 2.5,
              sum: 1,
              schema: -4,
              positiveSpans: [{ length: 1 }],
              positiveCounts: [2.5],
              timestamp: 1732600006000,
            },
          ],
          exemplars: [{ labels: labels({ trace_id: 'abc123' }), value: 0.25, timestamp: 1732600004000 }],
        },
        {
          labels: labels({ __name__: 'rpc_total' }),
          samples: [{ value: 7, timestamp: 1732600001000 }],
          exemplars: [
            { labels: labels({ trace_id: 'def', span_id: '1' }), value: 7, timestamp: 1732600001000 },
          ],
        },
      ],
    });
    expect(result).toMatchObject({
      series: 2,
      samples: 1,
      histograms: 2,
      exemplars: 2,
      newestTimestampMs: 1732600006000,
    });
  });

  it('counts and finds the newest timestamp over many series', () => {
    const timeseries: TimeSeriesV1[] = [];
    for (let i = 0; i < 50; i++)
      timeseries.push({
        labels: labels({ __name__: 'm', i: String(i) }),
        samples: [
          { value: i, timestamp: 1732600000000 + i },
          { value: i, timestamp: 1732600000000 + 100 * i },
        ],
      });
    const result = expectRoundTrip({ timeseries });
    expect(result).toMatchObject({ series: 50, samples: 100, newestTimestampMs: 1732600000000 + 4900 });
  });

  it('reads negative and zero timestamps', () => {
    const result = expectRoundTrip({
      timeseries: [
        {
          labels: labels({ __name__: 'm' }),
          samples: [{ value: 1, timestamp: -5000 }, { value: 1 } as never],
        },
      ],
    });
    expect(result.newestTimestampMs).toBe(0);
    const neg = expectRoundTrip({
      timeseries: [{ labels: labels({ __name__: 'm' }), samples: [{ value: 1, timestamp: -5000 }] }],
    });
    expect(neg.newestTimestampMs).toBe(-5000);
  });

  it('returns the labels of the last kubecost_cluster_info series, tenant label set', () => {
    const info = (id: string): TimeSeriesV1 => ({
      labels: labels({
        __name__: 'kubecost_cluster_info',
        id,
        name: 'prod-eks',
        provider: 'AWS',
        account: '123456789012',
        region: 'us-east-1',
        provisioner: 'EKS',
        version: '1.29',
        cloud_account_id: 'victim',
      }),
      samples: [{ value: 1, timestamp: 1 }],
    });
    const result = expectRoundTrip({
      timeseries: [
        info('cluster-one'),
        { labels: labels({ __name__: 'up' }), samples: [{ value: 1, timestamp: 1 }] },
        info('cluster-two'),
      ],
    });
    expect(result.clusterInfo).toEqual({
      __name__: 'kubecost_cluster_info',
      account: '123456789012',
      cloud_account_id: 'acct-42',
      id: 'cluster-two',
      name: 'prod-eks',
      provider: 'AWS',
      provisioner: 'EKS',
      region: 'us-east-1',
      version: '1.29',
    });
    expect(Object.keys(result.clusterInfo ?? {})).toEqual([...Object.keys(result.clusterInfo ?? {})].sort());
  });

  it('accepts UTF-8 values and refuses invalid UTF-8 wherever the bad byte sits', () => {
    expectRoundTrip({
      timeseries: [
        {
          labels: labels({ __name__: 'm', city: 'Zürich', jp: '日本語', emoji: '💸' }),
          samples: [{ value: 1, timestamp: 1 }],
        },
      ],
    });
    // Every offset and alignment of a lone continuation byte, in a canonical and a non-canonical label.
    for (let len = 1; len <= 24; len++) {
      for (let at = 0; at < len; at++) {
        const value = Buffer.alloc(len, 0x61);
        value[at] = 0x80;
        for (const pad of ['', 'x', 'xy', 'xyz']) {
          const canonical = rawSeries(
            rawLabel('__name__', 'm'),
            rawLabel('pad', pad || 'p'),
            rawLabel('v', value),
            rawSample(f64(1), 1),
          );
          const err = rejection(() => rewrite(canonical));
          expect(err.status).toBe(400);
          expect(err.message).toMatch(/value of label "v" is not valid UTF-8/);
        }
        const swapped = rawSeries(
          rawLabel('__name__', 'm'),
          lenField(1, Buffer.concat([lenField(2, value), lenField(1, 'v')])),
        );
        expect(rejection(() => rewrite(swapped)).message).toMatch(/value of label "v" is not valid UTF-8/);
      }
    }
  });

  it('reads non-canonical encodings: value before name, long lengths, unknown and repeated fields', () => {
    const long = 'x'.repeat(300);
    const raw = Buffer.concat([
      rawSeries(
        // value field before name field
        lenField(1, Buffer.concat([lenField(2, 'up'), lenField(1, '__name__')])),
        // a label with an unknown field and a repeated name (last wins)
        lenField(
          1,
          Buffer.concat([lenField(1, 'zzz'), varintField(7, 5), lenField(1, 'job'), lenField(2, 'api')]),
        ),
        rawSample(f64(3), 99),
        // a label after the samples, with a 2-byte length
        rawLabel('long', long),
        // an unknown TimeSeries field (forwarded as sent; receivers skip it)
        varintField(9, 1),
      ),
      varintField(2, 1), // Cortex' `source` field: not forwarded
    ]);
    const result = rewrite(raw);
    const out = decodeWriteRequestV1(result.body);
    expect(out.timeseries).toEqual([
      {
        labels: labels({ __name__: 'up', cloud_account_id: 'acct-42', job: 'api', long }),
        samples: [{ value: 3, timestamp: 99 }],
      },
    ]);
  });

  it('rewrites in place safely when the largest series comes last with its labels reversed', () => {
    // The 1.0 path writes its output into the same buffer ahead of the input still to be read;
    // a reversed series is written out of input order, the worst case for that.
    const big = (i: number): TimeSeriesV1 => ({
      labels: ['zz', 'yy', 'xx', 'cloud_account_id', 'ww', '__name__']
        .map((name, k) => ({ name, value: `${name}-${i}-` + 'v'.repeat(40 * (k + 1) + i) }))
        .concat([{ name: 'aa', value: 'a'.repeat(300) }]),
      samples: [{ value: i, timestamp: i }],
    });
    const timeseries = [
      ...Array.from({ length: 30 }, (_, i) => ({ labels: labels({ __name__: 'small', i: String(i) }) })),
      big(1),
      big(2),
    ];
    const result = expectRoundTrip({ timeseries });
    expect(result.series).toBe(32);
  });

  it('refuses a 2.0 body sent as 1.0 instead of acknowledging an empty request', () => {
    const v2 = encodeRequestV2({
      symbols: ['', '__name__', 'up'],
      timeseries: [{ labelsRefs: [1, 2], samples: [{ value: 1, timestamp: 1 }] }],
    });
    const err = rejection(() => rewrite(v2, '1.0'));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/looks like a Remote-Write 2.0/);
  });

  it(`refuses more than ${MAX_LABELS_PER_SERIES} labels in a series`, () => {
    const lbls = [{ name: '__name__', value: 'm' }];
    for (let i = 0; i < MAX_LABELS_PER_SERIES; i++)
      lbls.push({ name: `l${String(i).padStart(5, '0')}`, value: 'v' });
    const raw = encodeWriteRequestV1({
      timeseries: [{ labels: lbls, samples: [{ value: 1, timestamp: 1 }] }],
    });
    expect(rejection(() => rewrite(raw)).message).toMatch(/more than 4096 labels/);
    lbls.pop();
    expect(rewrite(encodeWriteRequestV1({ timeseries: [{ labels: lbls }] })).series).toBe(1);
  });

  it.each<[string, Buffer]>([
    [
      'truncated series',
      encodeWriteRequestV1({ timeseries: [{ labels: labels({ __name__: 'up' }) }] }).subarray(0, 5),
    ],
    ['length overrunning the body', Buffer.from([0x0a, 0x7f, 0x0a, 0x00])],
    ['wrong wire type for timeseries', Buffer.from([0x08, 0x01])],
    ['wrong wire type for a label name', rawSeries(lenField(1, Buffer.from([0x08, 0x01])))],
    [
      'wrong wire type for a sample value',
      rawSeries(rawLabel('__name__', 'm'), lenField(2, varintField(1, 1))),
    ],
    ['a group', Buffer.from([0x0b, 0x0c])],
    ['wire type 7', Buffer.from([0x0f])],
    ['field number 0', Buffer.from([0x02, 0x00])],
    [
      'an 11-byte varint',
      Buffer.from([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
    ],
    ['a huge length', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])],
    [
      'packed doubles not a multiple of 8',
      rawSeries(rawLabel('__name__', 'm'), lenField(4, lenField(13, [1, 2, 3]))),
    ],
    ['truncated timestamp', rawSeries(rawLabel('__name__', 'm'), lenField(2, Buffer.from([0x10, 0x80])))],
  ])('malformed protobuf (%s) -> 400', (_, raw) => {
    const err = rejection(() => rewrite(raw));
    expect(err.status).toBe(400);
  });

  it('refuses a tenant configuration that is not a valid label (a programming error, not a 400)', () => {
    expect(() =>
      rewriteWriteRequest('1.0', Buffer.alloc(0), { tenantLabel: 'a-b', tenantValue: 'x' }),
    ).toThrow(TypeError);
    expect(() =>
      rewriteWriteRequest('1.0', Buffer.alloc(0), { tenantLabel: '__t', tenantValue: 'x' }),
    ).toThrow(TypeError);
    expect(() => rewriteWriteRequest('1.0', Buffer.alloc(0), { tenantLabel: 't', tenantValue: '' })).toThrow(
      TypeError,
    );
  });
});

describe('rewriteWriteRequest 1.0 property: 200 random valid requests round-trip', () => {
  // mulberry32: a seeded PRNG so a failure names a reproducible case.
  function prng(seed: number): () => number {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const SEED = 20241126;
  const NAMES = [
    'job',
    'instance',
    'namespace',
    'pod',
    'container',
    'node',
    'region',
    'zone',
    'le',
    'Zone',
    '_x',
    'cloud_account_id',
    'cluster_id',
    'a'.repeat(130),
  ];
  const VALUES = [
    'x',
    'kubecost',
    'ip-10-0-1-17:9100',
    'café',
    '日本',
    '',
    'v'.repeat(200),
    'with "quotes"\nand newline',
  ];
  const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, 0.25, 1e300];

  it.each(Array.from({ length: 200 }, (_, i) => i))('case %i', (i) => {
    const rnd = prng(SEED + i);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const timeseries: TimeSeriesV1[] = [];
    const nSeries = Math.floor(rnd() * 20);
    for (let s = 0; s < nSeries; s++) {
      const lbls = new Map<string, string>([
        ['__name__', pick(['up', 'kubecost_cluster_info', 'node_total_hourly_cost', 'x'])],
      ]);
      const n = Math.floor(rnd() * 8);
      for (let k = 0; k < n; k++) lbls.set(pick(NAMES), pick(VALUES) || 'nonempty');
      const entries = [...lbls].map(([name, value]) => ({ name, value }));
      for (let k = entries.length - 1; k > 0; k--) {
        const j = Math.floor(rnd() * (k + 1));
        [entries[k], entries[j]] = [entries[j] as LabelV1, entries[k] as LabelV1];
      }
      if (rnd() < 0.5) entries.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
      const ts: TimeSeriesV1 = { labels: entries };
      const nSamples = Math.floor(rnd() * 4);
      ts.samples = Array.from({ length: nSamples }, () => ({
        value: rnd() < 0.3 ? pick(SPECIAL) : rnd() * 1000,
        timestamp: 1732600000000 + Math.floor(rnd() * 1e6),
      }));
      if (rnd() < 0.2)
        ts.exemplars = [
          { labels: labels({ trace_id: String(rnd()) }), value: rnd(), timestamp: 1732600000000 },
        ];
      if (rnd() < 0.2)
        ts.histograms = [
          {
            countInt: 3,
            sum: rnd(),
            schema: 2,
            positiveSpans: [{ offset: 1, length: 2 }],
            positiveDeltas: [1, 1],
            timestamp: 1732600000000 + s,
          },
        ];
      timeseries.push(ts);
    }
    const metadata = rnd() < 0.3 ? [{ type: 2, metricFamilyName: 'up', help: 'h' }] : [];
    const req: WriteRequestV1 = { timeseries, metadata };
    const raw = encodeWriteRequestV1(req);
    let result: RewrittenWriteRequest;
    try {
      result = expectRoundTrip(req);
    } catch (err) {
      throw new Error(`seed ${SEED + i} (case ${i}): ${(err as Error).message}`);
    }
    const stamps = timeseries.flatMap((ts) =>
      [...(ts.samples ?? []), ...(ts.histograms ?? [])].map((x) => x.timestamp ?? 0),
    );
    expect(result).toMatchObject({
      series: timeseries.length,
      samples: timeseries.reduce((n, ts) => n + (ts.samples?.length ?? 0), 0),
      histograms: timeseries.reduce((n, ts) => n + (ts.histograms?.length ?? 0), 0),
      exemplars: timeseries.reduce((n, ts) => n + (ts.exemplars?.length ?? 0), 0),
      metadata: metadata.length,
      newestTimestampMs: stamps.length ? Math.max(...stamps) : null,
    });
    // Idempotent: rewriting the output changes nothing.
    expect(rewrite(result.body).body.equals(result.body)).toBe(true);
    expect(raw.length).toBeGreaterThanOrEqual(0);
  });
});

describe('rewriteWriteRequest 2.0', () => {
  const symbols = [
    '',
    '__name__',
    'http_requests_total',
    'job',
    'api',
    'k8s.pod.name',
    'api-7d9f',
    'with space',
    'v',
    'help text',
    'requests',
    'trace_id',
    'abc',
    'a-b',
  ];
  const sym = (s: string): number => {
    const i = symbols.indexOf(s);
    if (i < 0) throw new Error(s);
    return i;
  };
  const refs = (...names: string[]): number[] => names.map(sym);

  it('converts to 1.0: labels resolved and sorted, UTF-8 names kept, tenant set, metadata per family', () => {
    const req: RequestV2 = {
      symbols,
      timeseries: [
        {
          labelsRefs: refs(
            'job',
            'api',
            '__name__',
            'http_requests_total',
            'k8s.pod.name',
            'api-7d9f',
            'with space',
            'v',
            'a-b',
            'v',
          ),
          samples: [
            { value: 1, timestamp: 1732600000000, startTimestamp: 1732500000000 },
            { value: 2, timestamp: 1732600015000 },
          ],
          exemplars: [{ labelsRefs: refs('trace_id', 'abc'), value: 1, timestamp: 1732600000000 }],
          metadata: { type: 1, helpRef: sym('help text'), unitRef: sym('requests') },
        },
        {
          labelsRefs: refs('__name__', 'http_requests_total', 'job', 'v'),
          samples: [{ value: 3, timestamp: 1732600000000 }],
          metadata: { type: 1, helpRef: sym('help text') },
        },
      ],
    };
    const result = rewrite(encodeRequestV2(req), '2.0');
    expect(decodeWriteRequestV1(result.body)).toEqual({
      timeseries: [
        {
          labels: labels({
            __name__: 'http_requests_total',
            'a-b': 'v',
            cloud_account_id: 'acct-42',
            job: 'api',
            'k8s.pod.name': 'api-7d9f',
            'with space': 'v',
          }),
          samples: [
            { value: 1, timestamp: 1732600000000 },
            { value: 2, timestamp: 1732600015000 },
          ],
          exemplars: [{ labels: labels({ trace_id: 'abc' }), value: 1, timestamp: 1732600000000 }],
        },
        {
          labels: labels({ __name__: 'http_requests_total', cloud_account_id: 'acct-42', job: 'v' }),
          samples: [{ value: 3, timestamp: 1732600000000 }],
        },
      ],
      metadata: [{ type: 1, metricFamilyName: 'http_requests_total', help: 'help text', unit: 'requests' }],
    });
    expect(result).toMatchObject({
      series: 2,
      samples: 3,
      exemplars: 1,
      histograms: 0,
      metadata: 1,
      newestTimestampMs: 1732600015000,
    });
  });

  it('maps native histograms field for field (start_timestamp dropped)', () => {
    const histogram = {
      countInt: 12,
      sum: 18.4,
      schema: 1,
      zeroThreshold: 0.001,
      zeroCountInt: 2,
      negativeSpans: [{ offset: 0, length: 2 }],
      negativeDeltas: [1, 1],
      positiveSpans: [
        { offset: 0, length: 4 },
        { offset: 2, length: 1 },
      ],
      positiveDeltas: [1, 2, -1, -1, 3],
      resetHint: 2,
      timestamp: 1732600030000,
    };
    const floatHistogram = {
      countFloat: 1.5,
      sum: 2,
      schema: 0,
      positiveSpans: [{ length: 1 }],
      positiveCounts: [1.5],
      timestamp: 1732600031000,
    };
    const raw = encodeRequestV2({
      symbols,
      timeseries: [
        {
          labelsRefs: refs('__name__', 'http_requests_total'),
          histograms: [{ ...histogram, startTimestamp: 1 }, floatHistogram],
        },
      ],
    });
    const result = rewrite(raw, '2.0');
    // Both sides through protobufjs, which leaves out zero-valued fields (offset 0, schema 0).
    const sent = (decodeRequestV2(raw).timeseries?.[0]?.histograms ?? []).map(
      ({ startTimestamp: _dropped, ...h }) => h,
    );
    expect(sent).toHaveLength(2);
    expect(decodeWriteRequestV1(result.body).timeseries?.[0]?.histograms).toEqual(sent);
    expect(sent[0]).toMatchObject({ countInt: 12, positiveDeltas: [1, 2, -1, -1, 3], resetHint: 2 });
    expect(result).toMatchObject({ histograms: 2, samples: 0, newestTimestampMs: 1732600031000 });
  });

  it('refuses custom-bucket histograms (schema -53), which 1.0 cannot carry', () => {
    const raw = encodeRequestV2({
      symbols,
      timeseries: [
        {
          labelsRefs: refs('__name__', 'http_requests_total'),
          histograms: [
            {
              countInt: 1,
              schema: -53,
              positiveSpans: [{ length: 1 }],
              positiveDeltas: [1],
              customValues: [0.1, 1],
            },
          ],
        },
      ],
    });
    const err = rejection(() => rewrite(raw, '2.0'));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(
      /custom buckets \(schema -53 \/ custom_values\) cannot be represented in Remote-Write 1.0/,
    );
  });

  it('copies the stale marker bit for bit', () => {
    const raw = encodeRequestV2({
      symbols,
      timeseries: [
        { labelsRefs: refs('__name__', 'http_requests_total'), samples: [{ value: 1.5, timestamp: 7 }] },
      ],
    });
    const at = raw.indexOf(f64(1.5));
    raw.set(STALE_NAN, at);
    const result = rewrite(raw, '2.0');
    expect(result.body.includes(Buffer.concat([Buffer.from([0x09]), STALE_NAN]))).toBe(true);
  });

  it.each<[string, RequestV2, RegExp]>([
    [
      'symbols[0] not empty',
      { symbols: ['x', '__name__', 'up'], timeseries: [{ labelsRefs: [1, 2] }] },
      /symbols\[0\] must be the empty string/,
    ],
    [
      'label ref out of range',
      { symbols, timeseries: [{ labelsRefs: [1, 99] }] },
      /labels_refs\[1\] = 99 is out of range \(14 symbols\)/,
    ],
    [
      'odd labels_refs',
      { symbols, timeseries: [{ labelsRefs: [1, 2, 3] }] },
      /labels_refs has an odd length \(3\)/,
    ],
    [
      'exemplar ref out of range',
      { symbols, timeseries: [{ labelsRefs: [1, 2], exemplars: [{ labelsRefs: [11, 400] }] }] },
      /exemplar labels_refs: 400 is out of range/,
    ],
    [
      'help_ref out of range',
      { symbols, timeseries: [{ labelsRefs: [1, 2], metadata: { type: 1, helpRef: 77 } }] },
      /help_ref = 77 is out of range/,
    ],
    [
      'no labels',
      { symbols, timeseries: [{ samples: [{ value: 1, timestamp: 1 }] }] },
      /series has no labels/,
    ],
    ['missing __name__', { symbols, timeseries: [{ labelsRefs: refs('job', 'api') }] }, /missing __name__/],
    [
      'empty label value',
      { symbols, timeseries: [{ labelsRefs: [1, 2, 3, 0] }] },
      /empty value for label "job"/,
    ],
    ['empty label name', { symbols, timeseries: [{ labelsRefs: [1, 2, 0, 3] }] }, /empty label name/],
    [
      'duplicate',
      { symbols, timeseries: [{ labelsRefs: refs('job', 'api', '__name__', 'v', 'job', 'v') }] },
      /duplicate label name "job"/,
    ],
    [
      'reserved',
      { symbols: ['', '__name__', 'up', '__meta_x'], timeseries: [{ labelsRefs: [1, 2, 3, 2] }] },
      /"__meta_x" is reserved/,
    ],
  ])('%s -> 400', (_, req, message) => {
    const err = rejection(() => rewrite(encodeRequestV2(req), '2.0'));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(message);
  });

  it('refuses a 1.0 body sent with the 2.0 content type (fields 1-3 are reserved in 2.0)', () => {
    const v1 = encodeWriteRequestV1({
      timeseries: [{ labels: labels({ __name__: 'up' }), samples: [{ value: 1, timestamp: 1 }] }],
    });
    expect(rejection(() => rewrite(v1, '2.0')).message).toMatch(/looks like a Remote-Write 1.0/);
  });

  it('replaces the tenant label and returns kubecost_cluster_info labels', () => {
    const req: RequestV2 = {
      symbols: [
        '',
        '__name__',
        'kubecost_cluster_info',
        'cloud_account_id',
        'victim',
        'id',
        'cluster-one',
        'provider',
        'GCP',
      ],
      timeseries: [{ labelsRefs: [7, 8, 1, 2, 3, 4, 5, 6], samples: [{ value: 1, timestamp: 1 }] }],
    };
    const result = rewrite(encodeRequestV2(req), '2.0');
    const expected = {
      __name__: 'kubecost_cluster_info',
      cloud_account_id: 'acct-42',
      id: 'cluster-one',
      provider: 'GCP',
    };
    expect(decodeWriteRequestV1(result.body).timeseries?.[0]?.labels).toEqual(labels(expected));
    expect(result.clusterInfo).toEqual(expected);
  });

  it('accepts series that only carry metadata, and an empty request', () => {
    const result = rewrite(
      encodeRequestV2({
        symbols,
        timeseries: [
          {
            labelsRefs: refs('__name__', 'http_requests_total'),
            metadata: { type: 2, helpRef: sym('help text') },
          },
        ],
      }),
      '2.0',
    );
    expect(decodeWriteRequestV1(result.body).metadata).toEqual([
      { type: 2, metricFamilyName: 'http_requests_total', help: 'help text' },
    ]);
    expect(rewrite(Buffer.alloc(0), '2.0')).toMatchObject({
      series: 0,
      metadata: 0,
      newestTimestampMs: null,
    });
  });

  it('caps the re-encoded size of a 1.0 request too (413), counting the tenant label on every series', () => {
    const raw = encodeWriteRequestV1({
      timeseries: Array.from({ length: 1000 }, (_, i) => ({
        labels: [{ name: '__name__', value: `m${i}` }],
        samples: [{ value: 1, timestamp: 1 }],
      })),
    });
    const err = rejection(() => rewriteWriteRequest('1.0', raw, { ...TENANT, maxOutputBytes: raw.length }));
    expect(err.status).toBe(413);
    expect(
      rewriteWriteRequest('1.0', raw, { ...TENANT, maxOutputBytes: 2 * raw.length + 64_000 }).series,
    ).toBe(1000);
  });

  it('caps the re-encoded size (413): one long symbol referenced many times', () => {
    const timeseries = Array.from({ length: 200 }, () => ({ labelsRefs: [1, 2, 3, 4] }));
    const raw = encodeRequestV2({ symbols: ['', '__name__', 'm', 'big', 'x'.repeat(100_000)], timeseries });
    const err = rejection(() => rewriteWriteRequest('2.0', raw, { ...TENANT, maxOutputBytes: 4 * MiB }));
    expect(err.status).toBe(413);
    expect(rewriteWriteRequest('2.0', raw, { ...TENANT, maxOutputBytes: 64 * MiB }).series).toBe(200);
  });
});
