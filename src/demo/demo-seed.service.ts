import type {
  AllocationStore,
  CloudAccountRepository,
  ExpenseWriter,
  FocusImportHistory,
  OrganizationRepository,
  ReconciliationStore,
} from '../domain/ports';
import { addDays, formatDay } from '../domain/days';
import type { TokenService } from '../services/token.service';
import type { BudgetService } from '../services/budget.service';
import { buildDemoData } from './demo-data';

/** Loads the deterministic demo organization and hands out tokens for it. */
export class DemoSeedService {
  constructor(
    private readonly organizations: OrganizationRepository,
    private readonly accounts: CloudAccountRepository,
    private readonly writer: ExpenseWriter,
    private readonly tokens: TokenService,
    private readonly reconciliation: ReconciliationStore,
    private readonly allocations: AllocationStore,
    private readonly importHistory: FocusImportHistory,
    private readonly budgets: BudgetService,
  ) {}

  /**
   * Loads the demo data (90 days ending yesterday) unless it is already there, then issues a
   * fresh token (tokens are stored hashed, so an earlier one cannot be shown again). The
   * organization row is written last: it marks a complete load.
   */
  async seed(
    now = new Date(),
  ): Promise<{ organizationId: string; token: string; loaded: boolean; rows: number }> {
    const data = buildDemoData({ lastDay: addDays(formatDay(now), -1), now });
    const existing = await this.organizations.get(data.organization.id);
    let rows = 0;
    if (!existing) {
      await this.accounts.saveMany(data.accounts);
      await this.writer.upsertResources(data.resources);
      await this.writer.insertExpenses(data.expenses);
      await this.writer.insertK8sBreakdown(data.k8sBreakdowns);
      await this.reconciliation.saveEstimates(data.estimates);
      await this.reconciliation.saveLinks(data.organization.id, data.links);
      await this.allocations.replaceDays(data.organization.id, data.allocations);
      for (const entry of data.imports) await this.importHistory.record(entry);
      for (const beat of data.heartbeats) await this.accounts.recordDataAt(beat.cloudAccountId, beat.at);
      // Budgets go through the service (validated like any other), before the organization row
      // that marks a complete load; their alerts fire at once, as a daily evaluation would.
      for (const budget of data.budgets) await this.budgets.create(data.organization.id, budget);
      await this.organizations.create({ ...data.organization, createdAt: now });
      await this.budgets.evaluate(data.organization.id);
      rows = data.expenses.length;
    }
    const { token } = await this.tokens.issue(data.organization.id, 'demo');
    return { organizationId: data.organization.id, token, loaded: !existing, rows };
  }
}
