import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import type { K8sCostBreakdown } from '../domain/model';
import { zeroBreakdown } from '../domain/k8s-cost-components';
import type { K8sClusterService } from '../services/k8s-cluster.service';
import { validateRange } from '../services/ranges';
import { K8sCluster, K8sCosts, K8sDailyCost } from '../schema/types';
import { DateRangeInput } from '../schema/inputs';
import { K8sClusterStatus } from '../schema/enums';
import type { GraphQLContext } from './context';
import { toCluster } from './to-cluster';

const ZERO: K8sCostBreakdown = zeroBreakdown();

/** `k8sClusters`, `k8sCluster(id)` and the cluster's status and cost fields. */
@Resolver(() => K8sCluster)
export class K8sClusterResolver {
  constructor(private readonly clusters: K8sClusterService) {}

  @Query(() => [K8sCluster])
  async k8sClusters(@Ctx() ctx: GraphQLContext): Promise<K8sCluster[]> {
    return (await this.clusters.list(ctx.viewer.organizationId)).map(toCluster);
  }

  @Query(() => K8sCluster, {
    nullable: true,
    description: "null when no cluster of the caller's organization has this id.",
  })
  async k8sCluster(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<K8sCluster | null> {
    const account = await this.clusters.get(ctx.viewer.organizationId, id);
    return account ? toCluster(account) : null;
  }

  @FieldResolver(() => DateTimeISOResolver, {
    nullable: true,
    description: 'Time of the newest sample received.',
  })
  async lastDataAt(@Root() cluster: K8sCluster, @Ctx() ctx: GraphQLContext): Promise<Date | null> {
    return ctx.loaders.clusterLastDataAt.load(cluster.id);
  }

  @FieldResolver(() => K8sClusterStatus)
  async status(@Root() cluster: K8sCluster, @Ctx() ctx: GraphQLContext): Promise<K8sClusterStatus> {
    return this.clusters.status(await ctx.loaders.clusterLastDataAt.load(cluster.id)) as K8sClusterStatus;
  }

  @FieldResolver(() => K8sCosts, { description: 'The breakdown summed over the range (zeros when no data).' })
  async costs(
    @Root() cluster: K8sCluster,
    @Ctx() ctx: GraphQLContext,
    @Arg('range', () => DateRangeInput) range: DateRangeInput,
  ): Promise<K8sCostBreakdown> {
    const checked = validateRange({ start: range.start, end: range.end });
    return (await ctx.loaders.clusterCosts.load({ id: cluster.id, group: checked })) ?? ZERO;
  }

  @FieldResolver(() => [K8sDailyCost], { description: 'One breakdown per day that has data, in date order.' })
  async dailyCosts(
    @Root() cluster: K8sCluster,
    @Ctx() ctx: GraphQLContext,
    @Arg('range', () => DateRangeInput) range: DateRangeInput,
  ): Promise<K8sDailyCost[]> {
    const checked = validateRange({ start: range.start, end: range.end });
    return (await ctx.loaders.clusterDailyCosts.load({ id: cluster.id, group: checked })) ?? [];
  }
}
