import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { AggregationRun as Run } from '../domain/aggregation-run';
import type { AggregationRunService } from '../services/aggregation-run.service';
import { AggregationRun } from '../schema/types';
import { AggregateK8sCostsInput, AggregationRunFilterInput } from '../schema/inputs';
import { AggregationWritten } from '../schema/enums';
import type { GraphQLContext } from './context';

function toGraphQL(run: Run): AggregationRun {
  return {
    ...run,
    written: run.written ? (run.written.toUpperCase() as AggregationWritten) : null,
  };
}

/** Queueing cluster-day aggregations (backfill) and watching their runs. */
@Resolver()
export class AggregationRunResolver {
  constructor(private readonly runs: AggregationRunService) {}

  @Mutation(() => [AggregationRun], {
    description:
      "Queues one run per cluster and day (today as provisional). A cluster-day that already has a run of the same kind waiting or running answers with that run. Another organization's cluster is NOT_FOUND.",
  })
  async aggregateK8sCosts(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => AggregateK8sCostsInput) input: AggregateK8sCostsInput,
  ): Promise<AggregationRun[]> {
    const runs = await this.runs.request(
      ctx.viewer.organizationId,
      { clusterIds: input.clusterIds, range: { start: input.range.start, end: input.range.end } },
      'api',
    );
    return runs.map(toGraphQL);
  }

  @Query(() => [AggregationRun], { description: "The caller's organization's runs, newest first." })
  async aggregationRuns(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => AggregationRunFilterInput, { nullable: true })
    filter: AggregationRunFilterInput | null,
    @Arg('first', () => Int, { defaultValue: 50, description: 'At most this many runs, 1 to 500.' })
    first: number,
  ): Promise<AggregationRun[]> {
    const runs = await this.runs.list(
      ctx.viewer.organizationId,
      filter
        ? {
            clusterIds: filter.clusterIds ?? undefined,
            states: filter.states ?? undefined,
            range: filter.range ? { start: filter.range.start, end: filter.range.end } : undefined,
          }
        : undefined,
      first,
    );
    return runs.map(toGraphQL);
  }
}
