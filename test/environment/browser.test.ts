/**
 * End to end in a real browser (issue #19): the notebook server started as `npm run notebook` starts it
 * (run.js's notebookServerArgs: the project root, --allow-root as root), a tiny notebook that imports the
 * compiled library, its cell run on the project's kernel ("divergence-triangle", the launcher of
 * environment/kernel.js), and the figure of lib/viz's showPlot drawn by plotly.js in Debian's Chromium.
 * Needs Chromium, Jupyter under /usr/bin/python3 and the set-up's build (dist/, the self-link); skipped
 * with the reason otherwise. The kernel spec is the one kernel.js registers, written to a temporary
 * JUPYTER_PATH, so the test does not depend on (or change) what is registered on the machine.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromiumPath } from '../../lib/viz/export';

interface Spec {
  json: Record<string, unknown>;
  files: Record<string, string>;
}
// eslint-disable-next-line @typescript-eslint/no-var-requires
const kernel = require('../../environment/kernel.js') as {
  NOTEBOOK_KERNEL: string;
  kernelSpecs(root?: string): Record<string, Spec>;
  notebookKernelspec(): Record<string, string>;
  writeSpec(parent: string, name: string, spec: Spec): string;
};
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { notebookServerArgs } = require('../../environment/run.js') as { notebookServerArgs(uid?: number): string[] };

const ROOT = path.resolve(__dirname, '..', '..');
const JUPYTER_PY = '/usr/bin/python3';
// the flags of lib/viz/export (ENVIRONMENT.md: Debian's Chromium, offline and headless)
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Why the test cannot run here, or null. */
function missing(): string | null {
  if (!fs.existsSync(chromiumPath())) return `Chromium not found at ${chromiumPath()} (apt-get install chromium)`;
  if (spawnSync(JUPYTER_PY, ['-c', 'import notebook'], { stdio: 'ignore' }).status !== 0) {
    return `Jupyter Notebook not importable by ${JUPYTER_PY} (apt-get install jupyter-notebook)`;
  }
  for (const p of ['dist/index.js', 'node_modules/divergence-triangle/package.json', 'node_modules/.bin/tslab']) {
    if (!fs.existsSync(path.join(ROOT, p))) return `no ${p}: run npm run setup`;
  }
  return null;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((ok) => s.close(ok));
  return port;
}

const CELL = [
  "import * as dtri from 'divergence-triangle';\n",
  "console.log('library at ' + dtri.projectRoot());\n",
  "await dtri.showPlot({ data: [{ type: 'scatter', mode: 'lines+markers', x: [0, 1, 2, 3], y: [0, 1, 4, 9] }], layout: { title: { text: 'browser test' }, width: 480, height: 320 } });",
];

/** Stops the server (SIGTERM shuts its kernels down), SIGKILL after 10 s. */
async function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((ok) => server.once('exit', () => ok()));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const reason = missing();
test('Jupyter in Chromium: a notebook cell on the divergence-triangle kernel draws the library\'s plotly figure', { skip: reason ?? false, timeout: 120_000 }, async (t) => {
  const t0 = Date.now();
  const mark = (what: string) => t.diagnostic(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // the notebook lies inside the clone (the launcher walks up from its folder; /files/ serves plotly.js
  // from the project root): <root>/tmp/ is git-ignored
  fs.mkdirSync(path.join(ROOT, 'tmp'), { recursive: true });
  const nbDir = fs.mkdtempSync(path.join(ROOT, 'tmp', 'browser-test-'));
  const jupyterDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-browser-jupyter-'));
  const nbPath = path.join(nbDir, 'browser.ipynb');
  const notebook = {
    cells: [{ cell_type: 'code', execution_count: null, id: 'cell-1', metadata: {}, outputs: [], source: CELL }],
    metadata: { kernelspec: kernel.notebookKernelspec(), language_info: { name: 'typescript' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(nbPath, JSON.stringify(notebook, null, 1) + '\n');
  kernel.writeSpec(path.join(jupyterDir, 'share', 'kernels'), kernel.NOTEBOOK_KERNEL, kernel.kernelSpecs(ROOT)[kernel.NOTEBOOK_KERNEL]);

  const port = await freePort();
  const token = crypto.randomBytes(16).toString('hex');
  const base = `http://127.0.0.1:${port}`;
  let log = '';
  const server = spawn(
    JUPYTER_PY,
    ['-m', 'notebook', ...notebookServerArgs(), `--port=${port}`, '--port-retries=0', `--NotebookApp.token=${token}`],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        // our spec first; config, runtime files and the trust database away from the user's
        JUPYTER_PATH: path.join(jupyterDir, 'share'),
        JUPYTER_CONFIG_DIR: path.join(jupyterDir, 'config'),
        JUPYTER_DATA_DIR: path.join(jupyterDir, 'data'),
        JUPYTER_RUNTIME_DIR: path.join(jupyterDir, 'runtime'),
      },
    },
  );
  const keep = (b: Buffer) => (log = (log + b.toString()).slice(-20_000));
  server.stdout!.on('data', keep);
  server.stderr!.on('data', keep);
  const { chromium } = await import('playwright-core');
  let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;
  try {
    for (;;) {
      if (server.exitCode !== null) assert.fail(`the notebook server exited (${server.exitCode}):\n${log}`);
      if (Date.now() - t0 > 30_000) assert.fail(`the notebook server did not answer within 30 s:\n${log}`);
      const ok = await fetch(`${base}/api/status`, { headers: { Authorization: `token ${token}` } }).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    mark('server up');
    // new notebooks of `npm run notebook` start on the project's kernel
    const specs = (await (await fetch(`${base}/api/kernelspecs`, { headers: { Authorization: `token ${token}` } })).json()) as { default: string };
    assert.equal(specs.default, 'divergence-triangle');

    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_FLAGS, headless: true });
    const page = await browser.newPage();
    const rel = path.relative(ROOT, nbPath).split(path.sep).map(encodeURIComponent).join('/');
    await page.goto(`${base}/notebooks/${rel}?token=${token}`);
    await page.waitForFunction(() => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const k = (globalThis as any).Jupyter?.notebook?.kernel;
      // connected, and its kernel_info_reply in (tslab's carries no status field)
      return Boolean(k && k.is_connected() && k.info_reply && k.info_reply.language_info);
    }, null, { timeout: 30_000 }).catch((e: Error) => assert.fail(`the kernel did not start: ${e.message.split('\n')[0]}\n${log}`));
    assert.equal(await page.evaluate(() => (globalThis as any).Jupyter.notebook.kernel.name), 'divergence-triangle'); // eslint-disable-line @typescript-eslint/no-explicit-any
    mark('kernel connected');

    // run the cell as a person would: click into it, Shift+Enter
    await page.locator('.code_cell .input_area').first().click();
    await page.keyboard.press('Shift+Enter');
    const outputs = page.locator('.code_cell').first().locator('.output_area');
    const drawn = page.locator('.code_cell .output_area .dtri-figure .plot-container');
    await Promise.race([
      drawn.first().waitFor({ timeout: 60_000 }),
      page.locator('.code_cell .output_error').first().waitFor({ timeout: 60_000 }),
    ]).catch(() => undefined);
    const text = (await outputs.allInnerTexts()).join('\n');
    assert.equal(await page.locator('.code_cell .output_error').count(), 0, `the cell failed:\n${text}`);
    assert.equal(await drawn.count(), 1, `no interactive plot in the output (static image kept: ${await page.locator('.dtri-figure img.dtri-static').count()}):\n${text}`);
    mark('figure drawn');

    // this clone's library ran, and plotly drew the trace (one scatter trace with its 4 points), not just the frame
    assert.match(text, new RegExp(`library at ${ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
    assert.equal(await page.locator('.dtri-figure .scatterlayer .trace').count(), 1);
    assert.equal(await page.locator('.dtri-figure .scatterlayer .trace .point').count(), 4);
    assert.equal(await page.locator('.dtri-figure .gtitle').textContent(), 'browser test');

    // shut the kernel down through the server, as the notebook's Close and Halt does
    const sessions = (await (await fetch(`${base}/api/sessions`, { headers: { Authorization: `token ${token}` } })).json()) as { id: string }[];
    for (const s of sessions) await fetch(`${base}/api/sessions/${s.id}`, { method: 'DELETE', headers: { Authorization: `token ${token}` } });
  } finally {
    await browser?.close();
    await stop(server);
    fs.rmSync(nbDir, { recursive: true, force: true });
    fs.rmSync(jupyterDir, { recursive: true, force: true });
    try {
      fs.rmdirSync(path.join(ROOT, 'tmp'));
    } catch {
      // not empty: something else uses <root>/tmp
    }
  }
  mark('server stopped');
});
