import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Dashboard } from '../../src/http/dashboard';

// The dashboard's HTTP side over a build folder written here: which paths are the page, which
// files can be fetched, what the page hands the browser.

describe('Dashboard', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cloudtuner-web-'));
  const script = 'console.log("dashboard");\n'.repeat(20);
  let server: http.Server;
  let base: string;

  function writeBuild(name: string): void {
    fs.writeFileSync(path.join(dir, `${name}.js`), script);
    fs.writeFileSync(path.join(dir, `${name}.js.gz`), gzipSync(script));
    fs.writeFileSync(path.join(dir, 'app-S.css'), 'body{}');
    fs.writeFileSync(path.join(dir, 'app-S.css.gz'), gzipSync('body{}'));
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'not listed');
    const manifest = {
      script: `${name}.js`,
      style: 'app-S.css',
      files: {
        [`${name}.js`]: { bytes: script.length, gzipBytes: 0 },
        'app-S.css': { bytes: 6, gzipBytes: 0 },
      },
    };
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  }

  /** A raw request: the path is sent as given, not normalised as fetch would. */
  function get(
    pathname: string,
    headers: Record<string, string> = {},
    method = 'GET',
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const request = http.request(`${base}${pathname}`, { method, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
      });
      request.on('error', reject);
      request.end();
    });
  }

  beforeAll(async () => {
    writeBuild('app-A');
    const dashboard = new Dashboard({ dir, demoToken: 'ctk_demo</script><script>alert(1)</script>' });
    server = http.createServer((req, res) => {
      const pathname = (req.url ?? '/').split('?')[0] as string;
      dashboard
        .handle(req, res, pathname)
        .then((handled) => {
          if (!handled) res.writeHead(404).end('not found');
        })
        .catch(() => res.writeHead(500).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page at / and at each view path, never cached, under a same-origin CSP', async () => {
    for (const view of ['/', '/expenses', '/clusters', '/clusters/f1a3c5e7', '/imports', '/imports/']) {
      const response = await get(`${view}?start=2026-11-01&end=2026-11-30`);
      expect({ view, status: response.status }).toEqual({ view, status: 200 });
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.body.toString()).toContain('<script type="module" src="/assets/app-A.js"></script>');
    }
    for (const other of ['/graphql', '/clusters/a/b', '/favicon.ico', '/expenses/x']) {
      expect({ other, status: (await get(other)).status }).toEqual({ other, status: 404 });
    }
    expect((await get('/', {}, 'POST')).status).toBe(404);
  });

  it('hands the demo token over as JSON data that cannot end its script element', async () => {
    const html = (await get('/')).body.toString();
    const match = /<script type="application\/json" id="cloudtuner-config">(.*)<\/script>/.exec(html);
    expect(match?.[1]).not.toContain('</script>');
    expect(JSON.parse(match?.[1] as string)).toEqual({
      graphqlPath: '/graphql',
      demoToken: 'ctk_demo</script><script>alert(1)</script>',
    });
    // Without a demo token the page carries none.
    const plain = new Dashboard({ dir });
    const res = { writeHead: jest.fn().mockReturnThis(), end: jest.fn() };
    await plain.handle({ method: 'GET', headers: {} } as http.IncomingMessage, res as never, '/');
    expect(String(res.end.mock.calls[0]?.[0])).toContain('{"graphqlPath":"/graphql"}');
  });

  it('serves only the files the manifest names: gzipped when accepted, cached for a year', async () => {
    const gzipped = await get('/assets/app-A.js', { 'accept-encoding': 'gzip, deflate' });
    expect(gzipped.status).toBe(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(gunzipSync(gzipped.body).toString()).toBe(script);
    const plain = await get('/assets/app-A.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.body.toString()).toBe(script);
    for (const name of [
      'secret.txt',
      'manifest.json',
      '..%2Fsecret.txt',
      '../secret.txt',
      'app-A.js.gz',
      'toString',
    ]) {
      expect({ name, status: (await get(`/assets/${name}`)).status }).toEqual({ name, status: 404 });
    }
  });

  it('serves a new build at once, and says so plainly when there is none', async () => {
    writeBuild('app-B');
    // mtime resolution: make sure the manifest is seen as changed.
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(path.join(dir, 'manifest.json'), later, later);
    expect((await get('/')).body.toString()).toContain('/assets/app-B.js');
    expect((await get('/assets/app-B.js')).status).toBe(200);
    fs.rmSync(path.join(dir, 'manifest.json'));
    const missing = await get('/expenses');
    expect(missing.status).toBe(503);
    expect(missing.body.toString()).toContain('npm run build');
  });
});
