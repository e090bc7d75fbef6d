import { Arg, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { K8sReconciliationService } from '../services/k8s-reconciliation.service';
import { validateRange } from '../services/ranges';
import { K8sCluster, K8sReconciliation } from '../schema/types';
import { DateRangeInput } from '../schema/inputs';
import { K8sResourceKind } from '../schema/enums';
import type { GraphQLContext } from './context';

/** `K8sCluster.reconciliation`: the cluster's costs before and after matching them to the bills. */
@Resolver(() => K8sCluster)
export class K8sReconciliationResolver {
  constructor(private readonly service: K8sReconciliationService) {}

  @FieldResolver(() => K8sReconciliation, {
    description:
      "The cluster's metric-priced cost against its nodes' and volumes' bill lines over the range (see the README's counting rule).",
  })
  async reconciliation(
    @Root() cluster: K8sCluster,
    @Ctx() ctx: GraphQLContext,
    @Arg('range', () => DateRangeInput) range: DateRangeInput,
  ): Promise<K8sReconciliation> {
    const checked = validateRange({ start: range.start, end: range.end });
    const result = await this.service.reconciliation(ctx.viewer.organizationId, cluster.id, checked);
    return {
      ...result,
      resources: result.resources.map((r) => ({ ...r, kind: r.kind as K8sResourceKind, range: checked })),
    };
  }
}
