#!/usr/bin/env bash
# One idempotent set-up for a fresh Debian 12 machine with Node 20 (README "Quick start").
# Run twice, it changes nothing the second time; it says what it did or why it skipped.
#   1. system parts from Debian packages (Jupyter, offline datasets, oneDNN, Chromium, PyTorch for the bench)
#   2. npm ci (only when package-lock.json changed)
#   3. the native oneDNN engine (skipped with one line when the library or a compiler is missing)
#   4. the library build (tsc -> dist/) and the package's self-link for notebooks
#   5. the Jupyter kernels: the one the notebooks name (any clone's notebooks run that clone) and this clone's own
set -uo pipefail
cd "$(dirname "$0")/.."
say() { printf 'setup: %s\n' "$*"; }

# --- 1. Debian packages ------------------------------------------------------------------------
# jupyter-notebook, jupyter-nbconvert, python3-nbclient: run notebooks (Debian's /usr/bin/python3 has them)
# dataset-fashion-mnist: the full Fashion-MNIST, offline; python3-skimage, gimp-data: texture images
# libdnnl-dev: oneDNN for the native engine; chromium: static figure export
# python3-torch: the PyTorch column of `npm run bench`
APT_PKGS=(jupyter-notebook jupyter-nbconvert python3-nbclient dataset-fashion-mnist python3-skimage gimp-data
  libdnnl-dev chromium python3-torch)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  say "Debian packages present (${APT_PKGS[*]})"
elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  say "installing Debian packages: ${missing[*]}"
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ]; then
    apt-get update -q >/dev/null || say "apt-get update failed; trying the install anyway"
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/dtri-apt.log 2>&1; then
    apt-get update -q >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/dtri-apt.log 2>&1 \
      || say "apt-get install failed (log: /tmp/dtri-apt.log); carrying on with what is there"
  fi
else
  say "missing Debian packages; as root run: apt-get install -y ${missing[*]}  (carrying on with what is there)"
fi

# --- 2. npm ci -----------------------------------------------------------------------------------
stamp=node_modules/.dtri-lock-stamp
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ]; then
  say "node_modules up to date with package-lock.json"
else
  say "npm ci"
  npm ci --no-audit --no-fund 2>&1 | grep -v 'Unknown user config' || true
  [ -d node_modules/@tensorflow/tfjs ] || { say "npm ci failed"; exit 1; }
  echo "$lock_sum" >"$stamp"
fi

# --- 3. native engine ----------------------------------------------------------------------------
if [ -f environment/build-native.sh ]; then
  bash environment/build-native.sh
fi

# --- 4. library build and self-link --------------------------------------------------------------
say "building the library (tsc -> dist/)"
node_modules/.bin/tsc -p tsconfig.json || { say "library build failed"; exit 1; }
chmod +x dist/cli/main.js 2>/dev/null || true
# Notebooks import the compiled library by the package's name (tslab cannot compile ../lib/*.ts: TS6059).
if [ "$(readlink node_modules/divergence-triangle 2>/dev/null)" != ".." ]; then
  ln -sfn .. node_modules/divergence-triangle
  say "linked node_modules/divergence-triangle -> project root"
fi
mkdir -p node_modules/.bin
ln -sfn ../../dist/cli/main.js node_modules/.bin/dtri

# --- 5. Jupyter kernels ---------------------------------------------------------------------------
# "divergence-triangle" (the kernel every notebook names: starts the tslab of the clone holding the notebook,
# one spec for all clones) and "dtri-<hash of this clone's path>" (this clone's tslab, for npm test and
# npm run execute); environment/kernel.js. No shared `tslab` spec, which ran whichever clone registered last.
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import notebook, nbconvert' 2>/dev/null; then
  node environment/kernel.js install || say "Jupyter kernel registration failed; notebooks cannot run"
else
  say "Jupyter not found under /usr/bin/python3; notebooks cannot run (install jupyter-notebook jupyter-nbconvert python3-nbclient)"
fi
exit 0
