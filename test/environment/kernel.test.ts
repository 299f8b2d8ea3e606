/**
 * environment/kernel.js: the per-clone kernel's name and spec, the notebook kernel's spec (the same from every
 * clone), and its sh launcher picking the clone that holds the notebook (a fake tslab per fake clone; no Jupyter).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface Spec {
  json: { argv: string[]; display_name: string; language: string };
  files: Record<string, string>;
}
// eslint-disable-next-line @typescript-eslint/no-var-requires
const kernel = require('../../environment/kernel.js') as {
  NOTEBOOK_KERNEL: string;
  cloneKernelName(root?: string): string;
  kernelSpecs(root?: string): Record<string, Spec>;
  notebookKernelspec(): { display_name: string; language: string; name: string };
  writeSpec(parent: string, name: string, spec: Spec): string;
  leftoverKernels(found: Record<string, string>): { name: string; dir: string; why: string }[];
};

const ROOT = path.resolve(__dirname, '..', '..');

test('cloneKernelName: dtri-<8 hex>, the same for one path however written, different for two clones', () => {
  assert.match(kernel.cloneKernelName('/a/clone'), /^dtri-[0-9a-f]{8}$/);
  assert.equal(kernel.cloneKernelName('/a/clone'), kernel.cloneKernelName('/a/clone/'));
  assert.equal(kernel.cloneKernelName('/a/clone'), kernel.cloneKernelName('/a/x/../clone'));
  assert.notEqual(kernel.cloneKernelName('/a/clone'), kernel.cloneKernelName('/b/clone'));
  // the hash of the path as coreutils computes it
  assert.equal(kernel.cloneKernelName('/a/clone'), 'dtri-' + spawnSync('sh', ['-c', 'printf %s /a/clone | sha256sum'], { encoding: 'utf8' }).stdout.slice(0, 8));
});

test('kernelSpecs: the notebook kernel is one spec from every clone; the clone kernel runs that clone\'s tslab by absolute path', () => {
  const a = kernel.kernelSpecs('/a/clone');
  const b = kernel.kernelSpecs('/b/clone');
  assert.deepEqual(Object.keys(a), ['divergence-triangle', kernel.cloneKernelName('/a/clone')]);
  assert.deepEqual(a['divergence-triangle'], b['divergence-triangle'], 'registering it from another clone changes nothing');
  assert.deepEqual(a['divergence-triangle'].json, {
    argv: ['/bin/sh', '{resource_dir}/launch.sh', '{connection_file}'],
    display_name: 'divergence-triangle (TypeScript)',
    language: 'typescript',
  });
  assert.deepEqual(a[kernel.cloneKernelName('/a/clone')], {
    json: {
      argv: ['/a/clone/node_modules/.bin/tslab', 'kernel', '--config-path', '{connection_file}'],
      display_name: 'divergence-triangle (TypeScript) /a/clone',
      language: 'typescript',
    },
    files: {},
  });
  // what slim-notebooks.js writes into notebooks names the notebook kernel, with its display name
  assert.deepEqual(kernel.notebookKernelspec(), { display_name: 'divergence-triangle (TypeScript)', language: 'typescript', name: 'divergence-triangle' });
  // the launcher's own name test agrees with this project's package.json
  assert.equal(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).name, kernel.NOTEBOOK_KERNEL);
});

test('the notebook kernel\'s launcher starts the tslab of the clone holding the notebook, and says why where there is none', (t) => {
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-kernel-test-')));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const clone = (dir: string, name: string, withTslab = true) => {
    fs.mkdirSync(path.join(dir, 'notebooks', 'deep', 'er'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '0.1.0' }, null, 2));
    if (!withTslab) return;
    fs.mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
    // a fake tslab: prints where it lies and what it was given
    fs.writeFileSync(path.join(dir, 'node_modules', '.bin', 'tslab'), '#!/bin/sh\necho "$0 $*"\n', { mode: 0o755 });
  };
  const one = path.join(tmp, 'one');
  const two = path.join(tmp, 'two');
  clone(one, 'divergence-triangle');
  clone(two, 'divergence-triangle');
  // another project with its own tslab, inside clone two: passed over, the walk goes on up to two
  clone(path.join(two, 'notebooks', 'other'), 'some-other-project');
  // a clone not yet set up
  clone(path.join(tmp, 'bare'), 'divergence-triangle', false);
  fs.symlinkSync(path.join(one, 'notebooks'), path.join(tmp, 'link-to-one'));

  const specDir = kernel.writeSpec(path.join(tmp, 'kernels'), 'divergence-triangle', kernel.kernelSpecs(one)['divergence-triangle']);
  const argv = kernel.kernelSpecs(one)['divergence-triangle'].json.argv.map((a) =>
    a.replace('{resource_dir}', specDir).replace('{connection_file}', '/run/kernel-1.json'),
  );
  const launch = (cwd: string) => spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  const started = (dir: string) => `${dir}/node_modules/.bin/tslab kernel --config-path /run/kernel-1.json\n`;

  assert.equal(launch(path.join(one, 'notebooks')).stdout, started(one));
  assert.equal(launch(path.join(two, 'notebooks', 'deep', 'er')).stdout, started(two));
  assert.equal(launch(two).stdout, started(two));
  assert.equal(launch(path.join(two, 'notebooks', 'other', 'notebooks')).stdout, started(two));
  assert.equal(launch(path.join(tmp, 'link-to-one')).stdout, started(one), 'a symlinked notebook folder runs the clone it lies in');

  const bare = launch(path.join(tmp, 'bare', 'notebooks'));
  assert.equal(bare.status, 1);
  assert.equal(bare.stderr, `divergence-triangle kernel: ${tmp}/bare has no node_modules/.bin/tslab; run npm run setup in ${tmp}/bare\n`);
  const outside = launch(tmp);
  assert.equal(outside.status, 1);
  assert.equal(outside.stdout, '');
  assert.equal(outside.stderr, `divergence-triangle kernel: ${tmp} is not inside a clone of divergence-triangle; open the notebook from a clone (npm run notebook)\n`);
});

test('leftoverKernels: the old shared tslab spec of a clone and the kernels of removed clones go; other kernels stay', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-leftover-'));
  const clone = (name: string, pkg: string) => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: pkg }));
    fs.writeFileSync(path.join(dir, 'node_modules', '.bin', 'tslab'), '#!/bin/sh\n', { mode: 0o755 });
    return dir;
  };
  const ours = clone('ours', 'divergence-triangle');
  const other = clone('other', 'someone-else');
  const gone = path.join(tmp, 'gone');
  const spec = (name: string, program: string) =>
    kernel.writeSpec(path.join(tmp, 'kernels'), name, { json: { argv: [program, 'kernel'], display_name: name, language: 'typescript' }, files: {} });
  const tslab = (root: string) => path.join(root, 'node_modules', '.bin', 'tslab');
  const found = {
    tslab: spec('tslab', tslab(ours)),
    jslab: spec('jslab', tslab(other)),
    [kernel.cloneKernelName(gone)]: spec(kernel.cloneKernelName(gone), tslab(gone)),
    [kernel.cloneKernelName(ours)]: spec(kernel.cloneKernelName(ours), tslab(ours)),
    python3: spec('python3', '/usr/bin/python3'),
  };
  const left = kernel.leftoverKernels(found);
  assert.deepEqual(left.map((k) => k.name).sort(), ['tslab', kernel.cloneKernelName(gone)].sort());
  assert.match(left.find((k) => k.name === 'tslab')!.why, /shared tslab kernel of an earlier set-up/);
  assert.match(left.find((k) => k.name !== 'tslab')!.why, /clone that is gone/);
  assert.equal(left.find((k) => k.name === 'tslab')!.dir, found.tslab);
  fs.rmSync(tmp, { recursive: true, force: true });
});
