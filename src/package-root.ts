import fs from 'node:fs';
import path from 'node:path';

/**
 * The folder holding package.json above `from`. Files shipped beside the code (.sql migrations,
 * example queries) are found from here, whether running compiled from dist/ or from source.
 */
export function packageRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}
