import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressDisplay, showImage, showPlot, showTable, tableHtml, tableText } from '../../lib/viz/notebook';
import { plotDivHtml, plotlyScriptTag } from '../../lib/viz/plotly';
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

test('inside a tslab kernel: HTML plot (plotly inlined once), PNG, table and an in-place progress output', async () => {
  // Simulate a connected kernel: tslab's display API writes through jupyter.lastWriteDisplayData.
  const jupyter = require('tslab/dist/jupyter.js') as { lastWriteDisplayData: unknown };
  const sent: { data: Record<string, string>; transient: { display_id?: string }; update: boolean }[] = [];
  jupyter.lastWriteDisplayData = (msg: { data: Record<string, string>; transient: { display_id?: string } }, update: boolean) =>
    sent.push({ ...msg, update });
  try {
    assert.equal(inNotebook(), true);
    await showPlot(fig, { staticPng: false });
    await showPlot(fig, { staticPng: false });
    assert.equal(sent.length, 2);
    assert.ok(sent[0].data['text/html'].length > 4_000_000, 'first plot carries plotly.js');
    assert.ok(sent[1].data['text/html'].length < 10_000, 'later plots do not');
    assert.ok(sent[1].data['text/html'].includes('Plotly.newPlot'));

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
