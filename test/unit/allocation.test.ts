import { buildAllocation, controllersOf, type AllocationAnswers } from '../../src/k8s-cost/allocation';
import { allocationRowTotal } from '../../src/domain/allocation';
import type { PromVector } from '../../src/domain/ports/metrics-source';
import type { NodeEstimate } from '../../src/domain/reconciliation';

const answers = (given: Partial<AllocationAnswers>): AllocationAnswers =>
  new Proxy(given as AllocationAnswers, {
    get: (target, name: string) => (target as Record<string, PromVector>)[name] ?? [],
  });
const at = (labels: Record<string, string>, value: number) => ({ metric: labels, value });
const nodeEstimate = (name: string, cpu: number, ram: number, unsplit = 0): NodeEstimate => ({
  name,
  providerId: '',
  cpu,
  ram,
  gpu: 0,
  unsplit,
  idle: 0,
  hours: 24,
});

describe('buildAllocation', () => {
  it("shares a node's claims by hours, capped at its cost; the rows add up to the cluster", () => {
    // Node n: cpu $2, ram $1. Its containers claimed cpu $3 (> $2: overcommitted) and ram $0.50;
    // p1 held 30 core-hours and 3 GiB-hours, p2 10 and 1: shares 3/4 and 1/4.
    const c = (pod: string) => ({ namespace: 'ns', pod, container: 'c', node: 'n' });
    const rows = buildAllocation(
      answers({
        claimedCpu: [at({ node: 'n' }, 3)],
        claimedRam: [at({ node: 'n' }, 0.5)],
        allocCpuHours: [at(c('p1'), 30), at(c('p2'), 10)],
        allocRamHours: [at(c('p1'), 3), at(c('p2'), 1)],
        // p1: 1.25 cores on average -> 24 h alive; 1 core requested, 6 core-hours used.
        allocCpuAverage: [at(c('p1'), 1.25)],
        cpuRequest: [at({ namespace: 'ns', pod: 'p1', container: 'c' }, 1)],
        cpuUsage: [at({ namespace: 'ns', pod: 'p1', container: 'c' }, 6)],
      }),
      {
        nodes: [nodeEstimate('n', 2, 1), nodeEstimate('u', 0, 0, 0.7)],
        volumes: [{ name: 'v', providerId: '', storage: 0.5 }],
        management: 2.4,
      },
    );
    const pod = (name: string) => rows.find((r) => r.pod === name);
    expect(pod('p1')).toMatchObject({ cpu: 1.5, ram: 0.375, controllerKind: 'pod', controller: 'p1' });
    expect(pod('p2')).toMatchObject({ cpu: 0.5, ram: 0.125, cpuRequestCoreHours: null });
    expect(pod('p1')).toMatchObject({ cpuRequestCoreHours: 24, cpuUsageCoreHours: 6 });
    const idle = rows.filter((r) => r.bucket === '__idle__');
    expect(idle.map((r) => [r.node, r.idleCpu, r.idleRam, r.idleOther])).toEqual([
      ['n', 0, 0.5, 0],
      ['u', 0, 0, 0.7],
    ]);
    expect(rows.find((r) => r.bucket === '__unmounted__')).toMatchObject({ volume: 'v', storage: 0.5 });
    expect(rows.find((r) => r.bucket === '__overhead__')).toMatchObject({ overhead: 2.4 });
    // cluster: cpu 2 + ram 1 + unsplit 0.7 + storage 0.5 + management 2.4 = 6.6
    expect(rows.reduce((s, r) => s + allocationRowTotal(r), 0)).toBeCloseTo(6.6, 12);
  });

  it('puts a load balancer on the pods its service selects, else on its namespace', () => {
    const c = (pod: string) => ({ namespace: 'ns', pod, container: 'c', node: 'n' });
    const rows = buildAllocation(
      answers({
        allocCpuHours: [at(c('a'), 24), at(c('b'), 12)],
        allocCpuAverage: [at(c('a'), 1), at(c('b'), 1)], // a lived 24 h, b 12 h
        podLabels: [
          at({ namespace: 'ns', pod: 'a', label_app: 'web' }, 1),
          at({ namespace: 'ns', pod: 'b', label_app: 'web' }, 1),
        ],
        serviceSelectors: [at({ namespace: 'ns', service: 'web-lb', label_app: 'web' }, 1)],
        loadBalancers: [
          at({ namespace: 'ns', service_name: 'web-lb', ingress_ip: '10.0.0.1' }, 0.9),
          at({ namespace: 'ns', service_name: 'no-selector', ingress_ip: '10.0.0.2' }, 0.6),
        ],
      }),
      { nodes: [nodeEstimate('n', 0, 0)], volumes: [], management: 0 },
    );
    const lb = (pod: string) => rows.filter((r) => r.pod === pod).reduce((sum, r) => sum + r.loadBalancer, 0);
    expect(lb('a')).toBeCloseTo(0.6, 12); // 0.9 x 24 / 36
    expect(lb('b')).toBeCloseTo(0.3, 12);
    expect(lb('')).toBeCloseTo(0.6, 12); // the namespace's row
  });

  it('resolves owners: ReplicaSet to Deployment, "<none>" to the pod itself', () => {
    const controllerOf = controllersOf(
      [
        at({ namespace: 'a', pod: 'web-1', owner_kind: 'ReplicaSet', owner_name: 'web-7d' }, 1),
        at({ namespace: 'a', pod: 'solo', owner_kind: '<none>', owner_name: '<none>' }, 1),
        at({ namespace: 'a', pod: 'rs-only', owner_kind: 'ReplicaSet', owner_name: 'orphan-rs' }, 1),
        at({ namespace: 'a', pod: 'ds-x', owner_kind: 'DaemonSet', owner_name: 'agent' }, 1),
      ],
      [at({ namespace: 'a', replicaset: 'web-7d', owner_kind: 'Deployment', owner_name: 'web' }, 1)],
    );
    expect(controllerOf('a', 'web-1')).toEqual({ kind: 'deployment', name: 'web' });
    expect(controllerOf('a', 'solo')).toEqual({ kind: 'pod', name: 'solo' });
    expect(controllerOf('a', 'rs-only')).toEqual({ kind: 'replicaset', name: 'orphan-rs' });
    expect(controllerOf('a', 'ds-x')).toEqual({ kind: 'daemonset', name: 'agent' });
    expect(controllerOf('b', 'web-1')).toEqual({ kind: 'pod', name: 'web-1' }); // namespaces do not mix
  });
});
