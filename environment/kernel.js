#!/usr/bin/env node
// The project's Jupyter kernels (plain Node, no dependencies: setup.sh and run.js use it before npm ci).
//
// One shared `tslab` spec points at whichever clone registered it last, so two clones on one machine
// silently run each other's library. Instead:
//  - "divergence-triangle", the kernel every notebook names: a small sh launcher (launch.sh, in the spec's
//    folder) that starts the tslab of the clone holding the notebook. Jupyter starts a kernel in the
//    notebook's folder, so the launcher walks up from there to the package.json of divergence-triangle.
//    The spec is the same from every clone: whichever clone registers it last changes nothing.
//  - "dtri-<8 hex of sha256(clone path)>", this clone's tslab by absolute path, for the headless runs
//    (npm test, npm run execute), which must not depend on where a copy of the notebook lies.
//
//   node environment/kernel.js install   registers both where missing or stale (idempotent; says what it did)
//   node environment/kernel.js name      prints this clone's kernel name
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
/** Debian's Python, the one with Jupyter (the pyenv python3 on PATH has none). */
const JUPYTER_PY = '/usr/bin/python3';
/** The kernelspec name the notebooks carry. */
const NOTEBOOK_KERNEL = 'divergence-triangle';
const DISPLAY_NAME = 'divergence-triangle (TypeScript)';

/** This clone's kernel name: the same for one path, different for two clones. */
function cloneKernelName(root = ROOT) {
  return 'dtri-' + crypto.createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 8);
}

// $1: the connection file. `pwd -P`, so a symlinked notebook folder finds the clone it really lies in.
// The name test is a grep, not a JSON parse: the launcher must run before node is known to be on PATH.
const LAUNCHER = `#!/bin/sh
# divergence-triangle's notebook kernel (environment/kernel.js): starts the tslab of the clone that holds
# the notebook. Jupyter starts a kernel in the notebook's folder; walk up to divergence-triangle's package.json.
d=$(pwd -P)
while :; do
  if [ -f "$d/package.json" ] && grep -q '"name": *"divergence-triangle"' "$d/package.json"; then
    if [ -x "$d/node_modules/.bin/tslab" ]; then
      exec "$d/node_modules/.bin/tslab" kernel --config-path "$1"
    fi
    echo "divergence-triangle kernel: $d has no node_modules/.bin/tslab; run npm run setup in $d" >&2
    exit 1
  fi
  [ "$d" = / ] && break
  d=$(dirname "$d")
done
echo "divergence-triangle kernel: $(pwd) is not inside a clone of divergence-triangle; open the notebook from a clone (npm run notebook)" >&2
exit 1
`;

/**
 * Each kernel's spec by name: `json` is its kernel.json, `files` the other files of its folder.
 * Only the clone kernel depends on `root`.
 */
function kernelSpecs(root = ROOT) {
  const abs = path.resolve(root);
  return {
    [NOTEBOOK_KERNEL]: {
      json: { argv: ['/bin/sh', '{resource_dir}/launch.sh', '{connection_file}'], display_name: DISPLAY_NAME, language: 'typescript' },
      files: { 'launch.sh': LAUNCHER },
    },
    [cloneKernelName(abs)]: {
      json: {
        argv: [path.join(abs, 'node_modules/.bin/tslab'), 'kernel', '--config-path', '{connection_file}'],
        display_name: `${DISPLAY_NAME} ${abs}`,
        language: 'typescript',
      },
      files: {},
    },
  };
}

/** What notebooks' metadata should say (slim-notebooks.js writes it). */
function notebookKernelspec() {
  return { display_name: DISPLAY_NAME, language: 'typescript', name: NOTEBOOK_KERNEL };
}

function python(code, args = []) {
  const r = spawnSync(JUPYTER_PY, ['-c', code, ...args], { encoding: 'utf8' });
  if (r.error) return { status: 1, stdout: '', stderr: String(r.error) };
  return r;
}

/** The folder of each named kernel Jupyter would start (null when none), in one Python call. */
function registeredDirs(names) {
  const r = python(
    'import json,sys\nfrom jupyter_client.kernelspec import KernelSpecManager\n' +
      'found=KernelSpecManager().find_kernel_specs()\nprint(json.dumps({n: found.get(n) for n in sys.argv[1:]}))',
    names,
  );
  if (r.status !== 0) return Object.fromEntries(names.map((n) => [n, null]));
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** Whether the kernel folder `dir` holds exactly `spec` (kernel.json by value, the other files byte for byte). */
function specMatches(dir, spec) {
  if (!dir) return false;
  try {
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'kernel.json'), 'utf8'));
    if (JSON.stringify(json) !== JSON.stringify(spec.json)) return false;
    return Object.entries(spec.files).every(([f, text]) => fs.readFileSync(path.join(dir, f), 'utf8') === text);
  } catch {
    return false;
  }
}

/** Writes a spec's folder under `parent` (what install registers; the browser test points JUPYTER_PATH at one). */
function writeSpec(parent, name, spec) {
  const dir = path.join(parent, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(spec.json, null, 1) + '\n');
  for (const [f, text] of Object.entries(spec.files)) fs.writeFileSync(path.join(dir, f), text, { mode: 0o755 });
  return dir;
}

/** Names of the kernels among `names` that are not registered as this clone would register them. */
function missingKernels(names, root = ROOT) {
  const specs = kernelSpecs(root);
  const dirs = registeredDirs(names);
  return names.filter((n) => !specMatches(dirs[n], specs[n]));
}

/** Null when the kernel `name` is registered as the set-up registers it, else one line naming the fix. */
function kernelProblem(name, root = ROOT) {
  return missingKernels([name], root).length ? `the Jupyter kernel ${name} is not registered (or is stale): run npm run setup` : null;
}

/** The kernel `name`, or kernelProblem's line and exit 2 (run.js calls it before starting Jupyter). */
function requireKernel(name, root = ROOT) {
  const problem = kernelProblem(name, root);
  if (problem) {
    console.error(problem);
    process.exit(2);
  }
  return name;
}

/** Whether `file` lies inside a clone of divergence-triangle (a package.json of that name above it). */
function insideClone(file) {
  for (let d = path.dirname(path.resolve(file)); ; d = path.dirname(d)) {
    try {
      if (JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')).name === 'divergence-triangle') return true;
    } catch {
      // no package.json here, or not ours
    }
    if (d === path.dirname(d)) return false;
  }
}

/**
 * Kernels left by earlier set-ups, among `found` (name → spec folder, as Jupyter lists them), with why:
 * the shared `tslab` / `jslab` specs the set-up once registered (they ran whichever clone registered last),
 * when they start a clone's tslab; and `dtri-<hash>` specs whose clone is gone. Other kernels are left alone.
 * @returns [{ name, dir, why }]
 */
function leftoverKernels(found) {
  const out = [];
  for (const [name, dir] of Object.entries(found)) {
    let program;
    try {
      program = JSON.parse(fs.readFileSync(path.join(dir, 'kernel.json'), 'utf8')).argv[0];
    } catch {
      continue;
    }
    if (typeof program !== 'string') continue;
    if ((name === 'tslab' || name === 'jslab') && insideClone(program)) {
      out.push({ name, dir, why: `the shared ${name} kernel of an earlier set-up (it ran ${path.resolve(program, '../../..')}, whichever clone registered last)` });
    } else if (/^dtri-[0-9a-f]{8}$/.test(name) && !fs.existsSync(program)) {
      out.push({ name, dir, why: `the kernel of a clone that is gone (${path.resolve(program, '../../..')})` });
    }
  }
  return out;
}

/** Removes leftoverKernels of every kernel Jupyter lists (where this user may), saying what it removed. */
function pruneKernels(log = (s) => console.log(`setup: ${s}`)) {
  const r = python('import json\nfrom jupyter_client.kernelspec import KernelSpecManager\nprint(json.dumps(KernelSpecManager().find_kernel_specs()))');
  if (r.status !== 0) return;
  for (const k of leftoverKernels(JSON.parse(r.stdout.trim().split('\n').pop()))) {
    try {
      fs.rmSync(k.dir, { recursive: true, force: true });
      log(`removed Jupyter kernel ${k.name}: ${k.why}`);
    } catch (e) {
      log(`could not remove Jupyter kernel ${k.name} in ${k.dir} (${e.code || e.message}): ${k.why}`);
    }
  }
}

/**
 * Registers each kernel of this clone that is missing or stale: system-wide as root (where tslab's own
 * install put it), per user otherwise, and per user where a per-user copy would shadow a system one.
 */
function install(root = ROOT, log = (s) => console.log(`setup: ${s}`)) {
  const tslab = path.join(root, 'node_modules/.bin/tslab');
  if (!fs.existsSync(tslab)) {
    log(`no ${path.relative(root, tslab)}; the Jupyter kernels need npm ci`);
    return false;
  }
  pruneKernels(log);
  const specs = kernelSpecs(root);
  const stale = missingKernels(Object.keys(specs), root);
  for (const name of Object.keys(specs)) if (!stale.includes(name)) log(`Jupyter kernel ${name} registered ("${specs[name].json.display_name}")`);
  if (stale.length === 0) return true;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-kernels-'));
  try {
    const args = stale.flatMap((n) => [n, writeSpec(tmp, n, specs[n])]);
    const r = python(
      'import os,sys\nfrom jupyter_client.kernelspec import KernelSpecManager\nfrom jupyter_core.paths import jupyter_data_dir\n' +
        'm=KernelSpecManager();found=m.find_kernel_specs();a=sys.argv[1:]\n' +
        'for name,src in zip(a[::2],a[1::2]):\n' +
        '  user=os.geteuid()!=0 or (found.get(name) or "").startswith(jupyter_data_dir())\n' +
        '  print(name, m.install_kernel_spec(src,kernel_name=name,user=user,replace=True))',
      args,
    );
    if (r.status !== 0) {
      log(`registering the Jupyter kernels ${stale.join(', ')} failed: ${(r.stderr || '').trim().split('\n').pop()}`);
      return false;
    }
    for (const line of r.stdout.trim().split('\n')) {
      const [name, dir] = line.split(' ');
      log(`registered Jupyter kernel ${name} ("${specs[name].json.display_name}") in ${dir}`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const still = missingKernels(stale, root);
  if (still.length) log(`Jupyter still starts another spec for ${still.join(', ')} (shadowed by an earlier folder of jupyter --paths)`);
  return still.length === 0;
}

module.exports = {
  NOTEBOOK_KERNEL,
  LAUNCHER,
  cloneKernelName,
  kernelSpecs,
  notebookKernelspec,
  writeSpec,
  missingKernels,
  leftoverKernels,
  pruneKernels,
  kernelProblem,
  requireKernel,
  install,
};

if (require.main === module) {
  const cmd = process.argv[2];
  if (cmd === 'name') console.log(cloneKernelName());
  else if (cmd === 'install') process.exit(install() ? 0 : 1);
  else {
    console.error(`usage: node environment/kernel.js install|name (got "${cmd ?? ''}")`);
    process.exit(2);
  }
}
