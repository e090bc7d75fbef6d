import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A free TCP port on 127.0.0.1 (bound and released, so a process started next can take it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Waits until a child process answers `url` with 2xx; fails early when it exits, and after
 * `timeoutMs`, with what it logged.
 */
export async function waitForReady(
  child: ChildProcess,
  url: string,
  what: string,
  log: () => string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited ${child.exitCode}:\n${log()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} not ready after ${timeoutMs / 1000} s:\n${log()}`);
}

/**
 * prometheus.yml of a customer's Prometheus: scrape one local target every second and
 * remote_write it to the service with a cluster's credentials, sending promptly.
 */
export function senderConfig(options: {
  targetPort: number;
  writeUrl: string;
  clusterId: string;
  secret: string;
  /** Extra lines of the scrape job (indented 4). */
  scrape?: string[];
  /** Extra lines of the remote_write entry (indented 4). */
  remoteWrite?: string[];
}): string {
  const indent = (lines: string[] = []) => lines.map((line) => `    ${line}\n`).join('');
  return `scrape_configs:
  - job_name: app
${indent(options.scrape)}    static_configs:
      - targets: ['127.0.0.1:${options.targetPort}']
remote_write:
  - url: '${options.writeUrl}'
${indent(options.remoteWrite)}    basic_auth:
      username: '${options.clusterId}'
      password: '${options.secret}'
    queue_config:
      batch_send_deadline: 1s
      min_backoff: 100ms
      max_backoff: 1s
`;
}

export interface PrometheusOptions {
  /** Extra YAML for prometheus.yml (scrape_configs, remote_write...). Default: no scraping. */
  config?: string;
  /** Accept remote_write (the receiver role). Default true. */
  remoteWriteReceiver?: boolean;
  /** Keep the TSDB in this folder (to restart on the same data); default a new temp folder. */
  dataDir?: string;
  port?: number;
  /** Extra command-line flags. */
  flags?: string[];
  /** Another prometheus binary (Prometheus 3.x from scripts/build-go-tools.sh); default Debian's. */
  binary?: string;
}

/** Vector or range-vector result of the Prometheus HTTP query API. */
export interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

/**
 * A real `prometheus` binary (Debian package) run by a test: as the remote_write receiver the
 * service forwards to, or as the sender scraping a fixture exporter.
 */
export class PrometheusProcess {
  private child?: ChildProcess;
  private log = '';
  readonly dataDir: string;
  readonly configFile: string;

  private constructor(
    readonly port: number,
    private readonly options: PrometheusOptions,
  ) {
    this.dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'prom-data-'));
    this.configFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'prom-conf-')), 'prometheus.yml');
  }

  /** Starts Prometheus and waits until it answers /-/ready. */
  static async start(options: PrometheusOptions = {}): Promise<PrometheusProcess> {
    const prometheus = new PrometheusProcess(options.port ?? (await freePort()), options);
    await prometheus.launch();
    return prometheus;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The remote_write receiver endpoint. */
  get writeUrl(): string {
    return `${this.url}/api/v1/write`;
  }

  get output(): string {
    return this.log;
  }

  private async launch(): Promise<void> {
    fs.writeFileSync(
      this.configFile,
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n${this.options.config ?? ''}\n`,
    );
    const flags = [
      `--config.file=${this.configFile}`,
      `--storage.tsdb.path=${this.dataDir}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
      '--log.level=warn',
      ...(this.options.remoteWriteReceiver === false ? [] : ['--web.enable-remote-write-receiver']),
      ...(this.options.flags ?? []),
    ];
    this.log = '';
    const child = spawn(this.options.binary ?? 'prometheus', flags, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    await waitForReady(child, `${this.url}/-/ready`, 'prometheus', () => this.log);
  }

  /** Stops the process (SIGTERM, then SIGKILL after 10 s); the data folder is kept. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Starts it again on the same port and data folder (a backend coming back). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Stops it and deletes its folders. */
  async dispose(): Promise<void> {
    await this.stop();
    if (!this.options.dataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
    fs.rmSync(path.dirname(this.configFile), { recursive: true, force: true });
  }

  /** Instant query; throws on an API error. */
  async query(promql: string, time?: Date): Promise<PromSeries[]> {
    const params = new URLSearchParams({ query: promql });
    if (time) params.set('time', String(time.getTime() / 1000));
    return (await this.api<{ result: PromSeries[] }>(`/api/v1/query?${params}`)).result;
  }

  /** Every series matching a selector (the /api/v1/series endpoint). */
  async series(
    match: string,
    start = new Date(Date.now() - 86_400_000),
    end = new Date(),
  ): Promise<Record<string, string>[]> {
    const params = new URLSearchParams({
      'match[]': match,
      start: String(start.getTime() / 1000),
      end: String(end.getTime() / 1000),
    });
    return this.api(`/api/v1/series?${params}`);
  }

  private async api<T>(pathAndQuery: string): Promise<T> {
    const response = await fetch(`${this.url}${pathAndQuery}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success')
      throw new Error(`prometheus ${pathAndQuery}: ${body.error ?? response.status}`);
    return body.data;
  }
}
