import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  renderGraphiQLPage,
  resolveGraphiQLAsset,
  serveGraphiQLAsset,
  type GraphiQLOptions,
} from '../../src/http/graphiql';

const ASSET_URLS = [
  '/graphiql/assets/react.production.min.js',
  '/graphiql/assets/react-dom.production.min.js',
  '/graphiql/assets/graphiql.min.js',
  '/graphiql/assets/graphiql.min.css',
];

const options: GraphiQLOptions = {
  endpoint: '/graphql',
  defaultHeaders: { Authorization: 'Bearer demo-token' },
  examples: [
    { name: 'Hello', query: '{ hello }' },
    {
      name: 'Costs by day',
      query: 'query CostsByDay($days: Int!) { costs(days: $days) { total } }',
      variables: { days: 7 },
    },
  ],
};

interface EmbeddedTab {
  query: string;
  variables?: string;
  headers?: string;
}

interface EmbeddedConfig {
  endpoint: string;
  defaultHeaders?: string;
  tabs: EmbeddedTab[];
}

// Reads the config back the way the browser would: as the JS expression inside the inline script.
function embeddedConfig(page: string): EmbeddedConfig {
  const match = /var config = (.*);\n/.exec(page);
  if (!match?.[1]) throw new Error('no embedded config');
  return JSON.parse(match[1]) as EmbeddedConfig;
}

describe('renderGraphiQLPage', () => {
  const page = renderGraphiQLPage(options);

  it('loads every script and stylesheet from the local asset route', () => {
    const urls = [...page.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(urls.sort()).toEqual([...ASSET_URLS].sort());
    expect(page).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
  });

  it('embeds the endpoint, the examples as tabs and the default headers', () => {
    const config = embeddedConfig(page);
    expect(config.endpoint).toBe('/graphql');
    const headers = JSON.parse(config.defaultHeaders ?? 'null') as unknown;
    expect(headers).toEqual({ Authorization: 'Bearer demo-token' });

    expect(config.tabs).toHaveLength(2);
    expect(config.tabs[0]?.query).toContain('{ hello }');
    expect(config.tabs[0]?.query).toContain('Hello');
    expect(config.tabs[1]?.query).toContain('query CostsByDay($days: Int!)');
    expect(JSON.parse(config.tabs[1]?.variables ?? 'null')).toEqual({ days: 7 });
    expect(config.tabs.every((tab) => tab.headers === config.defaultHeaders)).toBe(true);
    expect(page).toContain('GraphiQL.createFetcher({ url: config.endpoint })');
  });

  it('leaves GraphiQL its own default tab and headers when none are given', () => {
    const config = embeddedConfig(renderGraphiQLPage({ endpoint: '/graphql', examples: [] }));
    expect(config.tabs).toEqual([]);
    expect(config.defaultHeaders).toBeUndefined();
  });

  it('escapes example text so it cannot close the script element', () => {
    const evil = '</script><script>alert(1)</script><!-- & \u2028\u2029';
    const hostile = renderGraphiQLPage({
      endpoint: `/graphql?x=${evil}`,
      defaultHeaders: { 'X-Evil': evil },
      examples: [{ name: evil, query: `{ hello } # ${evil}`, variables: { evil } }],
    });

    // Three asset scripts plus the inline one: the payload added none of its own.
    expect(hostile.match(/<\/script/gi)).toHaveLength(4);
    expect(hostile.match(/<script/gi)).toHaveLength(4);
    expect(hostile).not.toContain('alert(1)</script>');
    expect(hostile).not.toContain('<!--');
    expect(hostile).not.toMatch(/[\u2028\u2029]/);

    // Escaping is lossless: the browser sees exactly the original strings.
    const config = embeddedConfig(hostile);
    expect(config.endpoint).toBe(`/graphql?x=${evil}`);
    expect(config.tabs[0]?.query).toContain(`{ hello } # ${evil}`);
    expect(JSON.parse(config.tabs[0]?.variables ?? 'null')).toEqual({ evil });
    expect(JSON.parse(config.defaultHeaders ?? 'null')).toEqual({ 'X-Evil': evil });
  });
});

describe('resolveGraphiQLAsset', () => {
  it.each(ASSET_URLS)('resolves %s to an existing file inside node_modules', (url) => {
    const asset = resolveGraphiQLAsset(url);
    expect(asset).not.toBeNull();
    if (!asset) return;
    expect(path.isAbsolute(asset.filePath)).toBe(true);
    expect(asset.filePath.split(path.sep)).toContain('node_modules');
    expect(path.basename(asset.filePath)).toBe(path.posix.basename(url));
    expect(fs.statSync(asset.filePath).size).toBeGreaterThan(1000);
    expect(asset.contentType).toBe(
      url.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
    );
  });

  it('ignores a cache-busting query string', () => {
    expect(resolveGraphiQLAsset('/graphiql/assets/graphiql.min.js?v=3.8.3')).toEqual(
      resolveGraphiQLAsset('/graphiql/assets/graphiql.min.js'),
    );
  });

  it.each([
    '/graphiql/assets/../../package.json',
    '/graphiql/assets/..%2F..%2Fpackage.json',
    '/graphiql/assets/%2e%2e/%2e%2e/package.json',
    '/graphiql/assets/../assets/graphiql.min.js',
    '/graphiql/assets//graphiql.min.js',
    '/graphiql/assets/graphiql.min.js.map',
    '/graphiql/assets/graphiql.js',
    '/graphiql/assets/react.development.js',
    '/graphiql/assets/',
    '/graphiql/assets',
    '/graphiql.min.js',
    '/other/graphiql/assets/graphiql.min.js',
    '',
  ])('returns null for %j', (url) => {
    expect(resolveGraphiQLAsset(url)).toBeNull();
  });
});

describe('serveGraphiQLAsset', () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      serveGraphiQLAsset(req.url ?? '', res).then(
        (served) => {
          if (!served) res.writeHead(404).end();
        },
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  });

  it('streams the file with its content type and a day-long cache', async () => {
    const response = await fetch(`${base}/graphiql/assets/graphiql.min.css`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=86400');
    const asset = resolveGraphiQLAsset('/graphiql/assets/graphiql.min.css');
    expect(await response.text()).toBe(fs.readFileSync(asset?.filePath ?? '', 'utf8'));
  });

  it('answers HEAD with headers only', async () => {
    const response = await fetch(`${base}/graphiql/assets/react.production.min.js`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(1000);
    expect(await response.text()).toBe('');
  });

  it('declines paths that are not assets', async () => {
    const response = await fetch(`${base}/graphiql/assets/nope.js`);
    expect(response.status).toBe(404);
  });
});
