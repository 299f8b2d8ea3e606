import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderResultsMarkdown, updateReadmeResults, readResults } from '../../lib/notebook/results';
import { scaleFromEnv, resultsDir, projectRoot } from '../../lib/notebook/session';
import type { NotebookResults } from '../../lib/notebook/session';

const sample: NotebookResults = {
  experiment: '§4.2 test reconstruction',
  notebook: '06-test-reconstruction',
  preset: 'cpu',
  dataset: 'fashion-mnist',
  backend: 'native',
  date: '2026-11-21',
  seconds: 12,
  metrics: { mseTriangle: 0.0123 },
  rows: [{ metric: 'MSE per pixel, [-1,1]', setting: 'triangle | F-MNIST', ours: 0.0123456, paper: 0.009, note: 'width 0.25' }],
  paper: 'divergence-triangle',
};

test('renderResultsMarkdown puts ours next to the paper with preset, backend and date', () => {
  const md = renderResultsMarkdown([sample]);
  const row = md.split('\n')[2];
  assert.match(row, /\| 0\.009 \| 0\.01235 \| cpu · native · 2026-11-21 \|/);
  assert.ok(row.includes('triangle / F-MNIST'), 'pipes inside cells are escaped');
});

test('updateReadmeResults rewrites only the marked block and is idempotent', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-res-'));
  fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify(sample));
  const readme = path.join(dir, 'README.md');
  fs.writeFileSync(readme, 'head\n<!-- results:start -->\nold\n<!-- results:end -->\ntail\n');
  assert.equal(updateReadmeResults(readme, dir), true);
  const text = fs.readFileSync(readme, 'utf8');
  assert.ok(text.startsWith('head\n<!-- results:start -->\n| notebook'));
  assert.ok(text.endsWith('<!-- results:end -->\ntail\n'));
  assert.ok(!text.includes('old'));
  assert.equal(updateReadmeResults(readme, dir), false);
  assert.equal(readResults(dir).length, 1);
});

test('scaleFromEnv defaults to quick and rejects unknown scales naming the valid ones', () => {
  assert.equal(scaleFromEnv({}), 'quick');
  assert.equal(scaleFromEnv({ DTRI_PRESET: 'cpu' }), 'cpu');
  assert.throws(() => scaleFromEnv({ DTRI_PRESET: 'fast' }), /quick, cpu, paper/);
});

test('resultsDir honours DTRI_RESULTS_DIR and defaults to notebooks/results', () => {
  assert.equal(resultsDir({ DTRI_RESULTS_DIR: '/x' }), '/x');
  assert.equal(resultsDir({}), path.join(projectRoot(), 'notebooks', 'results'));
});
