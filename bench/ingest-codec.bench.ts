import fs from 'node:fs';
import snappy from 'snappy';
import { decompressSnappy, rewriteWriteRequest } from '../src/ingest/remote-write.codec';
import {
  decodeWriteRequestV1,
  encodeWriteRequestV1,
  WriteRequestV1Type,
  type TimeSeriesV1,
} from '../src/ingest/remote-write.proto';
import { summarize, table } from './support/stats';
import { intEnv } from './support/env';

/**
 * `npx tsc -p tsconfig.build.json && node dist/bench/ingest-codec.bench.js`: the remote_write
 * ingest codec on one core, over Prometheus-shaped 1.0 requests (2,000 series of ~10 OpenCost
 * labels and 1 sample each, snappy-compressed, as a Prometheus shard sends them):
 *
 * - (a) the route's path: snappy uncompress -> rewriteWriteRequest (validate, sort, set the tenant
 *   label, re-encode) -> snappy compress.
 * - (r) the reference: the same snappy steps around protobufjs' generated decode, the tenant label
 *   set on every series, and protobufjs' encode.
 *
 * Both run in the same process, interleaved round by round (a,r then r,a), after a warm-up; the
 * figures are medians over the rounds. The run checks that (a) and (r) produce the same series
 * (exit 1 if not); timings never fail it.
 *
 * Also printed, for the route: what the default snappy options (external output buffers) cost
 * against `{ copyOutputData: true }`, which the codec uses for uncompress.
 *
 * Env: BENCH_REQUESTS (50), BENCH_SERIES (2000), BENCH_ROUNDS (9), BENCH_JSON (write results there).
 */

const REQUESTS = intEnv('BENCH_REQUESTS', 50, 1);
const SERIES = intEnv('BENCH_SERIES', 2000, 1);
const ROUNDS = intEnv('BENCH_ROUNDS', 9, 1);
const TENANT = { tenantLabel: 'cloud_account_id', tenantValue: '123456789012' };
const MAX_DECODED = 32 * 1024 * 1024; // the reference receiver's cap
const FAST = { copyOutputData: true } as const;

/** Deterministic PRNG (mulberry32) so every run measures the same bytes. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One request as a Prometheus shard of a cluster running OpenCost/Kubecost would send it
 * (also used by bench/ingest.bench.ts, which re-times its samples).
 */
export function buildRequest(index: number): Buffer {
  const rnd = prng(1000 + index);
  const int = (n: number): number => Math.floor(rnd() * n);
  const cluster = `prod-eks-${index % 5}`;
  const nodes = Array.from({ length: 40 }, (_, i) => `ip-10-${index % 7}-${i}-${17 + (i % 9)}.ec2.internal`);
  const namespaces = ['shop', 'payments', 'kube-system', 'monitoring', 'search', 'ingress-nginx', 'data'];
  const now = 1732600000000 + index * 15000;
  const timeseries: TimeSeriesV1[] = [];
  for (let s = 0; s < SERIES; s++) {
    const node = nodes[int(nodes.length)] as string;
    const ns = namespaces[int(namespaces.length)] as string;
    const pod = `${ns}-api-${(int(1e9) + 1e9).toString(36).slice(0, 9)}-${int(1e6).toString(36)}`;
    const common = { cluster_id: cluster, instance: 'kubecost-cost-analyzer.kubecost:9003', job: 'kubecost' };
    let labels: Record<string, string>;
    switch (s % 5) {
      case 0:
        labels = {
          __name__: 'container_cpu_allocation',
          ...common,
          container: 'api',
          namespace: ns,
          node,
          pod,
        };
        break;
      case 1:
        labels = {
          __name__: 'container_memory_allocation_bytes',
          ...common,
          container: 'api',
          namespace: ns,
          node,
          pod,
        };
        break;
      case 2:
        labels = {
          __name__: 'node_total_hourly_cost',
          ...common,
          arch: 'amd64',
          instance_type: 'm5.xlarge',
          node,
          provider_id: `aws:///us-east-1a/i-0${int(1e15).toString(16)}`,
          region: 'us-east-1',
        };
        break;
      case 3:
        labels = {
          __name__: 'kube_pod_owner',
          ...common,
          namespace: ns,
          owner_is_controller: 'true',
          owner_kind: 'ReplicaSet',
          owner_name: `${ns}-api-7d9f8b6c5`,
          pod,
        };
        break;
      default:
        labels = {
          __name__: 'pod_pvc_allocation',
          ...common,
          namespace: ns,
          persistentvolume: `pvc-${int(1e12).toString(16)}`,
          persistentvolumeclaim: `data-${ns}-${int(9)}`,
          pod,
        };
    }
    timeseries.push({
      // Prometheus sends labels sorted.
      labels: Object.entries(labels)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, value]) => ({ name, value })),
      samples: [
        { value: s % 5 === 1 ? int(8e9) : Math.round(rnd() * 1e6) / 1e4, timestamp: now + int(15000) },
      ],
    });
  }
  return snappy.compressSync(encodeWriteRequestV1({ timeseries }));
}

/** (a): what the route does. */
function processCodec(compressed: Buffer, fast = true): Buffer {
  const raw = fast
    ? decompressSnappy(compressed, MAX_DECODED)
    : (snappy.uncompressSync(compressed, { asBuffer: true }) as Buffer);
  const { body } = rewriteWriteRequest('1.0', raw, TENANT);
  return fast ? snappy.compressSync(body, FAST) : snappy.compressSync(body);
}

interface PbLabel {
  name: string;
  value: string;
}
interface PbSeries {
  labels: PbLabel[];
}

/** (r): protobufjs generated decode, the tenant label set (replaced, kept in sorted position), encode. */
function processReference(compressed: Buffer): Buffer {
  const raw = snappy.uncompressSync(compressed, { asBuffer: true, ...FAST }) as Buffer;
  const message = WriteRequestV1Type.decode(raw) as unknown as { timeseries: PbSeries[] };
  for (const ts of message.timeseries) {
    const kept = ts.labels.filter((l) => l.name !== TENANT.tenantLabel);
    let at = 0;
    while (at < kept.length && (kept[at] as PbLabel).name < TENANT.tenantLabel) at++;
    kept.splice(at, 0, { name: TENANT.tenantLabel, value: TENANT.tenantValue });
    ts.labels = kept;
  }
  const body = WriteRequestV1Type.encode(message as never).finish();
  return snappy.compressSync(body, FAST);
}

function measure(
  fn: (b: Buffer) => Buffer,
  requests: Buffer[],
  passes: number,
): { wallMs: number; cpuMs: number } {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) for (const r of requests) fn(r);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function main(): void {
  const started = Date.now();
  const requests = Array.from({ length: REQUESTS }, (_, i) => buildRequest(i));
  const samplesPerPass = REQUESTS * SERIES;
  const rawBytes = requests.reduce((n, r) => n + decompressSnappy(r, MAX_DECODED).length, 0);
  const compressedBytes = requests.reduce((n, r) => n + r.length, 0);

  // Same answer both ways, or the comparison means nothing.
  for (const r of requests.slice(0, 3)) {
    const a = decodeWriteRequestV1(snappy.uncompressSync(processCodec(r), { asBuffer: true }) as Buffer);
    const b = decodeWriteRequestV1(snappy.uncompressSync(processReference(r), { asBuffer: true }) as Buffer);
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      console.error('codec and reference disagree on the rewritten request');
      process.exit(1);
    }
  }

  // (a) is ~8x faster than (r): more passes keep its rounds long enough to time.
  const passesA = 4;
  const passesR = 1;
  for (let w = 0; w < 2; w++) {
    measure(processCodec, requests, 1);
    measure(processReference, requests, 1);
    measure((b) => processCodec(b, false), requests, 1);
  }
  const rate = { a: [] as number[], r: [] as number[], aDefault: [] as number[] };
  const cpuRate = { a: [] as number[], r: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['a', 'r'] as const) : (['r', 'a'] as const);
    for (const which of order) {
      const passes = which === 'a' ? passesA : passesR;
      const m = measure(which === 'a' ? processCodec : processReference, requests, passes);
      rate[which].push((samplesPerPass * passes) / (m.wallMs / 1000));
      cpuRate[which].push((samplesPerPass * passes) / (m.cpuMs / 1000));
    }
    const d = measure((b) => processCodec(b, false), requests, 1);
    rate.aDefault.push(samplesPerPass / (d.wallMs / 1000));
  }

  const med = (xs: number[]): number => summarize(xs).median;
  const a = med(rate.a);
  const r = med(rate.r);
  const fmt = (x: number): string => `${(x / 1e6).toFixed(3)} M/s`;
  console.log(
    `ingest codec: ${REQUESTS} requests x ${SERIES} series x 1 sample, ` +
      `${(rawBytes / REQUESTS / 1024).toFixed(0)} KiB raw / ${(compressedBytes / REQUESTS / 1024).toFixed(0)} KiB snappy each; ` +
      `${ROUNDS} rounds, median`,
  );
  console.log(
    table([
      ['path', 'samples/s (wall)', 'samples/s (cpu)', 'min', 'max'],
      [
        '(a) uncompress + rewriteWriteRequest + compress',
        fmt(a),
        fmt(med(cpuRate.a)),
        fmt(Math.min(...rate.a)),
        fmt(Math.max(...rate.a)),
      ],
      [
        '(r) uncompress + protobufjs decode/set/encode + compress',
        fmt(r),
        fmt(med(cpuRate.r)),
        fmt(Math.min(...rate.r)),
        fmt(Math.max(...rate.r)),
      ],
      [
        '(a) with default snappy options (external buffers)',
        fmt(med(rate.aDefault)),
        '',
        fmt(Math.min(...rate.aDefault)),
        fmt(Math.max(...rate.aDefault)),
      ],
    ]),
  );
  console.log(`ratio (a)/(r): ${(a / r).toFixed(1)}x   (${((Date.now() - started) / 1000).toFixed(1)} s)`);

  // Where (a)'s time goes, per request (median of single-request timings).
  const parts = { uncompress: [] as number[], rewrite: [] as number[], compress: [] as number[] };
  for (let p = 0; p < 3; p++)
    for (const c of requests) {
      let t = process.hrtime.bigint();
      const raw = decompressSnappy(c, MAX_DECODED);
      parts.uncompress.push(Number(process.hrtime.bigint() - t) / 1e6);
      t = process.hrtime.bigint();
      const { body } = rewriteWriteRequest('1.0', raw, TENANT);
      parts.rewrite.push(Number(process.hrtime.bigint() - t) / 1e6);
      t = process.hrtime.bigint();
      snappy.compressSync(body, FAST);
      parts.compress.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  console.log(
    `(a) per request, median ms: uncompress ${med(parts.uncompress).toFixed(3)}, ` +
      `rewrite ${med(parts.rewrite).toFixed(3)}, compress ${med(parts.compress).toFixed(3)}`,
  );

  if (process.env.BENCH_JSON) {
    fs.writeFileSync(
      process.env.BENCH_JSON,
      JSON.stringify(
        { requests: REQUESTS, series: SERIES, rounds: ROUNDS, samplesPerSecond: { a, r }, ratio: a / r },
        null,
        2,
      ),
    );
  }
}

// Importing the builder (bench/ingest.bench.ts) does not run this benchmark.
if (require.main === module) main();
