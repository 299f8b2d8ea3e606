/**
 * Static figure export (PNG, SVG, PDF) through Debian's headless Chromium driven by playwright-core,
 * plotly.js inlined into the page, nothing fetched. One browser and one page (plotly loaded once, ~4 s)
 * serve every call; the browser closes itself after `idleMs` without work (an open browser would keep
 * Node alive), or at `closeFigureBrowser()`. SVG drawings (e.g. lib/landscape's disconnectivity SVG)
 * go to PNG through sharp and to PDF through Chromium.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { UserError } from '../errors';
import { plotlyBundle, type PlotlyFigure } from './plotly';
import { inNotebook } from './tslab';

export type FigureFormat = 'png' | 'svg' | 'pdf';

/** Flags that run Debian's chromium offline and headless (ENVIRONMENT.md). */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** $DTRI_CHROMIUM, else /usr/bin/chromium. */
export function chromiumPath(): string {
  return process.env.DTRI_CHROMIUM || '/usr/bin/chromium';
}

export function chromiumAvailable(): boolean {
  return fs.existsSync(chromiumPath());
}

let browser: Promise<Browser> | null = null;
let page: Promise<Page> | null = null;
let queue: Promise<unknown> = Promise.resolve();
let idleTimer: NodeJS.Timeout | null = null;
let idleMs: number | null = null;

/**
 * How long the browser stays open without work: default 2 s in scripts and tests (so Node can exit),
 * 10 minutes in a notebook kernel (a relaunch plus plotly load costs ~5 s).
 */
export function setFigureBrowserIdleMs(ms: number | null): void {
  idleMs = ms;
}

async function launch(): Promise<Browser> {
  const exe = chromiumPath();
  if (!fs.existsSync(exe)) {
    throw new UserError(`Chromium not found at ${exe}: install the Debian package chromium (apt-get install chromium) or set DTRI_CHROMIUM to its path`);
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: exe, args: CHROMIUM_FLAGS, headless: true });
}

async function plotlyPage(): Promise<Page> {
  // a failed launch (no Chromium yet) is not cached: the next call tries again
  browser ??= launch().catch((e: unknown) => {
    browser = null;
    page = null;
    throw e;
  });
  page ??= (async () => {
    // a context of our own: the SVG-to-PDF path opens a second page in it
    const p = await (await (await browser!).newContext()).newPage();
    await p.setContent('<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;padding:0;background:#fff}</style></head><body><div id="fig"></div></body></html>');
    await p.addScriptTag({ content: plotlyBundle() });
    return p;
  })();
  return page;
}

/** Closes the shared browser (if open). Safe to call any time. */
export async function closeFigureBrowser(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  const b = browser;
  browser = null;
  page = null;
  if (b) await b.then((x) => x.close()).catch(() => undefined);
}

/** Runs one job on the shared page, one at a time, then re-arms the idle close. */
function withPage<T>(job: (p: Page) => Promise<T>): Promise<T> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  const run = queue.then(async () => {
    try {
      return await job(await plotlyPage());
    } catch (e) {
      // a crashed or closed browser is relaunched by the next call
      if (!(e instanceof UserError)) await closeFigureBrowser();
      throw e;
    }
  });
  queue = run.catch(() => undefined).then(() => {
    const ms = idleMs ?? (inNotebook() ? 600_000 : 2000);
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => void closeFigureBrowser(), ms);
  });
  return run;
}

export interface RenderOptions {
  /** CSS pixels (default: the figure's layout.width/height, else 640×420) */
  width?: number;
  height?: number;
  /** device-pixel multiplier for PNG (default 2); `dpi` sets it as dpi / 96 */
  scale?: number;
  dpi?: number;
}

function figureSize(fig: PlotlyFigure, opts: RenderOptions): { width: number; height: number; scale: number } {
  const width = Math.round(opts.width ?? (fig.layout.width as number | undefined) ?? 640);
  const height = Math.round(opts.height ?? (fig.layout.height as number | undefined) ?? 420);
  const scale = opts.dpi ? opts.dpi / 96 : (opts.scale ?? 2);
  if (!(width > 0 && height > 0 && scale > 0)) throw new UserError(`figure size must be positive (got ${width}×${height} at scale ${scale})`);
  return { width, height, scale };
}

/** Renders a plotly figure to PNG or SVG or PDF bytes in headless Chromium. */
export async function renderFigure(fig: PlotlyFigure, format: FigureFormat, opts: RenderOptions = {}): Promise<Buffer> {
  const { width, height, scale } = figureSize(fig, opts);
  return withPage(async (p) => {
    const layout = { ...fig.layout, width, height };
    if (format === 'pdf') {
      // vector output: draw the plot in the page at its size and print exactly that page
      await p.evaluate(
        async ({ data, layout }) => {
          const g = globalThis as unknown as BrowserGlobals;
          const gd = g.document.getElementById('fig');
          gd.style.width = `${layout.width}px`;
          gd.style.height = `${layout.height}px`;
          await g.Plotly.newPlot(gd, data, layout, { staticPlot: true });
        },
        { data: fig.data, layout },
      );
      return p.pdf({ width: `${width}px`, height: `${height}px`, printBackground: true, pageRanges: '1', margin: { top: '0', right: '0', bottom: '0', left: '0' } });
    }
    const url = await p.evaluate(
      async ({ data, layout, format, scale }) => {
        const g = globalThis as unknown as BrowserGlobals;
        const gd = g.document.getElementById('fig');
        await g.Plotly.newPlot(gd, data, layout, { staticPlot: true });
        return g.Plotly.toImage(gd, { format, width: layout.width as number, height: layout.height as number, scale });
      },
      { data: fig.data, layout, format, scale },
    );
    return format === 'png' ? Buffer.from(url.slice(url.indexOf(',') + 1), 'base64') : Buffer.from(decodeURIComponent(url.slice(url.indexOf(',') + 1)), 'utf8');
  });
}

/** The little of the page's globals the evaluated functions use (this project compiles without the DOM lib). */
interface BrowserElement {
  style: Record<string, string>;
}
interface BrowserGlobals {
  document: { getElementById(id: string): BrowserElement };
  Plotly: {
    newPlot(gd: BrowserElement, data: unknown, layout: unknown, config: unknown): Promise<unknown>;
    toImage(gd: BrowserElement, opts: { format: string; width: number; height: number; scale: number }): Promise<string>;
  };
}

function formatOf(file: string, format: FigureFormat | undefined): FigureFormat {
  if (format) return format;
  const ext = path.extname(file).slice(1).toLowerCase();
  if (ext === 'png' || ext === 'svg' || ext === 'pdf') return ext;
  throw new UserError(`cannot tell the figure format of ${file}: name it .png, .svg or .pdf or pass { format }`);
}

function writeFile(file: string, bytes: Buffer | string): string {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, bytes);
  return file;
}

/**
 * Writes a plotly figure as PNG, SVG or PDF (format from the option or the file extension).
 * @returns the path written
 */
export async function exportFigure(fig: PlotlyFigure, file: string, opts: RenderOptions & { format?: FigureFormat } = {}): Promise<string> {
  return writeFile(file, await renderFigure(fig, formatOf(file, opts.format), opts));
}

/** Width and height of an SVG from its width/height attributes, else its viewBox. */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/i.exec(svg)?.[0] ?? '';
  const attr = (name: string) => {
    const m = new RegExp(`\\s${name}\\s*=\\s*["']\\s*([\\d.]+)(px)?\\s*["']`).exec(root);
    return m ? Number(m[1]) : undefined;
  };
  const vb = /viewBox\s*=\s*["']\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)\s*["']/.exec(root);
  const width = attr('width') ?? (vb ? Number(vb[1]) : undefined);
  const height = attr('height') ?? (vb ? Number(vb[2]) : undefined);
  if (!width || !height) throw new UserError('the SVG has no width/height or viewBox; give its <svg> element a size');
  return { width, height };
}

/**
 * Converts an SVG drawing to PNG (sharp, `scale`× its pixel size, default 2) or PDF (Chromium, vector),
 * or writes it as is.
 * @returns the path written
 */
export async function exportSvg(svg: string, file: string, opts: { format?: FigureFormat; scale?: number } = {}): Promise<string> {
  const format = formatOf(file, opts.format);
  switch (format) {
    case 'svg':
      return writeFile(file, svg);
    case 'png':
      return writeFile(file, await svgToPng(svg, opts.scale ?? 2));
    case 'pdf': {
      const { width, height } = svgSize(svg);
      const pdf = await withPage(async (p) => {
        const doc = `<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;padding:0;background:#fff}svg{display:block}</style></head><body>${svg}</body></html>`;
        const own = await p.context().newPage();
        try {
          await own.setContent(doc);
          return await own.pdf({ width: `${width}px`, height: `${height}px`, printBackground: true, pageRanges: '1', margin: { top: '0', right: '0', bottom: '0', left: '0' } });
        } finally {
          await own.close();
        }
      });
      return writeFile(file, pdf);
    }
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

/** SVG → PNG with sharp at `scale` × the SVG's pixel size (sharp reads SVG at 72 dpi = 1 px per unit). */
export function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer();
}

/**
 * A figure of the papers' kind: a plotly figure (curves, ROC/PR, histograms), an SVG drawing (the
 * disconnectivity graph of lib/landscape), or a raster PNG (sample grids, reconstructions from grid.ts).
 */
export type PrintFigure = PlotlyFigure | { svg: string } | { png: Uint8Array };

export interface PrintOptions {
  /** print resolution of the PNG (default 300); 96 CSS px = 1 inch, so the PNG is size · dpi / 96 pixels */
  dpi?: number;
  /** size in CSS px (default: the figure's own; a raster PNG keeps its aspect ratio when one is given) */
  width?: number;
  height?: number;
  /** formats to write (default all three) */
  formats?: readonly FigureFormat[];
}

export type PrintFiles = Partial<Record<FigureFormat, string>>;

/** A raster image as an SVG of the given CSS size, its pixels kept sharp when scaled up. */
function rasterSvg(png: Uint8Array, width: number, height: number, pxW: number, pxH: number): string {
  const href = `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${pxW} ${pxH}">` +
    `<image width="${pxW}" height="${pxH}" preserveAspectRatio="none" image-rendering="pixelated" style="image-rendering:pixelated" href="${href}" xlink:href="${href}"/></svg>`
  );
}

/**
 * Writes one figure as `basePath.png`, `.svg` and `.pdf` at print resolution: the PNG at `dpi` (default
 * 300), the SVG as vectors (a raster figure embedded unscaled), the PDF printed by Chromium with its
 * fonts embedded (vectors for plotly and SVG figures). A raster grid's PNG is enlarged by nearest
 * neighbour, so each model pixel stays a crisp square. An extension on basePath is dropped.
 * @returns the paths written, by format
 */
export async function exportPrintFigure(fig: PrintFigure, basePath: string, opts: PrintOptions = {}): Promise<PrintFiles> {
  const dpi = opts.dpi ?? 300;
  if (!(dpi > 0)) throw new UserError(`exportPrintFigure: dpi must be positive (got ${dpi})`);
  const formats = opts.formats ?? (['png', 'svg', 'pdf'] as const);
  const base = basePath.replace(/\.(png|svg|pdf)$/i, '');
  const out: PrintFiles = {};
  const scale = dpi / 96;
  if ('data' in fig && 'layout' in fig) {
    for (const f of formats) {
      const bytes = await renderFigure(fig, f, { width: opts.width, height: opts.height, dpi });
      out[f] = writeFile(`${base}.${f}`, f === 'png' ? await withDensity(bytes, dpi) : bytes);
    }
    return out;
  }
  let svg: string;
  let png: () => Promise<Buffer>;
  if ('svg' in fig) {
    const own = svgSize(fig.svg);
    const width = opts.width ?? own.width;
    const height = opts.height ?? (opts.width ? (own.height * opts.width) / own.width : own.height);
    svg = opts.width || opts.height ? fig.svg.replace(/<svg\b([^>]*)>/i, (_m, attrs: string) => `<svg${sizedAttrs(attrs, width, height, own)}>`) : fig.svg;
    png = () => svgToPng(svg, (scale * width) / own.width);
  } else {
    const meta = await sharp(Buffer.from(fig.png)).metadata();
    const pxW = meta.width ?? 0;
    const pxH = meta.height ?? 0;
    if (!(pxW > 0 && pxH > 0)) throw new UserError('exportPrintFigure: the PNG has no size; pass the Buffer that imageGrid/samplesGrid returned');
    const width = opts.width ?? (opts.height ? (pxW * opts.height) / pxH : pxW);
    const height = opts.height ?? (pxH * width) / pxW;
    svg = rasterSvg(fig.png, width, height, pxW, pxH);
    png = () =>
      sharp(Buffer.from(fig.png))
        .resize(Math.round(width * scale), Math.round(height * scale), { kernel: 'nearest', fit: 'fill' })
        .png()
        .toBuffer();
  }
  for (const f of formats) {
    if (f === 'png') out.png = writeFile(`${base}.png`, await withDensity(await png(), dpi));
    else out[f] = await exportSvg(svg, `${base}.${f}`, { format: f });
  }
  return out;
}

/** The <svg> attributes with width/height set (a viewBox added from the old size so the drawing scales). */
function sizedAttrs(attrs: string, width: number, height: number, own: { width: number; height: number }): string {
  let a = attrs.replace(/\s(width|height)\s*=\s*["'][^"']*["']/g, '');
  if (!/viewBox/.test(a)) a += ` viewBox="0 0 ${own.width} ${own.height}"`;
  return `${a} width="${width}" height="${height}"`;
}

/** The PNG with its pHYs density set to `dpi`, so a word processor places it at its print size. */
function withDensity(png: Buffer, dpi: number): Promise<Buffer> {
  return sharp(png).withMetadata({ density: dpi }).png().toBuffer();
}
