import type { CloudAccountRepository } from '../domain/ports';
import type { CloudAccount } from '../domain/model';

/** The organization's cloud accounts; lookups never cross organizations. */
export class CloudAccountService {
  constructor(private readonly accounts: CloudAccountRepository) {}

  async list(organizationId: string): Promise<CloudAccount[]> {
    return this.accounts.list(organizationId);
  }

  /** Accounts by id for DataLoader batches; ids of other organizations come back absent. */
  async getMany(organizationId: string, ids: readonly string[]): Promise<Map<string, CloudAccount>> {
    const found = await this.accounts.getMany(organizationId, ids);
    return new Map(found.map((account) => [account.id, account]));
  }
}
