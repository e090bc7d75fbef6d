import http from 'node:http';
// A fixture OpenCost exporter's metrics (cost-model /metrics) and the dollars they make per hour:
// shared by the end-to-end tests (Prometheus backend, Thanos backend).

export const GIB = 1_073_741_824;
export const STEP_SECONDS = 10;

/** Two nodes, prices in $ per vCPU-hour / GiB-hour / node-hour, capacities in vCPU / GiB. */
export const NODES = [
  { node: 'ip-10-0-1-17', type: 'm5.xlarge', cpu: 4, ramGiB: 16 },
  { node: 'ip-10-0-2-33', type: 'm5.large', cpu: 2, ramGiB: 8 },
];
export const CPU_PRICE = 0.031611;
export const RAM_PRICE = 0.004237;
export const MANAGEMENT = 0.1;
export const LOAD_BALANCER = 0.025;
export const PV_GIB = 100;
export const PV_PRICE = 0.000137;
/** Containers: cores and GiB allocated on each node. */
export const CONTAINERS = [
  {
    namespace: 'shop',
    pod: 'api-7d9f8b6c5-x2x9q',
    container: 'api',
    node: 'ip-10-0-1-17',
    cores: 2,
    ramGiB: 8,
  },
  {
    namespace: 'shop',
    pod: 'web-5c4b3a2d1-qq7zt',
    container: 'web',
    node: 'ip-10-0-2-33',
    cores: 1,
    ramGiB: 2,
  },
];

/** OpenCost's exposition (cost-model /metrics): price gauges, capacities, allocations, info. */
export function exposition(): string {
  const lines: string[] = [];
  const family = (name: string, samples: [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${name}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) {
      const text = Object.entries(labels)
        .map(([key, v]) => `${key}="${v}"`)
        .join(',');
      lines.push(`${name}{${text}} ${value}`);
    }
  };
  const nodeLabels = (n: (typeof NODES)[number]) => ({
    instance: n.node,
    node: n.node,
    instance_type: n.type,
    region: 'us-east-1',
    provider_id: `aws:///us-east-1a/i-${n.node.replace(/\D/g, '')}`,
    arch: 'amd64',
  });
  family(
    'node_cpu_hourly_cost',
    NODES.map((n) => [nodeLabels(n), CPU_PRICE]),
  );
  family(
    'node_ram_hourly_cost',
    NODES.map((n) => [nodeLabels(n), RAM_PRICE]),
  );
  family(
    'node_gpu_hourly_cost',
    NODES.map((n) => [nodeLabels(n), 0]),
  );
  family(
    'node_gpu_count',
    NODES.map((n) => [nodeLabels(n), 0]),
  );
  family(
    'node_total_hourly_cost',
    NODES.map((n) => [nodeLabels(n), Number((n.cpu * CPU_PRICE + n.ramGiB * RAM_PRICE).toFixed(6))]),
  );
  family(
    'kubecost_node_is_spot',
    NODES.map((n) => [nodeLabels(n), 0]),
  );
  family(
    'kube_node_status_capacity_cpu_cores',
    NODES.map((n) => [{ node: n.node }, n.cpu]),
  );
  family(
    'kube_node_status_capacity_memory_bytes',
    NODES.map((n) => [{ node: n.node }, n.ramGiB * GIB]),
  );
  family('kubecost_cluster_management_cost', [[{ provisioner_name: 'EKS' }, MANAGEMENT]]);
  family('kubecost_load_balancer_cost', [
    [
      { ingress_ip: '203.0.113.10', namespace: 'ingress-nginx', service_name: 'ingress-nginx-controller' },
      LOAD_BALANCER,
    ],
  ]);
  family('pv_hourly_cost', [
    [{ persistentvolume: 'pvc-1', volumename: 'pvc-1', provider_id: 'vol-0aaa' }, PV_PRICE],
  ]);
  family('kube_persistentvolume_capacity_bytes', [[{ persistentvolume: 'pvc-1' }, PV_GIB * GIB]]);
  family('kubecost_cluster_info', [
    [
      {
        id: 'cluster-one',
        name: 'prod-eks',
        provider: 'AWS',
        account: '123456789012',
        region: 'us-east-1',
        provisioner: 'EKS',
        version: '1.29',
      },
      1,
    ],
  ]);
  const containerLabels = (c: (typeof CONTAINERS)[number]) => ({
    namespace: c.namespace,
    pod: c.pod,
    container: c.container,
    node: c.node,
    instance: c.node,
  });
  family(
    'container_cpu_allocation',
    CONTAINERS.map((c) => [containerLabels(c), c.cores]),
  );
  family(
    'container_memory_allocation_bytes',
    CONTAINERS.map((c) => [containerLabels(c), c.ramGiB * GIB]),
  );
  return `${lines.join('\n')}\n`;
}

/**
 * What a cluster-day of this exporter costs over `points` integration steps of STEP_SECONDS: each
 * step charges STEP_SECONDS/3600 h of every price (network unknown: no byte counters).
 */
export function expectedCosts(points: number): Record<string, number | null> {
  const hours = (points * STEP_SECONDS) / 3600;
  const cpuCores = NODES.reduce((sum, n) => sum + n.cpu, 0); // 6 vCPU
  const ramGiB = NODES.reduce((sum, n) => sum + n.ramGiB, 0); // 24 GiB
  const expected = {
    cpu: cpuCores * CPU_PRICE * hours,
    ram: ramGiB * RAM_PRICE * hours,
    gpu: 0,
    nodeUnsplit: 0,
    storage: PV_GIB * PV_PRICE * hours,
    network: null,
    loadBalancer: LOAD_BALANCER * hours,
    management: MANAGEMENT * hours,
    // Unclaimed: 4-2 + 2-1 = 3 vCPU and 16-8 + 8-2 = 14 GiB.
    idle: (3 * CPU_PRICE + 14 * RAM_PRICE) * hours,
    total: 0,
  };
  expected.total =
    expected.cpu + expected.ram + expected.storage + expected.loadBalancer + expected.management;
  return expected;
}

/** The exporter on a free local port, answering `exposition()` to every scrape. */
export async function startOpenCostExporter(): Promise<http.Server> {
  const exporter = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition());
  });
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
  return exporter;
}

/**
 * Waits past UTC midnight when it is less than `marginMs` away: a day boundary inside a test
 * would split its samples over two days.
 */
export async function awayFromMidnight(marginMs: number): Promise<void> {
  const toMidnight = 86_400_000 - (Date.now() % 86_400_000);
  if (toMidnight < marginMs) await new Promise((resolve) => setTimeout(resolve, toMidnight + 2_000));
}
