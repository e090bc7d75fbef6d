import { timingSafeEqual } from 'node:crypto';
import type { ClusterCredentialRepository, StoredClusterCredential } from '../domain/ports';
import { hashSecret } from '../domain/tenancy';
import { TtlCache } from '../domain/ttl-cache';

/** The cluster a remote_write request was proven to come from. */
export interface SenderIdentity {
  cloudAccountId: string;
  organizationId: string;
}

export type SenderAuthResult =
  | { ok: true; identity: SenderIdentity }
  /** 401: no or wrong credentials (send them); 403: valid once, not allowed now. */
  | { ok: false; status: 401 | 403; reason: string };

/** The request headers identity depends on. */
export interface SenderCredentials {
  authorization?: string;
  /** The optional `Cloud-Account-Id` header; when sent it must name the authenticated cluster. */
  cloudAccountId?: string;
}

/**
 * Proves which cluster sent a remote_write request: basic auth (user = the cluster's cloud
 * account id, password = its secret) or `Authorization: Bearer <secret>`. Only SHA-256 hashes
 * are stored; they are compared with timingSafeEqual. Successful lookups are cached for
 * `cacheTtlMs`, so a revocation reaches other processes within that time; `evict` makes it
 * immediate in this one.
 */
export class SenderAuthenticator {
  private readonly cache: TtlCache<string, SenderIdentity>;

  constructor(
    private readonly credentials: ClusterCredentialRepository,
    cacheTtlMs: number,
    now: () => number = Date.now,
  ) {
    this.cache = new TtlCache(cacheTtlMs, 10_000, now);
  }

  async authenticate(headers: SenderCredentials): Promise<SenderAuthResult> {
    const presented = parseAuthorization(headers.authorization);
    if (!presented) {
      return { ok: false, status: 401, reason: 'credentials required: basic auth or a bearer secret' };
    }
    const hash = hashSecret(presented.secret);
    const key = presented.user === undefined ? `bearer\n${hash}` : `basic\n${presented.user}\n${hash}`;
    const cached = this.cache.get(key);
    let result: SenderAuthResult;
    if (cached) {
      result = { ok: true, identity: cached };
    } else {
      result = await this.lookup(presented.user, hash);
      if (result.ok) this.cache.set(key, result.identity);
    }
    if (result.ok && headers.cloudAccountId !== undefined) {
      if (headers.cloudAccountId.trim() !== result.identity.cloudAccountId) {
        return { ok: false, status: 403, reason: 'the Cloud-Account-Id header names another cluster' };
      }
    }
    return result;
  }

  /** Forgets cached identities of a cluster (its credentials were just revoked). */
  evict(cloudAccountId: string): void {
    this.cache.deleteWhere((identity) => identity.cloudAccountId === cloudAccountId);
  }

  private async lookup(user: string | undefined, hash: string): Promise<SenderAuthResult> {
    const candidates =
      user === undefined
        ? [await this.credentials.findByHash(hash)].filter((c): c is StoredClusterCredential => c !== null)
        : user === ''
          ? []
          : await this.credentials.listByAccount(user);
    const wanted = Buffer.from(hash, 'hex');
    let match: StoredClusterCredential | undefined;
    for (const candidate of candidates) {
      const stored = Buffer.from(candidate.secretHash, 'hex');
      if (stored.length === wanted.length && timingSafeEqual(stored, wanted)) match = candidate;
    }
    if (!match) return { ok: false, status: 401, reason: 'unknown cluster or wrong secret' };
    if (match.accountDeleted) return { ok: false, status: 403, reason: 'this cluster was deleted' };
    // A rotated-away secret is simply no longer a credential: the sender should use the new one.
    if (match.revoked) return { ok: false, status: 401, reason: 'this secret was revoked' };
    return {
      ok: true,
      identity: { cloudAccountId: match.cloudAccountId, organizationId: match.organizationId },
    };
  }
}

/** `Basic base64(user:secret)` or `Bearer secret`; undefined for anything else. */
function parseAuthorization(header: string | undefined): { user?: string; secret: string } | undefined {
  const match = /^(Basic|Bearer)\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const [, scheme, value] = match as unknown as [string, string, string];
  if (scheme.toLowerCase() === 'bearer') return { secret: value };
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const secret = decoded.slice(colon + 1);
  return secret ? { user: decoded.slice(0, colon), secret } : undefined;
}
