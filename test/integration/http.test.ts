import http from 'node:http';
import { sendOversizedChunked } from '../support/raw-http';
import { createTestCore } from '../support/test-core';
import { startServer, type RunningServer } from '../../src/main';
import { ClickHouseExpenseWriter } from '../../src/store/expense.writer';
import { ClickHouseCloudAccountRepository } from '../../src/store/cloud-account.repository';

type TestCore = Awaited<ReturnType<typeof createTestCore>>;

async function post(server: RunningServer, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : null };
}

describe('HTTP: /graphql, GraphiQL and health routes', () => {
  let core: TestCore;
  let server: RunningServer;
  let token: string;

  beforeAll(async () => {
    // Small limits so the depth and complexity refusals can be shown with real queries.
    core = await createTestCore({ GRAPHQL_MAX_DEPTH: '4', GRAPHQL_MAX_COMPLEXITY: '600' });
    server = await startServer(core, { role: 'api' });
    const created = await core.organizations.create('Acme');
    token = created.token;
    const accounts = new ClickHouseCloudAccountRepository(core.db);
    await accounts.save({
      id: 'acc-aws',
      organizationId: created.organization.id,
      name: 'aws-main',
      type: 'AWS',
      accountRef: '123456789012',
      k8sProvider: '',
      region: '',
      owner: '',
      version: '',
      deleted: false,
      createdAt: new Date('2024-01-01T00:00:00Z'),
    });
    const writer = new ClickHouseExpenseWriter(core.db);
    await writer.upsertResources([
      {
        id: 'res-1',
        organizationId: created.organization.id,
        cloudAccountId: 'acc-aws',
        cloudResourceId: 'i-0abc',
        name: 'web-1',
        resourceType: 'Instance',
        region: 'us-east-1',
        service: 'AmazonEC2',
        owner: 'ops@acme.test',
        tags: {},
        firstSeen: '2024-05-01',
        lastSeen: '2024-05-02',
      },
    ]);
    // An m5.large at $0.096/h for 24 h is $2.304 a day; two days make $4.608.
    await writer.insertExpenses([
      { cloudAccountId: 'acc-aws', resourceId: 'res-1', date: '2024-05-01', cost: 2.304, sign: 1 },
      { cloudAccountId: 'acc-aws', resourceId: 'res-1', date: '2024-05-02', cost: 2.304, sign: 1 },
    ]);
  });

  afterAll(async () => {
    await server.stop();
    await core.dispose();
  });

  const summary = {
    query:
      '{ costSummary(range: {start: "2024-05-01", end: "2024-05-02"}) { total byProvider { provider cost } } }',
  };

  it('answers an authenticated query with the stored figures', async () => {
    const response = await post(server, summary, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      data: { costSummary: { total: 4.608, byProvider: [{ provider: 'AWS', cost: 4.608 }] } },
    });
  });

  it.each([
    ['no Authorization header', {}],
    ['a token that was never issued', { authorization: 'Bearer ctk_not-a-real-token' }],
    ['a Basic credential', { authorization: 'Basic dXNlcjpwYXNz' }],
  ])('refuses %s with 401 UNAUTHENTICATED and WWW-Authenticate', async (_label, headers) => {
    const response = await post(server, summary, headers);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(response.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(response.json.data).toBeUndefined();
  });

  it('answers bad input with BAD_USER_INPUT naming the argument, and no stack trace', async () => {
    const response = await post(
      server,
      { query: '{ costSummary(range: {start: "2024-05-02", end: "2024-05-01"}) { total } }' },
      { authorization: `Bearer ${token}` },
    );
    expect(response.json.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'range.end' });
    expect(response.json.errors[0].message).toContain('range.end');
  });

  it('refuses an operation deeper than the configured limit, following fragments', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const range = '(range: {start: "2024-05-01", end: "2024-05-02"})';
    // expenses > edges > node > name: 4 levels, the configured maximum.
    const four = await post(server, { query: `{ expenses${range} { edges { node { name } } } }` }, auth);
    expect(four.json.errors).toBeUndefined();
    // expenses > edges > node > cloudAccount > id: 5 levels, hidden inside two fragments.
    const five = await post(
      server,
      {
        query: `query { ...Q } fragment Q on Query { expenses${range} { edges { node { ...N } } } }
                fragment N on Expense { cloudAccount { id } }`,
      },
      auth,
    );
    expect(five.status).toBe(400);
    // Apollo reports every validation rule's refusal under one code.
    expect(five.json.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(five.json.errors[0].message).toContain('5 levels deep; at most 4');
  });

  it('refuses an operation whose estimated cost is over the limit, counting page sizes', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const query = (first: number) =>
      `{ expenses(range: {start: "2024-05-01", end: "2024-05-02"}, first: ${first}) { edges { node { name cost } } } }`;
    // node = 1 + name + cost = 3, edges = 1 + 3 = 4, expenses = 1 + 4 x first.
    const allowed = await post(server, { query: query(149) }, auth); // 1 + 4 x 149 = 597
    expect(allowed.json.errors).toBeUndefined();
    const refused = await post(server, { query: query(150) }, auth); // 1 + 4 x 150 = 601
    expect(refused.status).toBe(400);
    expect(refused.json.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(refused.json.errors[0].message).toContain('complexity is 601; at most 600');
  });

  it('counts a range by its months: many aliases of a year of breakdown are refused, of two days not', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const aliases = (start: string, end: string) =>
      `{ ${Array.from(
        { length: 30 },
        (_, i) =>
          `k${i}: expenseBreakdown(range: {start: "${start}", end: "${end}"}, by: TAG, tagKey: "k${i}") { total }`,
      ).join(' ')} }`;
    // Each alias costs (1 + total) x its months: 2 x 1 for two days, 2 x 12 for a year.
    const twoDays = await post(server, { query: aliases('2024-05-01', '2024-05-02') }, auth); // 30 x 2 = 60
    expect(twoDays.json.errors).toBeUndefined();
    const year = await post(server, { query: aliases('2024-01-01', '2024-12-31') }, auth); // 30 x 24 = 720
    expect(year.status).toBe(400);
    expect(year.json.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(year.json.errors[0].message).toContain('complexity is 720; at most 600');
  });

  it('answers a body that is not JSON with 400', async () => {
    const response = await post(server, '{"query": ', { authorization: `Bearer ${token}` });
    expect(response.status).toBe(400);
  });

  it('serves GraphiQL to a browser, with the example operations and only local assets', async () => {
    const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('/graphiql/assets/graphiql.min.js');
    expect(html).toContain('query TopExpenses');
    expect(html).toContain('query K8sClusters');
    expect(html).not.toMatch(/(src|href)="https?:/);
    for (const asset of [
      'graphiql.min.js',
      'graphiql.min.css',
      'react.production.min.js',
      'react-dom.production.min.js',
    ]) {
      const file = await fetch(`${server.url}/graphiql/assets/${asset}`);
      expect(file.status).toBe(200);
      expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
  });

  it('answers /healthz and /readyz (ClickHouse and Redis reachable)', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { clickhouse: true, redis: true } });
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });

  it('keeps an idle keep-alive connection open past the 5 s Node default (senders reuse theirs)', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ status: number; keepAlive: string | undefined; reused: boolean }>((resolve, reject) => {
        const req = http.get(`${server.url}/healthz`, { agent }, (res) => {
          res.resume();
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              keepAlive: String(res.headers['keep-alive']),
              reused: req.reusedSocket,
            }),
          );
        });
        req.on('error', reject);
      });
    try {
      const first = await get();
      expect(first).toEqual({ status: 200, keepAlive: 'timeout=75', reused: false });
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      // With Node's default the server would have closed this socket after 5 s.
      expect(await get()).toEqual({ status: 200, keepAlive: 'timeout=75', reused: true });
    } finally {
      agent.destroy();
    }
  }, 15_000);

  it('answers an oversized chunked body with 413 and closes the connection (no hung keep-alive)', async () => {
    const { port } = new URL(server.url);
    const answer = await sendOversizedChunked(Number(port), '/graphql', { authorization: `Bearer ${token}` });
    expect(answer.head).toMatch(/^HTTP\/1\.1 413/);
    expect(answer.head.toLowerCase()).toContain('connection: close');
    expect(answer.closed).toBe(true);
  });

  it.each([
    ['an impossible date', { range: { start: '2024-02-30', end: '2024-03-01' }, first: 5 }],
    ['a fractional Int', { range: { start: '2024-02-01', end: '2024-02-02' }, first: 1.5 }],
    ['a string for an Int', { range: { start: '2024-02-01', end: '2024-02-02' }, first: 'abc' }],
    ['a missing required variable', { first: 5 }],
    [
      'an unknown field (__proto__) in a filter object',
      {
        range: { start: '2024-02-01', end: '2024-02-02' },
        first: 5,
        filter: JSON.parse('{"__proto__": {"x": 1}}'),
      },
    ],
  ])('answers variables with %s as 400 BAD_USER_INPUT, not 500', async (_what, variables) => {
    const query = `query ($range: DateRangeInput!, $first: Int, $filter: ExpenseFilterInput) {
      expenses(range: $range, first: $first, filter: $filter) { totalCount }
    }`;
    const response = await post(server, { query, variables }, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(400);
    expect(response.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it.each([
    ['a range ending 9999-12-31', { range: { start: '9999-12-01', end: '9999-12-31' }, first: 5 }, 'range'],
    ['a range starting 1900-01-01', { range: { start: '1900-01-01', end: '1900-01-31' }, first: 5 }, 'range'],
    [
      'a forged cursor with a 30-digit cost',
      {
        range: { start: '2024-02-01', end: '2024-02-02' },
        first: 5,
        after: Buffer.from(
          JSON.stringify({ f: 'COST', d: 'DESC', v: '123456789012345678901234567890', id: 'x' }),
        ).toString('base64url'),
      },
      'after',
    ],
    [
      '5,000 tag filters',
      {
        range: { start: '2024-02-01', end: '2024-02-02' },
        first: 5,
        filter: { tags: Array.from({ length: 5000 }, (_, i) => ({ key: `k${i}`, value: 'v' })) },
      },
      'filter.tags',
    ],
  ])('answers %s as 400 BAD_USER_INPUT naming the argument', async (_what, variables, argument) => {
    const query = `query ($range: DateRangeInput!, $first: Int, $after: String, $filter: ExpenseFilterInput) {
      expenses(range: $range, first: $first, after: $after, filter: $filter) { totalCount }
    }`;
    const response = await post(server, { query, variables }, { authorization: `Bearer ${token}` });
    expect(response.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(response.json.errors[0].message).toContain(argument);
  });

  it('answers a subscription (none exists) as a client error, not 500', async () => {
    const response = await post(
      server,
      { query: 'subscription { x }' },
      { authorization: `Bearer ${token}` },
    );
    expect(response.status).toBe(400);
    expect(response.json.errors[0].extensions.code).not.toBe('INTERNAL_SERVER_ERROR');
  });

  it('caps list arguments: 1,001 cluster ids to aggregate is 400 BAD_USER_INPUT naming input.clusterIds', async () => {
    const query = `mutation ($ids: [ID!]) {
      aggregateK8sCosts(input: { clusterIds: $ids, range: { start: "2024-02-01", end: "2024-02-01" } }) { id }
    }`;
    const ids = Array.from({ length: 1001 }, (_, i) => `cluster-${i}`);
    const response = await post(server, { query, variables: { ids } }, { authorization: `Bearer ${token}` });
    expect(response.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(response.json.errors[0].message).toContain('input.clusterIds');
  });
});
