import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { addDays, formatDay } from '../../src/domain/days';
import { PrometheusProcess } from './prometheus';

/**
 * A synthetic but realistic Kubecost day for two clusters, written as OpenMetrics text and turned
 * into TSDB blocks by `promtool tsdb create-blocks-from openmetrics`, then served by a real
 * Prometheus. The day is two days ago (UTC), so the blocks never overlap the head.
 *
 * Every series is scraped every 60 s at hh:mm:30 and has an HA twin: the same labels plus
 * `prometheus_replica="b"`. Hours below are relative to the day's 00:00 UTC; a series "from 10 to
 * 16" has samples 10:00:30 .. 15:59:30. Series marked "-2 .. 26" spill two hours into the days
 * around, which must not be charged to this day.
 *
 * Cluster A (cloud_account_id=cluster-a, EKS):
 * - ip-10-0-1-17  m5.xlarge, -2 .. 26: 4 vCPU, 16 GiB, cpu $0.031611/vCPU-h, ram $0.004237/GiB-h,
 *   total $0.194236/h, 0 GPUs at $0/GPU-h;
 * - ip-10-0-2-33  m5.2xlarge, 10 .. 16: 8 vCPU, 32 GiB, same prices, total $0.388472/h, no GPU series;
 * - ip-10-0-3-51  g4dn.xlarge SPOT (kubecost_node_is_spot 1), -2 .. 26: 4 vCPU, 16 GiB, 1 GPU,
 *   cpu $0.0095, ram $0.0013, gpu $0.158, total $0.2168/h;
 * - ip-10-0-4-90  no capacity series at all, 0 .. 12: total $0.096/h (cpu $0.02, ram $0.003 prices
 *   present, but no split may be invented);
 * - management fee $0.10/h, -2 .. 26;
 * - load balancers: ingress-nginx/ingress-nginx-controller $0.025/h -2 .. 26; shop/api-lb
 *   $0.025/h 0 .. 12 (deleted at noon);
 * - volumes: pvc-1 100 GiB at $0.000137/GiB-h -2 .. 26; pvc-2 50 GiB at $0.00011/GiB-h 6 .. 18;
 * - network: egress prices internet $0.09, region $0.02, zone $0.01 per GiB (-2 .. 26); byte
 *   counters 0 .. 24 growing by 16 MiB/min (internet), 8 MiB/min (cross-region),
 *   4 MiB/min (cross-zone), 32 MiB/min (same zone, free), each reset to zero at noon;
 * - containers: shop/api on ip-10-0-1-17 2 cores 8 GiB -2 .. 26; shop/worker on ip-10-0-1-17
 *   1 core 2 GiB 0 .. 12; batch/run on ip-10-0-2-33 8 cores 40 GiB 10 .. 16 (more than the
 *   node has); ml/train on ip-10-0-3-51 2 cores 4 GiB 1 GPU -2 .. 26; misc/cron on ip-10-0-4-90
 *   1 core -2 .. 26 (an unsplit node: not part of idle).
 *
 * Cluster B (cloud_account_id=cluster-b, GKE), deliberately with a node of the SAME name as A's:
 * - ip-10-0-1-17  e2-standard-2, -2 .. 26: 2 vCPU, 8 GiB, cpu $0.021811, ram $0.002923,
 *   total $0.067006/h; management $0.10/h; no load balancers, volumes, containers or byte counters.
 *
 * Late data for cluster A ({@link LATE_SERIES}): ip-10-0-5-12, 20 .. 22: 2 vCPU, 4 GiB,
 * cpu $0.05, ram $0.005, total $0.12/h.
 */

export const CLUSTER_A = 'cluster-a';
export const CLUSTER_B = 'cluster-b';

const GIB = 1_073_741_824;
const MIB = 1_048_576;

/** A series of the fixture: `value` per sample, `k` counting minutes from the series' first sample. */
export interface SeriesSpec {
  metric: string;
  type: 'gauge' | 'counter';
  labels: Record<string, string>;
  /** Hours relative to the day's 00:00 UTC: samples at from:00:30, from:01:30, ... before `to`. */
  from: number;
  to: number;
  value: number | ((k: number) => number);
}

const nodeLabels = (node: string, instanceType: string, zone: string) => ({
  node,
  instance: node,
  instance_type: instanceType,
  region: zone.slice(0, -1),
  provider_id: `aws:///${zone}/i-${node.replace(/\D/g, '')}`,
  arch: 'amd64',
});

interface NodeSpec {
  node: string;
  instanceType: string;
  from: number;
  to: number;
  cpu?: number;
  memoryGiB?: number;
  gpus?: number;
  cpuPrice: number;
  ramPrice: number;
  gpuPrice?: number;
  total: number;
  spot?: boolean;
}

function node(spec: NodeSpec): SeriesSpec[] {
  const labels = nodeLabels(spec.node, spec.instanceType, 'us-east-1a');
  const at = { from: spec.from, to: spec.to };
  const gauge = (metric: string, value: number, extra: Record<string, string> = labels): SeriesSpec => ({
    metric,
    type: 'gauge',
    labels: extra,
    ...at,
    value,
  });
  const series = [
    gauge('node_cpu_hourly_cost', spec.cpuPrice),
    gauge('node_ram_hourly_cost', spec.ramPrice),
    gauge('node_total_hourly_cost', spec.total),
    gauge('kubecost_node_is_spot', spec.spot ? 1 : 0),
  ];
  if (spec.gpus !== undefined) {
    series.push(gauge('node_gpu_count', spec.gpus), gauge('node_gpu_hourly_cost', spec.gpuPrice ?? 0));
  }
  // kube-state-metrics style capacity, labelled by node only (plus its own instance).
  const ksm = { node: spec.node, instance: 'kube-state-metrics:8080' };
  if (spec.cpu !== undefined) series.push(gauge('kube_node_status_capacity_cpu_cores', spec.cpu, ksm));
  if (spec.memoryGiB !== undefined)
    series.push(gauge('kube_node_status_capacity_memory_bytes', spec.memoryGiB * GIB, ksm));
  return series;
}

function container(
  namespace: string,
  pod: string,
  name: string,
  onNode: string,
  from: number,
  to: number,
  cores: number,
  memoryGiB: number,
  gpus?: number,
): SeriesSpec[] {
  const labels = { namespace, pod, container: name, node: onNode, instance: onNode };
  const series: SeriesSpec[] = [
    { metric: 'container_cpu_allocation', type: 'gauge', labels, from, to, value: cores },
    { metric: 'container_memory_allocation_bytes', type: 'gauge', labels, from, to, value: memoryGiB * GIB },
  ];
  if (gpus !== undefined)
    series.push({ metric: 'container_gpu_allocation', type: 'gauge', labels, from, to, value: gpus });
  return series;
}

/** A byte counter growing by `perMinute` bytes a minute over the day, reset to zero at noon. */
function egress(
  pod: string,
  internet: string,
  sameZone: string,
  sameRegion: string,
  perMinute: number,
): SeriesSpec {
  return {
    metric: 'kubecost_pod_network_egress_bytes_total',
    type: 'counter',
    labels: { namespace: 'shop', pod_name: pod, internet, same_zone: sameZone, same_region: sameRegion },
    from: 0,
    to: 24,
    // Sample k at 00:00:30 + k min: k+1 increments so far; after the reset at 12:00 the counter
    // restarts, so sample 720 (12:00:30) reads one increment again.
    value: (k) => perMinute * (k < 720 ? k + 1 : k - 719),
  };
}

export const CLUSTER_A_SERIES: SeriesSpec[] = [
  ...node({
    node: 'ip-10-0-1-17',
    instanceType: 'm5.xlarge',
    from: -2,
    to: 26,
    cpu: 4,
    memoryGiB: 16,
    gpus: 0,
    cpuPrice: 0.031611,
    ramPrice: 0.004237,
    gpuPrice: 0,
    total: 0.194236,
  }),
  ...node({
    node: 'ip-10-0-2-33',
    instanceType: 'm5.2xlarge',
    from: 10,
    to: 16,
    cpu: 8,
    memoryGiB: 32,
    cpuPrice: 0.031611,
    ramPrice: 0.004237,
    total: 0.388472,
  }),
  ...node({
    node: 'ip-10-0-3-51',
    instanceType: 'g4dn.xlarge',
    from: -2,
    to: 26,
    cpu: 4,
    memoryGiB: 16,
    gpus: 1,
    cpuPrice: 0.0095,
    ramPrice: 0.0013,
    gpuPrice: 0.158,
    total: 0.2168,
    spot: true,
  }),
  ...node({
    node: 'ip-10-0-4-90',
    instanceType: 'm5.large',
    from: 0,
    to: 12,
    cpuPrice: 0.02,
    ramPrice: 0.003,
    total: 0.096,
  }),
  {
    metric: 'kubecost_cluster_management_cost',
    type: 'gauge',
    labels: { provisioner_name: 'EKS' },
    from: -2,
    to: 26,
    value: 0.1,
  },
  {
    metric: 'kubecost_load_balancer_cost',
    type: 'gauge',
    labels: {
      namespace: 'ingress-nginx',
      service_name: 'ingress-nginx-controller',
      ingress_ip: '203.0.113.10',
    },
    from: -2,
    to: 26,
    value: 0.025,
  },
  {
    metric: 'kubecost_load_balancer_cost',
    type: 'gauge',
    labels: { namespace: 'shop', service_name: 'api-lb', ingress_ip: '203.0.113.20' },
    from: 0,
    to: 12,
    value: 0.025,
  },
  ...volume('pvc-1', 'vol-0aaa', 100, 0.000137, -2, 26),
  ...volume('pvc-2', 'vol-0bbb', 50, 0.00011, 6, 18),
  ...[
    ['kubecost_network_internet_egress_cost', 0.09],
    ['kubecost_network_region_egress_cost', 0.02],
    ['kubecost_network_zone_egress_cost', 0.01],
  ].map(([metric, price]): SeriesSpec => ({
    metric: metric as string,
    type: 'gauge',
    labels: {},
    from: -2,
    to: 26,
    value: price as number,
  })),
  egress('api-7d9f8b6c5-x2x9q', 'true', 'false', 'false', 16 * MIB),
  egress('api-7d9f8b6c5-x2x9q', 'false', 'false', 'false', 8 * MIB),
  egress('api-7d9f8b6c5-x2x9q', 'false', 'false', 'true', 4 * MIB),
  egress('api-7d9f8b6c5-x2x9q', 'false', 'true', 'true', 32 * MIB),
  ...container('shop', 'api-7d9f8b6c5-x2x9q', 'api', 'ip-10-0-1-17', -2, 26, 2, 8),
  ...container('shop', 'worker-5c4b3a2d1-qq7zt', 'worker', 'ip-10-0-1-17', 0, 12, 1, 2),
  ...container('batch', 'run-28457', 'run', 'ip-10-0-2-33', 10, 16, 8, 40),
  ...container('ml', 'train-0', 'train', 'ip-10-0-3-51', -2, 26, 2, 4, 1),
  ...container('misc', 'cron-1', 'cron', 'ip-10-0-4-90', -2, 26, 1, 1),
];

function volume(
  pv: string,
  providerId: string,
  gib: number,
  price: number,
  from: number,
  to: number,
): SeriesSpec[] {
  return [
    {
      metric: 'pv_hourly_cost',
      type: 'gauge',
      labels: { volumename: pv, persistentvolume: pv, provider_id: providerId },
      from,
      to,
      value: price,
    },
    {
      metric: 'kube_persistentvolume_capacity_bytes',
      type: 'gauge',
      labels: { persistentvolume: pv, instance: 'kube-state-metrics:8080' },
      from,
      to,
      value: gib * GIB,
    },
  ];
}

export const CLUSTER_B_SERIES: SeriesSpec[] = [
  ...node({
    node: 'ip-10-0-1-17',
    instanceType: 'e2-standard-2',
    from: -2,
    to: 26,
    cpu: 2,
    memoryGiB: 8,
    gpus: 0,
    cpuPrice: 0.021811,
    ramPrice: 0.002923,
    gpuPrice: 0,
    total: 0.067006,
  }),
  {
    metric: 'kubecost_cluster_management_cost',
    type: 'gauge',
    labels: { provisioner_name: 'GKE' },
    from: -2,
    to: 26,
    value: 0.1,
  },
];

/** Samples that arrive after the first aggregation of the day (cluster A). */
export const LATE_SERIES: SeriesSpec[] = node({
  node: 'ip-10-0-5-12',
  instanceType: 'm5.large',
  from: 20,
  to: 22,
  cpu: 2,
  memoryGiB: 4,
  cpuPrice: 0.05,
  ramPrice: 0.005,
  total: 0.12,
});

/** The fixture day: two days before today (UTC). */
export function fixtureDay(now: Date = new Date()): string {
  return addDays(formatDay(now), -2);
}

/** OpenMetrics text for tenants' series on `day`, each with its HA twin (timestamps in seconds). */
export function openMetrics(day: string, tenants: Record<string, SeriesSpec[]>): string {
  const dayStart = Date.parse(`${day}T00:00:00Z`) / 1000;
  const families = new Map<string, { type: string; lines: string[] }>();
  for (const [tenant, specs] of Object.entries(tenants)) {
    for (const spec of specs) {
      const family = spec.type === 'counter' ? spec.metric.replace(/_total$/, '') : spec.metric;
      const entry = families.get(family) ?? { type: spec.type, lines: [] };
      families.set(family, entry);
      for (const replica of [{}, { prometheus_replica: 'b' }]) {
        const labels = Object.entries({ ...spec.labels, cloud_account_id: tenant, ...replica })
          .map(([key, value]) => `${key}="${value}"`)
          .join(',');
        const minutes = Math.round((spec.to - spec.from) * 60);
        for (let k = 0; k < minutes; k++) {
          const t = dayStart + spec.from * 3600 + 30 + 60 * k;
          const value = typeof spec.value === 'number' ? spec.value : spec.value(k);
          entry.lines.push(`${spec.metric}{${labels}} ${value} ${t}`);
        }
      }
    }
  }
  const out: string[] = [];
  for (const [family, { type, lines }] of families) out.push(`# TYPE ${family} ${type}`, ...lines);
  out.push('# EOF', '');
  return out.join('\n');
}

const exec = promisify(execFile);

/** Writes `text` as TSDB blocks into `dataDir` (created if needed) with promtool. */
export async function createBlocks(dataDir: string, text: string): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-day-om-')), 'day.om');
  fs.writeFileSync(file, text);
  try {
    await exec('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', file, dataDir], {
      maxBuffer: 64 * 1024 * 1024,
    });
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

/** A Prometheus serving the fixture day from its own data folder (removed by `dispose`). */
export interface K8sDayPrometheus {
  prometheus: PrometheusProcess;
  day: string;
  dataDir: string;
  /** Stops Prometheus, adds blocks of more series (late samples), starts it again. */
  addLate(tenants: Record<string, SeriesSpec[]>): Promise<void>;
  dispose(): Promise<void>;
}

export async function startK8sDayPrometheus(
  tenants: Record<string, SeriesSpec[]> = { [CLUSTER_A]: CLUSTER_A_SERIES, [CLUSTER_B]: CLUSTER_B_SERIES },
  day: string = fixtureDay(),
): Promise<K8sDayPrometheus> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-day-tsdb-'));
  await createBlocks(dataDir, openMetrics(day, tenants));
  const prometheus = await PrometheusProcess.start({
    dataDir,
    remoteWriteReceiver: false,
    flags: ['--storage.tsdb.retention.time=10y'],
  });
  return {
    prometheus,
    day,
    dataDir,
    async addLate(late) {
      await prometheus.stop();
      await createBlocks(dataDir, openMetrics(day, late));
      await prometheus.restart();
    },
    async dispose() {
      await prometheus.dispose();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
