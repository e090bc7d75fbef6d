import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { streamFile } from './stream-file';

/** What the GraphiQL page talks to and which example operations it opens with. */
export interface GraphiQLOptions {
  endpoint: string;
  defaultHeaders?: Record<string, string>;
  examples: { name: string; query: string; variables?: Record<string, unknown> }[];
}

const ASSET_PREFIX = '/graphiql/assets/';

interface AssetSource {
  pkg: string;
  file: string;
  contentType: string;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

// The only files this route will ever serve; lookups are by exact name so no URL can reach anything else.
const ASSETS: ReadonlyMap<string, AssetSource> = new Map([
  ['react.production.min.js', { pkg: 'react', file: 'umd/react.production.min.js', contentType: JS }],
  [
    'react-dom.production.min.js',
    { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', contentType: JS },
  ],
  ['graphiql.min.js', { pkg: 'graphiql', file: 'graphiql.min.js', contentType: JS }],
  ['graphiql.min.css', { pkg: 'graphiql', file: 'graphiql.min.css', contentType: CSS }],
]);

const CACHE_CONTROL = 'public, max-age=86400';

/** Renders the standalone GraphiQL HTML page; every script and stylesheet is served locally. */
export function renderGraphiQLPage(options: GraphiQLOptions): string {
  const headers = options.defaultHeaders ? JSON.stringify(options.defaultHeaders, null, 2) : undefined;
  const config = {
    endpoint: options.endpoint,
    defaultHeaders: headers,
    // Each tab carries the headers too: GraphiQL only applies `defaultHeaders` to tabs opened later.
    tabs: options.examples.map((example) => ({
      query: exampleQuery(example.name, example.query),
      variables: example.variables ? JSON.stringify(example.variables, null, 2) : undefined,
      headers,
    })),
  };

  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex">
    <title>GraphiQL</title>
    <link rel="stylesheet" href="${ASSET_PREFIX}graphiql.min.css">
    <style>
      html, body { height: 100%; margin: 0; }
      #graphiql { height: 100vh; }
    </style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script src="${ASSET_PREFIX}react.production.min.js"></script>
    <script src="${ASSET_PREFIX}react-dom.production.min.js"></script>
    <script src="${ASSET_PREFIX}graphiql.min.js"></script>
    <script>
      (function () {
        var config = ${scriptJson(config)};
        var props = {
          fetcher: GraphiQL.createFetcher({ url: config.endpoint }),
          defaultHeaders: config.defaultHeaders,
          // Headers usually hold a bearer token; keeping them out of localStorage is the safe default.
          shouldPersistHeaders: false
        };
        if (config.tabs.length > 0) props.defaultTabs = config.tabs;
        ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, props));
      })();
    </script>
  </body>
</html>
`;
}

/** Maps one of the four known asset URLs to its file inside node_modules; anything else is null. */
export function resolveGraphiQLAsset(urlPath: string): { filePath: string; contentType: string } | null {
  // Query strings are cache busters at most; the path alone decides which file is meant.
  const pathname = urlPath.split(/[?#]/, 1)[0] ?? '';
  if (!pathname.startsWith(ASSET_PREFIX)) return null;
  const source = ASSETS.get(pathname.slice(ASSET_PREFIX.length));
  if (!source) return null;
  // Via package.json because react's `exports` map hides its umd/ folder from require.resolve.
  const packageDir = path.dirname(require.resolve(`${source.pkg}/package.json`));
  return { filePath: path.join(packageDir, source.file), contentType: source.contentType };
}

/** Streams a GraphiQL asset with a day-long cache; resolves false when the path is not one. */
export async function serveGraphiQLAsset(urlPath: string, res: ServerResponse): Promise<boolean> {
  const asset = resolveGraphiQLAsset(urlPath);
  if (!asset) return false;
  // Stat before writing headers so a broken install surfaces as an error the caller can still answer.
  const { size } = await fs.promises.stat(asset.filePath);
  await streamFile(res, asset.filePath, size, {
    'Content-Type': asset.contentType,
    'Cache-Control': CACHE_CONTROL,
    'X-Content-Type-Options': 'nosniff',
  });
  return true;
}

// A comment line naming the example, so the tab title and the editor both say what it is.
function exampleQuery(name: string, query: string): string {
  const label = name.replace(/[\r\n\u2028\u2029]+/g, ' ').trim();
  return label ? `# ${label}\n${query}` : query;
}

// JSON is a JS expression, but inside <script> the HTML parser ends the block at `</script` or trips on
// `<!--`, so `<`, `>` and `&` are escaped; U+2028/2029 are escaped for pre-ES2019 parsers.
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => {
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
