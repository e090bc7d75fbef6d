import { createHmac } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createTestCore } from '../support/test-core';
import { countQueries, createGraphQL, dataOf, errorOf, Fixtures, type RunGraphQL } from '../support/fixtures';
import { ensureTestRedis, eventually, randomPrefix, removePrefix, TEST_REDIS_URL } from '../support/redis';
import { freePort } from '../support/prometheus';
import { startJobs, type RunningJobs } from '../../src/main';
import { eachDay } from '../../src/domain/days';
import type { CloudAccount } from '../../src/domain/model';
import { Redis } from 'ioredis';

// Budgets through the real pipeline: ClickHouse (embedded), Redis (BullMQ, claims), two alert
// workers, and real HTTP receivers. The clock is pinned: "today" is Friday 2026-03-20 (UTC).
//
// Org A, every day from 2025-12-01 to today:
//   AWS account "a-aws":   web-1 (tag team=web)      $100 a day  -> March to date 20 x 100 = $2,000
//   cluster "a-cluster":   its cluster row            $50 a day  -> $1,000
//   GCP account "a-gcp":   db-1  (tag team=data)      $20 a day  -> $400
// Steady series forecast exactly: the rest of March (21..31, 11 days) adds 11 x the daily cost.
//   cluster  budget $1,200: ACTUAL 80% ($960 <= 1,000: fires), ACTUAL 100% (no), FORECAST 100%
//            (forecast 1,000 + 550 = $1,550 >= 1,200: fires)          status AT_RISK
//   AWS      budget $1,500: ACTUAL 100% ($2,000: fires)               status EXCEEDED
//   team=data budget $1,000: ACTUAL 50% ($400 < 500: no), FORECAST 50% ($620 >= 500: fires)  OK
//   a-gcp    budget $300:   ACTUAL 100% ($400: fires)                  status EXCEEDED
// Org B: its own AWS account, $5 a day; a budget of $10 on AWS (March to date $100: fires).

const TODAY = new Date('2026-03-20T12:00:00Z');
const HISTORY = eachDay('2025-12-01', '2026-03-20');

interface Received {
  path: string;
  body: string;
  signature: string | undefined;
  at: number;
}

const BUDGET_FIELDS = `id name amount period periodStart periodEnd spent forecast forecastLow forecastHigh status
  thresholds { percent basis } filter { cloudAccountIds providers tags { key value } }
  alerts { threshold { percent basis } periodStart spent forecast text delivered deliveries { attempt ok status error } }`;

const CREATE = `mutation ($input: BudgetInput!) {
  createBudget(input: $input) { webhookSecret budget { ${BUDGET_FIELDS} } }
}`;

describe('budgets and alerts', () => {
  const prefix = randomPrefix();
  let now = TODAY;
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let run: RunGraphQL;
  let fixtures: Fixtures;
  let workers: RunningJobs[] = [];
  let receiver: http.Server;
  let receiverUrl: string;
  let late: http.Server | undefined;
  const received: Received[] = [];
  let flakyCalls = 0;
  let slowCalls = 0;
  let orgA: string;
  let orgB: string;
  let awsA: CloudAccount;
  let clusterA: CloudAccount;
  let gcpA: CloudAccount;
  let awsB: CloudAccount;
  const secrets = new Map<string, string>();
  const budgetIds = new Map<string, string>();
  let latePort: number;

  const daily = (value: number) => Object.fromEntries(HISTORY.map((d) => [d, value]));

  async function create(org: string, input: Record<string, unknown>) {
    const created = dataOf<{
      createBudget: { webhookSecret: string | null; budget: Record<string, unknown> & { id: string } };
    }>(await run(org, CREATE, { input })).createBudget;
    budgetIds.set(input.name as string, created.budget.id);
    if (created.webhookSecret) secrets.set(created.budget.id, created.webhookSecret);
    return created;
  }

  beforeAll(async () => {
    ensureTestRedis();
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const entry = {
          path: req.url ?? '',
          body: Buffer.concat(chunks).toString('utf8'),
          signature: req.headers['x-cloudtuner-signature'] as string | undefined,
          at: Date.now(),
        };
        received.push(entry);
        if (entry.path === '/flaky' && flakyCalls++ === 0) return res.writeHead(503).end('busy');
        if (entry.path === '/gone') return res.writeHead(410).end('no such hook');
        // The first call to /slow never answers (the sender times out); later ones do.
        if (entry.path === '/slow' && slowCalls++ === 0) return;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    latePort = await freePort();

    core = await createTestCore({ QUEUE_PREFIX: prefix }, { now: () => now });
    run = await createGraphQL(core);
    fixtures = new Fixtures(core);
    orgA = await fixtures.organization('Budget A');
    orgB = await fixtures.organization('Budget B');
    awsA = await fixtures.account(orgA, { name: 'a-aws', type: 'AWS' });
    clusterA = await fixtures.account(orgA, { name: 'a-cluster', type: 'KUBERNETES' });
    gcpA = await fixtures.account(orgA, { name: 'a-gcp', type: 'GCP' });
    awsB = await fixtures.account(orgB, { name: 'b-aws', type: 'AWS' });
    const web = await fixtures.resource(awsA, { name: 'web-1', tags: { team: 'web' }, service: 'AmazonEC2' });
    const cluster = await fixtures.resource(clusterA, { name: 'a-cluster', resourceType: 'K8s Cluster' });
    const db = await fixtures.resource(gcpA, { name: 'db-1', tags: { team: 'data' } });
    const webB = await fixtures.resource(awsB, { name: 'web-b' });
    await fixtures.costs(web, daily(100));
    await fixtures.costs(cluster, daily(50));
    await fixtures.costs(db, daily(20));
    await fixtures.costs(webB, daily(5));
    // Two alert workers, as two processes would run them.
    workers = [
      await startJobs(core, { worker: true, scheduler: false }),
      await startJobs(core, { worker: true, scheduler: false }),
    ];
  });

  afterAll(async () => {
    for (const w of workers) await w.stop();
    await core?.dispose();
    await removePrefix(prefix);
    await new Promise((resolve) => receiver.close(resolve));
    if (late) await new Promise((resolve) => late?.close(resolve));
  });

  it('creates budgets on a cluster, a provider, a tag and an account, each with its spent, forecast and status', async () => {
    const cluster = await create(orgA, {
      name: 'cluster',
      amount: 1200,
      period: 'MONTHLY',
      filter: { cloudAccountIds: [clusterA.id] },
      thresholds: [
        { percent: 100, basis: 'FORECAST' },
        { percent: 80, basis: 'ACTUAL' },
        { percent: 100, basis: 'ACTUAL' },
      ],
      webhookUrl: `${receiverUrl}/ok`,
    });
    expect(cluster.webhookSecret).toMatch(/^whsec_/);
    expect(cluster.budget).toMatchObject({
      periodStart: '2026-03-01',
      periodEnd: '2026-03-31',
      spent: 1000,
      forecast: expect.closeTo(1550, 6),
      forecastLow: expect.closeTo(1550, 3),
      forecastHigh: expect.closeTo(1550, 3),
      status: 'AT_RISK',
      // Stored in percent order.
      thresholds: [
        { percent: 80, basis: 'ACTUAL' },
        { percent: 100, basis: 'ACTUAL' },
        { percent: 100, basis: 'FORECAST' },
      ],
      alerts: [],
    });
    const aws = await create(orgA, {
      name: 'aws',
      amount: 1500,
      period: 'MONTHLY',
      filter: { providers: ['AWS'] },
      thresholds: [{ percent: 100, basis: 'ACTUAL' }],
      webhookUrl: `${receiverUrl}/flaky`,
    });
    expect(aws.budget).toMatchObject({ spent: 2000, forecast: expect.closeTo(3100, 6), status: 'EXCEEDED' });
    const tag = await create(orgA, {
      name: 'team data',
      amount: 1000,
      period: 'MONTHLY',
      filter: { tags: [{ key: 'team', value: 'data' }] },
      thresholds: [
        { percent: 50, basis: 'ACTUAL' },
        { percent: 50, basis: 'FORECAST' },
      ],
      // Nothing listens here yet: the first attempt is refused, a later one reaches it.
      webhookUrl: `http://127.0.0.1:${latePort}/late`,
    });
    expect(tag.budget).toMatchObject({ spent: 400, forecast: expect.closeTo(620, 6), status: 'OK' });
    const account = await create(orgA, {
      name: 'gcp account',
      amount: 300,
      period: 'MONTHLY',
      filter: { cloudAccountIds: [gcpA.id] },
      thresholds: [{ percent: 100, basis: 'ACTUAL' }],
      webhookUrl: `${receiverUrl}/gone`,
    });
    expect(account.budget).toMatchObject({ spent: 400, status: 'EXCEEDED' });
    // Quarterly and yearly periods.
    const quarter = await create(orgA, {
      name: 'quarter',
      amount: 100_000,
      period: 'QUARTERLY',
      thresholds: [{ percent: 90, basis: 'ACTUAL' }],
    });
    // Q1 to date: Jan (31) + Feb (28) + Mar 1..20 (20) = 79 days x $170.
    expect(quarter.budget).toMatchObject({
      periodStart: '2026-01-01',
      periodEnd: '2026-03-31',
      spent: 79 * 170,
      status: 'OK',
    });
    expect(quarter.webhookSecret).toBeNull();
    await create(orgB, {
      name: 'b aws',
      amount: 10,
      period: 'YEARLY',
      filter: { providers: ['AWS'], cloudAccountIds: [awsA.id, awsB.id] },
      thresholds: [{ percent: 100, basis: 'ACTUAL' }],
      webhookUrl: `${receiverUrl}/b`,
    });
    // The spent of costSummary for the same filter and range, to the cent.
    const summary = dataOf<{ costSummary: { total: number } }>(
      await run(
        orgA,
        `{ costSummary(range: {start: "2026-03-01", end: "2026-03-20"}, filter: {providers: [AWS]}) { total } }`,
      ),
    ).costSummary;
    expect(summary.total).toBe(2000);
  });

  it('refuses bad budgets with the argument at fault', async () => {
    const bad = async (input: Record<string, unknown>) => errorOf(await run(orgA, CREATE, { input }));
    const base = { name: 'x', amount: 10, period: 'MONTHLY', thresholds: [{ percent: 50, basis: 'ACTUAL' }] };
    expect(await bad({ ...base, amount: 0 })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/^input\.amount:/),
    });
    expect(await bad({ ...base, thresholds: [] })).toMatchObject({
      message: expect.stringMatching(/^input\.thresholds:/),
    });
    expect(
      await bad({
        ...base,
        thresholds: [
          { percent: 50, basis: 'ACTUAL' },
          { percent: 50, basis: 'ACTUAL' },
        ],
      }),
    ).toMatchObject({ message: 'input.thresholds[1]: 50% ACTUAL is given twice' });
    expect(await bad({ ...base, webhookUrl: 'ftp://example.com/x' })).toMatchObject({
      message: 'input.webhookUrl: only http and https URLs are allowed, not ftp',
    });
  });

  it('refuses webhooks to private addresses unless ALERT_ALLOW_PRIVATE_URLS=true', async () => {
    const strict = await createTestCore(
      { QUEUE_PREFIX: prefix, ALERT_ALLOW_PRIVATE_URLS: 'false', CLICKHOUSE_DATABASE: core.db.database },
      { now: () => now },
    );
    try {
      const strictRun = await createGraphQL(strict);
      for (const url of [
        'http://127.0.0.1:9/x',
        'http://169.254.169.254/latest',
        'http://[::1]/x',
        'http://10.1.2.3/x',
        'http://localhost/x',
      ]) {
        const error = errorOf(
          await strictRun(orgA, CREATE, {
            input: {
              name: 'p',
              amount: 1,
              period: 'MONTHLY',
              thresholds: [{ percent: 1, basis: 'ACTUAL' }],
              webhookUrl: url,
            },
          }),
        );
        expect({ url, code: error.code, message: error.message }).toEqual({
          url,
          code: 'BAD_USER_INPUT',
          message: expect.stringContaining('is a loopback, private or link-local address'),
        });
      }
    } finally {
      // The database is the suite's: only the strict core's connections are closed.
      await strict.close();
    }
  });

  it('fires each crossed threshold once, though evaluations race in two workers and in the API', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    try {
      // Four evaluations queued at once (two workers take them), and two through the API.
      await Promise.all([
        core.alertQueue.requestEvaluation(orgA, 'test'),
        core.alertQueue.requestEvaluation(orgA, 'test'),
        core.alertQueue.requestEvaluation(orgA, 'test'),
        core.alertQueue.requestEvaluation(orgA, 'test'),
      ]);
      const viaApi = await Promise.all([
        run(orgA, '{ x: __typename }').then(() => run(orgA, 'mutation { evaluateBudgets { budgetName } }')),
        run(orgA, 'mutation { evaluateBudgets { budgetName } }'),
      ]);
      const firedByApi = viaApi.flatMap((r) => dataOf<{ evaluateBudgets: unknown[] }>(r).evaluateBudgets);
      const alerts = await eventually(async () => {
        const list = dataOf<{
          budgetAlerts: { budgetName: string; threshold: { percent: number; basis: string } }[];
        }>(await run(orgA, '{ budgetAlerts { budgetName threshold { percent basis } } }')).budgetAlerts;
        if (list.length < 5) throw new Error(`${list.length} alerts so far`);
        return list;
      });
      await new Promise((r) => setTimeout(r, 1000));
      const names = (await run(orgA, '{ budgetAlerts { budgetName threshold { percent basis } } }')).data as {
        budgetAlerts: { budgetName: string; threshold: { percent: number; basis: string } }[];
      };
      const fired = names.budgetAlerts
        .map((a) => `${a.budgetName} ${a.threshold.basis} ${a.threshold.percent}`)
        .sort();
      expect(fired).toEqual([
        'aws ACTUAL 100',
        'cluster ACTUAL 80',
        'cluster FORECAST 100',
        'gcp account ACTUAL 100',
        'team data FORECAST 50',
      ]);
      expect(alerts).toHaveLength(5);
      expect(firedByApi.length).toBeLessThanOrEqual(5);
      // Nothing more on a re-evaluation, nor after Redis forgot the claims (the stored alerts hold).
      expect(
        dataOf<{ evaluateBudgets: unknown[] }>(await run(orgA, 'mutation { evaluateBudgets { id } }'))
          .evaluateBudgets,
      ).toEqual([]);
      const claims = await redis.keys(`${prefix}:budget-alert-claim:*`);
      expect(claims.length).toBe(5);
      await redis.del(...claims);
      expect(
        dataOf<{ evaluateBudgets: unknown[] }>(await run(orgA, 'mutation { evaluateBudgets { id } }'))
          .evaluateBudgets,
      ).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('delivers each alert once, signed, as the JSON a Slack webhook shows', async () => {
    const ok = await eventually(async () => {
      const got = received.filter((r) => r.path === '/ok');
      if (got.length < 2) throw new Error('waiting');
      return got;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(received.filter((r) => r.path === '/ok')).toHaveLength(2);
    const clusterId = budgetIds.get('cluster') as string;
    for (const r of ok) {
      const expected = `sha256=${createHmac('sha256', secrets.get(clusterId) as string)
        .update(r.body)
        .digest('hex')}`;
      expect(r.signature).toBe(expected);
    }
    const bodies = ok.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    const actual = bodies.find((b) => (b.threshold as { basis: string }).basis === 'ACTUAL');
    expect(actual).toMatchObject({
      type: 'budget.threshold_crossed',
      budget: { id: clusterId, name: 'cluster', amount: 1200, period: 'MONTHLY' },
      threshold: { percent: 80, basis: 'ACTUAL' },
      spent: 1000,
      forecast: expect.closeTo(1550, 6),
      periodStart: '2026-03-01',
      periodEnd: '2026-03-31',
      text: 'Budget "cluster" spent $1,000.00 of $1,200.00 (80% actual threshold crossed) for 2026-03-01 to 2026-03-31.',
    });
    // Org B's receiver heard nothing from org A's evaluations.
    expect(received.filter((r) => r.path === '/b')).toEqual([]);
  });

  it('retries a 5xx and a refused connection with backoff (first retry within 10 s), never a 4xx; every attempt recorded', async () => {
    // The late receiver starts listening only now: its first attempt was refused.
    late = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push({ path: '/late', body: '', signature: undefined, at: Date.now() });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => late?.listen(latePort, '127.0.0.1', resolve));
    type Alert = {
      budgetName: string;
      delivered: boolean;
      deliveries: { attempt: number; ok: boolean; status: number | null; error: string | null }[];
    };
    const query = '{ budgetAlerts { budgetName delivered deliveries { attempt ok status error } } }';
    const alerts = await eventually(async () => {
      const list = dataOf<{ budgetAlerts: Alert[] }>(await run(orgA, query)).budgetAlerts;
      const of = (name: string) => list.find((a) => a.budgetName === name) as Alert;
      if (!of('aws').delivered || !of('team data').delivered) throw new Error('waiting for retries');
      return list;
    }, 30_000);
    const of = (name: string) => alerts.find((a) => a.budgetName === name) as Alert;
    expect(of('aws').deliveries).toEqual([
      { attempt: 1, ok: false, status: 503, error: 'HTTP 503: busy' },
      { attempt: 2, ok: true, status: 204, error: null },
    ]);
    expect(of('team data').deliveries[0]).toEqual({
      attempt: 1,
      ok: false,
      status: null,
      error: 'connection refused',
    });
    expect(of('team data').deliveries.at(-1)).toMatchObject({ ok: true, status: 200 });
    // The first retry came within 10 s of the first attempt.
    const flaky = received.filter((r) => r.path === '/flaky');
    expect(flaky).toHaveLength(2);
    expect((flaky[1] as Received).at - (flaky[0] as Received).at).toBeLessThan(10_000);
    // 410: refused by the receiver, not retried.
    await new Promise((r) => setTimeout(r, 3000));
    expect(received.filter((r) => r.path === '/gone')).toHaveLength(1);
    const gone = dataOf<{ budgetAlerts: Alert[] }>(await run(orgA, query)).budgetAlerts.find(
      (a) => a.budgetName === 'gcp account',
    );
    expect(gone?.deliveries).toEqual([
      { attempt: 1, ok: false, status: 410, error: 'HTTP 410: no such hook' },
    ]);
    // Five alerts' deliveries and delivered flags: one alerts query and one deliveries query.
    const { queries } = await countQueries(core, () => run(orgA, query));
    expect(queries).toBe(2);
    // Each budget's own alerts: one alerts query for all of them (one per budget before the
    // loader), the newest first per budget.
    type Listed = { name: string; alerts: { budgetName: string }[] };
    const listQuery = '{ budgets { name alerts { budgetName } } }';
    const alertQueries: string[] = [];
    const stop = core.db.observe(({ sql }) => {
      if (/FROM \S+\.budget_alerts\b/.test(sql)) alertQueries.push(sql);
    });
    let listed: unknown;
    try {
      listed = await run(orgA, listQuery);
    } finally {
      stop();
    }
    const budgets = dataOf<{ budgets: Listed[] }>(listed as Awaited<ReturnType<RunGraphQL>>).budgets;
    expect(budgets.length).toBeGreaterThanOrEqual(3);
    for (const b of budgets) expect(b.alerts.every((a) => a.budgetName === b.name)).toBe(true);
    expect(budgets.filter((b) => b.alerts.length > 0).length).toBeGreaterThanOrEqual(3);
    expect(alertQueries).toHaveLength(1);
  });

  it('a receiver that does not answer within ALERT_WEBHOOK_TIMEOUT_MS (5 s) is a failed attempt, retried', async () => {
    const orgC = await fixtures.organization('Budget C');
    const aws = await fixtures.account(orgC, { name: 'c-aws', type: 'AWS' });
    await fixtures.costs(await fixtures.resource(aws, { name: 'c-1' }), { '2026-03-20': 50 });
    await create(orgC, {
      name: 'slow hook',
      amount: 10,
      period: 'MONTHLY',
      thresholds: [{ percent: 100, basis: 'ACTUAL' }],
      webhookUrl: `${receiverUrl}/slow`,
    });
    const fired = dataOf<{ evaluateBudgets: unknown[] }>(
      await run(orgC, 'mutation { evaluateBudgets { id } }'),
    );
    expect(fired.evaluateBudgets).toHaveLength(1);
    type Attempt = { attempt: number; ok: boolean; status: number | null; error: string | null };
    const deliveries = await eventually(async () => {
      const [alert] = dataOf<{ budgetAlerts: { delivered: boolean; deliveries: Attempt[] }[] }>(
        await run(orgC, '{ budgetAlerts { delivered deliveries { attempt ok status error } } }'),
      ).budgetAlerts;
      return alert?.delivered ? alert.deliveries : undefined;
    }, 30_000);
    expect(deliveries).toEqual([
      { attempt: 1, ok: false, status: null, error: 'no answer within 5000 ms' },
      { attempt: 2, ok: true, status: 204, error: null },
    ]);
  }, 40_000);

  it('keeps organizations apart: B cannot see, change or evaluate A budgets, and A spend never alerts B', async () => {
    const a = budgetIds.get('cluster') as string;
    expect(dataOf<{ budget: unknown }>(await run(orgB, `{ budget(id: "${a}") { id } }`)).budget).toBeNull();
    const names = dataOf<{ budgets: { name: string }[] }>(await run(orgB, '{ budgets { name } }')).budgets;
    expect(names.map((b) => b.name)).toEqual(['b aws']);
    const input = {
      name: 'hijack',
      amount: 1,
      period: 'MONTHLY',
      thresholds: [{ percent: 1, basis: 'ACTUAL' }],
    };
    expect(
      errorOf(
        await run(
          orgB,
          'mutation ($id: ID!, $input: BudgetInput!) { updateBudget(id: $id, input: $input) { id } }',
          { id: a, input },
        ),
      ),
    ).toMatchObject({ code: 'NOT_FOUND' });
    expect(errorOf(await run(orgB, `mutation { deleteBudget(id: "${a}") }`))).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(
      dataOf<{ budgetAlerts: unknown[] }>(await run(orgB, '{ budgetAlerts { id } }')).budgetAlerts,
    ).toEqual([]);
    // B's budget names A's account too, but counts only B's own spend: 2026 to date, 79 days x $5.
    const b = dataOf<{ budgets: { spent: number }[] }>(await run(orgB, '{ budgets { spent } }')).budgets;
    expect(b[0]?.spent).toBe(79 * 5);
    const fired = dataOf<{ evaluateBudgets: { budgetName: string; spent: number }[] }>(
      await run(orgB, 'mutation { evaluateBudgets { budgetName spent } }'),
    ).evaluateBudgets;
    expect(fired).toEqual([{ budgetName: 'b aws', spent: 395 }]);
    await eventually(async () => received.find((r) => r.path === '/b'));
    expect(
      dataOf<{ budgetAlerts: unknown[] }>(await run(orgA, '{ budgetAlerts { id } }')).budgetAlerts,
    ).toHaveLength(5);
  });

  it('an import that changes costs queues an evaluation of its organization, which a worker runs', async () => {
    const sample = path.resolve(__dirname, '../../../shared/data/focus/focus-1.0-sample.csv');
    const report = await core.services.focusImport.importFiles(orgB, [sample]);
    expect(report.expenseRowsAdded).toBeGreaterThan(0);
    const job = await eventually(async () => {
      const jobs = await core.alertQueue.bull.getJobs(['completed'], 0, 200);
      return jobs.find(
        (j) => j.data.kind === 'evaluate' && j.data.reason === 'import' && j.data.organizationId === orgB,
      );
    }, 30_000);
    expect(job.returnvalue).toEqual({ fired: 0 });
    // The same file again changes nothing, and queues nothing.
    const before = (await core.alertQueue.bull.getJobs(['completed', 'waiting', 'active'], 0, 500)).length;
    await core.services.focusImport.importFiles(orgB, [sample]);
    await new Promise((r) => setTimeout(r, 500));
    expect((await core.alertQueue.bull.getJobs(['completed', 'waiting', 'active'], 0, 500)).length).toBe(
      before,
    );
  });

  it('a new period fires again: April 2 re-arms the thresholds of March', async () => {
    now = new Date('2026-04-02T12:00:00Z');
    // Every resource goes on spending as before, through April 2.
    const rows = await core.db.query<{ id: string; cloud_account_id: string }>(
      `SELECT id, cloud_account_id FROM {db:Identifier}.resources FINAL WHERE cloud_account_id IN {a:Array(String)}`,
      { a: [awsA.id, clusterA.id, gcpA.id] },
    );
    const cost: Record<string, number> = { [awsA.id]: 100, [clusterA.id]: 50, [gcpA.id]: 20 };
    await fixtures.expenseRows(
      rows.flatMap((r) =>
        eachDay('2026-03-21', '2026-04-02').map((date) => ({
          cloudAccountId: r.cloud_account_id,
          resourceId: r.id,
          date,
          cost: cost[r.cloud_account_id] as number,
          sign: 1 as const,
        })),
      ),
    );
    const fired = dataOf<{
      evaluateBudgets: {
        budgetName: string;
        periodStart: string;
        threshold: { percent: number; basis: string };
        spent: number;
        forecast: number;
      }[];
    }>(
      await run(
        orgA,
        'mutation { evaluateBudgets { budgetName periodStart threshold { percent basis } spent forecast } }',
      ),
    ).evaluateBudgets;
    // April to date (2 days). cluster: $100 (< 80% of 1,200), forecast 100 + 28 x 50 = $1,500 >=
    // $1,200. team data: $40 (< 50% of 1,000), forecast 40 + 28 x 20 = $600 >= $500. aws ($200 of
    // 1,500) and the account ($40 of 300) cross nothing; the quarter: Q2 to date $340.
    expect([...fired].sort((x, y) => x.budgetName.localeCompare(y.budgetName))).toEqual([
      {
        budgetName: 'cluster',
        periodStart: '2026-04-01',
        threshold: { percent: 100, basis: 'FORECAST' },
        spent: 100,
        forecast: expect.closeTo(1500, 6),
      },
      {
        budgetName: 'team data',
        periodStart: '2026-04-01',
        threshold: { percent: 50, basis: 'FORECAST' },
        spent: 40,
        forecast: expect.closeTo(600, 6),
      },
    ]);
    now = TODAY;
  });
});
