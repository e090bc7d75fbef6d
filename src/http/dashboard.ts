import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { streamFile } from './stream-file';
import { packageRoot } from '../package-root';
import { scriptJson } from './graphiql';

/** What `scripts/build-web.js` wrote beside the bundle: the file names and their sizes. */
export interface DashboardManifest {
  script: string;
  style: string;
  files: Record<string, { bytes: number; gzipBytes: number }>;
}

/** The paths that open the dashboard (its views); the rest of the URL is the view's state. */
const VIEW_PATHS = /^\/(?:expenses|clusters(?:\/[^/]+)?|imports|budgets)?\/?$/;
const ASSET_PREFIX = '/assets/';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

// The page runs only its own script and talks only to this origin; ECharts sets inline styles.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The web dashboard: its HTML page at `/` and the view paths, and its built assets under
 * /assets/. The assets come from dist/web (built by `npm run build`); only the files the
 * manifest names are ever served.
 */
export class Dashboard {
  private manifest: { mtimeMs: number; value: DashboardManifest } | null = null;

  constructor(
    private readonly options: {
      /** Under `serve --demo`: handed to the page, which opens signed in as the demo organization. */
      demoToken?: string;
      /** Where the built dashboard is (default: dist/web of this package). */
      dir?: string;
    } = {},
  ) {}

  private get dir(): string {
    return this.options.dir ?? path.join(packageRoot(__dirname), 'dist', 'web');
  }

  /** The manifest, read again whenever it changes: a build while the server runs is served at once. */
  private load(): DashboardManifest | null {
    const file = path.join(this.dir, 'manifest.json');
    try {
      const { mtimeMs } = fs.statSync(file);
      if (this.manifest?.mtimeMs !== mtimeMs) {
        this.manifest = { mtimeMs, value: JSON.parse(fs.readFileSync(file, 'utf8')) as DashboardManifest };
      }
    } catch {
      this.manifest = null;
    }
    return this.manifest?.value ?? null;
  }

  /** Answers the request when it is the dashboard's; resolves false when it is not. */
  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return false;
    if (VIEW_PATHS.test(pathname)) {
      this.page(res, method);
      return true;
    }
    if (pathname.startsWith(ASSET_PREFIX)) return this.asset(req, res, pathname.slice(ASSET_PREFIX.length));
    return false;
  }

  private page(res: ServerResponse, method: string): void {
    const manifest = this.load();
    if (!manifest) {
      res
        .writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
        .end(
          method === 'HEAD'
            ? undefined
            : 'The dashboard is not built: run `npm run build`. GraphiQL is at /graphql.\n',
        );
      return;
    }
    const body = renderDashboardPage(manifest, { demoToken: this.options.demoToken });
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      // The page may carry the demo token and names the current build: never cached.
      'cache-control': 'no-store',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(method === 'HEAD' ? undefined : body);
  }

  private async asset(req: IncomingMessage, res: ServerResponse, name: string): Promise<boolean> {
    const manifest = this.load();
    // Exact names from the manifest only: nothing else under dist/web, or beyond it, is reachable.
    if (!manifest || !Object.hasOwn(manifest.files, name)) return false;
    const contentType = CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream';
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && !name.endsWith('.map');
    const file = path.join(this.dir, gzip ? `${name}.gz` : name);
    let size: number;
    try {
      size = (await fs.promises.stat(file)).size;
    } catch {
      return false;
    }
    await streamFile(res, file, size, {
      'content-type': contentType,
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      vary: 'accept-encoding',
      // The names carry a content hash: a new build has new names.
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    });
    return true;
  }
}

/** The dashboard's HTML: its stylesheet, its module script, and its configuration as JSON data. */
export function renderDashboardPage(manifest: DashboardManifest, options: { demoToken?: string }): string {
  const config = { graphqlPath: '/graphql', ...(options.demoToken ? { demoToken: options.demoToken } : {}) };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex">
    <link rel="icon" href="data:,">
    <title>CloudTuner · costs</title>
    <link rel="stylesheet" href="${ASSET_PREFIX}${manifest.style}">
    <script type="module" src="${ASSET_PREFIX}${manifest.script}"></script>
  </head>
  <body>
    <div id="root"><noscript>The dashboard needs JavaScript. The API is at /graphql.</noscript></div>
    <script type="application/json" id="cloudtuner-config">${scriptJson(config)}</script>
  </body>
</html>
`;
}
