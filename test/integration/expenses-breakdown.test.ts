import { createTestCore } from '../support/test-core';
import { createGraphQL, dataOf, errorOf, Fixtures, type RunGraphQL } from '../support/fixtures';
import type { CloudAccount } from '../../src/domain/model';

// Range 2024-05-10 .. 2024-05-12 (3 days); previous period 2024-05-07 .. 2024-05-09 (the 3 days before).
// The 11th has no cost at all.
//
// accounts: AWS "Prod AWS", AZURE "Corp Azure", GCP "Data GCP", KUBERNETES "Cluster One" and "Cluster Two"
//
// resource       account      type           region        service        owner  tags         previous      current
// a1 web-1       Prod AWS     Instance       us-east-1     AmazonEC2      alice  team=web     8 (08)        10 (10) + 10 (12) = 20
// a2 vol-1       Prod AWS     Volume         us-east-1     AmazonEBS      bob    team=data    2 (09)        5 (10); 12th +3 -3 = 5
// z1 vm-1        Corp Azure   VirtualMachine westeurope    Compute        alice  -            -             4 (12)
// g1 bucket-1    Data GCP     Bucket         europe-west1  Cloud Storage  carol  team=data    3 (07)        -
// k1 cluster-one Cluster One  K8s Cluster    us-east-1     Kubernetes     dave   team=web     5 (08)        6 (10) + 6 (12) = 12
// k2 cluster-two Cluster Two  K8s Cluster    eu-central-1  Kubernetes     erin   -            7 (09)        -
//
// a1 also has 1000 on the 6th and the 13th: outside both periods.
// OTHER "Misc" has o1 (owner zed) with +9 / -9 on the 8th and on the 10th: cancelled, so absent everywhere.
// current total  = 20 + 5 + 4 + 12 = 41
// previous total = 8 + 2 + 3 + 5 + 7 = 25
// Each day: 10th = 10 + 5 + 6 = 21, 11th = 0, 12th = 10 + 4 + 6 = 20 (21 + 0 + 20 = 41)

const RANGE = { start: '2024-05-10', end: '2024-05-12' };

interface Item {
  key: string;
  name: string;
  cost: number;
}
interface Breakdown {
  range: { start: string; end: string };
  previousRange: { start: string; end: string };
  by: string;
  tagKey: string | null;
  days: { date: string; total: number; items: Item[] }[];
  totals: { key: string; name: string; total: number; previousTotal: number }[];
  total: number;
  previousTotal: number;
}
interface Summary {
  range: { start: string; end: string };
  previousRange: { start: string; end: string };
  total: number;
  previousTotal: number;
  byProvider: { provider: string; cost: number; previousCost: number }[];
}

const BREAKDOWN = /* GraphQL */ `
  query ($range: DateRangeInput!, $by: BreakdownDimension!, $tagKey: String, $filter: ExpenseFilterInput) {
    expenseBreakdown(range: $range, by: $by, tagKey: $tagKey, filter: $filter) {
      range {
        start
        end
      }
      previousRange {
        start
        end
      }
      by
      tagKey
      days {
        date
        total
        items {
          key
          name
          cost
        }
      }
      totals {
        key
        name
        total
        previousTotal
      }
      total
      previousTotal
    }
  }
`;

const SUMMARY = /* GraphQL */ `
  query ($range: DateRangeInput!, $filter: ExpenseFilterInput) {
    costSummary(range: $range, filter: $filter) {
      range {
        start
        end
      }
      previousRange {
        start
        end
      }
      total
      previousTotal
      byProvider {
        provider
        cost
        previousCost
      }
    }
  }
`;

describe('expenseBreakdown and costSummary', () => {
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let run: RunGraphQL;
  let org: string;
  const acc: Record<string, CloudAccount> = {};

  async function breakdown(variables: Record<string, unknown>): Promise<Breakdown> {
    return dataOf<{ expenseBreakdown: Breakdown }>(await run(org, BREAKDOWN, { range: RANGE, ...variables }))
      .expenseBreakdown;
  }
  async function summary(variables: Record<string, unknown> = {}): Promise<Summary> {
    return dataOf<{ costSummary: Summary }>(await run(org, SUMMARY, { range: RANGE, ...variables }))
      .costSummary;
  }
  const id = (name: string) => (acc[name] as CloudAccount).id;

  beforeAll(async () => {
    core = await createTestCore();
    run = await createGraphQL(core);
    const fx = new Fixtures(core);
    await fx.holdMerges();
    org = await fx.organization('Org A');
    acc.aws = await fx.account(org, { name: 'Prod AWS', type: 'AWS' });
    acc.azure = await fx.account(org, { name: 'Corp Azure', type: 'AZURE' });
    acc.gcp = await fx.account(org, { name: 'Data GCP', type: 'GCP' });
    acc.k1 = await fx.account(org, { name: 'Cluster One', type: 'KUBERNETES' });
    acc.k2 = await fx.account(org, { name: 'Cluster Two', type: 'KUBERNETES' });
    acc.other = await fx.account(org, { name: 'Misc', type: 'OTHER' });
    const a1 = await fx.resource(acc.aws, {
      name: 'web-1',
      resourceType: 'Instance',
      region: 'us-east-1',
      service: 'AmazonEC2',
      owner: 'alice',
      tags: { team: 'web' },
    });
    const a2 = await fx.resource(acc.aws, {
      name: 'vol-1',
      resourceType: 'Volume',
      region: 'us-east-1',
      service: 'AmazonEBS',
      owner: 'bob',
      tags: { team: 'data' },
    });
    const z1 = await fx.resource(acc.azure, {
      name: 'vm-1',
      resourceType: 'VirtualMachine',
      region: 'westeurope',
      service: 'Compute',
      owner: 'alice',
    });
    const g1 = await fx.resource(acc.gcp, {
      name: 'bucket-1',
      resourceType: 'Bucket',
      region: 'europe-west1',
      service: 'Cloud Storage',
      owner: 'carol',
      tags: { team: 'data' },
    });
    const k1 = await fx.resource(acc.k1, {
      name: 'cluster-one',
      resourceType: 'K8s Cluster',
      region: 'us-east-1',
      service: 'Kubernetes',
      owner: 'dave',
      tags: { team: 'web' },
    });
    const k2 = await fx.resource(acc.k2, {
      name: 'cluster-two',
      resourceType: 'K8s Cluster',
      region: 'eu-central-1',
      service: 'Kubernetes',
      owner: 'erin',
    });
    await fx.costs(a1, {
      '2024-05-06': 1000,
      '2024-05-08': 8,
      '2024-05-10': 10,
      '2024-05-12': 10,
      '2024-05-13': 1000,
    });
    await fx.costs(a2, { '2024-05-09': 2, '2024-05-10': 5, '2024-05-12': 3 });
    await fx.cancel(a2, '2024-05-12', 3);
    await fx.costs(z1, { '2024-05-12': 4 });
    await fx.costs(g1, { '2024-05-07': 3 });
    await fx.costs(k1, { '2024-05-08': 5, '2024-05-10': 6, '2024-05-12': 6 });
    await fx.costs(k2, { '2024-05-09': 7 });
    const o1 = await fx.resource(acc.other, { name: 'misc-1', resourceType: 'Misc', owner: 'zed' });
    await fx.costs(o1, { '2024-05-08': 9, '2024-05-10': 9 });
    await fx.cancel(o1, '2024-05-08', 9);
    await fx.cancel(o1, '2024-05-10', 9);
  });
  afterAll(async () => core.dispose());

  it('by PROVIDER: every day in order, empty days empty, totals against the previous period', async () => {
    const b = await breakdown({ by: 'PROVIDER' });
    expect(b.range).toEqual(RANGE);
    expect(b.previousRange).toEqual({ start: '2024-05-07', end: '2024-05-09' });
    expect(b.by).toBe('PROVIDER');
    expect(b.tagKey).toBeNull();
    expect(b.days).toEqual([
      {
        date: '2024-05-10',
        total: 21, // AWS 10 + 5 = 15, KUBERNETES 6
        items: [
          { key: 'AWS', name: 'AWS', cost: 15 },
          { key: 'KUBERNETES', name: 'KUBERNETES', cost: 6 },
        ],
      },
      { date: '2024-05-11', total: 0, items: [] },
      {
        date: '2024-05-12',
        total: 20, // AWS 10 (vol-1 cancelled), KUBERNETES 6, AZURE 4
        items: [
          { key: 'AWS', name: 'AWS', cost: 10 },
          { key: 'KUBERNETES', name: 'KUBERNETES', cost: 6 },
          { key: 'AZURE', name: 'AZURE', cost: 4 },
        ],
      },
    ]);
    expect(b.totals).toEqual([
      { key: 'AWS', name: 'AWS', total: 25, previousTotal: 10 }, // 15 + 10 ; 8 + 2
      { key: 'KUBERNETES', name: 'KUBERNETES', total: 12, previousTotal: 12 }, // 6 + 6 ; 5 + 7
      { key: 'AZURE', name: 'AZURE', total: 4, previousTotal: 0 }, // only in the current period
      { key: 'GCP', name: 'GCP', total: 0, previousTotal: 3 }, // only in the previous period
    ]);
    expect(b.total).toBe(41);
    expect(b.previousTotal).toBe(25);
  });

  it('by CLOUD_ACCOUNT: keyed by account id, named by account name', async () => {
    const b = await breakdown({ by: 'CLOUD_ACCOUNT' });
    expect(b.totals).toEqual([
      { key: id('aws'), name: 'Prod AWS', total: 25, previousTotal: 10 },
      { key: id('k1'), name: 'Cluster One', total: 12, previousTotal: 5 },
      { key: id('azure'), name: 'Corp Azure', total: 4, previousTotal: 0 },
      { key: id('k2'), name: 'Cluster Two', total: 0, previousTotal: 7 },
      { key: id('gcp'), name: 'Data GCP', total: 0, previousTotal: 3 },
    ]);
    expect(b.days.map((d) => d.items.map((i) => i.name))).toEqual([
      ['Prod AWS', 'Cluster One'],
      [],
      ['Prod AWS', 'Cluster One', 'Corp Azure'],
    ]);
    expect([b.total, b.previousTotal]).toEqual([41, 25]);
  });

  it('by RESOURCE_TYPE: a type whose only row of a day is cancelled has no item that day', async () => {
    const b = await breakdown({ by: 'RESOURCE_TYPE' });
    expect(b.days).toEqual([
      {
        date: '2024-05-10',
        total: 21,
        items: [
          { key: 'Instance', name: 'Instance', cost: 10 },
          { key: 'K8s Cluster', name: 'K8s Cluster', cost: 6 },
          { key: 'Volume', name: 'Volume', cost: 5 },
        ],
      },
      { date: '2024-05-11', total: 0, items: [] },
      {
        date: '2024-05-12',
        total: 20,
        items: [
          { key: 'Instance', name: 'Instance', cost: 10 },
          { key: 'K8s Cluster', name: 'K8s Cluster', cost: 6 },
          { key: 'VirtualMachine', name: 'VirtualMachine', cost: 4 },
        ],
      },
    ]);
    expect(b.totals).toEqual([
      { key: 'Instance', name: 'Instance', total: 20, previousTotal: 8 },
      { key: 'K8s Cluster', name: 'K8s Cluster', total: 12, previousTotal: 12 }, // 6 + 6 ; 5 + 7
      { key: 'Volume', name: 'Volume', total: 5, previousTotal: 2 },
      { key: 'VirtualMachine', name: 'VirtualMachine', total: 4, previousTotal: 0 },
      { key: 'Bucket', name: 'Bucket', total: 0, previousTotal: 3 },
    ]);
    expect([b.total, b.previousTotal]).toEqual([41, 25]);
  });

  it('by REGION', async () => {
    const b = await breakdown({ by: 'REGION' });
    expect(b.totals).toEqual([
      { key: 'us-east-1', name: 'us-east-1', total: 37, previousTotal: 15 }, // 20 + 5 + 12 ; 8 + 2 + 5
      { key: 'westeurope', name: 'westeurope', total: 4, previousTotal: 0 },
      { key: 'eu-central-1', name: 'eu-central-1', total: 0, previousTotal: 7 },
      { key: 'europe-west1', name: 'europe-west1', total: 0, previousTotal: 3 },
    ]);
    expect(b.days.map((d) => d.total)).toEqual([21, 0, 20]);
  });

  it('by SERVICE', async () => {
    const b = await breakdown({ by: 'SERVICE' });
    expect(b.totals).toEqual([
      { key: 'AmazonEC2', name: 'AmazonEC2', total: 20, previousTotal: 8 },
      { key: 'Kubernetes', name: 'Kubernetes', total: 12, previousTotal: 12 },
      { key: 'AmazonEBS', name: 'AmazonEBS', total: 5, previousTotal: 2 },
      { key: 'Compute', name: 'Compute', total: 4, previousTotal: 0 },
      { key: 'Cloud Storage', name: 'Cloud Storage', total: 0, previousTotal: 3 },
    ]);
  });

  it('by OWNER', async () => {
    const b = await breakdown({ by: 'OWNER' });
    expect(b.totals).toEqual([
      { key: 'alice', name: 'alice', total: 24, previousTotal: 8 }, // web-1 20 + vm-1 4 ; web-1 8
      { key: 'dave', name: 'dave', total: 12, previousTotal: 5 },
      { key: 'bob', name: 'bob', total: 5, previousTotal: 2 },
      { key: 'erin', name: 'erin', total: 0, previousTotal: 7 },
      { key: 'carol', name: 'carol', total: 0, previousTotal: 3 },
    ]);
    expect(b.days[0]?.items).toEqual([
      { key: 'alice', name: 'alice', cost: 10 },
      { key: 'dave', name: 'dave', cost: 6 },
      { key: 'bob', name: 'bob', cost: 5 },
    ]);
  });

  it('by K8S_CLUSTER: Kubernetes rows only', async () => {
    const b = await breakdown({ by: 'K8S_CLUSTER' });
    expect(b.days).toEqual([
      { date: '2024-05-10', total: 6, items: [{ key: id('k1'), name: 'Cluster One', cost: 6 }] },
      { date: '2024-05-11', total: 0, items: [] },
      { date: '2024-05-12', total: 6, items: [{ key: id('k1'), name: 'Cluster One', cost: 6 }] },
    ]);
    expect(b.totals).toEqual([
      { key: id('k1'), name: 'Cluster One', total: 12, previousTotal: 5 },
      { key: id('k2'), name: 'Cluster Two', total: 0, previousTotal: 7 },
    ]);
    expect(b.total).toBe(12); // 6 + 6
    expect(b.previousTotal).toBe(12); // 5 + 7
  });

  it('by K8S_CLUSTER with a resource-level filter: still Kubernetes rows only', async () => {
    // us-east-1 holds web-1, vol-1 and cluster-one; only cluster-one is a cluster.
    const b = await breakdown({ by: 'K8S_CLUSTER', filter: { regions: ['us-east-1'] } });
    expect(b.totals).toEqual([{ key: id('k1'), name: 'Cluster One', total: 12, previousTotal: 5 }]);
    expect([b.total, b.previousTotal]).toEqual([12, 5]);
  });

  it('by TAG: split by the tag value, untagged as key "" named "(none)"', async () => {
    const b = await breakdown({ by: 'TAG', tagKey: 'team' });
    expect(b.tagKey).toBe('team');
    expect(b.days).toEqual([
      {
        date: '2024-05-10',
        total: 21,
        items: [
          { key: 'web', name: 'web', cost: 16 }, // web-1 10 + cluster-one 6
          { key: 'data', name: 'data', cost: 5 },
        ],
      },
      { date: '2024-05-11', total: 0, items: [] },
      {
        date: '2024-05-12',
        total: 20,
        items: [
          { key: 'web', name: 'web', cost: 16 },
          { key: '', name: '(none)', cost: 4 }, // vm-1
        ],
      },
    ]);
    expect(b.totals).toEqual([
      { key: 'web', name: 'web', total: 32, previousTotal: 13 }, // 16 + 16 ; 8 + 5
      { key: 'data', name: 'data', total: 5, previousTotal: 5 }, // 5 ; 2 + 3
      { key: '', name: '(none)', total: 4, previousTotal: 7 }, // vm-1 4 ; cluster-two 7
    ]);
    expect([b.total, b.previousTotal]).toEqual([41, 25]);
  });

  it('applies the filter (resource-level and account-level)', async () => {
    const alice = await breakdown({ by: 'PROVIDER', filter: { owners: ['alice'] } });
    expect(alice.totals).toEqual([
      { key: 'AWS', name: 'AWS', total: 20, previousTotal: 8 },
      { key: 'AZURE', name: 'AZURE', total: 4, previousTotal: 0 },
    ]);
    expect([alice.total, alice.previousTotal]).toEqual([24, 8]);
    expect(alice.days.map((d) => d.total)).toEqual([10, 0, 14]); // 10th 10; 12th 10 + 4

    const aws = await breakdown({ by: 'CLOUD_ACCOUNT', filter: { providers: ['AWS'] } });
    expect(aws.totals).toEqual([{ key: id('aws'), name: 'Prod AWS', total: 25, previousTotal: 10 }]);
    expect(aws.days.map((d) => d.total)).toEqual([15, 0, 10]);
  });

  it('uses the previous period of the same length for a one-day range', async () => {
    // 2024-05-10 alone; previous = 2024-05-09: vol-1 2 + cluster-two 7 = 9
    const b = await breakdown({ range: { start: '2024-05-10', end: '2024-05-10' }, by: 'PROVIDER' });
    expect(b.previousRange).toEqual({ start: '2024-05-09', end: '2024-05-09' });
    expect(b.totals).toEqual([
      { key: 'AWS', name: 'AWS', total: 15, previousTotal: 2 },
      { key: 'KUBERNETES', name: 'KUBERNETES', total: 6, previousTotal: 7 },
    ]);
    expect([b.total, b.previousTotal]).toEqual([21, 9]);
  });

  it('rejects TAG without tagKey, naming tagKey', async () => {
    const error = errorOf(await run(org, BREAKDOWN, { range: RANGE, by: 'TAG' }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/^tagKey\b/);
    const empty = errorOf(await run(org, BREAKDOWN, { range: RANGE, by: 'TAG', tagKey: '' }));
    expect(empty.code).toBe('BAD_USER_INPUT');
    expect(empty.message).toMatch(/^tagKey\b/);
  });

  it('rejects tagKey with another dimension, naming tagKey', async () => {
    const error = errorOf(await run(org, BREAKDOWN, { range: RANGE, by: 'REGION', tagKey: 'team' }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/^tagKey\b/);
  });

  describe('costSummary', () => {
    const byProvider = (s: Summary) => [...s.byProvider].sort((a, b) => (a.provider < b.provider ? -1 : 1));

    // OTHER (only cancelled rows) is absent from byProvider, as it is from the breakdown.
    it('gives total, previousTotal and each provider against the previous period', async () => {
      const s = await summary();
      expect(s.range).toEqual(RANGE);
      expect(s.previousRange).toEqual({ start: '2024-05-07', end: '2024-05-09' });
      expect(s.total).toBe(41);
      expect(s.previousTotal).toBe(25);
      expect(byProvider(s)).toEqual([
        { provider: 'AWS', cost: 25, previousCost: 10 }, // 20 + 5 ; 8 + 2
        { provider: 'AZURE', cost: 4, previousCost: 0 },
        { provider: 'GCP', cost: 0, previousCost: 3 },
        { provider: 'KUBERNETES', cost: 12, previousCost: 12 }, // 6 + 6 ; 5 + 7
      ]);
    });

    it('applies a resource-level filter', async () => {
      // us-east-1: web-1 20 / 8, vol-1 5 / 2, cluster-one 12 / 5
      const s = await summary({ filter: { regions: ['us-east-1'] } });
      expect(s.total).toBe(37);
      expect(s.previousTotal).toBe(15);
      expect(byProvider(s)).toEqual([
        { provider: 'AWS', cost: 25, previousCost: 10 },
        { provider: 'KUBERNETES', cost: 12, previousCost: 5 },
      ]);
    });

    it('applies an account-level filter', async () => {
      const s = await summary({ filter: { providers: ['GCP', 'AZURE'] } });
      expect(s.total).toBe(4);
      expect(s.previousTotal).toBe(3);
      expect(byProvider(s)).toEqual([
        { provider: 'AZURE', cost: 4, previousCost: 0 },
        { provider: 'GCP', cost: 0, previousCost: 3 },
      ]);
    });
  });
});
