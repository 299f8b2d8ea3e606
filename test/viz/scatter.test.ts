import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scatterFigure } from '../../lib/viz/scatter';
import { FIGURE_COLORS } from '../../lib/viz/figures';
import { isUserError } from '../../lib/errors';

test('scatterFigure: one trace per group in order, palette colours, equal axes, plain JSON', () => {
  const groups: Record<string, { x: number[]; y: number[] }> = {};
  for (let k = 0; k < 9; k++) groups[`mode ${k}`] = { x: [k, k + 0.5], y: [0, 1] };
  const fig = scatterFigure(groups, { title: 'codes', xTitle: 'z₁', yTitle: 'z₂', xRange: [-3, 3] });
  assert.deepEqual(JSON.parse(JSON.stringify(fig)), fig);
  assert.equal(fig.data.length, 9);
  const t = fig.data as { name: string; x: number[]; marker: { color: string } }[];
  assert.deepEqual(t.map((d) => d.name), Object.keys(groups));
  assert.equal(t[0].marker.color, FIGURE_COLORS[0]);
  assert.equal(t[8].marker.color, FIGURE_COLORS[0], 'the palette cycles');
  assert.deepEqual(t[3].x, [3, 3.5]);
  const layout = fig.layout as { xaxis: { range: number[]; title: { text: string } }; yaxis: { scaleanchor?: string } };
  assert.deepEqual(layout.xaxis.range, [-3, 3]);
  assert.equal(layout.xaxis.title.text, 'z₁');
  assert.equal(layout.yaxis.scaleanchor, 'x');
  assert.equal((scatterFigure(groups, { equalAxes: false }).layout as { yaxis: { scaleanchor?: string } }).yaxis.scaleanchor, undefined);
  assert.throws(() => scatterFigure({}), isUserError);
  assert.throws(() => scatterFigure({ a: { x: [1], y: [] } }), (e) => isUserError(e) && /"a"/.test(e.message));
});
