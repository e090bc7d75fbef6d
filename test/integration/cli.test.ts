import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The `cloudtuner` binary as users run it (compiled dist/, built by `npm test` / `npm install`),
// each command in its own process with its own embedded data folder.
const BIN = path.resolve(__dirname, '../../bin/cloudtuner.js');

describe('cloudtuner CLI', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cloudtuner-cli-'));
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    PORT: '0',
    HOST: '127.0.0.1',
    PUBLIC_URL: 'https://costs.example.test',
  };
  const run = (...args: string[]) =>
    spawnSync('node', [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });

  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  let organizationId = '';
  let firstToken = '';
  let clusterSecret = '';

  it('org create --json prints the organization id and a token', () => {
    const result = run('org', 'create', '--name', 'Acme Corp', '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(printed.organizationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(printed.name).toBe('Acme Corp');
    expect(printed.token).toMatch(/^ctk_[A-Za-z0-9_-]{43}$/);
    organizationId = printed.organizationId;
    firstToken = printed.token;
  });

  it('token create --org ID --json issues a different token; an unknown org is refused', () => {
    const result = run('token', 'create', '--org', organizationId, '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(printed.organizationId).toBe(organizationId);
    expect(printed.token).toMatch(/^ctk_/);
    expect(printed.token).not.toBe(firstToken);

    const refused = run('token', 'create', '--org', 'no-such-org', '--json');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('organization "no-such-org" not found');
  });

  it('token revoke ID --org ORG revokes it for a new process; another organization cannot', () => {
    const issued = JSON.parse(run('token', 'create', '--org', organizationId, '--json').stdout);
    const other = JSON.parse(run('org', 'create', '--name', 'Other Corp', '--json').stdout);
    const refused = run('token', 'revoke', issued.tokenId, '--org', other.organizationId, '--json');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`API token "${issued.tokenId}" not found`);

    const result = run('token', 'revoke', issued.tokenId, '--org', organizationId, '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ organizationId, tokenId: issued.tokenId, revoked: true });
  });

  it('cluster register --json prints the cluster id, its secret (once) and a remote_write block', () => {
    // An organization of its own, so the first one's accounts stay empty for the serve test.
    const clusterOrg = JSON.parse(
      run('org', 'create', '--name', 'Cluster Org', '--json').stdout,
    ).organizationId;
    const result = run(
      'cluster',
      'register',
      '--org',
      clusterOrg,
      '--name',
      'prod-eu',
      '--provider',
      'AWS',
      '--region',
      'eu-west-1',
      '--json',
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(printed).toMatchObject({
      organizationId: clusterOrg,
      name: 'prod-eu',
      remoteWriteUrl: 'https://costs.example.test/api/v1/write',
    });
    expect(printed.clusterId).toMatch(/^[0-9a-f-]{36}$/);
    expect(printed.secret).toMatch(/^ctw_[A-Za-z0-9_-]{43}$/);
    expect(printed.remoteWriteConfig).toContain('url: "https://costs.example.test/api/v1/write"');
    expect(printed.remoteWriteConfig).toContain(`username: "${printed.clusterId}"`);
    expect(printed.remoteWriteConfig).toContain(`password: "${printed.secret}"`);
    expect(printed.helmValues).toContain('remoteWrite:');
    clusterSecret = printed.secret;

    const plain = run('cluster', 'register', '--org', clusterOrg, '--name', 'staging');
    expect(plain.status).toBe(0);
    expect(plain.stdout).toMatch(/^clusterId: [0-9a-f-]{36}$/m);
    expect(plain.stdout).toContain('remote_write:\n  - name: "cloudtuner"');

    const refused = run('cluster', 'register', '--org', 'no-such-org', '--name', 'x', '--json');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('organization "no-such-org" not found');
  });

  it('stores tokens and cluster secrets hashed: neither is anywhere in the data folder', () => {
    const needles = [Buffer.from(firstToken), Buffer.from(clusterSecret)];
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile()) files.push(full);
      }
    };
    walk(dataDir);
    expect(files.length).toBeGreaterThan(0);
    for (const needle of needles) {
      expect(files.filter((file) => fs.readFileSync(file).includes(needle))).toEqual([]);
    }
  });

  it('refuses a bad environment value before doing anything, naming the key', () => {
    const result = spawnSync('node', [BIN, 'migrate'], { env: { ...env, PORT: 'abc' }, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT="abc"');
  });

  it('demo-seed --json loads the demo once and issues a token each time', () => {
    const first = JSON.parse(run('demo-seed', '--json').stdout);
    expect(first).toMatchObject({ loaded: true });
    expect(first.rows).toBeGreaterThan(1000);
    const second = JSON.parse(run('demo-seed', '--json').stdout);
    expect(second).toMatchObject({ organizationId: first.organizationId, loaded: false, rows: 0 });
    expect(second.token).not.toBe(first.token);
  });

  it('serve answers with a CLI-issued token and stops cleanly on SIGTERM', async () => {
    const child = spawn('node', [BIN, 'serve', '--role', 'api'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "serving" line in:\n${output}`)), 30_000);
      child.stdout.on('data', () => {
        const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1] as string);
        }
      });
    });
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${firstToken}` },
      body: JSON.stringify({ query: '{ cloudAccounts { id } }' }),
    });
    expect(await response.json()).toEqual({ data: { cloudAccounts: [] } });

    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"stopped"');
  });
});
