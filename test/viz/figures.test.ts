import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centredSmooth, contourFigure, histogramFigure, lossCurvesFigure, oodHistogramPanels, prFigure, rocFigure, smoothingSigma, wrapTitle } from '../../lib/viz/figures';
import { colorFor, resetFigureColors } from '../../lib/viz/labels';
import { auprc, auroc, prCurve, rocCurve } from '../../lib/metrics/ranking';
import { isUserError } from '../../lib/errors';

const history = [
  { iteration: 10, epoch: 0, seconds: 1.5, klQP: 4, recon: 100, energyData: -1 },
  { iteration: 20, epoch: 0, seconds: 3.0, klQP: 2, recon: 50, energyData: -2 },
  { iteration: 30, epoch: 1, seconds: 4.5, klQP: 1, recon: 25 },
];

/** Every axis object in a layout (xaxis, yaxis2, ...). */
function axes(layout: Record<string, unknown>): Record<string, unknown>[] {
  return Object.entries(layout)
    .filter(([k]) => /^[xy]axis\d*$/.test(k))
    .map(([, v]) => v as Record<string, unknown>);
}

test('lossCurvesFigure plots every term against iteration, one panel each, without grid lines', () => {
  const fig = lossCurvesFigure(history);
  assert.deepEqual(fig.data.map((d) => d.name), ['KL(Q‖P)', 'recon. ‖x − g(z̃)‖²/2σ²', 'E(x) data'], 'bookkeeping keys (epoch, seconds) left out; labels with the paper\'s symbols');
  assert.deepEqual(fig.data[0].x, [10, 20, 30]);
  assert.deepEqual(fig.data[2].y, [-1, -2, null], 'a missing value is a gap');
  assert.deepEqual(fig.data.map((d) => [d.xaxis, d.yaxis]), [['x', 'y'], ['x2', 'y2'], ['x3', 'y3']]);
  assert.equal(axes(fig.layout).length, 6);
  for (const a of axes(fig.layout)) assert.equal(a.showgrid, false);
  assert.deepEqual((fig.layout.annotations as { text: string }[]).map((a) => a.text), ['KL(Q‖P)', 'recon. ‖x − g(z̃)‖²/2σ²', 'E(x) data']);
  assert.equal((fig.layout.xaxis3 as { title: { text: string } }).title.text, 'iteration');
  assert.equal(fig.layout.showlegend, false, 'panels are titled; no legend over the curves');
  JSON.parse(JSON.stringify(fig)); // plain JSON
});

test('lossCurvesFigure: overlay with a labelled y axis and the legend under the axes', () => {
  const fig = lossCurvesFigure(history, { overlay: true, terms: ['recon'], smooth: 0.5 });
  assert.equal(fig.data.length, 2, 'raw (faint) + smoothed');
  assert.equal((fig.layout.yaxis as { title: { text: string } }).title.text, 'recon. ‖x − g(z̃)‖²/2σ²', 'no "value" axis');
  assert.ok((fig.layout.legend as { y: number }).y < 0, 'legend below the plot area');
  const methods = lossCurvesFigure([{ iteration: 1, Triangle: 1, VAE: 2 }], { overlay: true, yTitle: 'MSE per pixel' });
  assert.equal((methods.layout.yaxis as { title: { text: string } }).title.text, 'MSE per pixel');
  assert.throws(() => lossCurvesFigure([]), (e) => isUserError(e) && /empty/.test(e.message));
  assert.throws(() => lossCurvesFigure(history, { smooth: 1 }), (e) => isUserError(e) && /smooth/.test(e.message));
});

test('centredSmooth puts no lag on a step: the smoothed midpoint sits at the step, where an EMA lags w/(1 − w) points', () => {
  const w = 0.8;
  const step = Array.from({ length: 100 }, (_, i) => (i < 50 ? 0 : 1));
  const s = centredSmooth(step, w) as number[];
  assert.ok(s[49] < 0.5 && s[50] > 0.5, `crosses ½ between the last 0 and the first 1 (${s[49]}, ${s[50]})`);
  assert.ok(Math.abs(s[49] + s[50] - 1) < 1e-12, 'symmetric about the step');
  assert.ok(s[40] < 0.02 && s[60] > 0.98 && s[35] === 0 && s[64] === 1, 'flat far from the step');
  // the trailing EMA of old crossed ½ only at 50 + ~3 points (s = 1 − wᵏ⁺¹ > ½ at k = 3)
  let e = 0;
  const ema = step.map((v, i) => (e = i === 0 ? v : w * e + (1 - w) * v));
  assert.ok(ema[52] < 0.5, 'the EMA is still below ½ two points after the step');
  // a straight line is kept exactly, ends included (a local line, not a moving average)
  const line = Array.from({ length: 30 }, (_, i) => 3 + 2 * i);
  (centredSmooth(line, w) as number[]).forEach((v, i) => assert.ok(Math.abs(v - line[i]) < 1e-9, `line at ${i}`));
  // gaps stay gaps and are skipped
  const gappy = centredSmooth([1, null, 1, 1, null], 0.5);
  assert.deepEqual(gappy.map((v) => (v === null ? null : Math.round(v * 1e9) / 1e9)), [1, null, 1, 1, null]);
  // σ is the spread of the EMA kernel (1 − w)wᵏ it replaces, summed here term by term
  let m1 = 0;
  let m2 = 0;
  for (let k = 0; k < 2000; k++) (m1 += (1 - w) * w ** k * k), (m2 += (1 - w) * w ** k * k * k);
  assert.ok(Math.abs(smoothingSigma(w) - Math.sqrt(m2 - m1 * m1)) < 1e-9);
  assert.deepEqual(centredSmooth([1, 5, 2], 0), [1, 5, 2]);
});

test('lossCurvesFigure draws schedule keys (alpha, learning rates) raw and leaves learning rates out by default', () => {
  // alpha of progressive growing: a fade-in ramp that drops to 0.1 when a new stage starts
  const rows = Array.from({ length: 60 }, (_, i) => ({ iteration: i, alpha: i < 30 ? Math.min(1, i / 10) : 0.1, lrGen: 1e-3, recon: 10 + (i % 2) }));
  const all = lossCurvesFigure(rows, { smooth: 0.8 });
  assert.ok(!all.data.some((d) => /learning rate/.test(String(d.name))), 'no learning-rate panels');
  const alpha = all.data.filter((d) => d.name === 'fade-in α');
  assert.equal(alpha.length, 1, 'one raw trace for alpha, no smoothed copy');
  assert.deepEqual(alpha[0].y, rows.map((r) => r.alpha));
  assert.equal(all.data.filter((d) => String(d.name).startsWith('recon.')).length, 2, 'recon: raw + smoothed');
  const lr = lossCurvesFigure(rows, { terms: ['lrGen'], smooth: 0.8 });
  assert.equal(lr.data.length, 1, 'asked for, a learning rate is drawn, raw');
});

test('long titles wrap instead of being cut off', () => {
  const title = 'Ours: ROC of each set against Fashion-MNIST test (OOD = positive, score = energy −f)';
  const lines = wrapTitle(title, 480);
  assert.ok(lines.length >= 2 && lines.join(' ') === title);
  assert.ok(lines.every((l) => l.length * 0.55 * 14 <= 480 - 32));
  const roc = rocFigure({ a: { scores: [1, 0], labels: [1, 0] } }, { title });
  const t = roc.layout.title as { text: string };
  assert.equal(t.text.split('<br>').join(' '), title);
  assert.ok((roc.layout.margin as { t: number }).t >= 24 + 20 * t.text.split('<br>').length);
});

test('histogramFigure puts every group on the same bins', () => {
  const fig = histogramFigure({ data: [0, 1, 2], generated: [5, 10], ood: [20] }, { bins: 10, xTitle: 'energy' });
  assert.equal((fig.layout.xaxis as { title: { text: string } }).title.text, 'energy');
  assert.equal((histogramFigure({ a: [1] }).layout.xaxis as { title: { text: string } }).title.text, 'score', 'never "value"');
  assert.equal(fig.data.length, 3);
  const bins = fig.data.map((d) => JSON.stringify(d.xbins));
  assert.equal(new Set(bins).size, 1);
  const xb = fig.data[0].xbins as { start: number; size: number };
  assert.equal(xb.start, 0);
  assert.equal(xb.size, 2);
  assert.equal(fig.layout.barmode, 'overlay');
});

test('rocFigure and prFigure report the same AUROC / AP as the metrics, from scores or from curves', () => {
  const scores = [0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4, 0.3];
  const labels = [1, 0, 1, 1, 0, 0, 1, 0];
  const roc = rocFigure({ ebm: { scores, labels }, again: rocCurve(scores, labels) });
  assert.equal(roc.data[1].name, `ebm (AUROC ${auroc(scores, labels).toFixed(3)})`);
  assert.equal(roc.data[2].name, `again (AUROC ${auroc(scores, labels).toFixed(3)})`);
  assert.ok((roc.layout.legend as { x: number }).x > 1, 'legend beside the axes, off the curves');
  const pr = prFigure({ ebm: { scores, labels }, again: prCurve(scores, labels) });
  assert.equal(pr.data[0].name, `ebm (AP ${auprc(scores, labels).toFixed(3)})`);
  assert.equal(pr.data[1].name, pr.data[0].name.replace('ebm', 'again'));
  assert.equal((pr.data[0].line as { shape: string }).shape, 'vh', 'steps, as average precision integrates');
  // the no-skill line at the base rate P / (P + N) = 4 / 8, once when both curves share their labels
  assert.equal(pr.data.length, 3);
  assert.deepEqual(pr.data[2].y, [0.5, 0.5]);
  assert.match(String(pr.data[2].name), /no skill \(base rate 0\.500\)/);
  const two = prFigure({ a: { scores, labels }, b: { scores: [0.9, 0.1, 0.2, 0.3], labels: [1, 0, 0, 0] } });
  assert.deepEqual(two.data.filter((d) => /no skill/.test(String(d.name))).map((d) => (d.y as number[])[0]), [0.5, 0.25], 'one base-rate line per curve when they differ');
});

test('colorFor gives a data set one colour in every figure of a process', () => {
  resetFigureColors();
  const h = histogramFigure({ 'Fashion-MNIST test': [0, 1], SVHN: [2, 3] });
  const roc = rocFigure({ MNIST: { scores: [1, 0], labels: [1, 0] }, SVHN: { scores: [1, 0], labels: [1, 0] } });
  const svhn = (h.data[1].marker as { color: string }).color;
  assert.equal((roc.data[2].line as { color: string }).color, svhn, 'SVHN: same colour in the histogram and the ROC');
  assert.notEqual((roc.data[1].line as { color: string }).color, svhn);
  assert.notEqual((h.data[0].marker as { color: string }).color, svhn);
  assert.equal(colorFor('Ours (energy)'), colorFor('Ours'), 'a parenthesised note is not part of the name');
  assert.notEqual(colorFor('Ours'), colorFor('VAE (−ELBO)'));
  resetFigureColors();
  const names = Array.from({ length: 8 }, (_, i) => `set ${i}`);
  assert.equal(new Set(names.map(colorFor)).size, 8, 'eight names, eight palette colours');
  assert.deepEqual(names.map(colorFor), names.map(colorFor), 'stable on a second call');
  resetFigureColors();
});

test('oodHistogramPanels: one panel per OOD set against the in-distribution set, on shared bins', () => {
  resetFigureColors();
  const scores = { 'Fashion-MNIST test': [0, 1, 2, 3], MNIST: [5, 6], SVHN: [7, 8], uniform: [20], constant: [-4] };
  const fig = oodHistogramPanels(scores, 'Fashion-MNIST test', { bins: 10, xTitle: 'energy E(x)' });
  assert.equal(fig.data.length, 8, 'two histograms per panel, four panels');
  assert.deepEqual(fig.data.map((d) => d.xaxis), ['x', 'x', 'x2', 'x2', 'x3', 'x3', 'x4', 'x4']);
  assert.deepEqual(fig.data.filter((_, i) => i % 2 === 1).map((d) => d.name), ['MNIST', 'SVHN', 'uniform', 'constant']);
  assert.ok(fig.data.filter((_, i) => i % 2 === 0).every((d) => d.name === 'Fashion-MNIST test'));
  assert.equal(new Set(fig.data.map((d) => JSON.stringify(d.xbins))).size, 1, 'shared bins');
  const xb = fig.data[0].xbins as { start: number; size: number };
  assert.equal(xb.start, -4);
  assert.ok(Math.abs(xb.size - 2.4) < 1e-12);
  assert.equal(new Set(fig.data.filter((d) => d.name === 'Fashion-MNIST test').map((d) => (d.marker as { color: string }).color)).size, 1);
  assert.deepEqual(fig.layout.grid, { rows: 2, columns: 3, pattern: 'independent', xgap: 0.2, ygap: (fig.layout.grid as { ygap: number }).ygap });
  assert.match((fig.layout.annotations as { text: string }[])[1].text, /SVHN.*vs.*Fashion-MNIST test/);
  assert.throws(() => oodHistogramPanels(scores, 'CIFAR'), (e) => isUserError(e) && /no set named "CIFAR"/.test(e.message));
  resetFigureColors();
});

test('contourFigure checks the grid shape and overlays point sets', () => {
  const x = [0, 1, 2];
  const y = [0, 1];
  const fig = contourFigure({ x, y, z: [[0, 1, 2], [3, 4, 5]] }, { scatter: { minima: { x: [1], y: [0] } } });
  assert.equal(fig.data[0].type, 'contour');
  assert.equal(fig.data[1].name, 'minima');
  assert.throws(() => contourFigure({ x, y, z: [[0, 1], [2, 3]] }), (e) => isUserError(e) && /2 rows.*3 values/.test(e.message));
});
