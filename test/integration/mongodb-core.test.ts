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

  it("keeps an import's resources in MongoDB, serves a page's details from there with one $in query, and MongoDB wins", async () => {
    const { organization, token } = await core.organizations.create('Resources Co');
    const sample = path.resolve(__dirname, '../../../shared/data/focus/focus-1.0-sample.csv');
    const report = await core.services.focusImport.importFiles(organization.id, [sample]);
    const mongo = core.mongo!;
    const count = async () => {
      const [row] = await core.db.query<{ n: string }>(
        'SELECT count() AS n FROM {db:Identifier}.resources FINAL WHERE organization_id = {org:String}',
        { org: organization.id },
      );
      return Number(row?.n);
    };
    // Every resource of the bill, in both: MongoDB the record, ClickHouse the columns it queries.
    expect(report.resources).toBeGreaterThan(800);
    expect(await mongo.models.resources.countDocuments({ organizationId: organization.id })).toBe(
      report.resources,
    );
    expect(await count()).toBe(report.resources);
    // One instance of the sample, as its two lines say: us-west-2, EC2 (Compute), three tags,
    // charged on 4 and 28 September 2024.
    const instance = await mongo.models.resources
      .findOne({ organizationId: organization.id, cloudResourceId: 'i-0lbaaa6a98751b841' })
      .lean();
    expect(instance).toMatchObject({
      region: 'us-west-2',
      service: 'Amazon Elastic Compute Cloud',
      serviceCategory: 'Compute',
      owner: '',
      tags: [
        { k: 'application', v: 'DirectCenterCentral' },
        { k: 'business_unit', v: 'KarachiArchitecture' },
        { k: 'environment', v: 'dev' },
      ],
      firstSeen: '2024-09-04',
      lastSeen: '2024-09-28',
      k8sCluster: null,
    });

    interface Node {
      resourceId: string;
      cloudResourceId: string;
      name: string;
      region: string;
      owner: string;
      tags: { key: string; value: string }[];
      firstSeen: string;
      lastSeen: string;
    }
    const page = async (first: number, filter = '{}') => {
      const finds: string[] = [];
      const stop = mongo.onCommand((c) => {
        if (c.name === 'find') finds.push(c.collection);
      });
      try {
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            query: `{ expenses(range: {start: "2024-09-01", end: "2024-09-30"}, first: ${first}, filter: ${filter}) {
              totalCount
              edges { node { resourceId cloudResourceId name resourceType region service owner
                             tags { key value } firstSeen lastSeen } } } }`,
          }),
        });
        const body = (await response.json()) as {
          data: { expenses: { totalCount: number; edges: { node: Node }[] } };
          errors?: unknown[];
        };
        expect(body.errors).toBeUndefined();
        return {
          nodes: body.data.expenses.edges.map((e) => e.node),
          totalCount: body.data.expenses.totalCount,
          resourceFinds: finds.filter((c) => c === 'resources').length,
        };
      } finally {
        stop();
      }
    };
    const ten = await page(10);
    const hundred = await page(100);
    expect([ten.nodes.length, hundred.nodes.length]).toEqual([10, 100]);
    expect([ten.resourceFinds, hundred.resourceFinds]).toEqual([1, 1]);
    // A resource without a ResourceName is named by its ResourceId.
    const byId = await page(10, '{nameContains: "i-0lbaaa6a98751b841"}');
    expect(byId.nodes).toHaveLength(1);
    const shown = byId.nodes[0] as Node;
    expect(shown).toMatchObject({
      cloudResourceId: 'i-0lbaaa6a98751b841',
      name: 'i-0lbaaa6a98751b841',
      region: 'us-west-2',
      owner: '',
      tags: [
        { key: 'application', value: 'DirectCenterCentral' },
        { key: 'business_unit', value: 'KarachiArchitecture' },
        { key: 'environment', value: 'dev' },
      ],
      firstSeen: '2024-09-04T00:00:00.000Z',
      lastSeen: '2024-09-28T00:00:00.000Z',
    });

    // MongoDB is changed behind ClickHouse's back (the second write lost): the API shows
    // MongoDB's details at once, and after the re-sync ClickHouse's filters find them too.
    await mongo.models.resources.updateOne(
      { _id: shown.resourceId, organizationId: organization.id },
      { $set: { owner: 'web-team', name: 'web-1' } },
    );
    // Found by its old name (ClickHouse's copy), shown with MongoDB's.
    expect((await page(10, '{nameContains: "i-0lbaaa6a98751b841"}')).nodes).toEqual([
      { ...shown, name: 'web-1', owner: 'web-team' },
    ]);
    expect((await page(10, '{owners: ["web-team"]}')).totalCount).toBe(0);
    expect(await core.resyncMetadata()).toMatchObject({ resources: expect.any(Number) });
    const owned = await page(10, '{owners: ["web-team"], nameContains: "web-1"}');
    expect(owned.totalCount).toBe(1);
    expect(owned.nodes[0]).toMatchObject({ resourceId: shown.resourceId, name: 'web-1', owner: 'web-team' });

    // The same bill again: its dimensions replace the name, the owner set stays, nothing is added.
    // Only the one resource that differs is written; the other 800-odd are known and unchanged.
    const writes: string[] = [];
    const stop = mongo.onCommand((c) => {
      if (c.collection === 'resources' && c.name !== 'find') writes.push(c.name);
    });
    try {
      await core.services.focusImport.importFiles(organization.id, [sample]);
    } finally {
      stop();
    }
    expect(writes).toEqual(['update']);
    const again = await mongo.models.resources.findOne({ _id: shown.resourceId }).lean();
    expect(again).toMatchObject({ name: shown.name, owner: 'web-team', firstSeen: '2024-09-04' });
    expect((await page(10, '{owners: ["web-team"]}')).nodes.map((n) => n.name)).toEqual([shown.name]);
    expect(await mongo.models.resources.countDocuments({ organizationId: organization.id })).toBe(
      report.resources,
    );
    expect(await count()).toBe(report.resources);
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
