import type {
  BillCandidates,
  ClusterResourceLink,
  ReconciliationStore,
  StoredEstimate,
} from '../domain/ports';
import type { BilledLine, ClusterDayEstimate } from '../domain/reconciliation';
import { addDays, toClickHouseTime } from '../domain/days';
import { ORG_ACCOUNTS, ownedBy } from './tenant-scope.sql';
import type { Db } from './db';

/** Cluster-day estimates, the bill lines they may match, and the links found (issue 11). */
export class ClickHouseReconciliationStore implements ReconciliationStore {
  constructor(private readonly db: Db) {}

  async saveEstimates(estimates: readonly StoredEstimate[]): Promise<void> {
    if (!estimates.length) return;
    const computedAt = toClickHouseTime(new Date());
    await this.db.insert(
      'k8s_cost_estimates',
      estimates.map((e) => ({
        cloud_account_id: e.clusterId,
        date: `${e.date} 00:00:00`,
        provisional: e.provisional ? 1 : 0,
        estimate: JSON.stringify(e.estimate),
        computed_at: computedAt,
      })),
    );
  }

  async estimates(
    organizationId: string,
    from: string,
    to: string,
    clusterIds?: readonly string[],
  ): Promise<StoredEstimate[]> {
    const rows = await this.db.query<{ cluster: string; day: string; provisional: number; estimate: string }>(
      `SELECT cloud_account_id AS cluster, toString(toDate(date)) AS day, provisional, estimate
       FROM {db:Identifier}.k8s_cost_estimates FINAL
       WHERE cloud_account_id IN (${ORG_ACCOUNTS})
         ${clusterIds ? 'AND cloud_account_id IN {ids:Array(String)}' : ''}
         AND date >= {from:DateTime('UTC')} AND date < {until:DateTime('UTC')}
       ORDER BY cluster, day`,
      { org: organizationId, ids: clusterIds ?? [], ...range(from, to) },
    );
    return rows.map((row) => ({
      clusterId: row.cluster,
      date: row.day,
      provisional: Number(row.provisional) === 1,
      estimate: JSON.parse(row.estimate) as ClusterDayEstimate,
    }));
  }

  async billedLines(
    organizationId: string,
    from: string,
    to: string,
    candidates: BillCandidates,
  ): Promise<BilledLine[]> {
    if (!candidates.exact.length && !candidates.suffixes.length) return [];
    // The organization's cloud (not cluster) resources whose id may name a node or volume, then
    // their cost per day, net of -1/+1 corrections, like every read of expenses.
    const rows = await this.db.query<{
      resource_id: string;
      cloud_resource_id: string;
      provider: string;
      account_ref: string;
      day: string;
      cost: number;
    }>(
      `SELECT e.resource_id AS resource_id, any(r.cloud_resource_id) AS cloud_resource_id,
              any(a.type) AS provider, any(a.account_ref) AS account_ref,
              toString(toDate(e.date)) AS day, toFloat64(sum(round(toDecimal128(e.cost, 12), 10) * e.sign)) AS cost
       FROM {db:Identifier}.expenses AS e
       INNER JOIN (
         SELECT id, cloud_account_id, cloud_resource_id FROM {db:Identifier}.resources FINAL
         WHERE ${ownedBy()}
           AND (lower(cloud_resource_id) IN {exact:Array(String)}
                OR arrayExists(s -> endsWith(lower(cloud_resource_id), s), {suffixes:Array(String)}))
       ) AS r ON r.id = e.resource_id
       INNER JOIN (
         SELECT id, type, account_ref FROM {db:Identifier}.cloud_accounts FINAL
         WHERE ${ownedBy()} AND type IN ('AWS', 'GCP', 'AZURE')
       ) AS a ON a.id = e.cloud_account_id
       WHERE e.cloud_account_id IN (${ORG_ACCOUNTS})
         AND e.date >= {from:DateTime('UTC')} AND e.date < {until:DateTime('UTC')}
       GROUP BY resource_id, day
       HAVING sum(e.sign) > 0
       ORDER BY day, resource_id`,
      { org: organizationId, exact: candidates.exact, suffixes: candidates.suffixes, ...range(from, to) },
    );
    return rows.map((row) => ({
      resourceId: row.resource_id,
      cloudResourceId: row.cloud_resource_id,
      provider: row.provider,
      accountRef: row.account_ref,
      date: row.day,
      cost: row.cost,
    }));
  }

  async saveLinks(organizationId: string, links: readonly ClusterResourceLink[]): Promise<void> {
    if (!links.length) return;
    const updatedAt = toClickHouseTime(new Date());
    await this.db.insert(
      'k8s_resource_links',
      links.map((link) => ({
        organization_id: organizationId,
        resource_id: link.resourceId,
        cluster_id: link.clusterId,
        kind: link.kind,
        last_matched: `${link.lastMatched} 00:00:00`,
        updated_at: updatedAt,
      })),
    );
  }

  async clusterLinks(organizationId: string, resourceIds: readonly string[]): Promise<Map<string, string>> {
    if (!resourceIds.length) return new Map();
    const rows = await this.db.query<{ resource_id: string; cluster_id: string }>(
      `SELECT resource_id, cluster_id FROM {db:Identifier}.k8s_resource_links FINAL
       WHERE ${ownedBy()} AND resource_id IN {ids:Array(String)}`,
      { org: organizationId, ids: resourceIds },
    );
    return new Map(rows.map((row) => [row.resource_id, row.cluster_id]));
  }
}

function range(from: string, to: string) {
  return { from: `${from} 00:00:00`, until: `${addDays(to, 1)} 00:00:00` };
}
