import { Ctx, Query, Resolver } from 'type-graphql';
import type { CloudAccountService } from '../services/cloud-account.service';
import { CloudAccount } from '../schema/types';
import type { GraphQLContext } from './context';

/** The caller's cloud accounts. */
@Resolver(() => CloudAccount)
export class CloudAccountResolver {
  constructor(private readonly accounts: CloudAccountService) {}

  @Query(() => [CloudAccount], { description: "The organization's cloud accounts and clusters." })
  async cloudAccounts(@Ctx() ctx: GraphQLContext): Promise<CloudAccount[]> {
    return this.accounts.list(ctx.viewer.organizationId);
  }
}
