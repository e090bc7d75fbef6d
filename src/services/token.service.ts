import { randomBytes, randomUUID } from 'node:crypto';
import type { ApiTokenRepository } from '../domain/ports';
import { DomainError, notFound } from '../errors';
import { hashSecret } from '../domain/tenancy';
import { TtlCache } from '../domain/ttl-cache';

/** Who is calling: the organization an API token is bound to. */
export interface Viewer {
  organizationId: string;
  tokenId: string;
}

const TOKEN_PREFIX = 'ctk_';

/**
 * Issues API tokens (random 256-bit, shown once, stored hashed) and authenticates requests.
 * Found tokens are cached for `cacheTtlMs`, so a revocation takes effect within that time.
 */
export class TokenService {
  private readonly cache: TtlCache<string, Viewer>;

  constructor(
    private readonly tokens: ApiTokenRepository,
    cacheTtlMs = 30_000,
  ) {
    this.cache = new TtlCache(cacheTtlMs);
  }

  /** Creates a token for an organization; the returned secret is not recoverable later. */
  async issue(organizationId: string, name = 'default'): Promise<{ id: string; token: string }> {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const id = randomUUID();
    await this.tokens.create(hashSecret(token), { id, organizationId, name, revoked: false });
    return { id, token };
  }

  /**
   * Revokes one of the organization's tokens. This process stops accepting it at once; other
   * processes within their token cache time (`cacheTtlMs`). NOT_FOUND for an unknown id, and
   * for another organization's: a token is only ever revoked by its own organization.
   */
  async revoke(organizationId: string, id: string): Promise<void> {
    const hash = await this.tokens.revoke(organizationId, id);
    if (hash === null) throw notFound('API token', id);
    this.cache.delete(hash);
  }

  /** Resolves an `Authorization` header value to a Viewer, or throws UNAUTHENTICATED. */
  async authenticate(authorization: string | undefined): Promise<Viewer> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) {
      throw new DomainError('UNAUTHENTICATED', 'Authorization: Bearer <API token> is required');
    }
    const hash = hashSecret(match[1] as string);
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const stored = await this.tokens.findByHash(hash);
    if (!stored || stored.revoked) {
      this.cache.delete(hash);
      throw new DomainError('UNAUTHENTICATED', 'the API token is not valid');
    }
    const viewer = { organizationId: stored.organizationId, tokenId: stored.id };
    this.cache.set(hash, viewer);
    return viewer;
  }
}
