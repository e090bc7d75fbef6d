import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config';
import type { Logger } from './logger';
import { createClickHouseClient } from './store/clickhouse';
import { Db } from './store/db';
import { migrate } from './store/migrator';
import { ClickHouseOrganizationRepository } from './store/organization.repository';
import { ClickHouseCloudAccountRepository } from './store/cloud-account.repository';
import { ClickHouseApiTokenRepository } from './store/api-token.repository';
import { MongoMetadata } from './store/mongo/repositories';
import { MongoCloudAccountRepository } from './store/mongo/cloud-accounts';
import {
  MongoFocusImportStore,
  MongoResourceStore,
  MongoResourceWriter,
  mongoK8sCostDays,
  mongoReconciliationStore,
} from './store/mongo/resources';
import { ClickHouseExpenseReader } from './store/expense.reader';
import { ClickHouseExpenseWriter } from './store/expense.writer';
import { TokenService } from './services/token.service';
import { OrganizationService } from './services/organization.service';
import { ExpenseService } from './services/expense.service';
import { CloudAccountService } from './services/cloud-account.service';
import { K8sClusterService } from './services/k8s-cluster.service';
import { DemoSeedService } from './demo/demo-seed.service';
import type { Services } from './resolvers/services';
import { buildGraphQLSchema } from './resolvers/build-schema';
import { GraphQLHandler } from './http/graphql.handler';
import { Dashboard } from './http/dashboard';
import { createHttpServer } from './http/server';
import { loadExampleQueries } from './http/examples';
import { ClickHouseReconciliationStore } from './store/reconciliation.store';
import { ClickHouseAllocationStore } from './store/k8s-allocation.store';
import { K8sAllocationService } from './services/k8s-allocation.service';
import { K8sReconciliationService } from './services/k8s-reconciliation.service';
import { ClickHouseK8sCostRepository } from './store/k8s-cost.repository';
import { PrometheusHttpMetricsSource } from './k8s-cost/prometheus-http.metrics-source';
import { K8sCostCalculator } from './k8s-cost/k8s-cost.calculator';
import { K8sCostAggregationService } from './k8s-cost/k8s-cost-aggregation.service';
import { ClickHouseClusterCredentialRepository } from './store/cluster-credential.repository';
import { ClusterRegistrationService } from './services/cluster-registration.service';
import { ClusterActivityService } from './ingest/cluster-activity.service';
import { SenderAuthenticator } from './ingest/sender-auth';
import { RemoteWriteHandler } from './http/remote-write.handler';
import type {
  CloudAccountLookup,
  CloudAccountRepository,
  ClusterDirectory,
  ExpenseWriter,
  MetricsWriter,
  ReconciliationStore,
} from './domain/ports';
import { createMetricsWriter } from './ingest/metrics-backend';
import { SampleRateLimiter } from './ingest/rate-limiter';
import { IngestMetrics } from './ingest/ingest-metrics';
import { remoteWriteCodec } from './ingest/remote-write-codec.adapter';
import { RedisConnection } from './jobs/redis.connection';
import { K8sCostQueue } from './jobs/k8s-cost.queue';
import { K8sCostWorker } from './jobs/k8s-cost.worker';
import { K8sCostScheduler } from './jobs/k8s-cost.scheduler';
import { FairLimiter } from './http/fair-limiter';
import { unconfiguredMetricsSource } from './k8s-cost/unconfigured.metrics-source';
import { LimitedMetricsSource } from './k8s-cost/limited.metrics-source';
import { AggregationRunService } from './services/aggregation-run.service';
import { FocusImportService } from './import/focus-import.service';
import { ClickHouseFocusImportStore } from './store/focus-import.store';
import { ClickHouseFocusImportHistory } from './store/focus-import-history.store';
import { ClickHouseAlertStore, ClickHouseBudgetStore } from './store/budget.store';
import { AlertQueue, RedisAlertClaims } from './jobs/alert.queue';
import { AlertWorker } from './jobs/alert.worker';
import { DerivedWebhookSecrets, loadSigningKey } from './alerts/webhook-secrets';
import { WebhookUrlChecker } from './alerts/webhook-url';
import { HttpWebhookSender } from './alerts/webhook.sender';
import { BudgetService } from './services/budget.service';
import { CostInsightService } from './services/cost-insight.service';

/** How often the newest sample time per cluster is written (K8sCluster.lastDataAt lags by this). */
const FRESHNESS_FLUSH_MS = 5_000;

/** Which parts of the service a process runs. */
export const ROLES = ['all', 'api', 'worker', 'scheduler'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Everything built from the config: the one ClickHouse client, the repositories over it and
 * the services over those. The composition root: nothing else constructs clients or reads env.
 */
export interface Core {
  config: Config;
  logger: Logger;
  db: Db;
  tokens: TokenService;
  organizations: OrganizationService;
  services: Services;
  demo: DemoSeedService;
  /** Turns a cluster-day of metrics into cost rows; the worker's jobs call it. */
  k8sCostAggregation: K8sCostAggregationService;
  /** Who sent a remote_write request; shared so deleting a cluster evicts its cached identity. */
  senderAuth: SenderAuthenticator;
  /** Freshness and cluster info from remote_write traffic, flushed in the background. */
  clusterActivity: ClusterActivityService;
  /** The one Redis connection (opened on first use: one-shot CLI commands never connect). */
  redis: RedisConnection;
  /** Producer side of the aggregation runs (BullMQ); workers and the scheduler start by role. */
  aggregationQueue: K8sCostQueue;
  /** Producer side of the budget evaluations and alert deliveries (BullMQ). */
  alertQueue: AlertQueue;
  /** With MONGODB_URL: rewrites ClickHouse's copy of the metadata from MongoDB (null without). */
  resyncMetadata(): Promise<{ accounts: number; resources: number } | null>;
  /** The MongoDB side of the metadata, with MONGODB_URL. */
  mongo?: MongoMetadata;
  /** Closes the run queue, flushes pending cluster activity, closes ClickHouse, then Redis. */
  close(): Promise<void>;
}

export interface CoreOptions {
  /** The clock of the aggregation and of run requests (tests pin it). */
  now?: () => Date;
}

/** Opens ClickHouse (server or embedded), applies pending migrations and wires the services. */
export async function createCore(config: Config, logger: Logger, options: CoreOptions = {}): Promise<Core> {
  const db = new Db(createClickHouseClient(config.clickhouse), config.clickhouse.database, {
    maxExecutionSeconds: config.clickhouse.maxExecutionSeconds,
  });
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, 'applied ClickHouse migrations');
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  // MONGODB_URL: organizations, API tokens, budgets and import records live in MongoDB; without
  // it, in ClickHouse tables (the embedded default needs nothing else).
  let mongo: MongoMetadata | undefined;
  if (config.mongodbUrl) {
    try {
      mongo = await MongoMetadata.open(config.mongodbUrl);
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
  }
  const organizationRepository = mongo?.organizations ?? new ClickHouseOrganizationRepository(db);
  const clickhouseAccounts = new ClickHouseCloudAccountRepository(db);
  const mongoAccounts =
    mongo && new MongoCloudAccountRepository(mongo.models.cloudAccounts, clickhouseAccounts);
  const accountRepository: CloudAccountRepository & CloudAccountLookup & ClusterDirectory =
    mongoAccounts ?? clickhouseAccounts;
  const clickhouseWriter = new ClickHouseExpenseWriter(db);
  const clickhouseReconciliation = new ClickHouseReconciliationStore(db);
  // Resource metadata (and the cluster links of billed nodes and volumes) in MongoDB, with
  // ClickHouse keeping the columns its queries filter, sort and join on.
  const mongoResources =
    mongo &&
    new MongoResourceStore(mongo.models.resources, {
      writer: clickhouseWriter,
      links: clickhouseReconciliation,
    });
  // MongoDB wins: ClickHouse's copy of the accounts and resources (what its queries join on) is
  // rewritten from it at every start, mending a crash between the two writes of an earlier process.
  const resyncMetadata = async () =>
    mongoAccounts && mongoResources
      ? { accounts: await mongoAccounts.resync(), resources: await mongoResources.resync() }
      : null;
  const resynced = await resyncMetadata();
  if (resynced) logger.info(resynced, 'ClickHouse metadata re-synced from MongoDB');
  const reader = new ClickHouseExpenseReader(db);
  const writer: ExpenseWriter = mongoResources
    ? new MongoResourceWriter(mongoResources, clickhouseWriter)
    : clickhouseWriter;
  const tokens = new TokenService(mongo?.apiTokens ?? new ClickHouseApiTokenRepository(db));
  const organizations = new OrganizationService(organizationRepository, tokens);
  const credentialRepository = mongo?.clusterCredentials ?? new ClickHouseClusterCredentialRepository(db);
  const senderAuth = new SenderAuthenticator(credentialRepository, config.ingest.authCacheSeconds * 1000);
  const clusterActivity = new ClusterActivityService(accountRepository, logger, {
    flushIntervalMs: FRESHNESS_FLUSH_MS,
  });
  const redis = new RedisConnection(config.redisUrl);
  const aggregationQueue = new K8sCostQueue({
    redis,
    prefix: config.queuePrefix,
    attempts: config.aggregation.attempts,
    backoffMs: config.aggregation.backoffMs,
  });
  const reconciliationStore: ReconciliationStore = mongoResources
    ? mongoReconciliationStore(mongoResources, clickhouseReconciliation)
    : clickhouseReconciliation;
  const allocationStore = new ClickHouseAllocationStore(db);
  const focusImportHistory = mongo?.focusImports ?? new ClickHouseFocusImportHistory(db);
  const alertQueue = new AlertQueue({
    redis,
    prefix: config.queuePrefix,
    deliveryAttempts: config.alerts.deliveryAttempts,
    deliveryBackoffMs: config.alerts.deliveryBackoffMs,
  });
  // After an import or a cost run the budgets are looked at again; a queue that is away only
  // delays that to the daily evaluation, it never fails the import or the run.
  const evaluateSoon = (organizationId: string, reason: string) =>
    alertQueue.requestEvaluation(organizationId, reason).catch((error: unknown) => {
      logger.warn({ err: error, organizationId, reason }, 'budget evaluation not queued');
    });
  const k8sCostAggregation = new K8sCostAggregationService({
    accounts: accountRepository,
    days: mongoResources
      ? mongoK8sCostDays(mongoResources, new ClickHouseK8sCostRepository(db))
      : new ClickHouseK8sCostRepository(db),
    writer,
    reconciliation: reconciliationStore,
    allocations: allocationStore,
    calculator: new K8sCostCalculator(
      config.metrics.queryUrl
        ? new LimitedMetricsSource(
            new PrometheusHttpMetricsSource({
              url: config.metrics.queryUrl,
              backend: config.metrics.backend,
              tenantHeader: config.metrics.tenantHeader,
              timeoutMs: config.metrics.queryTimeoutMs,
            }),
            config.metrics.queryConcurrency,
          )
        : unconfiguredMetricsSource,
      { stepSeconds: config.k8sIntegrationStepSeconds },
    ),
    now: options.now,
  });
  const expenses = new ExpenseService(reader);
  const insight = new CostInsightService(reader, options.now);
  const webhookUrls = new WebhookUrlChecker(config.alerts.allowPrivateUrls);
  const services: Services = {
    expenses,
    insight,
    budgets: new BudgetService({
      budgets: mongo?.budgets ?? new ClickHouseBudgetStore(db),
      alerts: new ClickHouseAlertStore(db),
      claims: new RedisAlertClaims(redis, config.queuePrefix),
      jobs: alertQueue,
      expenses,
      insight,
      secrets: new DerivedWebhookSecrets(loadSigningKey(config.alerts.signingKey, config.dataDir)),
      urls: webhookUrls,
      sender: new HttpWebhookSender(webhookUrls, config.alerts.webhookTimeoutMs),
      now: options.now,
    }),
    cloudAccounts: new CloudAccountService(accountRepository),
    k8sClusters: new K8sClusterService(accountRepository, reader, config.k8sStaleAfterSeconds * 1000),
    clusterRegistration: new ClusterRegistrationService(
      organizationRepository,
      accountRepository,
      credentialRepository,
      { publicUrl: config.publicUrl, onRevoked: (id) => senderAuth.evict(id) },
    ),
    aggregationRuns: new AggregationRunService(accountRepository, aggregationQueue, {
      rerunDays: config.aggregation.rerunDays,
      now: options.now,
    }),
    focusImport: new FocusImportService(
      organizationRepository,
      accountRepository,
      mongoResources
        ? new MongoFocusImportStore(mongoResources, new ClickHouseFocusImportStore(db))
        : new ClickHouseFocusImportStore(db),
      config.importDir,
      undefined,
      k8sCostAggregation,
      focusImportHistory,
      (organizationId) => evaluateSoon(organizationId, 'import'),
    ),
    reconciliation: new K8sReconciliationService(reconciliationStore),
    apiTokens: tokens,
    allocation: new K8sAllocationService(allocationStore, accountRepository),
    resources: mongoResources,
  };
  const demo = new DemoSeedService(
    organizationRepository,
    accountRepository,
    writer,
    tokens,
    reconciliationStore,
    allocationStore,
    focusImportHistory,
    services.budgets,
  );
  return {
    config,
    logger,
    db,
    tokens,
    organizations,
    services,
    demo,
    k8sCostAggregation,
    senderAuth,
    clusterActivity,
    redis,
    aggregationQueue,
    alertQueue,
    resyncMetadata,
    mongo,
    close: () =>
      runAll([
        () => aggregationQueue.close(),
        () => alertQueue.close(),
        () => clusterActivity.stop(),
        () => db.close(),
        async () => mongo?.close(),
        () => redis.close(),
      ]),
  };
}

/** The background jobs a process runs. */
export interface RunningJobs {
  /** Absent when not asked for, or when aggregation is disabled (no METRICS_QUERY_URL). */
  worker?: K8sCostWorker;
  /** Budget evaluations and alert deliveries: wherever a worker is asked for, metrics or not. */
  alertWorker?: AlertWorker;
  scheduler?: K8sCostScheduler;
  /** Closes the worker (waiting for runs in flight), then the scheduler and its queue. */
  stop(): Promise<void>;
}

/**
 * Starts the aggregation worker and/or the scheduler on the core's Redis connection. Without
 * METRICS_QUERY_URL the worker is not started (nothing to query): runs wait in the queue for a
 * worker that has one.
 */
export async function startJobs(
  core: Core,
  want: { worker: boolean; scheduler: boolean },
): Promise<RunningJobs> {
  const { config, logger } = core;
  let worker: K8sCostWorker | undefined;
  let scheduler: K8sCostScheduler | undefined;
  let alertWorker: AlertWorker | undefined;
  const stop = () =>
    runAll([async () => worker?.close(), async () => alertWorker?.close(), async () => scheduler?.stop()]);
  try {
    if (want.worker && !config.metrics.queryUrl) {
      logger.warn('aggregation disabled: METRICS_QUERY_URL is not set, so no aggregation worker runs here');
    } else if (want.worker) {
      worker = new K8sCostWorker({
        redis: core.redis,
        prefix: config.queuePrefix,
        aggregation: core.k8sCostAggregation,
        logger,
        concurrency: config.aggregation.concurrency,
        lockMs: config.aggregation.lockMs,
        onCompleted: (data) =>
          void core.alertQueue.requestEvaluation(data.organizationId, 'cost-run').catch((error: unknown) => {
            logger.warn({ err: error }, 'budget evaluation not queued');
          }),
      });
      await worker.worker.waitUntilReady();
      logger.info({ concurrency: config.aggregation.concurrency }, 'aggregation worker started');
    }
    if (want.worker) {
      const budgets = core.services.budgets;
      alertWorker = new AlertWorker({
        redis: core.redis,
        prefix: config.queuePrefix,
        processor: {
          evaluate: (organizationId) => budgets.evaluate(organizationId),
          organizationsWithBudgets: () => budgets.organizationsWithBudgets(),
          deliver: (organizationId, alertId, attempt) => budgets.deliver(organizationId, alertId, attempt),
        },
        logger,
      });
      await alertWorker.worker.waitUntilReady();
    }
    if (want.scheduler || want.worker) await core.alertQueue.schedule(config.alerts.evaluationCron);
    if (want.scheduler) {
      scheduler = new K8sCostScheduler({
        redis: core.redis,
        prefix: config.queuePrefix,
        cron: config.aggregation.cron,
        provisionalRefreshMinutes: config.aggregation.provisionalRefreshMinutes,
        checkEveryMs: config.aggregation.scheduleCheckSeconds * 1000,
        fanOut: (kind) => core.services.aggregationRuns.enqueueScheduled(kind),
        logger,
      });
      await scheduler.start();
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { worker, alertWorker, scheduler, stop };
}

export interface RunningServer {
  url: string;
  server: http.Server;
  /**
   * Stops taking traffic, then closes GraphQL, the backend writer, the aggregation worker (after
   * its runs in flight) and the scheduler; the Core (run queue, store, Redis) is closed by its owner.
   */
  stop(): Promise<void>;
}

/**
 * Starts a role: GraphQL and remote_write for `all`/`api`; the aggregation worker for
 * `all`/`worker` and the scheduler for `all`/`scheduler` (see startJobs); health routes and
 * /metrics for every role.
 */
export async function startServer(
  core: Core,
  options: {
    role: Role;
    graphiqlHeaders?: Record<string, string>;
    /** Under `serve --demo`: the dashboard opens signed in with it. */
    demoToken?: string;
  },
): Promise<RunningServer> {
  const servesApi = options.role === 'all' || options.role === 'api';
  const metrics = new IngestMetrics({ tenantLabels: core.config.selfMetrics.tenantLabels });
  let graphql: GraphQLHandler | undefined;
  let remoteWrite: RemoteWriteHandler | undefined;
  let writer: MetricsWriter | undefined;
  if (servesApi) {
    writer = createMetricsWriter({
      writeUrl: core.config.metrics.writeUrl,
      tenantHeader: core.config.metrics.tenantHeader,
      timeoutMs: core.config.metrics.writeTimeoutMs,
    });
    remoteWrite = new RemoteWriteHandler({
      codec: remoteWriteCodec,
      auth: core.senderAuth,
      writer,
      activity: core.clusterActivity,
      limiter: new SampleRateLimiter(core.config.ingest.rateLimitSamplesPerSecond),
      metrics,
      logger: core.logger,
      maxBodyBytes: core.config.ingest.maxBodyBytes,
      maxDecodedBytes: core.config.ingest.maxDecodedBytes,
      futureGraceMs: core.config.ingest.futureGraceSeconds * 1000,
      maxSampleAgeMs: core.config.ingest.maxSampleAgeSeconds * 1000,
    });
    core.clusterActivity.start();
    graphql = new GraphQLHandler({
      schema: await buildGraphQLSchema(core.services),
      services: core.services,
      tokens: core.tokens,
      logger: core.logger,
      maxDepth: core.config.graphql.maxDepth,
      maxComplexity: core.config.graphql.maxComplexity,
      limiter: new FairLimiter(core.config.graphql.concurrency, core.config.graphql.organizationConcurrency),
    });
    await graphql.start();
  }
  // Role all without a metrics backend (the demo) runs neither: fan-outs nobody here can
  // process would only pile up. A scheduler-only process schedules for workers elsewhere.
  const aggregates = Boolean(core.config.metrics.queryUrl);
  let jobs: RunningJobs | undefined;
  try {
    jobs = await startJobs(core, {
      worker: options.role === 'all' || options.role === 'worker',
      scheduler: options.role === 'scheduler' || (options.role === 'all' && aggregates),
    });
  } catch (error) {
    await runAll([async () => graphql?.stop(), async () => writer?.close()]).catch(() => undefined);
    throw error;
  }
  const server = createHttpServer({
    logger: core.logger,
    graphql,
    examples: servesApi ? loadExampleQueries() : [],
    graphiqlHeaders: options.graphiqlHeaders,
    dashboard: servesApi ? new Dashboard({ demoToken: options.demoToken }) : undefined,
    remoteWrite,
    metrics,
    metricsAuthToken: core.config.selfMetrics.authToken,
    readiness: [
      async () => ({ name: 'clickhouse', ok: await core.db.ping() }),
      // Every role uses Redis: api queues runs, worker and scheduler process them.
      async () => ({ name: 'redis', ok: await core.redis.ping() }),
      // A scheduler whose schedules Redis lost runs no daily costs until it re-creates them.
      ...(jobs?.scheduler
        ? [
            async () => ({
              name: 'schedule',
              ok: await (jobs?.scheduler as K8sCostScheduler).missingSchedules().then(
                (missing) => missing.length === 0,
                () => false,
              ),
            }),
          ]
        : []),
    ],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(core.config.port, core.config.host, () => resolve());
    });
  } catch (error) {
    await runAll([async () => graphql?.stop(), async () => writer?.close(), async () => jobs?.stop()]).catch(
      () => undefined,
    );
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = core.config.host === '0.0.0.0' || core.config.host === '::' ? 'localhost' : core.config.host;
  return {
    url: `http://${host}:${port}`,
    server,
    async stop() {
      await runAll([
        () =>
          new Promise<void>((resolve, reject) => {
            server.close((error) => (error ? reject(error) : resolve()));
            server.closeIdleConnections();
          }),
        async () => graphql?.stop(),
        async () => writer?.close(),
        async () => jobs?.stop(),
      ]);
    },
  };
}

/** Runs every step even when an earlier one fails; rethrows the first failure at the end. */
export async function runAll(steps: (() => Promise<unknown>)[]): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      first ??= error;
    }
  }
  if (first !== undefined) throw first;
}
