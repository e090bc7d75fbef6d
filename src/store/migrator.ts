import fs from 'node:fs';
import path from 'node:path';
import { toClickHouseTime } from '../domain/days';
import { packageRoot } from '../package-root';
import type { Db } from './db';

/** A numbered migration file: `0001_name.sql`, statements separated by `;` at a line end. */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

// Resolved from the package root so it is the same folder whether running compiled (dist/src/store)
// or from source under ts-jest (src/store); tsc does not copy .sql files.
const MIGRATIONS_DIR = path.join(packageRoot(__dirname), 'src', 'store', 'migrations');

/** Reads the numbered `.sql` files shipped beside this module, in order. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.replace(/\.sql$/, ''),
      statements: splitStatements(fs.readFileSync(path.join(dir, file), 'utf8')),
    }));
}

/** Splits a migration file into statements; comments and blank lines are dropped. */
export function splitStatements(text: string): string[] {
  const withoutComments = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order. Each statement is
 * idempotent (IF NOT EXISTS), so a run interrupted between a statement and its record is safe
 * to repeat. Returns the versions applied by this call.
 */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<number[]> {
  await db.ensureDatabase();
  await db.command(`
    CREATE TABLE IF NOT EXISTS {db:Identifier}.schema_migrations
    (version UInt32, name String, applied_at DateTime64(3, 'UTC'))
    ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`);
  const done = new Set(
    (await db.query<{ version: number }>('SELECT version FROM {db:Identifier}.schema_migrations')).map(
      (row) => Number(row.version),
    ),
  );
  const applied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    for (const statement of migration.statements) await db.command(statement);
    await db.insert('schema_migrations', [
      { version: migration.version, name: migration.name, applied_at: toClickHouseTime(new Date()) },
    ]);
    applied.push(migration.version);
  }
  return applied;
}
