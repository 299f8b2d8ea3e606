import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildReport, readMetricsJsonl } from '../../lib/viz/report';
import { imageGrid } from '../../lib/viz/grid';
import { isUserError } from '../../lib/errors';

/** A run folder as lib/train's runner leaves it, plus images and a drawing. */
async function syntheticRun(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-run-'));
  const summary = {
    preset: 'mnist-quick',
    method: 'triangle',
    seed: 1,
    status: 'completed',
    iterations: 30,
    backend: 'cpu',
    config: { batchSize: 64, lr: 1e-4 },
    finalMetrics: { klQP: 1.25, recon: 12.5 },
  };
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary));
  const rows = [10, 20, 30].map((it) => JSON.stringify({ iteration: it, epoch: 0, seconds: it / 10, klQP: 40 / it, recon: 100 / it }));
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), rows.join('\n') + '\n{"iteration": 40, "kl'); // last line cut by a crash
  const png = await imageGrid([new Float32Array(16).fill(0.5)], { scale: 2 });
  fs.writeFileSync(path.join(dir, 'samples.png'), png);
  fs.mkdirSync(path.join(dir, 'landscape'));
  fs.writeFileSync(path.join(dir, 'landscape', 'minima.png'), png);
  fs.writeFileSync(path.join(dir, 'landscape', 'disconnectivity.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><line x1="0" y1="0" x2="10" y2="10" stroke="#000"/></svg>');
  fs.mkdirSync(path.join(dir, 'checkpoint'));
  fs.writeFileSync(path.join(dir, 'checkpoint', 'ignored.png'), png);
  return dir;
}

test('buildReport writes one self-contained page with the summary, curves, images and drawings', async () => {
  const dir = await syntheticRun();
  try {
    const file = await buildReport(dir, { staticPng: false });
    assert.equal(file, path.join(dir, 'report.html'));
    const html = fs.readFileSync(file, 'utf8');
    assert.match(html, /method: triangle · preset: mnist-quick · status: completed · iterations: 30/);
    assert.ok(html.includes('>klQP<') && html.includes('>1.25<'), 'final metrics table');
    assert.ok(html.includes('<summary>config</summary>'), 'nested settings collapsed');
    assert.ok(html.includes('Plotly.newPlot') && html.includes('window.define=undefined'), 'plotly inlined, require.js-safe');
    assert.match(html, /3 logged rows/);
    assert.match(html, /1 unreadable line\(s\) in metrics.jsonl were skipped/);
    assert.ok(html.includes('<figcaption>samples.png</figcaption>') && html.includes('<figcaption>landscape/minima.png</figcaption>'));
    assert.ok(!html.includes('ignored.png'), 'checkpoint folders are not searched');
    assert.ok(html.includes('data:image/svg+xml;base64,') && html.includes('landscape/disconnectivity.svg'));
    const imgs = html.match(/<img [^>]*>/g) ?? [];
    assert.equal(imgs.length, 3);
    assert.ok(imgs.every((tag) => / src="data:/.test(tag)), 'images embedded, nothing external');
    assert.ok(!/<(script|link)[^>]+(src|href)=/.test(html), 'no external scripts or styles');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('buildReport on an empty or missing folder', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-run-'));
  try {
    const html = fs.readFileSync(await buildReport(dir), 'utf8');
    assert.match(html, /no summary\.json/);
    assert.match(html, /no metrics\.jsonl/);
    assert.ok(!html.includes('window.define=undefined'), 'no plotly bundle when there is nothing to plot');
    await assert.rejects(buildReport(path.join(dir, 'nope')), (e) => isUserError(e) && /no run folder/.test(e.message));
    fs.writeFileSync(path.join(dir, 'm.jsonl'), '{"a":1}\n[1]\n\nnot json\n');
    assert.deepEqual(readMetricsJsonl(path.join(dir, 'm.jsonl')), { rows: [{ a: 1 }], skipped: 2 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
