/**
 * Downloads a dataset into DIR/<name>/ (default DIR: this data/ folder), verifying the official
 * checksums. Needs internet access (this project's build machines have none).
 *   node -r ts-node/register/transpile-only data/fetch.ts <name> [DIR] [--keep-archives]
 *   node -r ts-node/register/transpile-only data/fetch.ts --list
 */
import * as path from 'node:path';
import { FETCH_RECIPES, fetchDataset } from '../lib/data/fetch';
import { isUserError } from '../lib/errors';

async function main(argv: string[]): Promise<number> {
  const flags = argv.filter((a) => a.startsWith('--'));
  const [name, dir = path.join(__dirname)] = argv.filter((a) => !a.startsWith('--'));
  const unknown = flags.filter((f) => f !== '--list' && f !== '--keep-archives');
  if (unknown.length) throw new Error(`unknown option ${unknown[0]}: use --list or --keep-archives`);
  if (flags.includes('--list') || !name) {
    for (const [n, r] of Object.entries(FETCH_RECIPES)) console.log(`${n.padEnd(14)} ${r.manual ? 'manual: ' + r.manual.replace(/DIR/g, dir) : r.files.map((f) => f.url).join(' ')}`);
    if (!name && !flags.includes('--list')) console.error('usage: node -r ts-node/register/transpile-only data/fetch.ts <name> [DIR] [--keep-archives] | --list');
    return flags.includes('--list') ? 0 : 2;
  }
  const target = await fetchDataset(name, dir, { keepArchives: flags.includes('--keep-archives'), log: (l) => console.log(l) });
  console.log(`${name} is in ${target}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(isUserError(e) ? `error: ${e.message}` : e);
    process.exit(isUserError(e) ? 2 : 1);
  },
);
