import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CLUSTER_A_SERIES,
  CLUSTER_B_SERIES,
  startK8sDayPrometheus,
  type K8sDayPrometheus,
} from '../support/k8s-day-fixture';
import { ensureTestRedis, eventually, randomPrefix, removePrefix, TEST_REDIS_URL } from '../support/redis';
import { freePort } from '../support/prometheus';
import { addDays } from '../../src/domain/days';

// `cloudtuner aggregate` as operators run it: the built CLI (`npm run build`) in child processes,
// its own embedded data folder, a real Redis (own queue prefix) and the fixture day in a real
// Prometheus, with the cluster registered through the CLI (so its id is a fresh UUID, and the
// fixture's series are written under that tenant).
const BIN = path.resolve(__dirname, '../../bin/cloudtuner.js');

// Cluster A of the fixture costs $19.348746 on its day, cluster B $4.008144 (hand-computed in
// test/integration/k8s-cost-aggregation.test.ts).
const A_TOTAL = 19.348746;
const B_TOTAL = 4.008144;

describe('cloudtuner aggregate', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cloudtuner-cli-agg-'));
  const prefix = randomPrefix();
  let fixture: K8sDayPrometheus;
  let env: NodeJS.ProcessEnv;
  let org = '';
  let token = '';
  let clusterA = '';
  let clusterB = '';
  let day = '';
  const children: ChildProcess[] = [];

  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    spawnSync('node', [BIN, ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 120_000 });

  beforeAll(async () => {
    ensureTestRedis();
    env = {
      ...process.env,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: '0',
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      K8S_AGGREGATION_BACKOFF_MS: '200',
    };
    const created = JSON.parse(cli(['org', 'create', '--name', 'Ops', '--json']).stdout);
    org = created.organizationId;
    token = created.token;
    const register = (name: string) =>
      JSON.parse(cli(['cluster', 'register', '--org', org, '--name', name, '--json']).stdout)
        .clusterId as string;
    clusterA = register('prod-eks');
    clusterB = register('ml-gke');
    fixture = await startK8sDayPrometheus({ [clusterA]: CLUSTER_A_SERIES, [clusterB]: CLUSTER_B_SERIES });
    day = fixture.day;
    env.METRICS_QUERY_URL = fixture.prometheus.url;
  }, 180_000);

  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await fixture?.dispose();
    await removePrefix(prefix);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('queues, computes (a worker in the CLI: embedded engine) and reports each run; exit 0', () => {
    const result = cli([
      'aggregate',
      '--from',
      day,
      '--to',
      day,
      '--cluster',
      clusterA,
      '--org',
      org,
      '--json',
    ]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('queued 1 run');
    // Not a terminal: the progress bar writes plain lines instead of redrawing.
    expect(result.stderr).toMatch(/aggregating .* 1\/1 runs \| 1 succeeded, 0 failed/);
    const printed = JSON.parse(result.stdout);
    expect(printed).toMatchObject({ succeeded: 1, failed: 0 });
    expect(printed.runs).toHaveLength(1);
    expect(printed.runs[0]).toMatchObject({
      clusterId: clusterA,
      clusterName: 'prod-eks',
      day,
      provisional: false,
      state: 'SUCCEEDED',
      attempts: 1,
      written: 'new',
      trigger: 'cli',
    });
    expect(printed.runs[0].totalCost).toBeCloseTo(A_TOTAL, 8);
  });

  it('text output: one line per run and a summary; every live cluster when no --cluster is given', () => {
    const result = cli(['aggregate', '--from', day, '--to', day]);
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.find((line) => line.includes(clusterA))).toMatch(
      new RegExp(
        `prod-eks \\(${clusterA}\\)  ${day}  final  SUCCEEDED  attempts 1/5  written none  \\$${A_TOTAL}`,
      ),
    );
    expect(lines.find((line) => line.includes(clusterB))).toMatch(/SUCCEEDED .* written new {2}\$4\.008144/);
    expect(lines[2]).toBe('2 runs: 2 succeeded, 0 failed');
  });

  it('exit 1 when a run fails (backend unreachable, one attempt), exit 2 for an unknown cluster', async () => {
    const closed = await freePort();
    const failed = cli(['aggregate', '--from', day, '--to', day, '--cluster', clusterB], {
      METRICS_QUERY_URL: `http://127.0.0.1:${closed}`,
      K8S_AGGREGATION_ATTEMPTS: '1',
    });
    expect(failed.status).toBe(1);
    expect(failed.stdout).toMatch(/FAILED {2}attempts 1\/1 {2}error: metrics backend unreachable/);
    expect(failed.stdout).toContain('1 runs: 0 succeeded, 1 failed');

    const unknown = cli(['aggregate', '--from', day, '--to', day, '--cluster', 'nope', '--org', org]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('cluster "nope" not found');
    const future = cli(['aggregate', '--from', day, '--to', addDays(day, 5)]);
    expect(future.status).toBe(2);
    expect(future.stderr).toContain('input.range.end');
  });

  it('--no-wait only queues; a served worker computes the runs, and GraphQL shows them and the costs', async () => {
    const queued = cli([
      'aggregate',
      '--from',
      addDays(day, -1),
      '--to',
      day,
      '--cluster',
      clusterB,
      '--no-wait',
      '--json',
    ]);
    expect(queued.status).toBe(0);
    const printed = JSON.parse(queued.stdout);
    expect(printed.runs.map((run: { day: string; state: string }) => [run.day, run.state])).toEqual([
      [addDays(day, -1), 'QUEUED'],
      [day, 'QUEUED'],
    ]);

    // NODE_ENV=production as deployed (jest sets "test", which turns off Apollo's own signal
    // handlers): SIGTERM must still stop HTTP, worker, scheduler, queues, ClickHouse and Redis in
    // order and exit 0.
    const child = spawn('node', [BIN, 'serve', '--role', 'all'], {
      env: { ...env, LOG_LEVEL: 'info', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = await eventually(
      async () => /"url":"(http:\/\/[^"]+)"/.exec(output)?.[1],
      30_000,
      'serve to listen',
    );
    const graphql = async (query: string, variables: Record<string, unknown> = {}) => {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as { data: Record<string, unknown>; errors?: unknown };
    };
    const ids = printed.runs.map((run: { id: string }) => run.id);
    const done = await eventually(
      async () => {
        const { data } = await graphql(
          `
            query ($ids: [ID!]) {
              aggregationRuns(filter: { clusterIds: $ids }, first: 50) {
                id
                state
                written
                totalCost
              }
            }
          `,
          { ids: [clusterB] },
        );
        const runs = (
          data.aggregationRuns as { id: string; state: string; written: string; totalCost: number }[]
        ).filter((run) => ids.includes(run.id));
        return runs.length === 2 && runs.every((run) => run.state === 'SUCCEEDED') ? runs : undefined;
      },
      60_000,
      'the served worker to compute the queued runs',
    );
    const byId = new Map(done.map((run) => [run.id, run]));
    // The day before the fixture day holds its 2 hours of spill-over (22:00 .. 24:00): cluster B's
    // node 2 vCPU x $0.021811 + 8 GiB x $0.002923 = $0.067006/h, plus $0.10/h management, x 2 h.
    expect(byId.get(ids[0])).toMatchObject({ written: 'NEW' });
    expect(byId.get(ids[0])?.totalCost).toBeCloseTo(2 * (0.067006 + 0.1), 8);
    expect(byId.get(ids[1])).toMatchObject({ written: 'NONE' });
    expect(byId.get(ids[1])?.totalCost).toBeCloseTo(B_TOTAL, 8);
    const costs = await graphql(
      `
        query ($range: DateRangeInput!) {
          k8sClusters {
            id
            costs(range: $range) {
              total
            }
          }
        }
      `,
      { range: { start: day, end: day } },
    );
    const totals = Object.fromEntries(
      (costs.data.k8sClusters as { id: string; costs: { total: number } }[]).map((c) => [
        c.id,
        c.costs.total,
      ]),
    );
    expect(totals[clusterA]).toBeCloseTo(A_TOTAL, 8);
    expect(totals[clusterB]).toBeCloseTo(B_TOTAL, 8);

    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"aggregation scheduler started"');
    expect(output).toContain('"msg":"stopped"');
  });
});
