import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The synthetic Kubecost metrics of `bench:aggregate`: `clusters` clusters (tenants
 * `bench-cluster-01`...) of `nodes` nodes and `containers` containers each, over one UTC day,
 * written as OpenMetrics text and turned into TSDB blocks by `promtool tsdb create-blocks-from
 * openmetrics`. Per cluster:
 *
 * - nodes: 90% present all day, 10% from 06:00 to 18:00 (autoscaled); 8 series each
 *   (cpu/ram/gpu/total prices, gpu count 0, spot flag, cpu and memory capacity), 4 to 16 vCPU and
 *   4 GiB per vCPU, on-demand m5-like prices;
 * - containers spread evenly over the nodes, living as long as their node: cpu and memory
 *   allocation (0.1 to 2 cores, 128 MiB to 4 GiB);
 * - the management fee, 10 load balancers, 100 volumes (price + capacity), egress prices and 50
 *   pods' byte counters in the four flow classes;
 * - what workload allocation reads (version 2): per container its cpu and memory requests,
 *   cpu usage counter and memory working set; per pod its owner (400 apps: Deployments through
 *   ReplicaSets, every fifth a StatefulSet) and labels; namespace labels; 100 pods claiming the
 *   100 volumes.
 *
 * Every series has a sample every `sampleSeconds` at hh:mm:30 (the first at 00:00:30). The text
 * is written one 2-hour window at a time (a file per window, every cluster in it) because promtool
 * reads its whole input once per 2-hour block: one window per run keeps it to one pass, and gives
 * one block per window with no overlap for Prometheus to compact.
 */
export interface K8sDatasetSpec {
  clusters: number;
  nodes: number;
  containers: number;
  /** UTC day of the data, YYYY-MM-DD. */
  day: string;
  sampleSeconds: number;
}

export interface K8sDataset extends K8sDatasetSpec {
  /** Prometheus' --storage.tsdb.path. */
  tsdbDir: string;
  tenants: string[];
  seriesPerCluster: number;
  samples: number;
  generateMs: number;
  reused: boolean;
}

/** Bump when the generated shape changes, so a cached data dir is rebuilt instead of reused. */
const GENERATOR_VERSION = 2;
const GIB = 1_073_741_824;
const MIB = 1_048_576;
const WINDOW_SECONDS = 7_200;

export function tenantId(index: number): string {
  return `bench-cluster-${String(index + 1).padStart(2, '0')}`;
}

interface Series {
  metric: string;
  labels: string;
  /** Seconds after 00:00 UTC: first sample at from + 30 s, last before `to`. */
  from: number;
  to: number;
  /** The value at sample k (counting from the series' first sample). */
  value: (k: number) => number;
}

/** A small deterministic PRNG (mulberry32), so every generation gives the same data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every series of one cluster, grouped by metric family (OpenMetrics needs families contiguous). */
function clusterSeries(index: number, spec: K8sDatasetSpec): Map<string, Series[]> {
  const tenant = tenantId(index);
  const rand = random(1000 + index);
  const families = new Map<string, Series[]>();
  const add = (
    metric: string,
    labels: Record<string, string>,
    from: number,
    to: number,
    value: (k: number) => number,
  ) => {
    const text = Object.entries({ cloud_account_id: tenant, ...labels })
      .map(([key, v]) => `${key}="${v}"`)
      .join(',');
    const list = families.get(metric) ?? [];
    families.set(metric, list);
    list.push({ metric, labels: text, from, to, value });
  };
  const constant = (v: number) => () => v;
  const DAY = 86_400;

  const nodes = Array.from({ length: spec.nodes }, (_, i) => {
    const cpu = [4, 8, 16][Math.floor(rand() * 3)] as number;
    const partDay = i % 10 === 9;
    return {
      name: `node-${String(i).padStart(4, '0')}`,
      cpu,
      ramGiB: cpu * 4,
      from: partDay ? 6 * 3600 : 0,
      to: partDay ? 18 * 3600 : DAY,
    };
  });
  for (const node of nodes) {
    const labels = {
      node: node.name,
      instance: node.name,
      instance_type: `m5.${node.cpu}x`,
      region: 'us-east-1',
    };
    const cpuPrice = 0.031611;
    const ramPrice = 0.004237;
    add('node_cpu_hourly_cost', labels, node.from, node.to, constant(cpuPrice));
    add('node_ram_hourly_cost', labels, node.from, node.to, constant(ramPrice));
    add('node_gpu_hourly_cost', labels, node.from, node.to, constant(0));
    add('node_gpu_count', labels, node.from, node.to, constant(0));
    add(
      'node_total_hourly_cost',
      labels,
      node.from,
      node.to,
      constant(node.cpu * cpuPrice + node.ramGiB * ramPrice),
    );
    add('kubecost_node_is_spot', labels, node.from, node.to, constant(0));
    const ksm = { node: node.name, instance: 'kube-state-metrics:8080' };
    add('kube_node_status_capacity_cpu_cores', ksm, node.from, node.to, constant(node.cpu));
    add('kube_node_status_capacity_memory_bytes', ksm, node.from, node.to, constant(node.ramGiB * GIB));
  }
  for (let i = 0; i < spec.containers; i++) {
    const node = nodes[i % nodes.length] as (typeof nodes)[number];
    const labels = {
      namespace: `ns-${i % 40}`,
      pod: `pod-${String(i).padStart(5, '0')}`,
      container: `c-${i % 3}`,
      node: node.name,
      instance: node.name,
    };
    const cores = Math.round((0.1 + rand() * 1.9) * 100) / 100;
    const ram = Math.round(128 + rand() * 3968) * MIB;
    add('container_cpu_allocation', labels, node.from, node.to, constant(cores));
    add('container_memory_allocation_bytes', labels, node.from, node.to, constant(ram));
    // Allocation inputs (issue 10): requests below the allocation, usage below the requests,
    // owners (400 apps: Deployments through a ReplicaSet, every fifth a StatefulSet), labels.
    const { namespace, pod, container } = labels;
    const workload = { namespace, pod, container };
    const ksm = { ...workload, node: node.name, instance: 'kube-state-metrics:8080' };
    add(
      'kube_pod_container_resource_requests',
      { ...ksm, resource: 'cpu', unit: 'core' },
      node.from,
      node.to,
      constant(cores * 0.8),
    );
    add(
      'kube_pod_container_resource_requests',
      { ...ksm, resource: 'memory', unit: 'byte' },
      node.from,
      node.to,
      constant(Math.round(ram * 0.8)),
    );
    const cadvisor = { ...workload, id: `/kubepods/${pod}/${container}` };
    add(
      'container_cpu_usage_seconds_total',
      cadvisor,
      node.from,
      node.to,
      (k) => k * spec.sampleSeconds * cores * 0.5,
    );
    add('container_memory_working_set_bytes', cadvisor, node.from, node.to, constant(Math.round(ram * 0.6)));
    const app = `app-${String(i % 400).padStart(3, '0')}`;
    const podKsm = { namespace, pod, instance: 'kube-state-metrics:8080' };
    if ((i % 400) % 5 === 4) {
      add(
        'kube_pod_owner',
        { ...podKsm, owner_kind: 'StatefulSet', owner_name: app },
        node.from,
        node.to,
        constant(1),
      );
    } else {
      add(
        'kube_pod_owner',
        { ...podKsm, owner_kind: 'ReplicaSet', owner_name: `${app}-7d9f8b` },
        node.from,
        node.to,
        constant(1),
      );
    }
    add(
      'kube_pod_labels',
      { ...podKsm, label_app: app, label_team: `team-${i % 12}` },
      node.from,
      node.to,
      constant(1),
    );
    if (i < 100) {
      const pv = `pvc-${String(i).padStart(4, '0')}`;
      add(
        'pod_pvc_allocation',
        { namespace, pod, persistentvolumeclaim: `data-${pod}`, persistentvolume: pv },
        node.from,
        node.to,
        constant((10 + (i % 10) * 50) * GIB),
      );
    }
  }
  for (let a = 0; a < 400; a++)
    if (a % 5 !== 4) {
      const app = `app-${String(a).padStart(3, '0')}`;
      add(
        'kube_replicaset_owner',
        {
          namespace: `ns-${a % 40}`,
          replicaset: `${app}-7d9f8b`,
          owner_kind: 'Deployment',
          owner_name: app,
          instance: 'kube-state-metrics:8080',
        },
        0,
        DAY,
        constant(1),
      );
    }
  for (let n = 0; n < 40; n++)
    add(
      'kube_namespace_labels',
      { namespace: `ns-${n}`, label_team: `team-${n % 12}`, instance: 'kube-state-metrics:8080' },
      0,
      DAY,
      constant(1),
    );
  add('kubecost_cluster_management_cost', { provisioner_name: 'EKS' }, 0, DAY, constant(0.1));
  for (let i = 0; i < 10; i++)
    add(
      'kubecost_load_balancer_cost',
      { namespace: `ns-${i}`, service_name: `lb-${i}`, ingress_ip: `203.0.113.${i + 1}` },
      0,
      DAY,
      constant(0.025),
    );
  for (let i = 0; i < 100; i++) {
    const pv = `pvc-${String(i).padStart(4, '0')}`;
    add('pv_hourly_cost', { persistentvolume: pv, volumename: pv }, 0, DAY, constant(0.000137));
    add(
      'kube_persistentvolume_capacity_bytes',
      { persistentvolume: pv },
      0,
      DAY,
      constant((10 + (i % 10) * 50) * GIB),
    );
  }
  add('kubecost_network_internet_egress_cost', {}, 0, DAY, constant(0.09));
  add('kubecost_network_region_egress_cost', {}, 0, DAY, constant(0.02));
  add('kubecost_network_zone_egress_cost', {}, 0, DAY, constant(0.01));
  const perSample = spec.sampleSeconds / 60;
  for (let i = 0; i < 50; i++) {
    for (const [internet, sameZone, sameRegion, mib] of [
      ['true', 'false', 'false', 16],
      ['false', 'false', 'false', 8],
      ['false', 'false', 'true', 4],
      ['false', 'true', 'true', 32],
    ] as const) {
      add(
        'kubecost_pod_network_egress_bytes_total',
        {
          namespace: `ns-${i % 40}`,
          pod_name: `pod-${String(i).padStart(5, '0')}`,
          internet,
          same_zone: sameZone,
          same_region: sameRegion,
        },
        0,
        DAY,
        (k) => (k + 1) * mib * MIB * perSample,
      );
    }
  }
  return families;
}

const exec = promisify(execFile);

/** Writes one 2-hour window of every cluster as OpenMetrics text to `file`; returns the sample count. */
async function writeWindow(
  file: string,
  clusters: Map<string, Series[]>[],
  dayStart: number,
  window: number,
  sampleSeconds: number,
): Promise<number> {
  const out = fs.createWriteStream(file, { highWaterMark: 4 * MIB });
  let buffer: string[] = [];
  let size = 0;
  let samples = 0;
  const flush = async () => {
    if (!buffer.length) return;
    const chunk = buffer.join('');
    buffer = [];
    size = 0;
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  const lo = window * WINDOW_SECONDS;
  const hi = lo + WINDOW_SECONDS;
  const metrics = [...new Set(clusters.flatMap((c) => [...c.keys()]))];
  for (const metric of metrics) {
    const type = metric.endsWith('_total') ? 'counter' : 'gauge';
    buffer.push(`# TYPE ${type === 'counter' ? metric.replace(/_total$/, '') : metric} ${type}\n`);
    for (const cluster of clusters) {
      for (const series of cluster.get(metric) ?? []) {
        // Sample k at from + 30 + k * step; those inside [lo, hi) of this window.
        const first = Math.max(0, Math.ceil((lo - series.from - 30) / sampleSeconds));
        for (let k = first; ; k++) {
          const t = series.from + 30 + k * sampleSeconds;
          if (t >= hi || t >= series.to) break;
          const line = `${series.metric}{${series.labels}} ${series.value(k)} ${dayStart + t}\n`;
          buffer.push(line);
          size += line.length;
          samples++;
        }
        if (size > 4 * MIB) await flush();
      }
    }
  }
  buffer.push('# EOF\n');
  await flush();
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  return samples;
}

/** The cached TSDB of `spec` under `root`, generated (a few minutes) when missing or stale. */
export async function ensureK8sDataset(
  root: string,
  spec: K8sDatasetSpec,
  log: (line: string) => void,
): Promise<K8sDataset> {
  const name = `aggregate-${spec.clusters}x${spec.nodes}n${spec.containers}c-${spec.day}-${spec.sampleSeconds}s`;
  const dir = path.join(root, name);
  const tsdbDir = path.join(dir, 'tsdb');
  const marker = path.join(dir, 'dataset.json');
  const tenants = Array.from({ length: spec.clusters }, (_, i) => tenantId(i));
  const sample = clusterSeries(0, spec);
  const seriesPerCluster = [...sample.values()].reduce((n, list) => n + list.length, 0);
  if (fs.existsSync(marker)) {
    const saved = JSON.parse(fs.readFileSync(marker, 'utf8')) as {
      version: number;
      samples: number;
      generateMs: number;
    };
    if (saved.version === GENERATOR_VERSION && fs.existsSync(tsdbDir))
      return {
        ...spec,
        tsdbDir,
        tenants,
        seriesPerCluster,
        samples: saved.samples,
        generateMs: saved.generateMs,
        reused: true,
      };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(tsdbDir, { recursive: true });
  const started = performance.now();
  const clusters = tenants.map((_, i) => clusterSeries(i, spec));
  const dayStart = Date.parse(`${spec.day}T00:00:00Z`) / 1000;
  let samples = 0;
  for (let window = 0; window < 86_400 / WINDOW_SECONDS; window++) {
    const file = path.join(dir, `window-${window}.om`);
    const t0 = performance.now();
    const count = await writeWindow(file, clusters, dayStart, window, spec.sampleSeconds);
    const t1 = performance.now();
    await exec('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, tsdbDir], {
      maxBuffer: 64 * MIB,
    });
    fs.rmSync(file, { force: true });
    samples += count;
    log(
      `  window ${window + 1}/12: ${count.toLocaleString('en-US')} samples, text ${((t1 - t0) / 1000).toFixed(1)} s, promtool ${((performance.now() - t1) / 1000).toFixed(1)} s`,
    );
  }
  const generateMs = performance.now() - started;
  fs.writeFileSync(
    marker,
    `${JSON.stringify({ version: GENERATOR_VERSION, ...spec, samples, generateMs }, null, 2)}\n`,
  );
  return { ...spec, tsdbDir, tenants, seriesPerCluster, samples, generateMs, reused: false };
}
