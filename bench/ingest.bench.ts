import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import snappy from 'snappy';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { createCore, runAll, startServer } from '../src/main';
import { decompressSnappy, rewriteWriteRequest } from '../src/ingest/remote-write.codec';
import { decodeWriteRequestV1, encodeWriteRequestV1 } from '../src/ingest/remote-write.proto';
import { TENANT_LABEL } from '../src/domain/tenancy';
import { buildRequest } from './ingest-codec.bench';
import { PrometheusServer } from './support/prometheus-server';
import { summarize, table } from './support/stats';
import { intEnv } from './support/env';
import { machineCpuMs, processCpuMs } from './support/proc';

/**
 * `npm run bench:ingest`: remote_write ingestion, in one run, over requests shaped like
 * Prometheus' default batches (2,000 series of ~10 OpenCost labels, 1 sample each; the series of
 * bench/ingest-codec.bench.ts, re-timed so a real Prometheus accepts every sample):
 *
 * - (a) the service's processing path alone, on one core (this process, one thread): what the
 *   route does to a body between reading it and forwarding it — snappy decompress with the
 *   decoded-size cap, decode + validate + relabel + re-encode (rewriteWriteRequest), snappy
 *   compress with `copyOutputData` — in samples/s (wall, and per CPU-second).
 * - (b) end to end over HTTP: N concurrent senders POST to the service (`startServer` role api,
 *   in a child process of its own, LOG_LEVEL info as in production, logs to /dev/null), which
 *   forwards into a real Prometheus receiver (Debian 2.42, fresh data folder per run).
 * - (c) the same payloads POSTed straight into that Prometheus, same client, same concurrency.
 * - (d) diagnostic: the bodies the service forwards (tenant label set, for another tenant) POSTed
 *   straight into Prometheus, which tells the label's own cost to the receiver from the service's.
 *
 * Each sender owns 2,000 series and sends its requests one after another with a timestamp that
 * advances per request, as a Prometheus shard does, so no sample is out of order or a duplicate;
 * (b)'s and (d)'s series carry a tenant label each, so no two paths write the same series. The
 * paths' rounds are interleaved (b,c,d then c,d,b then d,b,c...) after one warm-up round each;
 * figures are medians. Also printed: CPU per request of the service, Prometheus and the client
 * (/proc), and how busy the machine was and with what. Every answer must be 2xx and, at the end,
 * Prometheus must hold exactly the samples sent (exit 1 otherwise); timings never fail the run.
 *
 * Env: BENCH_SENDERS (8), BENCH_REQUESTS (25 per sender per round), BENCH_ROUNDS (7),
 * BENCH_CODEC_ROUNDS (9), BENCH_LABELLED (1; 0 skips (d)), BENCH_JSON (write the results there),
 * BENCH_CPU_PROF (a folder: the service child runs with --cpu-prof and writes its profile there),
 * BENCH_LOG_LEVEL (the service's, info), BENCH_PIN (1; 0: no pinning, see below).
 *
 * Cores: with BENCH_PIN=1 (default, on a machine with 2+ cores and `taskset`), Prometheus runs on
 * the last core in every path and this process, the service child and the senders on the
 * others (a child inherits its parent's affinity). The receiver then has the same CPU in (b), (c)
 * and (d), and the service competes with it for none, as when the two run on their own pods or
 * machines; (b)/(c) is what putting the service in front costs the receiver. With BENCH_PIN=0 all
 * of them share every core, so on a small machine (b)/(c) is the ratio of the CPU the whole
 * pipeline spends per request — service included — rather than of the receiver's throughput.
 */

const SENDERS = intEnv('BENCH_SENDERS', 8, 1);
const REQUESTS = intEnv('BENCH_REQUESTS', 25, 1);
const ROUNDS = intEnv('BENCH_ROUNDS', 7, 1);
const CODEC_ROUNDS = intEnv('BENCH_CODEC_ROUNDS', 9, 1);
const MAX_DECODED = 32 * 1024 * 1024; // the service's default cap (INGEST_MAX_DECODED_BYTES)
const FAST = { copyOutputData: true } as const;
/** Milliseconds between one sender's consecutive requests (its samples' timestamps). */
const STEP_MS = 1000;
/**
 * Also time (d): the bodies as the service forwards them (tenant label set, for another tenant),
 * straight into Prometheus: what the tenant label alone costs the receiver. BENCH_LABELLED=0: skip.
 */
const LABELLED = process.env.BENCH_LABELLED !== '0';

/** `taskset -c` lists: Prometheus' core and everyone else's, or null when not pinning. */
function pinning(): { prometheus: string; rest: string } | null {
  const cores = os.cpus().length;
  if (process.env.BENCH_PIN === '0' || cores < 2) return null;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return { prometheus: String(cores - 1), rest: cores === 2 ? '0' : `0-${cores - 2}` };
}
const PIN = pinning();

type Path = 'b' | 'c' | 'd';
/** (d)'s tenant: as long as a cluster id, but another one, so (d) never writes (b)'s series. */
const OTHER_TENANT = '00000000-0000-4000-8000-000000000000';
/**
 * BENCH_SENDER_LABEL=1: the senders' series already carry a `cloud_account_id` of their own (as
 * the original platform's collectors set it, or a sender's external_labels claiming a tenant);
 * the service then replaces its value instead of adding a label, and (c) stores it as claimed.
 */
const SENDER_LABEL = process.env.BENCH_SENDER_LABEL === '1';
const CLAIMED_TENANT = 'ffffffff-ffff-4fff-8fff-ffffffffffff';

/** The bodies the service would forward for OTHER_TENANT (compressed as it does). */
function forwardedBodies(payloads: Buffer[][]): Buffer[][] {
  return payloads.map((mine) =>
    mine.map((body) => {
      const raw = decompressSnappy(body, MAX_DECODED);
      const { body: out } = rewriteWriteRequest('1.0', raw, {
        tenantLabel: TENANT_LABEL,
        tenantValue: OTHER_TENANT,
      });
      return snappy.compressSync(out, FAST);
    }),
  );
}

/**
 * A request whose samples' timestamps can be rewritten in place: every sample is encoded with a
 * placeholder timestamp whose varint is 6 bytes long, as is every ms timestamp between 2^35 and
 * 2^42 (1971..2109), so a new time never changes the message's length.
 */
class Template {
  readonly series: number;
  private readonly offsets: number[] = [];

  constructor(readonly raw: Buffer) {
    const placeholder = Buffer.concat([Buffer.from([0x10]), varint6(PLACEHOLDER)]); // field 2, varint
    for (let at = raw.indexOf(placeholder); at >= 0; at = raw.indexOf(placeholder, at + 1)) {
      this.offsets.push(at + 1);
    }
    this.series = decodeWriteRequestV1(raw).timeseries?.length ?? 0;
    if (this.offsets.length !== this.series)
      throw new Error(`template: ${this.offsets.length} timestamps found for ${this.series} series`);
  }

  /** The request with every sample at `timestampMs`, snappy-compressed. */
  at(timestampMs: number): Buffer {
    const stamp = varint6(timestampMs);
    for (const offset of this.offsets) stamp.copy(this.raw, offset);
    return snappy.compressSync(this.raw, FAST);
  }
}

const PLACEHOLDER = 2 ** 41 + 12345;

function varint6(value: number): Buffer {
  if (value < 2 ** 35 || value >= 2 ** 42) throw new Error(`timestamp ${value} is not a 6-byte varint`);
  const out = Buffer.alloc(6);
  let v = value;
  for (let i = 0; i < 6; i++) {
    const low = v % 128;
    v = Math.floor(v / 128);
    out[i] = i < 5 ? low | 0x80 : low;
  }
  return out;
}

/** Sender k's request template: bench/ingest-codec.bench.ts' request k, samples re-timed. */
function template(k: number): Template {
  const request = decodeWriteRequestV1(snappy.uncompressSync(buildRequest(k), { asBuffer: true }) as Buffer);
  for (const ts of request.timeseries ?? []) {
    for (const sample of ts.samples ?? []) sample.timestamp = PLACEHOLDER;
    if (SENDER_LABEL) {
      ts.labels = [...(ts.labels ?? []), { name: TENANT_LABEL, value: CLAIMED_TENANT }].sort((a, b) =>
        (a.name ?? '') < (b.name ?? '') ? -1 : 1,
      );
    }
  }
  return new Template(encodeWriteRequestV1(request));
}

function selfCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

// ---------------------------------------------------------------------------------------------
// (a) the processing path

/** What the route does to a body it accepted (src/ingest/remote-write.handler.ts). */
function processLikeTheRoute(body: Buffer): Buffer {
  const raw = decompressSnappy(body, MAX_DECODED);
  const decoded = rewriteWriteRequest('1.0', raw, { tenantLabel: TENANT_LABEL, tenantValue: '123456789012' });
  return snappy.compressSync(decoded.body, FAST);
}

function measureCodec(bodies: Buffer[], samplesPerBody: number) {
  for (let w = 0; w < 3; w++) for (const body of bodies) processLikeTheRoute(body);
  const wall: number[] = [];
  const cpu: number[] = [];
  const passes = 3;
  for (let round = 0; round < CODEC_ROUNDS; round++) {
    const cpu0 = selfCpuMs();
    const t0 = performance.now();
    for (let p = 0; p < passes; p++) for (const body of bodies) processLikeTheRoute(body);
    const ms = performance.now() - t0;
    const cpuMs = selfCpuMs() - cpu0;
    const samples = passes * bodies.length * samplesPerBody;
    wall.push(samples / (ms / 1000));
    cpu.push(samples / (cpuMs / 1000));
  }
  return { wall: summarize(wall), cpu: summarize(cpu) };
}

// ---------------------------------------------------------------------------------------------
// (b) and (c) over HTTP

interface Target {
  url: URL;
  headers: Record<string, string>;
}

const REMOTE_WRITE_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
};

function post(agent: http.Agent, target: Target, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(target.url, {
      method: 'POST',
      agent,
      headers: { ...target.headers, 'content-length': String(body.length) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8').slice(0, 500) }),
      );
    });
    req.end(body);
  });
}

/** N senders, each posting its own requests one after another; wall time of the whole round. */
async function round(agent: http.Agent, target: Target, payloads: Buffer[][]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    payloads.map(async (mine) => {
      for (const body of mine) {
        const { status, text } = await post(agent, target, body);
        if (status < 200 || status >= 300) throw new Error(`${target.url} answered ${status}: ${text}`);
      }
    }),
  );
  return performance.now() - t0;
}

interface ServiceInfo {
  url: string;
  id: string;
  secret: string;
}

/** The service in a child process of its own, as it runs in production. */
async function startServiceChild(writeUrl: string): Promise<{ child: ChildProcess; info: ServiceInfo }> {
  const prof = process.env.BENCH_CPU_PROF;
  if (prof) fs.mkdirSync(prof, { recursive: true });
  const child = fork(__filename, ['--child', 'service', writeUrl], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: prof ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(prof)}`] : [],
  });
  const info = await new Promise<ServiceInfo>((resolve, reject) => {
    child.once('message', (message) => resolve(message as ServiceInfo));
    child.once('exit', (code) => reject(new Error(`service child exited ${code}`)));
  });
  return { child, info };
}

async function stopServiceChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('stop');
  await exited;
}

/** Inside the child: a Core on a throw-away embedded database, the api role, one cluster. */
async function serviceChild(writeUrl: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ingest-service-'));
  const config = loadConfig({
    DATA_DIR: dir,
    CLICKHOUSE_DATABASE: 'bench_ingest',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    METRICS_WRITE_URL: writeUrl,
  });
  const core = await createCore(config, createLogger(config.logLevel));
  const server = await startServer(core, { role: 'api' });
  const { organization } = await core.organizations.create('Bench');
  const cluster = await core.services.clusterRegistration.register(organization.id, { name: 'bench' });
  process.once('message', () => {
    runAll([() => server.stop(), () => core.close()])
      .catch((error: unknown) => console.error(error))
      .finally(() => {
        fs.rmSync(dir, { recursive: true, force: true });
        process.exit(0);
      });
  });
  process.send?.({ url: server.url, id: cluster.cluster.id, secret: cluster.secret } satisfies ServiceInfo);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  // Every thread of this process; the service child, forked later, inherits it.
  if (PIN) execFileSync('taskset', ['-a', '-p', '-c', PIN.rest, String(process.pid)], { stdio: 'ignore' });
  const templates = Array.from({ length: SENDERS }, (_, k) => template(k));
  const series = templates[0]?.series ?? 0;
  const labels =
    (decodeWriteRequestV1(templates[0]?.raw as Buffer).timeseries ?? []).reduce(
      (sum, ts) => sum + (ts.labels?.length ?? 0),
      0,
    ) / series;
  // Every sender's series are its own: no two senders ever write the same series.
  const keys = new Set<string>();
  for (const t of templates)
    for (const ts of decodeWriteRequestV1(t.raw).timeseries ?? []) keys.add(JSON.stringify(ts.labels));
  if (keys.size !== SENDERS * series) throw new Error(`series repeat across senders: ${keys.size} distinct`);

  // Timestamps: one step per request and sender, ending before now (no sample in the future).
  const perSender = (ROUNDS + 1) * REQUESTS + 5;
  const base = Date.now() - (perSender + 60) * STEP_MS;
  let seq = 0;
  /** The next REQUESTS requests of every sender (the same bytes serve (b) and (c)). */
  const nextPayloads = (): Buffer[][] => {
    const out = templates.map((t) =>
      Array.from({ length: REQUESTS }, (_, j) => t.at(base + (seq + j) * STEP_MS)),
    );
    seq += REQUESTS;
    return out;
  };

  // (a)
  const codecBodies = templates.flatMap((t) => [0, 1, 2].map((j) => t.at(base - (3 - j) * STEP_MS)));
  const compressedKiB = codecBodies.reduce((n, b) => n + b.length, 0) / codecBodies.length / 1024;
  const codec = measureCodec(codecBodies, series);

  // (b), (c) and (d)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ingest-prom-'));
  const prometheus = await PrometheusServer.start(dataDir, ['--web.enable-remote-write-receiver'], {
    cpus: PIN?.prometheus,
  });
  let service: Awaited<ReturnType<typeof startServiceChild>> | undefined;
  let failed = false;
  try {
    service = await startServiceChild(`${prometheus.url}/api/v1/write`);
    const { child, info } = service;
    const viaService: Target = {
      url: new URL(`${info.url}/api/v1/write`),
      headers: {
        ...REMOTE_WRITE_HEADERS,
        authorization: `Basic ${Buffer.from(`${info.id}:${info.secret}`).toString('base64')}`,
      },
    };
    const direct: Target = { url: new URL(`${prometheus.url}/api/v1/write`), headers: REMOTE_WRITE_HEADERS };
    const agent = new http.Agent({ keepAlive: true, maxSockets: SENDERS });
    const samplesPerRound = SENDERS * REQUESTS * series;
    const paths: Path[] = LABELLED ? ['b', 'c', 'd'] : ['b', 'c'];
    const send = (which: Path, payloads: Buffer[][], forwarded: Buffer[][]) =>
      round(agent, which === 'b' ? viaService : direct, which === 'd' ? forwarded : payloads);

    // Warm-up: creates every series in Prometheus, opens the sockets, warms both processes.
    const warm = nextPayloads();
    for (const which of paths) await send(which, warm, LABELLED ? forwardedBodies(warm) : []);

    const rates: Record<Path, number[]> = { b: [], c: [], d: [] };
    const cpu: Record<Path, { service: number; prometheus: number; client: number }> = {
      b: { service: 0, prometheus: 0, client: 0 },
      c: { service: 0, prometheus: 0, client: 0 },
      d: { service: 0, prometheus: 0, client: 0 },
    };
    const machine0 = machineCpuMs();
    const all0 = {
      service: processCpuMs(child.pid) ?? 0,
      prometheus: prometheus.cpuMs() ?? 0,
      client: selfCpuMs(),
    };
    for (let r = 0; r < ROUNDS; r++) {
      const payloads = nextPayloads();
      const forwarded = LABELLED ? forwardedBodies(payloads) : [];
      // Every path goes first, second (and third) in turn.
      const order = paths.map((_, i) => paths[(i + r) % paths.length] as Path);
      for (const which of order) {
        const s0 = processCpuMs(child.pid) ?? 0;
        const p0 = prometheus.cpuMs() ?? 0;
        const c0 = selfCpuMs();
        const ms = await send(which, payloads, forwarded);
        cpu[which].service += (processCpuMs(child.pid) ?? 0) - s0;
        cpu[which].prometheus += (prometheus.cpuMs() ?? 0) - p0;
        cpu[which].client += selfCpuMs() - c0;
        rates[which].push(samplesPerRound / (ms / 1000));
      }
    }
    const machine1 = machineCpuMs();
    const all = {
      service: (processCpuMs(child.pid) ?? 0) - all0.service,
      prometheus: (prometheus.cpuMs() ?? 0) - all0.prometheus,
      client: selfCpuMs() - all0.client,
    };
    agent.destroy();

    // Prometheus must hold exactly what was sent, every way.
    const expected = (ROUNDS + 1) * samplesPerRound;
    const countQuery = async (selector: string) => {
      const params = new URLSearchParams({
        query: `sum(count_over_time(${selector}[1d]))`,
        time: String(Date.now() / 1000),
      });
      const body = (await (await fetch(`${prometheus.url}/api/v1/query?${params}`)).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      return Number(body.data.result[0]?.value[1] ?? 0);
    };
    const stored: Record<Path, number> = {
      b: await countQuery(`{job="kubecost",cloud_account_id="${info.id}"}`),
      c: await countQuery(`{job="kubecost",cloud_account_id="${SENDER_LABEL ? CLAIMED_TENANT : ''}"}`),
      d: LABELLED ? await countQuery(`{job="kubecost",cloud_account_id="${OTHER_TENANT}"}`) : 0,
    };
    for (const which of paths) {
      if (stored[which] !== expected) {
        failed = true;
        console.error(`(${which}) stored ${stored[which]} samples; expected ${expected}`);
      }
    }

    const summary = { b: summarize(rates.b), c: summarize(rates.c), d: summarize(rates.d) };
    const m = (x: number) => `${(x / 1e6).toFixed(3)} M/s`;
    const requestsPerPath = ROUNDS * SENDERS * REQUESTS;
    const perRequest = (ms: number) => `${(ms / requestsPerPath).toFixed(2)} ms`;
    const cpuTotal = (which: Path) =>
      (cpu[which].service + cpu[which].prometheus + cpu[which].client) / requestsPerPath;
    const rows: string[][] = [
      ['path', 'median', 'min', 'max', 'CPU per request: service', 'Prometheus', 'client'],
      [
        '(a) processing path, one core (wall)',
        m(codec.wall.median),
        m(codec.wall.min),
        m(codec.wall.max),
        '',
        '',
        '',
      ],
      [
        '(a) processing path, per CPU-second',
        m(codec.cpu.median),
        m(codec.cpu.min),
        m(codec.cpu.max),
        '',
        '',
        '',
      ],
    ];
    const names: Record<Path, string> = {
      b: '(b) senders -> service -> Prometheus',
      c: '(c) senders -> Prometheus',
      d: "(d) service's output -> Prometheus",
    };
    for (const which of paths) {
      rows.push([
        names[which],
        m(summary[which].median),
        m(summary[which].min),
        m(summary[which].max),
        which === 'b' ? perRequest(cpu[which].service) : '',
        perRequest(cpu[which].prometheus),
        perRequest(cpu[which].client),
      ]);
    }
    const paired = rates.b.map((x, i) => x / (rates.c[i] as number));
    const out = [
      `bench:ingest — ${SENDERS} senders x ${REQUESTS} requests per round; each request ${series} series x ` +
        `${labels.toFixed(1)} labels${SENDER_LABEL ? ` (cloud_account_id included, as claimed by the sender)` : ''} x 1 sample (${compressedKiB.toFixed(0)} KiB snappy); ${ROUNDS} rounds after a warm-up, medians`,
      '',
      table(rows),
      '',
      PIN
        ? `cores: Prometheus pinned to core ${PIN.prometheus} in every path; the service, the senders and this process to ${PIN.rest}`
        : 'cores: not pinned (BENCH_PIN=0 or one core): every process shares every core',
      `ratio (b)/(c): ${(summary.b.median / summary.c.median).toFixed(2)} (per round: ${paired.map((x) => x.toFixed(2)).join(' ')})`,
      `CPU of all three processes per request: (b) ${cpuTotal('b').toFixed(2)} ms, (c) ${cpuTotal('c').toFixed(2)} ms` +
        (LABELLED ? `, (d) ${cpuTotal('d').toFixed(2)} ms` : '') +
        `; when the cores are saturated (b)/(c) tends to (c)/(b) of these: ${(cpuTotal('c') / cpuTotal('b')).toFixed(2)}`,
    ];
    if (LABELLED) {
      out.push(
        `(d) = what the service forwards (tenant label set, another tenant), posted straight into Prometheus: ` +
          `(d)/(c) ${(summary.d.median / summary.c.median).toFixed(2)} is the tenant label's own cost, (b)/(d) ${(summary.b.median / summary.d.median).toFixed(2)} the service's`,
      );
    }
    if (machine0 && machine1) {
      const total = machine1.total - machine0.total;
      const pct = (x: number) => `${((x / total) * 100).toFixed(0)}%`;
      const busy = machine1.busy - machine0.busy;
      out.push(
        `machine during (b)/(c)${LABELLED ? '/(d)' : ''}: ${os.cpus().length} cores ${pct(busy)} busy — service ${pct(all.service)}, ` +
          `Prometheus ${pct(all.prometheus)}, bench client ${pct(all.client)}, other processes ` +
          `${pct(Math.max(0, busy - all.service - all.prometheus - all.client))}; load average ${os
            .loadavg()
            .map((x) => x.toFixed(2))
            .join(' ')}`,
      );
    }
    out.push(
      `stored: ${paths.map((which) => `(${which}) ${stored[which]}`).join(', ')} samples (expected ${expected} each); ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
    if (process.env.BENCH_JSON) {
      fs.writeFileSync(
        process.env.BENCH_JSON,
        `${JSON.stringify({ date: new Date().toISOString(), pinned: PIN, senders: SENDERS, requests: REQUESTS, rounds: ROUNDS, series, codec, ...summary, ratio: summary.b.median / summary.c.median, paired, cpu, stored }, null, 2)}\n`,
      );
    }
  } finally {
    await runAll([async () => service && stopServiceChild(service.child), () => prometheus.stop()]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

if (process.argv[2] === '--child') {
  serviceChild(process.argv[4] as string).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
