import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { createTestCore } from '../support/test-core';
import { Fixtures } from '../support/fixtures';
import { eventually, randomPrefix } from '../support/redis';
import { freePort } from '../support/prometheus';
import { startServer, type Core, type RunningServer } from '../../src/main';
import { formatDay, addDays } from '../../src/domain/days';
import {
  DAILY_SCHEDULER_ID,
  K8sCostScheduler,
  K8S_COST_SCHEDULE_QUEUE,
} from '../../src/jobs/k8s-cost.scheduler';
import { RedisConnection } from '../../src/jobs/redis.connection';
import { createLogger } from '../../src/logger';

// Issue 12, item 9, against a real redis-server of this test's own (a free port), stopped and
// started again empty, as a Redis without persistence comes back after a restart.

async function withClient<T>(url: string, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url);
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

class RedisServer {
  private child?: ChildProcess;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await eventually(
      async () => {
        const client = new Redis(this.url, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        client.on('error', () => undefined);
        try {
          await client.connect();
          return (await client.ping()) === 'PONG' ? true : undefined;
        } catch {
          return undefined;
        } finally {
          client.disconnect();
        }
      },
      10_000,
      'redis-server to answer',
    );
  }

  stop(): void {
    spawnSync('redis-cli', ['-p', String(this.port), 'shutdown', 'nosave']);
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }
}

describe('a Redis outage (own redis-server, stopped and restarted empty)', () => {
  let redis: RedisServer;
  let core: Core & { dispose(): Promise<void> };
  let api: RunningServer;
  let scheduler: RunningServer;
  let token: string;
  let org: string;
  const prefix = randomPrefix();
  const yesterday = addDays(formatDay(new Date()), -1);

  beforeAll(async () => {
    redis = new RedisServer(await freePort());
    await redis.start();
    core = await createTestCore({
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      // The server's own check waits an hour: /readyz must show the loss before anything mends it.
      K8S_SCHEDULE_CHECK_SECONDS: '3600',
    });
    api = await startServer(core, { role: 'api' });
    scheduler = await startServer(core, { role: 'scheduler' });
    const fixtures = new Fixtures(core);
    org = await fixtures.organization('Outage Co');
    ({ token } = await core.tokens.issue(org, 'outage'));
    await fixtures.account(org, { id: 'outage-cluster', name: 'prod', type: 'KUBERNETES' });
  }, 60_000);

  afterAll(async () => {
    await scheduler?.stop();
    await api?.stop();
    await core?.dispose();
    redis?.stop();
  });

  const ready = async (server: RunningServer) => {
    const response = await fetch(`${server.url}/readyz`);
    return { status: response.status, body: (await response.json()) as { checks: Record<string, boolean> } };
  };
  /** A GraphQL request over HTTP, as a client sees it (errors formatted by the server). */
  const post = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as {
      data?: unknown;
      errors?: { message: string; extensions?: Record<string, unknown> }[];
    };
  };
  const listRuns = () => post(`{ aggregationRuns(first: 10) { id state } }`);
  const queueRuns = () =>
    post(`mutation ($range: DateRangeInput!) { aggregateK8sCosts(input: { range: $range }) { id } }`, {
      range: { start: yesterday, end: yesterday },
    });
  const errorOf = (result: Awaited<ReturnType<typeof post>>) => result.errors?.[0];

  it('while Redis is away: reads and mutations fail at once with a retryable error saying nothing was queued', async () => {
    expect((await ready(scheduler)).status).toBe(200);
    redis.stop();
    const list = errorOf(await listRuns());
    expect(list?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(list?.message).toBe(
      'the job queue (Redis) is unavailable while listing runs: nothing was queued or changed; retry in a few seconds',
    );
    const queued = errorOf(await queueRuns());
    expect(queued?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(queued?.message).toMatch(/while queueing runs: nothing was queued/);
    const status = await ready(scheduler);
    expect(status).toMatchObject({ status: 503, body: { checks: { redis: false } } });
  }, 30_000);

  it('when Redis comes back empty: nothing was queued behind the caller, /readyz reports the lost schedule', async () => {
    await redis.start();
    // The refused mutation was not sent later: the organization has no runs.
    const runs = await eventually(
      async () => {
        const result = await listRuns();
        return errorOf(result) ? undefined : result;
      },
      20_000,
      'the API to reach Redis again',
    );
    expect(runs).toMatchObject({ data: { aggregationRuns: [] } });
    const status = await eventually(
      async () => {
        const r = await ready(scheduler);
        return r.body.checks.redis ? r : undefined;
      },
      20_000,
      'the scheduler to reach Redis again',
    );
    expect(status).toMatchObject({ status: 503, body: { checks: { redis: true, schedule: false } } });
    // And a request now queues as it should; until the API's connection is back it may still
    // be told to retry (SERVICE_UNAVAILABLE), as a client would, but never anything else.
    const otherErrors: unknown[] = [];
    await eventually(
      async () => {
        const error = errorOf(await queueRuns());
        if (error && error.extensions?.code !== 'SERVICE_UNAVAILABLE') otherErrors.push(error);
        return error ? undefined : true;
      },
      20_000,
      'runs to be queued again',
    );
    expect(otherErrors).toEqual([]);
  }, 60_000);

  it('a scheduler re-creates the lost schedules by itself, and /readyz is ready again', async () => {
    const connection = new RedisConnection(redis.url);
    const mender = new K8sCostScheduler({
      redis: connection,
      prefix,
      cron: '0 4 * * *',
      provisionalRefreshMinutes: 60,
      fanOut: async () => [],
      logger: createLogger('silent'),
      checkEveryMs: 200,
    });
    try {
      await mender.start();
      // Redis loses everything once more; the check (every 200 ms) puts the schedules back.
      await withClient(redis.url, (client) => client.flushall());
      await eventually(
        async () => ((await mender.missingSchedules()).length === 0 ? true : undefined),
        10_000,
        'the schedules to be re-created',
      );
      const status = await ready(scheduler);
      expect(status).toMatchObject({ status: 200, body: { checks: { schedule: true } } });
      const schedulers = await withClient(redis.url, (client) =>
        client.zrange(`${prefix}:${K8S_COST_SCHEDULE_QUEUE}:repeat`, '0', '-1'),
      );
      expect(schedulers.sort()).toEqual([DAILY_SCHEDULER_ID, 'k8s-cost-provisional']);
    } finally {
      await mender.stop();
      await connection.close();
    }
  }, 30_000);
});
