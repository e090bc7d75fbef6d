import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { DateScalar } from './scalars';
import { AggregationRunState, BreakdownDimension, ExpenseOrderField, Provider, SortDirection } from './enums';

@InputType({ description: 'Whole UTC days, both ends included; at most 366 days.' })
export class DateRangeInput {
  @Field(() => DateScalar)
  start!: string;

  @Field(() => DateScalar)
  end!: string;
}

@InputType({ description: 'A tag that must be present; with a value, the tag must have that value.' })
export class TagFilterInput {
  @Field(() => String)
  key!: string;

  @Field(() => String, { nullable: true })
  value?: string | null;
}

@InputType({ description: 'Every given list must match (AND); values within a list are alternatives (OR).' })
export class ExpenseFilterInput {
  @Field(() => [ID], { nullable: true })
  cloudAccountIds?: string[];

  @Field(() => [Provider], { nullable: true })
  providers?: Provider[];

  @Field(() => [String], { nullable: true })
  resourceTypes?: string[];

  @Field(() => [String], { nullable: true })
  regions?: string[];

  @Field(() => [String], { nullable: true })
  services?: string[];

  @Field(() => [String], { nullable: true })
  owners?: string[];

  @Field(() => [TagFilterInput], { nullable: true })
  tags?: TagFilterInput[];

  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of the resource name.' })
  nameContains?: string;

  @Field(() => [ID], {
    nullable: true,
    description:
      "These Kubernetes clusters' whole cost: each cluster's own row (what no bill carries) and the billed VMs and disks reconciled as its nodes and volumes.",
  })
  k8sClusterIds?: string[];
}

@InputType()
export class ExpenseOrderInput {
  @Field(() => ExpenseOrderField, { defaultValue: ExpenseOrderField.COST })
  field!: ExpenseOrderField;

  @Field(() => SortDirection, { defaultValue: SortDirection.DESC })
  direction!: SortDirection;
}

@ArgsType()
export class ExpensesArgs {
  @Field(() => DateRangeInput)
  range!: DateRangeInput;

  @Field(() => ExpenseFilterInput, { nullable: true })
  filter?: ExpenseFilterInput;

  @Field(() => ExpenseOrderInput, {
    nullable: true,
    description: 'Default: cost, biggest first. Ties go by resource id.',
  })
  orderBy?: ExpenseOrderInput;

  @Field(() => Int, { defaultValue: 50, description: 'Page size, 1 to 1000.' })
  first!: number;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page.' })
  after?: string;
}

@ArgsType()
export class ExpenseBreakdownArgs {
  @Field(() => DateRangeInput)
  range!: DateRangeInput;

  @Field(() => BreakdownDimension)
  by!: BreakdownDimension;

  @Field(() => String, { nullable: true, description: 'The tag key to split by; required when by is TAG.' })
  tagKey?: string;

  @Field(() => ExpenseFilterInput, { nullable: true })
  filter?: ExpenseFilterInput;
}

@ArgsType()
export class CostSummaryArgs {
  @Field(() => DateRangeInput)
  range!: DateRangeInput;

  @Field(() => ExpenseFilterInput, { nullable: true })
  filter?: ExpenseFilterInput;
}

@InputType({ description: 'A Kubernetes cluster to register; it becomes a KUBERNETES cloud account.' })
export class RegisterK8sClusterInput {
  @Field(() => String)
  name!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Where it runs (AWS, GCP, AZURE, on-prem); kubecost_cluster_info updates it.',
  })
  provider?: string | null;

  @Field(() => String, { nullable: true })
  region?: string | null;

  @Field(() => String, { nullable: true })
  owner?: string | null;
}

@InputType({ description: 'Cluster-days to (re)compute: every day of the range for every cluster given.' })
export class AggregateK8sCostsInput {
  @Field(() => [ID], {
    nullable: true,
    description: "Clusters of the caller's organization; left out: all of them.",
  })
  clusterIds?: string[] | null;

  @Field(() => DateRangeInput, {
    description: 'Days to compute; today is computed as provisional, days after today are refused.',
  })
  range!: DateRangeInput;
}

@InputType({ description: 'Every given list must match (AND); values within a list are alternatives (OR).' })
export class AggregationRunFilterInput {
  @Field(() => [ID], { nullable: true })
  clusterIds?: string[] | null;

  @Field(() => [AggregationRunState], { nullable: true })
  states?: AggregationRunState[] | null;

  @Field(() => DateRangeInput, { nullable: true, description: 'Runs of days within this range.' })
  range?: DateRangeInput | null;
}
