import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// `cloudtuner import-focus` as an operator runs it: the compiled CLI (npm run build) in its own
// process, with its own embedded data folder.
const BIN = path.resolve(__dirname, '../../bin/cloudtuner.js');
const SAMPLE = path.resolve(__dirname, '../../../shared/data/focus/focus-1.0-sample.csv');

describe('cloudtuner import-focus', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cloudtuner-focus-cli-'));
  const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  const run = (...args: string[]) =>
    spawnSync('node', [BIN, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  let org = '';

  beforeAll(() => {
    const created = run('org', 'create', '--name', 'Bills Inc', '--json');
    expect(created.status).toBe(0);
    org = JSON.parse(created.stdout).organizationId;
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('imports the sample and prints the report as JSON; no progress bar off a terminal', () => {
    const result = run('import-focus', SAMPLE, '--org', org, '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      files: [SAMPLE],
      costColumn: 'EFFECTIVE',
      rowsRead: 1000,
      rowsImported: 1000,
      rowsRefused: 0,
      expenseRowsCancelled: 0,
    });
    expect(report.accountsCreated).toBeGreaterThan(70);
    expect(report.expenseRowsAdded).toBe(report.resourceDays);
  });

  it('a second run writes nothing; --cost billed corrects the days whose billed cost differs', () => {
    const again = JSON.parse(run('import-focus', SAMPLE, '--org', org, '--json').stdout);
    expect(again).toMatchObject({ accountsCreated: 0, expenseRowsAdded: 0, expenseRowsCancelled: 0 });
    const billed = JSON.parse(run('import-focus', SAMPLE, '--org', org, '--cost', 'billed', '--json').stdout);
    expect(billed.costColumn).toBe('BILLED');
    expect(billed.expenseRowsAdded).toBeGreaterThan(0);
    expect(billed.expenseRowsCancelled).toBe(billed.expenseRowsAdded);
  });

  it('prints a readable summary without --json', () => {
    // Billed again, as the run before: nothing to write.
    const result = run('import-focus', SAMPLE, '--org', org, '--cost', 'billed');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('rows: 1000 read, 1000 imported, 0 refused');
    expect(result.stdout).toContain('expenses written: +0 / -0');
  });

  it('refuses a file without mandatory columns (exit 2, named on stderr) and an unknown organization', () => {
    const file = path.join(dataDir, 'not-focus.csv');
    fs.writeFileSync(file, 'a,b\n1,2\n');
    const refused = run('import-focus', file, '--org', org, '--json');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(
      `${file}: not a FOCUS file: mandatory columns missing: BilledCost, EffectiveCost`,
    );
    const unknown = run('import-focus', SAMPLE, '--org', 'no-such-org', '--json');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('organization "no-such-org" not found');
    const badCost = run('import-focus', SAMPLE, '--org', org, '--cost', 'list');
    expect(badCost.status).not.toBe(0);
    expect(badCost.stderr).toContain('Allowed choices are effective, billed');
  });
});
