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
