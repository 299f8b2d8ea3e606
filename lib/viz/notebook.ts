/**
 * Display in tslab notebooks, falling back to console output elsewhere (scripts, tests, the CLI).
 *
 * Classic Notebook 6 and nbconvert's HTML do not render plotly's own MIME type, so showPlot emits one
 * HTML output per figure (figureHtml): a static PNG (Chromium) inside the plot's div, replaced by the
 * interactive plot once plotly.js loads from the notebook server (/files/…/node_modules/plotly.js-dist-min).
 * The saved notebook carries no copy of plotly.js; exported HTML and GitHub's viewer show the PNG.
 */
import * as path from 'node:path';
import { escapeHtml, figureHtml, figureTitle, plotlyPathFrom, type PlotlyFigure } from './plotly';
import { chromiumAvailable, renderFigure } from './export';
import { ProgressTracker, formatDuration, formatMetric, progressBar, type ProgressUpdate } from './progress';
import { tslabDisplay } from './tslab';

export interface ShowPlotOptions {
  /** put a static PNG (1 px per CSS px, the size of the live plot) in the output, shown until plotly.js loads and wherever it cannot (default true; a note instead if Chromium is missing) */
  staticPng?: boolean;
  width?: number;
  height?: number;
  /** browser JS run after plotting, given the div id (e.g. lib/landscape's disconnectivityHoverScript) */
  extraScript?: (divId: string) => string;
}

function describeFigure(fig: PlotlyFigure): string {
  const title = figureTitle(fig);
  const kinds = [...new Set(fig.data.map((d) => String(d.type ?? 'scatter')))].join(', ');
  return `[figure${title ? ` "${title}"` : ''}: ${fig.data.length} traces (${kinds}); not in a notebook, use exportFigure to save it]`;
}

/** The static PNG of a figure, or why there is none (the copy is a convenience: a browser failure must not fail the cell). */
async function staticPng(fig: PlotlyFigure, opts: ShowPlotOptions): Promise<{ png: Buffer | null; note?: string }> {
  if (!(opts.staticPng ?? true)) return { png: null };
  if (!chromiumAvailable()) return { png: null, note: 'no static image: Chromium is not installed (apt-get install chromium)' };
  try {
    return { png: await renderFigure(fig, 'png', { width: opts.width, height: opts.height, scale: 1 }) };
  } catch (e) {
    return { png: null, note: `no static image: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** Shows a plotly figure: one HTML output (static PNG, interactive once plotly.js loads) in a notebook, a one-line note elsewhere. */
export async function showPlot(fig: PlotlyFigure, opts: ShowPlotOptions = {}): Promise<void> {
  const tslab = tslabDisplay();
  if (!tslab) {
    console.log(describeFigure(fig));
    return;
  }
  const { png, note } = await staticPng(fig, opts);
  // the kernel runs in the notebook's folder: the bundle's path from there, served by Jupyter's /files/
  const plotlyPath = plotlyPathFrom(path.resolve(process.cwd()));
  tslab.display.html(figureHtml(fig, { width: opts.width, height: opts.height, extraScript: opts.extraScript, png, note, plotlyPath }));
}

/** Shows PNG bytes (e.g. from imageGrid) in a notebook; elsewhere prints its size. */
export function showImage(png: Uint8Array, opts: { caption?: string } = {}): void {
  const tslab = tslabDisplay();
  if (!tslab) {
    console.log(`[image${opts.caption ? ` "${opts.caption}"` : ''}: ${png.length} bytes of PNG; not in a notebook]`);
    return;
  }
  tslab.display.png(png);
  if (opts.caption) tslab.display.markdown(`*${opts.caption}*`);
}

type Cell = string | number | boolean | null | undefined;

function cellText(v: Cell): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatMetric(v);
  return String(v);
}

/** Column names: the union of the rows' keys in first-seen order. */
function columnsOf(rows: readonly Readonly<Record<string, Cell>>[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r)))];
}

/** An HTML table of the rows (numbers right-aligned, 4 significant digits). */
export function tableHtml(rows: readonly Readonly<Record<string, Cell>>[], opts: { caption?: string } = {}): string {
  const cols = columnsOf(rows);
  const th = cols.map((c) => `<th style="text-align:left;padding:2px 10px;border-bottom:1px solid #999">${escapeHtml(c)}</th>`).join('');
  const body = rows
    .map((r) => {
      const tds = cols.map((c) => {
        const v = r[c];
        const align = typeof v === 'number' ? 'right' : 'left';
        return `<td style="text-align:${align};padding:2px 10px">${escapeHtml(cellText(v))}</td>`;
      });
      return `<tr>${tds.join('')}</tr>`;
    })
    .join('');
  const caption = opts.caption ? `<caption style="caption-side:top;text-align:left;font-weight:bold">${escapeHtml(opts.caption)}</caption>` : '';
  return `<table style="border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums">${caption}<thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The rows as aligned plain text (the console fallback of showTable). */
export function tableText(rows: readonly Readonly<Record<string, Cell>>[]): string {
  const cols = columnsOf(rows);
  const cells = rows.map((r) => cols.map((c) => cellText(r[c])));
  const widths = cols.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j].length)));
  const line = (vals: string[], numeric: boolean[]) => vals.map((v, j) => (numeric[j] ? v.padStart(widths[j]) : v.padEnd(widths[j]))).join('  ');
  const numericCol = cols.map((c) => rows.some((r) => typeof r[c] === 'number'));
  return [line(cols, numericCol), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map((row) => line(row, numericCol))].join('\n');
}

/** Shows rows as an HTML table in a notebook, as aligned text elsewhere. */
export function showTable(rows: readonly Readonly<Record<string, Cell>>[], opts: { caption?: string } = {}): void {
  const tslab = tslabDisplay();
  if (tslab) tslab.display.html(tableHtml(rows, opts));
  else console.log((opts.caption ? opts.caption + '\n' : '') + tableText(rows));
}

export interface ProgressDisplay {
  /** pass lib/train's onProgress objects straight in */
  update(p: ProgressUpdate): void;
  done(message?: string): void;
}

/**
 * Training progress that updates one notebook output in place (iteration, rate, ETA, last losses),
 * redrawn at most every `minIntervalMs` (default 500 ms: each redraw is a kernel message). Outside a
 * notebook it is a terminal progressBar.
 */
export function progressDisplay(opts: { total?: number; label?: string; minIntervalMs?: number } = {}): ProgressDisplay {
  const tslab = tslabDisplay();
  if (!tslab) return progressBar({ total: opts.total, label: opts.label });
  const out = tslab.newDisplay();
  const tracker = new ProgressTracker(opts.total);
  const minGap = opts.minIntervalMs ?? 500;
  let last = -Infinity;
  let finished = false;
  const draw = (message?: string) => {
    const p = tracker.last;
    const total = p.total ?? opts.total;
    const pct = total ? Math.min(100, (100 * p.iteration) / total) : 0;
    const rate = tracker.rate();
    const bar = total
      ? `<div style="width:240px;height:8px;background:#e5e5e5;display:inline-block;vertical-align:middle;margin-right:8px"><div style="width:${pct.toFixed(1)}%;height:100%;background:#0072B2"></div></div>`
      : '';
    const stats = [
      `${p.iteration}${total ? ` / ${total}` : ''}`,
      rate > 0 ? (rate >= 1 ? `${rate.toFixed(1)} it/s` : `${(1 / rate).toFixed(1)} s/it`) : '',
      total ? `ETA ${formatDuration(tracker.etaSeconds())}` : formatDuration(tracker.elapsedSeconds()),
    ].filter(Boolean);
    const metrics = Object.entries(p.metrics ?? {})
      .map(([k, v]) => `<span style="margin-right:12px">${escapeHtml(k)} <b>${escapeHtml(formatMetric(v))}</b></span>`)
      .join('');
    out.html(
      `<div style="font-family:monospace;font-size:12px">${opts.label ? `<b>${escapeHtml(opts.label)}</b> ` : ''}${bar}${escapeHtml(stats.join(' · '))}` +
        `${metrics ? `<div>${metrics}</div>` : ''}${message ? `<div>${escapeHtml(message)}</div>` : ''}</div>`,
    );
  };
  return {
    update(p) {
      if (finished) return;
      tracker.update(p);
      const t = Date.now();
      if (t - last >= minGap) {
        last = t;
        draw();
      }
    },
    done(message) {
      if (finished) return;
      finished = true;
      draw(message ?? `done in ${formatDuration(tracker.elapsedSeconds())}`);
    },
  };
}
