import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestCore } from '../support/test-core';
import { createGraphQL, dataOf, Fixtures, runClusterDay, type RunGraphQL } from '../support/fixtures';
import { ensureTestRedis, randomPrefix, removePrefix, TEST_REDIS_URL } from '../support/redis';
import { startK8sDayPrometheus, type K8sDayPrometheus, type SeriesSpec } from '../support/k8s-day-fixture';
import { startJobs, type Core, type RunningJobs } from '../../src/main';
import { addDays } from '../../src/domain/days';

// Issue 11 through the real pipeline: a real Prometheus holds a cluster-day (promtool blocks, HA
// twins), the BullMQ job computes it, a FOCUS bill is imported before or after, GraphQL answers.
//
// Every node below runs all day (24 h) with 2 vCPU at $0.03/vCPU-h and 8 GiB at $0.005/GiB-h:
// $0.06 + $0.04 = $0.10/h, $2.40 a day ($1.44 cpu + $0.96 ram), unless said otherwise.
//
// AWS cluster (rc-aws): nodes n1 (i-0a1b2c3d4e5f60718) and n2 (i-0b2c3d4e5f6071829), volume
// pvc-1 (vol-0abc1234def567890) 100 GiB at $0.0001375/GiB-h = $0.33, EKS fee $0.10/h = $2.40, a
// load balancer $0.0125/h = $0.30. Estimated: 2.40 + 2.40 + 0.33 + 2.40 + 0.30 = $7.83.
// Its bill: n1 $1.68, the volume $0.40, an S3 bucket $1.25 ($3.33); n2 has no bill line.
// Reconciled: 1.68 + 2.40 + 0.40 + 2.40 + 0.30 = $7.18; billed $2.08; unbilled $5.10.
// The organization spent 3.33 + 5.10 = $8.43 (counting the nodes twice would say 3.33 + 7.83).

const GIB = 1_073_741_824;
const N1 = 'i-0a1b2c3d4e5f60718';
const N2 = 'i-0b2c3d4e5f6071829';
const VOL = 'vol-0abc1234def567890';
const GCP_NODE = 'gke-pool-1-abcd';
const VMSS =
  '/subscriptions/0000-1111/resourceGroups/MC_rg_aks/providers/Microsoft.Compute/virtualMachineScaleSets/aks-pool-vmss';

function node(name: string, providerId: string, from = 0, to = 24): SeriesSpec[] {
  const labels = { node: name, instance: name, provider_id: providerId };
  const ksm = { node: name, instance: 'kube-state-metrics:8080' };
  const at = { type: 'gauge' as const, from, to };
  return [
    { metric: 'node_cpu_hourly_cost', labels, value: 0.03, ...at },
    { metric: 'node_ram_hourly_cost', labels, value: 0.005, ...at },
    { metric: 'node_total_hourly_cost', labels, value: 0.1, ...at },
    { metric: 'kube_node_status_capacity_cpu_cores', labels: ksm, value: 2, ...at },
    { metric: 'kube_node_status_capacity_memory_bytes', labels: ksm, value: 8 * GIB, ...at },
  ];
}

const AWS_SERIES: SeriesSpec[] = [
  ...node('n1', `aws:///us-east-1a/${N1}`),
  ...node('n2', `aws:///us-east-1b/${N2}`),
  {
    metric: 'pv_hourly_cost',
    type: 'gauge',
    labels: { persistentvolume: 'pvc-1', volumename: 'pvc-1', provider_id: `aws://us-east-1a/${VOL}` },
    from: 0,
    to: 24,
    value: 0.0001375,
  },
  {
    metric: 'kube_persistentvolume_capacity_bytes',
    type: 'gauge',
    labels: { persistentvolume: 'pvc-1', instance: 'kube-state-metrics:8080' },
    from: 0,
    to: 24,
    value: 100 * GIB,
  },
  { metric: 'kubecost_cluster_management_cost', type: 'gauge', labels: {}, from: 0, to: 24, value: 0.1 },
  {
    metric: 'kubecost_load_balancer_cost',
    type: 'gauge',
    labels: { namespace: 'shop', service_name: 'api-lb', ingress_ip: '10.0.0.1' },
    from: 0,
    to: 24,
    value: 0.0125,
  },
];
// GKE: one node, billed $2.00 under its compute API path. Estimated $2.40.
const GCP_SERIES = node(GCP_NODE, `gce://proj-1/us-central1-a/${GCP_NODE}`);
// AKS: two scale-set instances, 24 h and 12 h ($2.40 + $1.20); the bill carries only the scale
// set, $2.70, shared 24:12 -> $1.80 and $0.90.
const AZURE_SERIES = [
  ...node('aks-0', `azure://${VMSS}/virtualMachines/0`),
  ...node('aks-1', `azure://${VMSS}/virtualMachines/1`, 12, 24),
];

const FOCUS_HEADER = [
  'BilledCost',
  'EffectiveCost',
  'BillingCurrency',
  'BillingAccountId',
  'BillingPeriodStart',
  'ChargeCategory',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'ProviderName',
  'ServiceName',
  'SubAccountId',
  'ResourceId',
  'ResourceName',
  'ResourceType',
  'RegionId',
];

interface BillLine {
  provider: 'AWS' | 'Google Cloud' | 'Microsoft';
  account: string;
  service: string;
  resourceId: string;
  cost: number;
}

describe('K8s costs reconciled with the cloud bills (real Prometheus, job, FOCUS import, GraphQL)', () => {
  let fixture: K8sDayPrometheus;
  let core: Core & { dispose(): Promise<void> };
  let jobs: RunningJobs;
  let gql: RunGraphQL;
  let fixtures: Fixtures;
  let day: string;
  let importDir: string;
  const prefix = randomPrefix();

  beforeAll(async () => {
    ensureTestRedis();
    fixture = await startK8sDayPrometheus({
      'rc-aws': AWS_SERIES,
      'rc-gcp': GCP_SERIES,
      'rc-azure': AZURE_SERIES,
      'rc-aws-2': AWS_SERIES,
      'rc-other': AWS_SERIES,
    });
    day = fixture.day;
    importDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-'));
    core = await createTestCore({
      METRICS_QUERY_URL: fixture.prometheus.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      K8S_INTEGRATION_STEP_SECONDS: '300',
    });
    jobs = await startJobs(core, { worker: true, scheduler: false });
    gql = await createGraphQL(core);
    fixtures = new Fixtures(core);
  }, 180_000);

  afterAll(async () => {
    await jobs?.stop();
    await core?.dispose();
    await fixture?.dispose();
    await removePrefix(prefix);
    fs.rmSync(importDir, { recursive: true, force: true });
  });

  function bill(name: string, lines: readonly BillLine[], date = day): string {
    const period = `${date.slice(0, 7)}-01T00:00:00Z`;
    const rows = lines.map((l) =>
      [
        l.cost,
        l.cost,
        'USD',
        l.account,
        period,
        'Usage',
        `${date}T00:00:00Z`,
        `${addDays(date, 1)}T00:00:00Z`,
        l.provider,
        l.service,
        l.account,
        l.resourceId,
        l.resourceId.split('/').pop(),
        'vm',
        'us-east-1',
      ].join(','),
    );
    const file = path.join(importDir, name);
    fs.writeFileSync(file, [FOCUS_HEADER.join(','), ...rows, ''].join('\n'));
    return file;
  }

  const awsBill = (n1 = 1.68): BillLine[] => [
    { provider: 'AWS', account: '123456789012', service: 'Amazon EC2', resourceId: N1, cost: n1 },
    {
      provider: 'AWS',
      account: '123456789012',
      service: 'Amazon EC2',
      resourceId: `arn:aws:ec2:us-east-1:123456789012:volume/${VOL}`,
      cost: 0.4,
    },
    {
      provider: 'AWS',
      account: '123456789012',
      service: 'Amazon S3',
      resourceId: 'arn:aws:s3:::shop-assets',
      cost: 1.25,
    },
  ];

  async function cluster(org: string, id: string, provider: string): Promise<void> {
    await fixtures.account(org, { id, name: id, type: 'KUBERNETES', k8sProvider: provider });
  }

  const runDay = (org: string, clusterId: string) => runClusterDay(gql, org, clusterId, day);

  async function importBill(org: string, file: string): Promise<void> {
    await core.services.focusImport.importFiles(org, [file]);
  }

  interface View {
    costSummary: { total: number; byProvider: { provider: string; cost: number }[] };
    k8sCluster: {
      costs: { cpu: number; ram: number; storage: number; total: number };
      reconciliation: {
        estimated: number;
        billed: number;
        unbilled: number;
        reconciled: number;
        difference: number;
        resources: {
          kind: string;
          providerId: string;
          estimated: number;
          billed: number | null;
          expense: { cloudResourceId: string; k8sCluster: { id: string } | null } | null;
        }[];
      };
    };
    expenses: { totalCost: number; edges: { node: { cloudResourceId: string; cost: number } }[] };
  }

  async function view(org: string, clusterId: string): Promise<View> {
    return dataOf<View>(
      await gql(
        org,
        `query ($range: DateRangeInput!, $id: ID!) {
           costSummary(range: $range) { total byProvider { provider cost } }
           k8sCluster(id: $id) {
             costs(range: $range) { cpu ram storage total }
             reconciliation(range: $range) {
               estimated billed unbilled reconciled difference
               resources { kind providerId estimated billed expense { cloudResourceId k8sCluster { id } } }
             }
           }
           expenses(range: $range, first: 20) { totalCost edges { node { cloudResourceId cost } } }
         }`,
        { range: { start: day, end: day }, id: clusterId },
      ),
    );
  }

  const cents = (value: number) => Math.round(value * 100) / 100;
  const providerCost = (v: View, provider: string) =>
    cents(v.costSummary.byProvider.find((p) => p.provider === provider)?.cost ?? 0);

  async function expectAwsReconciled(org: string, clusterId: string): Promise<void> {
    const v = await view(org, clusterId);
    expect(cents(v.costSummary.total)).toBe(8.43);
    expect(providerCost(v, 'AWS')).toBe(3.33); // the bill, unchanged
    expect(providerCost(v, 'KUBERNETES')).toBe(5.1); // what no bill line carries
    expect(cents(v.expenses.totalCost)).toBe(8.43);
    const rec = v.k8sCluster.reconciliation;
    expect([rec.estimated, rec.billed, rec.unbilled, rec.reconciled, rec.difference].map(cents)).toEqual([
      7.83, 2.08, 5.1, 7.18, 0.65,
    ]);
    // n1: cpu $1.44 x 1.68/2.40 = $1.008, ram $0.96 x 0.7 = $0.672; n2 keeps $1.44 + $0.96.
    expect(cents(v.k8sCluster.costs.cpu)).toBe(cents(1.008 + 1.44));
    expect(cents(v.k8sCluster.costs.ram)).toBe(cents(0.672 + 0.96));
    expect(cents(v.k8sCluster.costs.storage)).toBe(0.4);
    expect(cents(v.k8sCluster.costs.total)).toBe(7.18);
    expect(
      rec.resources.map((r) => [
        r.kind,
        r.providerId,
        cents(r.estimated),
        r.billed === null ? null : cents(r.billed),
      ]),
    ).toEqual([
      ['NODE', `aws:///us-east-1a/${N1}`, 2.4, 1.68],
      ['NODE', `aws:///us-east-1b/${N2}`, 2.4, null],
      ['VOLUME', `aws://us-east-1a/${VOL}`, 0.33, 0.4],
    ]);
    expect(rec.resources[0]?.expense).toEqual({ cloudResourceId: N1, k8sCluster: { id: clusterId } });
    expect(rec.resources[1]?.expense).toBeNull();
  }

  it('bill first, then the run: the totals count the billed nodes and volume once', async () => {
    const org = await fixtures.organization('Bill First');
    await cluster(org, 'rc-aws', 'AWS');
    await importBill(org, bill('first.csv', awsBill()));
    await runDay(org, 'rc-aws');
    await expectAwsReconciled(org, 'rc-aws');
  }, 120_000);

  it('run first, bill days later: the import reconciles the stored day; the same file again changes nothing', async () => {
    const org = await fixtures.organization('Run First');
    await cluster(org, 'rc-aws-2', 'AWS');
    await runDay(org, 'rc-aws-2');
    const before = await view(org, 'rc-aws-2');
    expect(cents(before.costSummary.total)).toBe(7.83);
    expect(before.k8sCluster.reconciliation.resources.every((r) => r.billed === null)).toBe(true);

    const file = bill('late.csv', awsBill());
    await importBill(org, file);
    await expectAwsReconciled(org, 'rc-aws-2');
    const rows = () =>
      core.db.query<{ n: string }>(
        `SELECT count() AS n FROM {db:Identifier}.expenses WHERE cloud_account_id = 'rc-aws-2'`,
      );
    const written = (await rows())[0]?.n;
    await importBill(org, file);
    expect((await rows())[0]?.n).toBe(written);
    await expectAwsReconciled(org, 'rc-aws-2');

    // A corrected re-export: n1 was $1.92, not $1.68. Reconciled 7.18 + 0.24 = $7.42, unbilled
    // still $5.10, the bill $3.57: the organization's day is $8.67.
    await importBill(org, bill('corrected.csv', awsBill(1.92)));
    const v = await view(org, 'rc-aws-2');
    expect(cents(v.costSummary.total)).toBe(8.67);
    expect(providerCost(v, 'AWS')).toBe(3.57);
    expect(providerCost(v, 'KUBERNETES')).toBe(5.1);
    expect(cents(v.k8sCluster.reconciliation.reconciled)).toBe(7.42);
    expect(cents(v.k8sCluster.costs.total)).toBe(7.42);

    // The job runs the day again (a rerun): nothing moves.
    await runDay(org, 'rc-aws-2');
    expect(cents((await view(org, 'rc-aws-2')).costSummary.total)).toBe(8.67);
  }, 180_000);

  it('GCP: a node billed under its compute API path', async () => {
    const org = await fixtures.organization('GKE Co');
    await cluster(org, 'rc-gcp', 'GCP');
    await runDay(org, 'rc-gcp');
    await importBill(
      org,
      bill('gcp.csv', [
        {
          provider: 'Google Cloud',
          account: 'proj-1',
          service: 'Compute Engine',
          resourceId: `//compute.googleapis.com/projects/proj-1/zones/us-central1-a/instances/${GCP_NODE}`,
          cost: 2,
        },
      ]),
    );
    const v = await view(org, 'rc-gcp');
    // $2.00 billed for $2.40 estimated: nothing unbilled, the total is the bill's.
    expect(cents(v.costSummary.total)).toBe(2);
    expect(providerCost(v, 'KUBERNETES')).toBe(0);
    expect(cents(v.k8sCluster.costs.total)).toBe(2);
    expect(v.k8sCluster.reconciliation.resources.map((r) => r.billed)).toEqual([2]);
  }, 120_000);

  it('Azure: a bill line of the scale set only, shared over its nodes by node-hours', async () => {
    const org = await fixtures.organization('AKS Co');
    await cluster(org, 'rc-azure', 'AZURE');
    await importBill(
      org,
      bill('azure.csv', [
        {
          provider: 'Microsoft',
          account: '0000-1111',
          service: 'Virtual Machines',
          resourceId: VMSS,
          cost: 2.7,
        },
      ]),
    );
    await runDay(org, 'rc-azure');
    const v = await view(org, 'rc-azure');
    expect(cents(v.k8sCluster.reconciliation.estimated)).toBe(3.6);
    expect(
      v.k8sCluster.reconciliation.resources.map((r) => [cents(r.estimated), cents(r.billed ?? -1)]),
    ).toEqual([
      [2.4, 1.8],
      [1.2, 0.9],
    ]);
    expect(cents(v.costSummary.total)).toBe(2.7);
    expect(cents(v.k8sCluster.costs.total)).toBe(2.7);
  }, 120_000);

  it("never matches another organization's bill", async () => {
    const owner = await fixtures.organization('Cluster Owner');
    const stranger = await fixtures.organization('Stranger');
    await cluster(owner, 'rc-other', 'AWS');
    await importBill(stranger, bill('stranger.csv', awsBill()));
    await runDay(owner, 'rc-other');
    const v = await view(owner, 'rc-other');
    expect(cents(v.costSummary.total)).toBe(7.83);
    expect(v.k8sCluster.reconciliation.resources.every((r) => r.billed === null)).toBe(true);
    const s = await view(stranger, 'rc-other');
    expect(s.k8sCluster).toBeNull();
    expect(cents(s.costSummary.total)).toBe(3.33);
    const links = dataOf<{ expenses: { edges: { node: { k8sCluster: unknown } }[] } }>(
      await gql(
        stranger,
        `query ($r: DateRangeInput!) { expenses(range: $r) { edges { node { k8sCluster { id } } } } }`,
        { r: { start: day, end: day } },
      ),
    );
    expect(links.expenses.edges.every((e) => e.node.k8sCluster === null)).toBe(true);
  }, 120_000);
});
