import { createTestCore } from '../support/test-core';
import { loadMigrations, migrate } from '../../src/store/migrator';

describe('migrations', () => {
  let core: Awaited<ReturnType<typeof createTestCore>>;
  beforeAll(async () => {
    core = await createTestCore();
  });
  afterAll(async () => core.dispose());

  it('records every numbered file once and applies nothing the second time', async () => {
    const versions = loadMigrations().map((m) => m.version);
    expect(versions.length).toBeGreaterThanOrEqual(2);
    expect(await migrate(core.db)).toEqual([]);
    const recorded = await core.db.query<{ version: number }>(
      'SELECT version FROM {db:Identifier}.schema_migrations FINAL ORDER BY version',
    );
    expect(recorded.map((r) => Number(r.version))).toEqual(versions);
  });

  it('creates the OptScale expenses table with its collapsing engine and key', async () => {
    const [table] = await core.db.query<{ engine_full: string }>(
      `SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = 'expenses'`,
      { db: core.db.database },
    );
    expect(table?.engine_full).toContain('CollapsingMergeTree(sign)');
    expect(table?.engine_full).toContain('ORDER BY (cloud_account_id, date, resource_id)');
    expect(table?.engine_full).toContain('PARTITION BY toYYYYMM(date)');
  });
});
