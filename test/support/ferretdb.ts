import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './prometheus';
import { goTool } from './thanos';

/**
 * A real MongoDB-protocol server for the tests: FerretDB 1.x over a throwaway SQLite folder,
 * built from the Go module proxy by scripts/build-go-tools.sh (MongoDB itself runs in compose).
 */
export class FerretDb {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    private log: () => string,
  ) {}

  static async start(): Promise<FerretDb> {
    const binary = goTool('ferretdb');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferretdb-'));
    const port = await freePort();
    const debugPort = await freePort();
    let log = '';
    const child = spawn(
      binary,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${dir}/`,
        `--listen-addr=127.0.0.1:${port}`,
        `--debug-addr=127.0.0.1:${debugPort}`,
        '--telemetry=disable',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`ferretdb exited ${child.exitCode}:\n${log}`);
      const open = await new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => socket.end(() => resolve(true)));
        socket.once('error', () => resolve(false));
      });
      if (open) break;
      if (Date.now() > deadline) throw new Error(`ferretdb not listening after 30 s:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return new FerretDb(child, dir, port, () => log);
  }

  /** A database of its own for a test file. */
  url(database: string): string {
    return `mongodb://127.0.0.1:${this.port}/${database}`;
  }

  get output(): string {
    return this.log();
  }

  async dispose(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
