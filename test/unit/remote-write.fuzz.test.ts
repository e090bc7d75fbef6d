import snappy from 'snappy';
import { decompressSnappy, RemoteWriteError, rewriteWriteRequest } from '../../src/ingest/remote-write.codec';
import type { RemoteWriteVersion } from '../../src/domain/ports/remote-write-codec';
import {
  decodeRequestV2,
  decodeWriteRequestV1,
  encodeRequestV2,
  encodeWriteRequestV1,
  type LabelV1,
  type MetricMetadataV1,
  type TimeSeriesV1,
} from '../../src/ingest/remote-write.proto';
import { mutate } from '../support/protobuf-mutations';

/**
 * Random and mutated bodies through decompress + rewrite: every outcome must be a success whose
 * body is a valid 1.0 WriteRequest (labels sorted, one tenant label) or a RemoteWriteError with
 * 400/413/415. Reproduce a failure with FUZZ_SEED=<seed> FUZZ_CASE=<index> npx jest <this file>.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed2024);
const ONLY = process.env.FUZZ_CASE === undefined ? -1 : Number(process.env.FUZZ_CASE);
const CASES = Number(process.env.FUZZ_CASES ?? 20_000);
const CAP = 256 * 1024; // decoded-size cap: small, so 413 is reachable
const TENANT = { tenantLabel: 'cloud_account_id', tenantValue: 'acct-7', maxOutputBytes: 4 * 1024 * 1024 };

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const stale = Buffer.from([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);

/** Valid requests of both versions to start mutating from. */
function corpus(): { version: RemoteWriteVersion; raw: Buffer }[] {
  const v1 = [
    encodeWriteRequestV1({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'up' },
            { name: 'job', value: 'node' },
          ],
          samples: [{ value: 1, timestamp: 1732600000000 }],
        },
      ],
    }),
    encodeWriteRequestV1({
      timeseries: Array.from({ length: 12 }, (_, i) => ({
        labels: [
          { name: 'pod', value: `api-${i}` },
          { name: '__name__', value: 'container_cpu_allocation' },
          { name: 'cloud_account_id', value: 'victim' },
          { name: 'namespace', value: 'shop' },
          { name: 'node', value: 'ip-10-0-1-17' },
        ],
        samples: [
          { value: i / 3, timestamp: 1732600000000 + i },
          { value: NaN, timestamp: 1732600015000 + i },
        ],
      })),
      metadata: [{ type: 2, metricFamilyName: 'container_cpu_allocation', help: 'cores' }],
    }),
    encodeWriteRequestV1({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'http_request_duration_seconds' },
            { name: 'le', value: '0.5' },
          ],
          histograms: [
            {
              countInt: 5,
              sum: 1.5,
              schema: 3,
              zeroThreshold: 1e-9,
              zeroCountInt: 1,
              negativeSpans: [{ offset: -1, length: 1 }],
              negativeDeltas: [1],
              positiveSpans: [{ offset: 2, length: 2 }],
              positiveDeltas: [2, -1],
              timestamp: 1732600000000,
            },
          ],
          exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 0.3, timestamp: 1732600000000 }],
        },
        {
          labels: [
            { name: '__name__', value: 'kubecost_cluster_info' },
            { name: 'id', value: 'cluster-one' },
            { name: 'provider', value: 'AWS' },
          ],
          samples: [{ value: 1, timestamp: 1732600000000 }],
        },
      ],
    }),
    encodeWriteRequestV1({ metadata: [{ type: 1, metricFamilyName: 'x_total', help: 'h', unit: 'u' }] }),
  ];
  const withStale = Buffer.from(v1[0] as Buffer);
  withStale.set(stale, withStale.indexOf(Buffer.from([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]))); // value 1 -> stale
  v1.push(withStale);
  const v2 = [
    encodeRequestV2({
      symbols: ['', '__name__', 'up', 'job', 'node', 'k8s.pod', 'a b', 'trace_id', 'abc', 'help', 'sec'],
      timeseries: [
        {
          labelsRefs: [3, 4, 1, 2, 5, 6],
          samples: [{ value: 2, timestamp: 1732600000000, startTimestamp: 1732500000000 }],
          exemplars: [{ labelsRefs: [7, 8], value: 2, timestamp: 1732600000000 }],
          metadata: { type: 1, helpRef: 9, unitRef: 10 },
        },
        {
          labelsRefs: [1, 2],
          histograms: [
            {
              countFloat: 2.5,
              sum: 3,
              schema: 0,
              positiveSpans: [{ length: 2 }],
              positiveCounts: [1, 1.5],
              timestamp: 1732600000001,
              startTimestamp: 5,
            },
          ],
        },
      ],
    }),
    encodeRequestV2({ symbols: [''], timeseries: [] }),
  ];
  return [
    ...v1.map((raw) => ({ version: '1.0' as const, raw })),
    ...v2.map((raw) => ({ version: '2.0' as const, raw })),
  ];
}

/** What an accepted request must look like: a 1.0 body protobufjs decodes, tenant set exactly once, sorted. */
function checkAccepted(body: Buffer): void {
  const req = decodeWriteRequestV1(body);
  for (const ts of req.timeseries ?? []) {
    const names = (ts.labels ?? []).map((l) => l.name);
    const tenant = (ts.labels ?? []).filter((l) => l.name === TENANT.tenantLabel);
    if (tenant.length !== 1 || tenant[0]?.value !== TENANT.tenantValue)
      throw new Error('tenant label not set exactly once');
    for (let i = 1; i < names.length; i++)
      if (Buffer.compare(Buffer.from(names[i - 1] ?? ''), Buffer.from(names[i] ?? '')) >= 0)
        throw new Error(`labels not sorted/unique: ${names.join(',')}`);
    if (!names.includes('__name__')) throw new Error('accepted a series without __name__');
    if ((ts.labels ?? []).some((l) => !l.name || !l.value))
      throw new Error('accepted an empty name or value');
  }
}

/**
 * Differential check of an accepted 1.0 request against protobufjs: same series (labels sorted,
 * tenant replaced), samples, exemplars, histograms and metadata. Skipped when protobufjs itself
 * cannot decode the input.
 */
function checkSameAsReference(input: Buffer, body: Buffer): boolean {
  let expected: ReturnType<typeof decodeWriteRequestV1>;
  try {
    expected = decodeWriteRequestV1(input);
  } catch {
    return false;
  }
  const out = decodeWriteRequestV1(body);
  const want = (expected.timeseries ?? []).map((ts) => ({
    ...ts,
    labels: [
      ...(ts.labels ?? []).filter((l) => l.name !== TENANT.tenantLabel),
      { name: TENANT.tenantLabel, value: TENANT.tenantValue },
    ].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name))),
  }));
  expect(out.timeseries ?? []).toEqual(want);
  expect(out.metadata ?? []).toEqual(expected.metadata ?? []);
  return true;
}

/** The same for 2.0: the 1.0 request protobufjs' view of the input converts to. */
function checkSameAsReferenceV2(input: Buffer, body: Buffer): boolean {
  let req: ReturnType<typeof decodeRequestV2>;
  try {
    req = decodeRequestV2(input);
  } catch {
    return false;
  }
  const symbols = req.symbols ?? [];
  const pairs = (refs: number[] = []): LabelV1[] =>
    Array.from({ length: refs.length / 2 }, (_, i) => ({
      name: symbols[refs[2 * i] as number] as string,
      value: symbols[refs[2 * i + 1] as number] as string,
    }));
  const families = new Map<string, MetricMetadataV1>();
  const timeseries = (req.timeseries ?? []).map((ts) => {
    const labels = pairs(ts.labelsRefs);
    const name = labels.find((l) => l.name === '__name__')?.value ?? '';
    const m = ts.metadata;
    const help = symbols[m?.helpRef ?? 0] ?? '';
    const unit = symbols[m?.unitRef ?? 0] ?? '';
    if (m && (m.type || help || unit) && !families.has(name))
      families.set(name, {
        ...(m.type ? { type: m.type } : {}),
        metricFamilyName: name,
        ...(help ? { help } : {}),
        ...(unit ? { unit } : {}),
      });
    const out: TimeSeriesV1 = {
      labels: [
        ...labels.filter((l) => l.name !== TENANT.tenantLabel),
        { name: TENANT.tenantLabel, value: TENANT.tenantValue },
      ].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name))),
    };
    if (ts.samples?.length) out.samples = ts.samples.map(({ startTimestamp: _st, ...sample }) => sample);
    if (ts.exemplars?.length)
      out.exemplars = ts.exemplars.map(({ labelsRefs, ...e }) => ({
        // Exemplar labels are forwarded as sent; protobufjs leaves empty strings out.
        ...(labelsRefs?.length
          ? {
              labels: pairs(labelsRefs).map(
                ({ name, value }) => ({ ...(name ? { name } : {}), ...(value ? { value } : {}) }) as LabelV1,
              ),
            }
          : {}),
        ...e,
      }));
    if (ts.histograms?.length) out.histograms = ts.histograms.map(({ startTimestamp: _st, ...h }) => h);
    return out;
  });
  const out = decodeWriteRequestV1(body);
  expect(out.timeseries ?? []).toEqual(timeseries);
  expect(out.metadata ?? []).toEqual([...families.values()]);
  return true;
}

describe('remote-write codec fuzz', () => {
  it(`survives ${CASES} random and mutated bodies (seed ${SEED})`, () => {
    const base = corpus();
    const pool = base.map((c) => c.raw);
    const outcomes = { ok: 0, 400: 0, 413: 0, 415: 0, compared: { '1.0': 0, '2.0': 0 } };
    let slowest = 0;
    for (let i = ONLY >= 0 ? ONLY : 0; i < (ONLY >= 0 ? ONLY + 1 : CASES); i++) {
      const rnd = prng(SEED + i * 7919);
      const int = (n: number): number => Math.floor(rnd() * n);
      const entry = base[int(base.length)]!;
      // Mostly the version the body was made for; sometimes the other one (wrong Content-Type).
      const version: RemoteWriteVersion =
        rnd() < 0.85 ? entry.version : entry.version === '1.0' ? '2.0' : '1.0';
      let body: Buffer;
      const mode = int(10);
      if (mode < 6)
        body = snappy.compressSync(mutate(entry.raw, rnd, pool)); // protobuf-level mutation
      else if (mode < 9)
        body = mutate(snappy.compressSync(entry.raw), rnd, pool); // snappy-level mutation
      else body = Buffer.from(Array.from({ length: int(200) }, () => int(256))); // pure noise
      const started = performance.now();
      try {
        const decoded = decompressSnappy(body, CAP);
        const result = rewriteWriteRequest(version, decoded, TENANT);
        checkAccepted(result.body);
        const compared =
          version === '1.0'
            ? checkSameAsReference(decoded, result.body)
            : checkSameAsReferenceV2(decoded, result.body);
        if (compared) outcomes.compared[version]++;
        outcomes.ok++;
      } catch (err) {
        if (!(err instanceof RemoteWriteError) || ![400, 413, 415].includes(err.status)) {
          throw new Error(
            `seed ${SEED} case ${i} (FUZZ_SEED=${SEED} FUZZ_CASE=${i}): ${version} body ${body.toString('hex')}\n` +
              `${(err as Error).stack ?? String(err)}`,
          );
        }
        outcomes[err.status]++;
      }
      slowest = Math.max(slowest, performance.now() - started);
    }
    if (ONLY < 0) {
      // Both outcomes must actually occur, or the mutations are not reaching the parser.
      expect(outcomes.ok).toBeGreaterThan(CASES / 50);
      expect(outcomes[400]).toBeGreaterThan(CASES / 4);
      expect(outcomes.compared['1.0']).toBeGreaterThan(CASES / 100);
      expect(outcomes.compared['2.0']).toBeGreaterThan(CASES / 200);
      if (process.env.FUZZ_VERBOSE) console.log(JSON.stringify(outcomes));
    }
    expect(slowest).toBeLessThan(1000); // no case anywhere near a hang
  });

  it('bounds every length: a tiny body claiming huge sizes never allocates them', () => {
    const before = process.memoryUsage().arrayBuffers;
    for (const claim of [0xffffffff, 0x7fffffff, 64 * 1024 * 1024, CAP + 1, CAP]) {
      const preamble: number[] = [];
      for (let v = claim; ; v = Math.floor(v / 128)) {
        preamble.push(v >= 128 ? (v % 128) | 0x80 : v);
        if (v < 128) break;
      }
      const err = (() => {
        try {
          decompressSnappy(Buffer.from([...preamble, 0x00, 0x0a]), CAP);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(RemoteWriteError);
      expect([400, 413]).toContain((err as RemoteWriteError).status);
    }
    // Protobuf lengths claiming gigabytes inside a small decoded body.
    for (const raw of [
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]),
      Buffer.from([0x22, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      Buffer.from([0x0a, 0x05, 0x0a, 0xff, 0xff, 0xff, 0x7f]),
    ]) {
      for (const version of ['1.0', '2.0'] as const) {
        expect(() => rewriteWriteRequest(version, raw, TENANT)).toThrow(RemoteWriteError);
      }
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });
});
