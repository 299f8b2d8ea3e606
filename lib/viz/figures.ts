/**
 * Plotly figure specs (plain JSON, see plotly.ts) in one clean publication style: sans-serif 12 pt,
 * white background, axis lines with outside ticks, no grid lines, a colour-blind-safe palette (Okabe–Ito).
 * Each function only builds JSON; showPlot (notebook) and exportFigure (PNG/SVG/PDF) draw it.
 */
import { UserError } from '../errors';
import { auprc, auroc, prCurve, rocCurve, type PrCurve, type RocCurve } from '../metrics/ranking';
import { colorFor, FIGURE_COLORS, isLearningRateKey, isScheduleKey, METRIC_LABELS, metricLabel } from './labels';
import type { PlotlyFigure } from './plotly';

export { FIGURE_COLORS };
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

/**
 * Breaks a title into lines (plotly's <br>) that fit `widthPx` at `fontSize` (an average glyph is about
 * 0.55 em wide), so a long title is never cut off at the figure's edge.
 */
export function wrapTitle(text: string, widthPx: number, fontSize = 14): string[] {
  const maxChars = Math.max(12, Math.floor((widthPx - 32) / (0.55 * fontSize)));
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** A left-aligned title wrapped to the figure's width, and a top margin that holds all its lines. */
function titled(title: string | undefined, width = 640, note = ''): Record<string, unknown> {
  const lines = title ? wrapTitle(title, width) : [];
  const noteLines = note ? wrapTitle(note, width, 10) : [];
  if (!lines.length && !noteLines.length) return { margin: { l: 64, r: 24, t: 24, b: 56 } };
  const text = [...lines, ...noteLines.map((l) => `<span style="font-size:10px;color:#666666">${l}</span>`)].join('<br>');
  return {
    title: { text, x: 0.02, xanchor: 'left', y: 1, yanchor: 'top', pad: { t: 10 }, font: { size: 14 } },
    margin: { l: 64, r: 24, t: 24 + 20 * lines.length + 14 * noteLines.length, b: 56 },
  };
}

/** One logged record per row, as in metrics.jsonl: {iteration, epoch, seconds, ...terms}. */
export type HistoryRow = Readonly<Record<string, unknown>>;

export interface LossCurvesOptions {
  /** x-axis key; default the first present of iteration, iter, step, epoch (else the row index) */
  x?: string;
  /** terms to plot; default every numeric key except x, the bookkeeping keys in `exclude` and learning rates */
  terms?: string[];
  /** keys never plotted by default: epoch, seconds, time, elapsed, timestamp (pass [] to plot them) */
  exclude?: string[];
  /** all terms in one panel (default: one panel per term, as their scales differ) */
  overlay?: boolean;
  /**
   * Smoothing strength w in [0, 1) (default 0: raw only), drawn over the faint raw curve: a centred
   * Gaussian local-linear smoother of σ = √w/(1 − w) logged points, the spread of an EMA of weight w
   * but without its lag of w/(1 − w) points. Schedule keys (isScheduleKey: lr*, alpha, resolution, …)
   * are always drawn raw.
   */
  smooth?: number;
  /** log-scale y (terms with a value ≤ 0 stay linear) */
  logY?: boolean;
  /** panels per row (default 3) */
  columns?: number;
  title?: string;
  /** y-axis title of an overlay (default: the terms' labels when they are metric keys, else none) */
  yTitle?: string;
}

const X_KEYS = ['iteration', 'iter', 'step', 'epoch'];
const BOOKKEEPING = ['epoch', 'seconds', 'time', 'elapsed', 'timestamp'];

/** σ in points of the centred smoother that replaces an EMA of weight w (the EMA kernel's spread). */
export function smoothingSigma(w: number): number {
  return Math.sqrt(w) / (1 - w);
}

/**
 * Centred smoothing of a logged curve: at each point a Gaussian-weighted (σ = smoothingSigma(w) points,
 * cut at 3σ) straight-line fit to its neighbours, evaluated at the point. Symmetric weights put no lag on
 * a trend or a step (a trailing EMA lags by w/(1 − w) points); the local line keeps the ends unbiased
 * for a trend, where a plain moving average would pull them toward the interior. Gaps (null) are
 * skipped and stay gaps; the smoother runs over the points that are present.
 */
export function centredSmooth(values: readonly (number | null)[], w: number): (number | null)[] {
  if (!(w >= 0 && w < 1)) throw new UserError(`smooth must be in [0, 1) (got ${w})`);
  const idx: number[] = [];
  values.forEach((v, i) => {
    if (v !== null && Number.isFinite(v)) idx.push(i);
  });
  const out: (number | null)[] = values.map(() => null);
  const sigma = smoothingSigma(w);
  if (sigma === 0) {
    for (const i of idx) out[i] = values[i];
    return out;
  }
  const half = Math.ceil(3 * sigma);
  const m = idx.length;
  for (let j = 0; j < m; j++) {
    let s0 = 0, s1 = 0, s2 = 0, t0 = 0, t1 = 0; // prettier-ignore
    for (let k = Math.max(0, j - half); k <= Math.min(m - 1, j + half); k++) {
      const t = k - j;
      const g = Math.exp(-(t * t) / (2 * sigma * sigma));
      const y = values[idx[k]] as number;
      s0 += g;
      s1 += g * t;
      s2 += g * t * t;
      t0 += g * y;
      t1 += g * t * y;
    }
    const det = s0 * s2 - s1 * s1;
    out[idx[j]] = det > 1e-12 * s0 * s0 ? (s2 * t0 - s1 * t1) / det : t0 / s0;
  }
  return out;
}

/**
 * Every logged term against iterations: small multiples (one panel per term, titled with the paper's
 * symbol, METRIC_LABELS) or one overlaid panel (legend under the axes, off the curves).
 */
export function lossCurvesFigure(history: readonly HistoryRow[], opts: LossCurvesOptions = {}): PlotlyFigure {
  if (history.length === 0) throw new UserError('lossCurvesFigure: the history is empty; log at least one row');
  const xKey = opts.x ?? X_KEYS.find((k) => history.some((r) => typeof r[k] === 'number'));
  const xs = history.map((r, i) => (xKey && typeof r[xKey] === 'number' ? (r[xKey] as number) : i));
  const exclude = new Set([...(opts.exclude ?? BOOKKEEPING), ...(xKey ? [xKey] : [])]);
  const terms =
    opts.terms ??
    [...new Set(history.flatMap((r) => Object.keys(r)))].filter(
      (k) => !exclude.has(k) && !isLearningRateKey(k) && history.some((r) => typeof r[k] === 'number'),
    );
  if (terms.length === 0) throw new UserError(`lossCurvesFigure: no numeric terms to plot (keys: ${Object.keys(history[0]).join(', ')})`);
  const smooth = opts.smooth ?? 0;
  if (!(smooth >= 0 && smooth < 1)) throw new UserError(`lossCurvesFigure: smooth must be in [0, 1) (got ${smooth})`);
  const xTitle = xKey ? metricLabel(xKey) : 'logged row';
  const data: Record<string, unknown>[] = [];
  const overlay = opts.overlay ?? false;
  const cols = overlay ? 1 : Math.min(opts.columns ?? 3, terms.length);
  const rows = overlay ? 1 : Math.ceil(terms.length / cols);
  const width = overlay ? 640 : Math.max(640, 300 * cols);
  const smoothed = terms.filter((t) => smooth > 0 && !isScheduleKey(t));
  const note = smoothed.length ? `faint: raw; bold: centred smoothing, σ = ${smoothingSigma(smooth).toFixed(1)} logged points` : '';
  const head = titled(opts.title, width, note);
  if (!overlay) (head.margin as { t: number }).t += 22; // room for the first row's panel titles
  const layout = publicationLayout({
    ...head,
    width,
    showlegend: overlay,
    // an overlay's legend sits under the x-axis title, off the curves
    legend: { orientation: 'h', x: 0, xanchor: 'left', y: -0.18, yanchor: 'top', bgcolor: 'rgba(255,255,255,0)', font: { size: 11 } },
  });
  const annotations: Record<string, unknown>[] = [];
  terms.forEach((term, i) => {
    const ys = history.map((r) => (typeof r[term] === 'number' && Number.isFinite(r[term]) ? (r[term] as number) : null));
    const color = overlay ? colorFor(term) : FIGURE_COLORS[0];
    const axisNo = overlay ? 1 : i + 1;
    const ax = axisNo === 1 ? '' : String(axisNo);
    const xy = { xaxis: `x${ax}`, yaxis: `y${ax}` };
    const name = metricLabel(term);
    const raw = { type: 'scatter', mode: 'lines', name, x: xs, y: ys, line: { color, width: 1.5 }, ...xy };
    if (smoothed.includes(term)) {
      data.push({ ...raw, line: { color, width: 1 }, opacity: 0.3, showlegend: false, hoverinfo: 'skip' });
      data.push({ ...raw, y: centredSmooth(ys, smooth), line: { color, width: 1.8 } });
    } else data.push(raw);
    const positive = ys.every((y) => y === null || y > 0);
    const yAxis = publicationAxis(undefined, opts.logY && positive ? { type: 'log' } : {});
    if (!overlay) {
      // the x title only under the lowest panel of each column
      layout[`xaxis${ax}`] = publicationAxis(i + cols >= terms.length ? xTitle : undefined);
      layout[`yaxis${ax}`] = yAxis;
      annotations.push({
        text: name,
        showarrow: false,
        xref: `x${ax} domain`,
        yref: `y${ax} domain`,
        x: 0.5,
        y: 1.04,
        xanchor: 'center',
        yanchor: 'bottom',
        font: { size: 12 },
      });
    } else if (i === 0) {
      const known = terms.every((t) => METRIC_LABELS[t] !== undefined);
      const yTitle = opts.yTitle ?? (known ? terms.map(metricLabel).join(', ') : undefined);
      layout.xaxis = publicationAxis(xTitle);
      layout.yaxis = publicationAxis(yTitle, opts.logY ? { type: 'log' } : {});
    }
  });
  layout.annotations = annotations;
  if (!overlay) {
    // per row: ~190 px of plot, ~80 px for tick labels, the panel title and the next row's x labels
    const height = Math.max(320, 270 * rows + 40 + ((layout.margin as { t: number }).t ?? 0));
    layout.grid = { rows, columns: cols, pattern: 'independent', xgap: 0.25, ygap: Math.min(0.6, 80 / ((height - 100) / rows)) };
    layout.height = height;
  } else layout.height = 460;
  return { data, layout };
}

export interface HistogramOptions {
  /** number of shared bins across groups (default 50) */
  bins?: number;
  /** the score's name, e.g. "energy E(x)" (default "score") */
  xTitle?: string;
  title?: string;
  /** 'probability density' (default: groups of different sizes compare) or 'count' */
  histnorm?: 'probability density' | 'count' | 'probability';
}

/** The legend to the right of the axes, off the curves. */
const SIDE_LEGEND = { x: 1.02, xanchor: 'left', y: 1, yanchor: 'top', bgcolor: 'rgba(255,255,255,0)', borderwidth: 0, font: { size: 11 } };

/** Shared bins over every finite value of every group. */
function sharedBins(groups: Record<string, ArrayLike<number>>, bins: number, who: string): { start: number; end: number; size: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const vs of Object.values(groups)) for (const v of Array.from(vs)) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  if (!Number.isFinite(lo)) throw new UserError(`${who}: no finite values in any group`);
  const size = hi > lo ? (hi - lo) / bins : 1;
  return { start: lo, end: hi + size * 1e-6, size };
}

function histnormOf(h: HistogramOptions['histnorm']): { trace: string; axis: string } {
  const histnorm = h ?? 'probability density';
  return { trace: histnorm === 'count' ? '' : histnorm, axis: histnorm === 'count' ? 'count' : histnorm === 'probability' ? 'fraction' : 'density' };
}

/**
 * Overlaid histograms on shared bins, e.g. energies of data vs generated images (VAE + latent-EBM
 * paper, Figure 3); each group in its colorFor colour. For several OOD sets use oodHistogramPanels.
 * @param groups name → values
 */
export function histogramFigure(groups: Record<string, ArrayLike<number>>, opts: HistogramOptions = {}): PlotlyFigure {
  const names = Object.keys(groups);
  if (names.length === 0) throw new UserError('histogramFigure: pass at least one group, e.g. { data: energies }');
  const xbins = sharedBins(groups, opts.bins ?? 50, 'histogramFigure');
  const norm = histnormOf(opts.histnorm);
  const data = names.map((name) => ({
    type: 'histogram',
    name,
    x: Array.from(groups[name]),
    opacity: names.length > 1 ? 0.55 : 0.9,
    histnorm: norm.trace,
    xbins,
    marker: { color: colorFor(name), line: { width: 0 } },
  }));
  const layout = publicationLayout({
    ...titled(opts.title, 760),
    width: 760,
    barmode: 'overlay',
    bargap: 0,
    xaxis: publicationAxis(opts.xTitle ?? 'score'),
    yaxis: publicationAxis(norm.axis),
    legend: SIDE_LEGEND,
  });
  return { data, layout };
}

export interface OodHistogramOptions extends HistogramOptions {
  /** panels per row (default 3) */
  columns?: number;
}

/**
 * One panel per OOD set, each against the in-distribution set on the same bins (shared by every panel,
 * so panels compare): readable where six translucent layers on one axis are not.
 * @param scores set name → scores (the in-distribution set among them, named `inName`)
 */
export function oodHistogramPanels(scores: Record<string, ArrayLike<number>>, inName: string, opts: OodHistogramOptions = {}): PlotlyFigure {
  if (!(inName in scores)) throw new UserError(`oodHistogramPanels: no set named "${inName}" among ${Object.keys(scores).join(', ')}; pass the in-distribution set's name`);
  const ood = Object.keys(scores).filter((n) => n !== inName);
  if (ood.length === 0) throw new UserError('oodHistogramPanels: pass at least one OOD set besides the in-distribution one');
  const xbins = sharedBins(scores, opts.bins ?? 50, 'oodHistogramPanels');
  const norm = histnormOf(opts.histnorm);
  const cols = Math.min(opts.columns ?? 3, ood.length);
  const rows = Math.ceil(ood.length / cols);
  const width = Math.max(640, 300 * cols);
  const head = titled(opts.title, width);
  (head.margin as { t: number }).t += 20; // room for the first row's panel titles
  const top = (head.margin as { t: number }).t;
  const height = 250 * rows + 70 + top;
  const data: Record<string, unknown>[] = [];
  const layout = publicationLayout({
    ...head,
    width,
    height,
    barmode: 'overlay',
    bargap: 0,
    showlegend: false,
    grid: { rows, columns: cols, pattern: 'independent', xgap: 0.2, ygap: Math.min(0.6, 70 / ((height - 100) / rows)) },
  });
  const annotations: Record<string, unknown>[] = [];
  ood.forEach((name, i) => {
    const ax = i === 0 ? '' : String(i + 1);
    for (const [set, opacity] of [[inName, 0.45], [name, 0.65]] as const) {
      data.push({ type: 'histogram', name: set, x: Array.from(scores[set]), opacity, histnorm: norm.trace, xbins, marker: { color: colorFor(set), line: { width: 0 } }, xaxis: `x${ax}`, yaxis: `y${ax}` });
    }
    layout[`xaxis${ax}`] = publicationAxis(i + cols >= ood.length ? (opts.xTitle ?? 'score') : undefined, { range: [xbins.start, xbins.end] });
    layout[`yaxis${ax}`] = publicationAxis(i % cols === 0 ? norm.axis : undefined);
    // the panel's title is its own legend: the OOD set in its colour against the in-distribution set
    annotations.push({
      text: `<span style="color:${colorFor(name)}">■ ${name}</span>  vs  <span style="color:${colorFor(inName)}">■ ${inName}</span>`,
      showarrow: false,
      xref: `x${ax} domain`,
      yref: `y${ax} domain`,
      x: 0,
      y: 1.03,
      xanchor: 'left',
      yanchor: 'bottom',
      font: { size: 11 },
    });
  });
  layout.annotations = annotations;
  return { data, layout };
}

/** Scores with 0/1 labels (higher score = positive), or a precomputed curve. */
export type DetectionInput<C> = { scores: ArrayLike<number>; labels: ArrayLike<number | boolean> } | C;

function isScored<C>(x: DetectionInput<C>): x is { scores: ArrayLike<number>; labels: ArrayLike<number | boolean> } {
  return typeof x === 'object' && x !== null && 'scores' in x;
}

/**
 * ROC curves with the AUROC in each legend entry (beside the axes) and the chance diagonal; each
 * set in its colorFor colour. @param curves name → scores/labels or RocCurve
 */
export function rocFigure(curves: Record<string, DetectionInput<RocCurve>>, opts: { title?: string } = {}): PlotlyFigure {
  const data: Record<string, unknown>[] = [
    { type: 'scatter', mode: 'lines', name: 'chance', x: [0, 1], y: [0, 1], line: { color: '#999999', dash: 'dash', width: 1 }, hoverinfo: 'skip' },
  ];
  for (const [name, input] of Object.entries(curves)) {
    const c = isScored(input) ? rocCurve(input.scores, input.labels) : input;
    const area = isScored(input) ? auroc(input.scores, input.labels) : trapezoid(c.fpr, c.tpr);
    data.push({ type: 'scatter', mode: 'lines', name: `${name} (AUROC ${area.toFixed(3)})`, x: c.fpr, y: c.tpr, line: { color: colorFor(name), width: 1.8 } });
  }
  const width = 720;
  const layout = publicationLayout({
    ...titled(opts.title, width),
    width,
    height: 460,
    xaxis: publicationAxis('false-positive rate', { range: [0, 1.01], constrain: 'domain' }),
    yaxis: publicationAxis('true-positive rate', { range: [0, 1.01], scaleanchor: 'x', constrain: 'domain' }),
    legend: SIDE_LEGEND,
  });
  return { data, layout };
}

/**
 * Precision–recall curves as steps (the shape average precision integrates), with AP in the legend
 * (beside the axes), and each set's base rate P/(P + N) as a dotted line: the precision of a detector
 * without skill, which AP must beat. @param curves name → scores/labels or PrCurve (from prCurve:
 * every threshold, so AP is exact)
 */
export function prFigure(curves: Record<string, DetectionInput<PrCurve>>, opts: { title?: string } = {}): PlotlyFigure {
  const data: Record<string, unknown>[] = [];
  const bases: { name: string; color: string; base: number }[] = [];
  for (const [name, input] of Object.entries(curves)) {
    const c = isScored(input) ? prCurve(input.scores, input.labels) : input;
    const ap = isScored(input) ? auprc(input.scores, input.labels) : stepArea(c);
    const color = colorFor(name);
    data.push({ type: 'scatter', mode: 'lines', name: `${name} (AP ${ap.toFixed(3)})`, x: c.recall, y: c.precision, line: { shape: 'vh', color, width: 1.8 } });
    // at the lowest threshold everything is called positive: precision = P / (P + N)
    bases.push({ name, color, base: c.precision[c.precision.length - 1] });
  }
  const shared = bases.every((b) => Math.abs(b.base - bases[0].base) < 1e-12);
  for (const b of shared ? bases.slice(0, 1) : bases) {
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: `${shared ? '' : `${b.name}: `}no skill (base rate ${b.base.toFixed(3)})`,
      x: [0, 1],
      y: [b.base, b.base],
      line: { color: shared ? '#999999' : b.color, dash: 'dot', width: 1 },
      hoverinfo: 'name',
    });
  }
  const width = 760;
  const layout = publicationLayout({
    ...titled(opts.title, width),
    width,
    height: 460,
    xaxis: publicationAxis('recall', { range: [0, 1.01], constrain: 'domain' }),
    yaxis: publicationAxis('precision', { range: [0, 1.01], scaleanchor: 'x', constrain: 'domain' }),
    legend: SIDE_LEGEND,
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
