import type { K8sCostDayRepository, NetRow, ResourceRecord, StoredK8sDay } from '../domain/ports';
import type { K8sCostBreakdown } from '../domain/model';
import { breakdownFromRow, K8S_COST_COLUMNS, TOTAL_COLUMN } from '../domain/k8s-cost-components';
import { ownedBy } from './tenant-scope.sql';
import type { Db } from './db';
import type { ResourceColumnsRow } from './resource.columns';

type BreakdownGroupRow = Record<string, number | null> & { provisional: number; net: string | number };

type ResourceRow = ResourceColumnsRow & { organization_id: string };

const BREAKDOWN_VALUES = [...K8S_COST_COLUMNS.map((c) => c.column), 'provisional'].join(', ');

/**
 * Reads a cluster-day back the way the aggregation job needs it: grouped by the exact row values
 * (not summed as money), so a correction can cancel the stored row with a -1 row whose every
 * Float64 is bit-identical to it. Only then does CollapsingMergeTree collapse the pair on merge;
 * a -1 row that differs in the last bit would leave two rows that cancel in reads only.
 */
export class ClickHouseK8sCostRepository implements K8sCostDayRepository {
  constructor(private readonly db: Db) {}

  async storedDay(cloudAccountId: string, resourceId: string, date: string): Promise<StoredK8sDay> {
    const params = { account: cloudAccountId, resource: resourceId, date: `${date} 00:00:00` };
    const where = `cloud_account_id = {account:String} AND resource_id = {resource:String}
                   AND date = {date:DateTime('UTC')}`;
    const [expenses, breakdowns] = await Promise.all([
      this.db.query<{ cost: number; net: string | number }>(
        `SELECT cost, sum(sign) AS net FROM {db:Identifier}.expenses
         WHERE ${where} GROUP BY cost HAVING net != 0 ORDER BY cost`,
        params,
      ),
      this.db.query<BreakdownGroupRow>(
        `SELECT ${BREAKDOWN_VALUES}, sum(sign) AS net FROM {db:Identifier}.k8s_cost_breakdown
         WHERE ${where} GROUP BY ${BREAKDOWN_VALUES} HAVING net != 0 ORDER BY ${TOTAL_COLUMN}`,
        params,
      ),
    ]);
    return {
      expenses: expenses.map((row): NetRow<number> => ({ value: row.cost, net: Number(row.net) })),
      breakdowns: breakdowns.map((row) => ({ value: toBreakdown(row), net: Number(row.net) })),
    };
  }

  async getResource(organizationId: string, id: string): Promise<ResourceRecord | null> {
    const rows = await this.db.query<ResourceRow>(
      `SELECT id, organization_id, cloud_account_id, cloud_resource_id, name, resource_type, region,
              service, owner, tags, toString(toDate(first_seen)) AS first_seen,
              toString(toDate(last_seen)) AS last_seen
       FROM {db:Identifier}.resources FINAL
       WHERE ${ownedBy()} AND id = {id:String}`,
      { org: organizationId, id },
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      organizationId: row.organization_id,
      cloudAccountId: row.cloud_account_id,
      cloudResourceId: row.cloud_resource_id,
      name: row.name,
      resourceType: row.resource_type,
      region: row.region,
      service: row.service,
      owner: row.owner,
      tags: row.tags,
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
    };
  }
}

function toBreakdown(row: BreakdownGroupRow): K8sCostBreakdown & { provisional: boolean } {
  return { ...breakdownFromRow((c) => row[c.column] ?? null), provisional: Number(row.provisional) === 1 };
}
