import type { CloudAccount, Organization, Provider } from '../model';
import type { ResourceRecord } from './cost-store';

// Organizations, cloud accounts, API tokens and cluster credentials: small records looked up by
// id. ClickHouse implements them today (src/store); a MongoDB adapter can implement them too.

/**
 * Organizations themselves. Global by nature: an organization is the tenant, and these are
 * called by operator commands (`org create`, `--org ID`) and with a Viewer's own organization id.
 */
export interface OrganizationRepository {
  create(org: Organization): Promise<void>;
  get(id: string): Promise<Organization | null>;
  findByName(name: string): Promise<Organization | null>;
}

export interface CloudAccountRepository {
  save(account: CloudAccount): Promise<void>;
  /** Several accounts in one write (an import that finds dozens of new accounts at once). */
  saveMany(accounts: readonly CloudAccount[]): Promise<void>;
  /** The organization's live accounts, optionally of one type. */
  list(organizationId: string, type?: Provider): Promise<CloudAccount[]>;
  /** Accounts with these ids that belong to the organization; others are silently absent. */
  getMany(organizationId: string, ids: readonly string[]): Promise<CloudAccount[]>;
  /**
   * Newest sample time per cluster, for the given cluster ids. Global on purpose: it is only
   * called with ids an organization-scoped read just returned, and one batched query serves them.
   */
  lastDataAt(ids: readonly string[]): Promise<Map<string, Date>>;
  /** Global on purpose: the ingest records the cluster it authenticated, before any read. */
  recordDataAt(id: string, at: Date): Promise<void>;
}

/**
 * Looks an account up by id alone. Global on purpose: a job runs outside any organization's
 * request, on a cluster id that an organization-scoped request or the schedule queued.
 */
export interface CloudAccountLookup {
  /** The account whatever its organization, deleted ones included; null if absent. */
  findById(id: string): Promise<CloudAccount | null>;
}

export interface StoredToken {
  id: string;
  organizationId: string;
  name: string;
  revoked: boolean;
}

export interface ApiTokenRepository {
  create(tokenHash: string, token: StoredToken): Promise<void>;
  /** Global on purpose: the caller is not authenticated yet; the hash is what proves who it is. */
  findByHash(tokenHash: string): Promise<StoredToken | null>;
  /**
   * Marks the organization's token `id` revoked; returns its hash (to evict caches), or null
   * when the organization has no such token (another organization's id is simply not found).
   */
  revoke(organizationId: string, id: string): Promise<string | null>;
}

/** A cluster's remote-write credential as stored, with the state of the account it opens. */
export interface StoredClusterCredential {
  cloudAccountId: string;
  organizationId: string;
  /** SHA-256 (hex) of the secret; the secret itself is never stored. */
  secretHash: string;
  revoked: boolean;
  /** The cluster's cloud account is deleted. */
  accountDeleted: boolean;
}

/** Remote-write credentials of clusters (KUBERNETES cloud accounts). */
export interface ClusterCredentialRepository {
  create(cloudAccountId: string, secretHash: string): Promise<void>;
  /**
   * Every credential of one cluster, live and revoked (basic auth compares against them). Global
   * on purpose, like findByHash: the sender is not authenticated yet.
   */
  listByAccount(cloudAccountId: string): Promise<StoredClusterCredential[]>;
  /** The credential with this secret hash (bearer auth), live or revoked. */
  findByHash(secretHash: string): Promise<StoredClusterCredential | null>;
  /** Revokes every live credential of the cluster. */
  revokeAll(cloudAccountId: string): Promise<void>;
}

/**
 * Resource details by id from the metadata's system of record (MongoDB, with MONGODB_URL), for
 * the GraphQL fields that show them. Without MONGODB_URL there is none: an expense row carries its
 * details from the same ClickHouse query that found it.
 */
export interface ResourceDirectory {
  /** The organization's resources with these ids; others (another organization's) are absent. */
  getMany(organizationId: string, ids: readonly string[]): Promise<Map<string, ResourceRecord>>;
}
