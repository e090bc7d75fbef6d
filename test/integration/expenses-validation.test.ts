import { createTestCore } from '../support/test-core';
import { createGraphQL, dataOf, errorOf, Fixtures, type RunGraphQL } from '../support/fixtures';

// Bad input: every error carries BAD_USER_INPUT and names the argument at fault. Errors from the
// service are DomainErrors (message starts with the argument path); a value the Date scalar cannot
// read fails GraphQL coercion before any resolver runs.

const EXPENSES = /* GraphQL */ `
  query ($range: DateRangeInput!, $first: Int, $filter: ExpenseFilterInput) {
    expenses(range: $range, first: $first, filter: $filter) {
      totalCount
      totalCost
    }
  }
`;
const BREAKDOWN = /* GraphQL */ `
  query ($range: DateRangeInput!, $filter: ExpenseFilterInput) {
    expenseBreakdown(range: $range, by: PROVIDER, filter: $filter) {
      total
    }
  }
`;
const SUMMARY = /* GraphQL */ `
  query ($range: DateRangeInput!, $filter: ExpenseFilterInput) {
    costSummary(range: $range, filter: $filter) {
      total
    }
  }
`;
const CLUSTER_COSTS = /* GraphQL */ `
  query ($id: ID!, $range: DateRangeInput!) {
    k8sCluster(id: $id) {
      costs(range: $range) {
        total
      }
    }
  }
`;
const CLUSTER_DAILY = /* GraphQL */ `
  query ($id: ID!, $range: DateRangeInput!) {
    k8sCluster(id: $id) {
      dailyCosts(range: $range) {
        date
      }
    }
  }
`;

const OPERATIONS: [string, string][] = [
  ['expenses', EXPENSES],
  ['expenseBreakdown', BREAKDOWN],
  ['costSummary', SUMMARY],
];

describe('input validation', () => {
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let run: RunGraphQL;
  let org: string;
  let clusterId: string;

  beforeAll(async () => {
    core = await createTestCore();
    run = await createGraphQL(core);
    const fx = new Fixtures(core);
    org = await fx.organization('Org');
    const cluster = await fx.account(org, { name: 'Cluster', type: 'KUBERNETES' });
    clusterId = cluster.id;
    const resource = await fx.resource(cluster, { name: 'cluster', resourceType: 'K8s Cluster' });
    // 2 on 2024-01-01 and 3 on 2024-12-31: a full leap year holds both, 2 + 3 = 5.
    await fx.costs(resource, { '2024-01-01': 2, '2024-12-31': 3 });
  });
  afterAll(async () => core.dispose());

  describe.each(OPERATIONS)('%s', (_name, query) => {
    it('rejects range.end before range.start, naming range.end', async () => {
      const error = errorOf(await run(org, query, { range: { start: '2024-03-10', end: '2024-03-09' } }));
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', domain: true });
      expect(error.message).toMatch(/^range\.end\b/);
    });

    it('rejects a range of 367 days, naming range', async () => {
      // 2024-01-01 .. 2025-01-01 = 366 days of 2024 (leap year) + 1 = 367
      const error = errorOf(await run(org, query, { range: { start: '2024-01-01', end: '2025-01-01' } }));
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', domain: true });
      expect(error.message).toMatch(/^range\b/);
      expect(error.message).toContain('367');
    });

    it('accepts exactly 366 days', async () => {
      // 2024-01-01 .. 2024-12-31 = 366 days
      const result = await run(org, query, { range: { start: '2024-01-01', end: '2024-12-31' } });
      expect(result.errors).toBeUndefined();
    });

    it('rejects an empty tag key, naming filter.tags[0].key', async () => {
      const error = errorOf(
        await run(org, query, {
          range: { start: '2024-03-01', end: '2024-03-02' },
          filter: { tags: [{ key: '' }] },
        }),
      );
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', domain: true });
      expect(error.message).toMatch(/^filter\.tags\[0\]\.key\b/);
    });

    it('names the index of the empty tag key', async () => {
      const error = errorOf(
        await run(org, query, {
          range: { start: '2024-03-01', end: '2024-03-02' },
          filter: {
            tags: [
              { key: 'env', value: 'prod' },
              { key: '', value: 'x' },
            ],
          },
        }),
      );
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/^filter\.tags\[1\]\.key\b/);
    });
  });

  it('sums the whole of an accepted 366-day range', async () => {
    const result = await run(org, EXPENSES, { range: { start: '2024-01-01', end: '2024-12-31' } });
    expect(dataOf<{ expenses: { totalCost: number } }>(result).expenses.totalCost).toBe(5); // 2 + 3
  });

  describe.each([['2024-02-30'], ['2024-1-5'], ['yesterday'], ['2024-03-01T00:00:00Z']])(
    'a start of %j',
    (start) => {
      it('fails coercion as a variable, naming Date and range.start', async () => {
        const error = errorOf(await run(org, EXPENSES, { range: { start, end: '2024-03-10' } }));
        expect(error).toMatchObject({ code: 'BAD_USER_INPUT', domain: false });
        expect(error.message).toContain('Date');
        expect(error.message).toContain('"range.start"');
        expect(error.message).toContain(JSON.stringify(start));
      });

      it('fails coercion as a literal, naming Date', async () => {
        const result = await run(
          org,
          `{ expenses(range: { start: ${JSON.stringify(start)}, end: "2024-03-10" }) { totalCount } }`,
        );
        const error = errorOf(result);
        expect(error).toMatchObject({ code: 'BAD_USER_INPUT', domain: false });
        expect(error.message).toContain('Date');
        expect(result.data).toBeUndefined();
      });
    },
  );

  it.each([[0], [1001], [-1]])('rejects first: %d, naming first', async (first) => {
    const error = errorOf(
      await run(org, EXPENSES, { range: { start: '2024-03-01', end: '2024-03-02' }, first }),
    );
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', domain: true });
    expect(error.message).toMatch(/^first\b/);
  });

  it.each([[1], [1000]])('accepts first: %d', async (first) => {
    const result = await run(org, EXPENSES, { range: { start: '2024-03-01', end: '2024-03-02' }, first });
    expect(result.errors).toBeUndefined();
  });

  describe.each([
    ['costs', CLUSTER_COSTS],
    ['dailyCosts', CLUSTER_DAILY],
  ])('K8sCluster.%s', (_name, query) => {
    it('rejects range.end before range.start, naming range.end', async () => {
      const error = errorOf(
        await run(org, query, { id: clusterId, range: { start: '2024-03-10', end: '2024-03-01' } }),
      );
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', domain: true });
      expect(error.message).toMatch(/^range\.end\b/);
    });

    it('rejects a range over 366 days, naming range', async () => {
      const error = errorOf(
        await run(org, query, { id: clusterId, range: { start: '2023-01-01', end: '2024-12-31' } }),
      );
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', domain: true });
      expect(error.message).toMatch(/^range\b/);
    });

    it('rejects a non-date start in coercion, naming Date', async () => {
      const error = errorOf(
        await run(org, query, { id: clusterId, range: { start: '2024-13-01', end: '2024-03-01' } }),
      );
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', domain: false });
      expect(error.message).toContain('Date');
      expect(error.message).toContain('"range.start"');
    });
  });
});
