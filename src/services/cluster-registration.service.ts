import { randomBytes, randomUUID } from 'node:crypto';
import type {
  CloudAccountRepository,
  ClusterCredentialRepository,
  OrganizationRepository,
} from '../domain/ports';
import type { CloudAccount } from '../domain/model';
import { badInput, notFound } from '../errors';
import { hashSecret } from '../domain/tenancy';
import { senderConfig } from './sender-config';

const SECRET_PREFIX = 'ctw_';

/** What registration and rotation hand back; the secret is not recoverable later. */
export interface ClusterRegistration {
  cluster: CloudAccount;
  secret: string;
  remoteWriteUrl: string;
  /** A `remote_write:` block for prometheus.yml. */
  remoteWriteConfig: string;
  /** Values for the Kubecost cost-analyzer Helm chart that set up the same. */
  helmValues: string;
}

export interface RegisterClusterInput {
  name: string;
  /** Where the cluster runs (AWS, GCP, AZURE, on-prem); kubecost_cluster_info updates it later. */
  provider?: string | null;
  region?: string | null;
  owner?: string | null;
}

export interface ClusterRegistrationOptions {
  /** Base URL clusters reach this service at (PUBLIC_URL). */
  publicUrl: string;
  /** Called once a cluster's credentials are revoked (evicts this process's auth cache). */
  onRevoked?: (cloudAccountId: string) => void;
}

/**
 * Registers Kubernetes clusters as KUBERNETES cloud accounts and issues their remote-write
 * credentials: a random 256-bit secret, shown once, stored as its SHA-256.
 */
export class ClusterRegistrationService {
  constructor(
    private readonly organizations: OrganizationRepository,
    private readonly accounts: CloudAccountRepository,
    private readonly credentials: ClusterCredentialRepository,
    private readonly options: ClusterRegistrationOptions,
  ) {}

  /** Creates the cluster's cloud account and its first credential. */
  async register(organizationId: string, input: RegisterClusterInput): Promise<ClusterRegistration> {
    const name = text('input.name', input.name, 200);
    if (!name) throw badInput('input.name', 'must not be empty');
    if (!(await this.organizations.get(organizationId))) throw notFound('organization', organizationId);
    const cluster: CloudAccount = {
      id: randomUUID(),
      organizationId,
      name,
      type: 'KUBERNETES',
      accountRef: '',
      k8sProvider: text('input.provider', input.provider, 64),
      region: text('input.region', input.region, 100),
      owner: text('input.owner', input.owner, 200),
      version: '',
      deleted: false,
      createdAt: new Date(),
    };
    await this.accounts.save(cluster);
    return this.issue(cluster);
  }

  /** Revokes the cluster's secrets and issues a new one. */
  async rotate(organizationId: string, id: string): Promise<ClusterRegistration> {
    const cluster = await this.liveCluster(organizationId, id);
    await this.revoke(id);
    return this.issue(cluster);
  }

  /**
   * Marks the cluster deleted and revokes its credentials at once; its cost history stays.
   * Other processes honour the revocation within their auth cache time.
   */
  async delete(organizationId: string, id: string): Promise<string> {
    const cluster = await this.liveCluster(organizationId, id);
    await this.accounts.save({ ...cluster, deleted: true });
    await this.revoke(id);
    return id;
  }

  private async liveCluster(organizationId: string, id: string): Promise<CloudAccount> {
    const [account] = await this.accounts.getMany(organizationId, [id]);
    // Another organization's cluster is indistinguishable from a missing one.
    if (!account || account.type !== 'KUBERNETES' || account.deleted) throw notFound('cluster', id);
    return account;
  }

  private async revoke(id: string): Promise<void> {
    await this.credentials.revokeAll(id);
    this.options.onRevoked?.(id);
  }

  private async issue(cluster: CloudAccount): Promise<ClusterRegistration> {
    const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
    await this.credentials.create(cluster.id, hashSecret(secret));
    const remoteWriteUrl = `${this.options.publicUrl}/api/v1/write`;
    return {
      cluster,
      secret,
      remoteWriteUrl,
      ...senderConfig({ url: remoteWriteUrl, clusterId: cluster.id, clusterName: cluster.name, secret }),
    };
  }
}

function text(argument: string, value: string | null | undefined, max: number): string {
  const trimmed = (value ?? '').trim();
  if (trimmed.length > max) throw badInput(argument, `must be at most ${max} characters`);
  return trimmed;
}
