/**
 * Plotly figure specs (plain JSON, see plotly.ts) in one clean publication style: sans-serif 12 pt,
 * white background, axis lines with outside ticks, no grid lines, a colour-blind-safe palette (Okabe–Ito).
 * Each function only builds JSON; showPlot (notebook) and exportFigure (PNG/SVG/PDF) draw it.
 */
import { UserError } from '../errors';
import { auprc, auroc, prCurve, rocCurve, type PrCurve, type RocCurve } from '../metrics/ranking';
import type { PlotlyFigure } from './plotly';

/** Okabe & Ito (2008) colour-blind-safe palette, black last. */
export const FIGURE_COLORS = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];
export const FIGURE_FONT = { family: "'DejaVu Sans', 'Liberation Sans', Helvetica, Arial, sans-serif", size: 12, color: '#222222' };

/** An axis: a line and outside ticks, no grid or zero line. */
export function publicationAxis(title?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...(title !== undefined ? { title: { text: title, font: { size: 13 } } } : {}),
    showgrid: false,
    zeroline: false,
    showline: true,
    linecolor: '#444444',
    linewidth: 1,
    ticks: 'outside',
    tickcolor: '#444444',
    ticklen: 4,
    automargin: true,
    ...extra,
  };
}

/** The shared layout: fonts, white background, margins, legend without a box. */
export function publicationLayout(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    font: FIGURE_FONT,
    paper_bgcolor: '#ffffff',
    plot_bgcolor: '#ffffff',
    colorway: FIGURE_COLORS,
    margin: { l: 64, r: 24, t: extra.title ? 48 : 24, b: 56 },
    legend: { bgcolor: 'rgba(255,255,255,0)', borderwidth: 0, font: { size: 11 } },
    hovermode: 'closest',
    width: 640,
    height: 420,
    ...extra,
  };
}

function titled(title: string | undefined): Record<string, unknown> {
  return title ? { title: { text: title, x: 0.02, xanchor: 'left', font: { size: 14 } } } : {};
}

/** One logged record per row, as in metrics.jsonl: {iteration, epoch, seconds, ...terms}. */
export type HistoryRow = Readonly<Record<string, unknown>>;

export interface LossCurvesOptions {
  /** x-axis key; default the first present of iteration, iter, step, epoch (else the row index) */
  x?: string;
  /** terms to plot; default every numeric key except x and the bookkeeping keys in `exclude` */
  terms?: string[];
  /** keys never plotted by default: epoch, seconds, time, elapsed, timestamp, lr (pass [] to plot them) */
  exclude?: string[];
  /** all terms in one panel (default: one panel per term, as their scales differ) */
  overlay?: boolean;
  /** exponential-moving-average weight in [0, 1) drawn over the raw curve (default 0: raw only) */
  smooth?: number;
  /** log-scale y (terms with a value ≤ 0 stay linear) */
  logY?: boolean;
  /** panels per row (default 3) */
  columns?: number;
  title?: string;
}

const X_KEYS = ['iteration', 'iter', 'step', 'epoch'];
const BOOKKEEPING = ['epoch', 'seconds', 'time', 'elapsed', 'timestamp', 'lr'];

function ema(values: (number | null)[], w: number): (number | null)[] {
  let s: number | null = null;
  return values.map((v) => {
    if (v === null) return s;
    s = s === null ? v : w * s + (1 - w) * v;
    return s;
  });
}

/** Every logged term against iterations: small multiples (one panel per term) or one overlaid panel. */
export function lossCurvesFigure(history: readonly HistoryRow[], opts: LossCurvesOptions = {}): PlotlyFigure {
  if (history.length === 0) throw new UserError('lossCurvesFigure: the history is empty; log at least one row');
  const xKey = opts.x ?? X_KEYS.find((k) => history.some((r) => typeof r[k] === 'number'));
  const xs = history.map((r, i) => (xKey && typeof r[xKey] === 'number' ? (r[xKey] as number) : i));
  const exclude = new Set([...(opts.exclude ?? BOOKKEEPING), ...(xKey ? [xKey] : [])]);
  const terms =
    opts.terms ??
    [...new Set(history.flatMap((r) => Object.keys(r)))].filter((k) => !exclude.has(k) && history.some((r) => typeof r[k] === 'number'));
  if (terms.length === 0) throw new UserError(`lossCurvesFigure: no numeric terms to plot (keys: ${Object.keys(history[0]).join(', ')})`);
  const smooth = opts.smooth ?? 0;
  if (!(smooth >= 0 && smooth < 1)) throw new UserError(`lossCurvesFigure: smooth must be in [0, 1) (got ${smooth})`);
  const xTitle = xKey ?? 'row';
  const data: Record<string, unknown>[] = [];
  const overlay = opts.overlay ?? false;
  const cols = overlay ? 1 : Math.min(opts.columns ?? 3, terms.length);
  const rows = overlay ? 1 : Math.ceil(terms.length / cols);
  const layout = publicationLayout({ ...titled(opts.title), showlegend: overlay || smooth > 0 });
  const annotations: Record<string, unknown>[] = [];
  terms.forEach((term, i) => {
    const ys = history.map((r) => (typeof r[term] === 'number' && Number.isFinite(r[term]) ? (r[term] as number) : null));
    const color = FIGURE_COLORS[i % FIGURE_COLORS.length];
    const axisNo = overlay ? 1 : i + 1;
    const ax = axisNo === 1 ? '' : String(axisNo);
    const xy = { xaxis: `x${ax}`, yaxis: `y${ax}` };
    const raw = { type: 'scatter', mode: 'lines', name: term, x: xs, y: ys, line: { color, width: smooth > 0 ? 1 : 1.5 }, ...xy };
    if (smooth > 0) {
      data.push({ ...raw, opacity: 0.3, showlegend: false, hoverinfo: 'skip' });
      data.push({ ...raw, name: overlay ? term : `${term} (EMA ${smooth})`, y: ema(ys, smooth), line: { color, width: 1.8 }, showlegend: overlay });
    } else data.push(raw);
    const positive = ys.every((y) => y === null || y > 0);
    const yAxis = publicationAxis(undefined, opts.logY && positive ? { type: 'log' } : {});
    if (!overlay) {
      // the x title only under the lowest panel of each column
      layout[`xaxis${ax}`] = publicationAxis(i + cols >= terms.length ? xTitle : undefined);
      layout[`yaxis${ax}`] = yAxis;
      annotations.push({
        text: term,
        showarrow: false,
        xref: `x${ax} domain`,
        yref: `y${ax} domain`,
        x: 0.5,
        y: 1.02,
        xanchor: 'center',
        yanchor: 'bottom',
        font: { size: 12 },
      });
    } else if (i === 0) {
      layout.xaxis = publicationAxis(xTitle);
      layout.yaxis = publicationAxis('value', opts.logY ? { type: 'log' } : {});
    }
  });
  if (!overlay) {
    layout.grid = { rows, columns: cols, pattern: 'independent', xgap: 0.25, ygap: 0.35 };
    layout.annotations = annotations;
    layout.width = Math.max(640, 300 * cols);
    layout.height = Math.max(320, 240 * rows + 60);
  }
  return { data, layout };
}

export interface HistogramOptions {
  /** number of shared bins across groups (default 50) */
  bins?: number;
  xTitle?: string;
  title?: string;
  /** 'probability density' (default: groups of different sizes compare) or 'count' */
  histnorm?: 'probability density' | 'count' | 'probability';
}

/**
 * Overlaid histograms on shared bins, e.g. energies of data vs generated vs OOD images (VAE + latent-EBM
 * paper, Figure 3). @param groups name → values
 */
export function histogramFigure(groups: Record<string, ArrayLike<number>>, opts: HistogramOptions = {}): PlotlyFigure {
  const names = Object.keys(groups);
  if (names.length === 0) throw new UserError('histogramFigure: pass at least one group, e.g. { data: energies }');
  let lo = Infinity;
  let hi = -Infinity;
  for (const n of names) for (const v of Array.from(groups[n])) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  if (!Number.isFinite(lo)) throw new UserError('histogramFigure: no finite values in any group');
  const bins = opts.bins ?? 50;
  const size = hi > lo ? (hi - lo) / bins : 1;
  const histnorm = opts.histnorm ?? 'probability density';
  const data = names.map((name, i) => ({
    type: 'histogram',
    name,
    x: Array.from(groups[name]),
    opacity: 0.55,
    histnorm: histnorm === 'count' ? '' : histnorm,
    xbins: { start: lo, end: hi + size * 1e-6, size },
    marker: { color: FIGURE_COLORS[i % FIGURE_COLORS.length], line: { width: 0 } },
  }));
  const layout = publicationLayout({
    ...titled(opts.title),
    barmode: 'overlay',
    bargap: 0,
    xaxis: publicationAxis(opts.xTitle ?? 'value'),
    yaxis: publicationAxis(histnorm === 'count' ? 'count' : histnorm),
  });
  return { data, layout };
}

/** Scores with 0/1 labels (higher score = positive), or a precomputed curve. */
export type DetectionInput<C> = { scores: ArrayLike<number>; labels: ArrayLike<number | boolean> } | C;

function isScored<C>(x: DetectionInput<C>): x is { scores: ArrayLike<number>; labels: ArrayLike<number | boolean> } {
  return typeof x === 'object' && x !== null && 'scores' in x;
}

/** ROC curves with the AUROC in each legend entry and the chance diagonal. @param curves name → scores/labels or RocCurve */
export function rocFigure(curves: Record<string, DetectionInput<RocCurve>>, opts: { title?: string } = {}): PlotlyFigure {
  const data: Record<string, unknown>[] = [
    { type: 'scatter', mode: 'lines', x: [0, 1], y: [0, 1], line: { color: '#999999', dash: 'dash', width: 1 }, showlegend: false, hoverinfo: 'skip' },
  ];
  Object.entries(curves).forEach(([name, input], i) => {
    const c = isScored(input) ? rocCurve(input.scores, input.labels) : input;
    const area = isScored(input) ? auroc(input.scores, input.labels) : trapezoid(c.fpr, c.tpr);
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: `${name} (AUROC ${area.toFixed(3)})`,
      x: c.fpr,
      y: c.tpr,
      line: { color: FIGURE_COLORS[i % FIGURE_COLORS.length], width: 1.8 },
    });
  });
  const layout = publicationLayout({
    ...titled(opts.title),
    width: 480,
    height: 440,
    xaxis: publicationAxis('false-positive rate', { range: [0, 1.01] }),
    yaxis: publicationAxis('true-positive rate', { range: [0, 1.01], scaleanchor: 'x' }),
    legend: { x: 0.98, y: 0.02, xanchor: 'right', yanchor: 'bottom', bgcolor: 'rgba(255,255,255,0)', font: { size: 11 } },
  });
  return { data, layout };
}

/**
 * Precision–recall curves as steps (the shape average precision integrates), with AP in the legend.
 * @param curves name → scores/labels or PrCurve (from prCurve: every threshold, so AP is exact)
 */
export function prFigure(curves: Record<string, DetectionInput<PrCurve>>, opts: { title?: string } = {}): PlotlyFigure {
  const data = Object.entries(curves).map(([name, input], i) => {
    const c = isScored(input) ? prCurve(input.scores, input.labels) : input;
    const ap = isScored(input) ? auprc(input.scores, input.labels) : stepArea(c);
    return {
      type: 'scatter',
      mode: 'lines',
      name: `${name} (AP ${ap.toFixed(3)})`,
      x: c.recall,
      y: c.precision,
      line: { shape: 'vh', color: FIGURE_COLORS[i % FIGURE_COLORS.length], width: 1.8 },
    };
  });
  const layout = publicationLayout({
    ...titled(opts.title),
    width: 480,
    height: 440,
    xaxis: publicationAxis('recall', { range: [0, 1.01] }),
    yaxis: publicationAxis('precision', { range: [0, 1.01] }),
    legend: { x: 0.02, y: 0.02, xanchor: 'left', yanchor: 'bottom', bgcolor: 'rgba(255,255,255,0)', font: { size: 11 } },
  });
  return { data, layout };
}

/** Σ (R_k − R_{k−1}) P_k over the curve's points: average precision when they cover every threshold. */
function stepArea(c: PrCurve): number {
  let ap = 0;
  for (let k = 1; k < c.recall.length; k++) ap += (c.recall[k] - c.recall[k - 1]) * c.precision[k];
  return ap;
}

function trapezoid(x: number[], y: number[]): number {
  let a = 0;
  for (let i = 1; i < x.length; i++) a += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return a;
}

/** Values of a function on a regular 2-D grid: z[j][i] at (x[i], y[j]). */
export interface Grid2d {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  z: ArrayLike<number>[];
}

export interface ContourOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** colour-bar title, default "energy" */
  zTitle?: string;
  /** point sets drawn over the contours, e.g. { data: {x, y}, samples: {x, y}, minima: {x, y} } */
  scatter?: Record<string, { x: ArrayLike<number>; y: ArrayLike<number> }>;
  /** number of contour levels (default 20) */
  levels?: number;
  /** plotly colour scale (default 'Viridis', reversed so low energy is bright) */
  colorscale?: string;
  /** marker size of the scatter overlays (default 5) */
  markerSize?: number;
}

/** A 2-D energy landscape as filled contours, with scatter overlays (data, samples, minima). */
export function contourFigure(grid: Grid2d, opts: ContourOptions = {}): PlotlyFigure {
  const nx = grid.x.length;
  const ny = grid.y.length;
  if (grid.z.length !== ny || grid.z.some((row) => row.length !== nx)) {
    throw new UserError(`contourFigure: z must have ${ny} rows (one per y) of ${nx} values (one per x)`);
  }
  const data: Record<string, unknown>[] = [
    {
      type: 'contour',
      x: Array.from(grid.x),
      y: Array.from(grid.y),
      z: grid.z.map((row) => Array.from(row)),
      colorscale: opts.colorscale ?? 'Viridis',
      reversescale: true,
      ncontours: opts.levels ?? 20,
      contours: { coloring: 'fill', showlines: true },
      line: { width: 0.5, color: 'rgba(255,255,255,0.4)' },
      colorbar: { title: { text: opts.zTitle ?? 'energy', side: 'right' }, outlinewidth: 0, ticks: 'outside', thickness: 14 },
      name: opts.zTitle ?? 'energy',
      showlegend: false,
    },
  ];
  const overlayColors = ['#ffffff', '#D55E00', '#000000', '#E69F00', '#CC79A7', '#56B4E9'];
  Object.entries(opts.scatter ?? {}).forEach(([name, pts], i) => {
    data.push({
      type: 'scatter',
      mode: 'markers',
      name,
      x: Array.from(pts.x),
      y: Array.from(pts.y),
      marker: { size: opts.markerSize ?? 5, color: overlayColors[i % overlayColors.length], line: { width: 0.5, color: '#333333' } },
    });
  });
  const layout = publicationLayout({
    ...titled(opts.title),
    width: 560,
    height: 480,
    xaxis: publicationAxis(opts.xTitle ?? 'x₁', { range: [grid.x[0], grid.x[nx - 1]], showline: false, ticks: 'outside' }),
    yaxis: publicationAxis(opts.yTitle ?? 'x₂', { range: [grid.y[0], grid.y[ny - 1]], showline: false, scaleanchor: 'x' }),
    legend: { x: 0, y: 1.02, yanchor: 'bottom', orientation: 'h', bgcolor: 'rgba(255,255,255,0)', font: { size: 11 } },
  });
  return { data, layout };
}
