import { Args, Ctx, Query, Resolver } from 'type-graphql';
import type { ExpenseService } from '../services/expense.service';
import { CostSummary, ExpenseBreakdown } from '../schema/types';
import { CostSummaryArgs, ExpenseBreakdownArgs } from '../schema/inputs';
import type { GraphQLContext } from './context';

/** Time series and totals over expenses: `expenseBreakdown` and `costSummary`. */
@Resolver()
export class CostReportResolver {
  constructor(private readonly expenses: ExpenseService) {}

  @Query(() => ExpenseBreakdown, {
    description:
      'Cost per day split by one dimension, with per-key totals against the previous period of the same length.',
  })
  async expenseBreakdown(
    @Ctx() ctx: GraphQLContext,
    @Args(() => ExpenseBreakdownArgs) { range, by, tagKey, filter }: ExpenseBreakdownArgs,
  ): Promise<ExpenseBreakdown> {
    return this.expenses.breakdown(ctx.viewer.organizationId, {
      range: { start: range.start, end: range.end },
      by,
      tagKey,
      filter,
    });
  }

  @Query(() => CostSummary, {
    description: 'Total over the range, the previous period of the same length, and per provider.',
  })
  async costSummary(
    @Ctx() ctx: GraphQLContext,
    @Args(() => CostSummaryArgs) { range, filter }: CostSummaryArgs,
  ): Promise<CostSummary> {
    return this.expenses.summary(ctx.viewer.organizationId, {
      range: { start: range.start, end: range.end },
      filter,
    });
  }
}
