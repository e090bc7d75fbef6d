import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestCore } from '../support/test-core';
import { FerretDb } from '../support/ferretdb';
import { ensureTestRedis, randomPrefix, removePrefix } from '../support/redis';
import { startServer, type RunningServer } from '../../src/main';
import { MongoMetadata } from '../../src/store/mongo/repositories';
import { postWrite, series, v1Body, v1Headers } from '../support/remote-write-client';

// The service with MONGODB_URL set, over HTTP: the organization, its API token (hashed), a budget
// and a refused import's record live in MongoDB (FerretDB here), none of them in ClickHouse, and
// the API works on them as it does on the embedded default.

describe('MONGODB_URL: metadata in MongoDB', () => {
  const prefix = randomPrefix();
  let ferret: FerretDb;
  let url: string;
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let server: RunningServer;

  beforeAll(async () => {
    ensureTestRedis();
    ferret = await FerretDb.start();
    url = ferret.url(`core_${randomBytes(4).toString('hex')}`);
    const importDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-imports-'));
    fs.writeFileSync(path.join(importDir, 'bad.csv'), 'a,b\n1,2\n');
    core = await createTestCore({ MONGODB_URL: url, QUEUE_PREFIX: prefix, IMPORT_DIR: importDir });
    server = await startServer(core, { role: 'api' });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await core?.dispose();
    await ferret?.dispose();
    await removePrefix(prefix);
  });

  it('keeps organizations, hashed tokens, budgets and import records in MongoDB, and serves them', async () => {
    const { organization, token } = await core.organizations.create('Mongo Co');
    const graphql = async (query: string, bearer = token) => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ query }),
      });
      return {
        status: response.status,
        body: (await response.json()) as { data?: Record<string, unknown>; errors?: { message: string }[] },
      };
    };
    const created = await graphql(`
      mutation {
        createBudget(
          input: { name: "all", amount: 100, period: MONTHLY, thresholds: [{ percent: 50, basis: ACTUAL }] }
        ) {
          budget {
            id
            name
            spent
            status
          }
        }
      }
    `);
    expect(created.body.errors).toBeUndefined();
    expect(await graphql('{ budgets { name spent status } }')).toMatchObject({
      status: 200,
      body: { data: { budgets: [{ name: 'all', spent: 0, status: 'OK' }] } },
    });
    const refused = await graphql('mutation { importFocus(input: { path: "bad.csv" }) { rowsRead } }');
    expect(refused.body.errors?.[0]?.message).toMatch(/^bad\.csv: not a FOCUS file/);
    expect(await graphql('{ focusImports { state files error } }')).toMatchObject({
      body: {
        data: {
          focusImports: [{ state: 'FAILED', files: ['bad.csv'], error: refused.body.errors?.[0]?.message }],
        },
      },
    });

    // In MongoDB, and only there.
    const mongo = await MongoMetadata.open(url);
    try {
      expect(await mongo.models.organizations.countDocuments({ _id: organization.id })).toBe(1);
      const tokens = await mongo.models.apiTokens.find({ organizationId: organization.id }).lean();
      expect(tokens).toHaveLength(1);
      // The hash, never the token.
      expect(tokens[0]?._id).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(tokens)).not.toContain(token);
      expect(await mongo.models.budgets.countDocuments({ organizationId: organization.id })).toBe(1);
      expect(await mongo.models.focusImports.countDocuments({ organizationId: organization.id })).toBe(1);
    } finally {
      await mongo.close();
    }
    for (const table of ['organizations', 'api_tokens', 'budgets', 'focus_imports']) {
      const [row] = await core.db.query<{ n: string }>(
        'SELECT count() AS n FROM {db:Identifier}.{t:Identifier}',
        {
          t: table,
        },
      );
      expect({ table, rows: Number(row?.n) }).toEqual({ table, rows: 0 });
    }

    // A revoked token (in MongoDB) is refused at once.
    const second = await core.organizations.createToken(organization.id, 'second');
    expect((await graphql('{ budgets { name } }', second.token)).status).toBe(200);
    const revoked = await graphql(`mutation { revokeApiToken(id: "${second.id}") }`);
    expect(revoked.body.data).toEqual({ revokeApiToken: true });
    expect((await graphql('{ budgets { name } }', second.token)).status).toBe(401);
    expect((await graphql('{ budgets { name } }', 'ctk_not-a-token')).status).toBe(401);
  });

  it("loads a page's cloud accounts from MongoDB with one $in query, whatever the page size", async () => {
    const { organization, token } = await core.organizations.create('Paged Co');
    // The FOCUS sample's accounts are created through the service (MongoDB and ClickHouse).
    const sample = path.resolve(__dirname, '../../../shared/data/focus/focus-1.0-sample.csv');
    await core.services.focusImport.importFiles(organization.id, [sample]);
    const page = async (first: number) => {
      const finds: string[] = [];
      const stop = core.mongo!.onCommand((c) => {
        if (c.name === 'find') finds.push(c.collection);
      });
      try {
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            query: `{ expenses(range: {start: "2024-09-01", end: "2024-09-30"}, first: ${first}) {
              edges { node { name cloudAccount { id name type } } } } }`,
          }),
        });
        const body = (await response.json()) as {
          data: { expenses: { edges: { node: { cloudAccount: { name: string } } }[] } };
        };
        return {
          rows: body.data.expenses.edges.length,
          accounts: finds.filter((c) => c === 'cloud_accounts').length,
          body,
        };
      } finally {
        stop();
      }
    };
    const ten = await page(10);
    const hundred = await page(100);
    expect(ten.rows).toBe(10);
    expect(hundred.rows).toBe(100);
    expect(ten.accounts).toBe(1);
    expect(hundred.accounts).toBe(1);
    // The sample's three providers' accounts, named as the bill names them.
    const names = new Set(hundred.body.data.expenses.edges.map((e) => e.node.cloudAccount.name));
    expect(names.size).toBeGreaterThan(1);
  });

  it('a cluster registered with MONGODB_URL is authenticated from MongoDB; its secret is stored hashed', async () => {
    const { organization } = await core.organizations.create('Sender Co');
    const { cluster, secret } = await core.services.clusterRegistration.register(organization.id, {
      name: 'eks',
    });
    const send = (password: string) =>
      postWrite(
        `${server.url}/api/v1/write`,
        v1Headers(cluster.id, password),
        v1Body({ timeseries: [series('up', { job: 'x' }, 1, Date.now())] }),
      );
    // Authenticated (then refused for want of a metrics backend here: 503, not 401).
    expect((await send(secret)).status).toBe(503);
    expect((await send('wrong-secret')).status).toBe(401);
    const stored = await core.mongo!.models.clusterCredentials.find({ cloudAccountId: cluster.id }).lean();
    expect(stored).toHaveLength(1);
    expect(stored[0]?._id).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(secret);
    const [row] = await core.db.query<{ n: string }>(
      'SELECT count() AS n FROM {db:Identifier}.cluster_credentials WHERE cloud_account_id = {id:String}',
      { id: cluster.id },
    );
    expect(Number(row?.n)).toBe(0);
  });
});
