import { randomUUID } from 'node:crypto';
import type {
  AlertClaims,
  AlertJobs,
  AlertStore,
  BudgetStore,
  WebhookSecrets,
  WebhookSender,
  WebhookUrlPolicy,
} from '../domain/ports';
import {
  alertText,
  budgetStatus,
  BUDGET_PERIODS,
  isCrossed,
  periodOf,
  thresholdKey,
  type AlertDelivery,
  type Budget,
  type BudgetAlert,
  type BudgetPeriod,
  type BudgetState,
  type BudgetThreshold,
} from '../domain/budget';
import type { ExpenseFilter } from '../domain/model';
import { addDays, eachDay, formatDay } from '../domain/days';
import { uuidV5 } from '../domain/uuid';
import { badInput, notFound } from '../errors';
import type { CostInsightService } from './cost-insight.service';
import { validateFilter, type ExpenseService } from './expense.service';

export interface BudgetInputData {
  name: string;
  amount: number;
  period: BudgetPeriod;
  filter?: ExpenseFilter | null;
  thresholds: BudgetThreshold[];
  webhookUrl?: string | null;
}

/** A budget with where it stands in its current period. */
export type BudgetView = Budget & BudgetState;

const MAX_BUDGETS = 500;
const MAX_THRESHOLDS = 10;
const MAX_AMOUNT = 1e12;
/** Alert ids: a v5 UUID of (organization, budget, period, threshold) in this namespace. */
const ALERT_NAMESPACE = '0f6f7f0e-5d0a-4c4e-9a57-6b1d8f0b2c31';
/** A claim outlives the longest period (a year) by a month. */
const CLAIM_TTL_SECONDS = 400 * 86_400;

export interface BudgetServiceDeps {
  budgets: BudgetStore;
  alerts: AlertStore;
  claims: AlertClaims;
  /** Absent in processes that queue nothing (one-shot CLI): fired alerts are stored, not sent. */
  jobs: AlertJobs | null;
  expenses: ExpenseService;
  insight: CostInsightService;
  secrets: WebhookSecrets;
  urls: WebhookUrlPolicy;
  sender: WebhookSender;
  now?: () => Date;
}

/**
 * Budgets over the unified expense model: an amount per calendar period (UTC) over what an
 * expense filter selects (a cluster is a cloud account id, a provider, a tag, ...). Each
 * threshold fires once per budget, threshold and period: the alert's id is derived from those,
 * the stored alerts are checked first, and the firing itself is claimed in Redis (SET NX), so
 * re-evaluations, restarts and workers racing never fire it twice.
 */
export class BudgetService {
  private readonly now: () => Date;

  constructor(private readonly deps: BudgetServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async create(
    organizationId: string,
    input: BudgetInputData,
  ): Promise<{ budget: BudgetView; webhookSecret: string | null }> {
    const existing = await this.deps.budgets.list(organizationId);
    if (existing.length >= MAX_BUDGETS)
      throw badInput('input', `at most ${MAX_BUDGETS} budgets per organization`);
    const at = this.now();
    const budget: Budget = {
      id: randomUUID(),
      organizationId,
      ...(await this.validate(input)),
      createdAt: at,
      updatedAt: at,
    };
    await this.deps.budgets.save(budget);
    return {
      budget: await this.view(budget),
      webhookSecret: budget.webhookUrl ? this.deps.secrets.secretFor(budget.id) : null,
    };
  }

  async update(organizationId: string, id: string, input: BudgetInputData): Promise<BudgetView> {
    const current = await this.deps.budgets.get(organizationId, id);
    if (!current) throw notFound('budget', id);
    const budget: Budget = { ...current, ...(await this.validate(input)), updatedAt: this.now() };
    await this.deps.budgets.save(budget);
    return this.view(budget);
  }

  async delete(organizationId: string, id: string): Promise<boolean> {
    if (!(await this.deps.budgets.delete(organizationId, id))) throw notFound('budget', id);
    return true;
  }

  async list(organizationId: string): Promise<BudgetView[]> {
    return Promise.all((await this.deps.budgets.list(organizationId)).map((b) => this.view(b)));
  }

  async get(organizationId: string, id: string): Promise<BudgetView | null> {
    const budget = await this.deps.budgets.get(organizationId, id);
    return budget ? this.view(budget) : null;
  }

  async organizationsWithBudgets(): Promise<string[]> {
    return this.deps.budgets.organizationsWithBudgets();
  }

  async alerts(
    organizationId: string,
    options: { budgetIds?: readonly string[]; first?: number } = {},
  ): Promise<BudgetAlert[]> {
    const first = options.first ?? 50;
    if (!Number.isInteger(first) || first < 1 || first > 500)
      throw badInput('first', 'must be between 1 and 500');
    return this.deps.alerts.list(organizationId, { budgetIds: options.budgetIds, first });
  }

  /** The newest `perBudget` alerts of each of these budgets, in one query (a page of budgets). */
  async alertsByBudget(
    organizationId: string,
    budgetIds: readonly string[],
    perBudget: number,
  ): Promise<Map<string, BudgetAlert[]>> {
    const found = new Map<string, BudgetAlert[]>(budgetIds.map((id) => [id, []]));
    if (budgetIds.length === 0) return found;
    const alerts = await this.deps.alerts.list(organizationId, {
      budgetIds,
      perBudget,
      first: perBudget * budgetIds.length,
    });
    for (const alert of alerts) found.get(alert.budgetId)?.push(alert);
    return found;
  }

  async deliveries(
    organizationId: string,
    alertIds: readonly string[],
  ): Promise<Map<string, AlertDelivery[]>> {
    return this.deps.alerts.deliveries(organizationId, alertIds);
  }

  /** Where a budget stands today: its period, spent so far, forecast to the period's end, status. */
  async state(budget: Budget): Promise<BudgetState> {
    const today = formatDay(this.now());
    const period = periodOf(budget.period, today);
    const range = { start: period.start, end: today };
    const [summary, todayCost, model] = await Promise.all([
      // Spent: exactly as costSummary computes it (Decimal sums per provider).
      this.deps.expenses.summary(budget.organizationId, { range, filter: budget.filter }),
      // Today's cost so far (only today: the period's other days are in `summary`).
      this.deps.insight.dailyTotals(budget.organizationId, { start: today, end: today }, budget.filter),
      this.deps.insight.fit(budget.organizationId, today, budget.filter),
    ]);
    const spent = summary.total;
    const todaySoFar = todayCost[0] ?? 0;
    // Today is not over: what is left of it is its forecast beyond what it has cost already.
    const [todayForecast] = model.days([today]);
    const rest = model.sum(today < period.end ? eachDay(addDays(today, 1), period.end) : []);
    const more = (forecastToday: number) => Math.max(0, forecastToday - todaySoFar);
    const forecast = round(spent + more(todayForecast?.cost ?? 0) + rest.cost);
    return {
      periodStart: period.start,
      periodEnd: period.end,
      spent,
      forecast,
      forecastLow: round(spent + more(todayForecast?.low ?? 0) + rest.low),
      forecastHigh: round(spent + more(todayForecast?.high ?? 0) + rest.high),
      status: budgetStatus(budget.amount, spent, forecast),
    };
  }

  /** Evaluates the organization's budgets now; returns the alerts this call fired. */
  async evaluate(organizationId: string): Promise<BudgetAlert[]> {
    const fired: BudgetAlert[] = [];
    for (const budget of await this.deps.budgets.list(organizationId)) {
      fired.push(...(await this.evaluateBudget(budget)));
    }
    return fired;
  }

  private async evaluateBudget(budget: Budget): Promise<BudgetAlert[]> {
    const state = await this.state(budget);
    const crossed = budget.thresholds.filter((t) => isCrossed(t, budget.amount, state));
    if (crossed.length === 0) return [];
    const stored = await this.deps.alerts.list(budget.organizationId, {
      budgetIds: [budget.id],
      periodStart: state.periodStart,
      first: 1000,
    });
    const done = new Set(stored.map((a) => thresholdKey(a.threshold)));
    const fired: BudgetAlert[] = [];
    for (const threshold of crossed) {
      const key = thresholdKey(threshold);
      if (done.has(key)) continue;
      // The claim is what makes "once" hold between processes evaluating at the same moment.
      const claimed = await this.deps.claims.claim(
        `${budget.id}:${state.periodStart}:${key}`,
        CLAIM_TTL_SECONDS,
      );
      if (!claimed) continue;
      const alert = this.buildAlert(budget, threshold, state);
      await this.deps.alerts.insert(alert);
      fired.push(alert);
      if (budget.webhookUrl && this.deps.jobs) await this.deps.jobs.deliver(alert);
    }
    return fired;
  }

  private buildAlert(budget: Budget, threshold: BudgetThreshold, state: BudgetState): BudgetAlert {
    const id = uuidV5(
      ALERT_NAMESPACE,
      `${budget.organizationId}|${budget.id}|${state.periodStart}|${thresholdKey(threshold)}`,
    );
    const firedAt = this.now();
    const payload = JSON.stringify({
      type: 'budget.threshold_crossed',
      budget: { id: budget.id, name: budget.name, amount: budget.amount, period: budget.period },
      threshold: { percent: threshold.percent, basis: threshold.basis },
      spent: state.spent,
      forecast: state.forecast,
      periodStart: state.periodStart,
      periodEnd: state.periodEnd,
      text: alertText(budget, threshold, state),
      alertId: id,
      firedAt: firedAt.toISOString(),
    });
    return {
      id,
      organizationId: budget.organizationId,
      budgetId: budget.id,
      budgetName: budget.name,
      threshold,
      periodStart: state.periodStart,
      periodEnd: state.periodEnd,
      amount: budget.amount,
      spent: state.spent,
      forecast: state.forecast,
      firedAt,
      payload,
    };
  }

  /**
   * One attempt to deliver an alert to its budget's webhook, recorded. `retry` says whether a
   * failure is worth another attempt: no answer or 5xx yes, a 4xx (the receiver refuses it) no.
   */
  async deliver(
    organizationId: string,
    alertId: string,
    attempt: number,
  ): Promise<{ ok: boolean; retry: boolean; error: string | null }> {
    const alert = await this.deps.alerts.get(organizationId, alertId);
    if (!alert) return { ok: false, retry: false, error: 'no such alert' };
    const budget = await this.deps.budgets.get(organizationId, alert.budgetId);
    const record = (delivery: Omit<AlertDelivery, 'alertId' | 'attempt'>) =>
      this.deps.alerts.recordDelivery(organizationId, { alertId, attempt, ...delivery });
    if (!budget?.webhookUrl) {
      const error = budget ? 'the budget has no webhook any more' : 'the budget was deleted';
      await record({ at: this.now(), ok: false, status: null, error, durationMs: 0 });
      return { ok: false, retry: false, error };
    }
    const at = this.now();
    const result = await this.deps.sender.post(budget.webhookUrl, alert.payload, {
      'X-CloudTuner-Signature': this.deps.secrets.signature(budget.id, alert.payload),
      'X-CloudTuner-Event': 'budget.threshold_crossed',
      'X-CloudTuner-Delivery': alert.id,
    });
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    await record({
      at,
      ok,
      status: result.status,
      error: ok ? null : result.error,
      durationMs: result.durationMs,
    });
    const refused = result.status !== null && result.status >= 400 && result.status < 500;
    return { ok, retry: !ok && !refused, error: ok ? null : result.error };
  }

  private async view(budget: Budget): Promise<BudgetView> {
    return { ...budget, ...(await this.state(budget)) };
  }

  private async validate(
    input: BudgetInputData,
  ): Promise<Omit<Budget, 'id' | 'organizationId' | 'createdAt' | 'updatedAt'>> {
    const name = input.name.trim();
    if (!name || name.length > 200) throw badInput('input.name', 'must be 1 to 200 characters');
    if (!Number.isFinite(input.amount) || input.amount <= 0 || input.amount > MAX_AMOUNT)
      throw badInput('input.amount', `must be more than 0 and at most ${MAX_AMOUNT} dollars`);
    if (!BUDGET_PERIODS.includes(input.period))
      throw badInput('input.period', 'must be MONTHLY, QUARTERLY or YEARLY');
    if (input.thresholds.length === 0 || input.thresholds.length > MAX_THRESHOLDS)
      throw badInput('input.thresholds', `give 1 to ${MAX_THRESHOLDS} thresholds`);
    const seen = new Set<string>();
    input.thresholds.forEach((t, i) => {
      if (!Number.isFinite(t.percent) || t.percent <= 0 || t.percent > 1000)
        throw badInput(`input.thresholds[${i}].percent`, 'must be more than 0 and at most 1000');
      const key = thresholdKey(t);
      if (seen.has(key)) throw badInput(`input.thresholds[${i}]`, `${t.percent}% ${t.basis} is given twice`);
      seen.add(key);
    });
    const filter = validateFilter(stripNulls(input.filter ?? {}));
    const webhookUrl = input.webhookUrl
      ? await this.deps.urls.check(input.webhookUrl, 'input.webhookUrl')
      : null;
    return {
      name,
      amount: input.amount,
      period: input.period,
      filter,
      thresholds: [...input.thresholds]
        .map((t) => ({ percent: t.percent, basis: t.basis }))
        .sort((a, b) => a.percent - b.percent || a.basis.localeCompare(b.basis)),
      webhookUrl,
    };
  }
}

/** GraphQL gives absent list filters as null; stored filters keep only what was given. */
function stripNulls(filter: ExpenseFilter): ExpenseFilter {
  return Object.fromEntries(
    Object.entries(filter).filter(([, value]) => value !== null && value !== undefined),
  ) as ExpenseFilter;
}

const round = (value: number) => Math.round(value * 1e6) / 1e6;
