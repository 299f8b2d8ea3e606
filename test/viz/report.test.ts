import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildReport, curveTerms, describeRun, readMetricsJsonl } from '../../lib/viz/report';
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
    assert.ok(html.includes('<figcaption><b>samples.png</b> — Samples') && html.includes('<figcaption><b>landscape/minima.png</b></figcaption>'), 'captions: what a known file shows, else its name');
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

test('buildReport: each figure once, captions for the disconnectivity graph, what ran from the config, no learning-rate panels', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-run-'));
  try {
    const config = { method: 'triangle', dataset: 'mnist', dataLimit: 8000, batchSize: 64, iterations: 1000, width: 0.25, latentDim: 100, scaling: 'paper', description: 'mnist, 250 iterations (the preset before overrides)' };
    fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ preset: 'mnist-cpu', method: 'triangle', iterations: 1000, config }));
    const rows = Array.from({ length: 30 }, (_, i) => JSON.stringify({ iteration: 10 * i, klQP: 1 / (i + 1), energyData: -i, lrEbm: 1e-4, lrGen: 3e-4, gradNormEbm: 2, lossGen: 1 }));
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), rows.join('\n') + '\n');
    const png = await imageGrid([new Float32Array(16).fill(0.5)], { scale: 2 });
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="3"/></svg>';
    fs.writeFileSync(path.join(dir, 'landscape.png'), png);
    fs.writeFileSync(path.join(dir, 'landscape.svg'), svg);
    fs.writeFileSync(path.join(dir, 'landscape.json'), JSON.stringify({ method: 'linear' }));
    fs.writeFileSync(path.join(dir, 'loss-curves.png'), png);
    fs.writeFileSync(path.join(dir, 'samples.png'), png);
    fs.mkdirSync(path.join(dir, 'figures'));
    for (const ext of ['png', 'svg', 'pdf']) fs.writeFileSync(path.join(dir, 'figures', `samples.${ext}`), ext === 'png' ? png : 'x');
    const html = fs.readFileSync(await buildReport(dir, { staticPng: false }), 'utf8');
    const imgs = html.match(/<img [^>]*>/g) ?? [];
    assert.deepEqual(imgs.map((t) => /alt="([^"]*)"/.exec(t)![1]), ['samples.png', 'landscape.svg'], 'landscape once (SVG), the exported curves not again, figures/ not searched');
    assert.match(html, /Print exports[\s\S]*samples\.pdf, samples\.png, samples\.svg/);
    assert.match(html, /Circle area is proportional to the number of test images/);
    assert.match(html, /“?2 · 100%”?|&quot;2 · 100%&quot;/);
    assert.match(html, /straight line between their minima/, 'the barrier of the method that ran (landscape.json)');
    assert.ok(html.includes('triangle on 8,000 mnist training images, batch 64, 1,000 iterations, 1/4-width networks, latent 100, paper scaling'));
    assert.ok(!html.includes('the preset before overrides'), 'the stale preset description is not shown');
    assert.ok(!html.includes('learning rate of'), 'no learning-rate panels');
    assert.equal((html.match(/<div id="dtri-plot-/g) ?? []).length, 2, 'the objective and the diagnostics, one figure each');
    assert.ok(html.includes('KL(Q‖P)') && html.includes('‖∇_α‖ (EBM)'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('curveTerms and describeRun', () => {
  assert.deepEqual(curveTerms([{ iteration: 1, D: 1, klQP: 2, lossEbm: 3, gradNormGen: 4, lrGen: 5, seconds: 1 }]), { objective: ['D', 'klQP'], diagnostics: ['lossEbm', 'gradNormGen'] });
  assert.equal(describeRun({ method: 'vae', dataset: 'fashion-mnist', batchSize: 100, iterations: 20, width: 1 }), 'vae on fashion-mnist training images, batch 100, 20 iterations, full-width networks');
});
