import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import type { BreakdownDimension as Dimension, DayRange, Provider as ProviderName } from '../domain/model';
import type { AggregationRunState as RunState } from '../domain/aggregation-run';
import {
  ADDITIVE_K8S_COST_COMPONENTS,
  K8S_COST_COLUMNS,
  type K8sCostBreakdown,
} from '../domain/k8s-cost-components';
import { DateScalar } from './scalars';
import {
  AggregationRunState,
  AggregationWritten,
  BreakdownDimension,
  K8sResourceKind,
  Provider,
} from './enums';

@ObjectType()
export class DateRange {
  @Field(() => DateScalar)
  start!: string;

  @Field(() => DateScalar)
  end!: string;
}

@ObjectType()
export class Tag {
  @Field(() => String)
  key!: string;

  @Field(() => String)
  value!: string;
}

@ObjectType({ description: 'What a resource cost on one day.' })
export class ExpenseDay {
  @Field(() => DateScalar)
  date!: string;

  @Field(() => Float, { description: 'US dollars on that day (0 when nothing was spent).' })
  cost!: number;
}

@ObjectType({
  description:
    'An AWS, Azure or GCP account, another cloud provider account (type OTHER, e.g. Oracle from a FOCUS import), or a Kubernetes cluster (type KUBERNETES).',
})
export class CloudAccount {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Provider)
  type!: ProviderName;

  @Field(() => String, { description: "The provider's own account, subscription or project id." })
  accountRef!: string;
}

@ObjectType()
export class LastExpense {
  @Field(() => DateScalar)
  date!: string;

  @Field(() => Float, { description: 'US dollars on that day.' })
  cost!: number;
}

@ObjectType({
  description: `What a cluster cost, in US dollars. total = ${ADDITIVE_K8S_COST_COMPONENTS.map(
    (c) => c.key,
  ).join(' + ')}; idle is a part of cpu + ram + gpu, not an addition.`,
})
// The fields are the cost components (domain/k8s-cost-components.ts), declared from that list so a
// new component needs no edit here; the merged interface gives the class their types (the
// decorators below declare them at run time, so the merge is safe).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class K8sCosts {}
/* eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type */
export interface K8sCosts extends K8sCostBreakdown {}
for (const { key, nullable, description } of K8S_COST_COLUMNS) {
  Field(() => Float, { nullable: nullable || undefined, description })(K8sCosts.prototype, key);
}

@ObjectType({
  description: "One resource's cost over the asked range; the same type for cloud and Kubernetes rows.",
})
export class Expense {
  @Field(() => ID, { description: 'Unique for this resource and range.' })
  id!: string;

  @Field(() => ID, { description: "The platform's resource id (expenses.resource_id)." })
  resourceId!: string;

  @Field(() => String, { description: "The cloud's own id (instance id, ARN, cluster name)." })
  cloudResourceId!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  resourceType!: string;

  @Field(() => Provider)
  provider!: ProviderName;

  @Field(() => String)
  region!: string;

  @Field(() => String)
  service!: string;

  @Field(() => String)
  owner!: string;

  @Field(() => [Tag])
  tags!: Tag[];

  @Field(() => Float, { description: 'US dollars over the range.' })
  cost!: number;

  @Field(() => DateTimeISOResolver)
  firstSeen!: Date;

  @Field(() => DateTimeISOResolver)
  lastSeen!: Date;

  /** Not exposed: the account the field resolver loads, and the range the row was asked for. */
  cloudAccountId!: string;
  range!: DayRange;
}

@ObjectType()
export class ExpenseEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Expense)
  node!: Expense;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'Paging is forward only; true when an `after` cursor was given.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType()
export class ExpenseConnection {
  @Field(() => Int, { description: 'Resources matching the filter with a cost in the range (all pages).' })
  totalCount!: number;

  @Field(() => Float, { description: 'US dollars over the whole filtered set (all pages).' })
  totalCost!: number;

  @Field(() => DateRange)
  range!: DateRange;

  @Field(() => [ExpenseEdge])
  edges!: ExpenseEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType()
export class BreakdownItem {
  @Field(() => String, {
    description: 'The dimension value (e.g. AWS, an account id, a region); "" when unset.',
  })
  key!: string;

  @Field(() => String, {
    description: 'Human name of the key (the account name for CLOUD_ACCOUNT); "(none)" when unset.',
  })
  name!: string;

  @Field(() => Float)
  cost!: number;
}

@ObjectType()
export class BreakdownDay {
  @Field(() => DateScalar)
  date!: string;

  @Field(() => Float)
  total!: number;

  @Field(() => [BreakdownItem], { description: 'Empty on a day with no cost.' })
  items!: BreakdownItem[];
}

@ObjectType()
export class BreakdownTotal {
  @Field(() => String)
  key!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Float, { description: 'US dollars in the range.' })
  total!: number;

  @Field(() => Float, {
    description: 'US dollars in the previous period of the same length (0 if absent there).',
  })
  previousTotal!: number;
}

@ObjectType()
export class ExpenseBreakdown {
  @Field(() => DateRange)
  range!: DateRange;

  @Field(() => DateRange)
  previousRange!: DateRange;

  @Field(() => BreakdownDimension)
  by!: Dimension;

  @Field(() => String, { nullable: true })
  tagKey!: string | null;

  @Field(() => [BreakdownDay], { description: 'Every day of the range, in order, empty days included.' })
  days!: BreakdownDay[];

  @Field(() => [BreakdownTotal], { description: 'Every key seen in either period, biggest first.' })
  totals!: BreakdownTotal[];

  @Field(() => Float)
  total!: number;

  @Field(() => Float)
  previousTotal!: number;
}

@ObjectType()
export class ProviderCost {
  @Field(() => Provider)
  provider!: ProviderName;

  @Field(() => Float)
  cost!: number;

  @Field(() => Float)
  previousCost!: number;
}

@ObjectType()
export class CostSummary {
  @Field(() => DateRange)
  range!: DateRange;

  @Field(() => DateRange)
  previousRange!: DateRange;

  @Field(() => Float)
  total!: number;

  @Field(() => Float)
  previousTotal!: number;

  @Field(() => [ProviderCost])
  byProvider!: ProviderCost[];
}

@ObjectType()
export class K8sDailyCost {
  @Field(() => DateScalar)
  date!: string;

  @Field(() => Boolean, { description: 'True while the day is running or not yet final.' })
  provisional!: boolean;

  @Field(() => K8sCosts)
  costs!: K8sCosts;
}

@ObjectType({
  description: 'A Kubernetes cluster: a KUBERNETES cloud account whose costs arrive from Kubecost/OpenCost.',
})
export class K8sCluster {
  @Field(() => ID, { description: 'Its cloud account id (the Cloud-Account-Id of remote_write).' })
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, {
    description: 'Where the cluster runs (AWS, GCP, AZURE, ...), as reported or registered.',
  })
  provider!: string;

  @Field(() => String)
  region!: string;

  @Field(() => String)
  owner!: string;

  @Field(() => String)
  version!: string;
}

@ObjectType({
  description:
    "A cluster's remote-write credentials and ready-made sender configuration. The secret is shown only here, once: it is stored hashed.",
})
export class K8sClusterRegistration {
  @Field(() => K8sCluster)
  cluster!: K8sCluster;

  @Field(() => String, {
    description: 'The basic-auth password (user = cluster id), also accepted as a Bearer token.',
  })
  secret!: string;

  @Field(() => String, { description: 'Where the cluster sends remote_write (PUBLIC_URL + /api/v1/write).' })
  remoteWriteUrl!: string;

  @Field(() => String, { description: 'A `remote_write:` block for prometheus.yml (YAML).' })
  remoteWriteConfig!: string;

  @Field(() => String, {
    description: "Kubecost cost-analyzer Helm values (YAML) that make the chart's Prometheus send the same.",
  })
  helmValues!: string;
}

@ObjectType({
  description:
    'One run of the daily cost aggregation of a cluster-day (queued by the scheduler, aggregateK8sCosts or the CLI). Finished runs are kept 7 days (failed ones 30).',
})
export class AggregationRun {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  clusterId!: string;

  @Field(() => String, { description: "The cluster's name when the run was queued." })
  clusterName!: string;

  @Field(() => DateScalar)
  day!: string;

  @Field(() => Boolean, {
    description: 'The day had not ended when queued; once finished, whether the stored day is provisional.',
  })
  provisional!: boolean;

  @Field(() => AggregationRunState)
  state!: RunState;

  @Field(() => Int, { description: '0 queued, 10 computing, 100 finished.' })
  progress!: number;

  @Field(() => Int, {
    description: 'Attempts started so far (retries and pick-ups after a worker died count).',
  })
  attempts!: number;

  @Field(() => Int)
  maxAttempts!: number;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed (FAILED, RETRYING).' })
  error!: string | null;

  @Field(() => DateTimeISOResolver)
  enqueuedAt!: Date;

  @Field(() => DateTimeISOResolver, { nullable: true, description: 'Start of the latest attempt.' })
  startedAt!: Date | null;

  @Field(() => DateTimeISOResolver, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => AggregationWritten, { nullable: true, description: 'Set once SUCCEEDED.' })
  written!: AggregationWritten | null;

  @Field(() => Float, { nullable: true, description: "The day's total cost after the run (US dollars)." })
  totalCost!: number | null;
}

@ObjectType({
  description:
    "A node or volume of a cluster over a range: its metric price beside its bill lines' cost (null when no bill line matched it).",
})
export class K8sReconciledResource {
  @Field(() => K8sResourceKind)
  kind!: K8sResourceKind;

  @Field(() => String, { description: "The cloud's id of the machine or disk, as Kubecost labels it." })
  providerId!: string;

  @Field(() => String, { description: 'The node or persistent volume name.' })
  name!: string;

  @Field(() => Float, { description: 'US dollars at metric (list) prices over the range.' })
  estimated!: number;

  @Field(() => Float, { nullable: true, description: 'US dollars its bill lines carry over the range.' })
  billed!: number | null;

  /** Not exposed: the billed resource the `expense` field loads, and the range. */
  billResourceId!: string | null;
  range!: DayRange;
}

@ObjectType({
  description:
    'A cluster reconciled with the cloud bills over a range: matched nodes and volumes cost what the bill says, the rest keeps its metric price.',
})
export class K8sReconciliation {
  @Field(() => Float, { description: 'The metric-priced total.' })
  estimated!: number;

  @Field(() => Float, { description: 'What the matched bill lines carry.' })
  billed!: number;

  @Field(() => Float, { description: 'What no bill line carries: the cluster cost the unified totals add.' })
  unbilled!: number;

  @Field(() => Float, { description: 'The cluster cost after matching (billed + unbilled).' })
  reconciled!: number;

  @Field(() => Float, { description: 'estimated - reconciled.' })
  difference!: number;

  @Field(() => [K8sReconciledResource])
  resources!: K8sReconciledResource[];
}
