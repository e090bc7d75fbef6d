import { createTestCore } from '../support/test-core';
import { createGraphQL, dataOf, errorOf, type RunGraphQL } from '../support/fixtures';
import { TokenService } from '../../src/services/token.service';
import { ClickHouseApiTokenRepository } from '../../src/store/api-token.repository';
import type { Core } from '../../src/main';

// Issue 12, item 12: an organization revokes its own API tokens, never another's.
describe('revokeApiToken', () => {
  let core: Core & { dispose(): Promise<void> };
  let gql: RunGraphQL;
  let orgA: string;
  let orgB: string;

  beforeAll(async () => {
    core = await createTestCore();
    gql = await createGraphQL(core);
    orgA = (await core.organizations.create('Token Co A')).organization.id;
    orgB = (await core.organizations.create('Token Co B')).organization.id;
  });
  afterAll(async () => core.dispose());

  const revoke = (org: string, id: string) =>
    gql(org, `mutation ($id: ID!) { revokeApiToken(id: $id) }`, { id });

  it("revokes the caller's organization's token at once in this process", async () => {
    const token = await core.tokens.issue(orgA, 'ci');
    await expect(core.tokens.authenticate(`Bearer ${token.token}`)).resolves.toMatchObject({
      organizationId: orgA,
    });
    expect(dataOf<{ revokeApiToken: boolean }>(await revoke(orgA, token.id)).revokeApiToken).toBe(true);
    await expect(core.tokens.authenticate(`Bearer ${token.token}`)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  it("refuses another organization's token as NOT_FOUND and leaves it working", async () => {
    const token = await core.tokens.issue(orgB, 'b-token');
    await core.tokens.authenticate(`Bearer ${token.token}`);
    expect(errorOf(await revoke(orgA, token.id))).toMatchObject({ code: 'NOT_FOUND' });
    await expect(core.tokens.authenticate(`Bearer ${token.token}`)).resolves.toMatchObject({
      organizationId: orgB,
    });
    expect(errorOf(await revoke(orgA, 'no-such-token'))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reaches another process within its token cache time, not before', async () => {
    // A second server on the same store, with a 1 s token cache.
    const other = new TokenService(new ClickHouseApiTokenRepository(core.db), 1_000);
    const token = await core.tokens.issue(orgA, 'shared');
    await other.authenticate(`Bearer ${token.token}`); // cached there now
    await core.tokens.revoke(orgA, token.id);
    await expect(other.authenticate(`Bearer ${token.token}`)).resolves.toMatchObject({
      organizationId: orgA,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await expect(other.authenticate(`Bearer ${token.token}`)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });
});
