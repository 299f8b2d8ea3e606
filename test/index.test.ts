/**
 * lib/index.ts is a curated public API: named exports per area, no `export *`, and every name the
 * notebooks use (`dtri.X`, values and types) is among them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as dtri from '../lib/index';

const ROOT = path.resolve(__dirname, '..');
const source = fs.readFileSync(path.join(ROOT, 'lib', 'index.ts'), 'utf8');

/** Every `dtri.X` of every notebook's code cells. */
function notebookNames(): Set<string> {
  const names = new Set<string>();
  const dir = path.join(ROOT, 'notebooks');
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ipynb'))) {
    const nb = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { cells: { cell_type: string; source: string[] | string }[] };
    for (const c of nb.cells.filter((x) => x.cell_type === 'code')) {
      const text = Array.isArray(c.source) ? c.source.join('') : c.source;
      for (const m of text.matchAll(/\bdtri\.([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]);
    }
  }
  return names;
}

test('the public API names its exports: no export * in lib/index.ts', () => {
  assert.doesNotMatch(source, /export \* from/);
  assert.ok(Object.keys(dtri).length > 50 && Object.keys(dtri).length < 250, `${Object.keys(dtri).length} exports`);
});

test('every dtri.X the notebooks use is exported (values at run time, types by name)', () => {
  const exportedTypes = new Set([...source.matchAll(/export type \{([^}]*)\}/g)].flatMap((m) => m[1].split(',').map((s) => s.trim())));
  const missing = [...notebookNames()].filter((n) => !(n in dtri) && !exportedTypes.has(n));
  assert.deepEqual(missing, [], `not exported by lib/index.ts: ${missing.join(', ')}`);
});

test('every experiment recipe is a namespace of the public API', () => {
  for (const ns of ['toy2d', 'generation', 'largeScale', 'highResolution', 'textures', 'dynamicTexture', 'reconstruction', 'landscape', 'incomplete', 'latentGeneration', 'ood', 'anomaly'] as const) {
    assert.equal(typeof dtri[ns], 'object', ns);
  }
  assert.ok(dtri.EXPERIMENTS.length >= 9);
});
