import { createTestCore } from '../support/test-core';
import { DomainError } from '../../src/errors';

// Issue 12: every SELECT carries a server-side time limit; the engine itself stops the statement
// (real embedded ClickHouse), and the caller gets a client error, not a 500.
describe('ClickHouse statement time limit (CLICKHOUSE_MAX_EXECUTION_SECONDS)', () => {
  let core: Awaited<ReturnType<typeof createTestCore>>;

  beforeAll(async () => {
    core = await createTestCore({ CLICKHOUSE_MAX_EXECUTION_SECONDS: '1' });
  });
  afterAll(async () => core?.dispose());

  it('stops a statement that runs past the limit with QUERY_TIMEOUT; the next one runs', async () => {
    // Hashing 10^11 numbers takes minutes; the engine gives up after one second.
    const error = await core.db
      .query('SELECT count() AS n FROM numbers(100000000000) WHERE sipHash64(number) % 7 = 1')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'QUERY_TIMEOUT',
      message: 'the request ran longer than 1 s and was stopped: narrow its range or filters',
    });
    expect(await core.db.query<{ n: number }>('SELECT count() AS n FROM numbers(1000)')).toEqual([
      { n: 1000 },
    ]);
  }, 30_000);
});
