import { Arg, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { BudgetInputData, BudgetService, BudgetView } from '../services/budget.service';
import type { CostInsightService } from '../services/cost-insight.service';
import type { BudgetAlert as Alert } from '../domain/budget';
import type { BreakdownDimension, ExpenseFilter as Filter } from '../domain/model';
import {
  AlertDelivery,
  Budget,
  BudgetAlert,
  BudgetInput,
  CostAnomaly,
  CreatedBudget,
  ExpenseBreakdownDimension,
  ForecastDay,
} from '../schema/budget.types';
import { DateRangeInput, ExpenseFilterInput } from '../schema/inputs';
import type { GraphQLContext } from './context';

function toInput(input: BudgetInput): BudgetInputData {
  return {
    name: input.name,
    amount: input.amount,
    period: input.period,
    filter: (input.filter ?? null) as Filter | null,
    thresholds: input.thresholds.map((t) => ({ percent: t.percent, basis: t.basis })),
    webhookUrl: input.webhookUrl ?? null,
  };
}

const toBudget = (view: BudgetView) => view as unknown as Budget;

function toAlert(alert: Alert): BudgetAlert {
  const payload = JSON.parse(alert.payload) as { text?: string };
  return { ...alert, threshold: alert.threshold as BudgetAlert['threshold'], text: payload.text ?? '' };
}

/** Budgets and their alerts, in the caller's organization only. */
@Resolver(() => Budget)
export class BudgetResolver {
  constructor(private readonly budgets: BudgetService) {}

  @Query(() => [Budget], {
    name: 'budgets',
    description: "The organization's budgets, by name, each in its current period.",
  })
  async allBudgets(@Ctx() ctx: GraphQLContext): Promise<Budget[]> {
    return (await this.budgets.list(ctx.viewer.organizationId)).map(toBudget);
  }

  @Query(() => Budget, {
    nullable: true,
    description: 'null when the organization has no budget with this id.',
  })
  async budget(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Budget | null> {
    const view = await this.budgets.get(ctx.viewer.organizationId, id);
    return view ? toBudget(view) : null;
  }

  @Query(() => [BudgetAlert], { description: "The organization's fired alerts, newest first." })
  async budgetAlerts(
    @Ctx() ctx: GraphQLContext,
    @Arg('budgetId', () => ID, { nullable: true }) budgetId: string | null,
    @Arg('first', () => Int, { defaultValue: 50, description: '1 to 500.' }) first: number,
  ): Promise<BudgetAlert[]> {
    const alerts = await this.budgets.alerts(ctx.viewer.organizationId, {
      budgetIds: budgetId ? [budgetId] : undefined,
      first,
    });
    return alerts.map(toAlert);
  }

  @Mutation(() => CreatedBudget, {
    description: 'Creates a budget. The webhookSecret that signs its alerts is shown here only.',
  })
  async createBudget(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => BudgetInput) input: BudgetInput,
  ): Promise<CreatedBudget> {
    const created = await this.budgets.create(ctx.viewer.organizationId, toInput(input));
    return { budget: toBudget(created.budget), webhookSecret: created.webhookSecret };
  }

  @Mutation(() => Budget, {
    description:
      "Replaces a budget's settings (its webhook secret stays). Another organization's budget is NOT_FOUND.",
  })
  async updateBudget(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => BudgetInput) input: BudgetInput,
  ): Promise<Budget> {
    return toBudget(await this.budgets.update(ctx.viewer.organizationId, id, toInput(input)));
  }

  @Mutation(() => Boolean, {
    description: "Deletes a budget (its alerts stay). Another organization's is NOT_FOUND.",
  })
  async deleteBudget(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    return this.budgets.delete(ctx.viewer.organizationId, id);
  }

  @Mutation(() => [BudgetAlert], {
    description:
      "Evaluates the organization's budgets now; returns the alerts this call fired (a threshold fires once per period).",
  })
  async evaluateBudgets(@Ctx() ctx: GraphQLContext): Promise<BudgetAlert[]> {
    return (await this.budgets.evaluate(ctx.viewer.organizationId)).map(toAlert);
  }

  @FieldResolver(() => [BudgetAlert], {
    description: "This budget's fired alerts, newest first (at most 100).",
  })
  async alerts(@Root() budget: Budget, @Ctx() ctx: GraphQLContext): Promise<BudgetAlert[]> {
    return (await ctx.loaders.budgetAlerts.load(budget.id)).map(toAlert);
  }
}

/** An alert's deliveries, batched per request (one query for every alert of a response). */
@Resolver(() => BudgetAlert)
export class BudgetAlertResolver {
  @FieldResolver(() => [AlertDelivery], { description: 'Every attempt to deliver it, oldest first.' })
  async deliveries(@Root() alert: BudgetAlert, @Ctx() ctx: GraphQLContext): Promise<AlertDelivery[]> {
    return ctx.loaders.alertDeliveries.load(alert.id);
  }

  @FieldResolver(() => Boolean, { description: 'Whether an attempt reached the webhook (2xx).' })
  async delivered(@Root() alert: BudgetAlert, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    return (await ctx.loaders.alertDeliveries.load(alert.id)).some((a) => a.ok);
  }
}

/** Forecasts and anomalies over the unified daily costs. */
@Resolver()
export class CostInsightResolver {
  constructor(private readonly insight: CostInsightService) {}

  @Query(() => [ForecastDay], {
    description:
      'Cost per day of the range forecast from the 91 whole days before it (or before today): linear trend + day-of-week OLS (Hyndman & Athanasopoulos, FPP 7.4), with ~95% prediction intervals.',
  })
  async costForecast(
    @Ctx() ctx: GraphQLContext,
    @Arg('range', () => DateRangeInput) range: DateRangeInput,
    @Arg('filter', () => ExpenseFilterInput, { nullable: true }) filter: ExpenseFilterInput | null,
  ): Promise<ForecastDay[]> {
    return this.insight.forecast(
      ctx.viewer.organizationId,
      { start: range.start, end: range.end },
      (filter ?? {}) as Filter,
    );
  }

  @Query(() => [CostAnomaly], {
    description:
      'Days of the range whose cost for a value of `by` departs from its pattern: beyond 3.5 robust z (median and MAD of the same weekday over eight weeks) and at least `minImpact` dollars. Largest impact first.',
  })
  async costAnomalies(
    @Ctx() ctx: GraphQLContext,
    @Arg('range', () => DateRangeInput) range: DateRangeInput,
    @Arg('by', () => ExpenseBreakdownDimension) by: ExpenseBreakdownDimension,
    @Arg('filter', () => ExpenseFilterInput, { nullable: true }) filter: ExpenseFilterInput | null,
    @Arg('tagKey', () => String, { nullable: true, description: 'Required when by is TAG.' })
    tagKey: string | null,
    @Arg('minImpact', () => Float, { nullable: true, description: 'Dollars; default 10.' })
    minImpact: number | null,
  ): Promise<CostAnomaly[]> {
    return this.insight.anomalies(ctx.viewer.organizationId, {
      range: { start: range.start, end: range.end },
      by: by as unknown as BreakdownDimension,
      tagKey,
      filter: (filter ?? {}) as Filter,
      minImpact,
    });
  }
}
