import fs from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { createTestCore } from '../support/test-core';
import { ensureTestRedis, randomPrefix, removePrefix } from '../support/redis';
import { startServer, type RunningServer } from '../../src/main';
import { addDays, formatDay } from '../../src/domain/days';

// The dashboard in a real browser (Debian's chromium) against the real server and the demo
// organization, as `npm run dev` serves it. Every figure on screen is compared with the API's
// answer for the same range, formatted as a person reads dollars: $20,894.05.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildWeb } = require('../../scripts/build-web.js') as { buildWeb: () => Promise<unknown> };

// The functions handed to page.evaluate run in the browser; the test project has no DOM types.
declare const document: {
  documentElement: { scrollWidth: number };
  querySelector(s: string): { textContent: string | null } | null;
  querySelectorAll(s: string): ArrayLike<{ getAttribute(name: string): string | null }>;
};
declare const location: { search: string };
declare const window: { innerWidth: number };
declare const sessionStorage: {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
};
type ValueElement = { value: string };

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SHOTS = path.resolve(__dirname, '../../test-output/screenshots');
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const money = (value: number) => usd.format(Math.abs(value) < 0.005 ? 0 : value);
const PROD_EKS = 'f1a3c5e7-9b2d-4f6a-8c1e-5a7b9c2d4e95';

describe('dashboard in chromium', () => {
  const prefix = randomPrefix();
  let core: Awaited<ReturnType<typeof createTestCore>>;
  let server: RunningServer;
  let token: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const foreignRequests: string[] = [];
  const today = formatDay(new Date());
  const range = { start: addDays(today, -29), end: today };

  async function api<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data: T; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data;
  }

  const texts = (selector: string) =>
    page.$$eval(selector, (elements) => elements.map((e) => (e.textContent ?? '').trim()));
  const text = (selector: string) => page.$eval(selector, (element) => (element.textContent ?? '').trim());

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  /** Waits until the selector's text is `expected` (a view refreshes after showing what is cached). */
  async function waitForText(selector: string, expected: string): Promise<void> {
    await page
      .waitForFunction(
        (s, e) => document.querySelector(s)?.textContent?.trim() === e,
        { timeout: 10_000 },
        selector,
        expected,
      )
      .catch(async () => {
        throw new Error(
          `${selector}: expected ${expected}, shows ${await text(selector).catch(() => '(nothing)')}`,
        );
      });
  }

  beforeAll(async () => {
    ensureTestRedis();
    await buildWeb();
    fs.mkdirSync(SHOTS, { recursive: true });
    core = await createTestCore({ QUEUE_PREFIX: prefix });
    ({ token } = await core.demo.seed());
    server = await startServer(core, { role: 'api', demoToken: token });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url) && !/^(data|about):/.test(request.url())) {
        foreignRequests.push(request.url());
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await core?.dispose();
    await removePrefix(prefix);
  });

  afterEach(() => {
    // No view may throw in the browser, and nothing may be fetched from anywhere but this server.
    expect(pageErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });

  it('opens signed in as the demo organization on the last 30 days: totals equal the API', async () => {
    const response = await page.goto(`${server.url}/`, { waitUntil: 'networkidle0' });
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.waitForSelector('[data-testid=overview-total]');
    const { costSummary } = await api<{
      costSummary: {
        total: number;
        previousTotal: number;
        byProvider: { provider: string; cost: number; previousCost: number }[];
      };
    }>(
      `query ($range: DateRangeInput!) {
        costSummary(range: $range) { total previousTotal byProvider { provider cost previousCost } }
      }`,
      { range },
    );
    expect(costSummary.total).toBeGreaterThan(1000);
    const total = await text('[data-testid=overview-total]');
    expect(total).toMatch(/^\$\d{1,3}(,\d{3})+\.\d{2}$/);
    expect(total).toBe(money(costSummary.total));
    expect(await text('[data-testid=overview-previous]')).toBe(money(costSummary.previousTotal));
    const change = (costSummary.total - costSummary.previousTotal) / costSummary.previousTotal;
    expect(await text('[data-testid=overview-change]')).toBe(
      `${change > 0 ? '+' : ''}${(Math.round(change * 1000) / 10).toFixed(1).replace(/\.0$/, '')}%`,
    );
    // Four providers in the demo (AWS, Azure, GCP, Kubernetes), each card equal to the API's.
    expect(costSummary.byProvider).toHaveLength(4);
    for (const p of costSummary.byProvider) {
      expect(await text(`[data-testid=provider-${p.provider}] [data-testid=provider-cost]`)).toBe(
        money(p.cost),
      );
    }
    // The range the URL-less page opened on: the last 30 days ending today (UTC).
    expect(await page.$eval('input[name=start]', (e) => (e as unknown as ValueElement).value)).toBe(
      range.start,
    );
    expect(await page.$eval('input[name=end]', (e) => (e as unknown as ValueElement).value)).toBe(range.end);
    // The chart is drawn with a legend naming each provider.
    const chart = await page.$eval('[data-testid=chart] svg', (svg) => svg.textContent ?? '');
    for (const name of ['AWS', 'Azure', 'Google Cloud', 'Kubernetes']) expect(chart).toContain(name);
    await shot('overview');
  });

  it('a bookmarked range shows that range', async () => {
    const week = { start: addDays(today, -13), end: addDays(today, -7) };
    await page.goto(`${server.url}/?start=${week.start}&end=${week.end}`, { waitUntil: 'networkidle0' });
    const { costSummary } = await api<{ costSummary: { total: number } }>(
      `query ($range: DateRangeInput!) { costSummary(range: $range) { total } }`,
      { range: week },
    );
    await waitForText('[data-testid=overview-total]', money(costSummary.total));
  });

  describe('expenses', () => {
    const LIST = `query ($range: DateRangeInput!, $filter: ExpenseFilterInput, $after: String, $orderBy: ExpenseOrderInput) {
      expenses(range: $range, filter: $filter, first: 25, after: $after, orderBy: $orderBy) {
        totalCount totalCost
        edges { node { name cost provider } }
        pageInfo { endCursor }
      }
    }`;
    interface List {
      expenses: {
        totalCount: number;
        totalCost: number;
        edges: { node: { name: string; cost: number; provider: string } }[];
        pageInfo: { endCursor: string };
      };
    }
    const rowNames = () => texts('[data-testid=expense-row] td.resource > :first-child');
    const rowCosts = () => texts('[data-testid=expense-cost]');

    it('lists the same rows as the API, biggest first, each with its sparkline; pages by cursor', async () => {
      await page.goto(`${server.url}/expenses?start=${range.start}&end=${range.end}`, {
        waitUntil: 'networkidle0',
      });
      await page.waitForSelector('[data-testid=expense-row]');
      const first = (await api<List>(LIST, { range })).expenses;
      expect(first.totalCount).toBeGreaterThan(25);
      expect(await text('[data-testid=expenses-count]')).toBe(String(first.totalCount));
      expect(await text('[data-testid=expenses-total]')).toBe(money(first.totalCost));
      expect(await rowNames()).toEqual(first.edges.map((e) => e.node.name));
      expect(await rowCosts()).toEqual(first.edges.map((e) => money(e.node.cost)));
      expect(await page.$$('[data-testid=expense-row] [data-testid=sparkline]')).toHaveLength(25);
      // Cloud and cluster rows side by side.
      const providers = await page.$$eval('[data-testid=expense-row]', (rows) =>
        rows.map((r) => r.getAttribute('data-provider')),
      );
      expect(providers).toContain('KUBERNETES');
      expect(providers).toContain('AWS');
      await shot('expenses');

      const second = (await api<List>(LIST, { range, after: first.pageInfo.endCursor })).expenses;
      await page.click('nav.pager button:last-child');
      await page.waitForFunction(
        (name) =>
          document.querySelector('[data-testid=expense-row] td.resource > :first-child')?.textContent ===
          name,
        {},
        second.edges[0]?.node.name as string,
      );
      expect(await rowNames()).toEqual(second.edges.map((e) => e.node.name));
    });

    it('a provider, a tag and a sort narrow and order the table as the API does, in the URL', async () => {
      await page.goto(`${server.url}/expenses?start=${range.start}&end=${range.end}`, {
        waitUntil: 'networkidle0',
      });
      await page.waitForSelector('[data-testid=expense-row]');
      await page.select('select[name=provider]', 'AZURE');
      await page.waitForFunction(() => location.search.includes('provider=AZURE'));
      const azure = (await api<List>(LIST, { range, filter: { providers: ['AZURE'] } })).expenses;
      await waitForText('[data-testid=expenses-count]', String(azure.totalCount));
      expect(azure.totalCount).toBeLessThan(25);
      expect(await rowNames()).toEqual(azure.edges.map((e) => e.node.name));
      expect(new Set(azure.edges.map((e) => e.node.provider))).toEqual(new Set(['AZURE']));

      await page.type('input[name=tag]', 'team=data');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => location.search.includes('tag=team%3Ddata'));
      const tagged = (
        await api<List>(LIST, {
          range,
          filter: { providers: ['AZURE'], tags: [{ key: 'team', value: 'data' }] },
        })
      ).expenses;
      expect(tagged.totalCount).toBeGreaterThan(0);
      expect(tagged.totalCount).toBeLessThan(azure.totalCount);
      await waitForText('[data-testid=expenses-count]', String(tagged.totalCount));
      expect(await text('[data-testid=expenses-total]')).toBe(money(tagged.totalCost));

      await page.click('[data-testid=sort-name]');
      await page.waitForFunction(() => location.search.includes('sort=name-asc'));
      const byName = (
        await api<List>(LIST, {
          range,
          filter: { providers: ['AZURE'], tags: [{ key: 'team', value: 'data' }] },
          orderBy: { field: 'NAME', direction: 'ASC' },
        })
      ).expenses;
      await waitForText(
        '[data-testid=expense-row] td.resource > :first-child',
        byName.edges[0]?.node.name as string,
      );
      expect(await rowNames()).toEqual(byName.edges.map((e) => e.node.name));

      // The URL alone reproduces the view: opened afresh, it shows the same rows.
      const url = page.url();
      await page.goto('about:blank');
      await page.goto(url, { waitUntil: 'networkidle0' });
      await page.waitForSelector('[data-testid=expense-row]');
      expect(await rowNames()).toEqual(byName.edges.map((e) => e.node.name));
      expect(await page.$eval('select[name=provider]', (e) => (e as unknown as ValueElement).value)).toBe(
        'AZURE',
      );
    });

    it('a filter nothing matches shows the empty state, not a blank table', async () => {
      await page.goto(`${server.url}/expenses?start=${range.start}&end=${range.end}&q=no-such-resource`, {
        waitUntil: 'networkidle0',
      });
      await page.waitForSelector('[data-testid=empty]');
      expect(await text('[data-testid=empty] strong')).toBe('No expenses match');
    });
  });

  describe('cluster', () => {
    const COSTS = 'cpu ram gpu nodeUnsplit storage network loadBalancer management idle total';
    interface Item {
      key: string;
      name: string;
      total: number;
    }
    const allocation = async (by: string, filter?: Record<string, string[]>) =>
      (
        await api<{ k8sCluster: { allocation: { total: number; items: Item[] } } }>(
          `query ($id: ID!, $range: DateRangeInput!, $by: K8sAllocationDimension!, $filter: K8sAllocationFilter) {
            k8sCluster(id: $id) { allocation(range: $range, by: $by, filter: $filter) { total items { key name total } } }
          }`,
          { id: PROD_EKS, range, by, filter },
        )
      ).k8sCluster.allocation;
    const rows = () =>
      page.$$eval('[data-testid=allocation-row]', (trs) =>
        trs.map((tr) => ({
          key: tr.getAttribute('data-key'),
          total: tr.querySelector('[data-testid=allocation-total]')?.textContent,
        })),
      );
    const expectRows = async (report: { total: number; items: Item[] }) => {
      const expected = report.items.map((i) => ({ key: i.key, total: money(i.total) }));
      await page.waitForFunction(
        (keys) =>
          JSON.stringify(
            Array.from(document.querySelectorAll('[data-testid=allocation-row]')).map((r) =>
              r.getAttribute('data-key'),
            ),
          ) === keys,
        { timeout: 10_000 },
        JSON.stringify(expected.map((e) => e.key)),
      );
      expect(await rows()).toEqual(expected);
      expect(await text('[data-testid=allocation-sum]')).toBe(money(report.total));
    };

    it('a cluster row of the table opens its breakdown, freshness and bill reconciliation, equal to the API', async () => {
      await page.goto(`${server.url}/expenses?start=${range.start}&end=${range.end}&provider=KUBERNETES`, {
        waitUntil: 'networkidle0',
      });
      await page.waitForSelector('[data-testid=cluster-link]');
      const links = await texts('[data-testid=cluster-link]');
      expect(links.sort()).toEqual(['ml-gke', 'prod-eks']);
      const [link] = await page.$$('xpath/.//a[@data-testid="cluster-link" and text()="prod-eks"]');
      await link?.click();
      await page.waitForSelector('[data-testid=cluster-total]');
      expect(new URL(page.url()).pathname).toBe(`/clusters/${PROD_EKS}`);
      expect(new URL(page.url()).searchParams.get('start')).toBe(range.start);

      const { k8sCluster } = await api<{
        k8sCluster: {
          status: string;
          costs: Record<string, number | null>;
          reconciliation: { estimated: number; billed: number; reconciled: number };
        };
      }>(
        `query ($id: ID!, $range: DateRangeInput!) {
          k8sCluster(id: $id) { status costs(range: $range) { ${COSTS} } reconciliation(range: $range) { estimated billed reconciled } }
        }`,
        { id: PROD_EKS, range },
      );
      expect(await text('[data-testid=cluster-total]')).toBe(money(k8sCluster.costs.total as number));
      for (const key of ['cpu', 'ram', 'storage', 'network', 'loadBalancer', 'management']) {
        expect(await text(`[data-testid=component-${key}] .figure`)).toBe(
          money(k8sCluster.costs[key] as number),
        );
      }
      expect(await text('[data-testid=cluster-status]')).toBe('Healthy');
      expect(k8sCluster.status).toBe('HEALTHY');
      expect(await text('[data-testid=cluster-freshness]')).toMatch(/last data (just now|\d+ min ago)/);
      expect(await text('[data-testid=recon-estimated]')).toBe(money(k8sCluster.reconciliation.estimated));
      expect(await text('[data-testid=recon-billed]')).toBe(money(k8sCluster.reconciliation.billed));
      expect(await text('[data-testid=recon-reconciled]')).toBe(money(k8sCluster.reconciliation.reconciled));
      // The workloads add up to the cluster's cost, as the API promises.
      expect(await text('[data-testid=allocation-sum]')).toBe(money(k8sCluster.costs.total as number));
      const chart = await page.$eval('[data-testid=chart] svg', (svg) => svg.textContent ?? '');
      for (const name of [
        'CPU',
        'RAM',
        'Storage',
        'Network',
        'Load balancers',
        'Management',
        'of which idle',
      ])
        expect(chart).toContain(name);
      await shot('cluster');
    });

    it('drills down namespaces -> controllers -> pods, each level equal to the API, and back', async () => {
      await page.goto(`${server.url}/clusters/${PROD_EKS}?start=${range.start}&end=${range.end}`, {
        waitUntil: 'networkidle0',
      });
      const namespaces = await allocation('NAMESPACE');
      await expectRows(namespaces);
      expect(namespaces.items.map((i) => i.key)).toContain('shop');

      await page.click('[data-testid=allocation-row][data-key=shop] a');
      await page.waitForFunction(() => new URLSearchParams(location.search).get('ns') === 'shop');
      const controllers = await allocation('CONTROLLER', { namespaces: ['shop'] });
      await expectRows(controllers);
      const controller = controllers.items.find((i) => !i.key.startsWith('__')) as Item;
      expect(controller.key).toMatch(/^shop\//);

      await page.click(`[data-testid=allocation-row][data-key="${controller.key}"] a`);
      await page.waitForFunction(
        (key) => new URLSearchParams(location.search).get('controller') === key,
        {},
        controller.key,
      );
      const pods = await allocation('POD', { namespaces: ['shop'], controllers: [controller.key] });
      expect(pods.items.length).toBeGreaterThan(0);
      await expectRows(pods);
      expect(pods.total).toBeCloseTo(controller.total, 6);
      expect(await text('[data-testid=drill-crumbs]')).toContain('All namespaces › shop ›');
      await shot('cluster-pods');

      await page.goBack();
      await expectRows(controllers);
      await page.click('[data-testid=drill-crumbs] a');
      await expectRows(namespaces);
    });

    it("another organization's cluster id, or none, shows 'No such cluster'", async () => {
      await page.goto(`${server.url}/clusters/00000000-0000-4000-8000-000000000000`, {
        waitUntil: 'networkidle0',
      });
      await page.waitForSelector('[data-testid=empty]');
      expect(await text('[data-testid=empty] strong')).toBe('No such cluster');
    });
  });

  it('Imports & runs lists the API’s imports, a refused one with its reason, and queued cost runs', async () => {
    const yesterday = addDays(today, -1);
    await api(`mutation ($input: AggregateK8sCostsInput!) { aggregateK8sCosts(input: $input) { id } }`, {
      input: { clusterIds: [PROD_EKS], range: { start: yesterday, end: yesterday } },
    });
    const { focusImports } = await api<{
      focusImports: { files: string[]; state: string; totalCost: number; error: string | null }[];
    }>(`{ focusImports(first: 25) { files state totalCost error } }`);
    expect(focusImports.length).toBeGreaterThan(4);
    await page.goto(`${server.url}/imports`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('[data-testid=import-row]');
    const shown = await page.$$eval('[data-testid=import-row]', (trs) =>
      trs.map((tr) => ({
        file: tr.querySelector('td.file')?.firstChild?.textContent,
        state: tr.querySelector('[data-testid=state]')?.textContent,
        cost: tr.querySelector('[data-testid=import-cost]')?.textContent,
      })),
    );
    expect(shown).toEqual(
      focusImports.map((i) => ({
        file: i.files.join(', '),
        state: i.state === 'FAILED' ? 'Failed' : 'Succeeded',
        cost: money(i.totalCost),
      })),
    );
    const refused = focusImports.find((i) => i.state === 'FAILED');
    expect(await text('[data-testid=import-row] .error-text')).toBe(refused?.error);
    const runs = await page.$$eval('[data-testid=run-row]', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toContain('prod-eks');
    expect(runs[0]).toContain('Queued');
    await shot('imports');
  });

  it('Budgets shows each budget spent against its forecast, as the API does, and the demo anomaly', async () => {
    const { budgets, costAnomalies } = await api<{
      budgets: {
        name: string;
        spent: number;
        forecast: number;
        status: string;
        alerts: { text: string }[];
      }[];
      costAnomalies: { name: string; impact: number }[];
    }>(
      `query ($range: DateRangeInput!) {
        budgets { name spent forecast status alerts { text } }
        costAnomalies(range: $range, by: SERVICE) { name impact }
      }`,
      { range },
    );
    expect(budgets.map((b) => b.name)).toEqual(['AWS', 'Data team', 'ML quarter', 'prod-eks cluster']);
    await page.goto(`${server.url}/budgets?start=${range.start}&end=${range.end}`, {
      waitUntil: 'networkidle0',
    });
    await page.waitForSelector('[data-testid=budget]');
    const cards = await page.$$eval('[data-testid=budget]', (elements) =>
      elements.map((e) => ({
        name: e.getAttribute('data-name'),
        spent: e.querySelector('[data-testid=budget-spent]')?.textContent,
        forecast: e.querySelector('[data-testid=budget-forecast]')?.textContent,
        alerts: e.querySelectorAll('[data-testid=budget-alert]').length,
      })),
    );
    expect(cards).toEqual(
      budgets.map((b) => ({
        name: b.name,
        spent: money(b.spent),
        forecast: money(b.forecast),
        alerts: Math.min(3, b.alerts.length),
      })),
    );
    // The seeded evaluation fired what the amounts call for: at least one budget has an alert.
    expect(budgets.some((b) => b.alerts.length > 0)).toBe(true);
    expect(costAnomalies[0]?.name).toBe('BigQuery');
    const impacts = await texts('[data-testid=anomaly-impact]');
    expect(impacts[0]).toBe(`+${money(costAnomalies[0]?.impact as number)}`);
    await shot('budgets');
  });

  it('reads on a phone: every view fits 390 px, its dollar column on screen without scrolling', async () => {
    await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
    try {
      for (const [name, url, ready, dollars] of [
        ['overview', '/', '[data-testid=overview-total]', '[data-testid=provider-cost]'],
        ['expenses', '/expenses', '[data-testid=expense-row]', '[data-testid=expense-cost]'],
        [
          'cluster',
          `/clusters/${PROD_EKS}`,
          '[data-testid=allocation-row]',
          '[data-testid=allocation-total]',
        ],
        ['imports', '/imports', '[data-testid=import-row]', '[data-testid=import-cost]'],
        ['budgets', '/budgets', '[data-testid=budget]', '[data-testid=anomaly-impact]'],
      ] as const) {
        await page.goto(`${server.url}${url}`, { waitUntil: 'networkidle0' });
        await page.waitForSelector(ready);
        const widths = await page.evaluate(() => ({
          page: document.documentElement.scrollWidth,
          view: window.innerWidth,
        }));
        expect({ name, ...widths }).toEqual({ name, page: widths.view, view: 390 });
        // The right edge of every figure of the view's dollar column, within the screen.
        const rightEdge = await page.$$eval(dollars, (cells) =>
          Math.max(...cells.map((cell) => cell.getBoundingClientRect().right)),
        );
        expect({ name, rightEdge: rightEdge <= 390 }).toEqual({ name, rightEdge: true });
        await shot(`${name}-phone`);
      }
    } finally {
      await page.setViewport({ width: 1280, height: 900 });
    }
  });

  it('a refused token brings the sign-in back; a good one signs in; sign-out forgets it', async () => {
    const context = await browser.createBrowserContext();
    const fresh = await context.newPage();
    try {
      await fresh.evaluateOnNewDocument(() =>
        sessionStorage.setItem('cloudtuner.token', 'ctk_not-a-real-token'),
      );
      await fresh.goto(`${server.url}/`, { waitUntil: 'networkidle0' });
      await fresh.waitForSelector('[data-testid=sign-in] [role=alert]');
      expect(await fresh.$eval('[data-testid=sign-in] [role=alert]', (e) => e.textContent)).toContain(
        'not accepted',
      );
      expect(await fresh.evaluate(() => sessionStorage.getItem('cloudtuner.token'))).toBeNull();
      await fresh.screenshot({ path: path.join(SHOTS, 'sign-in.png') });

      await fresh.type('input[name=token]', token);
      await fresh.click('[data-testid=sign-in] button[type=submit]');
      await fresh.waitForSelector('[data-testid=overview-total]');
      await fresh.click('button.sign-out');
      await fresh.waitForSelector('[data-testid=sign-in]');
      expect(await fresh.evaluate(() => sessionStorage.getItem('cloudtuner.token'))).toBeNull();
    } finally {
      await context.close();
    }
  });
});
