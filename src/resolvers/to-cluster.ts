import type { CloudAccount } from '../domain/model';
import type { K8sCluster } from '../schema/types';

/** The GraphQL view of a KUBERNETES cloud account. */
export function toCluster(account: CloudAccount): K8sCluster {
  return {
    id: account.id,
    name: account.name,
    provider: account.k8sProvider,
    region: account.region,
    owner: account.owner,
    version: account.version,
  };
}
