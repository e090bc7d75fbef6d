import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { DateScalar } from './scalars';
import { BreakdownDimension, Provider } from './enums';
import { ExpenseFilterInput } from './inputs';

// Budgets, their alerts, forecasts and anomalies (issue 14).

export enum BudgetPeriod {
  MONTHLY = 'MONTHLY',
  QUARTERLY = 'QUARTERLY',
  YEARLY = 'YEARLY',
}
registerEnumType(BudgetPeriod, {
  name: 'BudgetPeriod',
  description: 'A calendar period in UTC: a month, a quarter (Jan-Mar, ...), a year.',
});

export enum BudgetBasis {
  ACTUAL = 'ACTUAL',
  FORECAST = 'FORECAST',
}
registerEnumType(BudgetBasis, {
  name: 'BudgetBasis',
  description:
    "ACTUAL: the period's spend so far crosses the threshold; FORECAST: its forecast to the period's end does.",
});

export enum BudgetStatus {
  OK = 'OK',
  AT_RISK = 'AT_RISK',
  EXCEEDED = 'EXCEEDED',
}
registerEnumType(BudgetStatus, {
  name: 'BudgetStatus',
  description: 'EXCEEDED: spent reached the amount; AT_RISK: the forecast reaches it; OK otherwise.',
});

/** The dimensions of costAnomalies: BreakdownDimension's values, under the name the alerts contract uses. */
export const ExpenseBreakdownDimension = { ...BreakdownDimension };
export type ExpenseBreakdownDimension = BreakdownDimension;
registerEnumType(ExpenseBreakdownDimension, {
  name: 'ExpenseBreakdownDimension',
  description:
    'What costAnomalies looks at per value of; TAG needs tagKey. K8S_CLUSTER covers Kubernetes rows only.',
});

@InputType()
export class BudgetThresholdInput {
  @Field(() => Float, { description: 'Percent of the amount, more than 0 and at most 1000 (e.g. 80, 100).' })
  percent!: number;

  @Field(() => BudgetBasis)
  basis!: BudgetBasis;
}

@InputType({ description: 'A budget: an amount per period over what the filter selects.' })
export class BudgetInput {
  @Field(() => String)
  name!: string;

  @Field(() => Float, { description: 'US dollars per period.' })
  amount!: number;

  @Field(() => BudgetPeriod)
  period!: BudgetPeriod;

  @Field(() => ExpenseFilterInput, {
    nullable: true,
    description:
      'What the budget watches, as `expenses` filters: a cluster (its cloud account id), an account, a provider, a tag... Omitted: everything the organization spends.',
  })
  filter?: ExpenseFilterInput | null;

  @Field(() => [BudgetThresholdInput], { description: 'One to ten; each fires once per period.' })
  thresholds!: BudgetThresholdInput[];

  @Field(() => String, {
    nullable: true,
    description:
      'http(s) URL alerts are POSTed to as JSON, signed in X-CloudTuner-Signature (sha256=HMAC of the body with the webhookSecret). Private addresses are refused unless ALERT_ALLOW_PRIVATE_URLS=true.',
  })
  webhookUrl?: string | null;
}

@ObjectType()
export class BudgetThreshold {
  @Field(() => Float)
  percent!: number;

  @Field(() => BudgetBasis)
  basis!: BudgetBasis;
}

@ObjectType({ description: 'A tag a filter requires; with a value, the tag must have it.' })
export class TagFilter {
  @Field(() => String)
  key!: string;

  @Field(() => String, { nullable: true })
  value?: string | null;
}

@ObjectType({ description: 'An expense filter as stored with a budget (the fields of ExpenseFilterInput).' })
export class ExpenseFilter {
  @Field(() => [ID], { nullable: true })
  cloudAccountIds?: string[] | null;

  @Field(() => [Provider], { nullable: true })
  providers?: Provider[] | null;

  @Field(() => [String], { nullable: true })
  resourceTypes?: string[] | null;

  @Field(() => [String], { nullable: true })
  regions?: string[] | null;

  @Field(() => [String], { nullable: true })
  services?: string[] | null;

  @Field(() => [String], { nullable: true })
  owners?: string[] | null;

  @Field(() => [TagFilter], { nullable: true })
  tags?: TagFilter[] | null;

  @Field(() => String, { nullable: true })
  nameContains?: string | null;

  @Field(() => [ID], { nullable: true })
  k8sClusterIds?: string[] | null;
}

@ObjectType({ description: 'One attempt to deliver an alert to its webhook.' })
export class AlertDelivery {
  @Field(() => Int)
  attempt!: number;

  @Field(() => DateTimeISOResolver)
  at!: Date;

  @Field(() => Boolean)
  ok!: boolean;

  @Field(() => Int, {
    nullable: true,
    description: "The receiver's HTTP status; null when it did not answer.",
  })
  status!: number | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Int)
  durationMs!: number;
}

@ObjectType({
  description: 'A threshold of a budget crossed in a period: fired once, stored, sent to the webhook.',
})
export class BudgetAlert {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  budgetId!: string;

  @Field(() => String)
  budgetName!: string;

  @Field(() => BudgetThreshold)
  threshold!: BudgetThreshold;

  @Field(() => DateScalar)
  periodStart!: string;

  @Field(() => DateScalar)
  periodEnd!: string;

  @Field(() => Float, { description: "The budget's amount when it fired." })
  amount!: number;

  @Field(() => Float)
  spent!: number;

  @Field(() => Float)
  forecast!: number;

  @Field(() => DateTimeISOResolver)
  firedAt!: Date;

  @Field(() => String, { description: 'The one-line message sent with it.' })
  text!: string;
}

@ObjectType({ description: 'A budget and where it stands in its current period (UTC).' })
export class Budget {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Float, { description: 'US dollars per period.' })
  amount!: number;

  @Field(() => BudgetPeriod)
  period!: BudgetPeriod;

  @Field(() => [BudgetThreshold])
  thresholds!: BudgetThreshold[];

  @Field(() => ExpenseFilter)
  filter!: ExpenseFilter;

  @Field(() => String, { nullable: true })
  webhookUrl!: string | null;

  @Field(() => DateScalar)
  periodStart!: string;

  @Field(() => DateScalar)
  periodEnd!: string;

  @Field(() => Float, {
    description: 'Cost of the period so far (today included), as costSummary computes it.',
  })
  spent!: number;

  @Field(() => Float, {
    description: 'spent plus the forecast of the rest of the period (trend + day of week, see costForecast).',
  })
  forecast!: number;

  @Field(() => Float, { description: "Low end of the forecast's ~95% interval." })
  forecastLow!: number;

  @Field(() => Float)
  forecastHigh!: number;

  @Field(() => BudgetStatus)
  status!: BudgetStatus;

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver)
  updatedAt!: Date;
}

@ObjectType()
export class CreatedBudget {
  @Field(() => Budget)
  budget!: Budget;

  @Field(() => String, {
    nullable: true,
    description: 'Verifies X-CloudTuner-Signature; shown here only. null without a webhookUrl.',
  })
  webhookSecret!: string | null;
}

@ObjectType({ description: 'A forecast day: the expected cost and its ~95% prediction interval.' })
export class ForecastDay {
  @Field(() => DateScalar)
  date!: string;

  @Field(() => Float)
  cost!: number;

  @Field(() => Float)
  low!: number;

  @Field(() => Float)
  high!: number;
}

@ObjectType({ description: "A day whose cost for one key departs from that key's recent pattern." })
export class CostAnomaly {
  @Field(() => DateScalar)
  date!: string;

  @Field(() => String)
  key!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Float, { description: 'Median of the same weekday over the eight weeks before.' })
  expected!: number;

  @Field(() => Float)
  actual!: number;

  @Field(() => Float, { description: 'actual - expected, in US dollars (negative for a drop).' })
  impact!: number;

  @Field(() => Float, { description: '(actual - expected) / (1.4826 · MAD): beyond 3.5 is an anomaly.' })
  score!: number;
}
