import { addDays } from './days';
import type { DayRange, ExpenseFilter } from './model';

/** Budgets on the unified model: an amount per period over whatever an expense filter selects. */

export const BUDGET_PERIODS = ['MONTHLY', 'QUARTERLY', 'YEARLY'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];
export type BudgetBasis = 'ACTUAL' | 'FORECAST';
export type BudgetStatus = 'OK' | 'AT_RISK' | 'EXCEEDED';

export interface BudgetThreshold {
  /** Percent of the amount (e.g. 80, 100, 120). */
  percent: number;
  /** ACTUAL: the period's spend so far crosses it; FORECAST: the period's forecast does. */
  basis: BudgetBasis;
}

export interface Budget {
  id: string;
  organizationId: string;
  name: string;
  /** US dollars per period. */
  amount: number;
  period: BudgetPeriod;
  filter: ExpenseFilter;
  thresholds: BudgetThreshold[];
  webhookUrl: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Where a budget stands in its current period. */
export interface BudgetState {
  periodStart: string;
  periodEnd: string;
  /** Period to date, today included. */
  spent: number;
  /** Spent through yesterday plus the forecast of today to the period's end, with its interval. */
  forecast: number;
  forecastLow: number;
  forecastHigh: number;
  status: BudgetStatus;
}

/** A threshold crossed in a period: fired once, stored, delivered to the budget's webhook. */
export interface BudgetAlert {
  id: string;
  organizationId: string;
  budgetId: string;
  budgetName: string;
  threshold: BudgetThreshold;
  periodStart: string;
  periodEnd: string;
  amount: number;
  spent: number;
  forecast: number;
  firedAt: Date;
  /** The JSON body delivered to the webhook (kept, so every retry sends the same bytes). */
  payload: string;
}

/** One attempt to deliver an alert to its webhook. */
export interface AlertDelivery {
  alertId: string;
  attempt: number;
  at: Date;
  ok: boolean;
  /** The receiver's HTTP status; null when there was no answer. */
  status: number | null;
  /** Why it failed (connection refused, timeout, HTTP 503...); null when delivered. */
  error: string | null;
  durationMs: number;
}

/** The calendar period (UTC) of `period` that contains `day`. */
export function periodOf(period: BudgetPeriod, day: string): DayRange {
  const [year, month] = day.split('-').map(Number) as [number, number];
  const firstMonth = period === 'MONTHLY' ? month : period === 'QUARTERLY' ? month - ((month - 1) % 3) : 1;
  const months = period === 'MONTHLY' ? 1 : period === 'QUARTERLY' ? 3 : 12;
  const start = `${year}-${String(firstMonth).padStart(2, '0')}-01`;
  const next = new Date(Date.UTC(year, firstMonth - 1 + months, 1)).toISOString().slice(0, 10);
  return { start, end: addDays(next, -1) };
}

/** A threshold's identity within a budget: what "fires once" is counted by. */
export function thresholdKey(threshold: BudgetThreshold): string {
  return `${threshold.basis}:${threshold.percent}`;
}

/** EXCEEDED once spent reaches the amount; AT_RISK when the forecast does; OK otherwise. */
export function budgetStatus(amount: number, spent: number, forecast: number): BudgetStatus {
  if (spent >= amount) return 'EXCEEDED';
  if (forecast >= amount) return 'AT_RISK';
  return 'OK';
}

/** Whether a threshold is crossed: its basis (spent, or forecast) reaches percent of the amount. */
export function isCrossed(threshold: BudgetThreshold, amount: number, state: BudgetState): boolean {
  const value = threshold.basis === 'ACTUAL' ? state.spent : state.forecast;
  return value >= (amount * threshold.percent) / 100;
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** The one-line message a chat webhook (Slack, Teams) shows. */
export function alertText(
  budget: Pick<Budget, 'name' | 'amount'>,
  threshold: BudgetThreshold,
  state: BudgetState,
): string {
  const what =
    threshold.basis === 'ACTUAL'
      ? `spent ${usd.format(state.spent)}`
      : `is forecast to spend ${usd.format(state.forecast)}`;
  return (
    `Budget "${budget.name}" ${what} of ${usd.format(budget.amount)} ` +
    `(${threshold.percent}% ${threshold.basis.toLowerCase()} threshold crossed) ` +
    `for ${state.periodStart} to ${state.periodEnd}.`
  );
}
