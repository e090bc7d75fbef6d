#!/usr/bin/env node
// Builds the dashboard (web/src) into dist/web with esbuild: one JavaScript and one CSS file
// with content hashes in their names (served with a year-long cache), a gzipped copy of each
// (served to browsers that accept gzip), and manifest.json, which tells the server the names and
// records each file's size, raw and gzipped (BENCHMARKS.md quotes it). `npm run build` runs it.
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const esbuild = require('esbuild');

const ROOT = path.resolve(__dirname, '..');

async function buildWeb({ outDir = path.join(ROOT, 'dist', 'web') } = {}) {
  fs.rmSync(outDir, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: { app: path.join(ROOT, 'web', 'src', 'main.tsx') },
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    outdir: outDir,
    entryNames: '[name]-[hash]',
    metafile: true,
    legalComments: 'linked',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  const files = {};
  for (const output of Object.keys(result.metafile.outputs)) {
    const file = path.resolve(ROOT, output);
    const name = path.basename(file);
    const bytes = fs.readFileSync(file);
    const gzipped = zlib.gzipSync(bytes, { level: 9 });
    if (!name.endsWith('.map')) fs.writeFileSync(`${file}.gz`, gzipped);
    files[name] = { bytes: bytes.length, gzipBytes: gzipped.length };
  }
  const names = Object.keys(files);
  const manifest = {
    script: names.find((n) => /^app-.*\.js$/.test(n)),
    style: names.find((n) => /^app-.*\.css$/.test(n)),
    files,
  };
  if (!manifest.script || !manifest.style) throw new Error(`unexpected build output: ${names.join(', ')}`);
  fs.writeFileSync(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

module.exports = { buildWeb };

if (require.main === module) {
  buildWeb()
    .then((manifest) => {
      for (const name of [manifest.script, manifest.style]) {
        const { bytes, gzipBytes } = manifest.files[name];
        console.log(`dist/web/${name}: ${(bytes / 1024).toFixed(1)} KiB, ${(gzipBytes / 1024).toFixed(1)} KiB gzipped`);
      }
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
