import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestCore } from '../support/test-core';
import { createGraphQL, dataOf, Fixtures, runClusterDay, type RunGraphQL } from '../support/fixtures';
import { ensureTestRedis, randomPrefix, removePrefix, TEST_REDIS_URL } from '../support/redis';
import { startK8sDayPrometheus, type K8sDayPrometheus, type SeriesSpec } from '../support/k8s-day-fixture';
import { startJobs, type Core, type RunningJobs } from '../../src/main';
import { addDays } from '../../src/domain/days';

// Issue 10 through the real pipeline: a real Prometheus holds one cluster-day (promtool blocks,
// every series with an HA twin), the BullMQ job computes it, GraphQL answers `k8sAllocation`.
//
// Cluster al-1, all day (0 .. 24 h) unless said otherwise:
//   node n-a: 4 vCPU at $0.04/vCPU-h, 16 GiB at $0.005/GiB-h: cpu $3.84, ram $1.92 a day;
//   node n-b: 2 vCPU at $0.02, 8 GiB at $0.0025: cpu $0.96, ram $0.48.
// Workloads (allocation = cores, GiB):
//   shop/web (Deployment): ReplicaSet web-aaa, pod web-aaa-1 on n-a 0 .. 12, then ReplicaSet
//     web-bbb, pod web-bbb-1 on n-a 12 .. 24; 1 core, 2 GiB: cpu 1 x 24 x 0.04 = $0.96,
//     ram 2 x 24 x 0.005 = $0.24; team=storefront. web-aaa-1 sends 1 MiB/min to the internet
//     0 .. 12 at $0.09/GiB (network N, priced by the same PromQL as the cluster's network).
//   shop/db-0 (StatefulSet db) on n-b: 0.5 core, 2 GiB: cpu 0.5 x 24 x 0.02 = $0.24, ram
//     2 x 24 x 0.0025 = $0.12; claims pv-db (20 GiB at $0.000125/GiB-h = $0.06); team=data;
//     requests 0.5 core and 2 GiB, uses 0.25 core and 1 GiB: efficiencies 0.5 and 0.5.
//   ops/backup-123-x (Job backup-123) on n-b 0 .. 6: 2 cores, 4 GiB: cpu 2 x 6 x 0.02 = $0.24,
//     ram 4 x 6 x 0.0025 = $0.06; no pod labels, namespace ops has team=platform.
//   default/debug (a bare pod, owner "<none>") on n-a: 0.5 core, 1 GiB: cpu 0.5 x 24 x 0.04 =
//     $0.48, ram 1 x 24 x 0.005 = $0.12; no labels anywhere.
//   debug's claim "cache" carries no persistentvolume label: kube_persistentvolumeclaim_info
//     names its volume pv-cache (10 GiB at $0.000125 = $0.03).
//   pv-orphan, 10 GiB at $0.000125, claimed by nobody: $0.03 unmounted.
//   load balancer shop/web-lb $0.025/h = $0.60, its service selecting app=web: to the web pods
//     by their hours, $0.30 each; EKS fee $0.10/h: $2.40 overhead.
// Idle: n-a cpu 3.84 - 0.96 - 0.48 = 2.40, ram 1.92 - 0.24 - 0.12 = 1.56;
//       n-b cpu 0.96 - 0.24 - 0.24 = 0.48, ram 0.48 - 0.12 - 0.06 = 0.30. Cluster: cpu 2.88, ram 1.86.
// Cluster total: 5.76 + 1.44 + 0.12 + 0.60 + 2.40 + N = 10.32 + N.

const GIB = 1_073_741_824;
const MIB = 1_048_576;
const CLUSTER = 'al-1';
const NODE_A = 'i-0aa11bb22cc33dd44';

function node(
  name: string,
  providerId: string,
  cpu: number,
  gib: number,
  cpuPrice: number,
  ramPrice: number,
) {
  const labels = { node: name, instance: name, provider_id: providerId };
  const ksm = { node: name, instance: 'kube-state-metrics:8080' };
  const at = { type: 'gauge' as const, from: 0, to: 24 };
  return [
    { metric: 'node_cpu_hourly_cost', labels, value: cpuPrice, ...at },
    { metric: 'node_ram_hourly_cost', labels, value: ramPrice, ...at },
    { metric: 'node_total_hourly_cost', labels, value: cpu * cpuPrice + gib * ramPrice, ...at },
    { metric: 'kube_node_status_capacity_cpu_cores', labels: ksm, value: cpu, ...at },
    { metric: 'kube_node_status_capacity_memory_bytes', labels: ksm, value: gib * GIB, ...at },
  ];
}

function container(
  namespace: string,
  pod: string,
  name: string,
  onNode: string,
  from: number,
  to: number,
  cores: number,
  gib: number,
): SeriesSpec[] {
  const labels = { namespace, pod, container: name, node: onNode, instance: onNode };
  return [
    { metric: 'container_cpu_allocation', type: 'gauge', labels, from, to, value: cores },
    { metric: 'container_memory_allocation_bytes', type: 'gauge', labels, from, to, value: gib * GIB },
  ];
}

const info = (metric: string, labels: Record<string, string>, from = 0, to = 24): SeriesSpec => ({
  metric,
  type: 'gauge',
  labels: { instance: 'kube-state-metrics:8080', ...labels },
  from,
  to,
  value: 1,
});

function volume(pv: string, gib: number): SeriesSpec[] {
  return [
    {
      metric: 'pv_hourly_cost',
      type: 'gauge',
      labels: { persistentvolume: pv, volumename: pv, provider_id: `vol-${pv}` },
      from: 0,
      to: 24,
      value: 0.000125,
    },
    { ...info('kube_persistentvolume_capacity_bytes', { persistentvolume: pv }), value: gib * GIB },
  ];
}

const SERIES: SeriesSpec[] = [
  ...node('n-a', `aws:///us-east-1a/${NODE_A}`, 4, 16, 0.04, 0.005),
  ...node('n-b', 'aws:///us-east-1a/i-0bb22cc33dd44ee55', 2, 8, 0.02, 0.0025),
  ...container('shop', 'web-aaa-1', 'web', 'n-a', 0, 12, 1, 2),
  ...container('shop', 'web-bbb-1', 'web', 'n-a', 12, 24, 1, 2),
  info(
    'kube_pod_owner',
    { namespace: 'shop', pod: 'web-aaa-1', owner_kind: 'ReplicaSet', owner_name: 'web-aaa' },
    0,
    12,
  ),
  info(
    'kube_pod_owner',
    { namespace: 'shop', pod: 'web-bbb-1', owner_kind: 'ReplicaSet', owner_name: 'web-bbb' },
    12,
    24,
  ),
  info(
    'kube_replicaset_owner',
    { namespace: 'shop', replicaset: 'web-aaa', owner_kind: 'Deployment', owner_name: 'web' },
    0,
    12,
  ),
  info(
    'kube_replicaset_owner',
    { namespace: 'shop', replicaset: 'web-bbb', owner_kind: 'Deployment', owner_name: 'web' },
    12,
    24,
  ),
  info(
    'kube_pod_labels',
    { namespace: 'shop', pod: 'web-aaa-1', label_team: 'storefront', label_app: 'web' },
    0,
    12,
  ),
  info(
    'kube_pod_labels',
    { namespace: 'shop', pod: 'web-bbb-1', label_team: 'storefront', label_app: 'web' },
    12,
    24,
  ),
  {
    metric: 'kubecost_pod_network_egress_bytes_total',
    type: 'counter',
    labels: {
      namespace: 'shop',
      pod_name: 'web-aaa-1',
      internet: 'true',
      same_zone: 'false',
      same_region: 'false',
    },
    from: 0,
    to: 12,
    value: (k) => MIB * (k + 1),
  },
  {
    metric: 'kubecost_network_internet_egress_cost',
    type: 'gauge',
    labels: {},
    from: 0,
    to: 24,
    value: 0.09,
  },
  { metric: 'kubecost_network_region_egress_cost', type: 'gauge', labels: {}, from: 0, to: 24, value: 0.02 },
  { metric: 'kubecost_network_zone_egress_cost', type: 'gauge', labels: {}, from: 0, to: 24, value: 0.01 },

  ...container('shop', 'db-0', 'postgres', 'n-b', 0, 24, 0.5, 2),
  info('kube_pod_owner', { namespace: 'shop', pod: 'db-0', owner_kind: 'StatefulSet', owner_name: 'db' }),
  info('kube_pod_labels', { namespace: 'shop', pod: 'db-0', label_team: 'data' }),
  ...volume('pv-db', 20),
  ...volume('pv-orphan', 10),
  ...volume('pv-cache', 10),
  {
    metric: 'pod_pvc_allocation',
    type: 'gauge',
    labels: { namespace: 'default', pod: 'debug', persistentvolumeclaim: 'cache' },
    from: 0,
    to: 24,
    value: 10 * GIB,
  },
  info('kube_persistentvolumeclaim_info', {
    namespace: 'default',
    persistentvolumeclaim: 'cache',
    volumename: 'pv-cache',
  }),
  info('service_selector_labels', { namespace: 'shop', service: 'web-lb', label_app: 'web' }),
  {
    metric: 'pod_pvc_allocation',
    type: 'gauge',
    labels: { namespace: 'shop', pod: 'db-0', persistentvolumeclaim: 'data-db-0', persistentvolume: 'pv-db' },
    from: 0,
    to: 24,
    value: 20 * GIB,
  },
  {
    metric: 'kube_pod_container_resource_requests',
    type: 'gauge',
    labels: {
      namespace: 'shop',
      pod: 'db-0',
      container: 'postgres',
      node: 'n-b',
      resource: 'cpu',
      unit: 'core',
    },
    from: -1,
    to: 25,
    value: 0.5,
  },
  {
    metric: 'kube_pod_container_resource_requests',
    type: 'gauge',
    labels: {
      namespace: 'shop',
      pod: 'db-0',
      container: 'postgres',
      node: 'n-b',
      resource: 'memory',
      unit: 'byte',
    },
    from: -1,
    to: 25,
    value: 2 * GIB,
  },
  {
    // 0.25 core: 15 cpu-seconds a minute; the series spans the day so increase() needs no guess.
    metric: 'container_cpu_usage_seconds_total',
    type: 'counter',
    labels: { namespace: 'shop', pod: 'db-0', container: 'postgres', id: '/kubepods/db-0' },
    from: -1,
    to: 25,
    value: (k) => 15 * k,
  },
  {
    metric: 'container_memory_working_set_bytes',
    type: 'gauge',
    labels: { namespace: 'shop', pod: 'db-0', container: 'postgres', id: '/kubepods/db-0' },
    from: -1,
    to: 25,
    value: GIB,
  },

  ...container('ops', 'backup-123-x', 'backup', 'n-b', 0, 6, 2, 4),
  info(
    'kube_pod_owner',
    { namespace: 'ops', pod: 'backup-123-x', owner_kind: 'Job', owner_name: 'backup-123' },
    0,
    6,
  ),
  info('kube_namespace_labels', { namespace: 'ops', label_team: 'platform' }),

  ...container('default', 'debug', 'shell', 'n-a', 0, 24, 0.5, 1),
  info('kube_pod_owner', { namespace: 'default', pod: 'debug', owner_kind: '<none>', owner_name: '<none>' }),

  {
    metric: 'kubecost_load_balancer_cost',
    type: 'gauge',
    labels: { namespace: 'shop', service_name: 'web-lb', ingress_ip: '10.0.0.9' },
    from: 0,
    to: 24,
    value: 0.025,
  },
  { metric: 'kubecost_cluster_management_cost', type: 'gauge', labels: {}, from: 0, to: 24, value: 0.1 },
];

interface Item {
  key: string;
  name: string;
  cpu: number;
  ram: number;
  storage: number;
  network: number;
  loadBalancer: number;
  overhead: number;
  idle: number;
  total: number;
  cpuCoreHours: number;
  ramByteHours: number;
  cpuEfficiency: number | null;
  ramEfficiency: number | null;
}
interface Report {
  total: number;
  items: Item[];
  days: { date: string; items: { key: string; total: number }[] }[];
}

const ITEM_FIELDS =
  'key name cpu ram storage network loadBalancer overhead idle total cpuCoreHours ramByteHours cpuEfficiency ramEfficiency';

describe('workload allocation (real Prometheus, job, GraphQL)', () => {
  let fixture: K8sDayPrometheus;
  let core: Core & { dispose(): Promise<void> };
  let jobs: RunningJobs;
  let gql: RunGraphQL;
  let fixtures: Fixtures;
  let day: string;
  let org: string;
  let other: string;
  let network: number;
  let clusterTotal: number;
  const prefix = randomPrefix();

  beforeAll(async () => {
    ensureTestRedis();
    fixture = await startK8sDayPrometheus({ [CLUSTER]: SERIES });
    day = fixture.day;
    core = await createTestCore({
      METRICS_QUERY_URL: fixture.prometheus.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      K8S_INTEGRATION_STEP_SECONDS: '300',
    });
    jobs = await startJobs(core, { worker: true, scheduler: false });
    gql = await createGraphQL(core);
    fixtures = new Fixtures(core);
    org = await fixtures.organization('alloc-org');
    other = await fixtures.organization('other-org');
    await fixtures.account(org, { id: CLUSTER, name: 'prod-eks', type: 'KUBERNETES', k8sProvider: 'AWS' });
    await runDay();
    const costs = dataOf<{ k8sCluster: { costs: { network: number; total: number } } }>(
      await gql(
        org,
        `query ($id: ID!, $r: DateRangeInput!) { k8sCluster(id: $id) { costs(range: $r) { network total } } }`,
        {
          id: CLUSTER,
          r: { start: day, end: day },
        },
      ),
    );
    network = costs.k8sCluster.costs.network;
    clusterTotal = costs.k8sCluster.costs.total;
  }, 180_000);

  afterAll(async () => {
    await jobs?.stop();
    await core?.dispose();
    await fixture?.dispose();
    await removePrefix(prefix);
  });

  const runDay = () => runClusterDay(gql, org, CLUSTER, day);

  async function report(
    by: string,
    extra: { idle?: string | null; labelKey?: string; filter?: object; clusterIds?: string[] } = {},
    as = org,
  ): Promise<Report> {
    return dataOf<{ k8sAllocation: Report }>(
      await gql(
        as,
        `query ($r: DateRangeInput!, $by: K8sAllocationDimension!, $idle: K8sIdleMode, $labelKey: String,
                $filter: K8sAllocationFilter, $ids: [ID!]) {
           k8sAllocation(range: $r, by: $by, idle: $idle, labelKey: $labelKey, filter: $filter, clusterIds: $ids) {
             total items { ${ITEM_FIELDS} } days { date items { key total } }
           }
         }`,
        {
          r: { start: day, end: day },
          by,
          idle: extra.idle === undefined ? 'SEPARATE' : extra.idle,
          labelKey: extra.labelKey,
          filter: extra.filter,
          ids: extra.clusterIds,
        },
      ),
    ).k8sAllocation;
  }

  const totals = (r: Report) => Object.fromEntries(r.items.map((i) => [i.key, i.total]));
  const sum = (r: Report) => r.items.reduce((s, i) => s + i.total, 0);

  it('prices the network the cluster query priced: 720 MiB to the internet at $0.09/GiB', () => {
    // increase() over samples 00:00:30 .. 11:59:30 (719 MiB) extrapolated 30 s at each end.
    expect(network).toBeCloseTo((720 / 1024) * 0.09, 9);
    expect(clusterTotal).toBeCloseTo(10.32 + network, 9);
  });

  it('by NAMESPACE, idle separate: each namespace to the cent, and the items add up to the cluster', async () => {
    const r = await report('NAMESPACE');
    expect(r.items.map((i) => i.key)).toEqual([
      '__idle__',
      '__overhead__',
      'shop',
      'default',
      'ops',
      '__unmounted__',
    ]);
    const t = totals(r);
    expect(t.shop).toBeCloseTo(1.2 + 0.42 + 0.6 + network, 9);
    expect(t.ops).toBeCloseTo(0.3, 9);
    expect(t.default).toBeCloseTo(0.6 + 0.03, 9);
    expect(t.__idle__).toBeCloseTo(4.74, 9);
    expect(t.__overhead__).toBeCloseTo(2.4, 9);
    expect(t.__unmounted__).toBeCloseTo(0.03, 9);
    expect(r.total).toBeCloseTo(clusterTotal, 9);
    expect(sum(r)).toBeCloseTo(clusterTotal, 9);
    const shop = r.items.find((i) => i.key === 'shop') as Item;
    expect(shop).toMatchObject({ loadBalancer: 0.6, storage: 0.06 });
    expect(shop.cpu).toBeCloseTo(0.96 + 0.24, 9);
    expect(shop.ram).toBeCloseTo(0.24 + 0.12, 9);
    // web 1 core x 24 h + db 0.5 x 24 h; 2 GiB x 24 h + 2 GiB x 24 h.
    expect(shop.cpuCoreHours).toBeCloseTo(36, 9);
    expect(shop.ramByteHours).toBeCloseTo(96 * GIB, 0);
  });

  it('by CONTROLLER: the Deployment spans its two ReplicaSets; the Job, StatefulSet and bare pod', async () => {
    const t = totals(await report('CONTROLLER'));
    expect(t['shop/deployment/web']).toBeCloseTo(1.2 + 0.6 + network, 9); // with its load balancer
    expect(t['shop/statefulset/db']).toBeCloseTo(0.42, 9);
    expect(t['ops/job/backup-123']).toBeCloseTo(0.3, 9);
    expect(t['default/pod/debug']).toBeCloseTo(0.63, 9); // with its volume, found by its claim
    expect(t.__unallocated__).toBeUndefined(); // the load balancer went to the pods it selects
    const kinds = totals(await report('CONTROLLER_KIND'));
    expect(kinds.deployment).toBeCloseTo(1.8 + network, 9);
    expect(kinds.pod).toBeCloseTo(0.63, 9);
  });

  it('by POD and CONTAINER: keys and names, efficiencies from requests and usage', async () => {
    const pods = await report('POD');
    const t = totals(pods);
    expect(t['shop/web-aaa-1']).toBeCloseTo(0.48 + 0.12 + 0.3 + network, 9);
    expect(t['shop/web-bbb-1']).toBeCloseTo(0.6 + 0.3, 9);
    expect(pods.items.find((i) => i.key === 'shop/db-0')?.name).toBe('db-0');
    const containers = await report('CONTAINER');
    const db = containers.items.find((i) => i.key === 'shop/db-0/postgres') as Item;
    expect(db.total).toBeCloseTo(0.36, 9); // its volume is the pod's, not the container's
    expect(db.cpuEfficiency).toBeCloseTo(0.5, 6); // 6 core-hours used of 12 requested
    expect(db.ramEfficiency).toBeCloseTo(0.5, 6); // 1 GiB of 2 GiB
    expect(containers.items.find((i) => i.key === 'shop/web-aaa-1/web')?.cpuEfficiency).toBeNull();
  });

  it('by LABEL: pod labels, then the namespace labels, else __unallocated__', async () => {
    const t = totals(await report('LABEL', { labelKey: 'team' }));
    expect(t.storefront).toBeCloseTo(1.8 + network, 9);
    expect(t.data).toBeCloseTo(0.42, 9);
    expect(t.platform).toBeCloseTo(0.3, 9);
    expect(t.__unallocated__).toBeCloseTo(0.63, 9); // debug (no labels, nor its namespace)
    const missing = await gql(
      org,
      `{ k8sAllocation(range: {start: "${day}", end: "${day}"}, by: LABEL) { total } }`,
    );
    expect(JSON.stringify(missing)).toMatch(/labelKey.*required/);
  });

  it("by NODE: pod storage and network go to the pod's node", async () => {
    const t = totals(await report('NODE'));
    expect(t['n-a']).toBeCloseTo(1.8 + 0.63 + network, 9);
    expect(t['n-b']).toBeCloseTo(0.3 + 0.42, 9);
    expect(t.__unallocated__).toBeUndefined();
  });

  it("SHARE spreads each resource's idle by that resource's cost; HIDE leaves it out", async () => {
    // cpu idle 2.88 over cpu costs shop 1.20, ops 0.24, default 0.48 (of 1.92);
    // ram idle 1.86 over ram costs shop 0.36, ops 0.06, default 0.12 (of 0.54).
    const shared = await report('NAMESPACE', { idle: 'SHARE' });
    const t = totals(shared);
    expect(t.__idle__).toBeUndefined();
    const shop = shared.items.find((i) => i.key === 'shop') as Item;
    expect(shop.idle).toBeCloseTo((2.88 * 1.2) / 1.92 + (1.86 * 0.36) / 0.54, 9); // 1.80 + 1.24
    expect(shared.items.find((i) => i.key === 'ops')?.idle).toBeCloseTo(
      (2.88 * 0.24) / 1.92 + (1.86 * 0.06) / 0.54,
      9,
    );
    expect(shared.items.find((i) => i.key === 'default')?.idle).toBeCloseTo(
      (2.88 * 0.48) / 1.92 + (1.86 * 0.12) / 0.54,
      9,
    );
    expect(shared.total).toBeCloseTo(clusterTotal, 9);
    const hidden = await report('NAMESPACE', { idle: 'HIDE' });
    expect(totals(hidden).__idle__).toBeUndefined();
    expect(hidden.total).toBeCloseTo(clusterTotal - 4.74, 9);
    // The contract's `idle: K8sIdleMode = SEPARATE`: null is the default, as omitted.
    expect(totals(await report('NAMESPACE', { idle: null })).__idle__).toBeCloseTo(4.74, 9);
  });

  it('filters keep matching workloads; the daily series carries the same items', async () => {
    const shop = await report('CONTROLLER', { filter: { namespaces: ['shop'] } });
    expect(shop.items.map((i) => i.key).sort()).toEqual(['shop/deployment/web', 'shop/statefulset/db']);
    const labelled = await report('POD', { filter: { labels: ['team=storefront'] } });
    expect(labelled.items.map((i) => i.key).sort()).toEqual(['shop/web-aaa-1', 'shop/web-bbb-1']);
    const onNode = await report('NAMESPACE', { filter: { nodes: ['n-b'] } });
    expect(totals(onNode)).toEqual({ shop: expect.closeTo(0.42, 9), ops: expect.closeTo(0.3, 9) });
    const bad = await gql(
      org,
      `{ k8sAllocation(range: {start: "${day}", end: "${day}"}, by: POD, filter: {labels: ["team"]}) { total } }`,
    );
    expect((bad as { errors?: { message: string }[] }).errors?.[0]?.message).toBe(
      'filter.labels[0]: "team" is not key=value',
    );
    const r = await report('NAMESPACE');
    expect(r.days).toHaveLength(1);
    expect(r.days[0]?.date).toBe(day);
    expect(Object.fromEntries(r.days[0]?.items.map((i) => [i.key, i.total]) ?? [])).toEqual(totals(r));
  });

  it('K8sCluster.allocation answers for one cluster; another organization sees nothing of it', async () => {
    const one = dataOf<{ k8sCluster: { allocation: Report } }>(
      await gql(
        org,
        `query ($id: ID!, $r: DateRangeInput!) { k8sCluster(id: $id) { allocation(range: $r, by: CLUSTER) { total items { key name total } } } }`,
        {
          id: CLUSTER,
          r: { start: day, end: day },
        },
      ),
    ).k8sCluster.allocation;
    expect(one.total).toBeCloseTo(clusterTotal, 9);
    expect(one.items.find((i) => i.key === CLUSTER)?.name).toBe('prod-eks');
    const foreign = await report('NAMESPACE', { clusterIds: [CLUSTER] }, other);
    expect(foreign).toMatchObject({ total: 0, items: [] });
  });

  it('a second run of the day replaces the allocation, never adds to it', async () => {
    await runDay();
    const r = await report('NAMESPACE');
    expect(r.total).toBeCloseTo(clusterTotal, 9);
    expect(totals(r).shop).toBeCloseTo(1.2 + 0.42 + 0.6 + network, 9);
  });

  it('a bill for node n-a ($2.88 against $5.76 at list price) halves what ran on it, and idle with it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloc-bill-'));
    const header =
      'BilledCost,EffectiveCost,BillingCurrency,BillingAccountId,BillingPeriodStart,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,ProviderName,ServiceName,SubAccountId,ResourceId,ResourceName,ResourceType,RegionId';
    const line = [
      2.88,
      2.88,
      'USD',
      '123456789012',
      `${day.slice(0, 7)}-01T00:00:00Z`,
      'Usage',
      `${day}T00:00:00Z`,
      `${addDays(day, 1)}T00:00:00Z`,
      'AWS',
      'Amazon EC2',
      '123456789012',
      NODE_A,
      NODE_A,
      'vm',
      'us-east-1',
    ].join(',');
    const file = path.join(dir, 'bill.csv');
    fs.writeFileSync(file, `${header}\n${line}\n`);
    try {
      await core.services.focusImport.importFiles(org, [file]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const costs = dataOf<{ k8sCluster: { costs: { total: number } } }>(
      await gql(
        org,
        `query ($id: ID!, $r: DateRangeInput!) { k8sCluster(id: $id) { costs(range: $r) { total } } }`,
        {
          id: CLUSTER,
          r: { start: day, end: day },
        },
      ),
    ).k8sCluster.costs.total;
    expect(costs).toBeCloseTo(clusterTotal - 2.88, 9);
    const r = await report('NAMESPACE');
    const t = totals(r);
    expect(r.total).toBeCloseTo(costs, 9);
    expect(t.default).toBeCloseTo(0.3 + 0.03, 9); // debug ran on n-a: half of $0.60; its volume unbilled
    expect(t.shop).toBeCloseTo(0.6 + 0.42 + 0.6 + network, 9); // web halved; db on n-b, LB, network unchanged
    expect(t.__idle__).toBeCloseTo((2.4 + 1.56) / 2 + 0.48 + 0.3, 9);
    // By namespace the report reads the corrected namespace roll-up; by controller, the rows
    // corrected as they are read: both follow the bill.
    const controllers = totals(await report('CONTROLLER'));
    expect(controllers['default/pod/debug']).toBeCloseTo(0.33, 9);
    expect(controllers['shop/deployment/web']).toBeCloseTo(0.6 + 0.6 + network, 9);
  });
});
