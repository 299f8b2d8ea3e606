/** environment/kernel.js: per-clone kernel names and the clone-independent notebook kernel's launcher. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const kernel = require('../../environment/kernel.js') as {
  NOTEBOOK_KERNEL: string;
  cloneKernelName(root?: string): string;
  kernelSpecs(root?: string): Record<string, { argv: string[]; display_name: string; language: string }>;
};

test('cloneKernelName: stable for one path, different for two clones', () => {
  assert.match(kernel.cloneKernelName('/a/clone'), /^dtri-[0-9a-f]{8}$/);
  assert.equal(kernel.cloneKernelName('/a/clone'), kernel.cloneKernelName('/a/clone/'));
  assert.notEqual(kernel.cloneKernelName('/a/clone'), kernel.cloneKernelName('/b/clone'));
});

test('kernelSpecs: the notebook kernel is the same spec from every clone; the clone kernel runs that clone\'s tslab', () => {
  const a = kernel.kernelSpecs('/a/clone');
  const b = kernel.kernelSpecs('/b/clone');
  assert.deepEqual(a[kernel.NOTEBOOK_KERNEL], b[kernel.NOTEBOOK_KERNEL], 'registering it from another clone changes nothing');
  assert.deepEqual(a[kernel.cloneKernelName('/a/clone')].argv, ['/a/clone/node_modules/.bin/tslab', 'kernel', '--config-path', '{connection_file}']);
  assert.equal(a[kernel.cloneKernelName('/a/clone')].display_name, 'divergence-triangle (TypeScript) /a/clone');
});

test('the notebook kernel starts the tslab of the clone holding the notebook, and says so where there is none', (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-kernel-test-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  for (const clone of ['one', 'two']) {
    const bin = path.join(tmp, clone, 'node_modules', '.bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.mkdirSync(path.join(tmp, clone, 'notebooks', 'sub'), { recursive: true });
    fs.mkdirSync(path.join(tmp, clone, 'node_modules', 'divergence-triangle'));
    fs.writeFileSync(path.join(tmp, clone, 'node_modules', 'divergence-triangle', 'package.json'), '{}');
    fs.writeFileSync(path.join(bin, 'tslab'), `#!/bin/sh\necho "${clone} $*"\n`, { mode: 0o755 });
  }
  // a node_modules/.bin/tslab without the project's self-link (another project above) is passed over
  fs.mkdirSync(path.join(tmp, 'two', 'notebooks', 'sub', 'node_modules', '.bin'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'two', 'notebooks', 'sub', 'node_modules', '.bin', 'tslab'), '#!/bin/sh\necho wrong\n', { mode: 0o755 });

  const argv = kernel.kernelSpecs()[kernel.NOTEBOOK_KERNEL].argv.map((a) => a.replace('{connection_file}', '/run/k.json'));
  const launch = (cwd: string) => spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8' });
  assert.equal(launch(path.join(tmp, 'one', 'notebooks')).stdout, 'one kernel --config-path /run/k.json\n');
  assert.equal(launch(path.join(tmp, 'two', 'notebooks', 'sub')).stdout, 'two kernel --config-path /run/k.json\n');
  const none = launch(tmp);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /^divergence-triangle kernel: no set-up clone of divergence-triangle above .*; run npm run setup in the clone\n$/);
});
