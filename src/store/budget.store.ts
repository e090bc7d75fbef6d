import type { AlertStore, BudgetStore } from '../domain/ports';
import type {
  AlertDelivery,
  Budget,
  BudgetAlert,
  BudgetBasis,
  BudgetPeriod,
  BudgetThreshold,
} from '../domain/budget';
import type { ExpenseFilter } from '../domain/model';
import { fromClickHouseTime, toClickHouseTime } from '../domain/days';
import type { Db } from './db';

interface BudgetRow {
  organization_id: string;
  id: string;
  name: string;
  amount: number;
  period: BudgetPeriod;
  filter: string;
  thresholds: string;
  webhook_url: string;
  created_at_text: string;
  updated_at_text: string;
}

const BUDGET_COLUMNS = `organization_id, id, name, amount, period, filter, thresholds, webhook_url,
  toString(created_at) AS created_at_text, toString(updated_at) AS updated_at_text`;

function toBudget(row: BudgetRow): Budget {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    amount: row.amount,
    period: row.period,
    filter: JSON.parse(row.filter) as ExpenseFilter,
    thresholds: JSON.parse(row.thresholds) as BudgetThreshold[],
    webhookUrl: row.webhook_url === '' ? null : row.webhook_url,
    createdAt: fromClickHouseTime(row.created_at_text),
    updatedAt: fromClickHouseTime(row.updated_at_text),
  };
}

/** Budgets in ClickHouse: versions in a ReplacingMergeTree, the newest read with FINAL. */
export class ClickHouseBudgetStore implements BudgetStore {
  constructor(private readonly db: Db) {}

  async save(budget: Budget, deleted = false): Promise<void> {
    await this.db.insert('budgets', [
      {
        organization_id: budget.organizationId,
        id: budget.id,
        name: budget.name,
        amount: budget.amount,
        period: budget.period,
        filter: JSON.stringify(budget.filter),
        thresholds: JSON.stringify(budget.thresholds),
        webhook_url: budget.webhookUrl ?? '',
        deleted: deleted ? 1 : 0,
        created_at: toClickHouseTime(budget.createdAt),
        // Microseconds: two saves within one millisecond still order.
        updated_at: `${toClickHouseTime(budget.updatedAt)}${String(nextTick()).padStart(3, '0')}`,
      },
    ]);
  }

  async get(organizationId: string, id: string): Promise<Budget | null> {
    const rows = await this.db.query<BudgetRow>(
      `SELECT ${BUDGET_COLUMNS} FROM {db:Identifier}.budgets FINAL
       WHERE organization_id = {org:String} AND id = {id:String} AND deleted = 0`,
      { org: organizationId, id },
    );
    return rows[0] ? toBudget(rows[0]) : null;
  }

  async list(organizationId: string): Promise<Budget[]> {
    const rows = await this.db.query<BudgetRow>(
      `SELECT ${BUDGET_COLUMNS} FROM {db:Identifier}.budgets FINAL
       WHERE organization_id = {org:String} AND deleted = 0
       ORDER BY name, id`,
      { org: organizationId },
    );
    return rows.map(toBudget);
  }

  async delete(organizationId: string, id: string): Promise<boolean> {
    const budget = await this.get(organizationId, id);
    if (!budget) return false;
    await this.save({ ...budget, updatedAt: new Date() }, true);
    return true;
  }

  async organizationsWithBudgets(): Promise<string[]> {
    const rows = await this.db.query<{ organization_id: string }>(
      `SELECT DISTINCT organization_id FROM {db:Identifier}.budgets FINAL WHERE deleted = 0 ORDER BY organization_id`,
    );
    return rows.map((r) => r.organization_id);
  }
}

// Orders saves made in the same millisecond by this process (the microsecond digits).
let tick = 0;
function nextTick(): number {
  tick = (tick + 1) % 1000;
  return tick;
}

interface AlertRow {
  organization_id: string;
  id: string;
  budget_id: string;
  budget_name: string;
  threshold_percent: number;
  threshold_basis: BudgetBasis;
  period_start_day: string;
  period_end_day: string;
  amount: number;
  spent: number;
  forecast: number;
  fired_at_text: string;
  payload: string;
}

interface DeliveryRow {
  alert_id: string;
  attempt: number;
  at_text: string;
  ok: number;
  status: number;
  error: string;
  duration_ms: number;
}

/** Fired alerts (one row per id, kept with FINAL) and their delivery attempts. */
export class ClickHouseAlertStore implements AlertStore {
  constructor(private readonly db: Db) {}

  async insert(alert: BudgetAlert): Promise<void> {
    await this.db.insert('budget_alerts', [
      {
        organization_id: alert.organizationId,
        id: alert.id,
        budget_id: alert.budgetId,
        budget_name: alert.budgetName,
        threshold_percent: alert.threshold.percent,
        threshold_basis: alert.threshold.basis,
        period_start: alert.periodStart,
        period_end: alert.periodEnd,
        amount: alert.amount,
        spent: alert.spent,
        forecast: alert.forecast,
        fired_at: toClickHouseTime(alert.firedAt),
        payload: alert.payload,
      },
    ]);
  }

  async get(organizationId: string, id: string): Promise<BudgetAlert | null> {
    const rows = await this.select('AND id = {id:String}', { org: organizationId, id, first: 1 });
    return rows[0] ?? null;
  }

  async list(organizationId: string, options: Parameters<AlertStore['list']>[1]): Promise<BudgetAlert[]> {
    const where: string[] = [];
    const params: Record<string, unknown> = { org: organizationId, first: options.first };
    if (options.budgetIds) {
      where.push('AND budget_id IN {budgets:Array(String)}');
      params.budgets = options.budgetIds;
    }
    if (options.periodStart) {
      where.push('AND period_start = {period:Date}');
      params.period = options.periodStart;
    }
    let perBudget = '';
    if (options.perBudget) {
      perBudget = 'LIMIT {per_budget:UInt32} BY budget_id';
      params.per_budget = options.perBudget;
    }
    return this.select(where.join(' '), params, perBudget);
  }

  private async select(where: string, params: Record<string, unknown>, limitBy = ''): Promise<BudgetAlert[]> {
    const rows = await this.db.query<AlertRow>(
      `SELECT organization_id, id, budget_id, budget_name, threshold_percent, threshold_basis,
              toString(period_start) AS period_start_day, toString(period_end) AS period_end_day,
              amount, spent, forecast, toString(fired_at) AS fired_at_text, payload
       FROM {db:Identifier}.budget_alerts FINAL
       WHERE organization_id = {org:String} ${where}
       ORDER BY budget_alerts.fired_at DESC, id
       ${limitBy}
       LIMIT {first:UInt32}`,
      params,
    );
    return rows.map((row) => ({
      id: row.id,
      organizationId: row.organization_id,
      budgetId: row.budget_id,
      budgetName: row.budget_name,
      threshold: { percent: row.threshold_percent, basis: row.threshold_basis },
      periodStart: row.period_start_day,
      periodEnd: row.period_end_day,
      amount: row.amount,
      spent: row.spent,
      forecast: row.forecast,
      firedAt: fromClickHouseTime(row.fired_at_text),
      payload: row.payload,
    }));
  }

  async recordDelivery(organizationId: string, delivery: AlertDelivery): Promise<void> {
    await this.db.insert('budget_alert_deliveries', [
      {
        organization_id: organizationId,
        alert_id: delivery.alertId,
        attempt: delivery.attempt,
        at: toClickHouseTime(delivery.at),
        ok: delivery.ok ? 1 : 0,
        status: delivery.status ?? 0,
        error: delivery.error ?? '',
        duration_ms: Math.max(0, Math.round(delivery.durationMs)),
      },
    ]);
  }

  async deliveries(
    organizationId: string,
    alertIds: readonly string[],
  ): Promise<Map<string, AlertDelivery[]>> {
    const result = new Map<string, AlertDelivery[]>();
    if (alertIds.length === 0) return result;
    const rows = await this.db.query<DeliveryRow>(
      `SELECT alert_id, attempt, toString(at) AS at_text, ok, status, error, duration_ms
       FROM {db:Identifier}.budget_alert_deliveries
       WHERE organization_id = {org:String} AND alert_id IN {ids:Array(String)}
       ORDER BY alert_id, budget_alert_deliveries.at, attempt`,
      { org: organizationId, ids: alertIds },
    );
    for (const row of rows) {
      const list = result.get(row.alert_id) ?? [];
      list.push({
        alertId: row.alert_id,
        attempt: Number(row.attempt),
        at: fromClickHouseTime(row.at_text),
        ok: Number(row.ok) === 1,
        status: Number(row.status) === 0 ? null : Number(row.status),
        error: row.error === '' ? null : row.error,
        durationMs: Number(row.duration_ms),
      });
      result.set(row.alert_id, list);
    }
    return result;
  }
}
