#!/usr/bin/env node
// Slims executed notebooks in place (npm run slim [-- files…]; default notebooks/*.ipynb):
//  - drops inlined copies of plotly.js (4.7 MB each) from figure outputs;
//  - turns each old "interactive div, then the same figure as a PNG" pair into one output, the figure
//    as lib/viz/plotly's figureHtml writes it today (the PNG inside the plot div, plotly.js loaded from
//    the notebook server), so the figure shows once and stays interactive in a live Jupyter;
//  - removes TensorFlow.js's "Hi, looks like you are running TensorFlow.js in Node.js" banner, and tslab's
//    "UncaughtException: Error: Unexpected pending rebuildTimer" traces (its TypeScript file watcher racing
//    when files change under the project while a cell runs, e.g. checkpoints written; the cell is unaffected);
//  - replaces this checkout's absolute path in outputs by project-relative paths;
//  - sets the kernelspec to "divergence-triangle" (environment/kernel.js), the kernel every clone registers,
//    whatever kernel ran the notebook (npm run execute uses this clone's dtri-…, the old set-up's was "tslab");
//  - numbers the cells of a fully executed notebook whose execution counts are empty (tslab sends no
//    execute_input, so nbclient leaves every cell "In [ ]").
// run.js's `execute` runs the same pass on each notebook it executes. Idempotent.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const { notebookKernelspec } = require('./kernel.js');

const BUNDLE_START =
  '<script type="text/javascript">(function(){if(window.Plotly)return;var d=window.define;window.define=undefined;try{';
const BUNDLE_END = '}finally{window.define=d;}})();</script>';
// plotDivHtml's output up to 2026-05 (before figureHtml): an empty div and a newPlot call, the PNG as the next output
const OLD_FIGURE =
  /^<div id="([^"]+)" style="([^"]*)"><\/div><script type="text\/javascript">\(function\(\)\{var f=([\s\S]*?);var gd=document\.getElementById\("\1"\);if\(!window\.Plotly\)\{[^}]*\}window\.Plotly\.newPlot\(gd,f\.data,f\.layout,\{responsive:true,displaylogo:false\}\)\.then\(function\(\)\{([\s\S]*)\}\);\}\)\(\);<\/script>$/;
const BANNER = /\n?=+\nHi, looks like you are running TensorFlow\.js in Node\.js\.[^\n]*\n=+\n?/g;
const TSLAB_WATCHER = /UncaughtException: Error: Unexpected pending rebuildTimer\n(?: {4}at [^\n]*\n?)*/g;
const NO_PNG_NOTE = /^\(no static PNG: (.*)\)$/;

function joinText(v) {
  return Array.isArray(v) ? v.join('') : String(v ?? '');
}

/** nbformat's on-disk form of a multi-line string: lines, each keeping its "\n". */
function splitLines(s) {
  const lines = s.split(/(?<=\n)/);
  return lines.length === 1 ? [s] : lines;
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces `root` in text: `<root>/x` becomes `x`, a bare `<root>` becomes `.`. */
function relativize(text, root) {
  const re = new RegExp(escapeRegExp(root) + '(/|(?![\\w.-]))', 'g');
  return text.replace(re, (_, slash) => (slash === '/' ? '' : '.'));
}

let figureHtmlFn;
/** lib/viz/plotly's figureHtml, from the TypeScript source (always current) through ts-node. */
function figureHtml(fig, opts) {
  if (!figureHtmlFn) {
    require('ts-node').register({ transpileOnly: true, project: path.join(ROOT, 'tsconfig.json') });
    figureHtmlFn = require(path.join(ROOT, 'lib/viz/plotly.ts')).figureHtml;
  }
  return figureHtmlFn(fig, opts);
}

function isDisplay(o) {
  return o && (o.output_type === 'display_data' || o.output_type === 'execute_result') && o.data;
}

/** The old figure output `o` rewritten with `png` (or `note`) inside, or null when `o` is not one. */
function convertOldFigure(html, png, note, plotlyPath) {
  const m = OLD_FIGURE.exec(html);
  if (!m) return null;
  const [, id, style, figJson, extra] = m;
  const fig = JSON.parse(figJson);
  const width = /(?:^|;)width:(\d+(?:\.\d+)?)px/.exec(style);
  const height = /(?:^|;)height:(\d+(?:\.\d+)?)px/.exec(style);
  return figureHtml(fig, {
    id,
    width: width ? Number(width[1]) : undefined,
    height: height ? Number(height[1]) : undefined,
    png,
    note,
    plotlyPath,
    extraScript: extra ? () => extra : undefined,
  });
}

/**
 * Slims one parsed notebook in place and says what it did.
 * @param opts.root the checkout whose absolute path is replaced (default: this clone)
 * @param opts.notebookDir the notebook's folder (figures load plotly.js relative to it)
 */
function slimNotebook(nb, opts = {}) {
  const root = opts.root ?? ROOT;
  const nbDir = opts.notebookDir ?? path.join(ROOT, 'notebooks');
  const plotlyPath = path
    .relative(nbDir, path.join(ROOT, 'node_modules/plotly.js-dist-min/plotly.min.js'))
    .split(path.sep)
    .join('/');
  const stats = { bundles: 0, figures: 0, banners: 0, watcher: 0, paths: 0, counts: 0, kernelspec: 0 };
  const code = (nb.cells || []).filter((c) => c.cell_type === 'code');
  for (const cell of code) {
    const outs = cell.outputs || [];
    // absolute paths of the checkout, in every text output (not in images' base64), before anything is generated
    for (const o of outs) {
      const fix = (v) => {
        const s = joinText(v);
        const r = relativize(s, root);
        if (r !== s) stats.paths += 1;
        return r === s ? v : splitLines(r);
      };
      if (o.output_type === 'stream') o.text = fix(o.text);
      if (isDisplay(o)) for (const k of Object.keys(o.data)) if (!k.startsWith('image/') || k === 'image/svg+xml') o.data[k] = fix(o.data[k]);
      if (o.output_type === 'error') o.traceback = (o.traceback || []).map((t) => relativize(t, root));
    }
    const kept = [];
    for (let i = 0; i < outs.length; i++) {
      const o = outs[i];
      if (o.output_type === 'stream') {
        const text = joinText(o.text);
        const unbannered = text.replace(BANNER, '');
        if (unbannered !== text) stats.banners += 1;
        const cleaned = unbannered.replace(TSLAB_WATCHER, '');
        if (cleaned !== unbannered) stats.watcher += 1;
        if (cleaned === '') continue;
        o.text = splitLines(cleaned);
      }
      if (isDisplay(o) && o.data['text/html'] !== undefined) {
        let html = joinText(o.data['text/html']);
        const a = html.indexOf(BUNDLE_START);
        if (a >= 0) {
          const b = html.indexOf(BUNDLE_END, a);
          if (b > a) {
            html = html.slice(0, a) + html.slice(b + BUNDLE_END.length);
            stats.bundles += 1;
          }
        }
        if (OLD_FIGURE.test(html)) {
          const next = outs[i + 1];
          let png = null;
          let note;
          if (isDisplay(next) && next.data['image/png'] !== undefined && Object.keys(next.data).every((k) => k === 'image/png' || k === 'text/plain')) {
            png = Buffer.from(joinText(next.data['image/png']).replace(/\s/g, ''), 'base64');
            i += 1;
          } else if (isDisplay(next) && Object.keys(next.data).join() === 'text/plain' && NO_PNG_NOTE.test(joinText(next.data['text/plain']))) {
            note = 'no static image: ' + NO_PNG_NOTE.exec(joinText(next.data['text/plain']))[1];
            i += 1;
          }
          html = convertOldFigure(html, png, note, plotlyPath);
          stats.figures += 1;
        }
        o.data['text/html'] = splitLines(html);
      }
      kept.push(o);
    }
    cell.outputs = kept;
  }
  const want = notebookKernelspec();
  nb.metadata = nb.metadata || {};
  if (JSON.stringify(nb.metadata.kernelspec) !== JSON.stringify(want)) {
    nb.metadata.kernelspec = want;
    stats.kernelspec = 1;
  }
  // execution counts: only for a notebook run top to bottom (every non-empty code cell ran) whose counts are all empty
  const ran = code.filter((c) => joinText(c.source).trim() !== '');
  if (ran.length && ran.every((c) => c.execution_count == null) && opts.executed) {
    ran.forEach((c, k) => {
      c.execution_count = k + 1;
      for (const o of c.outputs || []) if (o.output_type === 'execute_result') o.execution_count = k + 1;
    });
    stats.counts = ran.length;
  }
  return stats;
}

/** Reads, slims and (when anything changed) rewrites one notebook file; returns the stats and sizes. */
function slimFile(file, opts = {}) {
  const before = fs.statSync(file).size;
  const text = fs.readFileSync(file, 'utf8');
  const nb = JSON.parse(text);
  const stats = slimNotebook(nb, { notebookDir: path.dirname(path.resolve(file)), ...opts });
  // nbformat's layout: one-space indent, a final newline
  const out = JSON.stringify(nb, null, 1) + '\n';
  if (out !== text) {
    fs.writeFileSync(file + '.tmp', out);
    fs.renameSync(file + '.tmp', file);
  }
  return { ...stats, before, after: Buffer.byteLength(out) };
}

function mb(n) {
  return (n / 1e6).toFixed(2) + ' MB';
}

function main(args) {
  const executed = args.includes('--executed');
  let files = args.filter((a) => !a.startsWith('--'));
  if (files.length === 0) {
    const dir = path.join(ROOT, 'notebooks');
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort().map((f) => path.join(dir, f));
  }
  for (const f of files) {
    if (!fs.existsSync(f)) {
      console.error(`no such notebook: ${f}`);
      process.exit(2);
    }
    const s = slimFile(f, { executed });
    console.log(
      `${path.relative(process.cwd(), f)}: ${mb(s.before)} -> ${mb(s.after)} (plotly.js copies ${s.bundles}, figures merged ${s.figures}, banners ${s.banners}, tslab watcher traces ${s.watcher}, outputs with paths ${s.paths}${s.kernelspec ? ', kernelspec set' : ''}${s.counts ? `, cells numbered ${s.counts}` : ''})`,
    );
  }
}

module.exports = { slimNotebook, slimFile, relativize };

if (require.main === module) main(process.argv.slice(2));
