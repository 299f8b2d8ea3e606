#!/usr/bin/env bash
# Builds the native oneDNN engine (lib/backend/native -> build/Release/dtri_native.node) with node-gyp.
# Called by environment/setup.sh step 3. Never fails the set-up: when something is missing it says
# what in one line and exits 0, and backend selection falls back to wasm. Skips the build when the
# .node file is newer than every source (idempotent set-up).
set -uo pipefail
cd "$(dirname "$0")/.."
say() { printf 'setup: %s\n' "$*"; }

DIR=lib/backend/native
OUT=$DIR/build/Release/dtri_native.node
LOG=${TMPDIR:-/tmp}/dtri-native-build.log

skip() {
  say "native engine not built: $* — backend selection falls back to wasm"
  exit 0
}

# --- what the build needs ------------------------------------------------------------------------
command -v g++ >/dev/null || skip "g++ missing (apt-get install g++)"
command -v make >/dev/null || skip "make missing (apt-get install make)"
command -v python3 >/dev/null || skip "python3 missing (node-gyp needs it)"
[ -f /usr/include/oneapi/dnnl/dnnl.hpp ] || skip "libdnnl-dev missing (apt-get install libdnnl-dev)"
{ [ -e /usr/lib/x86_64-linux-gnu/libdnnl.so ] || ldconfig -p 2>/dev/null | grep -q 'libdnnl\.so '; } \
  || skip "libdnnl.so missing (apt-get install libdnnl-dev)"
echo '#include <omp.h>' | g++ -fopenmp -x c++ -fsyntax-only - 2>/dev/null || skip "OpenMP headers missing (apt-get install libgomp1 g++)"
[ -d node_modules/node-addon-api ] || skip "node_modules/node-addon-api missing (npm ci)"

# Node's headers: npm's nodedir when set (Debian: /usr), else the running node's prefix.
nodedir=$(npm config get nodedir 2>/dev/null | grep -v '^npm warn' | tail -n1)
case "$nodedir" in undefined|null|'') nodedir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")") ;; esac
[ -f "$nodedir/include/node/node_api.h" ] || skip "Node headers missing under $nodedir/include/node (apt-get install libnode-dev or set npm nodedir)"

gyp=""
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
for c in "$npm_dir/node_modules/node-gyp/bin/node-gyp.js" node_modules/node-gyp/bin/node-gyp.js; do
  [ -f "$c" ] && { gyp=$c; break; }
done
[ -n "$gyp" ] || skip "node-gyp not found (it ships with npm)"

# --- up to date? ---------------------------------------------------------------------------------
if [ -f "$OUT" ]; then
  newer=$(find "$DIR/binding.gyp" "$DIR/src" environment/build-native.sh -newer "$OUT" -print -quit 2>/dev/null)
  if [ -z "$newer" ]; then
    say "native engine up to date ($OUT)"
    exit 0
  fi
fi

# --- build ---------------------------------------------------------------------------------------
say "building the native engine (oneDNN $(grep -oP 'DNNL_VERSION_(MAJOR|MINOR|PATCH) \K[0-9]+' \
  /usr/include/oneapi/dnnl/dnnl_version.h 2>/dev/null | paste -sd.)) with node-gyp"
rm -f "$OUT"
if (cd "$DIR" && node "$gyp" rebuild --nodedir="$nodedir" -j "$(nproc 2>/dev/null || echo 2)") >"$LOG" 2>&1 \
  && [ -f "$OUT" ] && node -e "require('./$OUT')" >>"$LOG" 2>&1; then
  say "native engine built ($OUT)"
else
  rm -f "$OUT"
  say "native engine build failed (log: $LOG) — backend selection falls back to wasm"
fi
exit 0
