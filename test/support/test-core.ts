import 'reflect-metadata';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createCore, type Core, type CoreOptions } from '../../src/main';

/**
 * A Core on the embedded engine with a database of its own. The data folder is one per process
 * (the engine binds one folder per process), the database one per test file, dropped at the end.
 */
export async function createTestCore(
  env: Record<string, string> = {},
  options: CoreOptions = {},
): Promise<Core & { dispose(): Promise<void> }> {
  const database = `test_${randomBytes(6).toString('hex')}`;
  const config = loadConfig({
    DATA_DIR: path.join(os.tmpdir(), `cloudtuner-test-${process.pid}`),
    CLICKHOUSE_DATABASE: database,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    // Test webhook receivers listen on 127.0.0.1.
    ALERT_ALLOW_PRIVATE_URLS: 'true',
    ...env,
  });
  const core = await createCore(config, createLogger(config.logLevel), options);
  return Object.assign(core, {
    async dispose() {
      try {
        await core.db.command('DROP DATABASE IF EXISTS {db:Identifier}');
      } finally {
        await core.close();
      }
    },
  });
}
