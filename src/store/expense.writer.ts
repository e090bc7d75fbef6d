import type { ExpenseRecord, ExpenseWriter, K8sBreakdownRecord, ResourceRecord } from '../domain/ports';
import { toClickHouseTime } from '../domain/days';
import { breakdownToColumns } from '../domain/k8s-cost-components';
import type { Db } from './db';
import { resourceColumns } from './resource.columns';

/** Writes resources, expenses and Kubernetes breakdown rows; corrections are the caller's -1/+1 pairs. */
export class ClickHouseExpenseWriter implements ExpenseWriter {
  constructor(private readonly db: Db) {}

  /** Whole rows; a FOCUS ServiceCategory is written where given (MongoDB's re-sync), else empty. */
  async upsertResources(
    resources: readonly (ResourceRecord & { serviceCategory?: string })[],
  ): Promise<void> {
    const updatedAt = toClickHouseTime(new Date());
    await this.db.insert(
      'resources',
      resources.map((r) => ({
        ...resourceColumns(r),
        service_category: r.serviceCategory ?? '',
        owner: r.owner,
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
        ...breakdownToColumns(b),
        provisional: b.provisional ? 1 : 0,
        sign: b.sign,
      })),
    );
  }
}
