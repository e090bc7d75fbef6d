import fs from 'node:fs';
import path from 'node:path';

/**
 * The folders follow the data paths and depend only downwards (README, "Where things are"). This
 * reads every relative import under src/ and checks it against the layers below: a folder may
 * import its own files and any folder of a lower layer, never one of its own layer or above.
 */
const LAYERS: string[][] = [
  // Leaves: the model, ports and rules; errors and the logger; nothing below them.
  ['domain', 'errors', 'logger', 'package-root', 'generated'],
  // One folder per data path, each reaching the others only through domain ports.
  ['store', 'k8s-cost', 'ingest', 'import', 'jobs', 'alerts'],
  ['services', 'schema'],
  ['resolvers', 'demo'],
  ['http'],
  // The composition root and the operator CLI, which parse config and wire everything.
  ['main', 'config', 'cli'],
];

const SRC = path.resolve(__dirname, '../../src');

function unitOf(file: string): string {
  const relative = path.relative(SRC, file);
  const [first] = relative.split(path.sep);
  return (first ?? '').replace(/\.ts$/, '');
}

function layerOf(unit: string): number {
  const index = LAYERS.findIndex((layer) => layer.includes(unit));
  if (index < 0) throw new Error(`src/${unit} belongs to no layer: add it to LAYERS`);
  return index;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((m) =>
    path.resolve(path.dirname(file), m[1] as string),
  );
}

describe('folder dependencies', () => {
  const files = sourceFiles(SRC);

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('every import points to the same folder or a lower layer', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = unitOf(file);
      for (const target of importsOf(file)) {
        const to = unitOf(target);
        if (to === from) continue;
        // The composition root may wire everything; nothing else may reach a layer not below it.
        if (from === 'main' || from === 'cli') continue;
        if (layerOf(to) >= layerOf(from)) {
          violations.push(`${path.relative(SRC, file)} -> ${path.relative(SRC, target)}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
