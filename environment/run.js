#!/usr/bin/env node
// Entry point of the npm scripts. Plain Node with no dependencies, because on a fresh clone
// `npm start` / `npm test` run before anything is installed: the set-up runs first, every time
// (it is idempotent and takes seconds when nothing changed).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const JUPYTER_PY = '/usr/bin/python3';
const kernel = require('./kernel.js');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
  if (r.error) throw r.error;
  return r.status === null ? 1 : r.status;
}

function setup() {
  const status = run('bash', [path.join(ROOT, 'environment/setup.sh')]);
  if (status !== 0) {
    console.error('set-up failed; see the lines above');
    process.exit(status);
  }
}

function listFiles(dir, suffix) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'bench' && entry.name !== 'fixtures') out.push(...listFiles(p, suffix));
    } else if (entry.name.endsWith(suffix)) out.push(p);
  }
  return out.sort();
}

/** Unit tests (node's built-in runner over ts-node) then every notebook at the `quick` preset. */
function test(args) {
  const onlyUnits = args.includes('--units');
  const onlyNotebooks = args.includes('--notebooks');
  const filters = args.filter((a) => !a.startsWith('--'));
  let failed = 0;
  if (!onlyNotebooks) {
    console.log('\n== type check (lib + test) ==');
    failed |= run(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.test.json']);
    let files = listFiles(path.join(ROOT, 'test'), '.test.ts');
    if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
    console.log(`\n== unit tests (${files.length} files) ==`);
    failed |= run(process.execPath, ['--require', 'ts-node/register/transpile-only', '--test', ...files], {
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.test.json') },
    });
  }
  if (!onlyUnits) failed |= notebooks(filters);
  console.log(failed ? '\nnpm test: FAILED' : '\nnpm test: all passed');
  process.exit(failed ? 1 : 0);
}

/** Executes each notebook headlessly at DTRI_PRESET=quick into a temporary copy. */
function notebooks(filters) {
  let nbs = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort();
  if (filters.length) nbs = nbs.filter((f) => filters.some((x) => f.includes(x)));
  console.log(`\n== notebooks at the quick preset (${nbs.length}) ==`);
  // this clone's tslab by absolute path: the copies run wherever nbconvert puts them, never another clone's library
  const kernelName = kernel.cloneKernelName(ROOT);
  const problem = kernel.kernelProblem(kernelName, ROOT);
  if (problem) {
    console.log(problem);
    return 1;
  }
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-nb-'));
  let failed = 0;
  for (const nb of nbs) {
    const t0 = Date.now();
    const status = spawnSync(
      JUPYTER_PY,
      ['-m', 'jupyter', 'nbconvert', '--to', 'notebook', '--execute', `--ExecutePreprocessor.kernel_name=${kernelName}`,
        '--ExecutePreprocessor.timeout=900', '--output-dir', outDir, path.join('notebooks', nb)],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, DTRI_PRESET: 'quick', DTRI_RESULTS_DIR: path.join(outDir, 'results') },
      },
    );
    const secs = ((Date.now() - t0) / 1000).toFixed(0);
    if (status.status === 0) {
      console.log(`ok     ${nb} (${secs} s)`);
    } else {
      failed = 1;
      console.log(`FAILED ${nb} (${secs} s)`);
      console.log(((status.stderr || '') + (status.error ? String(status.error) : '')).split('\n').slice(-40).join('\n'));
    }
  }
  console.log(`notebook outputs: ${outDir}`);
  return failed;
}

/**
 * Executes notebooks in place at a preset (default cpu), outputs and notebooks/results/<name>.json
 * included: how the committed notebooks are produced. Names match by substring ("04", "texture").
 */
function execute(args) {
  const i = args.indexOf('--preset');
  const preset = i >= 0 ? args[i + 1] : 'cpu';
  if (!['quick', 'cpu', 'paper'].includes(preset)) {
    console.error(`--preset must be quick, cpu or paper (got "${preset ?? ''}")`);
    process.exit(2);
  }
  const filters = args.filter((a, k) => !a.startsWith('--') && !(i >= 0 && k === i + 1));
  const all = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort();
  const nbs = all.filter((f) => filters.some((x) => f.includes(path.basename(x))));
  if (filters.length === 0 || nbs.length === 0) {
    console.error(`name the notebooks to execute, e.g. npm run execute -- 04 --preset cpu (notebooks: ${all.join(', ')})`);
    process.exit(2);
  }
  const kernelName = kernel.requireKernel(kernel.cloneKernelName(ROOT), ROOT);
  let failed = 0;
  for (const nb of nbs) {
    const t0 = Date.now();
    console.log(`executing ${nb} at ${preset} ...`);
    const status = run(JUPYTER_PY, ['-m', 'jupyter', 'nbconvert', '--to', 'notebook', '--execute', '--inplace',
      `--ExecutePreprocessor.kernel_name=${kernelName}`, '--ExecutePreprocessor.timeout=7200', path.join('notebooks', nb)], {
      env: { ...process.env, DTRI_PRESET: preset },
    });
    if (status === 0) {
      // execution counts (tslab sends no execute_input), no checkout paths, no duplicate figures, and the
      // kernelspec every clone has ("divergence-triangle"), whatever kernel ran it
      const s = require('./slim-notebooks.js').slimFile(path.join(ROOT, 'notebooks', nb), { executed: true });
      console.log(`${nb}: ${(s.after / 1e6).toFixed(2)} MB`);
    }
    failed |= status;
    console.log(`${nb}: ${((Date.now() - t0) / 60000).toFixed(1)} min`);
  }
  process.exit(failed ? 1 : 0);
}

/**
 * The notebook server serves the project root (figures load plotly.js from its /files/node_modules/…, see
 * lib/viz/plotly's figureHtml) and opens on notebooks/. New notebooks get the kernel the committed ones
 * name (environment/kernel.js), which runs the clone holding the notebook. As root Jupyter refuses to
 * start without --allow-root.
 */
function notebookServerArgs(uid = process.getuid ? process.getuid() : -1) {
  return [
    '--no-browser',
    '--ip=127.0.0.1',
    `--notebook-dir=${ROOT}`,
    '--NotebookApp.default_url=/tree/notebooks',
    `--MappingKernelManager.default_kernel_name=${kernel.NOTEBOOK_KERNEL}`,
    ...(uid === 0 ? ['--allow-root'] : []),
  ];
}

function main() {
  const [cmd, ...args] = process.argv.slice(2);
  switch (cmd) {
    case 'start':
      setup();
      process.exit(run(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'start', ...args]));
    case 'test':
      if (!process.env.DTRI_SKIP_SETUP) setup();
      return test(args);
    case 'bench':
      if (!process.env.DTRI_SKIP_SETUP) setup();
      process.exit(
        run(process.execPath, ['--require', 'ts-node/register/transpile-only', path.join(ROOT, 'test/bench/main.ts'), ...args], {
          env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.test.json') },
        }),
      );
    case 'notebook':
      setup();
      kernel.requireKernel(kernel.NOTEBOOK_KERNEL, ROOT);
      process.exit(run(JUPYTER_PY, ['-m', 'jupyter', 'notebook', ...notebookServerArgs(), ...args]));
    case 'execute':
      if (!process.env.DTRI_SKIP_SETUP) setup();
      return execute(args);
    default:
      console.error(`usage: node environment/run.js start|test|bench|notebook|execute (got "${cmd ?? ''}")`);
      process.exit(2);
  }
}

if (require.main === module) main();
module.exports = { notebookServerArgs };
