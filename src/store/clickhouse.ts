import fs from 'node:fs';
import { createClient, type ClickHouseClient } from '@clickhouse/client';

type ClientOptions = NonNullable<Parameters<typeof createClient>[0]>;

/** Where the ClickHouse engine is: a server URL, or an embedded data folder. */
export interface ClickHouseTarget {
  url?: string;
  username?: string;
  password?: string;
  embeddedPath: string;
}

/**
 * Builds the one `@clickhouse/client` the process uses: over HTTP when a server URL is set,
 * otherwise over the embedded chdb engine (real ClickHouse in-process, data in a folder).
 */
export function createClickHouseClient(target: ClickHouseTarget): ClickHouseClient {
  if (target.url) {
    return createClient({
      url: target.url,
      username: target.username,
      password: target.password,
      request_timeout: 60_000,
      clickhouse_settings: { date_time_output_format: 'simple' },
    });
  }
  fs.mkdirSync(target.embeddedPath, { recursive: true });
  // Loaded only in embedded mode: the native engine is large and exists for few platforms, and a
  // process pointed at a ClickHouse server must not need it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createChdbConnection } = require('chdb/connection') as typeof import('chdb/connection');
  const connection = createChdbConnection({ path: target.embeddedPath });
  // chdb types its Connection against @clickhouse/client-common 1.22 while @clickhouse/client 1.23
  // bundles its own copy of the same interface; the shapes agree at run time, only the nominal
  // settings types differ.
  return createClient({ connection: connection as unknown as NonNullable<ClientOptions['connection']> });
}
