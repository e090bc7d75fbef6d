import type { CloudAccountRepository, ExpenseReader } from '../domain/ports';
import type { CloudAccount, DayRange, K8sCostBreakdown } from '../domain/model';
import { validateRange } from './ranges';

export type K8sClusterStatus = 'HEALTHY' | 'STALE' | 'NO_DATA';

/** Kubernetes clusters (KUBERNETES cloud accounts) with their freshness and costs. */
export class K8sClusterService {
  constructor(
    private readonly accounts: CloudAccountRepository,
    private readonly reader: ExpenseReader,
    private readonly staleAfterMs: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(organizationId: string): Promise<CloudAccount[]> {
    return this.accounts.list(organizationId, 'KUBERNETES');
  }

  /** One cluster of the organization, or null (another organization's id is simply not found). */
  async get(organizationId: string, id: string): Promise<CloudAccount | null> {
    const [account] = await this.accounts.getMany(organizationId, [id]);
    return account && account.type === 'KUBERNETES' && !account.deleted ? account : null;
  }

  /** HEALTHY when the newest sample is younger than the stale threshold, STALE when older. */
  status(lastDataAt: Date | null): K8sClusterStatus {
    if (!lastDataAt) return 'NO_DATA';
    return this.now().getTime() - lastDataAt.getTime() <= this.staleAfterMs ? 'HEALTHY' : 'STALE';
  }

  /** Newest sample time per cluster id; for DataLoader batches. */
  async lastDataAt(ids: readonly string[]): Promise<Map<string, Date>> {
    return this.accounts.lastDataAt(ids);
  }

  async costs(
    organizationId: string,
    ids: readonly string[],
    range: DayRange,
  ): Promise<Map<string, K8sCostBreakdown>> {
    return this.reader.k8sClusterCosts(organizationId, ids, validateRange(range));
  }

  async dailyCosts(
    organizationId: string,
    ids: readonly string[],
    range: DayRange,
  ): Promise<Map<string, { date: string; costs: K8sCostBreakdown; provisional: boolean }[]>> {
    return this.reader.k8sDailyCosts(organizationId, ids, validateRange(range));
  }
}
