import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { K8sCostBreakdown } from '../domain/model';
import type { ExpenseService } from '../services/expense.service';
import {
  CloudAccount,
  Expense,
  ExpenseConnection,
  ExpenseDay,
  K8sCluster,
  K8sCosts,
  LastExpense,
  Tag,
} from '../schema/types';
import { DateTimeISOResolver } from 'graphql-scalars';
import { toCluster } from './to-cluster';
import { ExpensesArgs } from '../schema/inputs';
import type { GraphQLContext } from './context';
import type { ResourceDetails } from './loaders';

/** `expenses` and the per-row fields of Expense (batched through DataLoader). */
@Resolver(() => Expense)
export class ExpenseResolver {
  constructor(private readonly expenseService: ExpenseService) {}

  @Query(() => ExpenseConnection, {
    description: 'Resources with their cost over the range, cloud and Kubernetes alike.',
  })
  async expenses(
    @Ctx() ctx: GraphQLContext,
    @Args(() => ExpensesArgs) args: ExpensesArgs,
  ): Promise<ExpenseConnection> {
    const { range, filter, orderBy, first, after } = args;
    const page = await this.expenseService.list(ctx.viewer.organizationId, {
      range: { start: range.start, end: range.end },
      filter,
      orderBy,
      first,
      after,
    });
    return {
      totalCount: page.totalCount,
      totalCost: page.totalCost,
      range: page.range,
      edges: page.rows.map((row, i) => ({
        cursor: page.cursors[i] as string,
        node: Object.assign(new Expense(), row, {
          id: `${row.resourceId}@${page.range.start}..${page.range.end}`,
          range: page.range,
        }),
      })),
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: after !== undefined && after !== null,
        startCursor: page.cursors[0] ?? null,
        endCursor: page.endCursor,
      },
    };
  }

  // A resource's details: the row's own (its ClickHouse query read them) on the embedded default;
  // with MONGODB_URL, MongoDB's document, the system of record, loaded for the whole page at once.
  private async details(expense: Expense, ctx: GraphQLContext): Promise<ResourceDetails> {
    return (await ctx.loaders.resourceDetails?.load(expense.resourceId)) ?? expense;
  }

  @FieldResolver(() => String, { description: "The cloud's own id (instance id, ARN, cluster name)." })
  async cloudResourceId(@Root() expense: Expense, @Ctx() ctx: GraphQLContext): Promise<string> {
    return (await this.details(expense, ctx)).cloudResourceId;
  }

  @FieldResolver(() => String)
  async name(@Root() expense: Expense, @Ctx() ctx: GraphQLContext): Promise<string> {
    return (await this.details(expense, ctx)).name;
  }

  @FieldResolver(() => String)
  async resourceType(@Root() expense: Expense, @Ctx() ctx: GraphQLContext): Promise<string> {
    return (await this.details(expense, ctx)).resourceType;
  }

  @FieldResolver(() => String)
  async region(@Root() expense: Expense, @Ctx() ctx: GraphQLContext): Promise<string> {
    return (await this.details(expense, ctx)).region;
  }

  @FieldResolver(() => String)
  async service(@Root() expense: Expense, @Ctx() ctx: GraphQLContext): Promise<string> {
    return (await this.details(expense, ctx)).service;
  }

  @FieldResolver(() => String)
  async owner(@Root() expense: Expense, @Ctx() ctx: GraphQLContext): Promise<string> {
    return (await this.details(expense, ctx)).owner;
  }

  @FieldResolver(() => [Tag])
  async tags(@Root() expense: Expense, @Ctx() ctx: GraphQLContext): Promise<Tag[]> {
    return (await this.details(expense, ctx)).tags;
  }

  @FieldResolver(() => DateTimeISOResolver)
  async firstSeen(@Root() expense: Expense, @Ctx() ctx: GraphQLContext): Promise<Date> {
    return (await this.details(expense, ctx)).firstSeen;
  }

  @FieldResolver(() => DateTimeISOResolver)
  async lastSeen(@Root() expense: Expense, @Ctx() ctx: GraphQLContext): Promise<Date> {
    return (await this.details(expense, ctx)).lastSeen;
  }

  @FieldResolver(() => CloudAccount)
  async cloudAccount(@Root() expense: Expense, @Ctx() ctx: GraphQLContext): Promise<CloudAccount> {
    const account = await ctx.loaders.cloudAccount.load(expense.cloudAccountId);
    if (!account) throw new Error(`expense ${expense.resourceId} refers to a missing cloud account`);
    return account;
  }

  @FieldResolver(() => LastExpense, {
    nullable: true,
    description: 'The newest day with a cost for this resource, up to the end of the range.',
  })
  async lastExpense(@Root() expense: Expense, @Ctx() ctx: GraphQLContext): Promise<LastExpense | null> {
    return ctx.loaders.lastExpense.load({ id: expense.resourceId, group: expense.range.end });
  }

  @FieldResolver(() => [ExpenseDay], {
    description:
      "The resource's cost on each day of the range, oldest first, one entry per day (0 where nothing was spent): a sparkline's points.",
  })
  async daily(@Root() expense: Expense, @Ctx() ctx: GraphQLContext): Promise<ExpenseDay[]> {
    return (await ctx.loaders.dailyCosts.load({ id: expense.resourceId, group: expense.range })) ?? [];
  }

  @FieldResolver(() => K8sCluster, {
    nullable: true,
    description:
      'For a billed VM or disk: the cluster it is a node or volume of (its cost counts once, here, in the totals).',
  })
  async k8sCluster(@Root() expense: Expense, @Ctx() ctx: GraphQLContext): Promise<K8sCluster | null> {
    if (expense.provider === 'KUBERNETES') return null;
    const clusterId = await ctx.loaders.clusterLink.load(expense.resourceId);
    if (!clusterId) return null;
    const account = await ctx.loaders.cloudAccount.load(clusterId);
    return account && account.type === 'KUBERNETES' ? toCluster(account) : null;
  }

  @FieldResolver(() => K8sCosts, {
    nullable: true,
    description: 'The Kubernetes breakdown over the range: set for cluster rows, null for cloud rows.',
  })
  async k8sCosts(@Root() expense: Expense, @Ctx() ctx: GraphQLContext): Promise<K8sCostBreakdown | null> {
    if (expense.provider !== 'KUBERNETES') return null;
    return ctx.loaders.k8sCostsByResource.load({ id: expense.resourceId, group: expense.range });
  }
}
