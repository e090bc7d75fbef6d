import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { peakRssBytes, processCpuMs } from './proc';

/** A `prometheus` binary serving an existing TSDB folder read-mostly (no scraping). */
export class PrometheusServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly configDir: string,
  ) {}

  /**
   * `cpus`: the cores Prometheus may run on (a `taskset -c` list such as "1"); Go then sizes
   * GOMAXPROCS to them. Unset: every core.
   */
  static async start(
    tsdbDir: string,
    extraFlags: string[] = [],
    options: { cpus?: string } = {},
  ): Promise<PrometheusServer> {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as net.AddressInfo;
        server.close(() => resolve(free));
      });
    });
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-prom-'));
    const configFile = path.join(configDir, 'prometheus.yml');
    fs.writeFileSync(configFile, 'global:\n  scrape_interval: 1m\n');
    const args = [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${tsdbDir}`,
      // Old data stays (the day is fixed), and the 2-hour blocks stay as generated: no
      // background compaction competes with the measurements.
      '--storage.tsdb.retention.time=100y',
      '--storage.tsdb.min-block-duration=2h',
      '--storage.tsdb.max-block-duration=2h',
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...extraFlags,
    ];
    // taskset execs prometheus in its own process, so the pid (and /proc CPU time) is Prometheus'.
    const child = options.cpus
      ? spawn('taskset', ['-c', options.cpus, 'prometheus', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn('prometheus', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}:\n${log}`);
      try {
        if ((await fetch(`${url}/-/ready`)).ok) return new PrometheusServer(child, url, configDir);
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    child.kill('SIGKILL');
    throw new Error(`prometheus not ready after 120 s:\n${log}`);
  }

  /** CPU time (user + system) Prometheus has used so far, in ms; null without /proc. */
  /** Prometheus' peak resident memory so far, in bytes. */
  peakRssBytes(): number | null {
    return peakRssBytes(this.child.pid);
  }

  cpuMs(): number | null {
    return processCpuMs(this.child.pid);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(this.configDir, { recursive: true, force: true });
  }
}
