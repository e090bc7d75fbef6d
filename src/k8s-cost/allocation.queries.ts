import type { Matcher, QueryWriter } from './k8s-cost.queries';

/**
 * The PromQL of a cluster-day's workload allocation (issue 10), beside the cluster totals of
 * `k8s-cost.queries.ts` and with the same step semantics (a point charges s/3600 h to every
 * identity with a sample in (t-s, t], HA twins collapsed by `max by (<identity>)`). What
 * containers claimed on each node, at the node's prices, is a cluster query already
 * (`claimed*`: idle is the node's cost minus it); these add what splits it:
 * - allocCpuHours / allocRamHours / allocGpuHours: per container (namespace, pod, container,
 *   node), the core-hours, byte-hours and GPU-hours it allocated, step by step. A node's claimed
 *   cost of a resource is shared by its containers in proportion to these: exactly each
 *   container's allocation x the node's price when the price held all day (prices are list
 *   prices, set per instance type), and still adding up to the node's exact figure when it did
 *   not. Pricing each container at every step instead joins 6,000 series to their node's price
 *   288 times: 9-12 s a query against 3.6 s (bench:aggregate, BENCHMARKS.md);
 * - allocCpuAverage: per container, its average allocated cores over its samples; with its
 *   core-hours it gives the hours the container existed (constant allocations: exactly);
 * - cpuRequest / ramRequest (kube_pod_container_resource_requests) and ramUsage
 *   (container_memory_working_set_bytes): per container, averages over the samples in the day,
 *   turned into core-hours and byte-hours with those hours; cpuUsage: core-hours from
 *   increase() of container_cpu_usage_seconds_total. Only efficiencies (usage / request) use
 *   them, so averages over raw samples serve (one pass over the samples, no per-step join);
 *   empty when the cluster does not send them;
 * - pvc: per (namespace, pod, persistentvolume), the volume's cost at each point shared by the
 *   pods holding a claim on it in proportion to their claimed bytes (`pod_pvc_allocation`; a
 *   claim without `persistentvolume` finds its volume through `kube_persistentvolumeclaim_info`'s
 *   `volumename`); what no pod claimed is the volume's storage minus these (`__unmounted__`);
 * - podNetwork: per (namespace, pod_name, part), the pod's egress priced like the cluster's
 *   network (they add up to it);
 * - loadBalancers: per (namespace, service_name, ingress_ip), each balancer's cost;
 * - serviceSelectors: the `label_*` of `service_selector_labels` per (namespace, service): the
 *   pods a balancer's cost goes to;
 * - podOwners, replicaSetOwners: who owns each pod and ReplicaSet in the window
 *   (`kube_pod_owner`, `kube_replicaset_owner`, value 1);
 * - podLabels, namespaceLabels: the `label_*` of `kube_pod_labels` / `kube_namespace_labels`
 *   last seen in the window (one series per label set; twins merged by the reader).
 */
export const ALLOCATION_QUERIES = [
  'allocCpuHours',
  'allocRamHours',
  'allocGpuHours',
  'allocCpuAverage',
  'cpuRequest',
  'ramRequest',
  'cpuUsage',
  'ramUsage',
  'pvc',
  'podNetwork',
  'loadBalancers',
  'podOwners',
  'replicaSetOwners',
  'podLabels',
  'namespaceLabels',
  'serviceSelectors',
] as const;
export type AllocationQueryName = (typeof ALLOCATION_QUERIES)[number];

const GIB = 1_073_741_824;

/** What the allocation queries share with the cluster's: the per-volume cost and egress prices. */
export interface SharedExpressions {
  /** $/h per persistentvolume at a point: price x capacity GiB. */
  storage: string;
  /** The day's average price of an egress class ($/GiB), label-less. */
  networkPrice: (metric: string) => string;
}

export function allocationQueries(
  q: QueryWriter,
  shared: SharedExpressions,
): Record<AllocationQueryName, string> {
  const container = ['namespace', 'pod', 'container', 'node'];
  const workload = ['namespace', 'pod', 'container'];
  const real: Matcher[] = [
    ['container', '!=', ''],
    ['container', '!=', 'POD'],
  ];
  const hours = (metric: string) => q.perIdentity(q.point(metric, container));
  /** Per container, the average of a gauge over its samples in the window (twins: the larger). */
  const average = (metric: string, identity: string[], ...matchers: Matcher[]) =>
    `max by (${identity.join(', ')}) (avg_over_time(${q.selector(metric, ...matchers)}[${q.windowRange}]))`;
  const request = (resource: string) =>
    average('kube_pod_container_resource_requests', workload, ['resource', '=', resource]);

  // Each pod's share of a volume at a point: its claimed bytes over all pods' claimed bytes. A
  // claim labelled with its volume names it; one without is joined to its claim's `volumename`.
  const claimIdentity = ['namespace', 'pod', 'persistentvolume'];
  const named = q.point('pod_pvc_allocation', claimIdentity, ['persistentvolume', '!=', '']);
  const unnamed =
    `label_replace(${q.point('pod_pvc_allocation', ['namespace', 'pod', 'persistentvolumeclaim'], ['persistentvolume', '=', ''])}` +
    ` * on(namespace, persistentvolumeclaim) group_left(volumename) ` +
    `${q.point('kube_persistentvolumeclaim_info', ['namespace', 'persistentvolumeclaim', 'volumename'])}, ` +
    `"persistentvolume", "$1", "volumename", "(.+)")`;
  const claims = `(max by (${claimIdentity.join(', ')}) (${named} or ${unnamed}) > 0)`;
  const share = `(${claims} / on(persistentvolume) group_left() sum by (persistentvolume) (${claims}))`;

  const flow = ['namespace', 'pod_name', 'internet', 'same_zone', 'same_region'];
  const bytes = 'kubecost_pod_network_egress_bytes_total';
  const gib = (...matchers: Matcher[]) =>
    `sum by (namespace, pod_name) (max by (${flow.join(', ')}) ` +
    `(increase(${q.selector(bytes, ...matchers)}[${q.windowRange}]))) / ${GIB}`;
  const priced = (part: string, price: string, ...matchers: Matcher[]) =>
    `label_replace(${gib(...matchers)} * on() group_left() ${shared.networkPrice(price)}, "part", "${part}", "", "")`;
  const podNetwork = [
    priced('internet', 'kubecost_network_internet_egress_cost', ['internet', '=', 'true']),
    priced(
      'region',
      'kubecost_network_region_egress_cost',
      ['internet', '!=', 'true'],
      ['same_region', '=', 'false'],
    ),
    priced(
      'zone',
      'kubecost_network_zone_egress_cost',
      ['internet', '!=', 'true'],
      ['same_region', '=', 'true'],
      ['same_zone', '=', 'false'],
    ),
  ].join(' or ');

  const seen = (metric: string, identity: string[]) =>
    `group by (${identity.join(', ')}) (last_over_time(${q.selector(metric)}[${q.windowRange}]))`;
  const labelled = (metric: string) => `last_over_time(${q.selector(metric)}[${q.windowRange}])`;

  return {
    allocCpuHours: hours('container_cpu_allocation'),
    allocRamHours: hours('container_memory_allocation_bytes'),
    allocGpuHours: hours('container_gpu_allocation'),
    allocCpuAverage: average('container_cpu_allocation', container),
    cpuRequest: request('cpu'),
    ramRequest: request('memory'),
    cpuUsage: `max by (${workload.join(', ')}) (increase(${q.selector('container_cpu_usage_seconds_total', ...real)}[${q.windowRange}])) / 3600`,
    ramUsage: average('container_memory_working_set_bytes', workload, ...real),
    pvc: q.perIdentity(`${share} * on(persistentvolume) group_left() ${shared.storage}`),
    podNetwork,
    loadBalancers: q.perIdentity(
      q.point('kubecost_load_balancer_cost', ['namespace', 'service_name', 'ingress_ip']),
    ),
    podOwners: seen('kube_pod_owner', ['namespace', 'pod', 'owner_kind', 'owner_name']),
    replicaSetOwners: seen('kube_replicaset_owner', ['namespace', 'replicaset', 'owner_kind', 'owner_name']),
    podLabels: labelled('kube_pod_labels'),
    namespaceLabels: labelled('kube_namespace_labels'),
    serviceSelectors: labelled('service_selector_labels'),
  };
}
