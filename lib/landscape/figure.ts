/**
 * Drawings of a disconnectivity layout: an interactive plotly figure spec (plain JSON) and a static SVG with
 * the basins' members under their columns, as in the divergence-triangle paper's Figures 14–15. Generic
 * export (PNG/PDF) and notebook display belong to lib/viz.
 */
import { UserError } from '../errors';
import type { DisconnectivityLayout } from './layout';

const FONT = "'DejaVu Sans', Helvetica, Arial, sans-serif";

/** A plotly figure as plain JSON: `Plotly.newPlot(div, fig.data, fig.layout)`. */
export interface PlotlyFigureSpec {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

export interface DisconnectivityFigureOptions {
  /** Per column (layout.leaves order), the PNG data URI of its minimum. Kept in the markers' `customdata`
   * for `disconnectivityHoverScript`, and drawn as thumbnails under the columns unless `thumbnails` is false. */
  images?: readonly (string | null | undefined)[];
  thumbnails?: boolean;
  /** Per column, several PNG data URIs stacked under it (e.g. the basin's minima, as the static SVG draws
   * them); replaces `images` for thumbnails and hover (which then shows the whole stack). */
  columnImages?: readonly (readonly string[])[];
  /** Per column, a caption under the images (e.g. "7 · 92%": majority class · purity). */
  captions?: readonly (string | null | undefined)[];
  /** Side of one stacked thumbnail in px (default 24). */
  imageSize?: number;
  /** Per column, a name for the hover text (e.g. the majority label "digit 7"). */
  labels?: readonly (string | null | undefined)[];
  title?: string;
  /** Energy axis title (default "energy E(x) = −f(x)"). */
  energyLabel?: string;
  width?: number;
  height?: number;
}

/** The interactive disconnectivity graph: lines, one marker per basin sized by members, hover with energy and members. */
export function disconnectivityFigure(layout: DisconnectivityLayout, opts: DisconnectivityFigureOptions = {}): PlotlyFigureSpec {
  const { leaves } = layout;
  const images = opts.images;
  if (images && images.length !== leaves.length) {
    throw new UserError(`disconnectivityFigure: ${images.length} images for ${leaves.length} columns; pass one per layout leaf`);
  }
  const stacks = opts.columnImages;
  if (stacks && stacks.length !== leaves.length) {
    throw new UserError(`disconnectivityFigure: image stacks for ${stacks.length} columns, layout has ${leaves.length}; pass one list per layout leaf`);
  }
  if (opts.captions && opts.captions.length !== leaves.length) {
    throw new UserError(`disconnectivityFigure: ${opts.captions.length} captions for ${leaves.length} columns; pass one per layout leaf`);
  }
  const lx: (number | null)[] = [];
  const ly: (number | null)[] = [];
  for (const v of layout.vertical) lx.push(v.x, v.x, null), ly.push(v.y0, v.y1, null);
  for (const h of layout.horizontal) lx.push(h.x0, h.x1, null), ly.push(h.y, h.y, null);
  const maxSize = 28;
  const lines = {
    type: 'scatter',
    mode: 'lines',
    x: lx,
    y: ly,
    line: { color: '#222', width: 1.2 },
    hoverinfo: 'skip',
    showlegend: false,
  };
  const markers = {
    type: 'scatter',
    mode: 'markers',
    x: leaves.map((l) => l.x),
    y: leaves.map((l) => l.energy),
    marker: {
      size: layout.circles.map((c) => Math.max(4, c.radius * maxSize)),
      color: 'rgba(31, 119, 180, 0.35)',
      line: { color: '#1f4e79', width: 1 },
    },
    customdata: leaves.map((_, k) => (stacks ? [...stacks[k]] : (images?.[k] ?? null))),
    text: leaves.map((l, k) => {
      const name = opts.labels?.[k];
      return `basin ${l.item}${name ? ` (${name})` : ''}<br>energy ${formatEnergy(l.energy)}<br>${l.members} members`;
    }),
    hovertemplate: '%{text}<extra></extra>',
    showlegend: false,
  };
  const thumbs = opts.thumbnails !== false && (stacks !== undefined || images !== undefined);
  // Rows of thumbnails under the plot: a stack per column, or one image each.
  const rows = !thumbs ? 0 : stacks ? Math.max(0, ...stacks.map((st) => st.length)) : 1;
  const px = opts.imageSize ?? 24;
  const captionPx = opts.captions ? 18 : 0;
  const imagesPx = rows > 0 ? 8 + rows * (px + 2) : 0;
  const top = opts.title ? 50 : 20;
  const bottomPx = Math.max(20, imagesPx + captionPx + 6);
  const height = opts.height ?? 440 + imagesPx + captionPx;
  const plotH = Math.max(40, height - top - bottomPx);
  const [bottom, yTop] = energyAxisRange(layout, 0.06);
  const below = (p: number): number => -p / plotH; // px under the plot area, in paper units
  const layoutImages: Record<string, unknown>[] = [];
  if (thumbs) {
    leaves.forEach((l, k) => {
      const list = stacks ? stacks[k] : images![k] ? [images![k]!] : [];
      list.forEach((src, r) => {
        layoutImages.push({
          source: src, xref: 'x', yref: 'paper', x: l.x, y: below(8 + r * (px + 2)), sizex: 0.9, sizey: px / plotH,
          xanchor: 'center', yanchor: 'top', layer: 'above', sizing: 'contain',
        });
      });
    });
  }
  // Captions shrink until the longest fits its column (6–10 px; a 700 px wide plot unless a width is given).
  const longest = Math.max(1, ...(opts.captions ?? []).map((c) => (c ? c.length : 0)));
  const captionSize = Math.round(Math.max(6, Math.min(10, ((opts.width ?? 700) - 90) / Math.max(1, leaves.length) / (0.62 * longest))));
  const annotations = opts.captions
    ? leaves.flatMap((l, k) => {
        const c = opts.captions![k];
        return c ? [{ text: c, x: l.x, xref: 'x', y: below(imagesPx + 2), yref: 'paper', yanchor: 'top', showarrow: false, font: { size: captionSize } }] : [];
      })
    : [];
  const plotLayout: Record<string, unknown> = {
    height,
    margin: { l: 70, r: 20, t: top, b: bottomPx },
    font: { family: FONT, size: 13 },
    plot_bgcolor: 'white',
    paper_bgcolor: 'white',
    hovermode: 'closest',
    xaxis: { visible: false, range: [-0.6, Math.max(0.6, leaves.length - 0.4)], fixedrange: true },
    yaxis: {
      title: { text: opts.energyLabel ?? 'energy E(x) = −f(x)' },
      range: [bottom, yTop],
      showgrid: false,
      zeroline: false,
      ticks: 'outside',
      showline: true,
    },
    images: layoutImages,
    annotations,
  };
  if (opts.title) plotLayout.title = { text: opts.title };
  if (opts.width) plotLayout.width = opts.width;
  return { data: [lines, markers], layout: plotLayout };
}

/**
 * Browser JS that shows a column's images (`customdata` of the basin markers: one data URI or a list,
 * e.g. the basin's minima) next to the cursor on hover, for the div a `disconnectivityFigure` was plotted
 * into. Plotly's own hover labels cannot show images.
 */
export function disconnectivityHoverScript(divId: string): string {
  const id = JSON.stringify(divId);
  return `(function(){var gd=document.getElementById(${id});if(!gd||!gd.on)return;
var box=document.createElement('div');box.style.cssText='position:fixed;display:none;pointer-events:none;max-width:360px;border:1px solid #999;background:#fff;z-index:1000;padding:2px;line-height:0';
document.body.appendChild(box);
gd.on('plotly_hover',function(e){var p=e.points&&e.points[0];var d=p&&p.customdata;if(!d||(d.length===0)){box.style.display='none';return;}
var list=typeof d==='string'?[d]:d;var w=list.length===1?84:56;box.innerHTML='';
for(var i=0;i<list.length;i++){var im=document.createElement('img');im.src=list[i];im.style.cssText='width:'+w+'px;height:'+w+'px;image-rendering:pixelated;margin:1px';box.appendChild(im);}
var ev=e.event||{};box.style.left=((ev.clientX||0)+16)+'px';box.style.top=((ev.clientY||0)+16)+'px';box.style.display='block';});
gd.on('plotly_unhover',function(){box.style.display='none';});})();`;
}

export interface DisconnectivitySvgOptions {
  /** Per column (layout.leaves order), the members' images in energy order (at most layout.maxMembersShown are
   * drawn): PNG buffers or data URIs. */
  memberImages?: readonly (readonly (Uint8Array | string)[])[];
  /** Per column, a short caption under the images (e.g. the majority label and purity). */
  captions?: readonly (string | null | undefined)[];
  /** Total size in px (default: from the number of columns and images). */
  width?: number;
  height?: number;
  /** Side of one member image in px (default 24). */
  imageSize?: number;
  title?: string;
  energyLabel?: string;
}

/** A self-contained SVG of the disconnectivity graph with member images stacked under each column. */
export function disconnectivitySvg(layout: DisconnectivityLayout, opts: DisconnectivitySvgOptions = {}): string {
  const { leaves } = layout;
  const member = opts.memberImages;
  if (member && member.length !== leaves.length) {
    throw new UserError(`disconnectivitySvg: image lists for ${member.length} columns, layout has ${leaves.length}; pass one list per layout leaf`);
  }
  const cols = Math.max(1, leaves.length);
  const img = opts.imageSize ?? 24;
  const gap = 2;
  const rows = member ? Math.min(layout.maxMembersShown, Math.max(0, ...member.map((m) => m.length))) : 0;
  const captionH = opts.captions ? 16 : 0;
  // Room left of the axis for the longest tick label (11 px font, ~0.62 em per character) and the
  // rotated axis title; the labels are estimated on the padded range, the final ticks differ little.
  const [e0, e1] = energyAxisRange(layout, 0.1);
  const roughTicks = niceTicks(e0, e1, 6);
  const roughStep = roughTicks.length > 1 ? roughTicks[1] - roughTicks[0] : Math.abs(e1 - e0);
  const labelChars = Math.max(...roughTicks.map((t) => formatTick(t, roughStep).length), 4) + 1;
  const marginL = Math.ceil(30 + 11 * 0.62 * labelChars + 15);
  const marginR = 12;
  const marginT = opts.title ? 34 : 12;
  const defaultColW = Math.max(img + 2 * gap, 14);
  // Wide enough for the title (15 px font, ~0.6 em per character) and never narrower than MIN_SVG_WIDTH,
  // so a graph of one or two columns still reads as a figure.
  const titleW = opts.title ? Math.ceil(opts.title.length * 15 * 0.6) + 24 : 0;
  const width = opts.width ?? Math.round(Math.max(marginL + marginR + cols * defaultColW, titleW, MIN_SVG_WIDTH));
  const colW = (width - marginL - marginR) / cols;
  const imagesH = rows > 0 ? rows * (img + gap) + 8 : 0;
  const height = opts.height ?? Math.round(marginT + 280 + 10 + imagesH + captionH);
  const plotBottom = height - imagesH - captionH - 10;
  const plotH = plotBottom - marginT;
  if (plotH < 40 || colW < 2) throw new UserError(`disconnectivitySvg: ${width}×${height} px is too small for ${cols} columns and ${rows} image rows; pass a larger width/height`);

  const rMax = Math.max(2, Math.min(colW / 2 - 1, 14));
  // Room under the deepest leaf for the largest circle.
  const [y0, y1] = energyAxisRange(layout, Math.min(0.3, (rMax + 3) / plotH));
  const Y = (e: number): number => marginT + ((y1 - e) / (y1 - y0 || 1)) * plotH;
  const X = (x: number): number => marginL + (x + 0.5) * colW;
  const f = (v: number): string => (Math.round(v * 100) / 100).toString();

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  if (opts.title) out.push(`<text x="${f(width / 2)}" y="22" font-size="15" text-anchor="middle">${escapeXml(opts.title)}</text>`);

  // Energy axis with round ticks.
  out.push(`<g stroke="#222" stroke-width="1" fill="none"><line x1="${marginL - 8}" y1="${f(marginT)}" x2="${marginL - 8}" y2="${f(plotBottom)}"/></g>`);
  const ticks = niceTicks(y0, y1, Math.max(3, Math.floor(plotH / 45)));
  const tickStep = ticks.length > 1 ? ticks[1] - ticks[0] : Math.abs(y1 - y0);
  out.push(`<g font-size="11" fill="#222" text-anchor="end">`);
  for (const t of ticks) {
    const y = Y(t);
    out.push(`<line x1="${marginL - 12}" y1="${f(y)}" x2="${marginL - 8}" y2="${f(y)}" stroke="#222"/><text x="${marginL - 15}" y="${f(y + 4)}">${formatTick(t, tickStep)}</text>`);
  }
  out.push(`</g>`);
  const labelY = marginT + plotH / 2;
  out.push(`<text x="14" y="${f(labelY)}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${f(labelY)})">${escapeXml(opts.energyLabel ?? 'energy E(x) = −f(x)')}</text>`);

  // The tree.
  out.push(`<g stroke="#222" stroke-width="1.2" stroke-linecap="square" fill="none">`);
  for (const v of layout.vertical) out.push(`<line x1="${f(X(v.x))}" y1="${f(Y(v.y0))}" x2="${f(X(v.x))}" y2="${f(Y(v.y1))}"/>`);
  for (const h of layout.horizontal) out.push(`<line x1="${f(X(h.x0))}" y1="${f(Y(h.y))}" x2="${f(X(h.x1))}" y2="${f(Y(h.y))}"/>`);
  out.push(`</g>`);
  out.push(`<g fill="rgba(31,119,180,0.35)" stroke="#1f4e79" stroke-width="1">`);
  for (const c of layout.circles) {
    out.push(`<circle cx="${f(X(c.x))}" cy="${f(Y(c.y))}" r="${f(Math.max(1.5, c.radius * rMax))}"><title>${c.members} members, energy ${formatEnergy(c.y)}</title></circle>`);
  }
  out.push(`</g>`);

  // Members under each column, lowest energy first (top).
  if (member) {
    const size = Math.min(img, colW - gap);
    out.push(`<g>`);
    leaves.forEach((l, k) => {
      member[k].slice(0, rows).forEach((im, r) => {
        const x = X(l.x) - size / 2;
        const y = plotBottom + 8 + r * (size + gap);
        out.push(`<image x="${f(x)}" y="${f(y)}" width="${f(size)}" height="${f(size)}" preserveAspectRatio="none" style="image-rendering:pixelated" href="${imageHref(im)}"/>`);
      });
    });
    out.push(`</g>`);
  }
  if (opts.captions) {
    // Shrink the captions until the longest fits its column (down to 6 px).
    const longest = Math.max(1, ...opts.captions.map((c) => (c ? c.length : 0)));
    const fontSize = Math.max(6, Math.min(10, colW / (0.6 * longest)));
    out.push(`<g font-size="${f(fontSize)}" fill="#222" text-anchor="middle">`);
    leaves.forEach((l, k) => {
      const c = opts.captions![k];
      if (c) out.push(`<text x="${f(X(l.x))}" y="${f(height - 4)}">${escapeXml(c)}</text>`);
    });
    out.push(`</g>`);
  }
  out.push(`</svg>`);
  return out.join('\n');
}

/** The SVG's smallest width in px (a one-column graph with its title and axis). */
export const MIN_SVG_WIDTH = 320;

/**
 * The energy axis of a drawing: from a little below the deepest leaf up to the roots' stub. Without any
 * merge (one column, or only unconnected roots) the layout's span is a token stub; the axis then spans 2%
 * of the energies' magnitude (0.02 around 0), leaves near the bottom. With merges the span is the data's.
 */
export function energyAxisRange(layout: DisconnectivityLayout, bottomFraction: number): [number, number] {
  const [lo, hi] = [layout.energyRange[0], layout.top];
  const minSpan = layout.horizontal.length === 0 ? 0.02 * Math.max(1, Math.abs(lo), Math.abs(hi)) : 0;
  const span = Math.max(hi - lo, minSpan, 1e-12);
  // The deepest leaf sits `bottomFraction` of the axis above its bottom (room for its circle).
  const f = Math.min(0.5, Math.max(0, bottomFraction));
  return [lo - (f / (1 - f)) * span, lo + span];
}

/** A tick label with just enough decimals to tell ticks `step` apart, typographic minus. */
export function formatTick(t: number, step: number): string {
  if (!Number.isFinite(t)) return String(t);
  const a = Math.abs(t);
  if (a >= 1e5) return formatEnergy(t);
  const decimals = step > 0 ? Math.max(0, Math.min(12, -Math.floor(Math.log10(step) + 1e-9))) : 2;
  // Same decimals on every tick (−20.190, −20.185, …); a tick at zero is 0, never −0.
  const v = Math.abs(t) < 1e-9 * Math.max(step, 1e-300) ? 0 : t;
  return v.toFixed(decimals).replace(/^-(0\.?0*)$/, '$1').replace(/-/g, '−');
}

/** Round tick values covering [lo, hi], about `count` of them (1-2-5 steps). */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((s) => s * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.round(t / step) * step + 0); // + 0 turns −0 into 0
  return out;
}

/** A short number with a typographic minus sign. */
function formatEnergy(e: number): string {
  if (!Number.isFinite(e)) return String(e);
  const a = Math.abs(e);
  const text = a !== 0 && (a >= 1e5 || a < 1e-3) ? e.toExponential(2) : Number(e.toPrecision(4)).toString();
  return text.replace(/-/g, '−');
}

function imageHref(im: Uint8Array | string): string {
  if (typeof im === 'string') {
    if (!im.startsWith('data:')) throw new UserError('disconnectivitySvg: member images must be PNG buffers or data: URIs');
    return escapeXml(im);
  }
  return `data:image/png;base64,${Buffer.from(im).toString('base64')}`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
