/**
 * Plotly figures as plain JSON and the HTML that draws them, never fetching plotly.js from a CDN:
 * standalone pages (the run report) inline the npm package's bundle (plotlyScriptTag + plotDivHtml);
 * notebook outputs (figureHtml) carry a static PNG and a small loader that fetches the bundle from the
 * notebook server's /files/ route, so a saved notebook holds no copy of the 4.7 MB library.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

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

/**
 * jsonForScript with every non-integer number cut to `digits` significant digits: a figure's data is
 * drawn, not computed with, and full doubles (17 digits) make a contour plot's JSON 2-3x larger.
 */
export function compactJsonForScript(value: unknown, digits = 6): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) && Number.isFinite(v) ? Number(v.toPrecision(digits)) : v)).replace(
    /</g,
    '\\u003c',
  );
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
    `if(!window.Plotly){gd.textContent='plotly.js is not loaded in this page';return;}` +
    `window.Plotly.newPlot(gd,f.data,f.layout,{responsive:true,displaylogo:false}).then(function(){${extra}});})();</script>`
  );
}

/** Where the bundle lies relative to the project root, the folder `npm run notebook` serves. */
export const PLOTLY_PROJECT_PATH = 'node_modules/plotly.js-dist-min/plotly.min.js';

/** The bundle's path relative to `dir` (the kernel's working directory, i.e. the notebook's folder), with forward slashes. */
export function plotlyPathFrom(dir: string): string {
  return path.relative(dir, require.resolve('plotly.js-dist-min/plotly.min.js')).split(path.sep).join('/');
}

/**
 * Browser JS (an expression) for a promise of window.Plotly, loaded at most once per page. Candidate URLs,
 * tried in order until one loads:
 *  - in classic Notebook 6 (body data-base-url, data-notebook-path): `<base>files/<notebook folder>/<fromNotebook>`,
 *    then `<base>files/<PLOTLY_PROJECT_PATH>` (JupyterLab's config gives the base URL only);
 *  - elsewhere (an exported .html opened from disk): `fromNotebook` relative to the page itself.
 * Under require.js (Notebook 6) the bundle is loaded as an AMD module; otherwise by a plain <script>.
 */
export function plotlyLoaderJs(fromNotebook: string): string {
  const rel = JSON.stringify(fromNotebook);
  const root = JSON.stringify(PLOTLY_PROJECT_PATH);
  return `(function(w){if(w.Plotly)return Promise.resolve(w.Plotly);if(w.__dtriPlotly)return w.__dtriPlotly;
var b=document.body,base=b&&b.getAttribute('data-base-url'),nb=b&&b.getAttribute('data-notebook-path'),urls=[];
if(base==null){try{var c=document.getElementById('jupyter-config-data');if(c)base=JSON.parse(c.textContent).baseUrl;}catch(e){}}
function enc(p){return p.split('/').map(encodeURIComponent).join('/');}
if(base!=null){if(base.slice(-1)!=='/')base+='/';var dir=nb!=null&&nb.indexOf('/')>=0?nb.slice(0,nb.lastIndexOf('/')+1):'';
if(nb!=null)urls.push(new URL(base+'files/'+enc(decodeURIComponent(dir))+${rel},location.href).href);urls.push(new URL(base+'files/'+${root},location.href).href);}
else urls.push(new URL(${rel},location.href).href);
w.__dtriPlotly=new Promise(function(ok,fail){
if(typeof w.requirejs==='function'&&typeof w.define==='function'&&w.define.amd){
var cfg={paths:{}};cfg.paths['dtri-plotly']=urls.map(function(u){return u.slice(0,-3);});w.requirejs.config(cfg);
w.requirejs(['dtri-plotly'],function(P){w.Plotly=w.Plotly||P;ok(w.Plotly);},function(e){fail(e);});return;}
var i=0;(function next(){if(i>=urls.length){fail(new Error('plotly.js not found at '+urls.join(', ')));return;}
var s=document.createElement('script'),d=w.define;w.define=undefined;s.src=urls[i++];
s.onload=function(){w.define=d;w.Plotly?ok(w.Plotly):next();};s.onerror=function(){w.define=d;next();};document.head.appendChild(s);})();});
w.__dtriPlotly.catch(function(){w.__dtriPlotly=undefined;});return w.__dtriPlotly;})(window)`;
}

export interface FigureHtmlOptions {
  id?: string;
  width?: number;
  height?: number;
  /** the static image shown until (or instead of) the interactive plot: PNG bytes, 1 CSS px per px */
  png?: Uint8Array | null;
  /** shown in place of the image when there is none (e.g. why the PNG is missing) */
  note?: string;
  /** the bundle's path relative to the notebook's folder (plotlyPathFrom(process.cwd()) in a kernel) */
  plotlyPath?: string;
  /** browser JS run after plotting, given the div id (e.g. lib/landscape's hover script) */
  extraScript?: (id: string) => string;
}

/** The figure's title, if it has one. */
export function figureTitle(fig: PlotlyFigure): string | undefined {
  const t = fig.layout.title as { text?: string } | string | undefined;
  return typeof t === 'string' ? t : t?.text;
}

/**
 * One notebook output for one figure: a div holding the static PNG, which plotly replaces by the
 * interactive plot once plotly.js loads (plotlyLoaderJs); where it cannot load (exported HTML away from
 * the project, GitHub's viewer, an untrusted notebook) the image stays. No plotly.js is inlined.
 */
export function figureHtml(fig: PlotlyFigure, opts: FigureHtmlOptions = {}): string {
  const id = opts.id ?? newPlotId();
  const w = opts.width ?? (fig.layout.width as number | undefined);
  const h = opts.height ?? (fig.layout.height as number | undefined) ?? 420;
  const style = `${w ? `width:${w}px;` : 'width:100%;'}min-height:${h}px;`;
  const alt = escapeHtml(figureTitle(fig) ?? 'figure');
  const inner = opts.png
    ? `<img class="dtri-static" alt="${alt}" style="display:block;max-width:100%" src="data:image/png;base64,${Buffer.from(opts.png).toString('base64')}">`
    : `<div class="dtri-static" style="font:12px monospace;color:#666">${escapeHtml(opts.note ?? 'interactive figure: open the notebook in Jupyter (npm run notebook) to see it')}</div>`;
  const extra = opts.extraScript ? escapeScript(opts.extraScript(id)) : '';
  const plotlyPath = opts.plotlyPath ?? `../${PLOTLY_PROJECT_PATH}`;
  return (
    `<div id="${id}" class="dtri-figure" style="${style}">${inner}</div>` +
    `<script type="text/javascript">(function(){var f=${compactJsonForScript(fig)};var gd=document.getElementById(${JSON.stringify(id)});if(!gd)return;` +
    `${plotlyLoaderJs(plotlyPath)}.then(function(P){var s=gd.querySelector('.dtri-static');if(s)s.remove();gd.style.height=${JSON.stringify(`${h}px`)};` +
    `return P.newPlot(gd,f.data,f.layout,{responsive:true,displaylogo:false});}).then(function(){${extra}},` +
    `function(e){if(window.console)console.warn('divergence-triangle: static figure kept,',e&&e.message||e);});})();</script>`
  );
}
