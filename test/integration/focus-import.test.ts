import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { createTestCore } from '../support/test-core';
import { createGraphQL, dataOf, errorOf, Fixtures, type RunGraphQL } from '../support/fixtures';
import { DomainError } from '../../src/errors';
import type { FocusImportReport } from '../../src/domain/model';
import type { FocusImportStore, FocusStaging } from '../../src/domain/ports';
import { FocusImportService, DEFAULT_FOCUS_IMPORT_LIMITS } from '../../src/import/focus-import.service';
import { ClickHouseFocusImportStore } from '../../src/store/focus-import.store';
import { ClickHouseOrganizationRepository } from '../../src/store/organization.repository';
import { ClickHouseCloudAccountRepository } from '../../src/store/cloud-account.repository';
import { FocusParallelReader, MisalignedBlockError } from '../../src/import/focus-parallel.reader';

// The shared FOCUS 1.0 sample (1,000 rows: 942 AWS, 51 Microsoft, 7 Oracle, all in September
// 2024), imported through the service and read back through GraphQL. Expected figures are
// computed here from the raw CSV with csv-parse and hour-by-hour arithmetic, independently of
// the import's own byte parser and day splitter.
const SAMPLE = path.resolve(__dirname, '../../../shared/data/focus/focus-1.0-sample.csv');
const SEPTEMBER = { start: '2024-09-01', end: '2024-09-30' };

type Row = Record<string, string>;
const HOUR = 3_600_000;

function readCsv(text: string | Buffer): Row[] {
  return parse(text, { columns: true }) as Row[];
}

function toCsv(rows: Row[], columns: string[]): string {
  const cell = (v: string) => (v === 'NULL' ? 'NULL' : `"${v.replace(/"/g, '""')}"`);
  return [
    columns.map(cell).join(','),
    ...rows.map((r) => columns.map((c) => cell(r[c] ?? 'NULL')).join(',')),
  ].join('\n');
}

const providerType = (name: string) =>
  name === 'AWS' ? 'AWS' : name === 'Microsoft' ? 'AZURE' : name === 'Google Cloud' ? 'GCP' : 'OTHER';

const utc = (text: string) => Date.parse(text.includes('T') ? text : `${text.replace(' ', 'T')}Z`);

/** Expected dollars per provider per day: each hour of a charge period gets cost / hours. */
function expectedByProviderDay(rows: Row[]): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const cost = Number(row.EffectiveCost);
    const start = utc(row.ChargePeriodStart as string);
    const hours = Math.max(1, (utc(row.ChargePeriodEnd as string) - start) / HOUR);
    const provider = providerType(row.ProviderName as string);
    const days = out.get(provider) ?? new Map<string, number>();
    for (let h = 0; h < hours; h++) {
      const day = new Date(start + h * HOUR).toISOString().slice(0, 10);
      days.set(day, (days.get(day) ?? 0) + cost / hours);
    }
    out.set(provider, days);
  }
  return out;
}

const BREAKDOWN = /* GraphQL */ `
  query ($range: DateRangeInput!) {
    expenseBreakdown(range: $range, by: PROVIDER) {
      total
      days {
        date
        total
        items {
          key
          cost
        }
      }
      totals {
        key
        total
      }
    }
  }
`;
const SUMMARY = /* GraphQL */ `
  query ($range: DateRangeInput!) {
    costSummary(range: $range) {
      total
      byProvider {
        provider
        cost
      }
    }
  }
`;
const EXPENSES = /* GraphQL */ `
  query ($range: DateRangeInput!, $filter: ExpenseFilterInput, $first: Int) {
    expenses(range: $range, filter: $filter, first: $first) {
      totalCount
      totalCost
      edges {
        node {
          resourceId
          cloudResourceId
          name
          resourceType
          provider
          region
          service
          cost
          tags {
            key
            value
          }
          cloudAccount {
            id
            name
            type
            accountRef
          }
        }
      }
    }
  }
`;

interface Breakdown {
  expenseBreakdown: {
    total: number;
    days: { date: string; total: number; items: { key: string; cost: number }[] }[];
    totals: { key: string; total: number }[];
  };
}
interface ExpenseNode {
  resourceId: string;
  cloudResourceId: string;
  name: string;
  resourceType: string;
  provider: string;
  region: string;
  service: string;
  cost: number;
  tags: { key: string; value: string }[];
  cloudAccount: { id: string; name: string; type: string; accountRef: string };
}

describe('FOCUS import', () => {
  const importDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cloudtuner-imports-'));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cloudtuner-focus-'));
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let fixtures: Fixtures;
  let run: RunGraphQL;
  const sampleRows = readCsv(fs.readFileSync(SAMPLE));
  const columns = Object.keys(sampleRows[0] as Row);

  const write = (name: string, content: string | Buffer) => {
    const file = path.join(scratch, name);
    fs.writeFileSync(file, content);
    return file;
  };
  const importFiles = (org: string, files: string[], cost?: 'EFFECTIVE' | 'BILLED') =>
    core.services.focusImport.importFiles(org, files, { costColumn: cost });
  const count = async (table: string, org: string) => {
    const [row] = await core.db.query<{ n: string }>(
      `SELECT count() AS n FROM {db:Identifier}.{t:Identifier}
       WHERE cloud_account_id IN (SELECT id FROM {db:Identifier}.cloud_accounts FINAL WHERE organization_id = {org:String})`,
      { t: table, org },
    );
    return Number(row?.n);
  };
  const breakdown = async (org: string) =>
    dataOf<Breakdown>(await run(org, BREAKDOWN, { range: SEPTEMBER })).expenseBreakdown;

  /** Every (provider, day) cost the API reports equals the independent sum, and nothing else is there. */
  async function expectTotals(org: string, rows: Row[]): Promise<void> {
    const expected = expectedByProviderDay(rows);
    const got = await breakdown(org);
    for (const day of got.days) {
      for (const item of day.items) {
        expect({ day: day.date, provider: item.key, cost: item.cost }).toEqual({
          day: day.date,
          provider: item.key,
          cost: expect.closeTo(expected.get(item.key)?.get(day.date) ?? Number.NaN, 9),
        });
      }
    }
    const expectedCells = [...expected.values()].reduce((n, days) => n + days.size, 0);
    expect(got.days.reduce((n, day) => n + day.items.length, 0)).toBe(expectedCells);
    const summary = dataOf<{
      costSummary: { total: number; byProvider: { provider: string; cost: number }[] };
    }>(await run(org, SUMMARY, { range: SEPTEMBER })).costSummary;
    const providerTotals = [...expected.entries()].map(([provider, days]) => ({
      provider,
      cost: [...days.values()].reduce((a, b) => a + b, 0),
    }));
    expect(summary.byProvider).toHaveLength(providerTotals.length);
    for (const { provider, cost } of providerTotals) {
      expect(summary.byProvider.find((p) => p.provider === provider)?.cost).toBeCloseTo(cost, 9);
    }
    const all = rows.reduce((sum, row) => sum + Number(row.EffectiveCost), 0);
    expect(summary.total).toBeCloseTo(all, 9);
  }

  beforeAll(async () => {
    core = await createTestCore({ IMPORT_DIR: importDir });
    fixtures = new Fixtures(core);
    await fixtures.holdMerges();
    run = await createGraphQL(core);
  });

  afterAll(async () => {
    await core?.dispose();
    fs.rmSync(importDir, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('imports the sample: per provider and per day, the API totals equal the sums over the raw CSV', async () => {
    const org = await fixtures.organization('Sample Co');
    const report = await importFiles(org, [SAMPLE]);
    expect(report).toMatchObject({
      costColumn: 'EFFECTIVE',
      rowsRead: 1000,
      rowsImported: 1000,
      rowsRefused: 0,
      errors: [],
      firstDay: '2024-09-01',
      lastDay: '2024-09-30',
      missingCancelled: true,
      expenseRowsCancelled: 0,
    });
    const accountKeys = new Set(
      sampleRows.map(
        (r) =>
          `${providerType(r.ProviderName as string)}|${r.SubAccountId === 'NULL' ? r.BillingAccountId : r.SubAccountId}`,
      ),
    );
    expect(report.accountsCreated).toBe(accountKeys.size);
    expect(new Set(report.cloudAccounts.map((a) => a.type))).toEqual(new Set(['AWS', 'AZURE', 'OTHER']));
    expect(report.totalCost).toBeCloseTo(
      sampleRows.reduce((sum, row) => sum + Number(row.EffectiveCost), 0),
      9,
    );
    expect(report.expenseRowsAdded).toBe(report.resourceDays);
    expect(await count('expenses', org)).toBe(report.resourceDays);
    await expectTotals(org, sampleRows);

    // BilledCost instead: the same rows, another column.
    const billedOrg = await fixtures.organization('Billed Co');
    const billed = await importFiles(billedOrg, [SAMPLE], 'BILLED');
    expect(billed.totalCost).toBeCloseTo(
      sampleRows.reduce((sum, row) => sum + Number(row.BilledCost), 0),
      9,
    );
  });

  it('maps resources: name, type, region, service, tags, account; charges without ResourceId are gathered', async () => {
    const org = await fixtures.organization('Resources Co');
    await importFiles(org, [SAMPLE]);
    const elb = sampleRows.find((r) => r.Id === '19384') as Row;
    const page = dataOf<{
      expenses: { totalCount: number; totalCost: number; edges: { node: ExpenseNode }[] };
    }>(
      await run(org, EXPENSES, {
        range: SEPTEMBER,
        filter: {
          tags: [{ key: 'application', value: 'BrightLensMatrix' }],
          services: ['Elastic Load Balancing'],
        },
        first: 100,
      }),
    ).expenses;
    const node = page.edges
      .map((e) => e.node)
      .find((n) => n.cloudResourceId === elb.ResourceId) as ExpenseNode;
    expect(node).toMatchObject({
      name: elb.ResourceId, // ResourceName is NULL: the id names it
      resourceType: 'Elastic Load Balancing', // ResourceType is NULL: the service types it
      provider: 'AWS',
      region: 'us-west-2',
      service: 'Elastic Load Balancing',
      cloudAccount: { name: 'Zenith Eclipse', type: 'AWS', accountRef: '43883916739' },
    });
    expect(node.tags).toEqual([
      { key: 'application', value: 'BrightLensMatrix' },
      { key: 'business_unit', value: 'ViennaAI' },
      { key: 'environment', value: 'dev' },
    ]);
    const [stored] = await core.db.query<{ service_category: string }>(
      'SELECT service_category FROM {db:Identifier}.resources FINAL WHERE id = {id:String}',
      { id: node.resourceId },
    );
    expect(stored?.service_category).toBe('Networking');

    const unattributed = dataOf<{ expenses: { totalCount: number; edges: { node: ExpenseNode }[] } }>(
      await run(org, EXPENSES, { range: SEPTEMBER, filter: { nameContains: '(unattributed)' }, first: 1000 }),
    ).expenses;
    const groups = new Set(
      sampleRows
        .filter((r) => r.ResourceId === 'NULL')
        .map((r) => `${r.ProviderName}|${r.SubAccountId}|${r.ServiceName}|${r.RegionId}`),
    );
    // One resource per (account, service, region); zero-cost days are rows too, so all are listed.
    expect(unattributed.totalCount).toBe(groups.size);
    expect(
      unattributed.edges.every(
        (e) => e.node.name.endsWith(' (unattributed)') && e.node.cloudResourceId === '',
      ),
    ).toBe(true);
  });

  it('a re-import of the same file changes nothing and keeps the ids', async () => {
    const org = await fixtures.organization('Twice Co');
    const first = await importFiles(org, [SAMPLE]);
    const rows = await count('expenses', org);
    const charges = await count('expense_charges', org);
    const second = await importFiles(org, [SAMPLE]);
    expect(second).toMatchObject({ accountsCreated: 0, expenseRowsAdded: 0, expenseRowsCancelled: 0 });
    expect(second.chargeRowsAdded + second.chargeRowsCancelled).toBe(0);
    expect(second.cloudAccounts.map((a) => a.id)).toEqual(first.cloudAccounts.map((a) => a.id));
    expect(await count('expenses', org)).toBe(rows);
    expect(await count('expense_charges', org)).toBe(charges);
    await expectTotals(org, sampleRows);
  });

  it('a newer export of the same period (one cost changed, one row removed) writes exactly the -1/+1 pairs', async () => {
    const org = await fixtures.organization('Newer Co');
    await importFiles(org, [SAMPLE]);
    // Two resource-days carried by one row each, with a cost: one changes, one disappears.
    const perDay = new Map<string, Row[]>();
    for (const row of sampleRows) {
      const key = `${row.SubAccountId}|${row.ResourceId}|${row.ChargePeriodStart?.slice(0, 10)}`;
      perDay.set(key, [...(perDay.get(key) ?? []), row]);
    }
    const single = [...perDay.values()].filter(
      (rows) => rows.length === 1 && rows[0]?.ResourceId !== 'NULL' && Number(rows[0]?.EffectiveCost) > 0.01,
    );
    const changed = single[0]?.[0] as Row;
    const removed = single[1]?.[0] as Row;
    const newCost = 123.456;
    const modified = sampleRows
      .filter((row) => row !== removed)
      .map((row) => (row === changed ? { ...row, EffectiveCost: String(newCost) } : row));
    const report = await importFiles(org, [write('newer.csv', toCsv(modified, columns))]);
    expect(report).toMatchObject({ rowsImported: 999, expenseRowsAdded: 1, expenseRowsCancelled: 2 });
    expect(report).toMatchObject({ chargeRowsAdded: 1, chargeRowsCancelled: 2 });

    const rowsOf = async (row: Row) =>
      core.db.query<{ cost: number; sign: number }>(
        `SELECT cost, sign FROM {db:Identifier}.expenses AS e
         INNER JOIN (SELECT id FROM {db:Identifier}.resources FINAL
                     WHERE organization_id = {org:String} AND cloud_resource_id = {ref:String}) AS r
           ON r.id = e.resource_id
         WHERE toDate(date) = {day:Date}
         ORDER BY sign DESC, cost`,
        { org, ref: row.ResourceId, day: row.ChargePeriodStart?.slice(0, 10) },
      );
    const oldChanged = Number(changed.EffectiveCost);
    expect(await rowsOf(changed)).toEqual([
      { cost: expect.closeTo(Math.min(oldChanged, newCost), 10), sign: 1 },
      { cost: expect.closeTo(Math.max(oldChanged, newCost), 10), sign: 1 },
      { cost: expect.closeTo(oldChanged, 10), sign: -1 },
    ]);
    expect(await rowsOf(removed)).toEqual([
      { cost: expect.closeTo(Number(removed.EffectiveCost), 10), sign: 1 },
      { cost: expect.closeTo(Number(removed.EffectiveCost), 10), sign: -1 },
    ]);
    await expectTotals(org, modified);

    // The newer export again: nothing more to correct.
    const again = await importFiles(org, [write('newer-again.csv', toCsv(modified, columns))]);
    expect(again).toMatchObject({ expenseRowsAdded: 0, expenseRowsCancelled: 0 });
  });

  it('imported rows sit beside Kubernetes rows in expenses, expenseBreakdown and costSummary', async () => {
    const org = await fixtures.organization('Mixed Co');
    await importFiles(org, [SAMPLE]);
    const cluster = await fixtures.account(org, { name: 'prod-eks', type: 'KUBERNETES' });
    const clusterResource = await fixtures.resource(cluster, {
      name: 'prod-eks',
      resourceType: 'K8s Cluster',
      service: 'Kubernetes',
    });
    await fixtures.costs(clusterResource, { '2024-09-05': 100, '2024-09-06': 50 });

    const expected = expectedByProviderDay(sampleRows);
    const got = await breakdown(org);
    const sep5 = got.days.find((d) => d.date === '2024-09-05');
    expect(sep5?.items.find((i) => i.key === 'KUBERNETES')?.cost).toBe(100);
    expect(sep5?.items.find((i) => i.key === 'AWS')?.cost).toBeCloseTo(
      expected.get('AWS')?.get('2024-09-05') ?? 0,
      9,
    );
    expect(got.totals.find((t) => t.key === 'KUBERNETES')?.total).toBe(150);

    const summary = dataOf<{
      costSummary: { total: number; byProvider: { provider: string; cost: number }[] };
    }>(await run(org, SUMMARY, { range: SEPTEMBER })).costSummary;
    const all = sampleRows.reduce((sum, row) => sum + Number(row.EffectiveCost), 0);
    expect(summary.total).toBeCloseTo(all + 150, 9);
    expect(summary.byProvider.map((p) => p.provider).sort()).toEqual(['AWS', 'AZURE', 'KUBERNETES', 'OTHER']);

    const list = dataOf<{
      expenses: { totalCount: number; totalCost: number; edges: { node: ExpenseNode }[] };
    }>(await run(org, EXPENSES, { range: SEPTEMBER, first: 5 })).expenses;
    expect(list.edges[0]?.node).toMatchObject({ name: 'prod-eks', provider: 'KUBERNETES', cost: 150 });
    expect(list.totalCost).toBeCloseTo(all + 150, 9);
  });

  it('refuses a cost beyond $1e15 on its row (line and column), never failing the import or its sums', async () => {
    const org = await fixtures.organization('Huge Co');
    const rows = sampleRows.slice(0, 4).map((row) => ({ ...row, Tags: 'NULL' }));
    (rows[0] as Row).EffectiveCost = '1e27';
    (rows[1] as Row).EffectiveCost = '-9e25';
    (rows[2] as Row).EffectiveCost = '1000000000000000'; // exactly the bound: kept
    (rows[3] as Row).EffectiveCost = '2.5';
    const file = write('huge.csv', toCsv(rows, columns));
    const report = await importFiles(org, [file]);
    expect(report).toMatchObject({ rowsRead: 4, rowsImported: 2, rowsRefused: 2 });
    expect(report.errors.map(({ line, column, reason, value }) => ({ line, column, reason, value }))).toEqual(
      [
        { line: 2, column: 'EffectiveCost', reason: 'beyond +/-1e15 US dollars for one row', value: '1e27' },
        { line: 3, column: 'EffectiveCost', reason: 'beyond +/-1e15 US dollars for one row', value: '-9e25' },
      ],
    );
    // Imported three times over: the stored total stays the two kept rows, exact.
    await importFiles(org, [file]);
    await importFiles(org, [file]);
    const got = await breakdown(org);
    expect(got.total).toBe(1e15 + 2.5);
  });

  it('refuses broken rows with line, column and reason, and imports the others', async () => {
    const org = await fixtures.organization('Broken Co');
    const rows = sampleRows.slice(0, 8).map((row) => ({ ...row }));
    (rows[1] as Row).EffectiveCost = 'abc';
    (rows[2] as Row).ChargePeriodStart = '2024-31-09 00:00:00';
    (rows[3] as Row).Tags = '{"env": "dev"';
    (rows[4] as Row).BillingCurrency = 'EUR';
    (rows[5] as Row).ChargeCategory = 'Refund';
    (rows[6] as Row).BillingCurrency = 'dollars';
    const report = await importFiles(org, [write('broken.csv', toCsv(rows, columns))]);
    expect(report).toMatchObject({ rowsRead: 8, rowsImported: 2, rowsRefused: 6, errorsOmitted: 0 });
    expect(report.missingCancelled).toBe(false);
    expect(report.errors.map(({ line, column, reason, value }) => ({ line, column, reason, value }))).toEqual(
      [
        { line: 3, column: 'EffectiveCost', reason: 'not a number', value: 'abc' },
        {
          line: 4,
          column: 'ChargePeriodStart',
          reason: 'not a timestamp (YYYY-MM-DDTHH:mm:ssZ or YYYY-MM-DD HH:mm:ss, UTC)',
          value: '2024-31-09 00:00:00',
        },
        { line: 5, column: 'Tags', reason: expect.stringMatching(/^not valid JSON/), value: '{"env": "dev"' },
        {
          line: 6,
          column: 'BillingCurrency',
          reason: 'EUR is not USD: this import keeps US dollars only and converts no currency',
          value: 'EUR',
        },
        {
          line: 7,
          column: 'ChargeCategory',
          reason: 'not a FOCUS charge category (Usage, Purchase, Tax, Credit, Adjustment)',
          value: 'Refund',
        },
        { line: 8, column: 'BillingCurrency', reason: 'not an ISO 4217 currency code', value: 'dollars' },
      ],
    );
    expect(report.errors.every((e) => e.file.endsWith('broken.csv'))).toBe(true);
    const kept = [rows[0], rows[7]] as Row[];
    expect(report.totalCost).toBeCloseTo(
      kept.reduce((s, r) => s + Number(r.EffectiveCost), 0),
      12,
    );

    // A record with a field too many is refused as a whole row.
    const extra = `${toCsv(sampleRows.slice(0, 2), columns)},"surplus"\n`;
    const shifted = await importFiles(org, [write('extra.csv', extra)]);
    expect(shifted.errors).toEqual([
      expect.objectContaining({
        line: 3,
        column: null,
        reason: `has ${columns.length + 1} fields; the header has ${columns.length}`,
      }),
    ]);
  });

  it('refuses a file without a mandatory column, naming it, and writes nothing', async () => {
    const org = await fixtures.organization('Missing Co');
    const without = columns.filter((c) => c !== 'EffectiveCost' && c !== 'ChargePeriodEnd');
    const file = write('missing.csv', toCsv(sampleRows.slice(0, 20), without));
    const error = await importFiles(org, [file]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('BAD_USER_INPUT');
    expect((error as DomainError).message).toBe(
      `${file}: not a FOCUS file: mandatory columns missing: EffectiveCost, ChargePeriodEnd`,
    );
    expect((error as DomainError).details).toMatchObject({
      missingColumns: ['EffectiveCost', 'ChargePeriodEnd'],
    });
    // A good file before the bad one in the same import is not written either.
    await expect(importFiles(org, [SAMPLE, file])).rejects.toThrow('mandatory columns missing');
    expect(await count('expenses', org)).toBe(0);
    expect(await count('expense_charges', org)).toBe(0);
    expect(await core.services.cloudAccounts.list(org)).toEqual([]);
  });

  it('refuses an empty file, naming it', async () => {
    const org = await fixtures.organization('Empty Co');
    const file = write('empty.csv', '');
    await expect(importFiles(org, [file])).rejects.toThrow(`${file}: the file is empty`);
    const headerOnly = write('header-only.csv', `${toCsv([], columns)}\n`);
    await expect(importFiles(org, [headerOnly])).rejects.toThrow(`${headerOnly}: has a header but no rows`);
  });

  it('reads columns by name: a FOCUS 1.2 layout in another order, with 1.1/1.2 and x_ columns', async () => {
    const org = await fixtures.organization('Layout Co');
    // FOCUS 1.1 added ServiceSubcategory, 1.2 BillingAccountType, InvoiceId; x_ columns are extensions.
    const extra = ['ServiceSubcategory', 'BillingAccountType', 'InvoiceId', 'x_Discounts'];
    const reordered = [...columns].reverse().concat(extra);
    const rows = sampleRows.map((row, i) => ({
      ...row,
      ServiceSubcategory: 'Other (Compute)',
      BillingAccountType: 'Billing Account',
      InvoiceId: `INV-${i}`,
      x_Discounts: '{"a": 1}',
    }));
    const report = await importFiles(org, [write('focus-1.2.csv', toCsv(rows, reordered))]);
    expect(report).toMatchObject({ rowsImported: 1000, rowsRefused: 0 });
    await expectTotals(org, sampleRows);
  });

  it('reads a gzipped export (told by its bytes, whatever its name) with the same result', async () => {
    const org = await fixtures.organization('Gzip Co');
    const file = write('sample-gz.csv', gzipSync(fs.readFileSync(SAMPLE)));
    const report = await importFiles(org, [file]);
    expect(report).toMatchObject({ rowsImported: 1000, rowsRefused: 0 });
    await expectTotals(org, sampleRows);
    const broken = write('broken.csv.gz', gzipSync(fs.readFileSync(SAMPLE)).subarray(0, 5000));
    await expect(importFiles(org, [broken])).rejects.toThrow(/broken\.csv\.gz/);
  });

  it('splits a charge period over days by its hours, and keeps every charge category of the day', async () => {
    const org = await fixtures.organization('Split Co');
    const base = sampleRows[1] as Row;
    const row = (over: Partial<Row>) => ({ ...base, Tags: 'NULL', ...over });
    const rows = [
      // $48 from 2024-09-01T12:00Z to 2024-09-03T00:00Z: 36 h, 12 on the 1st, 24 on the 2nd.
      row({
        EffectiveCost: '48',
        ChargePeriodStart: '2024-09-01T12:00:00Z',
        ChargePeriodEnd: '2024-09-03T00:00:00Z',
      }),
      row({
        ChargeCategory: 'Tax',
        EffectiveCost: '4.80',
        ChargePeriodStart: '2024-09-02T00:00:00Z',
        ChargePeriodEnd: '2024-09-03T00:00:00Z',
      }),
      row({
        ChargeCategory: 'Credit',
        EffectiveCost: '-10',
        ChargePeriodStart: '2024-09-02 00:00:00',
        ChargePeriodEnd: '2024-09-03 00:00:00',
      }),
    ];
    // Every cell is quoted (toCsv), numbers too, as some exports write them.
    await importFiles(org, [write('split.csv', toCsv(rows, columns))]);
    const got = await breakdown(org);
    const day = (date: string) => got.days.find((d) => d.date === date)?.total;
    expect(day('2024-09-01')).toBe(16);
    // 32 usage + 4.80 tax - 10 credit, summed as decimals: exactly 26.8.
    expect(day('2024-09-02')).toBe(26.8);
    expect(got.total).toBe(42.8);
    const charges = await core.db.query<{
      date: string;
      charge_category: string;
      cost: number;
      sign: number;
    }>(
      `SELECT toString(toDate(date)) AS date, charge_category, cost, sign FROM {db:Identifier}.expense_charges
       WHERE cloud_account_id IN (SELECT id FROM {db:Identifier}.cloud_accounts FINAL WHERE organization_id = {org:String})
       ORDER BY date, charge_category`,
      { org },
    );
    expect(charges).toEqual([
      { date: '2024-09-01', charge_category: 'Usage', cost: 16, sign: 1 },
      { date: '2024-09-02', charge_category: 'Credit', cost: -10, sign: 1 },
      { date: '2024-09-02', charge_category: 'Tax', cost: 4.8, sign: 1 },
      { date: '2024-09-02', charge_category: 'Usage', cost: 32, sign: 1 },
    ]);
  });

  describe('with worker threads (how files of 32 MiB and more are read)', () => {
    // Small blocks, so the sample is cut into dozens of them and every path of the cutting runs.
    const limits = {
      ...DEFAULT_FOCUS_IMPORT_LIMITS,
      workers: 2,
      parallelMinBytes: 0,
      blockBytes: 16 << 10,
      flushAt: 100,
    };
    const parallelService = () =>
      new FocusImportService(
        new ClickHouseOrganizationRepository(core.db),
        new ClickHouseCloudAccountRepository(core.db),
        new ClickHouseFocusImportStore(core.db),
        importDir,
        limits,
      );

    it('gives the same totals, resources and accounts as the one-thread read', async () => {
      const org = await fixtures.organization('Parallel Co');
      const report = await parallelService().importFiles(org, [SAMPLE]);
      const sequentialOrg = await fixtures.organization('Sequential Co');
      const sequential = await importFiles(sequentialOrg, [SAMPLE]);
      expect(report).toMatchObject({
        rowsRead: 1000,
        rowsImported: 1000,
        rowsRefused: 0,
        resources: sequential.resources,
        resourceDays: sequential.resourceDays,
        expenseRowsAdded: sequential.expenseRowsAdded,
        accountsCreated: sequential.accountsCreated,
        firstDay: sequential.firstDay,
        lastDay: sequential.lastDay,
      });
      expect(report.totalCost).toBeCloseTo(sequential.totalCost, 10);
      await expectTotals(org, sampleRows);
      // Same names, types, regions and tags per resource as the one-thread read found.
      const dims = async (organization: string) =>
        core.db.query<Record<string, unknown>>(
          `SELECT cloud_resource_id, name, resource_type, region, service, service_category, tags,
                  toString(first_seen) AS first_seen, toString(last_seen) AS last_seen
           FROM {db:Identifier}.resources FINAL WHERE organization_id = {org:String}
           ORDER BY cloud_resource_id, name, region, service, first_seen, last_seen, toString(tags)`,
          { org: organization },
        );
      expect(await dims(org)).toEqual(await dims(sequentialOrg));
      const again = await parallelService().importFiles(org, [SAMPLE]);
      expect(again).toMatchObject({ expenseRowsAdded: 0, expenseRowsCancelled: 0 });
    });

    it('reports refused rows on the lines of the file, across blocks, with line breaks inside quotes', async () => {
      // Every row's description spans two lines, so row k (from 0) starts on line 2 + 2k.
      const rows = sampleRows.slice(0, 300).map((row, k) => ({
        ...row,
        ChargeDescription: `${row.ChargeDescription}\nsecond line`,
        EffectiveCost: k % 37 === 5 ? 'not-a-cost' : (row.EffectiveCost as string),
      }));
      const file = write('multiline.csv', toCsv(rows, columns));
      const expected = rows.flatMap((_, k) => (k % 37 === 5 ? [2 + 2 * k] : []));

      const sequential = await importFiles(await fixtures.organization('Lines 1'), [file]);
      expect(sequential.errors.map((e) => e.line)).toEqual(expected);
      const parallel = await parallelService().importFiles(await fixtures.organization('Lines 2'), [file]);
      expect(parallel.errors.map((e) => e.line)).toEqual(expected);
      expect(parallel).toMatchObject({ rowsImported: sequential.rowsImported, rowsRefused: expected.length });
      expect(parallel.totalCost).toBeCloseTo(sequential.totalCost, 10);

      // Where a cut fell inside a quoted field the reader says so (and the service re-reads in
      // one thread, which gave the result above).
      const reader = FocusParallelReader.start(
        2,
        { organizationId: 'o', costColumn: 'EFFECTIVE', flushAt: 100, blockBytes: 4 << 10 },
        async () => undefined,
      );
      try {
        await expect(reader.readFile(file, 'multiline.csv')).rejects.toBeInstanceOf(MisalignedBlockError);
      } finally {
        await reader.close();
      }
    });

    it('refuses a file without mandatory columns and an empty one, as the one-thread read does', async () => {
      const org = await fixtures.organization('Parallel Refusals');
      const missing = write(
        'p-missing.csv',
        toCsv(
          sampleRows.slice(0, 5),
          columns.filter((c) => c !== 'ServiceName'),
        ),
      );
      await expect(parallelService().importFiles(org, [missing])).rejects.toThrow(
        `${missing}: not a FOCUS file: mandatory column missing: ServiceName`,
      );
      const empty = write('p-empty.csv', '');
      await expect(parallelService().importFiles(org, [empty])).rejects.toThrow(
        `${empty}: the file is empty`,
      );
      const gz = write('p-sample.gz', gzipSync(fs.readFileSync(SAMPLE)));
      expect(await parallelService().importFiles(org, [gz])).toMatchObject({ rowsImported: 1000 });
    });

    it('reads a row longer than a block once, after its header, as the one-thread read does', async () => {
      // One row of ~48 KiB (a long description) after the header: three 16 KiB blocks' worth,
      // so the block holding the header grows before its first cut. The header was read again
      // as data once (2 rows read, line 2 refused: "BillingCurrency").
      const row = { ...(sampleRows[0] as Row), ChargeDescription: 'x'.repeat(48 << 10) };
      const file = write('p-long-row.csv', toCsv([row], columns));
      const sequential = await importFiles(await fixtures.organization('Long Row 1'), [file]);
      const parallel = await parallelService().importFiles(await fixtures.organization('Long Row 2'), [file]);
      expect(sequential).toMatchObject({ rowsRead: 1, rowsImported: 1, rowsRefused: 0 });
      expect(parallel).toMatchObject({ rowsRead: 1, rowsImported: 1, rowsRefused: 0, errors: [] });
      expect(parallel.totalCost).toBe(sequential.totalCost);
    });

    it('refuses a record over 1 MiB with the same 400, whatever the size, compression or reader', async () => {
      const org = await fixtures.organization('Huge Record');
      const row = { ...(sampleRows[0] as Row), ChargeDescription: 'x'.repeat(3 << 20) };
      const plain = write('p-huge.csv', toCsv([sampleRows[1] as Row, row], columns));
      const gz = write('p-huge.csv.gz', gzipSync(fs.readFileSync(plain)));
      const noNewline = write('p-no-newline.csv', 'y'.repeat(3 << 20));
      const refusal = (file: string, line: number) => ({
        code: 'BAD_USER_INPUT',
        message: `${file}: line ${line}: a record longer than 1048576 bytes`,
      });
      for (const [file, line] of [
        [plain, 3],
        [gz, 3],
        [noNewline, 1],
      ] as const) {
        for (const service of [core.services.focusImport, parallelService()]) {
          const error = await service.importFiles(org, [file]).then(
            () => undefined,
            (e: unknown) => e as { code: string; message: string },
          );
          expect({ code: error?.code, message: error?.message }).toEqual(refusal(file, line));
        }
      }
      // Nothing of the refused files was kept.
      expect(await count('expenses', org)).toBe(0);
    });
  });

  describe('importFocus mutation', () => {
    const MUTATION = /* GraphQL */ `
      mutation ($input: ImportFocusInput!) {
        importFocus(input: $input) {
          files
          costColumn
          rowsImported
          rowsRefused
          accountsCreated
          expenseRowsAdded
          cloudAccounts {
            type
          }
          errors {
            line
            column
            reason
          }
        }
      }
    `;

    it('imports a file from IMPORT_DIR into the caller organization', async () => {
      const org = await fixtures.organization('Mutation Co');
      fs.mkdirSync(path.join(importDir, 'september'), { recursive: true });
      fs.copyFileSync(SAMPLE, path.join(importDir, 'september', 'bill.csv'));
      const result = dataOf<{ importFocus: FocusImportReport }>(
        await run(org, MUTATION, { input: { path: 'september/bill.csv' } }),
      ).importFocus;
      expect(result).toMatchObject({
        files: ['september/bill.csv'],
        costColumn: 'EFFECTIVE',
        rowsImported: 1000,
      });
      await expectTotals(org, sampleRows);
      const again = dataOf<{ importFocus: FocusImportReport }>(
        await run(org, MUTATION, { input: { path: 'september/../september/bill.csv', cost: 'EFFECTIVE' } }),
      ).importFocus;
      expect(again).toMatchObject({ accountsCreated: 0, expenseRowsAdded: 0 });
    });

    it('remembers each import, a refused one with its reason, for its own organization only', async () => {
      const org = await fixtures.organization('History Co');
      const other = await fixtures.organization('Nosy Co');
      fs.mkdirSync(path.join(importDir, 'history'), { recursive: true });
      fs.copyFileSync(SAMPLE, path.join(importDir, 'history', 'bill.csv'));
      fs.writeFileSync(path.join(importDir, 'history', 'not-focus.csv'), 'a,b\n1,2\n');
      await run(org, MUTATION, { input: { path: 'history/bill.csv', cost: 'BILLED' } });
      const refused = errorOf(await run(org, MUTATION, { input: { path: 'history/not-focus.csv' } }));
      const HISTORY = /* GraphQL */ `
        query {
          focusImports(first: 5) {
            state
            files
            costColumn
            rowsRead
            rowsImported
            rowsRefused
            totalCost
            firstDay
            lastDay
            error
          }
        }
      `;
      const history = dataOf<{ focusImports: Record<string, unknown>[] }>(
        await run(org, HISTORY),
      ).focusImports;
      const billed = sampleRows.reduce((sum, row) => sum + Number(row.BilledCost), 0);
      expect(history).toEqual([
        {
          state: 'FAILED',
          files: ['history/not-focus.csv'],
          costColumn: 'EFFECTIVE',
          rowsRead: 0,
          rowsImported: 0,
          rowsRefused: 0,
          totalCost: 0,
          firstDay: null,
          lastDay: null,
          error: refused.message,
        },
        {
          state: 'SUCCEEDED',
          files: ['history/bill.csv'],
          costColumn: 'BILLED',
          rowsRead: 1000,
          rowsImported: 1000,
          rowsRefused: 0,
          totalCost: expect.closeTo(billed, 6),
          firstDay: '2024-09-01',
          lastDay: '2024-09-30',
          error: null,
        },
      ]);
      expect(refused.message).toContain('history/not-focus.csv: not a FOCUS file');
      expect(dataOf<{ focusImports: unknown[] }>(await run(other, HISTORY)).focusImports).toEqual([]);
      const tooMany = errorOf(await run(org, '{ focusImports(first: 201) { id } }'));
      expect(tooMany).toMatchObject({ code: 'BAD_USER_INPUT', message: 'first: must be between 1 and 200' });
    });

    it('refuses paths outside IMPORT_DIR: traversal, absolute paths, symbolic links out', async () => {
      const org = await fixtures.organization('Outside Co');
      fs.symlinkSync(SAMPLE, path.join(importDir, 'link.csv'));
      for (const given of ['../escape.csv', SAMPLE, 'link.csv', '/etc/passwd', `${importDir}/../x.csv`]) {
        const error = errorOf(await run(org, MUTATION, { input: { path: given } }));
        expect({ given, code: error.code, message: error.message }).toEqual({
          given,
          code: 'BAD_USER_INPUT',
          message: 'input.path: must name a file inside the import folder (IMPORT_DIR)',
        });
      }
      const missing = errorOf(await run(org, MUTATION, { input: { path: 'nope.csv' } }));
      expect(missing).toMatchObject({
        code: 'BAD_USER_INPUT',
        message: 'input.path: no such file in the import folder',
      });
      expect(await count('expenses', org)).toBe(0);
    });

    it('refuses a FIFO (or a folder) without opening it: nothing blocks, another import goes on', async () => {
      const org = await fixtures.organization('Fifo Co');
      execFileSync('mkfifo', [path.join(importDir, 'fifo.csv')]);
      fs.mkdirSync(path.join(importDir, 'a-folder.csv'));
      for (const given of ['fifo.csv', 'a-folder.csv']) {
        const error = errorOf(await run(org, MUTATION, { input: { path: given } }));
        expect({ given, code: error.code, message: error.message }).toEqual({
          given,
          code: 'BAD_USER_INPUT',
          message: 'input.path: must name a regular file (not a folder, FIFO, socket or device)',
        });
      }
      // The operator CLI's path too (files given as they are).
      await expect(importFiles(org, [path.join(importDir, 'fifo.csv')])).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
        message: expect.stringContaining('is not a regular file'),
      });
    });

    it("never queues one organization's import behind another's", async () => {
      const held = await fixtures.organization('Held Co');
      const free = await fixtures.organization('Free Co');
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const store = new ClickHouseFocusImportStore(core.db);
      // The real store, whose commit waits for the gate for one organization.
      const gated: FocusImportStore = {
        async openStaging() {
          const staging = await store.openStaging();
          return Object.assign(Object.create(staging) as FocusStaging, {
            commit: async (args: Parameters<FocusStaging['commit']>[0]) => {
              if (args.organizationId === held) await gate;
              return staging.commit(args);
            },
          });
        },
      };
      const service = new FocusImportService(
        new ClickHouseOrganizationRepository(core.db),
        new ClickHouseCloudAccountRepository(core.db),
        gated,
        importDir,
      );
      const first = service.importFiles(held, [SAMPLE]);
      let firstDone = false;
      void first.then(() => (firstDone = true));
      const second = await service.importFiles(free, [SAMPLE]);
      expect(second.rowsImported).toBe(1000);
      expect(firstDone).toBe(false); // still held: the second did not wait for it
      release();
      expect((await first).rowsImported).toBe(1000);
      // One organization's imports still run one after the other.
      expect(await count('expenses', held)).toBe(await count('expenses', free));
    });
  });
});
