import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type {
  ClusterRegistration,
  ClusterRegistrationService,
} from '../services/cluster-registration.service';
import { K8sClusterRegistration } from '../schema/types';
import { RegisterK8sClusterInput } from '../schema/inputs';
import type { GraphQLContext } from './context';
import { toCluster } from './to-cluster';

function toRegistration(registration: ClusterRegistration): K8sClusterRegistration {
  return { ...registration, cluster: toCluster(registration.cluster) };
}

/** Registering clusters for remote_write, rotating their secret, deleting them. */
@Resolver()
export class K8sClusterRegistrationResolver {
  constructor(private readonly registrations: ClusterRegistrationService) {}

  @Mutation(() => K8sClusterRegistration, {
    description: 'Registers a cluster and issues its remote-write secret (shown once).',
  })
  async registerK8sCluster(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => RegisterK8sClusterInput) input: RegisterK8sClusterInput,
  ): Promise<K8sClusterRegistration> {
    return toRegistration(await this.registrations.register(ctx.viewer.organizationId, input));
  }

  @Mutation(() => K8sClusterRegistration, {
    description: "Revokes the cluster's secrets and issues a new one (shown once).",
  })
  async rotateK8sClusterCredentials(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
  ): Promise<K8sClusterRegistration> {
    return toRegistration(await this.registrations.rotate(ctx.viewer.organizationId, id));
  }

  @Mutation(() => ID, {
    description:
      'Deletes a cluster: its remote_write is refused (403) at once on this server, within INGEST_AUTH_CACHE_SECONDS on others. Its cost history stays. Returns its id.',
  })
  async deleteK8sCluster(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<string> {
    return this.registrations.delete(ctx.viewer.organizationId, id);
  }
}
