import { ArgsType, Field, Float, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { DateScalar } from './scalars';
import { DateRangeInput } from './inputs';

// Workload allocation (issue 10): `k8sAllocation` and `K8sCluster.allocation`.

export enum K8sAllocationDimension {
  CLUSTER = 'CLUSTER',
  NODE = 'NODE',
  NAMESPACE = 'NAMESPACE',
  CONTROLLER_KIND = 'CONTROLLER_KIND',
  CONTROLLER = 'CONTROLLER',
  POD = 'POD',
  CONTAINER = 'CONTAINER',
  LABEL = 'LABEL',
}
registerEnumType(K8sAllocationDimension, {
  name: 'K8sAllocationDimension',
  description:
    "What allocation items are: keys are the namespace (NAMESPACE), `<namespace>/<kind>/<name>` (CONTROLLER, kind in lower case; a pod without controller is its own, kind `pod`), `<namespace>/<pod>` (POD), `<namespace>/<pod>/<container>` (CONTAINER), the node, the controller kind, the cluster id, or the value of `labelKey` (LABEL: pod labels, else the namespace's). Costs that belong to none get `__unallocated__`; `__idle__`, `__unmounted__` and `__overhead__` are what belongs to no workload.",
});

export enum K8sIdleMode {
  SEPARATE = 'SEPARATE',
  SHARE = 'SHARE',
  HIDE = 'HIDE',
}
registerEnumType(K8sIdleMode, {
  name: 'K8sIdleMode',
  description:
    "SEPARATE: one `__idle__` item. SHARE: per cluster, each resource's idle (cpu, ram, gpu) spread over the items in proportion to their cost of it (OpenCost shareIdle), in each item's `idle`. HIDE: idle left out (the items then add up to the clusters' cost minus idle).",
});

@InputType({ description: 'Which workloads a report keeps: OR within a list, AND across lists.' })
export class K8sAllocationFilter {
  @Field(() => [String], { nullable: true })
  namespaces?: string[];

  @Field(() => [String], { nullable: true, description: '`<namespace>/<kind>/<name>`, kind in lower case.' })
  controllers?: string[];

  @Field(() => [String], { nullable: true })
  nodes?: string[];

  @Field(() => [String], {
    nullable: true,
    description: "`key=value` pairs, all of which a workload's labels must hold (at most 50).",
  })
  labels?: string[];
}

@ArgsType()
export class K8sAllocationArgs {
  @Field(() => DateRangeInput)
  range!: DateRangeInput;

  @Field(() => K8sAllocationDimension)
  by!: K8sAllocationDimension;

  @Field(() => String, { nullable: true, description: 'The label to group by (required with LABEL).' })
  labelKey?: string;

  @Field(() => K8sAllocationFilter, { nullable: true })
  filter?: K8sAllocationFilter;

  @Field(() => K8sIdleMode, {
    nullable: true,
    defaultValue: K8sIdleMode.SEPARATE,
    description: 'SEPARATE when omitted or null.',
  })
  idle?: K8sIdleMode | null;
}

@ArgsType()
export class K8sAllocationQueryArgs extends K8sAllocationArgs {
  @Field(() => [ID], { nullable: true, description: 'Only these clusters (default: all of them).' })
  clusterIds?: string[];
}

@ObjectType({ description: 'What one workload (or bucket) cost over the range, in US dollars.' })
export class K8sAllocationItem {
  @Field(() => String)
  key!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Float)
  cpu!: number;

  @Field(() => Float)
  ram!: number;

  @Field(() => Float)
  gpu!: number;

  @Field(() => Float, { description: 'Volumes claimed (split by claimed bytes when pods share one).' })
  storage!: number;

  @Field(() => Float)
  network!: number;

  @Field(() => Float)
  loadBalancer!: number;

  @Field(() => Float, { description: 'Cluster-level costs of no workload (the management fee).' })
  overhead!: number;

  @Field(() => Float, { description: "SHARE: this item's share of idle; `__idle__`: the idle itself." })
  idle!: number;

  @Field(() => Float)
  total!: number;

  @Field(() => Float)
  cpuCoreHours!: number;

  @Field(() => Float)
  ramByteHours!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'cpu usage / cpu request (core-hours); null without usage or request metrics.',
  })
  cpuEfficiency!: number | null;

  @Field(() => Float, { nullable: true, description: 'memory working set / memory request (byte-hours).' })
  ramEfficiency!: number | null;
}

@ObjectType()
export class K8sAllocationDayItem {
  @Field(() => String)
  key!: string;

  @Field(() => Float)
  total!: number;
}

@ObjectType({ description: 'One day of an allocation report, for charts (idle handled per day).' })
export class K8sAllocationDay {
  @Field(() => DateScalar)
  date!: string;

  @Field(() => [K8sAllocationDayItem])
  items!: K8sAllocationDayItem[];
}

@ObjectType({
  description:
    "Costs by workload over a range: the items (largest total first) add up to the clusters' cost to the cent (bill-reconciled, as K8sCluster.costs).",
})
export class K8sAllocationReport {
  @Field(() => Float)
  total!: number;

  @Field(() => [K8sAllocationItem])
  items!: K8sAllocationItem[];

  /** The request behind the report, for `days`. */
  request!: unknown;
}
