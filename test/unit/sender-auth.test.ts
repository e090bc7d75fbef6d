import type { ClusterCredentialRepository, StoredClusterCredential } from '../../src/domain/ports';
import { SenderAuthenticator } from '../../src/ingest/sender-auth';
import { hashSecret } from '../../src/domain/tenancy';

/** Credentials in memory, counting lookups so cache behaviour can be seen. */
class MemoryCredentials implements ClusterCredentialRepository {
  readonly rows: StoredClusterCredential[] = [];
  lookups = 0;

  add(cloudAccountId: string, secret: string, state: Partial<StoredClusterCredential> = {}): void {
    this.rows.push({
      cloudAccountId,
      organizationId: 'org-1',
      secretHash: hashSecret(secret),
      revoked: false,
      accountDeleted: false,
      ...state,
    });
  }

  async create(cloudAccountId: string, secretHash: string): Promise<void> {
    this.rows.push({
      cloudAccountId,
      organizationId: 'org-1',
      secretHash,
      revoked: false,
      accountDeleted: false,
    });
  }

  async listByAccount(cloudAccountId: string): Promise<StoredClusterCredential[]> {
    this.lookups += 1;
    return this.rows.filter((row) => row.cloudAccountId === cloudAccountId);
  }

  async findByHash(secretHash: string): Promise<StoredClusterCredential | null> {
    this.lookups += 1;
    return this.rows.find((row) => row.secretHash === secretHash) ?? null;
  }

  async revokeAll(cloudAccountId: string): Promise<void> {
    for (const row of this.rows) if (row.cloudAccountId === cloudAccountId) row.revoked = true;
  }
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('SenderAuthenticator', () => {
  let repo: MemoryCredentials;
  let now: number;
  let auth: SenderAuthenticator;

  beforeEach(() => {
    repo = new MemoryCredentials();
    repo.add('cluster-a', 'ctw_secret-a');
    repo.add('cluster-a', 'ctw_old-a', { revoked: true });
    repo.add('cluster-gone', 'ctw_secret-gone', { revoked: true, accountDeleted: true });
    now = 1_000_000;
    auth = new SenderAuthenticator(repo, 10_000, () => now);
  });

  const identityA = { cloudAccountId: 'cluster-a', organizationId: 'org-1' };

  it.each([
    ['basic auth with the cluster id and its secret', { authorization: basic('cluster-a', 'ctw_secret-a') }],
    ['a bearer secret', { authorization: 'Bearer ctw_secret-a' }],
    ['a lower-case scheme', { authorization: 'bearer ctw_secret-a' }],
    [
      'a Cloud-Account-Id header naming the same cluster',
      { authorization: 'Bearer ctw_secret-a', cloudAccountId: 'cluster-a' },
    ],
  ])('accepts %s', async (_label, headers) => {
    expect(await auth.authenticate(headers)).toEqual({ ok: true, identity: identityA });
  });

  it.each([
    ['no Authorization header', {}, 401],
    ['an unknown scheme', { authorization: 'Digest abc' }, 401],
    ['basic auth without a password', { authorization: basic('cluster-a', '') }, 401],
    ['a wrong secret', { authorization: basic('cluster-a', 'ctw_nope') }, 401],
    [
      "another cluster's id with a valid secret",
      { authorization: basic('cluster-gone', 'ctw_secret-a') },
      401,
    ],
    ['a rotated-away secret', { authorization: basic('cluster-a', 'ctw_old-a') }, 401],
    ['a rotated-away secret as bearer', { authorization: 'Bearer ctw_old-a' }, 401],
    ['the secret of a deleted cluster', { authorization: basic('cluster-gone', 'ctw_secret-gone') }, 403],
    ['a deleted cluster as bearer', { authorization: 'Bearer ctw_secret-gone' }, 403],
    [
      'a Cloud-Account-Id header naming another cluster',
      { authorization: 'Bearer ctw_secret-a', cloudAccountId: 'victim' },
      403,
    ],
  ])('refuses %s', async (_label, headers, status) => {
    expect(await auth.authenticate(headers)).toMatchObject({ ok: false, status });
  });

  it('caches a success for the TTL, then looks again (and sees a revocation)', async () => {
    const headers = { authorization: 'Bearer ctw_secret-a' };
    await auth.authenticate(headers);
    await auth.authenticate(headers);
    expect(repo.lookups).toBe(1);
    await repo.revokeAll('cluster-a');
    now += 9_999;
    expect((await auth.authenticate(headers)).ok).toBe(true);
    now += 2;
    expect(await auth.authenticate(headers)).toMatchObject({ ok: false, status: 401 });
    expect(repo.lookups).toBe(2);
  });

  it('still checks the Cloud-Account-Id header on a cached identity', async () => {
    await auth.authenticate({ authorization: 'Bearer ctw_secret-a' });
    expect(
      await auth.authenticate({ authorization: 'Bearer ctw_secret-a', cloudAccountId: 'victim' }),
    ).toMatchObject({ ok: false, status: 403 });
  });

  it('forgets a cluster at once when evicted', async () => {
    const headers = { authorization: basic('cluster-a', 'ctw_secret-a') };
    await auth.authenticate(headers);
    await repo.revokeAll('cluster-a');
    auth.evict('cluster-a');
    expect(await auth.authenticate(headers)).toMatchObject({ ok: false, status: 401 });
  });

  it('does not cache failures', async () => {
    const headers = { authorization: 'Bearer ctw_later' };
    expect((await auth.authenticate(headers)).ok).toBe(false);
    repo.add('cluster-a', 'ctw_later');
    expect((await auth.authenticate(headers)).ok).toBe(true);
  });
});
