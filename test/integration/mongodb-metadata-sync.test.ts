import { randomBytes, randomUUID } from 'node:crypto';
import { createTestCore } from '../support/test-core';
import { FerretDb } from '../support/ferretdb';
import { Fixtures } from '../support/fixtures';
import { ensureTestRedis, randomPrefix, removePrefix } from '../support/redis';
import { copyMetadataToMongo } from '../../src/store/mongo/migrate';
import { MongoMetadata } from '../../src/store/mongo/repositories';
import { ClickHouseCloudAccountRepository } from '../../src/store/cloud-account.repository';
import { ClickHouseReconciliationStore } from '../../src/store/reconciliation.store';

// An installation moving to MongoDB: `metadata migrate --to mongodb` copies its ClickHouse
// metadata across (twice changes nothing), the service then reads accounts from MongoDB, and a
// ClickHouse copy left behind by a crash between the two writes is mended by the resync every
// start runs (and `metadata resync`): MongoDB wins.

describe('metadata: ClickHouse -> MongoDB, and back in sync', () => {
  const prefix = randomPrefix();
  let ferret: FerretDb;
  let url: string;
  let plain: Awaited<ReturnType<typeof createTestCore>>;

  beforeAll(async () => {
    ensureTestRedis();
    ferret = await FerretDb.start();
    url = ferret.url(`sync_${randomBytes(4).toString('hex')}`);
    plain = await createTestCore({ QUEUE_PREFIX: prefix });
  }, 120_000);

  afterAll(async () => {
    await plain?.dispose();
    await ferret?.dispose();
    await removePrefix(prefix);
  });

  it('copies every record once, however often it runs; then MongoDB is the record and ClickHouse follows it', async () => {
    // An installation on the embedded default: an organization, its token, two accounts, a budget.
    const { organization, token } = await plain.organizations.create('Moving Co');
    const fixtures = new Fixtures(plain);
    const aws = await fixtures.account(organization.id, { name: 'aws-main', type: 'AWS' });
    const cluster = await fixtures.account(organization.id, { name: 'prod-eks', type: 'KUBERNETES' });
    // Two billed resources, one of them a node of the cluster (a link reconciliation found).
    const [vm, disk] = await fixtures.resources(aws, [
      { name: 'vm-1', service: 'Amazon EC2', owner: 'ops', tags: { 'kubernetes.io/cluster': 'prod-eks' } },
      { name: 'disk-1', service: 'Amazon EBS', firstSeen: '2024-03-01', lastSeen: '2024-03-31' },
    ]);
    await new ClickHouseReconciliationStore(plain.db).saveLinks(organization.id, [
      { resourceId: vm!.id, clusterId: cluster.id, kind: 'NODE', lastMatched: '2024-03-31' },
    ]);
    await plain.services.budgets.create(organization.id, {
      name: 'all',
      amount: 100,
      period: 'MONTHLY',
      thresholds: [{ percent: 80, basis: 'ACTUAL' }],
    });

    const mongo = await MongoMetadata.open(url);
    try {
      const first = await copyMetadataToMongo(plain.db, mongo);
      expect(first).toMatchObject({
        organizations: 1,
        apiTokens: 1,
        cloudAccounts: 2,
        budgets: 1,
        resources: 2,
      });
      expect(await copyMetadataToMongo(plain.db, mongo)).toEqual(first);
      expect(await mongo.models.cloudAccounts.countDocuments()).toBe(2);
      expect(await mongo.models.apiTokens.countDocuments()).toBe(1);
      expect(await mongo.models.resources.countDocuments()).toBe(2);
      expect(await mongo.models.resources.findById(vm!.id).lean()).toMatchObject({
        organizationId: organization.id,
        cloudAccountId: aws.id,
        name: 'vm-1',
        service: 'Amazon EC2',
        owner: 'ops',
        tags: [{ k: 'kubernetes.io/cluster', v: 'prod-eks' }],
        firstSeen: '2024-01-01',
        lastSeen: '2024-12-31',
        k8sCluster: { clusterId: cluster.id, kind: 'NODE', lastMatched: '2024-03-31' },
      });
      expect(await mongo.models.resources.findById(disk!.id).lean()).toMatchObject({
        k8sCluster: null,
        firstSeen: '2024-03-01',
      });
      // The crash also lost a resource's new owner and the link of the disk on ClickHouse's side.
      await mongo.models.resources.updateOne({ _id: disk!.id }, { $set: { owner: 'storage' } });
      await mongo.models.resources.updateOne(
        { _id: disk!.id },
        { $set: { k8sCluster: { clusterId: cluster.id, kind: 'VOLUME', lastMatched: '2024-03-30' } } },
      );

      // A crash between the two writes: MongoDB got a new account and a renamed one, ClickHouse not.
      const lost = randomUUID();
      await mongo.models.cloudAccounts.create({
        _id: lost,
        organizationId: organization.id,
        name: 'gcp-late',
        type: 'GCP',
        deleted: false,
        createdAt: new Date('2026-03-01T00:00:00.000Z'),
        updatedAt: new Date(),
      });
      await mongo.models.cloudAccounts.updateOne({ _id: aws.id }, { $set: { name: 'aws-renamed' } });
    } finally {
      await mongo.close();
    }
    const clickhouse = new ClickHouseCloudAccountRepository(plain.db);
    const names = async () => (await clickhouse.list(organization.id)).map((a) => a.name);
    expect(await names()).toEqual(['aws-main', 'prod-eks']);

    // The service with MONGODB_URL on the same ClickHouse database: its start re-syncs.
    const moved = await createTestCore({
      QUEUE_PREFIX: prefix,
      MONGODB_URL: url,
      CLICKHOUSE_DATABASE: plain.db.database,
    });
    try {
      expect(await names()).toEqual(['aws-renamed', 'gcp-late', 'prod-eks']);
      expect((await moved.services.cloudAccounts.list(organization.id)).map((a) => a.name)).toEqual([
        'aws-renamed',
        'gcp-late',
        'prod-eks',
      ]);
      // The token copied across still opens the organization.
      expect((await moved.tokens.authenticate(`Bearer ${token}`)).organizationId).toBe(organization.id);
      // A new cluster is written to both, MongoDB first; `metadata resync` reports what it rewrote.
      const registered = await moved.services.clusterRegistration.register(organization.id, {
        name: 'new-eks',
      });
      expect((await clickhouse.getMany(organization.id, [registered.cluster.id])).map((a) => a.name)).toEqual(
        ['new-eks'],
      );
      const check = await MongoMetadata.open(url);
      try {
        expect(await check.models.cloudAccounts.countDocuments({ _id: registered.cluster.id })).toBe(1);
      } finally {
        await check.close();
      }
      // The resources as MongoDB has them: the disk's owner and link reached ClickHouse at start.
      const [owned] = await moved.db.query<{ owner: string }>(
        'SELECT owner FROM {db:Identifier}.resources FINAL WHERE id = {id:String}',
        { id: disk!.id },
      );
      expect(owned?.owner).toBe('storage');
      expect(
        await new ClickHouseReconciliationStore(moved.db).clusterLinks(organization.id, [vm!.id, disk!.id]),
      ).toEqual(
        new Map([
          [vm!.id, cluster.id],
          [disk!.id, cluster.id],
        ]),
      );
      expect(await moved.resyncMetadata()).toEqual({ accounts: 4, resources: 2 });
      expect((await moved.services.k8sClusters.list(organization.id)).map((c) => c.name).sort()).toEqual([
        'new-eks',
        'prod-eks',
      ]);
      expect(cluster.type).toBe('KUBERNETES');
    } finally {
      await moved.close();
    }
  });
});
