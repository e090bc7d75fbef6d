import type { ExpenseRecord, ExpenseWriter, K8sBreakdownRecord, ResourceRecord } from '../domain/ports';
import { toClickHouseTime } from '../domain/days';
import type { Db } from './db';

/** Writes resources, expenses and Kubernetes breakdown rows; corrections are the caller's -1/+1 pairs. */
export class ClickHouseExpenseWriter implements ExpenseWriter {
  constructor(private readonly db: Db) {}

  async upsertResources(resources: readonly ResourceRecord[]): Promise<void> {
    const updatedAt = toClickHouseTime(new Date());
    await this.db.insert(
      'resources',
      resources.map((r) => ({
        id: r.id,
        organization_id: r.organizationId,
        cloud_account_id: r.cloudAccountId,
        cloud_resource_id: r.cloudResourceId,
        name: r.name,
        resource_type: r.resourceType,
        region: r.region,
        service: r.service,
        owner: r.owner,
        tags: r.tags,
        first_seen: `${r.firstSeen} 00:00:00`,
        last_seen: `${r.lastSeen} 00:00:00`,
        updated_at: updatedAt,
      })),
    );
  }

  async insertExpenses(rows: readonly ExpenseRecord[]): Promise<void> {
    await this.db.insert(
      'expenses',
      rows.map((e) => ({
        cloud_account_id: e.cloudAccountId,
        resource_id: e.resourceId,
        date: `${e.date} 00:00:00`,
        cost: e.cost,
        sign: e.sign,
      })),
    );
  }

  async insertK8sBreakdown(rows: readonly K8sBreakdownRecord[]): Promise<void> {
    await this.db.insert(
      'k8s_cost_breakdown',
      rows.map((b) => ({
        cloud_account_id: b.cloudAccountId,
        resource_id: b.resourceId,
        date: `${b.date} 00:00:00`,
        cpu_cost: b.cpu,
        ram_cost: b.ram,
        gpu_cost: b.gpu,
        node_unsplit_cost: b.nodeUnsplit,
        storage_cost: b.storage,
        network_cost: b.network,
        load_balancer_cost: b.loadBalancer,
        management_cost: b.management,
        idle_cost: b.idle,
        total_cost: b.total,
        provisional: b.provisional ? 1 : 0,
        sign: b.sign,
      })),
    );
  }
}
