import { randomUUID } from 'node:crypto';
import type { OrganizationRepository } from '../domain/ports';
import type { Organization } from '../domain/model';
import { badInput, notFound } from '../errors';
import type { TokenService } from './token.service';

/** Creates organizations and their API tokens (the operator CLI's work). */
export class OrganizationService {
  constructor(
    private readonly organizations: OrganizationRepository,
    private readonly tokens: TokenService,
  ) {}

  /** Creates an organization with a first API token. */
  async create(name: string): Promise<{ organization: Organization; token: string; tokenId: string }> {
    const trimmed = name.trim();
    if (!trimmed) throw badInput('name', 'must not be empty');
    if (trimmed.length > 200) throw badInput('name', 'must be at most 200 characters');
    const organization = { id: randomUUID(), name: trimmed, createdAt: new Date() };
    await this.organizations.create(organization);
    const { id, token } = await this.tokens.issue(organization.id);
    return { organization, token, tokenId: id };
  }

  /** Issues another API token for an existing organization. */
  async createToken(organizationId: string, name?: string): Promise<{ id: string; token: string }> {
    if (!(await this.organizations.get(organizationId))) throw notFound('organization', organizationId);
    return this.tokens.issue(organizationId, name);
  }

  async get(id: string): Promise<Organization | null> {
    return this.organizations.get(id);
  }
}
