/**
 * One self-contained HTML page per training run (`dtri report RUN_DIR`): the run's summary.json with a
 * description of what ran (from its config, not the preset's fixed text), its loss curves from
 * metrics.jsonl (the objective's terms, then optimiser diagnostics; interactive plotly, inlined, with a
 * static PNG for pages opened without scripts), and every image of the folder once (a drawing saved as
 * both SVG and PNG is shown as SVG), each with a caption saying what it shows. Images are embedded as
 * data URIs, so the page can be mailed or archived alone. The print exports under figures/ are listed,
 * not repeated.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { chromiumAvailable, renderFigure } from './export';
import { lossCurvesFigure, type HistoryRow } from './figures';
import { isLearningRateKey } from './labels';
import { escapeHtml, jsonForScript, plotDivHtml, plotlyScriptTag } from './plotly';
import { tableHtml } from './notebook';

export const REPORT_FILE = 'report.html';
/** Sub-folder of a run with the print exports (PNG, SVG, PDF of each figure; lib/cli/start.ts). */
export const PRINT_DIR = 'figures';
/** Files the report draws itself (the curves), so an exported copy is not shown again. */
const DRAWN_BY_REPORT = /^loss-curves\.(png|svg)$/;

/**
 * What a disconnectivity graph (lib/landscape, §4.3 of the triangle paper) shows, for its caption.
 * @param method 'linear' (barrier = highest energy on the straight line between two minima, as the
 *   paper) or 'ad' (attraction–diffusion, Hill et al.)
 */
export function disconnectivityCaption(method?: string): string {
  const barrier =
    method === 'ad'
      ? 'the highest energy met by an attraction–diffusion chain from one minimum to the other'
      : method === 'linear'
        ? 'the highest energy on the straight line between their minima, as in the paper'
        : 'the energy barrier between their minima';
  return (
    'Disconnectivity graph of the learned energy E(x) = −f_α(x). Each column is a basin: the local minima reached by ' +
    'gradient descent from test images, grouped by the barriers between them. A column ends at its basin\'s lowest ' +
    `energy; two columns join at the height of ${barrier}. Circle area is proportional to the number of test images whose ` +
    'descent ended in the basin (the largest basin has the largest circle). Under each column, members of the basin, ' +
    'lowest energy first. A label such as "2 · 100%" names the basin\'s most frequent class (digit 2) and the share of ' +
    'its members with that class (its purity: 100%); a bare number is the member count when the data have no labels.'
  );
}

/** Captions for the images a run writes (by file name); other files are captioned by their name. */
function captionFor(file: string, landscapeMethod?: string): string {
  const base = path.basename(file).replace(/\.(png|svg)$/i, '');
  if (/^landscape$|disconnectivity/.test(base)) return disconnectivityCaption(landscapeMethod);
  if (base === 'samples') return 'Samples x̃ = g_θ(z), z ~ N(0, I), from the generator.';
  if (base === 'reconstructions') return 'Reconstructions of held-out test images: each row of originals x above its reconstructions g_θ(μ_φ(x)).';
  return '';
}

/** Folders never searched for images (checkpoints, caches). */
const SKIP_DIRS = new Set(['checkpoint', 'checkpoints', 'node_modules', '.git', PRINT_DIR]);

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
    .map((k) => {
      // the preset's fixed description would contradict "what ran" once anything was overridden
      const v = k === 'config' && summary.config && typeof summary.config === 'object' ? { ...(summary.config as object), description: undefined } : summary[k];
      return `<details><summary>${escapeHtml(k)}</summary><pre>${escapeHtml(JSON.stringify(v, null, 2))}</pre></details>`;
    })
    .join('');
  const config = summary.config && typeof summary.config === 'object' && !Array.isArray(summary.config) ? (summary.config as Record<string, unknown>) : null;
  const rows = [...(config ? [{ field: 'what ran', value: describeRun(config) }] : []), ...Object.entries(scalars).map(([field, value]) => ({ field, value }))];
  return `<h2>Summary</h2>${rows.length ? tableHtml(rows) : ''}${metricsTable}${details}`;
}

/** Keys of the objective's terms vs optimiser diagnostics (per-network losses, gradient norms); learning rates neither. */
export function curveTerms(rows: readonly HistoryRow[]): { objective: string[]; diagnostics: string[] } {
  const skip = new Set(['iteration', 'iter', 'step', 'epoch', 'seconds', 'time', 'elapsed', 'timestamp']);
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => !skip.has(k) && !isLearningRateKey(k) && rows.some((r) => typeof r[k] === 'number'));
  const diag = (k: string) => /^(gradNorm|loss[A-Z])/.test(k);
  return { objective: keys.filter((k) => !diag(k)), diagnostics: keys.filter(diag) };
}

/** landscape.json's method ('linear' | 'ad'), if the run mapped its energy. */
function readLandscapeMethod(runDir: string): string | undefined {
  try {
    const j = JSON.parse(fs.readFileSync(path.join(runDir, 'landscape.json'), 'utf8')) as { method?: unknown };
    return typeof j.method === 'string' ? j.method : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One line on what ran, from the run's config (the preset after its overrides), e.g. "triangle on 8,000
 * mnist training images, batch 64, 1,000 iterations, 1/4-width networks, latent 100, paper scaling".
 * A preset's own description is fixed text and goes stale once iterations or data are overridden.
 */
export function describeRun(config: Record<string, unknown>): string {
  const n = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en-US') : undefined);
  const parts: string[] = [];
  const data = config.dataset ? `${n(config.dataLimit) && config.dataLimit ? `${n(config.dataLimit)} ` : ''}${String(config.dataset)} training images` : undefined;
  parts.push([config.method, data ? `on ${data}` : undefined].filter(Boolean).join(' '));
  if (n(config.batchSize)) parts.push(`batch ${n(config.batchSize)}`);
  if (n(config.iterations)) parts.push(`${n(config.iterations)} iterations`);
  if (typeof config.width === 'number' && config.width > 0) parts.push(`${config.width === 1 ? 'full' : `${fraction(config.width)}`}-width networks`);
  if (n(config.latentDim)) parts.push(`latent ${n(config.latentDim)}`);
  if (typeof config.scaling === 'string') parts.push(`${config.scaling} scaling`);
  return parts.filter(Boolean).join(', ');
}

function fraction(w: number): string {
  const inv = 1 / w;
  return Math.abs(inv - Math.round(inv)) < 1e-9 ? `1/${Math.round(inv)}` : String(w);
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
      usesPlotly = true;
      const { objective, diagnostics } = curveTerms(rows);
      const parts: string[] = [];
      for (const [terms, name, heading] of [
        [objective, 'training curves', 'the objective\'s terms'],
        [diagnostics, 'optimiser diagnostics', 'optimiser diagnostics: each network\'s loss and gradient norm'],
      ] as const) {
        if (!terms.length) continue;
        const fig = lossCurvesFigure(rows, { terms: [...terms], smooth: rows.length >= 20 ? 0.6 : 0 });
        let fallback = '';
        // one figure on the page: the static PNG only where scripts do not run
        if ((opts.staticPng ?? true) && chromiumAvailable()) {
          const png = await renderFigure(fig, 'png', { scale: 1.5 });
          fallback = `<noscript><img alt="${escapeHtml(name)}" style="max-width:100%" src="data:image/png;base64,${png.toString('base64')}"></noscript>`;
        }
        parts.push(`<h3>${escapeHtml(heading)}</h3>${plotDivHtml(fig)}${fallback}`);
      }
      if ((opts.staticPng ?? true) && !chromiumAvailable()) notes.push('no static PNG of the curves: Chromium is not installed (apt-get install chromium)');
      sections.push(`<h2>Training curves</h2><p class="note">${rows.length} logged rows from metrics.jsonl; learning rates are schedules and are not drawn</p>${parts.join('')}`);
    } else notes.push('metrics.jsonl has no rows yet');
  } else notes.push('no metrics.jsonl');

  // each picture once: a drawing saved as SVG and PNG shows as SVG; the curves are drawn above
  const svgs = findFiles(runDir, ['.svg']).filter((f) => !DRAWN_BY_REPORT.test(path.basename(f)));
  const svgStems = new Set(svgs.map((f) => f.replace(/\.svg$/i, '')));
  const pngs = findFiles(runDir, ['.png']).filter((f) => !DRAWN_BY_REPORT.test(path.basename(f)) && !svgStems.has(f.replace(/\.png$/i, '')));
  const landscapeMethod = readLandscapeMethod(runDir);
  const figureHtml = (f: string, mime: string) => {
    const caption = captionFor(f, landscapeMethod);
    return `<figure><img alt="${escapeHtml(f)}" src="${dataUri(path.join(runDir, f), mime)}"><figcaption><b>${escapeHtml(f)}</b>${caption ? ` — ${escapeHtml(caption)}` : ''}</figcaption></figure>`;
  };
  if (pngs.length) sections.push(`<h2>Images</h2>${pngs.map((f) => figureHtml(f, 'image/png')).join('')}`);
  // as <img> rather than inline, so one drawing's ids and styles cannot leak into another
  if (svgs.length) sections.push(`<h2>Drawings</h2>${svgs.map((f) => figureHtml(f, 'image/svg+xml')).join('')}`);
  const printDir = path.join(runDir, PRINT_DIR);
  if (fs.existsSync(printDir) && fs.statSync(printDir).isDirectory()) {
    const files = fs.readdirSync(printDir).filter((f) => /\.(png|svg|pdf)$/i.test(f)).sort();
    if (files.length) sections.push(`<h2>Print exports</h2><p class="note">PNG (300 dpi), SVG and PDF (fonts embedded) of each figure, in ${PRINT_DIR}/: ${escapeHtml(files.join(', '))}</p>`);
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
