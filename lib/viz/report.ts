/**
 * One self-contained HTML page per training run (`dtri report RUN_DIR`): the run's summary.json, its loss
 * curves from metrics.jsonl (interactive plotly, inlined, plus a static PNG when Chromium is present),
 * every PNG in the folder (samples, reconstructions, disconnectivity graph) and every SVG. Images are
 * embedded as data URIs, so the page can be mailed or archived alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { chromiumAvailable, renderFigure } from './export';
import { lossCurvesFigure, type HistoryRow } from './figures';
import { escapeHtml, jsonForScript, plotDivHtml, plotlyScriptTag } from './plotly';
import { tableHtml } from './notebook';

export const REPORT_FILE = 'report.html';

/** Folders never searched for images (checkpoints, caches). */
const SKIP_DIRS = new Set(['checkpoint', 'checkpoints', 'node_modules', '.git']);

/** Files under `dir` with one of `exts`, to `depth` levels of subfolders, in natural order of their relative paths. */
function findFiles(dir: string, exts: string[], depth = 2): string[] {
  const out: string[] = [];
  const walk = (d: string, level: number) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (level < depth && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(p, level + 1);
      } else if (exts.includes(path.extname(e.name).toLowerCase())) out.push(path.relative(dir, p));
    }
  };
  walk(dir, 0);
  return out.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

/** Rows of metrics.jsonl; bad lines (a crash mid-write) are skipped and counted. */
export function readMetricsJsonl(file: string): { rows: HistoryRow[]; skipped: number } {
  const rows: HistoryRow[] = [];
  let skipped = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) rows.push(v as HistoryRow);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { rows, skipped };
}

function summarySection(summary: Record<string, unknown>): string {
  const scalars: Record<string, string | number | boolean | null> = {};
  const nested: string[] = [];
  for (const [k, v] of Object.entries(summary)) {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) scalars[k] = v as string | number | boolean | null;
    else nested.push(k);
  }
  const finalMetrics = summary.finalMetrics;
  const metricsTable =
    finalMetrics && typeof finalMetrics === 'object' && !Array.isArray(finalMetrics) && Object.keys(finalMetrics).length
      ? `<h3>Final metrics</h3>${tableHtml(Object.entries(finalMetrics as Record<string, number>).map(([term, value]) => ({ term, value })))}`
      : '';
  const details = nested
    .filter((k) => k !== 'finalMetrics')
    .map((k) => `<details><summary>${escapeHtml(k)}</summary><pre>${escapeHtml(JSON.stringify(summary[k], null, 2))}</pre></details>`)
    .join('');
  const rows = Object.entries(scalars).map(([field, value]) => ({ field, value }));
  return `<h2>Summary</h2>${rows.length ? tableHtml(rows) : ''}${metricsTable}${details}`;
}

function dataUri(file: string, mime: string): string {
  return `data:${mime};base64,${fs.readFileSync(file).toString('base64')}`;
}

/**
 * Writes `runDir/report.html` and returns its path.
 * @throws UserError when runDir is not a folder
 */
export async function buildReport(runDir: string, opts: { title?: string; staticPng?: boolean } = {}): Promise<string> {
  if (!fs.existsSync(runDir) || !fs.statSync(runDir).isDirectory()) {
    throw new UserError(`no run folder at ${runDir}: pass the output folder of a training run (the one holding summary.json)`);
  }
  const title = opts.title ?? `Run ${path.basename(path.resolve(runDir))}`;
  const sections: string[] = [];
  const notes: string[] = [];
  let usesPlotly = false;

  const summaryFile = path.join(runDir, 'summary.json');
  let summary: Record<string, unknown> | null = null;
  if (fs.existsSync(summaryFile)) {
    try {
      summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as Record<string, unknown>;
      sections.push(summarySection(summary));
    } catch (e) {
      notes.push(`summary.json is not valid JSON (${(e as Error).message})`);
    }
  } else notes.push('no summary.json (the run may still be going, or was stopped before writing it)');

  const metricsFile = path.join(runDir, 'metrics.jsonl');
  if (fs.existsSync(metricsFile)) {
    const { rows, skipped } = readMetricsJsonl(metricsFile);
    if (skipped) notes.push(`${skipped} unreadable line(s) in metrics.jsonl were skipped`);
    if (rows.length) {
      const fig = lossCurvesFigure(rows);
      usesPlotly = true;
      let staticImg = '';
      if ((opts.staticPng ?? true) && chromiumAvailable()) {
        const png = await renderFigure(fig, 'png', { scale: 1.5 });
        staticImg = `<details><summary>static image</summary><img alt="training curves" style="max-width:100%" src="data:image/png;base64,${png.toString('base64')}"></details>`;
      } else if (opts.staticPng ?? true) notes.push('no static PNG of the curves: Chromium is not installed (apt-get install chromium)');
      sections.push(`<h2>Training curves</h2><p class="note">${rows.length} logged rows from metrics.jsonl</p>${plotDivHtml(fig)}${staticImg}`);
    } else notes.push('metrics.jsonl has no rows yet');
  } else notes.push('no metrics.jsonl');

  const pngs = findFiles(runDir, ['.png']);
  if (pngs.length) {
    const figs = pngs.map(
      (f) => `<figure><img alt="${escapeHtml(f)}" src="${dataUri(path.join(runDir, f), 'image/png')}"><figcaption>${escapeHtml(f)}</figcaption></figure>`,
    );
    sections.push(`<h2>Images</h2>${figs.join('')}`);
  }
  const svgs = findFiles(runDir, ['.svg']);
  if (svgs.length) {
    // as <img> rather than inline, so one drawing's ids and styles cannot leak into another
    const figs = svgs.map(
      (f) => `<figure><img alt="${escapeHtml(f)}" src="${dataUri(path.join(runDir, f), 'image/svg+xml')}"><figcaption>${escapeHtml(f)}</figcaption></figure>`,
    );
    sections.push(`<h2>Drawings</h2>${figs.join('')}`);
  }

  const subtitle = summary
    ? ['method', 'preset', 'status', 'iterations', 'backend']
        .filter((k) => summary![k] !== undefined)
        .map((k) => `${k}: ${String(summary![k])}`)
        .join(' · ')
    : '';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font-family:'DejaVu Sans','Liberation Sans',Helvetica,Arial,sans-serif;color:#222;max-width:1200px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:14px}
.note{color:#666;font-size:12px}figure{display:inline-block;margin:8px 16px 8px 0;vertical-align:top}
figure img{max-width:100%;image-rendering:pixelated;border:1px solid #eee}figcaption{font-size:12px;color:#555}
pre{background:#f7f7f7;padding:8px;font-size:12px;overflow:auto}details{margin:6px 0}
</style>
${usesPlotly ? plotlyScriptTag() : ''}
</head><body>
<h1>${escapeHtml(title)}</h1>
<div class="note">${escapeHtml(subtitle)}${subtitle ? ' · ' : ''}generated ${escapeHtml(new Date().toISOString().slice(0, 19).replace('T', ' '))} from ${escapeHtml(path.resolve(runDir))}</div>
${notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n')}
${sections.join('\n')}
<script type="application/json" id="dtri-report-meta">${jsonForScript({ runDir: path.resolve(runDir), pngs, svgs })}</script>
</body></html>
`;
  const out = path.join(runDir, REPORT_FILE);
  fs.writeFileSync(out, html);
  return out;
}
