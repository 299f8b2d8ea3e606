/**
 * Backend selection: the fastest TensorFlow.js backend that loads on this machine, with a record of
 * why each faster one was skipped.
 *
 * Order tried by `prefer: 'auto'`: tfjs-node-gpu, tfjs-node (optional npm dependencies; their
 * install script downloads libtensorflow, which fails offline), the native oneDNN engine
 * (`./native`, built by `npm run setup`), wasm (XNNPACK, SIMD, single-threaded under Node, with the
 * training kernels of ./wasm-kernels registered), and the pure-JS cpu backend.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { registerWasmTrainingKernels } from './wasm-kernels';

export type BackendName = 'node-gpu' | 'node' | 'native' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export const BACKEND_ORDER: readonly BackendName[] = ['node-gpu', 'node', 'native', 'wasm', 'cpu'];

/**
 * tfjs's cpu backend prints "Hi, looks like you are running TensorFlow.js in Node.js … install our node
 * backend" on its first tensor (its `firstUse` flag), in every notebook and CLI run, even when a faster
 * backend is active; initBackend reports what was chosen and why instead. Cleared on the instance that
 * exists and on every one the registry creates later.
 */
function silenceCpuBanner(): void {
  type Cpu = { firstUse?: boolean };
  const entry = tf.engine().registryFactory.cpu as { factory: () => unknown } | undefined;
  if (!entry || (entry.factory as { dtriQuiet?: boolean }).dtriQuiet) return;
  const make = entry.factory;
  const quiet = () => {
    const b = make() as Cpu;
    if (b && typeof b === 'object' && 'firstUse' in b) b.firstUse = false;
    return b;
  };
  (quiet as { dtriQuiet?: boolean }).dtriQuiet = true;
  entry.factory = quiet;
  const live = (tf.engine().registry as Record<string, Cpu | undefined>).cpu;
  if (live && 'firstUse' in live) live.firstUse = false;
}
silenceCpuBanner();

export interface BackendReport {
  /** The backend now active in tf. */
  name: BackendName;
  /** One line per backend tried before it, with why it was skipped. */
  skipped: { name: BackendName; reason: string }[];
  /** The name tf knows the backend by (`tf.getBackend()`): 'tensorflow' for node and node-gpu. */
  tfName: string;
  /** One line for notebooks, e.g. "backend: wasm (skipped node-gpu: not installed; ...)". */
  describe: string;
  /** wasm only: SIMD and thread count actually in use. */
  wasm?: { simd: boolean; threads: number };
}

/** The tf registry name of each of our backends. */
export function tfBackendName(name: BackendName): string {
  switch (name) {
    case 'node-gpu':
    case 'node':
      return 'tensorflow';
    case 'native':
    case 'wasm':
    case 'cpu':
      return name;
    default: {
      const never: never = name;
      throw new Error(`unknown backend ${String(never)}`);
    }
  }
}

type LoadResult = { ok: true } | { ok: false; reason: string };

/** Loads (registers and initializes) one backend without necessarily keeping it active. Memoized. */
const loaded = new Map<BackendName, Promise<LoadResult>>();

export function loadBackend(name: BackendName): Promise<LoadResult> {
  let p = loaded.get(name);
  if (!p) {
    p = load(name).catch((e: unknown) => ({ ok: false as const, reason: oneLine(e) }));
    loaded.set(name, p);
  }
  return p;
}

async function load(name: BackendName): Promise<LoadResult> {
  switch (name) {
    case 'node-gpu':
      return loadTfjsNode('@tensorflow/tfjs-node-gpu');
    case 'node':
      return loadTfjsNode('@tensorflow/tfjs-node');
    case 'native':
      return loadNative();
    case 'wasm':
      return loadWasm();
    case 'cpu':
      return (await initializeTf('cpu')) ? { ok: true } : { ok: false, reason: 'failed to initialize' };
    default: {
      const never: never = name;
      throw new Error(`unknown backend ${String(never)}`);
    }
  }
}

/** Initializes a registered tf backend without changing the active one. */
async function initializeTf(tfName: string): Promise<boolean> {
  if (!tf.engine().registryFactory[tfName]) return false;
  if (tf.findBackend(tfName)) return true;
  const prev = tf.getBackend();
  const ok = await tf.setBackend(tfName);
  if (prev && prev !== tfName) await tf.setBackend(prev);
  return ok;
}

async function loadTfjsNode(pkg: string): Promise<LoadResult> {
  try {
    require.resolve(pkg);
  } catch {
    return { ok: false, reason: 'not installed' };
  }
  try {
    require(pkg);
  } catch (e) {
    return { ok: false, reason: `installed but fails to load: ${oneLine(e)}` };
  }
  return (await initializeTf('tensorflow')) ? { ok: true } : { ok: false, reason: 'failed to initialize' };
}

async function loadNative(): Promise<LoadResult> {
  let mod: { loadNativeBackend?: () => LoadResult };
  try {
    // The native engine is another module of this library; absent until its engineer lands it.
    mod = require('./native');
  } catch (e) {
    const code = (e as { code?: string }).code;
    return { ok: false, reason: code === 'MODULE_NOT_FOUND' ? 'module lib/backend/native not present' : oneLine(e) };
  }
  if (typeof mod.loadNativeBackend !== 'function') return { ok: false, reason: 'native module has no loadNativeBackend()' };
  const r = mod.loadNativeBackend();
  if (!r.ok) return r;
  return (await initializeTf('native')) ? { ok: true } : { ok: false, reason: 'registered but failed to initialize' };
}

/** Directory holding tfjs-backend-wasm's .wasm binaries, so Node loads them from disk (offline). */
export function wasmBinaryDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + path.sep;
}

async function loadWasm(): Promise<LoadResult> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const wasm: typeof import('@tensorflow/tfjs-backend-wasm') = require('@tensorflow/tfjs-backend-wasm');
  if (!tf.findBackend('wasm')) wasm.setWasmPaths(wasmBinaryDir());
  if (!(await initializeTf('wasm'))) return { ok: false, reason: 'failed to initialize' };
  registerWasmTrainingKernels();
  return { ok: true };
}

/** The last report and the preference it answered. */
let current: { prefer: BackendPreference; report: BackendReport } | null = null;

/**
 * Makes the preferred backend active and returns what was chosen and why the others were not.
 * `DTRI_BACKEND` (same values as `prefer`) overrides `prefer`. An explicit preference that cannot
 * load throws a UserError; 'auto' falls through the order above. Calling it again with the same
 * preference (while that backend is still active) returns the same report and registers nothing anew.
 */
export async function initBackend(opts: { prefer?: BackendPreference } = {}): Promise<BackendReport> {
  const prefer = parsePreference(process.env.DTRI_BACKEND || opts.prefer || 'auto');
  if (current && current.prefer === prefer && tf.getBackend() === current.report.tfName) return current.report;

  const candidates = prefer === 'auto' ? BACKEND_ORDER : [prefer];
  const skipped: BackendReport['skipped'] = [];
  for (const name of candidates) {
    const r = await loadBackend(name);
    if (!r.ok) {
      skipped.push({ name, reason: r.reason });
      continue;
    }
    await tf.setBackend(tfBackendName(name));
    await tf.ready();
    current = { prefer, report: makeReport(name, skipped) };
    return current.report;
  }
  if (prefer !== 'auto') {
    throw new UserError(`backend '${prefer}' cannot load (${skipped[0]?.reason ?? 'unknown'}): ${fixFor(prefer)}`);
  }
  throw new Error(`no TensorFlow.js backend loads: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

function makeReport(name: BackendName, skipped: BackendReport['skipped']): BackendReport {
  const report: BackendReport = { name, skipped, tfName: tfBackendName(name), describe: '' };
  if (name === 'wasm') {
    const simd = Boolean(tf.env().get('WASM_HAS_SIMD_SUPPORT'));
    const wasm: typeof import('@tensorflow/tfjs-backend-wasm') = require('@tensorflow/tfjs-backend-wasm');
    report.wasm = { simd, threads: wasm.getThreadsCount() };
  }
  const extra = report.wasm ? `, SIMD ${report.wasm.simd ? 'on' : 'off'}, ${report.wasm.threads} thread${report.wasm.threads === 1 ? '' : 's'}` : '';
  const skips = skipped.length ? ` (skipped ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : '';
  report.describe = `backend: ${name}${extra}${skips}`;
  return report;
}

function fixFor(name: BackendName): string {
  switch (name) {
    case 'node-gpu':
      return 'install @tensorflow/tfjs-node-gpu (needs CUDA 11.2, cuDNN 8.1 and network access to download libtensorflow) or use --backend auto';
    case 'node':
      return 'install @tensorflow/tfjs-node (its install downloads libtensorflow, which needs network access) or use --backend auto';
    case 'native':
      return 'install the Debian package libdnnl-dev and run `npm run setup` to build the native engine, or use --backend wasm';
    case 'wasm':
      return 'reinstall @tensorflow/tfjs-backend-wasm (`npm ci`) or use --backend cpu';
    case 'cpu':
      return 'reinstall @tensorflow/tfjs (`npm ci`)';
    default: {
      const never: never = name;
      return String(never);
    }
  }
}

function parsePreference(v: string): BackendPreference {
  if (v === 'auto' || (BACKEND_ORDER as readonly string[]).includes(v)) return v as BackendPreference;
  throw new UserError(`unknown backend '${v}' (from DTRI_BACKEND or --backend): use one of auto, ${BACKEND_ORDER.join(', ')}`);
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : typeof e === 'object' && e && 'message' in e ? String((e as { message: unknown }).message) : String(e);
  return msg.split('\n')[0];
}

/** The backends of BACKEND_ORDER that load here, fastest first (loading them all; the active one is unchanged). */
export async function availableBackends(): Promise<BackendName[]> {
  const out: BackendName[] = [];
  for (const name of BACKEND_ORDER) if ((await loadBackend(name)).ok) out.push(name);
  return out;
}

/**
 * Runs `fn` with `name` as the active backend and restores the previous one afterwards (for tests
 * and benchmarks comparing backends). Tensors created inside live on that backend; read them out
 * (`dataSync`/`arraySync`) or dispose them before returning.
 */
export async function withBackend<T>(name: BackendName, fn: () => T | Promise<T>): Promise<T> {
  const r = await loadBackend(name);
  if (!r.ok) throw new UserError(`backend '${name}' cannot load (${r.reason}): ${fixFor(name)}`);
  const prev = tf.getBackend();
  await tf.setBackend(tfBackendName(name));
  try {
    return await fn();
  } finally {
    if (prev && prev !== tf.getBackend()) await tf.setBackend(prev);
  }
}

export { registerWasmTrainingKernels, setWasmConvStrategy, WASM_TRAINING_KERNELS } from './wasm-kernels';
export type { WasmConvStrategy } from './wasm-kernels';
