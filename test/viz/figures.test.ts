import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contourFigure, histogramFigure, lossCurvesFigure, prFigure, rocFigure } from '../../lib/viz/figures';
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
  assert.deepEqual(fig.data.map((d) => d.name), ['klQP', 'recon', 'energyData'], 'bookkeeping keys (epoch, seconds) left out');
  assert.deepEqual(fig.data[0].x, [10, 20, 30]);
  assert.deepEqual(fig.data[2].y, [-1, -2, null], 'a missing value is a gap');
  assert.deepEqual(fig.data.map((d) => [d.xaxis, d.yaxis]), [['x', 'y'], ['x2', 'y2'], ['x3', 'y3']]);
  assert.equal(axes(fig.layout).length, 6);
  for (const a of axes(fig.layout)) assert.equal(a.showgrid, false);
  assert.deepEqual((fig.layout.annotations as { text: string }[]).map((a) => a.text), ['klQP', 'recon', 'energyData']);
  JSON.parse(JSON.stringify(fig)); // plain JSON
});

test('lossCurvesFigure: overlay, chosen terms and EMA smoothing', () => {
  const fig = lossCurvesFigure(history, { overlay: true, terms: ['recon'], smooth: 0.5 });
  assert.equal(fig.data.length, 2, 'raw (faint) + smoothed');
  assert.deepEqual(fig.data[1].y, [100, 75, 50]); // s₁ = 100, s₂ = .5·100 + .5·50, s₃ = .5·75 + .5·25
  assert.throws(() => lossCurvesFigure([]), (e) => isUserError(e) && /empty/.test(e.message));
  assert.throws(() => lossCurvesFigure(history, { smooth: 1 }), (e) => isUserError(e) && /smooth/.test(e.message));
});

test('histogramFigure puts every group on the same bins', () => {
  const fig = histogramFigure({ data: [0, 1, 2], generated: [5, 10], ood: [20] }, { bins: 10, xTitle: 'energy' });
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
  const pr = prFigure({ ebm: { scores, labels }, again: prCurve(scores, labels) });
  assert.equal(pr.data[0].name, `ebm (AP ${auprc(scores, labels).toFixed(3)})`);
  assert.equal(pr.data[1].name, pr.data[0].name.replace('ebm', 'again'));
  assert.equal((pr.data[0].line as { shape: string }).shape, 'vh', 'steps, as average precision integrates');
});

test('contourFigure checks the grid shape and overlays point sets', () => {
  const x = [0, 1, 2];
  const y = [0, 1];
  const fig = contourFigure({ x, y, z: [[0, 1, 2], [3, 4, 5]] }, { scatter: { minima: { x: [1], y: [0] } } });
  assert.equal(fig.data[0].type, 'contour');
  assert.equal(fig.data[1].name, 'minima');
  assert.throws(() => contourFigure({ x, y, z: [[0, 1], [2, 3]] }), (e) => isUserError(e) && /2 rows.*3 values/.test(e.message));
});
