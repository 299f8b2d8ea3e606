import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { chromium } from 'playwright-core';
import { chromiumAvailable, chromiumPath } from '../../lib/viz/export';
import { plotDivHtml, plotlyScriptTag } from '../../lib/viz/plotly';
import { lossCurvesFigure } from '../../lib/viz/figures';

// Classic Notebook 6 pages load require.js; Debian ships the same file (libjs-requirejs, a jupyter-notebook dependency).
const REQUIRE_JS = '/usr/share/javascript/requirejs/require.min.js';
const skip = !chromiumAvailable()
  ? `Chromium not found at ${chromiumPath()} (apt-get install chromium)`
  : !fs.existsSync(REQUIRE_JS)
    ? `require.js not found at ${REQUIRE_JS} (apt-get install libjs-requirejs)`
    : false;

test('showPlot HTML draws under require.js, as in classic Notebook 6 outputs, and leaves define in place', { skip }, async () => {
  const fig = lossCurvesFigure([{ iteration: 1, loss: 2 }, { iteration: 2, loss: 1 }]);
  // what two showPlot calls emit: the first carries plotly.js, the second only its div and script
  const outputs = [plotlyScriptTag() + plotDivHtml(fig, { id: 'a' }), plotDivHtml(fig, { id: 'b' })];
  const page = `<!doctype html><html><head><meta charset="utf-8"><script>${fs.readFileSync(REQUIRE_JS, 'utf8')}</script></head><body>${outputs.join('\n')}</body></html>`;
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const p = await browser.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.setContent(page);
    await p.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('.main-svg').length >= 4, undefined, { timeout: 30_000 });
    const state = await p.evaluate(() => {
      const g = globalThis as unknown as { Plotly?: { version: string }; define?: ((...args: unknown[]) => void) & { amd?: unknown } };
      return { plotly: g.Plotly?.version, amd: typeof g.define === 'function' && Boolean(g.define.amd) };
    });
    assert.deepEqual(errors, []);
    assert.equal(state.plotly, '3.0.1');
    assert.equal(state.amd, true, 'require.js define restored after plotly loaded');
  } finally {
    await browser.close();
  }
});

const BUNDLE = require.resolve('plotly.js-dist-min/plotly.min.js');
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/**
 * Serves `body` at http://dtri.test/notebooks/page.html and plotly.js only at `plotlyUrl` (every other URL 404s),
 * then reports what the figure div holds once its loader settled.
 */
async function figureState(opts: { body: string; head?: string; plotlyUrl: string | null }) {
  const { figureHtml } = await import('../../lib/viz/plotly');
  const fig = lossCurvesFigure([{ iteration: 1, loss: 2 }, { iteration: 2, loss: 1 }]);
  const page = `<!doctype html><html><head><meta charset="utf-8">${opts.head ?? ''}</head>${opts.body}` +
    `${figureHtml(fig, { id: 'a', png: PNG_1PX, plotlyPath: '../node_modules/plotly.js-dist-min/plotly.min.js' })}` +
    `${figureHtml(fig, { id: 'b', png: PNG_1PX, plotlyPath: '../node_modules/plotly.js-dist-min/plotly.min.js' })}</body></html>`;
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const ctx = await browser.newContext();
    const requested: string[] = [];
    await ctx.route('**/*', (route) => {
      const url = route.request().url();
      requested.push(url);
      if (url === 'http://dtri.test/notebooks/page.html') return route.fulfill({ contentType: 'text/html', body: page });
      if (url === opts.plotlyUrl) return route.fulfill({ contentType: 'application/javascript', body: fs.readFileSync(BUNDLE, 'utf8') });
      return route.fulfill({ status: 404, body: 'not found' });
    });
    const p = await ctx.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.goto('http://dtri.test/notebooks/page.html');
    type G = { Plotly?: unknown; __dtriPlotly?: Promise<unknown>; define?: { amd?: unknown }; document: { querySelectorAll(s: string): { length: number } } };
    await p.waitForFunction(() => {
      const g = globalThis as unknown as G;
      return g.document.querySelectorAll('.main-svg').length >= 4 || (g.__dtriPlotly === undefined && !g.Plotly);
    }, undefined, { timeout: 30_000 });
    await p.waitForTimeout(200);
    const state = await p.evaluate(() => {
      const g = globalThis as unknown as G;
      return { plots: g.document.querySelectorAll('.js-plotly-plot').length, images: g.document.querySelectorAll('img.dtri-static').length, amd: Boolean(g.define && g.define.amd) };
    });
    return { ...state, errors, plotlyRequests: requested.filter((u) => u.includes('plotly')) };
  } finally {
    await browser.close();
  }
}

test('figureHtml in Notebook 6 (require.js): plotly.js loads once from the server\'s /files/, replacing the static image', { skip }, async () => {
  const s = await figureState({
    head: `<script>${fs.readFileSync(REQUIRE_JS, 'utf8')}</script>`,
    body: '<body data-base-url="/" data-notebook-path="notebooks/page.ipynb">',
    plotlyUrl: 'http://dtri.test/files/node_modules/plotly.js-dist-min/plotly.min.js',
  });
  assert.deepEqual(s.errors, []);
  assert.deepEqual({ plots: s.plots, images: s.images, amd: s.amd }, { plots: 2, images: 0, amd: true });
  assert.deepEqual(s.plotlyRequests, ['http://dtri.test/files/node_modules/plotly.js-dist-min/plotly.min.js'], 'one fetch for both figures');
});

test('figureHtml: when the notebook-relative URL 404s, the project-root /files/ URL is tried next', { skip }, async () => {
  const s = await figureState({
    body: '<body data-base-url="/" data-notebook-path="clone/notebooks/page.ipynb">',
    plotlyUrl: 'http://dtri.test/files/node_modules/plotly.js-dist-min/plotly.min.js',
  });
  // the first candidate, /files/clone/node_modules/..., 404s (the route); the second loads
  assert.deepEqual(s.errors, []);
  assert.equal(s.plots, 2);
  assert.equal(s.plotlyRequests[0], 'http://dtri.test/files/clone/node_modules/plotly.js-dist-min/plotly.min.js');
});

test('figureHtml where plotly.js cannot load (exported HTML away from the project): the static image stays, no error', { skip }, async () => {
  const s = await figureState({ body: '<body>', plotlyUrl: null });
  assert.deepEqual(s.errors, []);
  assert.deepEqual({ plots: s.plots, images: s.images }, { plots: 0, images: 2 });
  assert.deepEqual(s.plotlyRequests, ['http://dtri.test/node_modules/plotly.js-dist-min/plotly.min.js'], 'the path relative to the page');
});
