import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { packageRoot } from '../../src/package-root';

const ROOT = packageRoot(__dirname);
const SAMPLE = path.resolve(ROOT, '..', 'shared', 'data', 'focus', 'focus-1.0-sample.csv');
const GENERATOR_VERSION = 1;

/**
 * A FOCUS file for the benchmarks, `<dir>/focus-<rows>-<resources>.csv` (streamed to disk, kept
 * for later runs): the shared sample's 1,000 rows as templates over `resources` resources
 * (ResourceId suffixed, templates without one stay unattributed) x 30 days of September 2024,
 * hourly periods.
 */
export async function ensureFocusFile(dir: string, rows: number, resources: number): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `focus-${rows}-${resources}.csv`);
  const marker = `${file}.v${GENERATOR_VERSION}.done`;
  if (fs.existsSync(file) && fs.existsSync(marker)) return file;
  process.stderr.write(`generating ${path.relative(ROOT, file)} (${rows} rows) ...\n`);
  const sample = parseCsvSync(fs.readFileSync(SAMPLE)) as string[][];
  const header = sample[0] as string[];
  const templates = sample.slice(1);
  const col = (name: string) => header.indexOf(name);
  const [rid, start, end] = [col('ResourceId'), col('ChargePeriodStart'), col('ChargePeriodEnd')];
  const quote = (v: string) => (v === 'NULL' ? 'NULL' : `"${v.replace(/"/g, '""')}"`);
  // Every template row as quoted cells, with its variable cells left to fill.
  const cells = templates.map((t) => t.map(quote));
  const out = fs.createWriteStream(file);
  out.write(`${header.map(quote).join(',')}\n`);
  const perDay = resources * 30;
  let batch: string[] = [];
  for (let i = 0; i < rows; i++) {
    const resource = i % resources;
    const day = Math.floor(i / resources) % 30;
    const hour = Math.floor(i / perDay) % 24;
    const template = templates[resource % templates.length] as string[];
    const line = [...(cells[resource % templates.length] as string[])];
    if (template[rid] !== 'NULL') line[rid] = quote(`${template[rid]}-${resource}`);
    const d = String(day + 1).padStart(2, '0');
    const h = String(hour).padStart(2, '0');
    line[start] = `"2024-09-${d} ${h}:00:00"`;
    line[end] =
      hour === 23 ? `"2024-09-${d} 23:59:59"` : `"2024-09-${d} ${String(hour + 1).padStart(2, '0')}:00:00"`;
    batch.push(line.join(','));
    if (batch.length === 5000) {
      if (!out.write(`${batch.join('\n')}\n`)) await once(out, 'drain');
      batch = [];
    }
  }
  if (batch.length) out.write(`${batch.join('\n')}\n`);
  out.end();
  await once(out, 'finish');
  fs.writeFileSync(marker, '');
  return file;
}
