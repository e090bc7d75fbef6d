import path from 'node:path';
import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  CLICKHOUSE_URL: z.url({ protocol: /^https?$/ }).optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
      'a database name: letters, digits and _, not starting with a digit',
    )
    .default('cloudtuner'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  K8S_STALE_AFTER_SECONDS: z.coerce.number().int().positive().default(900),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).max(50).default(10),
  GRAPHQL_MAX_COMPLEXITY: z.coerce.number().int().min(10).default(5000),
});

/** The service's configuration, parsed once from the environment at start-up and frozen. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly clickhouse: {
    /** Absent: the embedded engine (chdb) with its data in `dataDir/clickhouse`. */
    readonly url?: string;
    readonly username?: string;
    readonly password?: string;
    readonly database: string;
    readonly embeddedPath: string;
  };
  readonly redisUrl: string;
  readonly logLevel: (typeof logLevels)[number];
  readonly k8sStaleAfterSeconds: number;
  readonly graphql: { readonly maxDepth: number; readonly maxComplexity: number };
}

/** Raised when the environment holds a value the service cannot start with. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment into a frozen Config; throws ConfigError naming every bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const relevant = Object.fromEntries(
    Object.keys(envSchema.shape).flatMap((key) => {
      const value = env[key];
      return value === undefined || value === '' ? [] : [[key, value]];
    }),
  );
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '?');
      return `${key}=${JSON.stringify(relevant[key])}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  return deepFreeze({
    port: e.PORT,
    host: e.HOST,
    dataDir,
    clickhouse: {
      url: e.CLICKHOUSE_URL,
      username: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE,
      embeddedPath: path.join(dataDir, 'clickhouse'),
    },
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    k8sStaleAfterSeconds: e.K8S_STALE_AFTER_SECONDS,
    graphql: { maxDepth: e.GRAPHQL_MAX_DEPTH, maxComplexity: e.GRAPHQL_MAX_COMPLEXITY },
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
