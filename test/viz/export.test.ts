import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { chromiumAvailable, chromiumPath, closeFigureBrowser, exportFigure, exportSvg, svgSize } from '../../lib/viz/export';
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
