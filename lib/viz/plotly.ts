/**
 * Plotly figures as plain JSON and the HTML that draws them offline: the plotly.js bundle is read from
 * the npm package (plotly.js-dist-min) and inlined, never fetched from a CDN.
 */
import * as fs from 'node:fs';

/** A plotly figure as plain JSON: `Plotly.newPlot(div, fig.data, fig.layout)`. Same shape as lib/landscape's PlotlyFigureSpec. */
export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

let bundle: string | undefined;

/** The plotly.js source (~4.6 MB), read once per process. */
export function plotlyBundle(): string {
  bundle ??= fs.readFileSync(require.resolve('plotly.js-dist-min/plotly.min.js'), 'utf8');
  return bundle;
}

/** Makes JS safe inside an inline <script>: a literal "</script" would end the element. */
export function escapeScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

/** JSON that can sit in an inline <script>: every "<" (only ever inside strings) becomes \u003c. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** Escapes text for HTML/SVG element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * A <script> that defines window.Plotly once. Classic Notebook 6 loads require.js, whose global `define`
 * would make a UMD bundle register as an anonymous AMD module (and fail "Mismatched anonymous define()");
 * `define` is hidden while the bundle runs, so it always sets window.Plotly.
 */
export function plotlyScriptTag(): string {
  return (
    '<script type="text/javascript">(function(){if(window.Plotly)return;' +
    'var d=window.define;window.define=undefined;try{\n' +
    escapeScript(plotlyBundle()) +
    '\n}finally{window.define=d;}})();</script>'
  );
}

let divCounter = 0;

/** A unique element id for one plot in a page or notebook. */
export function newPlotId(): string {
  divCounter += 1;
  return `dtri-plot-${Date.now().toString(36)}-${divCounter}`;
}

/**
 * A <div> plus the <script> that draws `fig` into it (needs window.Plotly, see plotlyScriptTag).
 * @param extraScript browser JS run after plotting, given the div id (e.g. lib/landscape's hover script)
 */
export function plotDivHtml(
  fig: PlotlyFigure,
  opts: { id?: string; width?: number; height?: number; extraScript?: (id: string) => string } = {},
): string {
  const id = opts.id ?? newPlotId();
  const w = opts.width ?? (fig.layout.width as number | undefined);
  const h = opts.height ?? (fig.layout.height as number | undefined) ?? 420;
  const style = `${w ? `width:${w}px;` : 'width:100%;'}height:${h}px;`;
  const figJson = jsonForScript(fig);
  const extra = opts.extraScript ? escapeScript(opts.extraScript(id)) : '';
  return (
    `<div id="${id}" style="${style}"></div>` +
    `<script type="text/javascript">(function(){var f=${figJson};var gd=document.getElementById(${JSON.stringify(id)});` +
    `if(!window.Plotly){gd.textContent='plotly.js is not loaded in this page: re-run the cell (the first plot of a session inlines it)';return;}` +
    `window.Plotly.newPlot(gd,f.data,f.layout,{responsive:true,displaylogo:false}).then(function(){${extra}});})();</script>`
  );
}
