import 'reflect-metadata';
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { printSchema } from 'graphql';
import { ConfigError, loadConfig } from '../config';
import { createLogger, type Logger } from '../logger';
import { createCore, startServer, ROLES, runAll, type Core, type Role } from '../main';
import { buildGraphQLSchema } from '../resolvers/build-schema';
import { DomainError } from '../errors';
import { registerImportFocusCommand } from './import-focus.command';
import type { ClusterRegistration } from '../services/cluster-registration.service';
import { aggregateCommand } from './aggregate.command';
import { copyMetadataToMongo } from '../store/mongo/migrate';

/** Prints the result as JSON with --json, otherwise as `key: value` lines. */
function print(result: Record<string, unknown>, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  for (const [key, value] of Object.entries(result)) process.stdout.write(`${key}: ${String(value)}\n`);
}

/** Opens the core for a one-shot command and always closes it. */
async function withCore<T>(logLevel: string | undefined, run: (core: Core) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const core = await createCore(
    config,
    createLogger(logLevel ?? (config.logLevel === 'info' ? 'warn' : config.logLevel)),
  );
  try {
    return await run(core);
  } finally {
    await core.close();
  }
}

/** The generated SDL, as committed in schema.graphql. */
export async function schemaSDL(): Promise<string> {
  return `${printSchema(await buildGraphQLSchema())}\n`;
}

function buildProgram(): Command {
  const program = new Command()
    .name('cloudtuner')
    .description('Unified Kubernetes and cloud cost API: serve it, and operate its store.')
    .showHelpAfterError();

  program
    .command('serve')
    .description('Start the service (stops cleanly on SIGTERM/SIGINT).')
    .addOption(new Option('--role <role>', 'which parts to run').choices(ROLES).default('all'))
    .option('--demo', 'load the demo organization if missing and pre-fill GraphiQL with a demo token')
    .action(async (options: { role: Role; demo?: boolean }) => {
      // The demo's webhooks may go to this machine (a local receiver); set it to false to see the guard.
      const config = loadConfig(
        options.demo ? { ALERT_ALLOW_PRIVATE_URLS: 'true', ...process.env } : process.env,
      );
      const logger = createLogger(config.logLevel);
      const core = await createCore(config, logger);
      let demoToken: string | undefined;
      if (options.demo) {
        const seeded = await core.demo.seed();
        demoToken = seeded.token;
        logger.info(
          { organizationId: seeded.organizationId, loaded: seeded.loaded },
          'demo organization ready',
        );
      }
      const running = await startServer(core, {
        role: options.role,
        graphiqlHeaders: demoToken ? { Authorization: `Bearer ${demoToken}` } : undefined,
        demoToken,
      });
      logger.info({ role: options.role, url: running.url }, 'serving');
      if (demoToken) {
        process.stdout.write(
          `\n  Dashboard:  ${running.url}/\n  GraphiQL:   ${running.url}/graphql\n  Demo token: ${demoToken}\n` +
            `  (send it as "Authorization: Bearer <token>"; the dashboard and GraphiQL have it already)\n\n`,
        );
      }
      await waitForSignal(logger);
      await runAll([() => running.stop(), () => core.close()]);
      logger.info('stopped');
    });

  program
    .command('migrate')
    .description('Apply pending ClickHouse migrations and exit.')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withCore(undefined, async () => undefined);
      print({ migrated: true }, Boolean(options.json));
    });

  const org = program.command('org').description('Organizations.');
  org
    .command('create')
    .description('Create an organization and its first API token (shown once).')
    .requiredOption('--name <name>', 'organization name')
    .option('--json', 'print JSON')
    .action(async (options: { name: string; json?: boolean }) => {
      const result = await withCore(undefined, (core) => core.organizations.create(options.name));
      print(
        {
          organizationId: result.organization.id,
          name: result.organization.name,
          tokenId: result.tokenId,
          token: result.token,
        },
        Boolean(options.json),
      );
    });

  const token = program.command('token').description('API tokens.');
  token
    .command('create')
    .description('Issue another API token for an organization (shown once).')
    .requiredOption('--org <id>', 'organization id')
    .option('--name <name>', 'a label for the token', 'cli')
    .option('--json', 'print JSON')
    .action(async (options: { org: string; name: string; json?: boolean }) => {
      const result = await withCore(undefined, (core) =>
        core.organizations.createToken(options.org, options.name),
      );
      print({ organizationId: options.org, tokenId: result.id, token: result.token }, Boolean(options.json));
    });

  token
    .command('revoke')
    .description(
      "Revoke one of an organization's API tokens: refused at once by new processes, by running servers within their token cache time (30 s).",
    )
    .argument('<tokenId>', 'the token id printed when it was issued')
    .requiredOption('--org <id>', 'the organization the token belongs to')
    .option('--json', 'print JSON')
    .action(async (tokenId: string, options: { org: string; json?: boolean }) => {
      await withCore(undefined, (core) => core.tokens.revoke(options.org, tokenId));
      print({ organizationId: options.org, tokenId, revoked: true }, Boolean(options.json));
    });

  const cluster = program.command('cluster').description('Kubernetes clusters sending remote_write.');
  const printRegistration = (result: ClusterRegistration, json: boolean) => {
    const fields = {
      clusterId: result.cluster.id,
      organizationId: result.cluster.organizationId,
      name: result.cluster.name,
      secret: result.secret,
      remoteWriteUrl: result.remoteWriteUrl,
    };
    if (json) {
      print({ ...fields, remoteWriteConfig: result.remoteWriteConfig, helmValues: result.helmValues }, true);
      return;
    }
    print(fields, false);
    process.stdout.write(
      `\n# prometheus.yml\n${result.remoteWriteConfig}\n# or Kubecost Helm values\n${result.helmValues}`,
    );
  };
  cluster
    .command('register')
    .description('Register a cluster; prints its remote-write secret (shown once) and sender config.')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--name <name>', 'cluster name')
    .option('--provider <provider>', 'where it runs (AWS, GCP, AZURE, on-prem)')
    .option('--region <region>', 'region')
    .option('--owner <owner>', 'owner')
    .option('--json', 'print JSON')
    .action(
      async (options: {
        org: string;
        name: string;
        provider?: string;
        region?: string;
        owner?: string;
        json?: boolean;
      }) => {
        const result = await withCore(undefined, (core) =>
          core.services.clusterRegistration.register(options.org, options),
        );
        printRegistration(result, Boolean(options.json));
      },
    );
  cluster
    .command('rotate')
    .description("Revoke a cluster's secrets and issue a new one (shown once).")
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--id <id>', 'cluster id')
    .option('--json', 'print JSON')
    .action(async (options: { org: string; id: string; json?: boolean }) => {
      const result = await withCore(undefined, (core) =>
        core.services.clusterRegistration.rotate(options.org, options.id),
      );
      printRegistration(result, Boolean(options.json));
    });
  cluster
    .command('delete')
    .description('Delete a cluster: its remote_write is refused from now on; its cost history stays.')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--id <id>', 'cluster id')
    .option('--json', 'print JSON')
    .action(async (options: { org: string; id: string; json?: boolean }) => {
      const id = await withCore(undefined, (core) =>
        core.services.clusterRegistration.delete(options.org, options.id),
      );
      print({ clusterId: id, deleted: true }, Boolean(options.json));
    });

  registerImportFocusCommand(program, withCore);

  program.addCommand(aggregateCommand());

  const metadata = program.command('metadata').description('Metadata in MongoDB (MONGODB_URL).');
  metadata
    .command('resync')
    .description("Rewrite ClickHouse's copy of the metadata from MongoDB (MongoDB wins every disagreement).")
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const result = await withCore(undefined, async (core) => {
        if (!core.mongo) throw new Error('MONGODB_URL is not set: the metadata lives in ClickHouse only');
        return core.resyncMetadata();
      });
      print({ ...result }, Boolean(options.json));
    });
  metadata
    .command('migrate')
    .description("Copy an installation's metadata from ClickHouse into MongoDB (idempotent).")
    .requiredOption('--to <store>', 'where to: mongodb')
    .option('--json', 'print JSON')
    .action(async (options: { to: string; json?: boolean }) => {
      if (options.to !== 'mongodb') throw new Error(`--to ${options.to}: only mongodb is supported`);
      const result = await withCore(undefined, async (core) => {
        if (!core.mongo) throw new Error('MONGODB_URL is not set: name the MongoDB to copy into');
        return copyMetadataToMongo(core.db, core.mongo);
      });
      print({ ...result }, Boolean(options.json));
    });

  program
    .command('demo-seed')
    .description('Load the demo organization (90 days ending yesterday) if missing and issue a token for it.')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const result = await withCore(undefined, (core) => core.demo.seed());
      print(result, Boolean(options.json));
    });

  program
    .command('schema')
    .description('Print the GraphQL schema (SDL), write it to a file, or check a file is current.')
    .option('--out <file>', 'write the SDL to this file')
    .option('--check <file>', 'exit 1 when this file differs from the generated SDL')
    .action(async (options: { out?: string; check?: string }) => {
      const sdl = await schemaSDL();
      if (options.check) {
        const current = fs.existsSync(options.check) ? fs.readFileSync(options.check, 'utf8') : '';
        if (current !== sdl) {
          throw new Error(`${options.check} is stale: run \`npm run schema:emit\` and commit the result`);
        }
        process.stdout.write(`${options.check} is up to date\n`);
      } else if (options.out) {
        fs.writeFileSync(options.out, sdl);
      } else {
        process.stdout.write(sdl);
      }
    });

  return program;
}

function waitForSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping');
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** Entry point of the `cloudtuner` binary. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DomainError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
