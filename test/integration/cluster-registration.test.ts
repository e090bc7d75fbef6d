import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { createTestCore } from '../support/test-core';
import { Fixtures } from '../support/fixtures';
import { postWrite, series, v1Body, v1Headers } from '../support/remote-write-client';
import { startServer, type RunningServer } from '../../src/main';
import { hashSecret } from '../../src/domain/tenancy';
import type { CloudAccount } from '../../src/domain/model';

type TestCore = Awaited<ReturnType<typeof createTestCore>>;

const REGISTER = /* GraphQL */ `
  mutation ($input: RegisterK8sClusterInput!) {
    registerK8sCluster(input: $input) {
      cluster {
        id
        name
        provider
        region
        owner
        status
        lastDataAt
      }
      secret
      remoteWriteUrl
      remoteWriteConfig
      helmValues
    }
  }
`;
const ROTATE = /* GraphQL */ `
  mutation ($id: ID!) {
    rotateK8sClusterCredentials(id: $id) {
      cluster {
        id
      }
      secret
      remoteWriteConfig
    }
  }
`;
const DELETE = /* GraphQL */ `
  mutation ($id: ID!) {
    deleteK8sCluster(id: $id)
  }
`;

/** Runs `promtool check config` on a prometheus.yml; returns its output when it fails. */
function promtoolCheck(yaml: string): { ok: boolean; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promtool-'));
  try {
    const file = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(file, yaml);
    const result = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('cluster registration over GraphQL: secret shown once, stored hashed, sender config', () => {
  let core: TestCore;
  let server: RunningServer;
  let tokenA: string;
  let tokenB: string;
  let organizationA: string;

  beforeAll(async () => {
    // No METRICS_WRITE_URL: an authenticated write reaches the backend step and gets 503, which
    // tells "credentials accepted" (503) from "refused" (401/403) without a backend.
    core = await createTestCore({ PUBLIC_URL: 'https://costs.example.test/' });
    server = await startServer(core, { role: 'api' });
    const a = await core.organizations.create('Acme');
    const b = await core.organizations.create('Other');
    tokenA = a.token;
    organizationA = a.organization.id;
    tokenB = b.token;
  });

  afterAll(async () => {
    await server?.stop();
    await core?.dispose();
  });

  const graphql = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return (await response.json()) as { data: any; errors?: { message: string; extensions: any }[] };
  };
  const register = async (name: string, extra: Record<string, string> = {}) => {
    const result = await graphql(tokenA, REGISTER, { input: { name, ...extra } });
    expect(result.errors).toBeUndefined();
    return result.data.registerK8sCluster as {
      cluster: { id: string };
      secret: string;
      remoteWriteUrl: string;
      remoteWriteConfig: string;
      helmValues: string;
    };
  };
  /** Status of a valid write with these credentials: 503 = accepted (no backend configured). */
  const writeWith = async (id: string, secret: string) =>
    (
      await postWrite(
        `${server.url}/api/v1/write`,
        v1Headers(id, secret),
        v1Body({ timeseries: [series('up', { job: 'x' }, 1, Date.now())] }),
      )
    ).status;

  it('registers a cluster and returns its secret and a remote_write block for this URL and user', async () => {
    const result = await graphql(tokenA, REGISTER, {
      input: { name: 'prod-eu', provider: 'AWS', region: 'eu-west-1', owner: 'platform@acme.test' },
    });
    expect(result.errors).toBeUndefined();
    const registration = result.data.registerK8sCluster;
    expect(registration.cluster).toMatchObject({
      name: 'prod-eu',
      provider: 'AWS',
      region: 'eu-west-1',
      owner: 'platform@acme.test',
      status: 'NO_DATA',
      lastDataAt: null,
    });
    expect(registration.secret).toMatch(/^ctw_[A-Za-z0-9_-]{43}$/);
    expect(registration.remoteWriteUrl).toBe('https://costs.example.test/api/v1/write');

    const [entry] = parse(registration.remoteWriteConfig).remote_write;
    expect(entry.url).toBe('https://costs.example.test/api/v1/write');
    expect(entry.basic_auth).toEqual({ username: registration.cluster.id, password: registration.secret });
    expect(entry.queue_config.retry_on_http_429).toBe(true);
    // Prometheus 2.42's own parser accepts the block as pasted...
    const pasted = promtoolCheck(`global:\n  scrape_interval: 1m\n${registration.remoteWriteConfig}`);
    expect(pasted).toEqual({ ok: true, output: expect.stringContaining('SUCCESS') });
    // ...and the remote_write the Kubecost chart renders from the Helm values.
    const values = parse(registration.helmValues);
    const rendered = promtoolCheck(stringify({ remote_write: values.prometheus.server.remoteWrite }));
    expect(rendered).toEqual({ ok: true, output: expect.stringContaining('SUCCESS') });
    expect(values.prometheus.server.remoteWrite).toEqual([entry]);

    const listed = await graphql(tokenA, '{ k8sClusters { id name } cloudAccounts { id type } }');
    expect(listed.data.k8sClusters).toEqual([{ id: registration.cluster.id, name: 'prod-eu' }]);
    expect(listed.data.cloudAccounts).toEqual([{ id: registration.cluster.id, type: 'KUBERNETES' }]);
    // The secret is shown once: no query can read it back.
    const again = await graphql(tokenA, `{ k8sCluster(id: "${registration.cluster.id}") { secret } }`);
    expect(again.errors?.[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(await writeWith(registration.cluster.id, registration.secret)).toBe(503);
  });

  it('stores only the SHA-256 of the secret', async () => {
    const registration = await register('hashed');
    const rows = await core.db.query<Record<string, unknown>>(
      'SELECT * FROM {db:Identifier}.cluster_credentials WHERE cloud_account_id = {id:String}',
      { id: registration.cluster.id },
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ secret_hash: hashSecret(registration.secret), revoked: 0 });
    expect(JSON.stringify(rows)).not.toContain(registration.secret);
    expect(JSON.stringify(rows)).not.toContain(registration.secret.slice(4));
  });

  it('rotates: a new secret works, the old one is refused at once', async () => {
    const registration = await register('rotating');
    const id = registration.cluster.id;
    expect(await writeWith(id, registration.secret)).toBe(503); // also caches the old identity
    const rotated = await graphql(tokenA, ROTATE, { id });
    expect(rotated.errors).toBeUndefined();
    const { secret } = rotated.data.rotateK8sClusterCredentials;
    expect(secret).not.toBe(registration.secret);
    expect(rotated.data.rotateK8sClusterCredentials.remoteWriteConfig).toContain(secret);
    expect(await writeWith(id, registration.secret)).toBe(401);
    expect(await writeWith(id, secret)).toBe(503);
  });

  it('deletes: remote_write is refused (403) at once, the cluster disappears, its cost history stays', async () => {
    const registration = await register('doomed');
    const id = registration.cluster.id;
    const fixtures = new Fixtures(core);
    const [account] = await fixtures.accounts.getMany(organizationA, [id]);
    const resource = await fixtures.resource(account as CloudAccount, {
      name: 'doomed',
      resourceType: 'K8s Cluster',
    });
    await fixtures.costs(resource, { '2024-05-01': 12.5 });
    expect(await writeWith(id, registration.secret)).toBe(503);

    const deleted = await graphql(tokenA, DELETE, { id });
    expect(deleted).toEqual({ data: { deleteK8sCluster: id } });
    expect(await writeWith(id, registration.secret)).toBe(403);
    const after = await graphql(
      tokenA,
      `
        query ($id: ID!) {
          k8sCluster(id: $id) {
            id
          }
          k8sClusters {
            id
          }
          costSummary(range: { start: "2024-05-01", end: "2024-05-01" }) {
            total
          }
        }
      `,
      { id },
    );
    expect(after.data.k8sCluster).toBeNull();
    expect(after.data.k8sClusters.map((c: { id: string }) => c.id)).not.toContain(id);
    expect(after.data.costSummary.total).toBe(12.5);
    const rotateDeleted = await graphql(tokenA, ROTATE, { id });
    expect(rotateDeleted.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
  });

  it("refuses another organization's cluster as NOT_FOUND, and the cluster keeps working", async () => {
    const registration = await register('not-yours');
    const id = registration.cluster.id;
    for (const mutation of [ROTATE, DELETE]) {
      const result = await graphql(tokenB, mutation, { id });
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', id });
    }
    expect(await writeWith(id, registration.secret)).toBe(503);
  });

  it('refuses an empty name with BAD_USER_INPUT naming the argument', async () => {
    const result = await graphql(tokenA, REGISTER, { input: { name: '  ' } });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'input.name' });
  });
});
