import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { chromiumAvailable, chromiumPath, closeFigureBrowser, exportFigure, exportPrintFigure, exportSvg, svgSize } from '../../lib/viz/export';
import { lossCurvesFigure } from '../../lib/viz/figures';
import { isUserError } from '../../lib/errors';

const skip = chromiumAvailable() ? false : `Chromium not found at ${chromiumPath()} (apt-get install chromium): static export not tested`;

const fig = lossCurvesFigure(
  Array.from({ length: 20 }, (_, i) => ({ iteration: i, loss: Math.exp(-i / 5), kl: 1 + i / 10 })),
  { title: 'export test' },
);

/** Standard deviation of the PNG's gray levels: 0 for a blank image. */
async function pixelStd(file: string): Promise<number> {
  const stats = await sharp(file).stats();
  return stats.channels[0].stdev;
}

test('exportFigure renders a plotly figure to PNG, SVG and PDF in headless Chromium', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-export-'));
  try {
    const png = await exportFigure(fig, path.join(dir, 'f.png'), { width: 600, height: 300, scale: 2 });
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.width, meta.height], [1200, 600], 'scale 2 doubles the pixels');
    assert.ok((await pixelStd(png)) > 5, 'the PNG is not blank');

    const svg = fs.readFileSync(await exportFigure(fig, path.join(dir, 'f.svg')), 'utf8');
    assert.ok(svg.startsWith('<svg') && svg.includes('export test'), 'an SVG with the title text');
    assert.ok(svg.length > 5000);

    const pdf = fs.readFileSync(await exportFigure(fig, path.join(dir, 'f.pdf'), { dpi: 300 }));
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.ok(pdf.length > 3000);

    // an SVG drawing (as lib/landscape makes) to PNG through sharp and to PDF through Chromium
    const drawing = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80"><rect width="120" height="80" fill="#fff"/><circle cx="40" cy="40" r="30" fill="#0072B2"/><text x="75" y="45" font-size="14">E</text></svg>';
    const dpng = await exportSvg(drawing, path.join(dir, 'd.png'), { scale: 3 });
    assert.deepEqual(await sharp(dpng).metadata().then((m) => [m.width, m.height]), [360, 240]);
    assert.ok((await pixelStd(dpng)) > 5);
    const dpdf = fs.readFileSync(await exportSvg(drawing, path.join(dir, 'd.pdf')));
    assert.equal(dpdf.subarray(0, 5).toString('latin1'), '%PDF-');
  } finally {
    await closeFigureBrowser();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('export errors name the fix', async () => {
  await assert.rejects(exportFigure(fig, '/tmp/x.jpg'), (e) => isUserError(e) && /\.png, \.svg or \.pdf/.test(e.message));
  assert.throws(() => svgSize('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), (e) => isUserError(e) && /width\/height or viewBox/.test(e.message));
  assert.deepEqual(svgSize('<svg viewBox="0 0 30 20"></svg>'), { width: 30, height: 20 });
  const saved = process.env.DTRI_CHROMIUM;
  process.env.DTRI_CHROMIUM = '/nonexistent/chromium';
  try {
    await assert.rejects(exportFigure(fig, '/tmp/never.png'), (e) => isUserError(e) && /apt-get install chromium/.test(e.message));
  } finally {
    if (saved === undefined) delete process.env.DTRI_CHROMIUM;
    else process.env.DTRI_CHROMIUM = saved;
  }
});

/** The text of every SVG parses as XML with an <svg> root (Chromium's DOMParser, the strictest reader at hand). */
async function svgParses(svg: string): Promise<boolean> {
  const { chromium } = await import('playwright-core');
  const b = await chromium.launch({ executablePath: chromiumPath(), args: ['--headless', '--no-sandbox', '--disable-gpu'], headless: true });
  try {
    const p = await b.newPage();
    return await p.evaluate((text) => {
      const g = globalThis as unknown as { DOMParser: new () => { parseFromString(t: string, m: string): { documentElement: { nodeName: string }; getElementsByTagName(n: string): { length: number } } } };
      const doc = new g.DOMParser().parseFromString(text, 'image/svg+xml');
      return doc.documentElement.nodeName === 'svg' && doc.getElementsByTagName('parsererror').length === 0;
    }, svg);
  } finally {
    await b.close();
  }
}

test('exportPrintFigure writes PNG, SVG and PDF of curves, a drawing and a sample grid at print resolution, fonts embedded', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-print-'));
  try {
    // curves: 480×288 CSS px at 300 dpi = 1500×900 pixels
    const files = await exportPrintFigure(fig, path.join(dir, 'curves'), { width: 480, height: 288, dpi: 300 });
    assert.deepEqual(Object.keys(files).sort(), ['pdf', 'png', 'svg']);
    for (const f of Object.values(files)) assert.ok(fs.existsSync(f!), f);
    const meta = await sharp(files.png!).metadata();
    assert.deepEqual([meta.width, meta.height, meta.density], [1500, 900, 300]);
    assert.ok((await pixelStd(files.png!)) > 5, 'the PNG is not blank');
    const pdf = fs.readFileSync(files.pdf!).toString('latin1');
    assert.ok(pdf.startsWith('%PDF-'));
    assert.match(pdf, /\/FontFile[23]?\b/, 'fonts embedded in the PDF');
    const svg = fs.readFileSync(files.svg!, 'utf8');
    assert.ok(svg.includes('export test'));
    assert.ok(await svgParses(svg), 'the SVG parses');

    // an SVG drawing with text (as lib/landscape's disconnectivity graph), 200×100 → 2 in at 150 dpi = 313×156
    const drawing = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="200" height="100" fill="#fff"/><circle cx="40" cy="50" r="30" fill="#0072B2"/><text x="90" y="55" font-family="DejaVu Sans" font-size="14">2 · 100%</text></svg>';
    const d = await exportPrintFigure({ svg: drawing }, path.join(dir, 'dg.svg'), { dpi: 150 });
    assert.equal(d.png, path.join(dir, 'dg.png'), 'an extension on the base path is dropped');
    assert.deepEqual(await sharp(d.png!).metadata().then((m) => [m.width, m.height]), [313, 156]);
    assert.match(fs.readFileSync(d.pdf!).toString('latin1'), /^%PDF-[\s\S]*\/FontFile/);
    assert.ok(await svgParses(fs.readFileSync(d.svg!, 'utf8')));

    // a sample grid (raster): 8×4 pixels shown 96×48 CSS px (1 × 0.5 in) at 300 dpi = 300×150, nearest neighbour
    const grid = await sharp({ create: { width: 8, height: 4, channels: 3, background: '#000' } })
      .composite([{ input: { create: { width: 4, height: 4, channels: 3, background: '#fff' } }, left: 4, top: 0 }])
      .png()
      .toBuffer();
    const g = await exportPrintFigure({ png: grid }, path.join(dir, 'samples'), { width: 96, dpi: 300 });
    const raw = await sharp(g.png!).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([raw.info.width, raw.info.height], [300, 150]);
    const px = (x: number) => raw.data[x * raw.info.channels];
    assert.deepEqual([px(0), px(148), px(151), px(299)], [0, 0, 255, 255], 'crisp pixels, no blur across the edge');
    assert.ok(fs.readFileSync(g.pdf!).subarray(0, 5).toString('latin1') === '%PDF-');
    const gsvg = fs.readFileSync(g.svg!, 'utf8');
    assert.ok(gsvg.includes('data:image/png;base64,') && (await svgParses(gsvg)));

    const only = await exportPrintFigure(fig, path.join(dir, 'only'), { formats: ['svg'] });
    assert.deepEqual(Object.keys(only), ['svg']);
    await assert.rejects(exportPrintFigure(fig, path.join(dir, 'x'), { dpi: 0 }), (e) => isUserError(e) && /dpi/.test(e.message));
  } finally {
    await closeFigureBrowser();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
