import { randomBytes, randomUUID } from 'node:crypto';
import { createTestCore } from '../support/test-core';
import { FerretDb } from '../support/ferretdb';
import { ClickHouseOrganizationRepository } from '../../src/store/organization.repository';
import { ClickHouseApiTokenRepository } from '../../src/store/api-token.repository';
import { ClickHouseBudgetStore } from '../../src/store/budget.store';
import { ClickHouseFocusImportHistory } from '../../src/store/focus-import-history.store';
import { MongoMetadata } from '../../src/store/mongo/repositories';
import { MongoCloudAccountRepository } from '../../src/store/mongo/cloud-accounts';
import { ClickHouseCloudAccountRepository } from '../../src/store/cloud-account.repository';
import { ClickHouseClusterCredentialRepository } from '../../src/store/cluster-credential.repository';
import { ClickHouseExpenseWriter } from '../../src/store/expense.writer';
import { ClickHouseK8sCostRepository } from '../../src/store/k8s-cost.repository';
import { ClickHouseReconciliationStore } from '../../src/store/reconciliation.store';
import { ClickHouseFocusImportStore } from '../../src/store/focus-import.store';
import {
  MongoFocusImportStore,
  MongoResourceStore,
  MongoResourceWriter,
  mongoK8sCostDays,
  mongoReconciliationStore,
} from '../../src/store/mongo/resources';
import type {
  ApiTokenRepository,
  ExpenseWriter,
  FocusImportStore,
  K8sCostDayRepository,
  ReconciliationStore,
  ResourceRecord,
  CloudAccountLookup,
  CloudAccountRepository,
  ClusterCredentialRepository,
  BudgetStore,
  FocusImportHistory,
  OrganizationRepository,
} from '../../src/domain/ports';
import type { Budget } from '../../src/domain/budget';
import type { FocusImportRecord } from '../../src/domain/model';

// One contract, two adapters: the metadata repositories that MONGODB_URL moves to MongoDB
// (organizations, API tokens, budgets, import records) behave the same on ClickHouse (the
// embedded default) and on a real MongoDB-protocol server (FerretDB over SQLite, mongoose).

interface Adapters {
  accounts: CloudAccountRepository & CloudAccountLookup;
  credentials: ClusterCredentialRepository;
  organizations: OrganizationRepository;
  tokens: ApiTokenRepository;
  budgets: BudgetStore;
  imports: FocusImportHistory;
  /** Resource metadata: written by the cost writer and the import, read back, linked to clusters. */
  resources: {
    writer: ExpenseWriter;
    days: K8sCostDayRepository;
    links: ReconciliationStore;
    focus: FocusImportStore;
  };
}

let core: Awaited<ReturnType<typeof createTestCore>>;
let ferret: FerretDb;
let mongo: MongoMetadata;

beforeAll(async () => {
  core = await createTestCore();
  ferret = await FerretDb.start();
  mongo = await MongoMetadata.open(ferret.url(`contract_${randomBytes(4).toString('hex')}`));
}, 120_000);

afterAll(async () => {
  await mongo?.close();
  await ferret?.dispose();
  await core?.dispose();
});

const adapters: [string, () => Adapters][] = [
  [
    'ClickHouse',
    () => ({
      accounts: new ClickHouseCloudAccountRepository(core.db),
      credentials: new ClickHouseClusterCredentialRepository(core.db),
      organizations: new ClickHouseOrganizationRepository(core.db),
      tokens: new ClickHouseApiTokenRepository(core.db),
      budgets: new ClickHouseBudgetStore(core.db),
      imports: new ClickHouseFocusImportHistory(core.db),
      resources: {
        writer: new ClickHouseExpenseWriter(core.db),
        days: new ClickHouseK8sCostRepository(core.db),
        links: new ClickHouseReconciliationStore(core.db),
        focus: new ClickHouseFocusImportStore(core.db),
      },
    }),
  ],
  [
    'MongoDB (mongoose on FerretDB)',
    () => ({
      accounts: new MongoCloudAccountRepository(
        mongo.models.cloudAccounts,
        new ClickHouseCloudAccountRepository(core.db),
      ),
      credentials: mongo.clusterCredentials,
      organizations: mongo.organizations,
      tokens: mongo.apiTokens,
      budgets: mongo.budgets,
      imports: mongo.focusImports,
      resources: (() => {
        const store = new MongoResourceStore(mongo.models.resources, {
          writer: new ClickHouseExpenseWriter(core.db),
          links: new ClickHouseReconciliationStore(core.db),
        });
        return {
          writer: new MongoResourceWriter(store, new ClickHouseExpenseWriter(core.db)),
          days: mongoK8sCostDays(store, new ClickHouseK8sCostRepository(core.db)),
          links: mongoReconciliationStore(store, new ClickHouseReconciliationStore(core.db)),
          focus: new MongoFocusImportStore(store, new ClickHouseFocusImportStore(core.db)),
        };
      })(),
    }),
  ],
];

const hash = () => randomBytes(32).toString('hex');

function budget(organizationId: string, name: string, overrides: Partial<Budget> = {}): Budget {
  const at = new Date('2026-03-01T10:00:00.000Z');
  return {
    id: randomUUID(),
    organizationId,
    name,
    amount: 1200,
    period: 'MONTHLY',
    filter: { providers: ['AWS'], tags: [{ key: 'team', value: 'data' }] },
    thresholds: [
      { percent: 80, basis: 'ACTUAL' },
      { percent: 100, basis: 'FORECAST' },
    ],
    webhookUrl: 'https://hooks.example.com/x',
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

describe.each(adapters)('metadata contract on %s', (_name, make) => {
  let a: Adapters;
  beforeAll(() => {
    a = make();
  });

  it('organizations: create, get by id, the oldest of a name; unknown ids are null', async () => {
    const id = randomUUID();
    const name = `Org ${randomUUID()}`;
    await a.organizations.create({ id, name, createdAt: new Date('2026-01-02T03:04:05.678Z') });
    await a.organizations.create({ id: randomUUID(), name, createdAt: new Date('2026-02-01T00:00:00.000Z') });
    expect(await a.organizations.get(id)).toEqual({
      id,
      name,
      createdAt: new Date('2026-01-02T03:04:05.678Z'),
    });
    expect((await a.organizations.findByName(name))?.id).toBe(id);
    expect(await a.organizations.get(randomUUID())).toBeNull();
    expect(await a.organizations.findByName('no such org')).toBeNull();
  });

  it('cloud accounts and cluster credentials: scoped reads, hashed secrets, revocation, a deleted cluster', async () => {
    const org = randomUUID();
    const account = (name: string, type: 'AWS' | 'KUBERNETES') => ({
      id: randomUUID(),
      organizationId: org,
      name,
      type,
      accountRef: '',
      k8sProvider: type === 'KUBERNETES' ? 'AWS' : '',
      region: 'us-east-1',
      owner: 'team',
      version: '',
      deleted: false,
      createdAt: new Date('2026-01-01T00:00:00.000Z'),
    });
    const cluster = account('eks', 'KUBERNETES');
    const aws = account('aws', 'AWS');
    await a.accounts.saveMany([cluster, aws]);
    expect((await a.accounts.list(org)).map((x) => x.name)).toEqual(['aws', 'eks']);
    expect((await a.accounts.list(org, 'KUBERNETES')).map((x) => x.name)).toEqual(['eks']);
    expect(await a.accounts.getMany(randomUUID(), [cluster.id])).toEqual([]);
    expect(await a.accounts.findById(cluster.id)).toEqual(cluster);

    const secret = hash();
    await a.credentials.create(cluster.id, secret);
    const live = {
      cloudAccountId: cluster.id,
      organizationId: org,
      secretHash: secret,
      revoked: false,
      accountDeleted: false,
    };
    expect(await a.credentials.findByHash(secret)).toEqual(live);
    expect(await a.credentials.listByAccount(cluster.id)).toEqual([live]);
    // A credential on an account that is not a cluster opens nothing.
    const stray = hash();
    await a.credentials.create(aws.id, stray);
    expect(await a.credentials.findByHash(stray)).toBeNull();
    await a.credentials.revokeAll(cluster.id);
    expect(await a.credentials.findByHash(secret)).toEqual({ ...live, revoked: true });
    await a.accounts.save({ ...cluster, deleted: true });
    expect(await a.credentials.findByHash(secret)).toEqual({ ...live, revoked: true, accountDeleted: true });
    expect((await a.accounts.list(org)).map((x) => x.name)).toEqual(['aws']);
  });

  it('API tokens: found by hash only; revoked by their own organization, never by another', async () => {
    const org = randomUUID();
    const other = randomUUID();
    const token = { id: randomUUID(), organizationId: org, name: 'ci', revoked: false };
    const h = hash();
    await a.tokens.create(h, token);
    expect(await a.tokens.findByHash(h)).toEqual(token);
    expect(await a.tokens.findByHash(hash())).toBeNull();
    expect(await a.tokens.revoke(other, token.id)).toBeNull();
    expect((await a.tokens.findByHash(h))?.revoked).toBe(false);
    expect(await a.tokens.revoke(org, token.id)).toBe(h);
    expect(await a.tokens.findByHash(h)).toEqual({ ...token, revoked: true });
  });

  it('budgets: saved and replaced, listed by name, deleted, per organization', async () => {
    const org = randomUUID();
    const other = randomUUID();
    const b = budget(org, 'beta');
    const first = budget(org, 'alpha', { webhookUrl: null, period: 'YEARLY' });
    await a.budgets.save(b);
    await a.budgets.save(first);
    await a.budgets.save(budget(other, 'theirs'));
    expect(await a.budgets.get(org, b.id)).toEqual(b);
    expect((await a.budgets.list(org)).map((x) => x.name)).toEqual(['alpha', 'beta']);
    expect(await a.budgets.get(other, b.id)).toBeNull();
    const changed = { ...b, amount: 1500, updatedAt: new Date('2026-03-02T10:00:00.000Z') };
    await a.budgets.save(changed);
    expect(await a.budgets.get(org, b.id)).toEqual(changed);
    expect(await a.budgets.delete(other, b.id)).toBe(false);
    expect(await a.budgets.delete(org, b.id)).toBe(true);
    expect(await a.budgets.delete(org, b.id)).toBe(false);
    expect((await a.budgets.list(org)).map((x) => x.name)).toEqual(['alpha']);
    const withBudgets = await a.budgets.organizationsWithBudgets();
    expect(withBudgets).toEqual(expect.arrayContaining([org, other]));
    expect(withBudgets).toEqual([...withBudgets].sort());
  });

  it('resources: written whole, read back per organization, replaced; cluster links per organization', async () => {
    const org = randomUUID();
    const node: ResourceRecord = {
      id: randomUUID(),
      organizationId: org,
      cloudAccountId: randomUUID(),
      cloudResourceId: 'i-0a1b2c3d4e5f',
      name: 'node-a',
      resourceType: 'Virtual Machine',
      region: 'us-east-1',
      service: 'Amazon EC2',
      owner: 'platform',
      tags: { 'kubernetes.io/cluster': 'prod', 'aws:createdBy': 'karpenter', team: 'data' },
      firstSeen: '2026-03-01',
      lastSeen: '2026-03-05',
    };
    await a.resources.writer.upsertResources([node]);
    expect(await a.resources.days.getResource(org, node.id)).toEqual(node);
    expect(await a.resources.days.getResource(randomUUID(), node.id)).toBeNull();
    const renamed = { ...node, name: 'node-b', owner: '', tags: { team: 'ml' }, lastSeen: '2026-03-09' };
    await a.resources.writer.upsertResources([renamed]);
    expect(await a.resources.days.getResource(org, node.id)).toEqual(renamed);

    const clusterId = randomUUID();
    await a.resources.links.saveLinks(org, [
      { resourceId: node.id, clusterId, kind: 'NODE', lastMatched: '2026-03-09' },
    ]);
    expect(await a.resources.links.clusterLinks(org, [node.id, randomUUID()])).toEqual(
      new Map([[node.id, clusterId]]),
    );
    expect(await a.resources.links.clusterLinks(randomUUID(), [node.id])).toEqual(new Map());
    // Writing the resource again keeps its link.
    await a.resources.writer.upsertResources([{ ...renamed, region: 'eu-west-1' }]);
    expect(await a.resources.links.clusterLinks(org, [node.id])).toEqual(new Map([[node.id, clusterId]]));
  });

  it('resources of an import: the bill replaces dimensions, first/last seen widen, the owner set stays', async () => {
    const org = randomUUID();
    const stored: ResourceRecord = {
      id: randomUUID(),
      organizationId: org,
      cloudAccountId: randomUUID(),
      cloudResourceId: 'vol-1',
      name: 'data-disk',
      resourceType: 'Disk',
      region: 'us-east-1',
      service: 'Amazon EBS',
      owner: 'storage-team',
      tags: { env: 'prod' },
      firstSeen: '2026-03-03',
      lastSeen: '2026-03-10',
    };
    await a.resources.writer.upsertResources([stored]);
    const fresh = { ...stored, id: randomUUID(), cloudResourceId: 'vol-2', owner: '' };
    const staging = await a.resources.focus.openStaging();
    try {
      await staging.addResources([
        // Seen 1-5 March in this bill: first seen moves back to the 1st, last seen stays the 10th.
        {
          ...stored,
          name: 'data-disk-renamed',
          owner: '',
          tags: { env: 'staging' },
          firstSeen: '2026-03-01',
          lastSeen: '2026-03-05',
          serviceCategory: 'Storage',
        },
        { ...fresh, firstSeen: '2026-03-02', lastSeen: '2026-03-04', serviceCategory: 'Storage' },
      ]);
      await staging.commit({ organizationId: org, billingPeriods: [], cancelMissing: false });
    } finally {
      await staging.dispose();
    }
    expect(await a.resources.days.getResource(org, stored.id)).toEqual({
      ...stored,
      name: 'data-disk-renamed',
      tags: { env: 'staging' },
      firstSeen: '2026-03-01',
      lastSeen: '2026-03-10',
    });
    expect(await a.resources.days.getResource(org, fresh.id)).toEqual({
      ...fresh,
      firstSeen: '2026-03-02',
      lastSeen: '2026-03-04',
    });
  });

  it('import records: newest first, at most `first`, per organization', async () => {
    const org = randomUUID();
    // Within the 90 days import records are kept.
    const base = Date.now() - 86_400_000;
    const record = (minute: number, state: FocusImportRecord['state']): FocusImportRecord => ({
      id: randomUUID(),
      organizationId: org,
      startedAt: new Date(base + minute * 60_000),
      finishedAt: new Date(base + minute * 60_000 + 5_250),
      state,
      files: [`focus/${minute}.csv`],
      costColumn: 'EFFECTIVE',
      rowsRead: 10 * minute,
      rowsImported: state === 'FAILED' ? 0 : 10 * minute,
      rowsRefused: 0,
      totalCost: 12.5 * minute,
      firstDay: state === 'FAILED' ? null : '2026-02-01',
      lastDay: state === 'FAILED' ? null : '2026-02-28',
      error: state === 'FAILED' ? 'focus/x.csv: not a FOCUS file' : null,
    });
    const records = [record(1, 'SUCCEEDED'), record(3, 'FAILED'), record(2, 'SUCCEEDED')];
    for (const r of records) await a.imports.record(r);
    const listed = await a.imports.list(org, 2);
    expect(listed).toEqual([records[1], records[2]]);
    expect(await a.imports.list(randomUUID(), 10)).toEqual([]);
  });
});

describe('MongoDB schemas refuse what the ports never write', () => {
  it('a token hash that is not 64 hex digits, a negative amount, an unknown period', async () => {
    await expect(
      mongo.apiTokens.create('not-a-hash', {
        id: randomUUID(),
        organizationId: randomUUID(),
        name: 'x',
        revoked: false,
      }),
    ).rejects.toThrow(/validation failed/i);
    await expect(mongo.budgets.save(budget(randomUUID(), 'bad', { amount: -1 }))).rejects.toThrow(/amount/);
    await expect(
      mongo.budgets.save(budget(randomUUID(), 'bad', { period: 'WEEKLY' as Budget['period'] })),
    ).rejects.toThrow(/period/);
  });

  it('a second token with the same id is refused by the unique index', async () => {
    const token = { id: randomUUID(), organizationId: randomUUID(), name: 'x', revoked: false };
    await mongo.apiTokens.create(hash(), token);
    await expect(mongo.apiTokens.create(hash(), token)).rejects.toMatchObject({ code: 11000 });
  });
});
