import type { ClickHouseClient } from '@clickhouse/client';
import { DomainError } from '../errors';

/** Query parameters; `db` (the database, an Identifier) is always added by Db. */
export type Params = Record<string, unknown>;

/** Called after every statement; used for the query counter and slow-query logging. */
export type QueryObserver = (event: { sql: string; ms: number; ok: boolean }) => void;

/**
 * The narrow door to ClickHouse every repository goes through. Statements name tables as
 * `{db:Identifier}.table`, so the same SQL runs on a server and on the embedded engine (which
 * ignores the client's `database` option), and nothing is ever interpolated into SQL text.
 */
export class Db {
  private readonly observers: QueryObserver[] = [];

  constructor(
    readonly client: ClickHouseClient,
    readonly database: string,
    private readonly options: { maxExecutionSeconds?: number } = {},
  ) {}

  /** Subscribes to statement events; returns the unsubscribe function. */
  observe(observer: QueryObserver): () => void {
    this.observers.push(observer);
    return () => {
      const i = this.observers.indexOf(observer);
      if (i >= 0) this.observers.splice(i, 1);
    };
  }

  /**
   * Runs a SELECT and returns its rows as objects. ClickHouse stops it after
   * `maxExecutionSeconds` (server-side: the engine cancels the statement and frees its threads),
   * which is a QUERY_TIMEOUT DomainError here: one request can hold the engine that long at most.
   */
  async query<Row>(sql: string, params: Params = {}): Promise<Row[]> {
    const limit = this.options.maxExecutionSeconds;
    return this.timed(sql, async () => {
      try {
        const result = await this.client.query({
          query: sql,
          query_params: { ...params, db: this.database },
          format: 'JSONEachRow',
          ...(limit ? { clickhouse_settings: { max_execution_time: limit } } : {}),
        });
        return await result.json<Row>();
      } catch (error) {
        if ((error as { type?: string }).type === 'TIMEOUT_EXCEEDED')
          throw new DomainError(
            'QUERY_TIMEOUT',
            `the request ran longer than ${limit} s and was stopped: narrow its range or filters`,
            { limitSeconds: limit },
          );
        throw error;
      }
    });
  }

  /** Runs a statement that returns no rows (DDL, INSERT ... SELECT). */
  async command(sql: string, params: Params = {}): Promise<void> {
    await this.timed(sql, () =>
      this.client.command({ query: sql, query_params: { ...params, db: this.database } }),
    );
  }

  /** Inserts rows (objects keyed by column) into a table of this database. */
  async insert(table: string, rows: readonly object[]): Promise<void> {
    if (rows.length === 0) return;
    await this.timed(`INSERT INTO ${table}`, () =>
      this.client.insert({
        table: `${this.database}.${table}`,
        values: rows as object[],
        format: 'JSONEachRow',
      }),
    );
  }

  /**
   * Inserts rows given as value arrays in `columns` order (JSONCompactEachRow): no key names per
   * row, about half the bytes and parse time of `insert` for bulk writes.
   */
  async insertCompact(table: string, columns: readonly string[], rows: readonly unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    await this.timed(`INSERT INTO ${table}`, () =>
      this.client.insert({
        table: `${this.database}.${table}`,
        columns: columns as [string, ...string[]],
        values: rows as unknown[][],
        format: 'JSONCompactEachRow',
      }),
    );
  }

  /** Creates the database itself (the one statement that cannot name it as a table prefix). */
  async ensureDatabase(): Promise<void> {
    await this.command('CREATE DATABASE IF NOT EXISTS {db:Identifier}');
  }

  async ping(): Promise<boolean> {
    try {
      await this.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async timed<T>(sql: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let ok = false;
    try {
      const value = await run();
      ok = true;
      return value;
    } finally {
      const ms = performance.now() - started;
      for (const observer of this.observers) observer({ sql, ms, ok });
    }
  }
}
