import { reconcileDay } from '../../src/k8s-cost/reconcile';
import { breakdownTotal, zeroBreakdown, type K8sCostBreakdown } from '../../src/domain/k8s-cost-components';
import type { BilledLine, ClusterDayEstimate, NodeEstimate } from '../../src/domain/reconciliation';

const DAY = '2026-11-02';

function breakdown(parts: Partial<K8sCostBreakdown>): K8sCostBreakdown {
  const b = { ...zeroBreakdown(), network: 0, ...parts };
  return { ...b, total: Number(breakdownTotal(b).toFixed(9)) };
}

function node(name: string, providerId: string, parts: Partial<NodeEstimate>): NodeEstimate {
  return { name, providerId, cpu: 0, ram: 0, gpu: 0, unsplit: 0, idle: 0, hours: 24, ...parts };
}

function line(
  cloudResourceId: string,
  cost: number,
  provider = 'AWS',
  accountRef = '123456789012',
): BilledLine {
  return { resourceId: `r-${cloudResourceId}`, cloudResourceId, provider, accountRef, date: DAY, cost };
}

/**
 * The day: two EC2 nodes priced by the metrics at $2.40 and $2.78 (list price, $5.18),
 * an EBS volume at $0.33, the EKS fee $2.40 and a load balancer $0.30: $8.21. The bill: the nodes
 * $1.68 and $1.92 ($3.60), the volume $0.40, an S3 bucket $1.25: $5.25.
 */
const estimate: ClusterDayEstimate = {
  breakdown: breakdown({ cpu: 2.9, ram: 2.28, idle: 1.2, storage: 0.33, management: 2.4, loadBalancer: 0.3 }),
  nodes: [
    node('ip-10-0-1-17', 'aws:///us-east-1a/i-0a1b2c3d4e5f60718', { cpu: 1.5, ram: 0.9, idle: 0.6 }),
    node('ip-10-0-2-33', 'aws:///us-east-1b/i-0a1b2c3d4e5f60719', { cpu: 1.4, ram: 1.38, idle: 0.6 }),
  ],
  volumes: [{ name: 'pvc-3f1e', providerId: 'aws://us-east-1a/vol-0abc1234def567890', storage: 0.33 }],
};
const bill = [
  line('i-0a1b2c3d4e5f60718', 1.68),
  line('arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60719', 1.92),
  line('vol-0abc1234def567890', 0.4),
  line('arn:aws:s3:::my-bucket', 1.25),
];

describe('reconcileDay', () => {
  it('puts the billed cost on matched nodes and volumes, split like the metric prices', () => {
    expect(estimate.breakdown.total).toBe(8.21);
    const day = reconcileDay(DAY, estimate, bill);
    // node A: $1.68 billed for $2.40 estimated = x0.7: cpu 1.50 -> 1.05, ram 0.90 -> 0.63, idle 0.60 -> 0.42
    // node B: $1.92 for $2.78: cpu 1.40 x 1.92/2.78 = 0.966906..., ram 1.38 x 1.92/2.78 = 0.953093...
    expect(day.reconciled.cpu).toBeCloseTo(1.05 + (1.4 * 1.92) / 2.78, 9);
    expect(day.reconciled.ram).toBeCloseTo(0.63 + (1.38 * 1.92) / 2.78, 9);
    expect(day.reconciled.cpu + day.reconciled.ram).toBeCloseTo(3.6, 9);
    expect(day.reconciled.idle).toBeCloseTo(0.42 + (0.6 * 1.92) / 2.78, 9);
    expect(day.reconciled.storage).toBe(0.4);
    expect(day.reconciled.management).toBe(2.4);
    expect(day.reconciled.loadBalancer).toBe(0.3);
    // 3.60 + 0.40 + 2.40 + 0.30
    expect(day.reconciled.total).toBe(6.7);
    expect(day.billed).toBe(4);
    // what no bill line carries: the EKS fee and the load balancer
    expect(day.unbilled).toBe(2.7);
    // the company's day: the bill $5.25 + $2.70 unbilled = $7.95, not $5.25 + $8.21 = $13.46
    expect(5.25 + day.unbilled).toBeCloseTo(7.95, 9);
    expect(day.resources).toEqual([
      {
        kind: 'NODE',
        name: 'ip-10-0-1-17',
        providerId: 'aws:///us-east-1a/i-0a1b2c3d4e5f60718',
        estimated: 2.4,
        billed: 1.68,
        billResourceId: 'r-i-0a1b2c3d4e5f60718',
      },
      {
        kind: 'NODE',
        name: 'ip-10-0-2-33',
        providerId: 'aws:///us-east-1b/i-0a1b2c3d4e5f60719',
        estimated: 2.78,
        billed: 1.92,
        billResourceId: 'r-arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60719',
      },
      {
        kind: 'VOLUME',
        name: 'pvc-3f1e',
        providerId: 'aws://us-east-1a/vol-0abc1234def567890',
        estimated: 0.33,
        billed: 0.4,
        billResourceId: 'r-vol-0abc1234def567890',
      },
    ]);
  });

  it('keeps the metric price of a node no bill line carries', () => {
    const day = reconcileDay(DAY, estimate, [bill[0] as BilledLine]);
    // node A billed $1.68; node B ($2.78) and the volume ($0.33) unmatched
    expect(day.reconciled.total).toBe(Number((1.68 + 2.78 + 0.33 + 2.4 + 0.3).toFixed(9)));
    expect(day.billed).toBe(1.68);
    expect(day.unbilled).toBe(5.81);
    expect(day.resources.map((r) => r.billed)).toEqual([1.68, null, null]);
  });

  it('ignores lines of other days and reconciles nothing without a bill', () => {
    const day = reconcileDay(DAY, estimate, [{ ...(bill[0] as BilledLine), date: '2026-11-03' }]);
    expect(day.reconciled).toEqual(estimate.breakdown);
    expect(day.unbilled).toBe(8.21);
  });

  it('splits an Azure scale set line over its nodes by hours', () => {
    const set =
      '/subscriptions/0000-1111/resourceGroups/MC_rg/providers/Microsoft.Compute/virtualMachineScaleSets/aks-pool-vmss';
    const azure: ClusterDayEstimate = {
      breakdown: breakdown({ cpu: 3, ram: 1.5 }),
      nodes: [
        node('aks-pool-0', `azure://${set}/virtualMachines/0`, { cpu: 2, ram: 1, hours: 24 }),
        node('aks-pool-1', `azure://${set}/virtualMachines/1`, { cpu: 1, ram: 0.5, hours: 12 }),
      ],
      volumes: [],
    };
    // $2.70 for the set: 24 of 36 node-hours -> $1.80 to node 0, 12 of 36 -> $0.90 to node 1
    const day = reconcileDay(DAY, azure, [line(set.toLowerCase(), 2.7, 'AZURE', '0000-1111')]);
    expect(day.resources.map((r) => r.billed)).toEqual([1.8, 0.9]);
    expect(day.reconciled.cpu).toBeCloseTo(1.2 + 0.6, 9);
    expect(day.reconciled.ram).toBeCloseTo(0.6 + 0.3, 9);
    expect(day.reconciled.total).toBe(2.7);
    expect(day.unbilled).toBe(0);
  });

  it('matches a GCP node by the bare instance name within its project', () => {
    const gcp: ClusterDayEstimate = {
      breakdown: breakdown({ cpu: 1, ram: 1, management: 0.1 }),
      nodes: [node('gke-pool-1-abcd', 'gce://my-project/us-central1-a/gke-pool-1-abcd', { cpu: 1, ram: 1 })],
      volumes: [],
    };
    expect(reconcileDay(DAY, gcp, [line('gke-pool-1-abcd', 1.5, 'GCP', 'other-project')]).billed).toBe(0);
    const day = reconcileDay(DAY, gcp, [line('gke-pool-1-abcd', 1.5, 'GCP', 'my-project')]);
    expect(day.reconciled.total).toBe(1.6);
    expect(day.unbilled).toBe(0.1);
  });
});
