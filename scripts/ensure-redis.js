#!/usr/bin/env node
// Makes sure a Redis answers at REDIS_URL (default redis://127.0.0.1:6379) before `npm run dev`
// or the tests: PING it; if nothing answers on this machine and a `redis-server` binary exists,
// start one in the background (`--daemonize yes --save ""`: no disk snapshots) on the URL's port.
// A remote host that does not answer is reported, never "fixed".
const net = require('node:net');
const { spawnSync } = require('node:child_process');
const { URL } = require('node:url');
const { setTimeout: sleep } = require('node:timers/promises');

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Resolves true when something at host:port answers PING with +PONG within the timeout. */
function ping(host, port, password, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let answer = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => {
      if (password) socket.write(`AUTH ${password}\r\n`);
      socket.write('PING\r\n');
    });
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('+PONG')) done(true);
      else if (answer.includes('-')) done(answer.includes('NOAUTH') ? true : false);
    });
  });
}

async function ensureRedis(url = process.env.REDIS_URL || 'redis://127.0.0.1:6379') {
  const parsed = new URL(url);
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || 6379);
  const password = parsed.password ? decodeURIComponent(parsed.password) : '';
  if (await ping(host, port, password)) return { started: false, host, port };
  if (!LOCAL_HOSTS.has(host) || parsed.protocol !== 'redis:') {
    throw new Error(`Redis at ${url} does not answer; start it or set REDIS_URL`);
  }
  const which = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (which.error || which.status !== 0) {
    throw new Error(
      `Redis at ${url} does not answer and no redis-server is installed: install Redis (apt install redis-server) or set REDIS_URL`,
    );
  }
  const args = ['--daemonize', 'yes', '--save', '', '--appendonly', 'no', '--port', String(port)];
  if (host !== 'localhost') args.push('--bind', host.replace(/^\[|\]$/g, ''));
  if (password) args.push('--requirepass', password);
  const started = spawnSync('redis-server', args, { encoding: 'utf8' });
  if (started.status !== 0)
    throw new Error(`redis-server failed to start: ${started.stderr || started.stdout}`);
  for (let i = 0; i < 50; i++) {
    if (await ping(host, port, password)) return { started: true, host, port };
    await sleep(100);
  }
  throw new Error(`started redis-server on port ${port}, but it does not answer`);
}

module.exports = { ensureRedis };

if (require.main === module) {
  ensureRedis()
    .then(({ started, host, port }) => {
      if (started) console.log(`started a local redis-server on ${host}:${port} (no persistence)`);
    })
    .catch((error) => {
      console.error(error.message);
      process.exit(1);
    });
}
