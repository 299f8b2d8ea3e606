import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressDisplay, showImage, showPlot, showTable, tableHtml, tableText } from '../../lib/viz/notebook';
import { compactJsonForScript, figureHtml, plotDivHtml, plotlyPathFrom, plotlyScriptTag } from '../../lib/viz/plotly';
import { inNotebook } from '../../lib/viz/tslab';

const fig = { data: [{ type: 'scatter', x: [1, 2], y: [3, 4], name: '</script><b>x</b>' }], layout: { title: { text: 'curves' } } };

test('outside a notebook every display falls back to console output', async (t) => {
  assert.equal(inNotebook(), false);
  const log = t.mock.method(console, 'log', () => undefined);
  await showPlot(fig);
  showImage(new Uint8Array(10), { caption: 'samples' });
  showTable([{ model: 'triangle', mse: 0.01234567 }, { model: 'VAE', mse: 0.02 }]);
  const lines = log.mock.calls.map((c) => String(c.arguments[0]));
  assert.match(lines[0], /figure "curves": 1 traces \(scatter\)/);
  assert.match(lines[1], /image "samples": 10 bytes/);
  assert.equal(lines[2], 'model         mse\n--------  -------\ntriangle  0.01235\nVAE          0.02');
});

test('tables escape HTML and align numbers', () => {
  const html = tableHtml([{ name: '<i>a</i>', value: 1.5 }], { caption: 'T&C' });
  assert.ok(html.includes('&lt;i&gt;a&lt;/i&gt;') && html.includes('T&amp;C'));
  assert.ok(html.includes('text-align:right;padding:2px 10px">1.5'));
  assert.equal(tableText([{ a: 1 }, { b: 'x' }]), 'a  b\n-  -\n1  —\n—  x');
});

test('the plotly HTML survives "</script>" in data and hides require.js while plotly loads', () => {
  const html = plotDivHtml(fig, { id: 'p1' });
  assert.equal(html.match(/<\/script>/g)!.length, 1, 'only the real closing tag');
  assert.ok(html.includes('\\u003c/script>'));
  const tag = plotlyScriptTag();
  assert.ok(tag.startsWith('<script type="text/javascript">(function(){if(window.Plotly)return;var d=window.define;window.define=undefined;try{'));
  assert.ok(tag.endsWith('}finally{window.define=d;}})();</script>'));
  assert.ok(tag.length > 4_000_000, 'the whole bundle is inlined');
});

test('a figure output carries the static PNG inside the plot div and a loader, never plotly.js itself', () => {
  const png = Uint8Array.from([137, 80, 78, 71, 1, 2, 3]);
  const html = figureHtml(fig, { id: 'p1', png, plotlyPath: '../node_modules/plotly.js-dist-min/plotly.min.js', extraScript: (id) => `hover(${JSON.stringify(id)})` });
  assert.ok(html.length < 10_000, `no bundle inlined (${html.length} chars)`);
  assert.ok(html.startsWith(`<div id="p1" class="dtri-figure" style="width:100%;min-height:420px;"><img class="dtri-static" alt="curves" style="display:block;max-width:100%" src="data:image/png;base64,${Buffer.from(png).toString('base64')}"></div><script`));
  assert.equal(html.match(/<\/script>/g)!.length, 1, 'the data\'s "</script>" is escaped');
  assert.ok(html.includes('"../node_modules/plotly.js-dist-min/plotly.min.js"'));
  assert.ok(html.includes("'files/'+\"node_modules/plotly.js-dist-min/plotly.min.js\""), 'the project-root URL as second candidate');
  assert.ok(html.includes('hover("p1")'));
  const noPng = figureHtml(fig, { id: 'p2', note: 'no static image: <why>' });
  assert.ok(noPng.includes('no static image: &lt;why&gt;') && !noPng.includes('<img'));
});

test('compactJsonForScript: 6 significant digits for non-integers, integers and strings untouched, "<" escaped', () => {
  const json = compactJsonForScript({ z: [[0.123456789012, -1234.56789, 7, 1e-9 / 3]], t: '</script>', n: [NaN, 2 ** 40] });
  assert.equal(json, '{"z":[[0.123457,-1234.57,7,3.33333e-10]],"t":"\\u003c/script>","n":[null,1099511627776]}');
  assert.deepEqual(JSON.parse(json).z[0], [0.123457, -1234.57, 7, 3.33333e-10]);
});

test('plotlyPathFrom: the bundle relative to a notebook folder, with forward slashes', () => {
  const root = require.resolve('plotly.js-dist-min/plotly.min.js').replace(/[\\/]node_modules[\\/].*$/, '');
  assert.equal(plotlyPathFrom(require('node:path').join(root, 'notebooks')), '../node_modules/plotly.js-dist-min/plotly.min.js');
  assert.equal(plotlyPathFrom(root), 'node_modules/plotly.js-dist-min/plotly.min.js');
});

test('inside a tslab kernel: one small HTML output per figure, PNG, table and an in-place progress output', async () => {
  // Simulate a connected kernel: tslab's display API writes through jupyter.lastWriteDisplayData.
  const jupyter = require('tslab/dist/jupyter.js') as { lastWriteDisplayData: unknown };
  const sent: { data: Record<string, string>; transient: { display_id?: string }; update: boolean }[] = [];
  jupyter.lastWriteDisplayData = (msg: { data: Record<string, string>; transient: { display_id?: string } }, update: boolean) =>
    sent.push({ ...msg, update });
  try {
    assert.equal(inNotebook(), true);
    await showPlot(fig, { staticPng: false });
    await showPlot(fig, { staticPng: false });
    assert.equal(sent.length, 2, 'one output per figure');
    for (const m of sent) {
      assert.deepEqual(Object.keys(m.data), ['text/html']);
      assert.ok(m.data['text/html'].length < 10_000, 'no plotly.js inlined, not even in the first');
      assert.ok(m.data['text/html'].includes('P.newPlot(gd,f.data,f.layout'));
      assert.ok(m.data['text/html'].includes(JSON.stringify(plotlyPathFrom(process.cwd()))), 'the bundle path from the kernel folder');
    }

    showImage(new Uint8Array([137, 80, 78, 71]));
    assert.equal(sent[2].data['image/png'], Buffer.from([137, 80, 78, 71]).toString('base64'));
    showTable([{ a: 1 }]);
    assert.ok(sent[3].data['text/html'].startsWith('<table'));

    const p = progressDisplay({ total: 100, label: 'train', minIntervalMs: 60_000 });
    for (let i = 1; i <= 100; i++) p.update({ iteration: i, metrics: { loss: 1 / i } });
    p.done();
    const progress = sent.slice(4);
    assert.equal(progress.length, 2, 'throttled: the first update and the final one');
    assert.equal(progress[0].transient.display_id, progress[1].transient.display_id);
    assert.deepEqual(progress.map((m) => Boolean(m.update)), [false, true], 'the second message updates the first in place');
    assert.match(progress[1].data['text/html'], /100 \/ 100/);
    assert.match(progress[1].data['text/html'], /loss <b>0\.01<\/b>/);
  } finally {
    jupyter.lastWriteDisplayData = null;
  }
});
