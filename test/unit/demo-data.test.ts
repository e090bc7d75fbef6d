import { buildDemoData, type DemoData } from '../../src/demo/demo-data';
import { addDays, eachDay } from '../../src/domain/days';
import { allocationRowTotal } from '../../src/domain/allocation';

const LAST_DAY = '2025-06-30';
const NOW = new Date('2025-07-01T06:00:00.000Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function build(lastDay = LAST_DAY, days?: number): DemoData {
  return buildDemoData({ lastDay, now: NOW, ...(days === undefined ? {} : { days }) });
}

function accountByName(data: DemoData, name: string) {
  const account = data.accounts.find((a) => a.name === name);
  if (!account) throw new Error(`no account ${name}`);
  return account;
}

describe('buildDemoData', () => {
  const data = build();
  const range = eachDay(addDays(LAST_DAY, -89), LAST_DAY);

  it('is deterministic: the same options give byte-identical output', () => {
    expect(JSON.stringify(build())).toBe(JSON.stringify(data));
    expect(JSON.stringify(build(LAST_DAY, 90))).toBe(JSON.stringify(data));
  });

  it('follows lastDay: a different last day shifts every date', () => {
    const shifted = build('2025-07-15');
    const dates = (d: DemoData) => [...new Set(d.expenses.map((e) => e.date))].sort();
    expect(dates(data)).toEqual(range);
    expect(dates(shifted)).toEqual(eachDay(addDays('2025-07-15', -89), '2025-07-15'));
    expect(shifted.accounts[0]?.createdAt.toISOString()).toBe(`${addDays('2025-07-15', -89)}T00:00:00.000Z`);
    expect(shifted.resources).toHaveLength(data.resources.length);
    // Resource ids do not depend on the range.
    expect(shifted.resources.map((r) => r.id)).toEqual(data.resources.map((r) => r.id));
  });

  it('gives every cluster-day a workload allocation that adds up to its breakdown, bill-corrected too', () => {
    expect(data.allocations).toHaveLength(data.k8sBreakdowns.length);
    for (const day of data.allocations) {
      const estimate = data.estimates.find((e) => e.clusterId === day.clusterId && e.date === day.day);
      const reconciled = data.k8sBreakdowns.find(
        (b) => b.cloudAccountId === day.clusterId && b.date === day.day,
      );
      const atList = day.rows.reduce((sum, row) => sum + allocationRowTotal(row), 0);
      expect(atList).toBeCloseTo(estimate?.estimate.breakdown.total ?? NaN, 4);
      // The correction as the reader applies it: a node's rows scaled by its factor.
      const corrected = day.rows.reduce(
        (sum, row) =>
          sum +
          allocationRowTotal(row) +
          (row.cpu + row.ram + row.gpu + row.idleCpu + row.idleRam + row.idleGpu + row.idleOther) *
            ((day.correction.nodeFactors[row.node] ?? 1) - 1),
        day.correction.extraIdle,
      );
      expect(corrected).toBeCloseTo(reconciled?.total ?? NaN, 4);
    }
    const namespaces = new Set(data.allocations.flatMap((d) => d.rows.map((r) => r.namespace)));
    expect([...namespaces].sort()).toEqual([
      '',
      'kube-system',
      'ml',
      'monitoring',
      'payments',
      'serving',
      'shop',
    ]);
  });

  it('has an import per cloud account and month holding exactly its rows and dollars, and one refused', () => {
    // 2025-04-02 .. 2025-06-30: April (29 days), May, June for each of the four cloud accounts.
    const succeeded = data.imports.filter((i) => i.state === 'SUCCEEDED');
    expect(succeeded).toHaveLength(4 * 3);
    const awsProd = accountByName(data, 'aws-production');
    const may = succeeded.find((i) => i.files[0] === 'focus/aws-production-2025-05.csv.gz');
    const rows = data.expenses.filter((e) => e.cloudAccountId === awsProd.id && e.date.startsWith('2025-05'));
    expect(may).toMatchObject({
      rowsRead: rows.length,
      rowsImported: rows.length,
      firstDay: '2025-05-01',
      lastDay: '2025-05-31',
      startedAt: new Date('2025-06-01T06:00:00.000Z'),
      error: null,
    });
    expect(may?.totalCost).toBeCloseTo(
      rows.reduce((sum, e) => sum + e.cost, 0),
      5,
    );
    const cloudRows = data.expenses.filter((e) =>
      data.accounts.some((a) => a.id === e.cloudAccountId && a.type !== 'KUBERNETES'),
    );
    expect(succeeded.reduce((n, i) => n + i.rowsImported, 0)).toBe(cloudRows.length);
    // Newest first, none after `now`, and the refused file says why.
    const times = data.imports.map((i) => i.startedAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(Math.max(...times)).toBeLessThan(NOW.getTime());
    expect(data.imports.filter((i) => i.state === 'FAILED')).toEqual([
      expect.objectContaining({ rowsRead: 0, error: expect.stringContaining('not a FOCUS file') }),
    ]);
  });

  it('has budgets on a cluster, a provider, a tag and a quarter, in whole hundreds set from the last 30 days', () => {
    expect(data.budgets.map((b) => [b.name, b.period])).toEqual([
      ['prod-eks cluster', 'MONTHLY'],
      ['AWS', 'MONTHLY'],
      ['Data team', 'MONTHLY'],
      ['ML quarter', 'QUARTERLY'],
    ]);
    const last30 = new Set(range.slice(-30));
    const aws = accountByName(data, 'aws-production');
    const staging = accountByName(data, 'aws-staging');
    const awsCost = data.expenses
      .filter((e) => last30.has(e.date) && (e.cloudAccountId === aws.id || e.cloudAccountId === staging.id))
      .reduce((sum, e) => sum + e.cost, 0);
    expect(data.budgets[1]?.amount).toBe(Math.round((awsCost * 0.95) / 100) * 100);
    for (const budget of data.budgets) expect(budget.amount % 100).toBe(0);
  });

  it('honours days', () => {
    const short = build(LAST_DAY, 7);
    expect([...new Set(short.expenses.map((e) => e.date))].sort()).toEqual(eachDay('2025-06-24', LAST_DAY));
    expect(short.k8sBreakdowns).toHaveLength(14);
  });

  it('rejects a bad lastDay or days', () => {
    expect(() => build('2025-02-30')).toThrow(/lastDay/);
    expect(() => build(LAST_DAY, 0)).toThrow(/days/);
    expect(() => build(LAST_DAY, 1.5)).toThrow(/days/);
  });

  it('has the organization, its accounts and well-formed ids', () => {
    expect(data.organization.name).toBe('Demo Corp');
    expect(data.organization.id).toMatch(UUID);
    expect(data.accounts.map((a) => [a.name, a.type])).toEqual([
      ['aws-production', 'AWS'],
      ['aws-staging', 'AWS'],
      ['azure-analytics', 'AZURE'],
      ['gcp-ml', 'GCP'],
      ['prod-eks', 'KUBERNETES'],
      ['ml-gke', 'KUBERNETES'],
    ]);
    for (const account of data.accounts) {
      expect(account.id).toMatch(UUID);
      expect(account.organizationId).toBe(data.organization.id);
      expect(account.deleted).toBe(false);
      expect(account.createdAt.toISOString()).toBe(`${range[0]}T00:00:00.000Z`);
    }
    expect(new Set(data.accounts.map((a) => a.type))).toEqual(new Set(['AWS', 'AZURE', 'GCP', 'KUBERNETES']));
    expect(accountByName(data, 'aws-production').accountRef).toMatch(/^\d{12}$/);
    expect(accountByName(data, 'prod-eks')).toMatchObject({
      k8sProvider: 'AWS',
      region: 'us-east-1',
      owner: 'platform-team',
      version: '1.29',
      accountRef: '',
    });
    expect(accountByName(data, 'ml-gke')).toMatchObject({
      k8sProvider: 'GCP',
      region: 'europe-west4',
      owner: 'ml-team',
      version: '1.30',
    });
    expect(accountByName(data, 'gcp-ml')).toMatchObject({
      k8sProvider: '',
      region: '',
      owner: '',
      version: '',
    });

    const ids = data.resources.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID);
    const cloudResources = data.resources.filter((r) => r.resourceType !== 'K8s Cluster');
    expect(cloudResources.length).toBeGreaterThanOrEqual(40);
    expect(cloudResources.length).toBeLessThanOrEqual(100);
  });

  it('covers all four cloud providers and both clusters', () => {
    const accounts = new Map(data.accounts.map((a) => [a.id, a]));
    const typesWithCost = new Set(data.expenses.map((e) => accounts.get(e.cloudAccountId)?.type));
    expect(typesWithCost).toEqual(new Set(['AWS', 'AZURE', 'GCP', 'KUBERNETES']));
    const clusters = data.resources.filter((r) => r.resourceType === 'K8s Cluster');
    expect(clusters.map((c) => [c.name, c.cloudResourceId, c.service, c.region, c.owner, c.tags])).toEqual([
      ['prod-eks', 'prod-eks', 'Kubernetes', 'us-east-1', 'platform-team', { env: 'prod' }],
      ['ml-gke', 'ml-gke', 'Kubernetes', 'europe-west4', 'ml-team', { env: 'ml' }],
    ]);
    const kinds = new Set(data.resources.map((r) => `${r.service}/${r.resourceType}`));
    for (const kind of [
      'AmazonEC2/Instance',
      'AmazonEC2/Volume',
      'AmazonRDS/RDS Instance',
      'AmazonS3/Bucket',
      'Microsoft.Compute/Virtual Machine',
      'Microsoft.Sql/SQL Database',
      'Microsoft.Storage/Storage Account',
      'Compute Engine/Instance',
      'BigQuery/Dataset',
      'Cloud Storage/Bucket',
    ]) {
      expect(kinds).toContain(kind);
    }
  });

  it('references only existing resources and accounts of the organization, one row per resource-day', () => {
    const accountIds = new Set(data.accounts.map((a) => a.id));
    const resources = new Map(data.resources.map((r) => [r.id, r]));
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const e of data.expenses) {
      const resource = resources.get(e.resourceId);
      const key = `${e.resourceId}|${e.date}`;
      if (!resource) problems.push(`${key}: unknown resource`);
      else if (resource.organizationId !== data.organization.id) problems.push(`${key}: other organization`);
      else if (resource.cloudAccountId !== e.cloudAccountId)
        problems.push(`${key}: account differs from resource's`);
      if (!accountIds.has(e.cloudAccountId)) problems.push(`${key}: unknown account`);
      if (e.sign !== 1) problems.push(`${key}: sign ${e.sign}`);
      if (!(e.cost > 0) || e.cost !== Math.round(e.cost * 1e6) / 1e6) problems.push(`${key}: cost ${e.cost}`);
      if (e.date < range[0]! || e.date > LAST_DAY) problems.push(`${key}: out of range`);
      if (seen.has(key)) problems.push(`${key}: duplicate`);
      seen.add(key);
    }
    expect(problems).toEqual([]);
    for (const r of data.resources) expect(accountIds.has(r.cloudAccountId)).toBe(true);
  });

  it('has firstSeen/lastSeen equal to the first/last expense day, with no gap between', () => {
    const dates = new Map<string, string[]>();
    for (const e of data.expenses) dates.set(e.resourceId, [...(dates.get(e.resourceId) ?? []), e.date]);
    for (const r of data.resources) {
      const own = (dates.get(r.id) ?? []).sort();
      expect(own.length).toBeGreaterThan(0);
      expect(own[0]).toBe(r.firstSeen);
      expect(own[own.length - 1]).toBe(r.lastSeen);
      expect(own).toEqual(eachDay(r.firstSeen, r.lastSeen));
    }
    // Some keys appear and disappear within the range.
    expect(data.resources.some((r) => r.firstSeen > range[0]!)).toBe(true);
    expect(data.resources.some((r) => r.lastSeen < LAST_DAY)).toBe(true);
  });

  it('has a consistent breakdown for every cluster-day', () => {
    const clusters = data.resources.filter((r) => r.resourceType === 'K8s Cluster');
    expect(data.k8sBreakdowns).toHaveLength(clusters.length * range.length);
    const expenseOf = new Map(data.expenses.map((e) => [`${e.resourceId}|${e.date}`, e]));
    const seen = new Set<string>();
    for (const b of data.k8sBreakdowns) {
      const key = `${b.resourceId}|${b.date}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      expect(clusters.some((c) => c.id === b.resourceId && c.cloudAccountId === b.cloudAccountId)).toBe(true);
      expect(b.sign).toBe(1);
      expect(b.provisional).toBe(false);
      expect(b.nodeUnsplit).toBe(0);
      expect(typeof b.network).toBe('number');
      const sum =
        b.cpu + b.ram + b.gpu + b.nodeUnsplit + b.storage + (b.network ?? 0) + b.loadBalancer + b.management;
      expect(Math.abs(b.total - sum)).toBeLessThan(1e-9);
      expect(b.idle).toBeGreaterThan(0);
      expect(b.idle).toBeLessThanOrEqual(b.cpu + b.ram + b.gpu);
      expect(b.idle / (b.cpu + b.ram + b.gpu)).toBeGreaterThanOrEqual(0.1 - 1e-6);
      expect(b.idle / (b.cpu + b.ram + b.gpu)).toBeLessThanOrEqual(0.35 + 1e-6);
      // The cluster's expense is what no bill line carries: the reconciled total minus the
      // billed nodes (rounded to the micro-dollar like every demo cost).
      const nodes = data.links.filter((l) => l.clusterId === b.cloudAccountId).map((l) => l.resourceId);
      const billed = nodes.reduce((sum, id) => sum + (expenseOf.get(`${id}|${b.date}`)?.cost ?? 0), 0);
      expect(billed).toBeGreaterThan(0);
      expect(expenseOf.get(key)?.cost).toBeCloseTo(b.total - billed, 5);
      expect(data.estimates.some((e) => e.clusterId === b.cloudAccountId && e.date === b.date)).toBe(true);
    }
  });

  it('charges prod-eks exactly 2.4 for management and 1.2 for load balancers every day, with no GPU', () => {
    const eks = accountByName(data, 'prod-eks');
    const rows = data.k8sBreakdowns.filter((b) => b.cloudAccountId === eks.id);
    expect(rows).toHaveLength(90);
    for (const b of rows) {
      expect(b.management).toBe(2.4);
      expect(b.loadBalancer).toBe(1.2);
      expect(b.gpu).toBe(0);
    }
    const gke = accountByName(data, 'ml-gke');
    const gpu = data.k8sBreakdowns.filter((b) => b.cloudAccountId === gke.id).map((b) => b.gpu);
    expect(Math.min(...gpu)).toBeGreaterThan(10);
    // ML GPU spend grows over the range.
    const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(avg(gpu.slice(-30))).toBeGreaterThan(1.5 * avg(gpu.slice(0, 30)));
  });

  it("reconciles: the clusters' billed nodes are in the AWS and GCP bills, at their discounted price", () => {
    const eks = accountByName(data, 'prod-eks');
    const day = range[range.length - 1] as string;
    const estimate = data.estimates.find((e) => e.clusterId === eks.id && e.date === day);
    const node = estimate?.estimate.nodes.find((n) => n.name === 'ip-10-0-1-11');
    // 24 h of an m5.xlarge: list $0.192/h = $4.608, on the Savings Plan (35% off) $2.9952.
    expect(node && Number((node.cpu + node.ram).toFixed(6))).toBe(
      Number((24 * (4 * 0.0316 + 16 * 0.0041)).toFixed(6)),
    );
    const instance = node?.providerId.split('/').pop() as string;
    const resource = data.resources.find((r) => r.cloudResourceId.endsWith(`instance/${instance}`));
    expect(resource?.cloudAccountId).toBe(accountByName(data, 'aws-production').id);
    const cost = data.expenses.find((e) => e.resourceId === resource?.id && e.date === day)?.cost;
    expect(cost).toBe(2.9952);
    expect(data.links.find((l) => l.resourceId === resource?.id)?.clusterId).toBe(eks.id);
  });

  it('reports prod-eks healthy now and ml-gke two days stale', () => {
    expect(data.heartbeats).toEqual([
      { cloudAccountId: accountByName(data, 'prod-eks').id, at: NOW },
      { cloudAccountId: accountByName(data, 'ml-gke').id, at: new Date(NOW.getTime() - 2 * 86_400_000) },
    ]);
  });
});
