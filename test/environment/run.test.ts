/**
 * environment/run.js, the npm scripts' entry point: user mistakes get one line naming the fix and exit 2,
 * never a stack trace. (Its happy paths are npm test itself and the committed notebooks.)
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const RUN = path.join(__dirname, '..', '..', 'environment', 'run.js');

function runJs(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', env: { ...process.env, DTRI_SKIP_SETUP: '1' } });
  return { status: r.status, stderr: r.stderr };
}

test('run.js: an unknown command lists the commands', () => {
  const r = runJs('frobnicate');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^usage: node environment\/run\.js start\|test\|bench\|notebook\|execute \(got "frobnicate"\)\n$/);
});

test('run.js execute: no notebook named, or none matching, lists the notebooks', () => {
  for (const args of [['execute'], ['execute', 'no-such-notebook']]) {
    const r = runJs(...args);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^name the notebooks to execute, e\.g\. npm run execute -- 04 --preset cpu \(notebooks: 00-toy-triangle\.ipynb, .*\)\n$/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  }
});

test('run.js execute: a preset other than quick, cpu or paper is refused before anything runs', () => {
  const r = runJs('execute', '04', '--preset', 'big');
  assert.equal(r.status, 2);
  assert.equal(r.stderr, '--preset must be quick, cpu or paper (got "big")\n');
});

test('run.js notebook: the server serves the project root (plotly.js under /files/node_modules), opens on notebooks/, new notebooks on the project\'s kernel, --allow-root only as root', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { notebookServerArgs } = require(RUN) as { notebookServerArgs(uid?: number): string[] };
  const root = path.resolve(__dirname, '..', '..');
  assert.deepEqual(notebookServerArgs(0), [
    '--no-browser', '--ip=127.0.0.1', `--notebook-dir=${root}`, '--NotebookApp.default_url=/tree/notebooks',
    '--MappingKernelManager.default_kernel_name=divergence-triangle', '--allow-root',
  ]);
  assert.ok(!notebookServerArgs(1000).includes('--allow-root'));
});

test('run.js execute / test --notebooks: a clone whose kernel is not registered is refused with one line naming npm run setup', (t) => {
  // a fake clone (run.js and kernel.js copied): its dtri-… kernel cannot be registered on this machine
  const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-run-test-'));
  t.after(() => fs.rmSync(fake, { recursive: true, force: true }));
  fs.mkdirSync(path.join(fake, 'environment'));
  fs.mkdirSync(path.join(fake, 'notebooks'));
  for (const f of ['run.js', 'kernel.js']) fs.copyFileSync(path.join(path.dirname(RUN), f), path.join(fake, 'environment', f));
  fs.writeFileSync(path.join(fake, 'notebooks', '04-fake.ipynb'), '{}');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const name = (require('../../environment/kernel.js') as { cloneKernelName(root: string): string }).cloneKernelName(fake);
  const line = `the Jupyter kernel ${name} is not registered (or is stale): run npm run setup\n`;
  const env = { ...process.env, DTRI_SKIP_SETUP: '1' };

  const exec = spawnSync(process.execPath, [path.join(fake, 'environment', 'run.js'), 'execute', '04'], { encoding: 'utf8', env });
  assert.equal(exec.status, 2);
  assert.equal(exec.stderr, line);
  assert.doesNotMatch(exec.stdout, /executing/);

  const nbs = spawnSync(process.execPath, [path.join(fake, 'environment', 'run.js'), 'test', '--notebooks'], { encoding: 'utf8', env });
  assert.equal(nbs.status, 1);
  assert.match(nbs.stdout, new RegExp(`\\n${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\nnpm test: FAILED\\n$`));
});
