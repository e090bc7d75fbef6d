import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { AllocationRequest, K8sAllocationService } from '../services/k8s-allocation.service';
import {
  K8sAllocationArgs,
  K8sAllocationDay,
  K8sAllocationQueryArgs,
  K8sAllocationReport,
  K8sIdleMode,
} from '../schema/allocation.types';
import { K8sCluster } from '../schema/types';
import type { GraphQLContext } from './context';

/** What a report was asked with, kept on it for its `days`. */
interface ReportRequest {
  organizationId: string;
  request: AllocationRequest;
}

function requestOf(args: K8sAllocationArgs, clusterIds?: string[] | null): AllocationRequest {
  return {
    range: { start: args.range.start, end: args.range.end },
    by: args.by,
    labelKey: args.labelKey,
    clusterIds,
    filter: args.filter,
    idle: args.idle ?? K8sIdleMode.SEPARATE,
  };
}

/** `k8sAllocation` over the organization's clusters and `K8sCluster.allocation` for one. */
@Resolver(() => K8sAllocationReport)
export class K8sAllocationResolver {
  constructor(private readonly allocation: K8sAllocationService) {}

  @Query(() => K8sAllocationReport, {
    description:
      "What namespaces, controllers, pods, containers, nodes or label values cost over the range, across the organization's clusters (or `clusterIds`).",
  })
  async k8sAllocation(
    @Ctx() ctx: GraphQLContext,
    @Args(() => K8sAllocationQueryArgs) args: K8sAllocationQueryArgs,
  ): Promise<K8sAllocationReport> {
    return this.report(ctx.viewer.organizationId, requestOf(args, args.clusterIds));
  }

  @FieldResolver(() => [K8sAllocationDay], { description: 'The items day by day, for charts.' })
  async days(@Root() report: K8sAllocationReport): Promise<K8sAllocationDay[]> {
    const { organizationId, request } = report.request as ReportRequest;
    return this.allocation.days(organizationId, request);
  }

  async report(organizationId: string, request: AllocationRequest): Promise<K8sAllocationReport> {
    const result = await this.allocation.report(organizationId, request);
    return { ...result, request: { organizationId, request } satisfies ReportRequest };
  }
}

/** `K8sCluster.allocation`: the same report for one cluster. */
@Resolver(() => K8sCluster)
export class K8sClusterAllocationResolver {
  constructor(private readonly reports: K8sAllocationResolver) {}

  @FieldResolver(() => K8sAllocationReport, {
    description: "This cluster's costs by workload over the range.",
  })
  async allocation(
    @Root() cluster: K8sCluster,
    @Ctx() ctx: GraphQLContext,
    @Args(() => K8sAllocationArgs) args: K8sAllocationArgs,
  ): Promise<K8sAllocationReport> {
    return this.reports.report(ctx.viewer.organizationId, requestOf(args, [cluster.id]));
  }
}
