import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../package-root';

/** A ready-to-run example operation, shown as a GraphiQL tab. */
export interface ExampleQuery {
  name: string;
  query: string;
}

/** Reads `examples/*.graphql` (the same files codegen types), in name order. */
export function loadExampleQueries(dir = path.join(packageRoot(__dirname), 'examples')): ExampleQuery[] {
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => ({
      name: file.replace(/\.graphql$/, ''),
      query: fs.readFileSync(path.join(dir, file), 'utf8'),
    }));
}
