/**
 * The folders of lib/ form layers (README, "Architecture"): a folder imports only folders on a lower
 * floor, so no two folders import each other. This scans every relative import of lib/ and checks the
 * graph against LAYERS, then checks the scanner itself on a small fake tree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Floor of each folder of lib/ (index.ts, the public API, is the roof). Same floor: may not import each other. */
export const LAYERS: Record<string, number> = {
  errors: 0,
  random: 1,
  backend: 2,
  samplers: 2,
  data: 2,
  models: 2,
  objectives: 3,
  metrics: 4,
  train: 5,
  viz: 5,
  landscape: 6,
  experiments: 7,
  notebook: 6,
  cli: 8,
  index: 9,
};

interface Edge {
  from: string;
  to: string;
  file: string;
  spec: string;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)[^'";]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)|require\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** The top-level area of a path under lib/: its first folder, or 'index' for files at lib/'s root. */
function areaOf(libRoot: string, file: string): string {
  const rel = path.relative(libRoot, file).split(path.sep);
  return rel.length === 1 ? 'index' : rel[0];
}

/** Every import from one area of lib/ into another. */
export function scanImports(libRoot: string): Edge[] {
  const edges: Edge[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isDirectory()) {
        if (name !== 'native' && name !== 'node_modules') walk(p);
      } else if (name.endsWith('.ts')) {
        const src = fs.readFileSync(p, 'utf8');
        for (const m of src.matchAll(IMPORT)) {
          const spec = m[1] ?? m[2] ?? m[3];
          const target = path.resolve(path.dirname(p), spec);
          if (!target.startsWith(libRoot + path.sep)) continue;
          const from = areaOf(libRoot, p);
          const to = areaOf(libRoot, fs.existsSync(target) && fs.statSync(target).isDirectory() ? path.join(target, 'index.ts') : target);
          if (from !== to) edges.push({ from, to, file: path.relative(libRoot, p), spec });
        }
      }
    }
  };
  walk(libRoot);
  return edges;
}

/** Pairs of areas importing each other, e.g. ['data <-> train']. */
export function folderCycles(edges: Edge[]): string[] {
  const has = new Set(edges.map((e) => `${e.from}>${e.to}`));
  const out = new Set<string>();
  for (const e of edges) if (has.has(`${e.to}>${e.from}`)) out.add([e.from, e.to].sort().join(' <-> '));
  return [...out];
}

/** Imports that go to the same or a higher floor, or from/to an area LAYERS does not know. */
export function layerViolations(edges: Edge[], layers: Record<string, number>): string[] {
  return edges
    .filter((e) => layers[e.from] === undefined || layers[e.to] === undefined || layers[e.to] >= layers[e.from])
    .map((e) => `lib/${e.file} (${e.from}, floor ${layers[e.from] ?? '?'}) imports ${e.spec} (${e.to}, floor ${layers[e.to] ?? '?'})`);
}

const LIB = path.resolve(__dirname, '..', 'lib');

test('layers: every folder of lib/ has a floor in LAYERS', () => {
  const folders = fs.readdirSync(LIB).filter((n) => fs.statSync(path.join(LIB, n)).isDirectory());
  assert.deepEqual(folders.filter((f) => LAYERS[f] === undefined), [], 'add the new folder to LAYERS and to README\'s architecture picture');
});

test('layers: lib/ has no import cycle between folders and imports only downwards', () => {
  const edges = scanImports(LIB);
  assert.ok(edges.length > 50, `the scan found only ${edges.length} imports between folders: is the pattern broken?`);
  assert.deepEqual(folderCycles(edges), []);
  assert.deepEqual(layerViolations(edges, LAYERS), []);
});

test('layers: the scanner finds a cycle and an upward import in a fake tree', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-layers-'));
  try {
    fs.mkdirSync(path.join(root, 'random'));
    fs.mkdirSync(path.join(root, 'train'));
    fs.writeFileSync(path.join(root, 'random', 'index.ts'), "import { x } from '../train/loop';\nexport const y = 1;\n");
    fs.writeFileSync(path.join(root, 'train', 'loop.ts'), "import { y } from '../random';\nexport { z } from './other';\nexport const x = y;\n");
    fs.writeFileSync(path.join(root, 'index.ts'), "export * from './train/loop';\n");
    const edges = scanImports(root);
    assert.deepEqual(edges.map((e) => `${e.from}>${e.to}`).sort(), ['index>train', 'random>train', 'train>random']);
    assert.deepEqual(folderCycles(edges), ['random <-> train']);
    assert.deepEqual(layerViolations(edges, { random: 1, train: 5, index: 9 }), ["lib/random/index.ts (random, floor 1) imports ../train/loop (train, floor 5)"]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
