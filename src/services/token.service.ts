import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ApiTokenRepository } from '../domain/ports';
import { DomainError } from '../errors';

/** Who is calling: the organization an API token is bound to. */
export interface Viewer {
  organizationId: string;
  tokenId: string;
}

const TOKEN_PREFIX = 'ctk_';

/** SHA-256 hex of a token: what is stored and looked up. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Issues API tokens (random 256-bit, shown once, stored hashed) and authenticates requests.
 * Found tokens are cached for `cacheTtlMs`, so a revocation takes effect within that time.
 */
export class TokenService {
  private readonly cache = new Map<string, { viewer: Viewer; expires: number }>();

  constructor(
    private readonly tokens: ApiTokenRepository,
    private readonly cacheTtlMs = 30_000,
  ) {}

  /** Creates a token for an organization; the returned secret is not recoverable later. */
  async issue(organizationId: string, name = 'default'): Promise<{ id: string; token: string }> {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const id = randomUUID();
    await this.tokens.create(hashToken(token), { id, organizationId, name, revoked: false });
    return { id, token };
  }

  /** Resolves an `Authorization` header value to a Viewer, or throws UNAUTHENTICATED. */
  async authenticate(authorization: string | undefined): Promise<Viewer> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) {
      throw new DomainError('UNAUTHENTICATED', 'Authorization: Bearer <API token> is required');
    }
    const hash = hashToken(match[1] as string);
    const cached = this.cache.get(hash);
    if (cached && cached.expires > Date.now()) return cached.viewer;
    const stored = await this.tokens.findByHash(hash);
    if (!stored || stored.revoked) {
      this.cache.delete(hash);
      throw new DomainError('UNAUTHENTICATED', 'the API token is not valid');
    }
    const viewer = { organizationId: stored.organizationId, tokenId: stored.id };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { viewer, expires: Date.now() + this.cacheTtlMs });
    return viewer;
  }
}
