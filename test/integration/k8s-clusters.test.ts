import { createTestCore } from '../support/test-core';
import { createGraphQL, dataOf, Fixtures, type RunGraphQL } from '../support/fixtures';
import type { CloudAccount } from '../../src/domain/model';
import type { ResourceRecord } from '../../src/domain/ports';

// Clusters of one organization (K8S_STALE_AFTER_SECONDS is the default 900 s = 15 minutes):
//   alpha    heartbeats 2 h ago and now     -> HEALTHY, lastDataAt = now (the newest one)
//   beta     heartbeat 1 h ago              -> STALE
//   epsilon  heartbeat 14 min ago (840 s)   -> HEALTHY
//   eta      heartbeat 16 min ago (960 s)   -> STALE
//   gamma    no heartbeat                   -> NO_DATA, lastDataAt null
//   delta    deleted                        -> not listed, k8sCluster(id) null
//   "zeta aws" is an AWS account            -> not a cluster
//
// alpha's breakdown rows (range 2024-06-01 .. 2024-06-05); each day's parts add up to its total:
//   05-31 nodes:   total 100 (outside the range)
//   06-01 nodes:   cpu 4 + ram 3 + nodeUnsplit 1 + storage 1 + network 0.5 + lb 0.5 + mgmt 1 = 11, idle 2
//   06-02 nodes:   cpu 6 + ram 4 + gpu 1 + storage 2 + network 1 + mgmt 1 = 15, idle 3
//   06-02 storage: storage 4 = 4
//   06-04 nodes:   cpu 5 + ram 5 + storage 1 + network 1 + mgmt 1 = 13, idle 1
//   06-03 nodes:   cpu 7 = 7 with network unknown, then the same row with sign -1: no day, no null network
// beta: 06-05 provisional cpu 2 + ram 1 = 3 (later corrected to final cpu 3 + ram 2 = 5)
// epsilon: 06-03 cpu 1 + ram 1 = 2 with network unknown (null)

const RANGE = { start: '2024-06-01', end: '2024-06-05' };
const ZERO_COSTS = {
  cpu: 0,
  ram: 0,
  gpu: 0,
  nodeUnsplit: 0,
  storage: 0,
  network: null,
  loadBalancer: 0,
  management: 0,
  idle: 0,
  total: 0,
};
const COST_FIELDS = 'cpu ram gpu nodeUnsplit storage network loadBalancer management idle total';

const CLUSTERS = /* GraphQL */ `
  {
    k8sClusters {
      id
      name
      provider
      region
      owner
      version
      status
      lastDataAt
    }
  }
`;

const CLUSTER = /* GraphQL */ `
  query ($id: ID!, $range: DateRangeInput!) {
    k8sCluster(id: $id) {
      id
      name
      status
      lastDataAt
      costs(range: $range) { ${COST_FIELDS} }
      dailyCosts(range: $range) {
        date
        provisional
        costs { ${COST_FIELDS} }
      }
    }
  }
`;

interface Cluster {
  id: string;
  name: string;
  status: string;
  lastDataAt: string | null;
  costs: Record<string, number | null>;
  dailyCosts: { date: string; provisional: boolean; costs: Record<string, number | null> }[];
}

describe('k8sClusters', () => {
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let run: RunGraphQL;
  let fx: Fixtures;
  let org: string;
  const acc: Record<string, CloudAccount> = {};
  let betaNodes: ResourceRecord;
  const now = new Date();
  const ago = (ms: number) => new Date(now.getTime() - ms);

  const cluster = async (name: string, range = RANGE) =>
    dataOf<{ k8sCluster: Cluster | null }>(
      await run(org, CLUSTER, { id: (acc[name] as CloudAccount).id, range }),
    ).k8sCluster;

  beforeAll(async () => {
    core = await createTestCore();
    run = await createGraphQL(core);
    fx = new Fixtures(core);
    await fx.holdMerges();
    org = await fx.organization('Org');
    const spec = (name: string) => ({
      name,
      type: 'KUBERNETES' as const,
      k8sProvider: 'GCP',
      region: 'europe-west1',
      owner: `${name}-team`,
      version: '1.29',
    });
    for (const name of ['gamma', 'alpha', 'eta', 'beta', 'epsilon'])
      acc[name] = await fx.account(org, spec(name));
    acc.delta = await fx.account(org, { ...spec('delta'), deleted: true });
    acc.zeta = await fx.account(org, { name: 'zeta aws', type: 'AWS' });

    await fx.heartbeat(acc.alpha as CloudAccount, ago(2 * 3600_000));
    await fx.heartbeat(acc.alpha as CloudAccount, now);
    await fx.heartbeat(acc.beta as CloudAccount, ago(3600_000));
    await fx.heartbeat(acc.epsilon as CloudAccount, ago(840_000));
    await fx.heartbeat(acc.eta as CloudAccount, ago(960_000));
    await fx.heartbeat(acc.delta as CloudAccount, now);

    const nodes = await fx.resource(acc.alpha as CloudAccount, {
      name: 'alpha-nodes',
      resourceType: 'K8s Cluster',
    });
    const storage = await fx.resource(acc.alpha as CloudAccount, {
      name: 'alpha-storage',
      resourceType: 'K8s Storage',
    });
    await fx.k8s(nodes, '2024-05-31', { cpu: 50, ram: 50, total: 100 });
    await fx.k8s(nodes, '2024-06-01', {
      cpu: 4,
      ram: 3,
      nodeUnsplit: 1,
      storage: 1,
      network: 0.5,
      loadBalancer: 0.5,
      management: 1,
      idle: 2,
      total: 11,
    });
    await fx.k8s(nodes, '2024-06-02', {
      cpu: 6,
      ram: 4,
      gpu: 1,
      storage: 2,
      network: 1,
      management: 1,
      idle: 3,
      total: 15,
    });
    await fx.k8s(storage, '2024-06-02', { storage: 4, total: 4 });
    await fx.k8s(nodes, '2024-06-04', {
      cpu: 5,
      ram: 5,
      storage: 1,
      network: 1,
      management: 1,
      idle: 1,
      total: 13,
    });
    // Written, then cancelled with its -1 row in a later insert (as a re-import would).
    await fx.k8s(nodes, '2024-06-03', { cpu: 7, network: null, total: 7 });
    await fx.k8s(nodes, '2024-06-03', { cpu: 7, network: null, total: 7 }, { sign: -1 });

    betaNodes = await fx.resource(acc.beta as CloudAccount, {
      name: 'beta-nodes',
      resourceType: 'K8s Cluster',
    });
    await fx.k8s(betaNodes, '2024-06-05', { cpu: 2, ram: 1, total: 3 }, { provisional: true });

    const epsilonNodes = await fx.resource(acc.epsilon as CloudAccount, { name: 'epsilon-nodes' });
    await fx.k8s(epsilonNodes, '2024-06-03', { cpu: 1, ram: 1, network: null, total: 2 });
  });
  afterAll(async () => core.dispose());

  it('lists the live clusters by name with their status from the 900 s threshold', async () => {
    const { k8sClusters } = dataOf<{ k8sClusters: Record<string, unknown>[] }>(await run(org, CLUSTERS));
    expect(k8sClusters).toEqual([
      {
        id: acc.alpha?.id,
        name: 'alpha',
        provider: 'GCP',
        region: 'europe-west1',
        owner: 'alpha-team',
        version: '1.29',
        status: 'HEALTHY',
        lastDataAt: now.toISOString(),
      },
      expect.objectContaining({ name: 'beta', status: 'STALE', lastDataAt: ago(3600_000).toISOString() }),
      expect.objectContaining({ name: 'epsilon', status: 'HEALTHY', lastDataAt: ago(840_000).toISOString() }),
      expect.objectContaining({ name: 'eta', status: 'STALE', lastDataAt: ago(960_000).toISOString() }),
      expect.objectContaining({ name: 'gamma', status: 'NO_DATA', lastDataAt: null }),
    ]);
  });

  it('takes the stale threshold from the config (K8S_STALE_AFTER_SECONDS)', async () => {
    // With 2 h (7200 s) instead of 15 min: 1 h and 16 min ago are HEALTHY, 3 h ago is STALE.
    const lenient = await createTestCore({ K8S_STALE_AFTER_SECONDS: '7200' });
    try {
      const lfx = new Fixtures(lenient);
      const lorg = await lfx.organization('Lenient');
      const hour = await lfx.account(lorg, { name: 'hour', type: 'KUBERNETES' });
      const sixteen = await lfx.account(lorg, { name: 'sixteen', type: 'KUBERNETES' });
      const three = await lfx.account(lorg, { name: 'three', type: 'KUBERNETES' });
      await lfx.heartbeat(hour, ago(3600_000));
      await lfx.heartbeat(sixteen, ago(960_000));
      await lfx.heartbeat(three, ago(3 * 3600_000));
      const lrun = await createGraphQL(lenient);
      const { k8sClusters } = dataOf<{ k8sClusters: { name: string; status: string }[] }>(
        await lrun(lorg, '{ k8sClusters { name status } }'),
      );
      expect(k8sClusters).toEqual([
        { name: 'hour', status: 'HEALTHY' },
        { name: 'sixteen', status: 'HEALTHY' },
        { name: 'three', status: 'STALE' },
      ]);
    } finally {
      await lenient.dispose();
    }
  });

  it('answers k8sCluster(id) with the same status and lastDataAt', async () => {
    expect(await cluster('alpha')).toMatchObject({
      name: 'alpha',
      status: 'HEALTHY',
      lastDataAt: now.toISOString(),
    });
    expect(await cluster('beta')).toMatchObject({ status: 'STALE', lastDataAt: ago(3600_000).toISOString() });
    expect(await cluster('gamma')).toMatchObject({ status: 'NO_DATA', lastDataAt: null });
  });

  it('answers null for a deleted cluster, a non-cluster account and an unknown id', async () => {
    expect(await cluster('delta')).toBeNull();
    expect(await cluster('zeta')).toBeNull();
    const unknown = await run(org, CLUSTER, { id: 'no-such-cluster', range: RANGE });
    expect(dataOf<{ k8sCluster: unknown }>(unknown).k8sCluster).toBeNull();
  });

  it('sums costs over the range across the resources of the cluster', async () => {
    const alpha = await cluster('alpha');
    // 06-01 + 06-02 (nodes + storage) + 06-04; 05-31 is outside
    expect(alpha?.costs).toEqual({
      cpu: 15, // 4 + 6 + 5
      ram: 12, // 3 + 4 + 5
      gpu: 1,
      nodeUnsplit: 1,
      storage: 8, // 1 + (2 + 4) + 1
      network: 2.5, // 0.5 + 1 + 0 + 1
      loadBalancer: 0.5,
      management: 3, // 1 + 1 + 1
      idle: 6, // 2 + 3 + 1
      total: 43, // 11 + (15 + 4) + 13
    });
  });

  it('gives one dailyCosts entry per day with data, in date order', async () => {
    const alpha = await cluster('alpha');
    expect(alpha?.dailyCosts).toEqual([
      {
        date: '2024-06-01',
        provisional: false,
        costs: {
          cpu: 4,
          ram: 3,
          gpu: 0,
          nodeUnsplit: 1,
          storage: 1,
          network: 0.5,
          loadBalancer: 0.5,
          management: 1,
          idle: 2,
          total: 11,
        },
      },
      {
        date: '2024-06-02',
        provisional: false,
        costs: {
          cpu: 6,
          ram: 4,
          gpu: 1,
          nodeUnsplit: 0,
          storage: 6, // nodes 2 + storage 4
          network: 1, // nodes 1 + storage 0
          loadBalancer: 0,
          management: 1,
          idle: 3,
          total: 19, // 15 + 4
        },
      },
      {
        date: '2024-06-04',
        provisional: false,
        costs: {
          cpu: 5,
          ram: 5,
          gpu: 0,
          nodeUnsplit: 0,
          storage: 1,
          network: 1,
          loadBalancer: 0,
          management: 1,
          idle: 1,
          total: 13,
        },
      },
    ]);
  });

  it('restricts costs and dailyCosts to the asked range', async () => {
    const alpha = await cluster('alpha', { start: '2024-06-02', end: '2024-06-03' });
    expect(alpha?.costs.total).toBe(19); // 06-02 only: 15 + 4
    expect(alpha?.dailyCosts.map((d) => d.date)).toEqual(['2024-06-02']);
    const before = await cluster('alpha', { start: '2024-05-31', end: '2024-05-31' });
    expect(before?.costs).toMatchObject({ cpu: 50, ram: 50, total: 100 });
  });

  it('gives zeros (network unknown) and no days for a cluster without data', async () => {
    const gamma = await cluster('gamma');
    expect(gamma?.costs).toEqual(ZERO_COSTS);
    expect(gamma?.dailyCosts).toEqual([]);
  });

  it('gives network null when a day has no network counters', async () => {
    const epsilon = await cluster('epsilon');
    expect(epsilon?.costs).toMatchObject({ cpu: 1, ram: 1, network: null, total: 2 });
    expect(epsilon?.dailyCosts).toEqual([
      expect.objectContaining({
        date: '2024-06-03',
        costs: expect.objectContaining({ network: null, total: 2 }),
      }),
    ]);
  });

  it('marks a provisional day, and not after a correction replaces it with a final row', async () => {
    const before = await cluster('beta');
    expect(before?.dailyCosts).toEqual([
      expect.objectContaining({
        date: '2024-06-05',
        provisional: true,
        costs: expect.objectContaining({ total: 3 }),
      }),
    ]);
    expect(before?.costs).toMatchObject({ cpu: 2, ram: 1, total: 3 });

    // The correction: the provisional row again with sign -1, then the final row.
    await fx.k8s(betaNodes, '2024-06-05', { cpu: 2, ram: 1, total: 3 }, { provisional: true, sign: -1 });
    await fx.k8s(betaNodes, '2024-06-05', { cpu: 3, ram: 2, total: 5 }, { provisional: false });

    const after = await cluster('beta');
    expect(after?.dailyCosts).toEqual([
      {
        date: '2024-06-05',
        provisional: false,
        costs: { ...ZERO_COSTS, cpu: 3, ram: 2, network: 0, total: 5 },
      },
    ]);
    // 3 - 3 + 5 = 5, not 3 + 5 = 8
    expect(after?.costs).toEqual({ ...ZERO_COSTS, cpu: 3, ram: 2, network: 0, total: 5 });
  });
});
