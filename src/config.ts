import path from 'node:path';
import { z } from 'zod';
import { METRICS_BACKENDS, type MetricsBackendKind } from './domain/ports';

const MIB = 1024 * 1024;

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  // Unset: DATA_DIR/imports. The only folder the importFocus mutation reads files from.
  IMPORT_DIR: z.string().min(1).optional(),
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
  CLICKHOUSE_MAX_EXECUTION_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  /** Set: organizations, API tokens, budgets and import records live in this MongoDB. */
  MONGODB_URL: z.url({ protocol: /^mongodb(\+srv)?$/ }).optional(),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . and - (at most 64)')
    .default('cloudtuner'),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  K8S_STALE_AFTER_SECONDS: z.coerce.number().int().positive().default(900),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).max(50).default(10),
  GRAPHQL_MAX_COMPLEXITY: z.coerce.number().int().min(10).default(5000),
  GRAPHQL_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8),
  GRAPHQL_ORG_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(2),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  METRICS_WRITE_URL: z.url({ protocol: /^https?$/ }).optional(),
  METRICS_TENANT_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name (THANOS-TENANT, X-Scope-OrgID)')
    // Default by METRICS_BACKEND: X-Scope-OrgID for mimir, THANOS-TENANT otherwise.
    .optional(),
  METRICS_WRITE_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  // Unset: the worker does not aggregate (the demo has no metrics backend).
  METRICS_QUERY_URL: z.url({ protocol: /^https?$/ }).optional(),
  METRICS_BACKEND: z.enum(METRICS_BACKENDS).default('prometheus'),
  METRICS_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  METRICS_QUERY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  K8S_INTEGRATION_STEP_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .max(3600)
    .refine((s) => 86_400 % s === 0, 'seconds that divide a day evenly (60, 300, 600, 900, 3600...)')
    .default(300),
  K8S_AGGREGATION_CRON: z
    .string()
    .trim()
    .regex(
      /^[0-9A-Za-z*/,?#-]+(\s+[0-9A-Za-z*/,?#-]+){4,5}$/,
      'a cron pattern of 5 or 6 fields, evaluated in UTC (e.g. "0 3 * * *")',
    )
    .default('0 3 * * *'),
  K8S_AGGREGATION_RERUN_DAYS: z.coerce.number().int().min(0).max(30).default(2),
  K8S_PROVISIONAL_REFRESH_MINUTES: z.coerce.number().int().min(0).max(1440).default(60),
  K8S_SCHEDULE_CHECK_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  K8S_AGGREGATION_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  K8S_AGGREGATION_BACKOFF_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  K8S_AGGREGATION_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  K8S_AGGREGATION_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  INGEST_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(10 * MIB),
  INGEST_MAX_DECODED_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(32 * MIB),
  INGEST_RATE_LIMIT_SAMPLES_PER_SECOND: z.coerce.number().min(0).default(0),
  INGEST_AUTH_CACHE_SECONDS: z.coerce.number().min(0).max(3600).default(10),
  /** How far ahead of the server's clock a remote_write sample may be (Mimir's creation grace period). */
  INGEST_FUTURE_GRACE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
  /** How old a remote_write sample may be; 0 accepts any age (the backend decides). */
  INGEST_MAX_SAMPLE_AGE_SECONDS: z.coerce.number().int().min(0).default(0),
  /** When set, GET /metrics needs `Authorization: Bearer <this token>`. */
  METRICS_AUTH_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** `true`: /metrics labels the remote_write counters by cluster id (off: one series per status). */
  METRICS_TENANT_LABELS: z.enum(['true', 'false']).default('false'),
  /** `true`: budget webhooks may go to loopback, private and link-local addresses (`serve --demo`, tests). */
  ALERT_ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).default('false'),
  /** Key the budgets' webhook secrets are derived from; unset: DATA_DIR/alert-signing.key (created). */
  ALERT_SIGNING_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  ALERT_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  ALERT_DELIVERY_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  ALERT_DELIVERY_BACKOFF_MS: z.coerce.number().int().min(10).max(3_600_000).default(2_000),
  /** When every budget is evaluated besides after each cost run and import (cron, UTC). */
  ALERT_EVALUATION_CRON: z
    .string()
    .trim()
    .regex(/^[0-9A-Za-z*/,?#-]+(\s+[0-9A-Za-z*/,?#-]+){4,5}$/, 'a cron pattern of 5 or 6 fields, in UTC')
    .default('30 6 * * *'),
});

/** The service's configuration, parsed once from the environment at start-up and frozen. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** The only folder `importFocus` (GraphQL) reads FOCUS files from; absolute. */
  readonly importDir: string;
  readonly clickhouse: {
    /** Absent: the embedded engine (chdb) with its data in `dataDir/clickhouse`. */
    readonly url?: string;
    readonly username?: string;
    readonly password?: string;
    readonly database: string;
    readonly embeddedPath: string;
    /** Every SELECT is stopped by ClickHouse after this long (0: no limit). */
    readonly maxExecutionSeconds: number;
  };
  readonly redisUrl: string;
  /** Absent: all metadata in ClickHouse tables. */
  readonly mongodbUrl?: string;
  /** Prefix of every BullMQ key in Redis (one prefix = one independent set of queues). */
  readonly queuePrefix: string;
  readonly logLevel: (typeof logLevels)[number];
  readonly k8sStaleAfterSeconds: number;
  readonly graphql: {
    readonly maxDepth: number;
    readonly maxComplexity: number;
    /** GraphQL requests executing at once in this process, and of one organization. */
    readonly concurrency: number;
    readonly organizationConcurrency: number;
  };
  /** Base URL clusters reach this service at; the generated remote_write blocks point there. */
  readonly publicUrl: string;
  /** Where accepted remote_write data goes (Thanos Receive, Mimir, Prometheus). */
  readonly metrics: {
    /** Absent: the ingest route answers 503 "no metrics backend configured". */
    readonly writeUrl?: string;
    /** The backend's tenant header, set to the authenticated cluster's cloud account id. */
    readonly tenantHeader: string;
    readonly writeTimeoutMs: number;
    /**
     * Prometheus HTTP query API base (Thanos Query, Prometheus, Mimir's `/prometheus` prefix).
     * Absent: aggregation is disabled in this process (jobs wait for a worker that has one).
     */
    readonly queryUrl?: string;
    readonly backend: MetricsBackendKind;
    readonly queryTimeoutMs: number;
    /** Queries one run has in flight against the backend at most (1: one after another). */
    readonly queryConcurrency: number;
  };
  /** The service's own /metrics. */
  readonly selfMetrics: {
    /** Absent: /metrics is open (as Prometheus exporters usually are). */
    readonly authToken?: string;
    /** Label the remote_write counters by cluster id (one series per cluster). */
    readonly tenantLabels: boolean;
  };
  /** Integration step of the daily cluster costs: each step charges step/3600 hours. */
  readonly k8sIntegrationStepSeconds: number;
  /** The daily cluster-cost jobs (BullMQ). */
  readonly aggregation: {
    /** When the daily fan-out runs (cron, UTC): yesterday final plus the re-run days. */
    readonly cron: string;
    /** Days before yesterday aggregated again at every daily run, for late samples. */
    readonly rerunDays: number;
    /** How often today's provisional cost is refreshed; 0 = never. */
    readonly provisionalRefreshMinutes: number;
    /** How often the scheduler checks its schedules are still in Redis (re-created if not). */
    readonly scheduleCheckSeconds: number;
    /** Tries per run before it is FAILED (transient failures only; bad input fails at once). */
    readonly attempts: number;
    /** First retry delay; doubles at each retry (BullMQ exponential backoff). */
    readonly backoffMs: number;
    /** Runs one worker process computes at the same time. */
    readonly concurrency: number;
    /** BullMQ job lock: a job whose worker died is picked up again after about twice this. */
    readonly lockMs: number;
  };
  readonly ingest: {
    /** Largest compressed remote_write body accepted (413 above). */
    readonly maxBodyBytes: number;
    /** Largest decompressed body accepted, checked from the snappy preamble (413 above). */
    readonly maxDecodedBytes: number;
    /** Samples per second per cluster; 0 = no limit. */
    readonly rateLimitSamplesPerSecond: number;
    /** How long a verified credential is trusted without a lookup; a revocation takes this long. */
    readonly authCacheSeconds: number;
    /** A sample more than this ahead of the server's clock refuses its request (400). */
    readonly futureGraceSeconds: number;
    /** A sample older than this refuses its request (400); 0 = any age. */
    readonly maxSampleAgeSeconds: number;
  };
  /** Budgets' alerts and their webhooks. */
  readonly alerts: {
    readonly allowPrivateUrls: boolean;
    /** Absent: the key in `dataDir/alert-signing.key`, created on first use. */
    readonly signingKey?: string;
    readonly webhookTimeoutMs: number;
    /** Tries per delivery (a 4xx answer stops at once). */
    readonly deliveryAttempts: number;
    /** First retry delay; doubles at each retry. */
    readonly deliveryBackoffMs: number;
    readonly evaluationCron: string;
  };
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
    importDir: path.resolve(e.IMPORT_DIR ?? path.join(dataDir, 'imports')),
    clickhouse: {
      url: e.CLICKHOUSE_URL,
      username: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE,
      embeddedPath: path.join(dataDir, 'clickhouse'),
      maxExecutionSeconds: e.CLICKHOUSE_MAX_EXECUTION_SECONDS,
    },
    redisUrl: e.REDIS_URL,
    mongodbUrl: e.MONGODB_URL,
    queuePrefix: e.QUEUE_PREFIX,
    logLevel: e.LOG_LEVEL,
    k8sStaleAfterSeconds: e.K8S_STALE_AFTER_SECONDS,
    graphql: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxComplexity: e.GRAPHQL_MAX_COMPLEXITY,
      concurrency: e.GRAPHQL_CONCURRENCY,
      organizationConcurrency: e.GRAPHQL_ORG_CONCURRENCY,
    },
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    metrics: {
      writeUrl: e.METRICS_WRITE_URL,
      tenantHeader:
        e.METRICS_TENANT_HEADER ?? (e.METRICS_BACKEND === 'mimir' ? 'X-Scope-OrgID' : 'THANOS-TENANT'),
      writeTimeoutMs: e.METRICS_WRITE_TIMEOUT_MS,
      queryUrl: e.METRICS_QUERY_URL?.replace(/\/+$/, ''),
      backend: e.METRICS_BACKEND,
      queryTimeoutMs: e.METRICS_QUERY_TIMEOUT_MS,
      queryConcurrency: e.METRICS_QUERY_CONCURRENCY,
    },
    selfMetrics: { authToken: e.METRICS_AUTH_TOKEN, tenantLabels: e.METRICS_TENANT_LABELS === 'true' },
    k8sIntegrationStepSeconds: e.K8S_INTEGRATION_STEP_SECONDS,
    aggregation: {
      cron: e.K8S_AGGREGATION_CRON,
      rerunDays: e.K8S_AGGREGATION_RERUN_DAYS,
      provisionalRefreshMinutes: e.K8S_PROVISIONAL_REFRESH_MINUTES,
      scheduleCheckSeconds: e.K8S_SCHEDULE_CHECK_SECONDS,
      attempts: e.K8S_AGGREGATION_ATTEMPTS,
      backoffMs: e.K8S_AGGREGATION_BACKOFF_MS,
      concurrency: e.K8S_AGGREGATION_CONCURRENCY,
      lockMs: e.K8S_AGGREGATION_LOCK_MS,
    },
    ingest: {
      maxBodyBytes: e.INGEST_MAX_BODY_BYTES,
      maxDecodedBytes: e.INGEST_MAX_DECODED_BYTES,
      rateLimitSamplesPerSecond: e.INGEST_RATE_LIMIT_SAMPLES_PER_SECOND,
      authCacheSeconds: e.INGEST_AUTH_CACHE_SECONDS,
      futureGraceSeconds: e.INGEST_FUTURE_GRACE_SECONDS,
      maxSampleAgeSeconds: e.INGEST_MAX_SAMPLE_AGE_SECONDS,
    },
    alerts: {
      allowPrivateUrls: e.ALERT_ALLOW_PRIVATE_URLS === 'true',
      signingKey: e.ALERT_SIGNING_KEY,
      webhookTimeoutMs: e.ALERT_WEBHOOK_TIMEOUT_MS,
      deliveryAttempts: e.ALERT_DELIVERY_ATTEMPTS,
      deliveryBackoffMs: e.ALERT_DELIVERY_BACKOFF_MS,
      evaluationCron: e.ALERT_EVALUATION_CRON,
    },
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
