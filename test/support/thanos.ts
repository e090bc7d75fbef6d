import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { freePort, waitForReady, type PromSeries } from './prometheus';
import { packageRoot } from '../../src/package-root';

const ROOT = packageRoot(__dirname);

/**
 * A Go program the tests run, built from the Go module proxy by scripts/build-go-tools.sh into
 * its cache folder (a cached binary is used as is; .ci/run builds them before the tests).
 */
export function goTool(name: 'thanos' | 'prometheus' | 'ferretdb'): string {
  const output = execFileSync(path.join(ROOT, 'scripts', 'build-go-tools.sh'), [name], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30 * 60_000,
  });
  const line = output.split('\n').find((l) => l.startsWith(`${name}=`));
  if (!line) throw new Error(`scripts/build-go-tools.sh ${name} printed no path:\n${output}`);
  return line.slice(name.length + 1);
}

/** The `command:` of a service in docker-compose.yml: the flags the test starts Thanos with. */
export function composeCommand(service: string): string[] {
  const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { command?: string[]; image?: string }>;
  };
  const command = compose.services[service]?.command;
  if (!command) throw new Error(`docker-compose.yml has no command for ${service}`);
  return command.map(String);
}

/** The Thanos image tag docker-compose.yml pins (`quay.io/thanos/thanos:v0.39.2` -> `v0.39.2`). */
export function composeThanosVersion(): string {
  const text = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
  const match = /quay\.io\/thanos\/thanos:(v[\d.]+)/.exec(text);
  if (!match) throw new Error('docker-compose.yml pins no Thanos image');
  return match[1] as string;
}

interface Ports {
  grpc: number;
  http: number;
  remoteWrite?: number;
  /** receive's Cap'n Proto replication listener (default 0.0.0.0:19391, one per machine). */
  capnproto?: number;
}

/**
 * The compose flags with the container's addresses and paths swapped for this machine's: every
 * `0.0.0.0:<port>` and `<service>:<port>` becomes a free local port, paths a temp folder, the S3
 * bucket a folder bucket. Any other flag is kept as compose has it; an address flag this does
 * not know fails the test, so a change to the compose file cannot slip past it.
 */
function localFlags(
  command: string[],
  ports: Ports,
  paths: { data: string; bucket: string },
  endpoints: Record<string, number>,
): string[] {
  return command.slice(1).map((flag) => {
    const [name, value] = flag.split(/=(.*)/s) as [string, string | undefined];
    switch (name) {
      case '--tsdb.path':
      case '--data-dir':
        return `${name}=${paths.data}`;
      case '--objstore.config-file':
        return `${name}=${paths.bucket}`;
      case '--grpc-address':
        return `${name}=127.0.0.1:${ports.grpc}`;
      case '--http-address':
        return `${name}=127.0.0.1:${ports.http}`;
      case '--remote-write.address':
        if (!ports.remoteWrite) throw new Error('no remote-write port');
        return `${name}=127.0.0.1:${ports.remoteWrite}`;
      case '--endpoint': {
        const host = (value ?? '').split(':')[0] as string;
        const port = endpoints[host];
        if (port === undefined) throw new Error(`compose endpoint ${value} has no local stand-in`);
        return `${name}=127.0.0.1:${port}`;
      }
      default:
        if (/address|endpoint|url/i.test(name)) throw new Error(`unmapped compose flag ${flag}`);
        return flag;
    }
  });
}

class ThanosProcess {
  private child?: ChildProcess;
  log = '';

  constructor(
    readonly role: string,
    private readonly binary: string,
    private readonly flags: string[],
    readonly httpPort: number,
  ) {}

  async start(): Promise<void> {
    this.log = '';
    const child = spawn(this.binary, [this.role, ...this.flags, '--log.level=warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (c: Buffer) => (this.log += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.log += c.toString()));
    await waitForReady(
      child,
      `http://127.0.0.1:${this.httpPort}/-/ready`,
      `thanos ${this.role}`,
      () => this.log,
      60_000,
    );
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * thanos receive + store + query, started with the flags of docker-compose.yml's services (see
 * localFlags), over a folder bucket instead of MinIO.
 */
export class ThanosStack {
  readonly receive: ThanosProcess;
  /** With `replicas: 2`: a second receive, replicating with the first (replication factor 2). */
  readonly replica?: ThanosProcess;
  readonly store: ThanosProcess;
  readonly query: ThanosProcess;
  readonly flags: { receive: string[]; store: string[]; query: string[] };

  private constructor(
    private readonly dir: string,
    binary: string,
    readonly ports: { receive: Ports; store: Ports; query: Ports; replica?: Ports },
  ) {
    const bucket = path.join(dir, 'bucket.yml');
    fs.mkdirSync(path.join(dir, 'bucket'));
    fs.writeFileSync(bucket, `type: FILESYSTEM\nconfig:\n  directory: ${path.join(dir, 'bucket')}\n`);
    const endpoints = { 'thanos-receive': ports.receive.grpc, 'thanos-store': ports.store.grpc };
    this.flags = {
      receive: localFlags(
        composeCommand('thanos-receive'),
        ports.receive,
        { data: path.join(dir, 'receive'), bucket },
        endpoints,
      ),
      store: localFlags(
        composeCommand('thanos-store'),
        ports.store,
        { data: path.join(dir, 'store'), bucket },
        endpoints,
      ),
      query: localFlags(
        composeCommand('thanos-query'),
        ports.query,
        { data: path.join(dir, 'query'), bucket },
        endpoints,
      ),
    };
    if (ports.replica) {
      // Two receives in one hashring with replication factor 2 (how compose's receive scales):
      // each write lands in both, and query deduplicates on receive_replica.
      const hashrings = path.join(dir, 'hashrings.json');
      const members = [ports.receive.grpc, ports.replica.grpc].map((port) => `127.0.0.1:${port}`);
      fs.writeFileSync(hashrings, JSON.stringify([{ hashring: 'default', endpoints: members }]));
      const ring = (grpc: number) => [
        `--receive.hashrings-file=${hashrings}`,
        `--receive.local-endpoint=127.0.0.1:${grpc}`,
        '--receive.replication-factor=2',
      ];
      const replicaFlags = localFlags(
        composeCommand('thanos-receive'),
        ports.replica,
        { data: path.join(dir, 'receive-1'), bucket },
        endpoints,
      ).map((flag) => (flag.startsWith('--label=receive_replica=') ? '--label=receive_replica="1"' : flag));
      this.flags.receive.push(...ring(ports.receive.grpc));
      this.flags.query.push(`--endpoint=127.0.0.1:${ports.replica.grpc}`);
      this.replica = new ThanosProcess(
        'receive',
        binary,
        [
          ...replicaFlags,
          ...ring(ports.replica.grpc),
          `--receive.capnproto-address=127.0.0.1:${ports.replica.capnproto}`,
        ],
        ports.replica.http,
      );
    }
    // Not in compose (each container has its own 19391): two receives on one machine need two.
    this.flags.receive.push(`--receive.capnproto-address=127.0.0.1:${ports.receive.capnproto}`);
    this.receive = new ThanosProcess('receive', binary, this.flags.receive, ports.receive.http);
    this.store = new ThanosProcess('store', binary, this.flags.store, ports.store.http);
    this.query = new ThanosProcess('query', binary, this.flags.query, ports.query.http);
  }

  static async start(options: { replicas?: 1 | 2 } = {}): Promise<ThanosStack> {
    const binary = goTool('thanos');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thanos-'));
    const receivePorts = async () => ({
      grpc: await freePort(),
      http: await freePort(),
      remoteWrite: await freePort(),
      capnproto: await freePort(),
    });
    const ports = {
      receive: await receivePorts(),
      store: { grpc: await freePort(), http: await freePort() },
      query: { grpc: await freePort(), http: await freePort() },
      ...(options.replicas === 2 ? { replica: await receivePorts() } : {}),
    };
    const stack = new ThanosStack(dir, binary, ports);
    // Members of one hashring become ready once they see each other: start them together.
    await Promise.all([stack.receive.start(), stack.replica?.start()]);
    await stack.store.start();
    await stack.query.start();
    return stack;
  }

  /** Where the service forwards remote_write (METRICS_WRITE_URL). */
  get writeUrl(): string {
    return `http://127.0.0.1:${this.ports.receive.remoteWrite}/api/v1/receive`;
  }

  /** thanos query's Prometheus HTTP API (METRICS_QUERY_URL). */
  get queryUrl(): string {
    return `http://127.0.0.1:${this.ports.query.http}`;
  }

  /** The service's settings for this stack, as docker-compose.yml gives them to the service. */
  serviceEnv(): Record<string, string> {
    return {
      METRICS_WRITE_URL: this.writeUrl,
      METRICS_QUERY_URL: this.queryUrl,
      METRICS_TENANT_HEADER: 'THANOS-TENANT',
      METRICS_BACKEND: 'thanos',
    };
  }

  /** A query as one tenant (THANOS-TENANT header); thanos query enforces it. */
  async instant(tenant: string, promql: string): Promise<PromSeries[]> {
    const response = await fetch(`${this.queryUrl}/api/v1/query?${new URLSearchParams({ query: promql })}`, {
      headers: { 'THANOS-TENANT': tenant },
    });
    const body = (await response.json()) as {
      status: string;
      data: { result: PromSeries[] };
      error?: string;
    };
    if (body.status !== 'success') throw new Error(`thanos query: ${body.error ?? response.status}`);
    return body.data.result;
  }

  async dispose(): Promise<void> {
    await this.query.stop();
    await this.store.stop();
    await this.receive.stop();
    await this.replica?.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
