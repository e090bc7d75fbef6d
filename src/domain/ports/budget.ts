import type { AlertDelivery, Budget, BudgetAlert } from '../budget';

/** Budgets, per organization. */
export interface BudgetStore {
  save(budget: Budget): Promise<void>;
  get(organizationId: string, id: string): Promise<Budget | null>;
  list(organizationId: string): Promise<Budget[]>;
  /** False when the organization has no such budget. */
  delete(organizationId: string, id: string): Promise<boolean>;
  /** Organizations with at least one budget (the daily evaluation walks them). */
  organizationsWithBudgets(): Promise<string[]>;
}

/** Fired alerts and every attempt to deliver them. */
export interface AlertStore {
  insert(alert: BudgetAlert): Promise<void>;
  get(organizationId: string, id: string): Promise<BudgetAlert | null>;
  /** Newest first. */
  list(
    organizationId: string,
    options: {
      budgetIds?: readonly string[];
      periodStart?: string;
      /** At most this many of each budget (its newest), besides `first` over all. */
      perBudget?: number;
      first: number;
    },
  ): Promise<BudgetAlert[]>;
  recordDelivery(organizationId: string, delivery: AlertDelivery): Promise<void>;
  /** Attempts per alert, oldest first. */
  deliveries(organizationId: string, alertIds: readonly string[]): Promise<Map<string, AlertDelivery[]>>;
}

/**
 * Who fires a threshold: the first to claim its key (budget, period, threshold), atomically
 * across processes, so two workers evaluating at once never both fire it.
 */
export interface AlertClaims {
  claim(key: string, ttlSeconds: number): Promise<boolean>;
}

/** The background work of alerts: evaluating budgets, delivering fired alerts. */
export interface AlertJobs {
  /** Evaluate one organization's budgets (null: every organization's) soon. */
  requestEvaluation(organizationId: string | null, reason: string): Promise<void>;
  /** Deliver a fired alert to its budget's webhook (retried with backoff). */
  deliver(alert: Pick<BudgetAlert, 'id' | 'organizationId'>): Promise<void>;
}

/** An HTTP POST of an alert to a webhook; never throws, it says what happened. */
export interface WebhookSender {
  post(
    url: string,
    body: string,
    headers: Record<string, string>,
  ): Promise<{ status: number | null; error: string | null; durationMs: number }>;
}

/** Each budget's webhook secret (shown once at creation) and the signature of a body with it. */
export interface WebhookSecrets {
  secretFor(budgetId: string): string;
  /** `sha256=<hex HMAC-SHA256 of body with the budget's secret>`. */
  signature(budgetId: string, body: string): string;
}

/** Checks a webhook URL before it is stored: scheme, and where its host resolves to. */
export interface WebhookUrlPolicy {
  /** Resolves with the URL to store, or throws a DomainError naming what is wrong. */
  check(url: string, argument: string): Promise<string>;
}
