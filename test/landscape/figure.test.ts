import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { buildTree, cutTree } from '../../lib/landscape/tree';
import { layoutDisconnectivity } from '../../lib/landscape/layout';
import { MIN_SVG_WIDTH, disconnectivityFigure, disconnectivityHoverScript, disconnectivitySvg, formatTick, niceTicks } from '../../lib/landscape/figure';
import { isUserError } from '../../lib/errors';

function sampleLayout() {
  const e = [-5, -4, -3, -2];
  const b = [
    [-5, -2, 0, 1],
    [-2, -4, 0, 1],
    [0, 0, -3, 1],
    [1, 1, 1, -2],
  ];
  const tree = buildTree(e, b, { members: [30, 12, 5, 7] });
  return layoutDisconnectivity(cutTree(tree, -10).tree, { order: 'deepest-left' });
}

/** A w×h gray PNG of one value. */
function grayPng(v: number, size = 6): Promise<Buffer> {
  return sharp(Buffer.alloc(size * size, v), { raw: { width: size, height: size, channels: 1 } }).png().toBuffer();
}

test('the plotly figure is plain JSON with the tree as line segments and one marker per basin', () => {
  const l = sampleLayout();
  const images = l.leaves.map((_, k) => `data:image/png;base64,AAAA${k}`);
  const fig = disconnectivityFigure(l, { images, labels: ['a', 'b', 'c', 'd'], title: 'MNIST' });
  assert.deepEqual(JSON.parse(JSON.stringify(fig)), fig, 'survives a JSON round trip unchanged');
  const [lines, markers] = fig.data as { x: (number | null)[]; y: (number | null)[]; customdata?: unknown[]; text?: string[] }[];
  // Each segment is (start, end, gap).
  assert.equal(lines.x.length, 3 * (l.vertical.length + l.horizontal.length));
  assert.deepEqual(markers.x, [0, 1, 2, 3]);
  assert.deepEqual(markers.y, [-5, -4, -3, -2]);
  assert.deepEqual(markers.customdata, images);
  assert.match(markers.text![0], /energy −5<br>30 members/);
  assert.match(markers.text![1], /\(b\)/);
  assert.equal((fig.layout.images as unknown[]).length, 4, 'thumbnails under the columns');
  assert.equal((disconnectivityFigure(l).layout.images as unknown[]).length, 0);
  assert.throws(() => disconnectivityFigure(l, { images: images.slice(1) }), isUserError);
  assert.match(disconnectivityHoverScript('dg'), /plotly_hover/);
});

test('the SVG renders (sharp/librsvg), stacks at most maxMembersShown images per column and labels the energy axis', async () => {
  const l = sampleLayout();
  const png = await grayPng(128);
  const uri = `data:image/png;base64,${(await grayPng(30)).toString('base64')}`;
  const memberImages = l.leaves.map((leaf) => Array.from({ length: leaf.members }, (_, i) => (i % 2 ? png : uri)));
  const svg = disconnectivitySvg(l, { memberImages, title: 'Fashion <MNIST>', captions: ['7', '1', null, '3'] });
  assert.equal((svg.match(/<image /g) ?? []).length, 12 + 12 + 5 + 7);
  assert.match(svg, /Fashion &lt;MNIST&gt;/);
  assert.match(svg, /energy E\(x\) = −f\(x\)/);
  assert.equal((svg.match(/<circle /g) ?? []).length, 4);
  for (const t of niceTicks(l.energyRange[0], l.top, 6)) assert.ok(svg.includes(`>${String(t).replace('-', '−')}</text>`), `tick ${t}`);
  const meta = await sharp(Buffer.from(svg)).metadata();
  assert.equal(meta.format, 'svg');
  const raster = await sharp(Buffer.from(svg)).png().toBuffer();
  assert.ok(raster.length > 1000);
  assert.throws(() => disconnectivitySvg(l, { memberImages: [] }), isUserError);
  assert.throws(() => disconnectivitySvg(l, { width: 50, height: 50 }), (e) => isUserError(e) && /too small/.test(e.message));
});

test('niceTicks gives round 1-2-5 steps inside the range', () => {
  assert.deepEqual(niceTicks(-5.2, 1.3, 7), [-5, -4, -3, -2, -1, 0, 1]);
  assert.deepEqual(niceTicks(-5.2, 1.3, 5), [-4, -2, 0]);
  assert.deepEqual(niceTicks(0.01, 0.09, 4), [0.02, 0.04, 0.06, 0.08]);
});

/** The tick labels of an SVG's energy axis. */
function tickLabels(svg: string): string[] {
  return [...svg.matchAll(/stroke="#222"\/><text x="[^"]+" y="[^"]+">([^<]+)<\/text>/g)].map((m) => m[1]);
}

test('one column: the SVG is wide enough for its title and its energy ticks are distinct', () => {
  // One basin at E = −20.19: no merge, so the layout's energy range is a sliver (seen: 5 ticks all "−20.19").
  const tree = buildTree([-20.1903], [[-20.1903]], { members: [40] });
  const l = layoutDisconnectivity(cutTree(tree, Infinity).tree);
  assert.equal(l.leaves.length, 1);
  const title = 'Disconnectivity graph (linear-interpolation barriers)';
  const svg = disconnectivitySvg(l, { title, memberImages: [[]] });
  const width = Number(/width="(\d+)"/.exec(svg)![1]);
  assert.ok(width >= MIN_SVG_WIDTH && width >= title.length * 15 * 0.6, `width ${width}`);
  const labels = tickLabels(svg);
  assert.ok(labels.length >= 3, `ticks ${labels}`);
  assert.equal(new Set(labels).size, labels.length, `distinct ticks ${labels}`);
  // Long labels ("−20.15") fit left of the axis: the axis line sits right of the labels' estimated width.
  const axisX = Number(/<line x1="([\d.]+)" y1="[\d.]+" x2="\1"/.exec(svg)![1]);
  assert.ok(axisX >= 14 + 8 + 11 * 0.6 * 6, `axis at ${axisX}`);
  for (const t of labels) {
    const v = Number(t.replace('−', '-'));
    assert.ok(v > -20.3 && v < -19.7, `tick ${t} near the basin's energy`);
  }
  // Two basins 0.003 apart merging 0.001 above: the axis keeps the data's span and its ticks resolve it.
  const close = buildTree([-20.1903, -20.1873], [[-20.1903, -20.186], [-20.186, -20.1873]], { members: [10, 8] });
  const labels2 = tickLabels(disconnectivitySvg(layoutDisconnectivity(cutTree(close, -30).tree)));
  assert.ok(labels2.length >= 3, `ticks ${labels2}`);
  assert.equal(new Set(labels2).size, labels2.length, `distinct ticks ${labels2}`);
  for (const t of labels2) assert.match(t, /^−20\.1\d\d+$/);
});

test('formatTick uses the decimals the step needs', () => {
  assert.equal(formatTick(-20.19, 0.01), '−20.19');
  assert.equal(formatTick(-20.2, 0.1), '−20.2');
  assert.equal(formatTick(-20.1905, 0.0005), '−20.1905');
  assert.equal(formatTick(3, 1), '3');
  assert.equal(formatTick(40, 20), '40');
  assert.equal(formatTick(0, 0.02), '0.00');
  assert.equal(formatTick(-1e-17, 0.5), '0.0');
  assert.equal(formatTick(-20.19, 0.001), '−20.190');
});
