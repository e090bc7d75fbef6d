import { createHash } from 'node:crypto';

/**
 * The tenancy rules, in one place. The organization is the tenant: it owns cloud accounts (AWS,
 * Azure, GCP, Kubernetes; one Kubernetes account = one cluster) and everything recorded against
 * them. The server alone decides which organization a request acts for; nothing a client sends
 * (an id, a label, a header) can widen that.
 *
 * 1. GraphQL callers: an API token (`Authorization: Bearer ctk_...`) is looked up by its SHA-256
 *    ({@link hashSecret}) and yields a Viewer bound to one organization (TokenService). Every
 *    resolver passes `viewer.organizationId` down; no argument can name another organization.
 * 2. Reads and writes in ClickHouse: every tenant-scoped statement is scoped in SQL by the
 *    fragments of `src/store/tenant-scope.sql.ts` (`organization_id = {org:String}` on metadata
 *    and resources, `cloud_account_id IN (<the organization's accounts>)` on cost rows), so an id
 *    of another organization simply finds nothing.
 * 3. Remote-write senders: a cluster proves itself with the secret issued at registration
 *    (basic auth user = its cloud account id, or a bearer secret), stored only as
 *    {@link hashSecret} (SenderAuthenticator). A `Cloud-Account-Id` header, when sent, must name
 *    the same cluster.
 * 4. Metrics: the ingest overwrites {@link TENANT_LABEL} in every series with the authenticated
 *    cluster's id and sets the backend's tenant header (METRICS_TENANT_HEADER: `THANOS-TENANT`,
 *    or `X-Scope-OrgID` for Mimir) itself; every PromQL query of the jobs carries the
 *    `cloud_account_id="<cluster>"` matcher and the same header.
 *
 * A few lookups are global on purpose, each because no organization is in play yet or the caller
 * is the system itself; each says why at its port (`domain/ports`): sender credentials by hash
 * (the sender is not authenticated yet), `CloudAccountLookup.findById` and
 * `ClusterDirectory.listActiveClusters` (jobs and schedules act for every organization, on ids
 * they were given by an already scoped request or the schedule), and `lastDataAt(ids)` (called
 * only with ids an organization-scoped read returned).
 */

/** The metrics label that carries the tenant: the cluster's cloud account id, set by the ingest. */
export const TENANT_LABEL = 'cloud_account_id';

/** SHA-256 hex of a secret (API token, cluster secret): what is stored and looked up. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
