import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse, stringify } from 'yaml';
import { createTestCore } from '../support/test-core';
import { PrometheusProcess, freePort } from '../support/prometheus';
import { runAll, startServer, type RunningServer } from '../../src/main';

type TestCore = Awaited<ReturnType<typeof createTestCore>>;

/**
 * Real Prometheus binaries on both sides of the service: a SENDER Prometheus scrapes a fixture
 * OpenCost exporter every second and remote_writes to the service with the block the service
 * generated at registration (basic auth: cluster id + secret); the service forwards into a
 * RECEIVER Prometheus (METRICS_WRITE_URL). What is checked is what lands in the receiver.
 */

const REGISTER = /* GraphQL */ `
  mutation ($input: RegisterK8sClusterInput!) {
    registerK8sCluster(input: $input) {
      cluster {
        id
      }
      secret
      remoteWriteConfig
    }
  }
`;
const CLUSTER = /* GraphQL */ `
  query ($id: ID!) {
    k8sCluster(id: $id) {
      status
      lastDataAt
      provider
      region
      version
    }
  }
`;

interface Registered {
  id: string;
  secret: string;
  /** The generated `remote_write:` entry, parsed. */
  entry: Record<string, unknown> & { url: string; queue_config: Record<string, unknown> };
}

/** What the service answered one remote_write request, seen from inside the server. */
interface Exchange {
  /** Date.now() when the request arrived. */
  at: number;
  user: string | undefined;
  headers: http.IncomingHttpHeaders;
  status: number;
  retryAfter: string | undefined;
}

/** The OpenCost cost-model's exposition (values synthetic, names and labels real). */
function openCostExposition(scrapes: number, extra: string): string {
  const nodes = [
    ['ip-10-0-1-17', 'm5.xlarge', 'i-0a1b2c3d4e5f60718', 0.048, 0.006, 0.192],
    ['ip-10-0-2-33', 'm5.2xlarge', 'i-0b2c3d4e5f6071829', 0.048, 0.006, 0.384],
  ] as const;
  const nodeLabels = (node: string, type: string, instanceId: string) =>
    `arch="amd64",instance="${node}",instance_type="${type}",node="${node}",` +
    `provider_id="aws:///us-east-1a/${instanceId}",region="us-east-1"`;
  const lines: string[] = [];
  const family = (name: string, type: string, help: string, samples: string[]) =>
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
  family(
    'node_cpu_hourly_cost',
    'gauge',
    'node_cpu_hourly_cost hourly cost for each cpu on this node',
    nodes.map(([n, t, i, cpu]) => `node_cpu_hourly_cost{${nodeLabels(n, t, i)}} ${cpu}`),
  );
  family(
    'node_ram_hourly_cost',
    'gauge',
    'node_ram_hourly_cost hourly cost for each gb of ram on this node',
    nodes.map(([n, t, i, , ram]) => `node_ram_hourly_cost{${nodeLabels(n, t, i)}} ${ram}`),
  );
  family(
    'node_total_hourly_cost',
    'gauge',
    'node_total_hourly_cost Total node cost per hour',
    nodes.map(([n, t, i, , , total]) => `node_total_hourly_cost{${nodeLabels(n, t, i)}} ${total}`),
  );
  family(
    'kubecost_node_is_spot',
    'gauge',
    'kubecost_node_is_spot Cloud provider info about node preemptibility',
    nodes.map(([n, t, i], k) => `kubecost_node_is_spot{${nodeLabels(n, t, i)}} ${k}`),
  );
  family('kubecost_cluster_management_cost', 'gauge', 'kubecost_cluster_management_cost Hourly cost', [
    'kubecost_cluster_management_cost{provisioner_name="EKS"} 0.1',
  ]);
  family('kubecost_load_balancer_cost', 'gauge', 'kubecost_load_balancer_cost Hourly cost of load balancer', [
    'kubecost_load_balancer_cost{ingress_ip="203.0.113.10",namespace="ingress-nginx",service_name="ingress-nginx-controller"} 0.025',
  ]);
  family('pv_hourly_cost', 'gauge', 'pv_hourly_cost Cost per GB per hour on a persistent disk', [
    'pv_hourly_cost{persistentvolume="pvc-3f1e",provider_id="vol-0abc",volumename="pvc-3f1e"} 0.000137',
  ]);
  family(
    'kubecost_network_internet_egress_cost',
    'gauge',
    'kubecost_network_internet_egress_cost Total cost per GB of internet egress.',
    ['kubecost_network_internet_egress_cost 0.143'],
  );
  family(
    'container_cpu_allocation',
    'gauge',
    'container_cpu_allocation Percent of a single CPU used in a minute',
    [
      'container_cpu_allocation{container="api",instance="ip-10-0-1-17",namespace="shop",node="ip-10-0-1-17",pod="api-7d9f8b6c5-x2x9q"} 0.5',
      'container_cpu_allocation{container="worker",instance="ip-10-0-2-33",namespace="shop",node="ip-10-0-2-33",pod="worker-5c6d7e8f9-a1b2c"} 1.25',
    ],
  );
  family(
    'container_memory_allocation_bytes',
    'gauge',
    'container_memory_allocation_bytes Bytes of RAM used',
    [
      'container_memory_allocation_bytes{container="api",instance="ip-10-0-1-17",namespace="shop",node="ip-10-0-1-17",pod="api-7d9f8b6c5-x2x9q"} 536870912',
    ],
  );
  family('kubecost_cluster_info', 'gauge', 'kubecost_cluster_info ClusterInfo', [
    'kubecost_cluster_info{account="123456789012",id="cluster-one",name="prod-eks",provider="AWS",provisioner="EKS",region="us-east-1",version="1.29"} 1',
  ]);
  // One new value per scrape: every scrape is a distinct sample, so samples can be counted.
  family('fixture_scrapes_total', 'counter', 'Scrapes this exporter answered', [
    `fixture_scrapes_total ${scrapes}`,
  ]);
  return `${lines.join('\n')}\n${extra}`;
}

/** A node HTTP server serving OpenCost-format metrics at /metrics; counts the scrapes it answered. */
class OpenCostExporter {
  /** Scrapes answered with metrics (200). */
  answered = 0;
  /** False: /metrics answers 503 and counts nothing (the sender then stores no new sample). */
  serving = true;

  private constructor(
    private readonly server: http.Server,
    readonly target: string,
  ) {}

  static async start(extra = ''): Promise<OpenCostExporter> {
    const ref: { exporter?: OpenCostExporter } = {};
    const server = http.createServer((req, res) => {
      const exporter = ref.exporter;
      if (req.url !== '/metrics' || !exporter) {
        res.writeHead(404).end();
        return;
      }
      if (!exporter.serving) {
        res.writeHead(503).end();
        return;
      }
      // Counted and answered in the same tick: a scrape is counted iff its body was sent.
      exporter.answered += 1;
      res
        .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
        .end(openCostExposition(exporter.answered, extra));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    ref.exporter = new OpenCostExporter(server, `127.0.0.1:${port}`);
    return ref.exporter;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Polls `probe` until `done` holds; throws with the last value after `timeoutMs`. */
async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch (error) {
      // The receiver may be restarting: try again until the deadline.
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The first value of an instant query, as a number; NaN when it returns nothing. */
async function scalar(prometheus: PrometheusProcess, promql: string): Promise<number> {
  const [first] = await prometheus.query(promql);
  return first?.value ? Number(first.value[1]) : Number.NaN;
}

describe('remote_write from a real Prometheus sender through the service into a real Prometheus receiver', () => {
  let receiver: PrometheusProcess;
  let core: TestCore;
  let server: RunningServer;
  let tokenA: string;
  let tokenVictim: string;
  const exchanges: Exchange[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    receiver = await PrometheusProcess.start();
    // The service's own port is known before it starts, so the registration's generated block
    // (PUBLIC_URL + /api/v1/write) points at it and can be used as it is.
    const port = await freePort();
    core = await createTestCore({
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      METRICS_WRITE_URL: receiver.writeUrl,
    });
    server = await startServer(core, { role: 'api' });
    // Watch every remote_write exchange from inside the server: what the sender sent, what it got.
    server.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (!req.url?.startsWith('/api/v1/write')) return;
      const at = Date.now();
      const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      const user = basic
        ? Buffer.from(basic[1] as string, 'base64')
            .toString('utf8')
            .split(':')[0]
        : undefined;
      // The route passes its headers to writeHead (getHeader does not see those): note them there.
      let retryAfter: string | undefined;
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => http.ServerResponse;
      res.writeHead = ((...args: unknown[]) => {
        const headers = args.find((a): a is Record<string, unknown> => typeof a === 'object' && a !== null);
        if (headers?.['retry-after'] !== undefined) retryAfter = String(headers['retry-after']);
        return writeHead(...args);
      }) as typeof res.writeHead;
      res.on('finish', () => {
        exchanges.push({ at, user, headers: req.headers, status: res.statusCode, retryAfter });
      });
    });
    tokenA = (await core.organizations.create('Acme')).token;
    tokenVictim = (await core.organizations.create('Victim Corp')).token;
  }, 120_000);

  afterAll(async () => {
    // Senders first (they stop sending), then the service; cluster activity is flushed while its
    // database still exists (dispose drops it). Every step runs even when one fails, so no
    // Prometheus outlives the test.
    await runAll([
      ...cleanups.reverse(),
      async () => server?.stop(),
      async () => core?.clusterActivity.stop(),
      async () => core?.dispose(),
      async () => receiver?.dispose(),
    ]);
  });

  const graphql = async <T>(token: string, query: string, variables: Record<string, unknown>): Promise<T> => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown };
    if (!body.data || body.errors) throw new Error(`graphql: ${JSON.stringify(body.errors)}`);
    return body.data;
  };

  /** Registers a cluster with the registerK8sCluster mutation (no provider/region given). */
  const register = async (token: string, name: string): Promise<Registered> => {
    const { registerK8sCluster: r } = await graphql<{
      registerK8sCluster: { cluster: { id: string }; secret: string; remoteWriteConfig: string };
    }>(token, REGISTER, { input: { name } });
    const [entry] = (parse(r.remoteWriteConfig) as { remote_write: Registered['entry'][] }).remote_write;
    if (!entry) throw new Error(`no remote_write entry in ${r.remoteWriteConfig}`);
    return { id: r.cluster.id, secret: r.secret, entry };
  };

  /** `k8sCluster(id) { status lastDataAt provider region version }` as the organization sees it. */
  const cluster = async (token: string, id: string) => {
    const data = await graphql<{ k8sCluster: Record<string, string | null> }>(token, CLUSTER, { id });
    return data.k8sCluster;
  };

  /**
   * A sender Prometheus scraping `exporter` every second with the registration's remote_write
   * entry as generated, only with quicker queue timings so the test does not wait minutes.
   */
  const startSender = async (
    registered: Registered,
    exporter: OpenCostExporter,
    job: string,
    externalLabels: Record<string, string> = {},
  ): Promise<PrometheusProcess> => {
    const entry = {
      ...registered.entry,
      queue_config: {
        ...registered.entry.queue_config,
        batch_send_deadline: '1s',
        min_backoff: '100ms',
        max_backoff: '1s',
      },
      // Metadata-only requests too, every few seconds instead of every minute.
      metadata_config: { send: true, send_interval: '2s' },
    };
    const external = Object.keys(externalLabels).length
      ? // Continues the `global:` block the harness writes first.
        `  external_labels:\n${Object.entries(externalLabels)
          .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`)
          .join('')}`
      : '';
    const sender = await PrometheusProcess.start({
      remoteWriteReceiver: false,
      config:
        external +
        stringify({
          scrape_configs: [
            {
              job_name: job,
              // As Kubecost's bundled Prometheus scrapes the cost-model: its labels win.
              honor_labels: true,
              scrape_interval: '1s',
              scrape_timeout: '1s',
              static_configs: [{ targets: [exporter.target] }],
            },
          ],
          remote_write: [entry],
        }),
    });
    cleanups.push(() => sender.dispose());
    return sender;
  };

  const startExporter = async (extra = ''): Promise<OpenCostExporter> => {
    const exporter = await OpenCostExporter.start(extra);
    cleanups.push(() => exporter.stop());
    return exporter;
  };

  it('delivers every OpenCost series under the cluster id, and the cluster becomes HEALTHY with its info', async () => {
    const registered = await register(tokenA, 'prod-eks');
    expect(registered.entry.url).toBe(`${server.url}/api/v1/write`);
    expect(registered.entry.basic_auth).toEqual({ username: registered.id, password: registered.secret });
    expect(await cluster(tokenA, registered.id)).toMatchObject({ status: 'NO_DATA', provider: '' });

    const exporter = await startExporter();
    const sender = await startSender(registered, exporter, 'kubecost-honest');
    const tenant = `cloud_account_id="${registered.id}"`;
    const names = [
      'node_cpu_hourly_cost',
      'node_ram_hourly_cost',
      'node_total_hourly_cost',
      'kubecost_node_is_spot',
      'kubecost_cluster_management_cost',
      'kubecost_load_balancer_cost',
      'pv_hourly_cost',
      'kubecost_network_internet_egress_cost',
      'container_cpu_allocation',
      'container_memory_allocation_bytes',
      'kubecost_cluster_info',
      'fixture_scrapes_total',
      'up',
    ];
    const arrived = await eventually(
      'every fixture metric in the receiver',
      async () =>
        (await receiver.query(`count by (__name__) ({${tenant}})`)).map((s) => s.metric.__name__).sort(),
      (found) => names.every((name) => found.includes(name)),
    );
    expect(arrived).toEqual(expect.arrayContaining(names));

    // Labels as the exporter served them (honor_labels), the job from the sender, and the tenant.
    const nodes = await receiver.query(`node_total_hourly_cost{${tenant}}`);
    expect(nodes.map((s) => [s.metric, s.value?.[1]]).sort()).toEqual([
      [
        {
          __name__: 'node_total_hourly_cost',
          arch: 'amd64',
          cloud_account_id: registered.id,
          instance: 'ip-10-0-1-17',
          instance_type: 'm5.xlarge',
          job: 'kubecost-honest',
          node: 'ip-10-0-1-17',
          provider_id: 'aws:///us-east-1a/i-0a1b2c3d4e5f60718',
          region: 'us-east-1',
        },
        '0.192',
      ],
      [
        {
          __name__: 'node_total_hourly_cost',
          arch: 'amd64',
          cloud_account_id: registered.id,
          instance: 'ip-10-0-2-33',
          instance_type: 'm5.2xlarge',
          job: 'kubecost-honest',
          node: 'ip-10-0-2-33',
          provider_id: 'aws:///us-east-1a/i-0b2c3d4e5f6071829',
          region: 'us-east-1',
        },
        '0.384',
      ],
    ]);
    const info = await receiver.query(`kubecost_cluster_info{${tenant}}`);
    expect(info.map((s) => s.metric)).toEqual([
      {
        __name__: 'kubecost_cluster_info',
        account: '123456789012',
        cloud_account_id: registered.id,
        id: 'cluster-one',
        instance: exporter.target,
        job: 'kubecost-honest',
        name: 'prod-eks',
        provider: 'AWS',
        provisioner: 'EKS',
        region: 'us-east-1',
        version: '1.29',
      },
    ]);
    // Every series of this sender's job carries exactly this tenant.
    const tenants = await receiver.query('count by (cloud_account_id) ({job="kubecost-honest"})');
    expect(tenants.map((s) => s.metric)).toEqual([{ cloud_account_id: registered.id }]);

    // The freshness flush runs every few seconds: HEALTHY, and provider/region/version (not given
    // at registration) from kubecost_cluster_info.
    const seen = await eventually(
      'k8sCluster HEALTHY with kubecost_cluster_info',
      () => cluster(tokenA, registered.id),
      (c) => c.status === 'HEALTHY' && c.version === '1.29',
    );
    expect(seen).toMatchObject({ status: 'HEALTHY', provider: 'AWS', region: 'us-east-1', version: '1.29' });
    const lastDataAt = Date.parse(seen.lastDataAt as string);
    expect(Date.now() - lastDataAt).toBeLessThan(60_000);

    // Identity came from basic auth alone: Debian's Prometheus 2.42 sends no custom headers
    // (prometheus issue 13030), and the block sets none. Every request was accepted, metadata-only
    // ones included.
    await sender.stop();
    const mine = exchanges.filter((e) => e.user === registered.id);
    expect(mine.length).toBeGreaterThan(2);
    for (const exchange of mine) {
      expect(exchange.headers['cloud-account-id']).toBeUndefined();
      expect(exchange.headers['user-agent']).toMatch(/^Prometheus\/2\.42/);
      expect(exchange.headers['content-encoding']).toBe('snappy');
      expect(exchange.status).toBe(204);
    }
  }, 120_000);

  it("lands a sender claiming another organization's cluster id under its own id, and nothing under the victim's", async () => {
    const victim = await register(tokenVictim, 'victim-prod');
    const attacker = await register(tokenA, 'attacker');
    // Two ways to claim the tenant: external_labels, and a series that carries the label itself.
    const exporter = await startExporter(`spoof_probe{cloud_account_id="${victim.id}"} 1\n`);
    const sender = await startSender(attacker, exporter, 'kubecost-spoof', {
      cloud_account_id: victim.id,
      cluster_id: 'victim-prod',
    });
    const started = new Date(Date.now() - 60_000);

    await eventually(
      "the attacker's samples under its own id",
      () => scalar(receiver, `count_over_time(fixture_scrapes_total{cloud_account_id="${attacker.id}"}[1h])`),
      (n) => n >= 5,
    );
    const spoof = await receiver.query('spoof_probe');
    expect(spoof.map((s) => s.metric)).toEqual([
      {
        __name__: 'spoof_probe',
        cloud_account_id: attacker.id,
        cluster_id: 'victim-prod',
        instance: exporter.target,
        job: 'kubecost-spoof',
      },
    ]);
    // Its cluster turns HEALTHY (a freshness flush ran after its samples)...
    await eventually(
      'attacker HEALTHY',
      () => cluster(tokenA, attacker.id),
      (c) => c.status === 'HEALTHY',
    );
    await sender.stop();

    // ...and nothing at all exists under the victim's id, nor names it in any label value.
    expect(await receiver.series(`{cloud_account_id="${victim.id}"}`, started)).toEqual([]);
    const all = await receiver.series('{__name__=~".+"}', started);
    expect(all.filter((labels) => Object.values(labels).includes(victim.id))).toEqual([]);
    const spoofSeries = all.filter((labels) => labels.job === 'kubecost-spoof');
    expect(spoofSeries.length).toBeGreaterThan(10);
    expect(spoofSeries.every((labels) => labels.cloud_account_id === attacker.id)).toBe(true);
    expect(await cluster(tokenVictim, victim.id)).toMatchObject({ status: 'NO_DATA', lastDataAt: null });
  }, 120_000);

  it('stores every scraped sample when the backend is down for a while during the run', async () => {
    const registered = await register(tokenA, 'outage');
    const exporter = await startExporter();
    const sender = await startSender(registered, exporter, 'kubecost-outage');
    const inReceiver = `count_over_time(fixture_scrapes_total{cloud_account_id="${registered.id}"}[1h])`;
    await eventually(
      'samples flowing before the outage',
      () => scalar(receiver, inReceiver),
      (n) => n >= 3,
    );

    // Backend down ~10 s: the service answers 503 + Retry-After, the sender keeps its WAL and retries.
    await receiver.stop();
    const answeredBeforeOutage = exporter.answered;
    const downSince = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    // Requests that arrived while it was down (one forwarded just before may still have got 204).
    const during = exchanges.filter((e) => e.user === registered.id && e.at > downSince);
    expect(during.filter((e) => e.status === 503).length).toBeGreaterThan(0);
    expect(during.filter((e) => e.status === 503).every((e) => e.retryAfter === '5')).toBe(true);
    expect(during.filter((e) => e.status !== 503)).toEqual([]);
    const scrapedDuringOutage = exporter.answered - answeredBeforeOutage;
    expect(scrapedDuringOutage).toBeGreaterThanOrEqual(5);
    const answeredAtRestart = exporter.answered;

    // Back on the same port and data folder; let the sender scrape a few more times live.
    await receiver.restart();
    await eventually(
      'scrapes after the restart',
      async () => exporter.answered,
      (n) => n >= answeredAtRestart + 3,
    );
    // Stop producing samples: from here on every scrape fails (the sender stores stale markers
    // for its series, which count_over_time skips), so the count of answered scrapes is final.
    exporter.serving = false;
    const answered = exporter.answered;

    // The sender's own TSDB holds exactly what it scraped: one sample per answered scrape (the
    // exporter counts a scrape in the tick it sends the body, so there is no edge to allow for).
    await eventually(
      "every answered scrape in the sender's own TSDB",
      () => scalar(sender, 'count_over_time(fixture_scrapes_total[1h])'),
      (n) => n === answered,
      15_000,
    );
    // Once its queue has caught up (Retry-After: 5 s between retries), the receiver holds them all.
    const stored = await eventually(
      'every answered scrape in the receiver',
      () => scalar(receiver, inReceiver),
      (n) => n >= answered,
      60_000,
    );
    expect(stored).toBe(answered);
    // Distinct values 1..answered: none lost, none duplicated.
    expect(
      await scalar(receiver, `min_over_time(fixture_scrapes_total{cloud_account_id="${registered.id}"}[1h])`),
    ).toBe(1);
    expect(
      await scalar(receiver, `max_over_time(fixture_scrapes_total{cloud_account_id="${registered.id}"}[1h])`),
    ).toBe(answered);
    // The outage was real: requests answered 503 before it ended, 204 after.
    const mine = exchanges.filter((e) => e.user === registered.id);
    expect(mine.some((e) => e.status === 503)).toBe(true);
    expect(mine.at(-1)?.status).toBe(204);
    expect(new Set(mine.map((e) => e.status))).toEqual(new Set([204, 503]));
    await sender.stop();
  }, 180_000);
});
