import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { TokenService } from '../services/token.service';
import type { GraphQLContext } from './context';

/** `revokeApiToken`: an organization withdraws one of its own API tokens. */
@Resolver()
export class ApiTokenResolver {
  constructor(private readonly tokens: TokenService) {}

  @Mutation(() => Boolean, {
    description:
      "Revokes one of the caller's organization's API tokens (the caller's own too): refused at once by this server, by every server within the token cache time (30 s). Another organization's token id is NOT_FOUND.",
  })
  async revokeApiToken(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    await this.tokens.revoke(ctx.viewer.organizationId, id);
    return true;
  }
}
