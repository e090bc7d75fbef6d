import { randomUUID } from 'node:crypto';
import { graphql, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { Core } from '../../src/main';
import type { CloudAccount, K8sCostBreakdown, Provider } from '../../src/domain/model';
import type { ExpenseRecord, K8sBreakdownRecord, ResourceRecord } from '../../src/domain/ports';
import { ClickHouseExpenseWriter } from '../../src/store/expense.writer';
import { ClickHouseCloudAccountRepository } from '../../src/store/cloud-account.repository';
import { ClickHouseOrganizationRepository } from '../../src/store/organization.repository';
import { buildGraphQLSchema } from '../../src/resolvers/build-schema';
import { createLoaders } from '../../src/resolvers/loaders';
import type { GraphQLContext } from '../../src/resolvers/context';
import { DomainError } from '../../src/errors';
import { eventually } from './redis';

/**
 * A small builder for hand-made worlds: organizations, cloud accounts, resources, expense rows
 * and Kubernetes breakdown rows, written through the same repositories the service uses.
 * Every write goes to the core's own database, so tests stay independent of each other.
 */

export interface AccountSpec {
  name: string;
  type: Provider;
  id?: string;
  accountRef?: string;
  k8sProvider?: string;
  region?: string;
  owner?: string;
  version?: string;
  deleted?: boolean;
}

export interface ResourceSpec {
  /** The platform's resource id; give one when a test depends on id order (tie-breaks). */
  id?: string;
  name: string;
  resourceType?: string;
  region?: string;
  service?: string;
  owner?: string;
  tags?: Record<string, string>;
  cloudResourceId?: string;
  firstSeen?: string;
  lastSeen?: string;
}

/** A Kubernetes breakdown row: unspecified parts are 0 (network too; pass null for "unknown"). */
export type K8sSpec = Partial<Omit<K8sCostBreakdown, 'total'>> & { total: number };

export class Fixtures {
  readonly writer: ClickHouseExpenseWriter;
  readonly accounts: ClickHouseCloudAccountRepository;
  readonly organizations: ClickHouseOrganizationRepository;

  constructor(private readonly core: Core) {
    this.writer = new ClickHouseExpenseWriter(core.db);
    this.accounts = new ClickHouseCloudAccountRepository(core.db);
    this.organizations = new ClickHouseOrganizationRepository(core.db);
  }

  /**
   * Stops background merges of the sign-collapsing tables for this database. A merge may collapse
   * a +1/-1 pair on disk at any time; with merges held, every pair stays as written, so the reads'
   * own `cost * sign` / `HAVING sum(sign) > 0` handling is what a test exercises, every run.
   */
  async holdMerges(): Promise<void> {
    for (const table of ['expenses', 'k8s_cost_breakdown']) {
      // The database name is checked by the config (letters, digits, _); SYSTEM takes no parameters.
      await this.core.db.command(`SYSTEM STOP MERGES ${this.core.db.database}.${table}`);
    }
  }

  /** Creates an organization; returns its id. */
  async organization(name: string, id: string = randomUUID()): Promise<string> {
    await this.organizations.create({ id, name, createdAt: new Date('2024-01-01T00:00:00Z') });
    return id;
  }

  async account(organizationId: string, spec: AccountSpec): Promise<CloudAccount> {
    const account: CloudAccount = {
      id: spec.id ?? randomUUID(),
      organizationId,
      name: spec.name,
      type: spec.type,
      accountRef: spec.accountRef ?? `ref-${spec.name}`,
      k8sProvider: spec.k8sProvider ?? (spec.type === 'KUBERNETES' ? 'AWS' : ''),
      region: spec.region ?? '',
      owner: spec.owner ?? '',
      version: spec.version ?? '',
      deleted: spec.deleted ?? false,
      createdAt: new Date('2024-01-01T00:00:00Z'),
    };
    await this.accounts.save(account);
    return account;
  }

  async resource(account: CloudAccount, spec: ResourceSpec): Promise<ResourceRecord> {
    const [resource] = await this.resources(account, [spec]);
    return resource as ResourceRecord;
  }

  async resources(account: CloudAccount, specs: readonly ResourceSpec[]): Promise<ResourceRecord[]> {
    const records = specs.map((spec): ResourceRecord => ({
      id: spec.id ?? randomUUID(),
      organizationId: account.organizationId,
      cloudAccountId: account.id,
      cloudResourceId: spec.cloudResourceId ?? `cloud-${spec.name}`,
      name: spec.name,
      resourceType: spec.resourceType ?? 'Instance',
      region: spec.region ?? '',
      service: spec.service ?? '',
      owner: spec.owner ?? '',
      tags: spec.tags ?? {},
      firstSeen: spec.firstSeen ?? '2024-01-01',
      lastSeen: spec.lastSeen ?? '2024-12-31',
    }));
    await this.writer.upsertResources(records);
    return records;
  }

  /** One +1 expense row per day: `{ '2024-03-10': 10.5, ... }`. */
  async costs(resource: ResourceRecord, daily: Record<string, number>): Promise<void> {
    await this.writer.insertExpenses(
      Object.entries(daily).map(([date, cost]) => ({
        cloudAccountId: resource.cloudAccountId,
        resourceId: resource.id,
        date,
        cost,
        sign: 1 as const,
      })),
    );
  }

  /** Raw expense rows (for bulk worlds and hand-written sign pairs). */
  async expenseRows(rows: readonly ExpenseRecord[]): Promise<void> {
    await this.writer.insertExpenses(rows);
  }

  /** A correction as the platform writes it: the old row with sign -1, the new row with sign +1. */
  async correct(resource: ResourceRecord, date: string, oldCost: number, newCost: number): Promise<void> {
    const base = { cloudAccountId: resource.cloudAccountId, resourceId: resource.id, date };
    await this.writer.insertExpenses([
      { ...base, cost: oldCost, sign: -1 },
      { ...base, cost: newCost, sign: 1 },
    ]);
  }

  /** Cancels a day outright: the row with sign -1 and nothing new. */
  async cancel(resource: ResourceRecord, date: string, cost: number): Promise<void> {
    await this.writer.insertExpenses([
      { cloudAccountId: resource.cloudAccountId, resourceId: resource.id, date, cost, sign: -1 },
    ]);
  }

  /** One Kubernetes breakdown row for a cluster resource and day. */
  async k8s(
    resource: ResourceRecord,
    date: string,
    spec: K8sSpec,
    options: { provisional?: boolean; sign?: 1 | -1 } = {},
  ): Promise<void> {
    await this.writer.insertK8sBreakdown([k8sRecord(resource, date, spec, options)]);
  }

  async k8sRows(rows: readonly K8sBreakdownRecord[]): Promise<void> {
    await this.writer.insertK8sBreakdown(rows);
  }

  async heartbeat(account: CloudAccount, at: Date): Promise<void> {
    await this.accounts.recordDataAt(account.id, at);
  }
}

export function k8sRecord(
  resource: ResourceRecord,
  date: string,
  spec: K8sSpec,
  options: { provisional?: boolean; sign?: 1 | -1 } = {},
): K8sBreakdownRecord {
  return {
    cloudAccountId: resource.cloudAccountId,
    resourceId: resource.id,
    date,
    cpu: spec.cpu ?? 0,
    ram: spec.ram ?? 0,
    gpu: spec.gpu ?? 0,
    nodeUnsplit: spec.nodeUnsplit ?? 0,
    storage: spec.storage ?? 0,
    network: spec.network === undefined ? 0 : spec.network,
    loadBalancer: spec.loadBalancer ?? 0,
    management: spec.management ?? 0,
    idle: spec.idle ?? 0,
    total: spec.total,
    provisional: options.provisional ?? false,
    sign: options.sign ?? 1,
  };
}

/** Runs GraphQL in-process as one organization, with a fresh context (and loaders) per operation. */
export type RunGraphQL = (
  organizationId: string,
  source: string,
  variableValues?: Record<string, unknown>,
) => Promise<ExecutionResult>;

export async function createGraphQL(core: Core): Promise<RunGraphQL> {
  const schema: GraphQLSchema = await buildGraphQLSchema(core.services);
  return async (organizationId, source, variableValues) => {
    const contextValue: GraphQLContext = {
      viewer: { organizationId, tokenId: 't' },
      loaders: createLoaders(core.services, organizationId),
    };
    return graphql({ schema, source, variableValues, contextValue });
  };
}

/** The data of a successful result; fails the test with the errors otherwise. */
export function dataOf<T>(result: ExecutionResult): T {
  if (result.errors?.length) {
    throw new Error(`unexpected GraphQL errors: ${result.errors.map((e) => e.message).join(' | ')}`);
  }
  return result.data as T;
}

/**
 * The first error of a failed result: `code` from the DomainError a resolver threw, or from the
 * GraphQLError's extensions (coercion of scalars); `domain` tells which of the two it was.
 */
export function errorOf(result: ExecutionResult): { code: unknown; message: string; domain: boolean } {
  const error = result.errors?.[0];
  if (!error) throw new Error(`expected a GraphQL error, got data ${JSON.stringify(result.data)}`);
  const original = error.originalError;
  if (original instanceof DomainError)
    return { code: original.code, message: original.message, domain: true };
  return { code: error.extensions?.code, message: error.message, domain: false };
}

/** Counts the SQL statements run while `work` runs. */
export async function countQueries<T>(
  core: Core,
  work: () => Promise<T>,
): Promise<{ result: T; queries: number }> {
  let queries = 0;
  const unsubscribe = core.db.observe(() => {
    queries += 1;
  });
  try {
    return { result: await work(), queries };
  } finally {
    unsubscribe();
  }
}

/**
 * Queues a cluster-day through GraphQL (`aggregateK8sCosts`), as a user would, and waits for the
 * worker to finish it; throws with the run's error when it failed.
 */
export async function runClusterDay(
  gql: RunGraphQL,
  org: string,
  clusterId: string,
  day: string,
): Promise<void> {
  const { aggregateK8sCosts } = dataOf<{ aggregateK8sCosts: { id: string }[] }>(
    await gql(
      org,
      `mutation ($range: DateRangeInput!, $ids: [ID!]) {
         aggregateK8sCosts(input: { range: $range, clusterIds: $ids }) { id }
       }`,
      { range: { start: day, end: day }, ids: [clusterId] },
    ),
  );
  const id = aggregateK8sCosts[0]?.id;
  await eventually(
    async () => {
      const { aggregationRuns } = dataOf<{ aggregationRuns: { id: string; state: string; error: string }[] }>(
        await gql(org, `{ aggregationRuns(first: 20) { id state error } }`),
      );
      const run = aggregationRuns.find((r) => r.id === id);
      if (run?.state === 'FAILED') throw new Error(`run failed: ${run.error}`);
      return run?.state === 'SUCCEEDED' ? run : undefined;
    },
    60_000,
    `the run of ${clusterId}`,
  );
}
