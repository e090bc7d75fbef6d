import { TENANT_LABEL } from '../../src/domain/tenancy';
import {
  K8S_COST_QUERIES,
  k8sCostQueries,
  k8sCostWindow,
  promString,
  QueryWriter,
} from '../../src/k8s-cost/k8s-cost.queries';
import { loadConfig, ConfigError } from '../../src/config';
import { clusterResourceId } from '../../src/k8s-cost/k8s-cost-aggregation.service';

const STRING = /"(?:[^"\\]|\\.)*"/g;
/** `name{matchers}` (name optional), matchers may hold quoted strings with braces inside. */
const SELECTOR = /([a-zA-Z_:][a-zA-Z0-9_:]*)?\{((?:[^{}"]|"(?:[^"\\]|\\.)*")*)\}/g;
const MATCHER = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")\s*(?:,|$)/gy;
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
]);

/** Every selector of a PromQL text with its parsed matchers. */
function selectors(promql: string): { metric: string; matchers: [string, string, string][] }[] {
  return [...promql.matchAll(SELECTOR)].map((match) => {
    const body = match[2] ?? '';
    const matchers: [string, string, string][] = [];
    MATCHER.lastIndex = 0;
    let consumed = 0;
    for (let m = MATCHER.exec(body); m; m = MATCHER.exec(body)) {
      matchers.push([m[1] as string, m[2] as string, JSON.parse(m[3] as string) as string]);
      consumed = MATCHER.lastIndex;
    }
    expect(body.slice(consumed).trim()).toBe(''); // the whole body parsed as matchers
    return { metric: match[1] ?? '', matchers };
  });
}

/** Identifiers left once selectors, strings, grouping clauses and ranges are gone: bare metric names. */
function bareNames(promql: string): string[] {
  const stripped = promql
    .replace(SELECTOR, ' SEL ')
    .replace(STRING, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice((match.index ?? 0) + match[0].length).trimStart();
    if (match[0] === 'SEL' || KEYWORDS.has(match[0]) || after.startsWith('(')) continue;
    names.push(match[0]);
  }
  return names;
}

const DAY = '2024-03-01';
const WHOLE_DAY = k8sCostWindow(DAY, 300, new Date('2024-03-05T00:00:00Z'));

describe('k8s cost queries', () => {
  const queries = k8sCostQueries('cluster-a', WHOLE_DAY);

  it('one query per part (per node for cpu, ram, gpu and claims), all at the end of the day', () => {
    expect(queries.map((q) => q.name)).toEqual([...K8S_COST_QUERIES]);
    for (const q of queries) expect(q.time.toISOString()).toBe('2024-03-02T00:00:00.000Z');
  });

  it.each(K8S_COST_QUERIES)('every selector of the %s query carries the tenant matcher', (name) => {
    const promql = queries.find((q) => q.name === name)?.promql ?? '';
    const found = selectors(promql);
    expect(found.length).toBeGreaterThan(0);
    for (const { metric, matchers } of found) {
      expect(metric).not.toBe(''); // no `{...}` without a metric name
      expect(matchers).toContainEqual([TENANT_LABEL, '=', 'cluster-a']);
      // ... and no other matcher on the tenant label could widen or contradict it.
      expect(matchers.filter(([label]) => label === TENANT_LABEL)).toHaveLength(1);
    }
    expect(bareNames(promql)).toEqual([]);
  });

  it('the checker itself catches a selector without the matcher and a bare metric name', () => {
    expect(selectors('sum(a{cloud_account_id="x"}) + b{job="y"}')[1]?.matchers).toEqual([['job', '=', 'y']]);
    expect(bareNames('sum(a{cloud_account_id="x"}) * on(node) node_cpu_hourly_cost')).toEqual([
      'node_cpu_hourly_cost',
    ]);
    expect(bareNames('max by (node) (last_over_time(x{cloud_account_id="x"}[5m]))')).toEqual([]);
  });

  it('integrates (D, D+24h] in 5-minute steps: 288 points, each worth 300/3600 h', () => {
    const cpu = queries.find((q) => q.name === 'cpu')?.promql ?? '';
    expect(cpu).toContain('[86399999ms:300s]');
    expect(cpu).toContain('[299999ms]');
    expect(cpu).toMatch(/ \* 300 \/ 3600$/);
    const network = queries.find((q) => q.name === 'network')?.promql ?? '';
    expect(network).toContain(
      'increase(kubecost_pod_network_egress_bytes_total{cloud_account_id="cluster-a"',
    );
    expect(network).toContain('[86400s]');
  });

  it('follows the configured step', () => {
    const minute = k8sCostQueries('cluster-a', k8sCostWindow(DAY, 60, new Date('2024-03-05T00:00:00Z')));
    const management = minute.find((q) => q.name === 'management')?.promql ?? '';
    expect(management).toContain('[59999ms]');
    expect(management).toContain('[86399999ms:60s]');
    expect(management).toMatch(/ \* 60 \/ 3600$/);
  });

  it('refuses a tenant id it would have to escape, and escapes every other value it writes', () => {
    expect(() => k8sCostQueries('a"} or vector(1) #', WHOLE_DAY)).toThrow(/unsafe tenant id/);
    expect(() => k8sCostQueries('', WHOLE_DAY)).toThrow(/unsafe tenant id/);
    const writer = new QueryWriter('cluster-a', WHOLE_DAY);
    const hostile = 'x"} or vector(1) or y{a="\\';
    const selector = writer.selector('kube_pod_labels', ['pod', '=', hostile]);
    expect(selectors(selector)).toEqual([
      {
        metric: 'kube_pod_labels',
        matchers: [
          [TENANT_LABEL, '=', 'cluster-a'],
          ['pod', '=', hostile],
        ],
      },
    ]);
    expect(() => writer.selector('kube_pod_labels', [TENANT_LABEL, '=', 'cluster-b'])).toThrow(/bad matcher/);
    expect(() => writer.selector('up or vector(1)')).toThrow(/bad metric name/);
    expect(promString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
  });
});

describe('k8sCostWindow', () => {
  it('a day that has ended is complete: (D, D+24h]', () => {
    expect(WHOLE_DAY).toMatchObject({
      start: new Date('2024-03-01T00:00:00Z'),
      end: new Date('2024-03-02T00:00:00Z'),
      complete: true,
    });
  });

  it('a running day stops at the last step boundary, at least one step in', () => {
    const at = (iso: string) => k8sCostWindow(DAY, 300, new Date(iso));
    expect(at('2024-03-01T15:02:10Z')).toMatchObject({
      end: new Date('2024-03-01T15:00:00Z'),
      complete: false,
    });
    expect(at('2024-03-01T00:01:00Z')).toMatchObject({
      end: new Date('2024-03-01T00:05:00Z'),
      complete: false,
    });
    expect(at('2024-03-02T00:00:00Z')).toMatchObject({
      end: new Date('2024-03-02T00:00:00Z'),
      complete: true,
    });
    const running = k8sCostQueries('cluster-a', at('2024-03-01T15:02:10Z'));
    // 15 h: (00:00, 15:00] is 54,000,000 ms, one short to be left-open on Prometheus 2.x too.
    expect(running[0]?.promql).toContain('[53999999ms:300s]');
    expect(running[0]?.time.toISOString()).toBe('2024-03-01T15:00:00.000Z');
  });

  it('rejects a step that does not divide a day, and a day that does not exist', () => {
    expect(() => k8sCostWindow(DAY, 7, new Date())).toThrow(/divide a day/);
    expect(() => k8sCostWindow('2024-02-30', 300, new Date())).toThrow(/not a YYYY-MM-DD day/);
  });
});

describe('metrics query config', () => {
  it('defaults: no query URL (aggregation off), THANOS-TENANT, 30 s, 5-minute steps', () => {
    const config = loadConfig({});
    expect(config.metrics.queryUrl).toBeUndefined();
    expect(config.metrics).toMatchObject({
      backend: 'prometheus',
      tenantHeader: 'THANOS-TENANT',
      queryTimeoutMs: 30_000,
    });
    expect(config.k8sIntegrationStepSeconds).toBe(300);
  });

  it('mimir defaults its tenant header to X-Scope-OrgID; an explicit header wins', () => {
    expect(loadConfig({ METRICS_BACKEND: 'mimir' }).metrics.tenantHeader).toBe('X-Scope-OrgID');
    expect(loadConfig({ METRICS_BACKEND: 'thanos' }).metrics.tenantHeader).toBe('THANOS-TENANT');
    expect(
      loadConfig({ METRICS_BACKEND: 'mimir', METRICS_TENANT_HEADER: 'X-Tenant' }).metrics.tenantHeader,
    ).toBe('X-Tenant');
  });

  it.each([
    ['METRICS_BACKEND', 'influx'],
    ['METRICS_QUERY_URL', 'thanos:9090'],
    ['METRICS_QUERY_TIMEOUT_MS', '5'],
    ['K8S_INTEGRATION_STEP_SECONDS', '7'],
    ['K8S_INTEGRATION_STEP_SECONDS', '7200'],
  ])('%s=%s fails fast naming the key', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`${key}=`));
  });
});

describe('clusterResourceId', () => {
  it('is a stable UUID derived from the cluster id alone', () => {
    const id = clusterResourceId('cluster-a');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(clusterResourceId('cluster-a')).toBe(id);
    expect(clusterResourceId('cluster-b')).not.toBe(id);
  });
});
