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
import { ClickHouseExpenseReader } from './store/expense.reader';
import { ClickHouseExpenseWriter } from './store/expense.writer';
import { TokenService } from './services/token.service';
import { OrganizationService } from './services/organization.service';
import { ExpenseService } from './services/expense.service';
import { CloudAccountService } from './services/cloud-account.service';
import { K8sClusterService } from './services/k8s-cluster.service';
import { DemoSeedService } from './demo/demo-seed.service';
import type { Services } from './resolvers/services';
import { buildGraphQLSchema } from './schema/build-schema';
import { GraphQLHandler } from './http/graphql.handler';
import { createHttpServer } from './http/server';
import { loadExampleQueries } from './http/examples';

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
  close(): Promise<void>;
}

/** Opens ClickHouse (server or embedded), applies pending migrations and wires the services. */
export async function createCore(config: Config, logger: Logger): Promise<Core> {
  const db = new Db(createClickHouseClient(config.clickhouse), config.clickhouse.database);
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, 'applied ClickHouse migrations');
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  const organizationRepository = new ClickHouseOrganizationRepository(db);
  const accountRepository = new ClickHouseCloudAccountRepository(db);
  const reader = new ClickHouseExpenseReader(db);
  const writer = new ClickHouseExpenseWriter(db);
  const tokens = new TokenService(new ClickHouseApiTokenRepository(db));
  const organizations = new OrganizationService(organizationRepository, tokens);
  const services: Services = {
    expenses: new ExpenseService(reader),
    cloudAccounts: new CloudAccountService(accountRepository),
    k8sClusters: new K8sClusterService(accountRepository, reader, config.k8sStaleAfterSeconds * 1000),
  };
  const demo = new DemoSeedService(organizationRepository, accountRepository, writer, tokens);
  return {
    config,
    logger,
    db,
    tokens,
    organizations,
    services,
    demo,
    close: () => db.close(),
  };
}

export interface RunningServer {
  url: string;
  server: http.Server;
  /** Stops taking traffic, then closes GraphQL; the Core is closed by its owner. */
  stop(): Promise<void>;
}

/** Starts the HTTP side of a role: the API for `all`/`api`, health routes only for the others. */
export async function startServer(
  core: Core,
  options: { role: Role; graphiqlHeaders?: Record<string, string> },
): Promise<RunningServer> {
  const servesApi = options.role === 'all' || options.role === 'api';
  let graphql: GraphQLHandler | undefined;
  if (servesApi) {
    graphql = new GraphQLHandler({
      schema: await buildGraphQLSchema(core.services),
      services: core.services,
      tokens: core.tokens,
      logger: core.logger,
      maxDepth: core.config.graphql.maxDepth,
      maxComplexity: core.config.graphql.maxComplexity,
    });
    await graphql.start();
  } else {
    core.logger.warn(
      { role: options.role },
      'this build has no background jobs yet; serving health routes only',
    );
  }
  const server = createHttpServer({
    logger: core.logger,
    graphql,
    examples: servesApi ? loadExampleQueries() : [],
    graphiqlHeaders: options.graphiqlHeaders,
    readiness: [async () => ({ name: 'clickhouse', ok: await core.db.ping() })],
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(core.config.port, core.config.host, () => resolve());
  });
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
