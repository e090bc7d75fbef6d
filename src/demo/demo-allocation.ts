import { IDLE, OVERHEAD, UNMOUNTED, allocationRow as row, type AllocationRow } from '../domain/allocation';

/** A workload of a demo cluster: its share of what containers claimed on every node. */
interface DemoWorkload {
  namespace: string;
  kind: 'deployment' | 'statefulset' | 'daemonset' | 'job';
  name: string;
  container: string;
  /** Shares of the claimed cpu, ram and gpu (each column adds up to 1 over the cluster). */
  cpu: number;
  ram: number;
  gpu: number;
  /** Share of the cluster's volumes its pods claim (the rest is unmounted). */
  storage?: number;
  /** Share of the cluster's network. */
  network?: number;
  labels: Record<string, string>;
}

/** Demo workloads per cluster: namespaces, controllers and labels as a real cluster has them. */
export const DEMO_WORKLOADS: Record<'prod-eks' | 'ml-gke', DemoWorkload[]> = {
  'prod-eks': [
    {
      namespace: 'shop',
      kind: 'deployment',
      name: 'web',
      container: 'nginx',
      cpu: 0.3,
      ram: 0.22,
      gpu: 0,
      network: 0.6,
      labels: { team: 'storefront', app: 'web' },
    },
    {
      namespace: 'shop',
      kind: 'deployment',
      name: 'api',
      container: 'api',
      cpu: 0.25,
      ram: 0.25,
      gpu: 0,
      network: 0.4,
      labels: { team: 'storefront', app: 'api' },
    },
    {
      namespace: 'shop',
      kind: 'statefulset',
      name: 'postgres',
      container: 'postgres',
      cpu: 0.12,
      ram: 0.2,
      gpu: 0,
      storage: 0.55,
      labels: { team: 'storefront', app: 'postgres' },
    },
    {
      namespace: 'payments',
      kind: 'deployment',
      name: 'payments-api',
      container: 'api',
      cpu: 0.13,
      ram: 0.1,
      gpu: 0,
      labels: { team: 'payments', app: 'payments-api' },
    },
    {
      namespace: 'monitoring',
      kind: 'statefulset',
      name: 'prometheus',
      container: 'prometheus',
      cpu: 0.08,
      ram: 0.15,
      gpu: 0,
      storage: 0.3,
      labels: { team: 'platform', app: 'prometheus' },
    },
    {
      namespace: 'monitoring',
      kind: 'daemonset',
      name: 'node-exporter',
      container: 'node-exporter',
      cpu: 0.04,
      ram: 0.03,
      gpu: 0,
      labels: { team: 'platform', app: 'node-exporter' },
    },
    {
      namespace: 'kube-system',
      kind: 'daemonset',
      name: 'aws-node',
      container: 'aws-node',
      cpu: 0.08,
      ram: 0.05,
      gpu: 0,
      labels: {},
    },
  ],
  'ml-gke': [
    {
      namespace: 'ml',
      kind: 'job',
      name: 'train-nightly',
      container: 'trainer',
      cpu: 0.35,
      ram: 0.3,
      gpu: 0.6,
      network: 0.3,
      labels: { team: 'ml', app: 'trainer' },
    },
    {
      namespace: 'ml',
      kind: 'deployment',
      name: 'notebooks',
      container: 'jupyter',
      cpu: 0.15,
      ram: 0.2,
      gpu: 0,
      labels: { team: 'ml', app: 'jupyter' },
    },
    {
      namespace: 'ml',
      kind: 'statefulset',
      name: 'feature-store',
      container: 'redis',
      cpu: 0.12,
      ram: 0.2,
      gpu: 0,
      storage: 0.8,
      labels: { team: 'ml', app: 'feature-store' },
    },
    {
      namespace: 'serving',
      kind: 'deployment',
      name: 'inference',
      container: 'server',
      cpu: 0.33,
      ram: 0.27,
      gpu: 0.4,
      network: 0.7,
      labels: { team: 'ml-serving', app: 'inference' },
    },
    {
      namespace: 'kube-system',
      kind: 'daemonset',
      name: 'gke-metrics-agent',
      container: 'agent',
      cpu: 0.05,
      ram: 0.03,
      gpu: 0,
      labels: {},
    },
  ],
};

/** The namespace each demo cluster's load balancers serve. */
const BALANCED_NAMESPACE: Record<'prod-eks' | 'ml-gke', string> = { 'prod-eks': 'shop', 'ml-gke': 'serving' };

export interface DemoAllocationInput {
  cluster: 'prod-eks' | 'ml-gke';
  nodes: readonly { name: string; cpu: number; ram: number; gpu: number; hours: number }[];
  /** Fraction of each node's cpu, ram and gpu nobody claimed. */
  idleFraction: number;
  storage: number;
  network: number;
  loadBalancer: number;
  management: number;
}

const round = (value: number) => Number(value.toFixed(9)) + 0;

/**
 * A demo cluster-day's allocation at metric prices, consistent with its breakdown: on every node
 * each workload has one pod claiming its share of what was claimed there ((1 - idle fraction) of
 * the node's cpu, ram and gpu), the rest of each node is idle; volumes go to the StatefulSets'
 * pods by their share (the rest unmounted), network to the pods that serve traffic, load
 * balancers to their namespace, the management fee to overhead. Efficiencies are drawn from the
 * workload's kind (requests above usage, as in most clusters).
 */
export function demoAllocation(input: DemoAllocationInput): AllocationRow[] {
  const workloads = DEMO_WORKLOADS[input.cluster];
  const rows: AllocationRow[] = [];
  const claimed = 1 - input.idleFraction;
  const firstPod = new Map<string, { pod: string; node: string }>();
  input.nodes.forEach((node, n) => {
    // GPU shares only over nodes that have GPUs; the workloads without GPU share nothing there.
    for (const w of workloads) {
      const pod = w.kind === 'statefulset' ? `${w.name}-${n}` : `${w.name}-${hash(`${w.name}|${node.name}`)}`;
      if (!firstPod.has(w.name)) firstPod.set(w.name, { pod, node: node.name });
      const cpu = node.cpu * claimed * w.cpu;
      const ram = node.ram * claimed * w.ram;
      const gpu = node.gpu * claimed * w.gpu;
      if (cpu + ram + gpu === 0) continue;
      const usage = w.kind === 'daemonset' ? 0.8 : w.kind === 'job' ? 0.9 : 0.45;
      // Core-hours and byte-hours at the demo's list prices (EKS $0.0316/vCPU-h, GKE $0.0347).
      const cpuPrice = input.cluster === 'prod-eks' ? 0.0316 : 0.0347;
      const ramPrice = input.cluster === 'prod-eks' ? 0.0041 : 0.00466;
      const coreHours = cpu / cpuPrice;
      const byteHours = (ram / ramPrice) * 1_073_741_824;
      rows.push(
        row({
          namespace: w.namespace,
          controllerKind: w.kind,
          controller: w.name,
          pod,
          container: w.container,
          node: node.name,
          labels: w.labels,
          cpu: round(cpu),
          ram: round(ram),
          gpu: round(gpu),
          cpuCoreHours: round(coreHours),
          ramByteHours: round(byteHours),
          gpuHours: round(node.gpu > 0 ? node.hours * w.gpu * claimed : 0),
          cpuRequestCoreHours: round(coreHours),
          cpuUsageCoreHours: round(coreHours * usage),
          ramRequestByteHours: round(byteHours),
          ramUsageByteHours: round(byteHours * (usage + 0.15)),
        }),
      );
    }
    rows.push(
      row({
        bucket: IDLE,
        node: node.name,
        idleCpu: round(node.cpu * input.idleFraction),
        idleRam: round(node.ram * input.idleFraction),
        idleGpu: round(node.gpu * input.idleFraction),
      }),
    );
  });
  let claimedStorage = 0;
  for (const w of workloads) {
    const first = firstPod.get(w.name);
    if (!first) continue;
    const base = {
      namespace: w.namespace,
      controllerKind: w.kind,
      controller: w.name,
      pod: first.pod,
      node: first.node,
      labels: w.labels,
    };
    if (w.storage) {
      const storage = round(input.storage * w.storage);
      claimedStorage += storage;
      rows.push(row({ ...base, volume: `pvc-${hash(`${input.cluster}|${w.name}`)}`, storage }));
    }
    if (w.network) rows.push(row({ ...base, network: round(input.network * w.network) }));
  }
  rows.push(
    row({ bucket: UNMOUNTED, volume: 'pvc-scratch', storage: round(input.storage - claimedStorage) }),
  );
  rows.push(row({ namespace: BALANCED_NAMESPACE[input.cluster], loadBalancer: round(input.loadBalancer) }));
  rows.push(row({ bucket: OVERHEAD, overhead: round(input.management) }));
  return rows;
}

/** Five lower-case letters and digits from a string, stable across runs (pod name suffixes). */
function hash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h.toString(36).padStart(5, '0').slice(-5);
}
