#!/usr/bin/env node
// The Jupyter kernels of this project (plain Node, no dependencies; used by setup.sh and run.js).
//
// Two specs, so that no clone can silently run another clone's library:
//  - "divergence-triangle", the name in every notebook's metadata: its argv is a tiny sh launcher that
//    starts the tslab of the clone holding the notebook (walking up from the kernel's folder, which Jupyter
//    sets to the notebook's) — identical for every clone, so whichever clone registers it last changes nothing;
//  - "dtri-<8 hex of sha256(clone path)>", this clone's own tslab by absolute path, for the headless runs
//    (npm test, npm run execute) and new notebooks of `npm run notebook`.
//   node environment/kernel.js install   registers both (idempotent; says what it did)
//   node environment/kernel.js name      prints this clone's kernel name
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const JUPYTER_PY = '/usr/bin/python3';
/** The kernelspec name committed notebooks carry. */
const NOTEBOOK_KERNEL = 'divergence-triangle';

/** This clone's kernel name: stable for a path, different for two clones. */
function cloneKernelName(root = ROOT) {
  return 'dtri-' + crypto.createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 8);
}

// $1 is the connection file; the kernel runs in the notebook's folder (Notebook 6, nbconvert)
const LAUNCHER =
  'd=$(pwd -P); while :; do ' +
  'if [ -x "$d/node_modules/.bin/tslab" ] && [ -e "$d/node_modules/divergence-triangle/package.json" ]; then ' +
  'exec "$d/node_modules/.bin/tslab" kernel --config-path "$1"; fi; ' +
  '[ "$d" = / ] && break; d=$(dirname "$d"); done; ' +
  'echo "divergence-triangle kernel: no set-up clone of divergence-triangle above $(pwd) (node_modules/.bin/tslab); run npm run setup in the clone" >&2; exit 1';

/** The kernel.json of each spec, by name. */
function kernelSpecs(root = ROOT) {
  return {
    [NOTEBOOK_KERNEL]: {
      argv: ['/bin/sh', '-c', LAUNCHER, 'divergence-triangle-kernel', '{connection_file}'],
      display_name: 'divergence-triangle (TypeScript)',
      language: 'typescript',
    },
    [cloneKernelName(root)]: {
      argv: [path.join(path.resolve(root), 'node_modules/.bin/tslab'), 'kernel', '--config-path', '{connection_file}'],
      display_name: `divergence-triangle (TypeScript) ${path.resolve(root)}`,
      language: 'typescript',
    },
  };
}

function python(code, args = []) {
  const r = spawnSync(JUPYTER_PY, ['-c', code, ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return r;
}

/** The registered kernel.json of `name`, or null. */
function registeredSpec(name) {
  const r = python(
    'import json,sys\nfrom jupyter_client.kernelspec import KernelSpecManager as K\n' +
      'try: s=K().get_kernel_spec(sys.argv[1]); print(json.dumps({"argv":s.argv,"display_name":s.display_name,"language":s.language}))\n' +
      'except Exception: print("null")',
    [name],
  );
  return r.status === 0 ? JSON.parse(r.stdout.trim() || 'null') : null;
}

/** Registers each spec that is missing or differs (per user unless root, as tslab install does). */
function install(root = ROOT, log = (s) => console.log(`setup: ${s}`)) {
  const tslab = path.join(root, 'node_modules/.bin/tslab');
  if (!fs.existsSync(tslab)) {
    log(`no ${path.relative(root, tslab)}; run npm ci first`);
    return false;
  }
  let ok = true;
  for (const [name, spec] of Object.entries(kernelSpecs(root))) {
    if (JSON.stringify(registeredSpec(name)) === JSON.stringify(spec)) {
      log(`Jupyter kernel ${name} registered ("${spec.display_name}")`);
      continue;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-kernel-'));
    fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(spec, null, 1) + '\n');
    const r = python(
      'import os,sys\nfrom jupyter_client.kernelspec import KernelSpecManager as K\n' +
        'print(K().install_kernel_spec(sys.argv[1], kernel_name=sys.argv[2], user=os.geteuid()!=0, replace=True))',
      [dir, name],
    );
    fs.rmSync(dir, { recursive: true, force: true });
    if (r.status === 0) log(`registered Jupyter kernel ${name} ("${spec.display_name}") in ${r.stdout.trim()}`);
    else {
      ok = false;
      log(`registering Jupyter kernel ${name} failed: ${(r.stderr || '').trim().split('\n').pop()}`);
    }
  }
  return ok;
}

module.exports = { NOTEBOOK_KERNEL, cloneKernelName, kernelSpecs, registeredSpec, install };

if (require.main === module) {
  const cmd = process.argv[2];
  if (cmd === 'name') console.log(cloneKernelName());
  else if (cmd === 'install') process.exit(install() ? 0 : 1);
  else {
    console.error(`usage: node environment/kernel.js install|name (got "${cmd ?? ''}")`);
    process.exit(2);
  }
}
