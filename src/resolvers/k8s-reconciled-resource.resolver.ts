import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Expense, K8sReconciledResource } from '../schema/types';
import type { GraphQLContext } from './context';

/** `K8sReconciledResource.expense`: the bill's resource a node or volume matched, over the same range. */
@Resolver(() => K8sReconciledResource)
export class K8sReconciledResourceResolver {
  @FieldResolver(() => Expense, {
    nullable: true,
    description: 'The billed resource it matched, over the range.',
  })
  async expense(
    @Root() resource: K8sReconciledResource,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Expense | null> {
    if (!resource.billResourceId) return null;
    const row = await ctx.loaders.expenseByResource.load({
      id: resource.billResourceId,
      group: resource.range,
    });
    if (!row) return null;
    return Object.assign(new Expense(), row, {
      id: `${row.resourceId}@${resource.range.start}..${resource.range.end}`,
      range: resource.range,
    });
  }
}
