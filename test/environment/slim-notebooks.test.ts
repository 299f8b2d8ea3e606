/**
 * environment/slim-notebooks.js on a notebook written the old way (plotly.js inlined in the first figure,
 * each figure then repeated as a PNG, the tfjs banner, absolute paths, no execution counts).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { plotDivHtml, plotlyScriptTag } from '../../lib/viz/plotly';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { slimNotebook } = require('../../environment/slim-notebooks.js') as {
  slimNotebook(nb: unknown, opts?: { root?: string; notebookDir?: string; executed?: boolean }): Record<string, number>;
};

const ROOT = path.resolve(__dirname, '..', '..');
const BANNER =
  '\n============================\nHi, looks like you are running TensorFlow.js in Node.js. To speed things up dramatically, install our node backend, visit https://github.com/tensorflow/tfjs-node for more details. \n============================\n';
// tslab's file watcher racing while a cell runs (node_modules/tslab/dist/converter.js)
const WATCHER =
  'UncaughtException: Error: Unexpected pending rebuildTimer\n    at sys.setTimeout (node_modules/tslab/dist/converter.js:111:19)\n    at FSWatcher.emit (node:events:524:28)\n';
const fig = { data: [{ type: 'scatter', x: [1, 2], y: [0.123456789, 4] }], layout: { title: { text: 'loss' }, width: 500, height: 300 } };
const png = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10, 9, 9]);

type Output = { output_type: string; name?: string; text?: string[]; data?: Record<string, string[] | string> };
function oldNotebook() {
  const lines = (s: string) => s.split(/(?<=\n)/);
  return {
    cells: [
      { cell_type: 'markdown', source: ['# t'] },
      { cell_type: 'code', execution_count: null, source: ['const s = await startNotebook("x");'], outputs: [
        { output_type: 'stream', name: 'stderr', text: lines(BANNER) },
        { output_type: 'stream', name: 'stderr', text: lines(`${WATCHER}${WATCHER}a real warning\n${WATCHER}`) },
        { output_type: 'stream', name: 'stdout', text: [`results → ${ROOT}/notebooks/results/x.json\n`, `root ${ROOT}\n`] },
      ] },
      { cell_type: 'code', execution_count: null, source: ['await showPlot(fig);'], outputs: [
        { output_type: 'display_data', metadata: {}, data: { 'text/html': [plotlyScriptTag() + plotDivHtml(fig, { id: 'p1', extraScript: (id) => `hover("${id}")` })] } },
        { output_type: 'display_data', metadata: {}, data: { 'image/png': png.toString('base64') + '\n' } },
        { output_type: 'display_data', metadata: {}, data: { 'text/html': ['<table></table>'] } },
      ] },
      { cell_type: 'code', execution_count: null, source: ['await showPlot(fig);'], outputs: [
        { output_type: 'display_data', metadata: {}, data: { 'text/html': [plotDivHtml(fig, { id: 'p2' })] } },
        { output_type: 'display_data', metadata: {}, data: { 'text/plain': ['(no static PNG: Chromium is not installed; apt-get install chromium)'] } },
      ] },
      { cell_type: 'code', execution_count: null, source: [], outputs: [] },
    ],
    metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

test('slimNotebook: one output per figure with the PNG inside, no plotly.js, no banner, relative paths, counted cells', () => {
  const nb = oldNotebook();
  const before = JSON.stringify(nb).length;
  const stats = slimNotebook(nb, { root: ROOT, notebookDir: path.join(ROOT, 'notebooks'), executed: true });
  assert.deepEqual(stats, { bundles: 1, figures: 2, banners: 1, watcher: 1, paths: 1, counts: 3, kernelspec: 1 });
  assert.deepEqual((nb.metadata as { kernelspec?: unknown }).kernelspec, {
    display_name: 'divergence-triangle (TypeScript)', language: 'typescript', name: 'divergence-triangle',
  }, 'the old shared "tslab" kernel is replaced by the one every clone registers');
  assert.ok(JSON.stringify(nb).length < before / 100, 'the 4.7 MB bundle is gone');

  const [, setup, plot1, plot2, empty] = nb.cells as { execution_count: number | null; outputs: Output[] }[];
  assert.deepEqual(setup.outputs.map((o) => o.name), ['stderr', 'stdout'], 'the banner output is dropped');
  assert.deepEqual(setup.outputs[0].text, ['a real warning\n'], "tslab's watcher traces are dropped, other stderr kept");
  setup.outputs.shift();
  assert.deepEqual(setup.outputs[0].text, ['results → notebooks/results/x.json\n', 'root .\n']);

  assert.equal(plot1.outputs.length, 2, 'figure + table, the separate PNG merged in');
  const html = (plot1.outputs[0].data!['text/html'] as string[]).join('');
  assert.ok(html.startsWith('<div id="p1" class="dtri-figure" style="width:500px;min-height:300px;"><img class="dtri-static" alt="loss"'));
  assert.ok(html.includes(`src="data:image/png;base64,${png.toString('base64')}"`));
  assert.ok(html.includes('hover("p1")'), 'the hover script is kept');
  assert.ok(html.includes('"../node_modules/plotly.js-dist-min/plotly.min.js"'));
  assert.ok(html.includes('0.123457') && !html.includes('0.123456789'));
  assert.ok(!html.includes('window.define=undefined;try{'));
  assert.equal((plot1.outputs[1].data!['text/html'] as string[]).join(''), '<table></table>');

  assert.equal(plot2.outputs.length, 1, 'the "no static PNG" note merged in');
  const html2 = (plot2.outputs[0].data!['text/html'] as string[]).join('');
  assert.ok(html2.includes('no static image: Chromium is not installed; apt-get install chromium') && !html2.includes('<img'));

  assert.deepEqual([setup, plot1, plot2, empty].map((c) => c.execution_count), [1, 2, 3, null]);

  // a second pass changes nothing
  const once = JSON.stringify(nb);
  assert.deepEqual(slimNotebook(nb, { root: ROOT, notebookDir: path.join(ROOT, 'notebooks'), executed: true }), {
    bundles: 0, figures: 0, banners: 0, watcher: 0, paths: 0, counts: 0, kernelspec: 0,
  });
  assert.equal(JSON.stringify(nb), once);
});

test('slimNotebook: execution counts only when asked (a notebook known to have run top to bottom)', () => {
  const nb = oldNotebook();
  slimNotebook(nb, { root: ROOT });
  assert.ok((nb.cells as { execution_count?: number | null }[]).every((c) => c.execution_count == null));
});
