import { CsvRecordParser } from '../../src/import/csv-record.parser';
import { FocusChargeAccumulator } from '../../src/import/focus-charge.accumulator';
import { mergeSummaries, type AccumulatorSummary } from '../../src/import/focus-summary';
import { resolveColumns, type FocusColumns } from '../../src/import/focus-columns';

const HEADER = [
  'ProviderName',
  'BillingAccountId',
  'BillingAccountName',
  'SubAccountId',
  'SubAccountName',
  'BillingCurrency',
  'BillingPeriodStart',
  'ChargeCategory',
  'ChargePeriodStart',
  'ChargePeriodEnd',
  'BilledCost',
  'EffectiveCost',
  'ResourceId',
  'ResourceName',
  'ResourceType',
  'RegionId',
  'ServiceName',
  'ServiceCategory',
  'Tags',
];

type Row = Partial<Record<(typeof HEADER)[number], string>>;

/** One CSV line with the defaults of an hour of CloudFront usage, overridden by `row`. */
function line(row: Row): string {
  const values: Record<string, string> = {
    ProviderName: 'AWS',
    BillingAccountId: '111111111111',
    BillingAccountName: 'Payer',
    SubAccountId: '222222222222',
    SubAccountName: 'Web',
    BillingCurrency: 'USD',
    BillingPeriodStart: '2024-09-01 00:00:00',
    ChargeCategory: 'Usage',
    ChargePeriodStart: '2024-09-06 14:00:00',
    ChargePeriodEnd: '2024-09-06 15:00:00',
    BilledCost: '1.5',
    EffectiveCost: '1.5',
    ResourceId: 'arn:aws:cloudfront::222222222222:distribution/E3Q9',
    ResourceName: 'NULL',
    ResourceType: 'distribution',
    RegionId: 'me-south-1',
    ServiceName: 'Amazon CloudFront',
    ServiceCategory: 'Networking',
    Tags: 'NULL',
    ...row,
  };
  return `${HEADER.map((name) => (values[name] === 'NULL' ? 'NULL' : `"${values[name]}"`)).join(',')}\n`;
}

const COLUMNS = (resolveColumns(HEADER) as { columns: FocusColumns }).columns;

/** What a worker thread does with the blocks it is handed: `startBlock(id)`, then parse. */
function worker(blocks: { id: number; text: string }[]): AccumulatorSummary {
  const accumulator = new FocusChargeAccumulator({ organizationId: 'org', costColumn: 'EFFECTIVE' });
  accumulator.startFile('bill.csv', COLUMNS);
  const parser = new CsvRecordParser((record) => accumulator.add(record));
  for (const block of blocks) {
    const bytes = Buffer.from(block.text);
    const buf = Buffer.alloc(bytes.length + 2);
    bytes.copy(buf);
    accumulator.startBlock(block.id);
    parser.parseBlock(buf, 0, bytes.length, true);
  }
  return accumulator.summary();
}

describe('FocusChargeAccumulator across worker threads', () => {
  // The shared sample has exactly this: one CloudFront distribution billed in two regions. A
  // one-thread read keeps the region of the first row; so must any split of the file.
  const block0 =
    line({ RegionId: 'me-south-1', SubAccountName: 'Web (first name)' }) + line({ ResourceName: 'NULL' });
  const block1 =
    line({
      RegionId: 'ap-south-1',
      ResourceName: 'cdn-main',
      ServiceCategory: 'Other',
      SubAccountName: 'Web (renamed)',
    }) + line({ ResourceName: 'cdn-later' });
  const block2 = line({
    ResourceName: 'cdn-third',
    ChargePeriodStart: '2024-09-07 00:00:00',
    ChargePeriodEnd: '2024-09-07 01:00:00',
  });

  it('takes each dimension from the first row in file order, whichever worker read it', () => {
    const oneThread = mergeSummaries([worker([{ id: 0, text: block0 + block1 + block2 }])]);
    // Worker A gets blocks 1 and 2, worker B block 0, and A's summary is merged first.
    const split = mergeSummaries([
      worker([
        { id: 1, text: block1 },
        { id: 2, text: block2 },
      ]),
      worker([{ id: 0, text: block0 }]),
    ]);
    for (const summary of [oneThread, split]) {
      expect(summary.resources).toHaveLength(1);
      expect(summary.resources[0]).toMatchObject({
        region: 'me-south-1', // row 1, not row 3's ap-south-1
        name: 'cdn-main', // the first row that names it (row 3): rows 1 and 2 have none
        serviceCategory: 'Networking',
        firstSeen: '2024-09-06',
        lastSeen: '2024-09-07',
      });
      expect(summary.accounts).toEqual([expect.objectContaining({ name: 'Web (first name)' })]);
      expect(summary.rowsImported).toBe(5);
      expect(summary.totalCost).toBeCloseTo(7.5, 12); // 5 rows x $1.50
    }
  });

  it('gives the same resources whichever worker summary is merged first', () => {
    const a = worker([{ id: 1, text: block1 }]);
    const b = worker([
      { id: 0, text: block0 },
      { id: 2, text: block2 },
    ]);
    const dims = (s: AccumulatorSummary) =>
      s.resources.map(({ name, region, resourceType, service, serviceCategory, firstSeen, lastSeen }) => ({
        name,
        region,
        resourceType,
        service,
        serviceCategory,
        firstSeen,
        lastSeen,
      }));
    expect(dims(mergeSummaries([a, b]))).toEqual(dims(mergeSummaries([b, a])));
    expect(mergeSummaries([a, b]).accounts[0]?.name).toBe('Web (first name)');
    expect(mergeSummaries([b, a]).accounts[0]?.name).toBe('Web (first name)');
  });
});
