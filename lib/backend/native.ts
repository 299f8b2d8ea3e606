/**
 * The native CPU engine: a tfjs backend named 'native' that is the pure-JS cpu backend
 * (MathBackendCPU: same tensor storage, same kernels) with its heavy kernels replaced by native ones
 * from a Node-API addon (lib/backend/native/, built by environment/build-native.sh):
 *   - convolutions 2-D/3-D, their two gradients, matmul, with fused bias and activation: oneDNN
 *     primitives on tfjs's own layouts (nhwc / hwio), cached by shape; 2-D convolutions with few output
 *     pixels are lowered to a batch-wide im2col and one oneDNN matmul (src/conv.cc);
 *   - elementwise ops with broadcasting, reductions, batch norm, select, tile: OpenMP loops
 *     (src/elementwise.cc) — once the convolutions were fast, the cpu backend's JS versions of these
 *     took over 90% of a training iteration.
 *
 * The addon works in place on the cpu backend's Float32Arrays: inputs are read where they are, and
 * each output is written into a Float32Array allocated here (recycled from disposed outputs when
 * safe, see NativeBackendCPU) that becomes the output tensor's storage.
 *
 * A call the engine cannot serve (an unfused activation, int32 operands, a broadcast it does not
 * map, padding oneDNN rejects) runs the cpu backend's own kernel instead and is counted in
 * `nativeEngineStats().fallbacks`, so tests and the bench can tell.
 *
 * Threads: OpenMP with one thread per core, waiting passively (see loadNativeBackend). Signals are
 * blocked while oneDNN runs (src/addon.cc: oneDNN 2.6's JIT sgemm moves the stack pointer onto the
 * heap, so a signal such as a sampling profiler's corrupts memory).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { padCopyKernel, sliceCopyKernel } from './copy-kernels';

/** The addon's interface (lib/backend/native/src/*.cc). */
interface NativeAddon {
  conv(params: Int32Array, alpha: number, a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array): void;
  matmul(params: Int32Array, alpha: number, a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array): void;
  unary(op: number, alpha: number, x: Float32Array, out: Float32Array): void;
  binary(op: number, params: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array | Uint8Array): void;
  reduce(op: number, A: number, R: number, B: number, x: Float32Array, out: Float32Array): void;
  batchNorm(x: Float32Array, mean: Float32Array, variance: Float32Array, offset: Float32Array | null, scale: Float32Array | null, eps: number, out: Float32Array): void;
  select(condition: Uint8Array, t: Float32Array, e: Float32Array, out: Float32Array, rowSize: number): void;
  tile(params: Int32Array, x: Float32Array, out: Float32Array): void;
  setNumThreads(n: number): number;
  getNumThreads(): number;
  cacheStats(): { size: number; hits: number; misses: number; impls: [string, string][] };
  clearCache(): void;
  dnnlVersion(): string;
}

export type NativeLoadResult =
  | { ok: true; addonPath: string; threads: number; dnnlVersion: string }
  | { ok: false; reason: string };

export interface NativeLoadOptions {
  /** The .node file to load; default `$DTRI_NATIVE_ADDON` or lib/backend/native/build/Release/dtri_native.node. */
  addonPath?: string;
  /** OpenMP threads; default `$OMP_NUM_THREADS` if set, otherwise the number of cores. */
  threads?: number;
}

export interface NativeEngineStats {
  /** Cached oneDNN primitives, cache hits and misses since load (or the last clear). */
  cacheSize: number;
  cacheHits: number;
  cacheMisses: number;
  /** oneDNN implementation per cached primitive, e.g. ['m', 'brg:avx512_core'] (c conv, m matmul, a accumulating matmul). */
  impls: [string, string][];
  /** Calls per kernel that ran the cpu backend's kernel instead, and the last reason. */
  fallbacks: Record<string, { count: number; reason: string }>;
}

export const NATIVE_BACKEND_NAME = 'native';

/** Kernels the native engine implements (everything else is the cpu backend's). */
export const NATIVE_KERNEL_NAMES: readonly string[] = [
  // oneDNN convolutions and matmul
  tf.Conv2D, tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter, tf.FusedConv2D,
  tf.Conv3D, tf.Conv3DBackpropInputV2, tf.Conv3DBackpropFilterV2, tf.BatchMatMul, tf._FusedMatMul,
  // OpenMP loops (src/elementwise.cc)
  tf.Relu, tf.LeakyRelu, tf.Relu6, tf.Elu, tf.Sigmoid, tf.Tanh, tf.Softplus, tf.Exp, tf.Log, tf.Log1p,
  tf.Sqrt, tf.Rsqrt, tf.Square, tf.Neg, tf.Abs, tf.Step, tf.Reciprocal,
  tf.Add, tf.Sub, tf.Multiply, tf.RealDiv, tf.SquaredDifference, tf.Maximum, tf.Minimum,
  tf.Greater, tf.GreaterEqual, tf.Less, tf.LessEqual, tf.Equal, tf.NotEqual,
  tf.Sum, tf.Mean, tf.Max, tf.Min, tf.FusedBatchNorm, tf.Select, tf.Tile,
  // block copies (./copy-kernels.ts)
  tf.Slice, tf.PadV2,
];

let addon: NativeAddon | null = null;
let loaded: (NativeLoadResult & { ok: true }) | null = null;
const fallbacks: Record<string, { count: number; reason: string }> = {};

/** The directory holding package.json, found by walking up from this file (lib/ or dist/). */
function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(__dirname, '..', '..');
    dir = up;
  }
}

export function defaultNativeAddonPath(): string {
  return (
    process.env.DTRI_NATIVE_ADDON ||
    path.join(projectRoot(), 'lib', 'backend', 'native', 'build', 'Release', 'dtri_native.node')
  );
}

/** Why the addon file is absent, in one line a person can act on. */
function notBuiltReason(addonPath: string): string {
  const missing: string[] = [];
  if (!fs.existsSync('/usr/include/oneapi/dnnl/dnnl.hpp')) missing.push('libdnnl-dev missing (apt-get install libdnnl-dev)');
  if (!fs.existsSync('/usr/bin/g++') && !fs.existsSync('/usr/local/bin/g++')) missing.push('g++ missing (apt-get install g++)');
  const why = missing.length ? missing.join(', ') : `no addon at ${addonPath} (run bash environment/build-native.sh)`;
  return `native engine not built: ${why} — falling back`;
}

/**
 * Loads the addon and registers the 'native' backend (idempotent). Never throws: when the addon
 * is not built or does not load, returns `{ ok: false, reason }` with a one-line reason.
 */
export function loadNativeBackend(opts: NativeLoadOptions = {}): NativeLoadResult {
  const addonPath = path.resolve(opts.addonPath ?? defaultNativeAddonPath());
  if (loaded && loaded.addonPath === addonPath) return loaded;
  if (!fs.existsSync(addonPath)) return { ok: false, reason: notBuiltReason(addonPath) };
  if (loaded) {
    return { ok: false, reason: `native engine already loaded from ${loaded.addonPath}; cannot load a second addon` };
  }
  // OpenMP threads that spin at barriers are ruinous when the cores are shared (measured on a 2-core
  // machine at load 8: 2 threads spinning 1.6 GFLOP/s, sleeping at once 50 GFLOP/s, on one conv).
  // libgomp reads this when the addon pulls it in, so it must be set before the require.
  if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) {
    process.env.OMP_WAIT_POLICY = 'passive';
  }
  let mod: NativeAddon;
  try {
    mod = require(addonPath) as NativeAddon;
  } catch (e) {
    const first = String((e as Error).message ?? e).split('\n')[0];
    return { ok: false, reason: `native engine failed to load (${first}): rebuild with bash environment/build-native.sh — falling back` };
  }
  try {
    const threads = opts.threads ?? (process.env.OMP_NUM_THREADS ? undefined : os.availableParallelism());
    if (threads !== undefined) mod.setNumThreads(threads);
    addon = mod;
    registerNativeBackend();
    loaded = { ok: true, addonPath, threads: mod.getNumThreads(), dnnlVersion: mod.dnnlVersion() };
    return loaded;
  } catch (e) {
    addon = null;
    return { ok: false, reason: `native engine failed to register: ${String((e as Error).message ?? e).split('\n')[0]}` };
  }
}

/** Counters of the loaded engine (null when it is not loaded). */
export function nativeEngineStats(): NativeEngineStats | null {
  if (!addon) return null;
  const c = addon.cacheStats();
  return {
    cacheSize: c.size,
    cacheHits: c.hits,
    cacheMisses: c.misses,
    impls: c.impls,
    fallbacks: JSON.parse(JSON.stringify(fallbacks)) as NativeEngineStats['fallbacks'],
  };
}

/** Empties the primitive cache and the fallback counters. */
export function resetNativeEngineStats(): void {
  addon?.clearCache();
  for (const k of Object.keys(fallbacks)) delete fallbacks[k];
}

// ------------------------------------------------------------------------------------------------
// Registration

function registerNativeBackend(): void {
  if (!tf.findBackendFactory(NATIVE_BACKEND_NAME)) {
    // Priority 0: selection is explicit (lib/backend/index.ts), never tf's automatic pick.
    // A MathBackendCPU prints tfjs's "install our node backend" banner on its first tensor (`firstUse`):
    // this one is the fast backend, so it stays quiet (issue #19).
    tf.registerBackend(NATIVE_BACKEND_NAME, () => Object.assign(new NativeBackendCPU(), { firstUse: false }), 0);
  }
  const ours = nativeKernelFuncs();
  const registered = new Set(tf.getKernelsForBackend(NATIVE_BACKEND_NAME).map((k) => k.kernelName));
  for (const [kernelName, kernelFunc] of ours) {
    if (!registered.has(kernelName)) tf.registerKernel({ kernelName, backendName: NATIVE_BACKEND_NAME, kernelFunc });
  }
  // Everything else is the cpu backend's kernel, unchanged (same backend class, same storage).
  for (const config of tf.getKernelsForBackend('cpu')) {
    if (!ours.has(config.kernelName) && !registered.has(config.kernelName)) {
      tf.registerKernel({ ...config, backendName: NATIVE_BACKEND_NAME });
    }
  }
}

// ------------------------------------------------------------------------------------------------
// The backend: MathBackendCPU plus recycling of the output buffers of native kernels

/**
 * The cpu backend, storing tensors exactly as it does, plus a pool of the Float32Arrays that native
 * kernels allocated and that no tensor uses any more. A training iteration allocates hundreds of MB
 * of outputs; left to V8 they are freed only by garbage collections that the external-memory
 * pressure forces (measured: ~12 mark-compacts per iteration, 15% of its time), while the next
 * iteration asks for the same sizes again.
 *
 * A buffer is recycled only when it is certain that nothing can see it: it was allocated here (never
 * a user's array), every tensor whose values view it has been disposed (counted per ArrayBuffer, so
 * subarray views made by cpu kernels such as Slice count too), and it was never handed out by
 * readSync/read (dataSync() returns the backend's own array, which callers may keep).
 */
export class NativeBackendCPU extends MathBackendCPU {
  /**
   * Upper bound on pooled bytes. Beyond it the sizes requested least recently are dropped (left to the
   * garbage collector). A width-1 MNIST triangle iteration recycles ~1.4 GB: at 768 MB 86 of its
   * ~1170 allocations still missed, each a fresh zeroed buffer whose page faults cost ~25 ms per 32 MB.
   */
  static maxPoolBytes = 2 * 2 ** 30;
  /** Buffers allocated by native kernels → number of live tensors viewing them. */
  private readonly users = new WeakMap<ArrayBufferLike, number>();
  private readonly escaped = new WeakSet<ArrayBufferLike>();
  private readonly pool = new Map<number, Float32Array[]>();
  /** Per pooled length, the allocation clock when it was last asked for (eviction order). */
  private readonly lastAsked = new Map<number, number>();
  private clock = 0;
  private pooledBytes = 0;
  /** Allocations served from the pool and fresh, for the bench. */
  poolHits = 0;
  poolMisses = 0;

  /** A Float32Array of n elements with arbitrary contents, for an output the caller fills completely. */
  allocFloat32(n: number): Float32Array {
    this.lastAsked.set(n, ++this.clock);
    const a = this.pool.get(n)?.pop();
    let out: Float32Array;
    if (a) {
      this.pooledBytes -= a.byteLength;
      this.poolHits++;
      out = a;
    } else {
      this.poolMisses++;
      out = new Float32Array(n);
    }
    this.users.set(out.buffer, 0);
    return out;
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    const id = super.write(values, shape, dtype);
    this.retain(values);
    return id;
  }

  override move(dataId: tf.DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    super.move(dataId, values, shape, dtype, refCount);
    this.retain(values);
  }

  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    const v = super.readSync(dataId);
    if (ArrayBuffer.isView(v)) this.escaped.add(v.buffer);
    return v;
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const gone = super.disposeData(dataId, force);
    if (gone && values && ArrayBuffer.isView(values) && !this.data.has(dataId)) this.release(values.buffer);
    return gone;
  }

  /** Drops whole size classes, least recently asked for first (never `keep`), until `bytes` more fit. */
  private evict(bytes: number, keep: number): void {
    const order = [...this.pool.keys()].filter((n) => n !== keep).sort((a, b) => (this.lastAsked.get(a) ?? 0) - (this.lastAsked.get(b) ?? 0));
    for (const n of order) {
      if (this.pooledBytes + bytes <= NativeBackendCPU.maxPoolBytes) return;
      const list = this.pool.get(n)!;
      this.pooledBytes -= list.length * n * 4;
      this.pool.delete(n);
    }
  }

  /** Empties the pool (the garbage collector frees the buffers). */
  drainPool(): void {
    this.pool.clear();
    this.lastAsked.clear();
    this.pooledBytes = 0;
  }

  private retain(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const n = this.users.get(values.buffer);
    if (n !== undefined) this.users.set(values.buffer, n + 1);
  }

  private release(buf: ArrayBufferLike): void {
    const n = this.users.get(buf);
    if (n === undefined) return;
    if (n > 1) {
      this.users.set(buf, n - 1);
      return;
    }
    this.users.delete(buf);
    if (this.escaped.has(buf) || buf.byteLength > NativeBackendCPU.maxPoolBytes) return;
    const len = buf.byteLength / 4;
    if (this.pooledBytes + buf.byteLength > NativeBackendCPU.maxPoolBytes) this.evict(buf.byteLength, len);
    if (this.pooledBytes + buf.byteLength > NativeBackendCPU.maxPoolBytes) return;
    let list = this.pool.get(len);
    if (!list) this.pool.set(len, (list = []));
    list.push(new Float32Array(buf));
    this.pooledBytes += buf.byteLength;
  }
}

function allocF32(backend: Cpu, n: number): Float32Array {
  return backend instanceof NativeBackendCPU ? backend.allocFloat32(n) : new Float32Array(n);
}

// ------------------------------------------------------------------------------------------------
// Helpers shared by the kernels

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Cpu = MathBackendCPU;
/** A kernel's named inputs (tfjs types them all as optional). */
type In<K extends string> = Record<K, tf.TensorInfo>;

/** Runs the cpu backend's kernel for `name` and counts the fallback. */
function fallback(name: string, args: KernelArgs, reason: string): tf.TensorInfo | tf.TensorInfo[] {
  const entry = (fallbacks[name] ??= { count: 0, reason });
  entry.count++;
  entry.reason = reason;
  return tf.getKernel(name, 'cpu').kernelFunc(args);
}

/** The float32 storage of `t` (no copy unless the backend stored another typed array). */
function f32(backend: Cpu, t: tf.TensorInfo): Float32Array {
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

function allFloat32(...ts: (tf.TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t === undefined || t.dtype === 'float32');
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Activation codes of the addon (src/common.h enum Activation); others are not fused. */
const ACTIVATION_CODE: Record<string, number> = { linear: 0, relu: 1, leakyrelu: 2, relu6: 3, elu: 4, sigmoid: 5 };

// ------------------------------------------------------------------------------------------------
// Convolutions

const CONV_PARAMS = 29; // src/conv.cc enum P
const enum ConvMode {
  Forward = 0,
  BackwardData = 1,
  BackwardWeights = 2,
}

/** One convolution, 2-D or 3-D, described in the addon's terms (spatial arrays are [d,] h, w). */
interface ConvGeom {
  channelsFirst: boolean;
  batch: number;
  inChannels: number;
  outChannels: number;
  inSize: number[];
  kernel: number[];
  outSize: number[];
  stride: number[];
  dilation: number[];
  padL: number[];
  padR: number[];
}

function geom2D(info: tf.backend_util.Conv2DInfo): ConvGeom {
  const p = info.padInfo;
  return {
    channelsFirst: info.dataFormat === 'channelsFirst',
    batch: info.batchSize,
    inChannels: info.inChannels,
    outChannels: info.outChannels,
    inSize: [info.inHeight, info.inWidth],
    kernel: [info.filterHeight, info.filterWidth],
    outSize: [info.outHeight, info.outWidth],
    stride: [info.strideHeight, info.strideWidth],
    dilation: [info.dilationHeight, info.dilationWidth],
    padL: [p.top, p.left],
    padR: [p.bottom, p.right],
  };
}

function geom3D(info: tf.backend_util.Conv3DInfo): ConvGeom {
  const p = info.padInfo;
  return {
    channelsFirst: info.dataFormat === 'channelsFirst',
    batch: info.batchSize,
    inChannels: info.inChannels,
    outChannels: info.outChannels,
    inSize: [info.inDepth, info.inHeight, info.inWidth],
    kernel: [info.filterDepth, info.filterHeight, info.filterWidth],
    outSize: [info.outDepth, info.outHeight, info.outWidth],
    stride: [info.strideDepth, info.strideHeight, info.strideWidth],
    dilation: [info.dilationDepth, info.dilationHeight, info.dilationWidth],
    padL: [p.front, p.top, p.left],
    padR: [p.back, p.bottom, p.right],
  };
}

function convParams(mode: ConvMode, g: ConvGeom, act: number, hasBias: boolean): Int32Array {
  const p = new Int32Array(CONV_PARAMS);
  p.set([mode, g.inSize.length, g.channelsFirst ? 1 : 0, act, hasBias ? 1 : 0, g.batch, g.inChannels, g.outChannels]);
  p.set(g.inSize, 8);
  p.set(g.kernel, 11);
  p.set(g.outSize, 14);
  p.set(g.stride, 17);
  p.set(g.dilation, 20);
  p.set(g.padL, 23);
  p.set(g.padR, 26);
  return p;
}

/** The bias (one value per output channel), activation and its alpha fused into a forward convolution. */
interface ConvFusion {
  bias: Float32Array | null;
  act: number;
  alpha: number;
}

/**
 * Runs one convolution in the addon and wraps the output as a tensor of `outShape`; returns oneDNN's
 * message (after counting nothing) when it refuses the geometry, so the caller can fall back.
 */
function runConv(
  backend: Cpu,
  mode: ConvMode,
  g: ConvGeom,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  outShape: number[],
  fused?: ConvFusion,
): tf.TensorInfo | string {
  const out = allocF32(backend, size(outShape));
  try {
    addon!.conv(
      convParams(mode, g, fused?.act ?? 0, !!fused?.bias),
      fused?.alpha ?? 0,
      f32(backend, a),
      f32(backend, b),
      fused?.bias ?? null,
      out,
    );
  } catch (e) {
    return String((e as Error).message ?? e);
  }
  return backend.makeTensorInfo(outShape, 'float32', out);
}

/** Either the native result or the cpu kernel's, counting the fallback with its reason. */
function orFallback(name: string, args: KernelArgs, r: tf.TensorInfo | string): tf.TensorInfo | tf.TensorInfo[] {
  return typeof r === 'string' ? fallback(name, args, r) : r;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

type Shape4 = [number, number, number, number];
type Shape5 = [number, number, number, number, number];
type ConvInfo = tf.backend_util.Conv2DInfo | tf.backend_util.Conv3DInfo;

/** The kernel's inputs that the addon takes, in its order, per mode: (x, filter) → y, (dy, filter) → dx, (x, dy) → dfilter. */
const CONV_OPERANDS: Record<ConvMode, readonly [string, string]> = {
  [ConvMode.Forward]: ['x', 'filter'],
  [ConvMode.BackwardData]: ['dy', 'filter'],
  [ConvMode.BackwardWeights]: ['x', 'dy'],
};

/** Per mode: the operand that is dy (it must have the forward output's shape), the result's shape, the shapes that must not be empty. */
function convRoles(mode: ConvMode, info: ConvInfo, a: tf.TensorInfo, b: tf.TensorInfo): { dy?: tf.TensorInfo; out: number[]; nonEmpty: number[][] } {
  switch (mode) {
    case ConvMode.Forward:
      return { out: info.outShape, nonEmpty: [info.outShape, a.shape] };
    case ConvMode.BackwardData:
      return { dy: a, out: info.inShape, nonEmpty: [info.inShape, a.shape] };
    case ConvMode.BackwardWeights:
      return { dy: b, out: info.filterShape, nonEmpty: [a.shape, b.shape] };
    default: {
      const never: never = mode;
      throw new Error(`unknown convolution mode ${never}`);
    }
  }
}

/**
 * The checks and the addon call that every convolution kernel shares. A kernel states only its mode,
 * `info` (how tfjs computes its geometry from the operands and attributes) and, FusedConv2D alone,
 * `fuse` (its bias and activation, or why they cannot be fused). Returns the kernel for a given name,
 * the name its fallbacks are counted under.
 */
function convKernel<A>(
  mode: ConvMode,
  info: (a: tf.TensorInfo, b: tf.TensorInfo, attrs: A) => ConvInfo,
  fuse?: (backend: Cpu, inputs: Partial<In<string>>, attrs: A, info: ConvInfo) => ConvFusion | string,
): (name: string) => tf.KernelFunc {
  const [aName, bName] = CONV_OPERANDS[mode];
  return (name) => (args) => {
    const { inputs, backend, attrs } = args as unknown as { inputs: In<string>; backend: Cpu; attrs: A };
    const a = inputs[aName], b = inputs[bName];
    if (!allFloat32(a, b)) return fallback(name, args, 'non-float32 operands');
    const i = info(a, b, attrs);
    const { dy, out, nonEmpty } = convRoles(mode, i, a, b);
    if (dy && !sameShape(i.outShape, dy.shape)) {
      return fallback(name, args, `dy shape ${dy.shape} is not the forward output ${i.outShape}`);
    }
    if (nonEmpty.some((s) => size(s) === 0)) return fallback(name, args, 'empty tensor');
    const fused = fuse?.(backend, inputs, attrs, i);
    if (typeof fused === 'string') return fallback(name, args, fused);
    const g = 'inDepth' in i ? geom3D(i) : geom2D(i);
    return orFallback(name, args, runConv(backend, mode, g, a, b, out, fused));
  };
}

/** tfjs's geometry of a 2-D convolution kernel (its gradients run at dilation 1). */
function conv2DInfo(
  inShape: readonly number[],
  filterShape: readonly number[],
  attrs: Pick<tf.Conv2DAttrs, 'strides' | 'pad' | 'dataFormat' | 'dimRoundingMode'>,
  dilations: tf.Conv2DAttrs['dilations'],
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(inShape as Shape4, filterShape as Shape4, attrs.strides, dilations, attrs.pad,
    attrs.dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(attrs.dataFormat));
}

/**
 * The bias as one value per output channel, or a reason it cannot be fused. tfjs lets the bias be
 * anything broadcastable to the output; a scalar is expanded, a per-channel vector used in place.
 */
function channelBias(backend: Cpu, bias: tf.TensorInfo | undefined, channels: number): Float32Array | null | string {
  if (!bias) return null;
  const n = size(bias.shape);
  if (n === 1) return new Float32Array(channels).fill(f32(backend, bias)[0]);
  if (n === channels && bias.shape[bias.shape.length - 1] === channels) return f32(backend, bias);
  return `bias of shape [${bias.shape}] is not per-channel`;
}

/** Conv2D with its bias and activation fused; an activation or a bias dtype it cannot fuse is reported before any other reason. */
function fusedConv2DKernel(name: string): tf.KernelFunc {
  const conv = convKernel(
    ConvMode.Forward,
    (x, filter, attrs: tf.FusedConv2DAttrs) => conv2DInfo(x.shape, filter.shape, attrs, attrs.dilations),
    (backend, { bias }, attrs, info) => {
      if (bias && attrs.dataFormat === 'NCHW' && bias.shape.length > 1 && size(bias.shape) > 1) return 'NCHW with a rank > 1 bias';
      const b = channelBias(backend, bias, info.outChannels);
      if (typeof b === 'string') return b;
      return { bias: b, act: ACTIVATION_CODE[attrs.activation ?? 'linear'], alpha: attrs.leakyreluAlpha ?? 0.2 };
    },
  )(name);
  return (args) => {
    const { inputs, attrs } = args as unknown as { inputs: { bias?: tf.TensorInfo }; attrs: tf.FusedConv2DAttrs };
    if (ACTIVATION_CODE[attrs.activation ?? 'linear'] === undefined) return fallback(name, args, `activation '${attrs.activation}' is not fused`);
    if (!allFloat32(inputs.bias)) return fallback(name, args, 'non-float32 operands');
    return conv(args);
  };
}

/** The convolution kernels, by name: each states its mode and its geometry. */
const CONV_KERNELS: Record<string, (name: string) => tf.KernelFunc> = {
  [tf.Conv2D]: convKernel(ConvMode.Forward, (x, filter, attrs: tf.Conv2DAttrs) => conv2DInfo(x.shape, filter.shape, attrs, attrs.dilations)),
  [tf.Conv2DBackpropInput]: convKernel(ConvMode.BackwardData,
    (_dy, filter, attrs: tf.Conv2DBackpropInputAttrs) => conv2DInfo(attrs.inputShape, filter.shape, attrs, 1)),
  [tf.Conv2DBackpropFilter]: convKernel(ConvMode.BackwardWeights,
    (x, _dy, attrs: tf.Conv2DBackpropFilterAttrs) => conv2DInfo(x.shape, attrs.filterShape, attrs, 1)),
  [tf.FusedConv2D]: fusedConv2DKernel,
  [tf.Conv3D]: convKernel(ConvMode.Forward, (x, filter, attrs: tf.Conv3DAttrs) =>
    tf.backend_util.computeConv3DInfo(x.shape as Shape5, filter.shape as Shape5, attrs.strides, attrs.dilations, attrs.pad)),
  [tf.Conv3DBackpropInputV2]: convKernel(ConvMode.BackwardData, (_dy, filter, attrs: tf.Conv3DBackpropInputV2Attrs) =>
    tf.backend_util.computeConv3DInfo(attrs.inputShape, filter.shape as Shape5, attrs.strides, 1, attrs.pad)),
  [tf.Conv3DBackpropFilterV2]: convKernel(ConvMode.BackwardWeights, (x, _dy, attrs: tf.Conv3DBackpropFilterV2Attrs) =>
    tf.backend_util.computeConv3DInfo(x.shape as Shape5, attrs.filterShape, attrs.strides, 1, attrs.pad)),
};

// ------------------------------------------------------------------------------------------------
// Matrix multiply

const MATMUL_PARAMS = 12; // src/matmul.cc enum P

/** a·b (+ bias, activation) in the addon, or a reason to fall back. Shapes follow tfjs BatchMatMul. */
function runMatMul(
  backend: Cpu,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  fused?: { bias: tf.TensorInfo | undefined; act: number; alpha: number },
): tf.TensorInfo | string {
  if (!allFloat32(a, b, fused?.bias)) return 'non-float32 operands';
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2) return 'operands of rank < 2';
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const Kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== Kb) return `inner dimensions ${K} and ${Kb} differ`;
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = size(outerA), batchB = size(outerB);
  // Only the broadcasts that are a plain batch on one side and 1 on the other map to oneDNN's.
  let outer: number[];
  if (batchA === batchB && (sameShape(outerA, outerB) || batchA === 1)) outer = outerA.length >= outerB.length ? outerA : outerB;
  else if (batchB === 1) outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  else if (batchA === 1) outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  else return `batch shapes [${outerA}] and [${outerB}] need a general broadcast`;
  const outShape = [...outer, M, N];
  if (size(outShape) === 0 || K === 0) return 'empty tensor';

  const p = new Int32Array(MATMUL_PARAMS);
  p.set([fused?.act ?? 0, batchA, batchB, M, N, K, transposeA ? 1 : 0, transposeB ? 1 : 0]);
  let biasValues: Float32Array | null = null;
  const bias = fused?.bias;
  if (bias) {
    // The bias broadcasts to [...outer, M, N]; express it as [batch or 1, M or 1, N or 1].
    const rb2 = bias.shape.length;
    const bn = rb2 >= 1 ? bias.shape[rb2 - 1] : 1;
    const bm = rb2 >= 2 ? bias.shape[rb2 - 2] : 1;
    const bOuter = bias.shape.slice(0, Math.max(0, rb2 - 2));
    const bb = size(bOuter);
    const okOuter = bb === 1 || sameShape(bOuter, outer);
    if (!okOuter || (bn !== 1 && bn !== N) || (bm !== 1 && bm !== M)) return `bias of shape [${bias.shape}] does not map`;
    p.set([1, bb, bm, bn], 8);
    biasValues = f32(backend, bias);
  }
  const out = allocF32(backend, size(outShape));
  try {
    addon!.matmul(p, fused?.alpha ?? 0, f32(backend, a), f32(backend, b), biasValues, out);
  } catch (e) {
    return String((e as Error).message ?? e);
  }
  return backend.makeTensorInfo(outShape, 'float32', out);
}

function batchMatMulKernel(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, backend, attrs } = args as unknown as {
    inputs: In<'a' | 'b'>; backend: Cpu; attrs: tf.BatchMatMulAttrs;
  };
  return orFallback(tf.BatchMatMul, args, runMatMul(backend, inputs.a, inputs.b, attrs.transposeA, attrs.transposeB));
}

function fusedMatMulKernel(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, backend, attrs } = args as unknown as {
    inputs: In<'a' | 'b'> & { bias?: tf.TensorInfo }; backend: Cpu; attrs: tf._FusedMatMulAttrs;
  };
  const act = ACTIVATION_CODE[attrs.activation ?? 'linear'];
  if (act === undefined) return fallback(tf._FusedMatMul, args, `activation '${attrs.activation}' is not fused`);
  return orFallback(tf._FusedMatMul, args, runMatMul(backend, inputs.a, inputs.b, attrs.transposeA, attrs.transposeB,
    { bias: inputs.bias, act, alpha: attrs.leakyreluAlpha ?? 0.2 }));
}

// ------------------------------------------------------------------------------------------------
// Elementwise, reductions, batch norm (src/elementwise.cc)

/** Unary op codes of the addon (src/elementwise.cc enum Unary). */
const UNARY_CODE: Record<string, number> = {
  [tf.Relu]: 0, [tf.LeakyRelu]: 1, [tf.Relu6]: 2, [tf.Elu]: 3, [tf.Sigmoid]: 4, [tf.Tanh]: 5, [tf.Softplus]: 6,
  [tf.Exp]: 7, [tf.Log]: 8, [tf.Log1p]: 9, [tf.Sqrt]: 10, [tf.Rsqrt]: 11, [tf.Square]: 12, [tf.Neg]: 13,
  [tf.Abs]: 14, [tf.Step]: 15, [tf.Reciprocal]: 16,
};

/** Binary op codes (src/elementwise.cc enum Binary); codes ≥ 7 produce bool. */
const BINARY_CODE: Record<string, number> = {
  [tf.Add]: 0, [tf.Sub]: 1, [tf.Multiply]: 2, [tf.RealDiv]: 3, [tf.SquaredDifference]: 4, [tf.Maximum]: 5,
  [tf.Minimum]: 6, [tf.Greater]: 7, [tf.GreaterEqual]: 8, [tf.Less]: 9, [tf.LessEqual]: 10, [tf.Equal]: 11,
  [tf.NotEqual]: 12,
};
const FIRST_BOOL_BINARY = 7;

const REDUCE_CODE: Record<string, number> = { [tf.Sum]: 0, [tf.Mean]: 1, [tf.Max]: 2, [tf.Min]: 3 };

function unaryKernel(name: string): tf.KernelFunc {
  const code = UNARY_CODE[name];
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as { inputs: In<'x'>; backend: Cpu; attrs: { alpha?: number } };
    const { x } = inputs;
    if (x.dtype !== 'float32') return fallback(name, args, `${x.dtype} input`);
    const out = allocF32(backend, size(x.shape));
    if (out.length > 0) addon!.unary(code, attrs?.alpha ?? 0, f32(backend, x), out);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  };
}

/**
 * The broadcast of shapes a and b as at most 4 dims [d0..d3] with each operand's element strides
 * (0 along the dims it is broadcast in), merging neighbouring dims that stay contiguous in both;
 * null when more than 4 dims remain.
 */
function collapseBroadcast(aShape: readonly number[], bShape: readonly number[]): { outShape: number[]; params: Int32Array } | null {
  const outShape = tf.backend_util.assertAndGetBroadcastShape(aShape as number[], bShape as number[]);
  const r = outShape.length;
  const strides = (shape: readonly number[]): number[] => {
    const full = [...new Array(r - shape.length).fill(1), ...shape];
    const st = new Array<number>(r);
    let acc = 1;
    for (let i = r - 1; i >= 0; i--) {
      st[i] = full[i] === 1 ? 0 : acc;
      acc *= full[i];
    }
    return st;
  };
  const sa = strides(aShape), sb = strides(bShape);
  const dims: number[] = [], as: number[] = [], bs: number[] = [];
  for (let i = 0; i < r; i++) {
    if (outShape[i] === 1) continue;
    const k = dims.length - 1;
    if (k >= 0 && as[k] === sa[i] * outShape[i] && bs[k] === sb[i] * outShape[i]) {
      dims[k] *= outShape[i];
      as[k] = sa[i];
      bs[k] = sb[i];
    } else {
      dims.push(outShape[i]);
      as.push(sa[i]);
      bs.push(sb[i]);
    }
  }
  if (dims.length > 4) return null;
  while (dims.length < 4) {
    dims.unshift(1);
    as.unshift(0);
    bs.unshift(0);
  }
  return { outShape, params: Int32Array.from([...dims, ...as, ...bs]) };
}

function binaryKernel(name: string): tf.KernelFunc {
  const code = BINARY_CODE[name];
  return (args) => {
    const { inputs, backend } = args as unknown as { inputs: In<'a' | 'b'>; backend: Cpu };
    const { a, b } = inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(name, args, `${a.dtype}/${b.dtype} operands`);
    const c = collapseBroadcast(a.shape, b.shape);
    if (!c) return fallback(name, args, `broadcast of [${a.shape}] and [${b.shape}] needs more than 4 dims`);
    const n = size(c.outShape);
    const isBool = code >= FIRST_BOOL_BINARY;
    const out = isBool ? new Uint8Array(n) : allocF32(backend, n);
    if (n > 0) addon!.binary(code, c.params, f32(backend, a), f32(backend, b), out);
    return backend.makeTensorInfo(c.outShape, isBool ? 'bool' : 'float32', out);
  };
}

/** x viewed as [A, R, B] with the reduced axes in R, or null when they are not one contiguous block. */
function collapseReduction(shape: readonly number[], axes: readonly number[]): { A: number; R: number; B: number } | null {
  const red = new Set(axes);
  let A = 1, R = 1, B = 1;
  let phase = 0; // 0: before the reduced block, 1: inside it, 2: after it
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    if (red.has(i)) {
      if (phase === 2) return null;
      phase = 1;
      R *= shape[i];
    } else if (phase === 0) A *= shape[i];
    else {
      phase = 2;
      B *= shape[i];
    }
  }
  return { A, R, B };
}

function reduceKernel(name: string): tf.KernelFunc {
  const code = REDUCE_CODE[name];
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as {
      inputs: In<'x'>; backend: Cpu; attrs: { axis?: number | number[]; reductionIndices?: number | number[]; keepDims: boolean };
    };
    const { x } = inputs;
    if (x.dtype !== 'float32') return fallback(name, args, `${x.dtype} input`);
    if (size(x.shape) === 0) return fallback(name, args, 'empty tensor');
    const axes = tf.util.parseAxisParam(name === tf.Max ? attrs.reductionIndices! : attrs.axis!, x.shape);
    const g = collapseReduction(x.shape, axes);
    if (!g) return fallback(name, args, `axes [${axes}] of [${x.shape}] are not contiguous`);
    let [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    if (attrs.keepDims) outShape = tf.backend_util.expandShapeToKeepDim(outShape, axes);
    const out = allocF32(backend, g.A * g.B);
    addon!.reduce(code, g.A, g.R, g.B, f32(backend, x), out);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}

function batchNormKernel(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, backend, attrs } = args as unknown as {
    inputs: In<'x' | 'mean' | 'variance'> & { offset?: tf.TensorInfo; scale?: tf.TensorInfo }; backend: Cpu; attrs: { varianceEpsilon?: number };
  };
  const { x, mean, variance, offset, scale } = inputs;
  if (!allFloat32(x, mean, variance, offset, scale)) return fallback(tf.FusedBatchNorm, args, 'non-float32 operands');
  if ([x, mean, variance, offset, scale].some((t) => t && size(t.shape) === 0)) return fallback(tf.FusedBatchNorm, args, 'empty tensor');
  const out = allocF32(backend, size(x.shape));
  addon!.batchNorm(f32(backend, x), f32(backend, mean), f32(backend, variance), offset ? f32(backend, offset) : null,
    scale ? f32(backend, scale) : null, attrs.varianceEpsilon ?? 0.001, out);
  return backend.makeTensorInfo(x.shape, 'float32', out);
}

function selectKernel(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, backend } = args as unknown as { inputs: In<'condition' | 't' | 'e'>; backend: Cpu };
  const { condition, t, e } = inputs;
  if (!allFloat32(t, e)) return fallback(tf.Select, args, `${t.dtype}/${e.dtype} branches`);
  const cond = backend.data.get(condition.dataId).values;
  if (!(cond instanceof Uint8Array) || !sameShape(t.shape, e.shape)) return fallback(tf.Select, args, 'condition not bool or branch shapes differ');
  // As the cpu kernel: a rank-1 condition on a higher-rank t picks whole rows.
  const rank = condition.shape.length;
  const row = rank === 0 || rank > 1 || t.shape.length === 1 ? 1 : size(t.shape.slice(1));
  const out = allocF32(backend, size(t.shape));
  if (cond.length * row !== out.length) return fallback(tf.Select, args, 'condition size does not match');
  if (out.length > 0) addon!.select(cond, f32(backend, t), f32(backend, e), out, row);
  return backend.makeTensorInfo(t.shape, 'float32', out);
}

function tileKernel(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, backend, attrs } = args as unknown as { inputs: In<'x'>; backend: Cpu; attrs: { reps: number[] } };
  const { x } = inputs;
  const outShape = x.shape.map((d, i) => d * attrs.reps[i]);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return fallback(tf.Tile, args, `${x.dtype} input`);
  if (x.shape.length === 0 || x.shape.length > 6 || size(outShape) === 0) return fallback(tf.Tile, args, 'rank 0, rank > 6 or empty');
  // Tile only copies 4-byte elements, so int32 goes through the same code viewed as float32.
  const v = backend.data.get(x.dataId).values as Float32Array | Int32Array;
  const out = x.dtype === 'float32' ? allocF32(backend, size(outShape)) : new Int32Array(size(outShape));
  addon!.tile(Int32Array.from([x.shape.length, ...x.shape, ...outShape]), new Float32Array(v.buffer, v.byteOffset, v.length),
    new Float32Array(out.buffer));
  return backend.makeTensorInfo(outShape, x.dtype, out);
}

/** Every kernel this engine overrides, by name. */
function nativeKernelFuncs(): Map<string, tf.KernelFunc> {
  const m = new Map<string, tf.KernelFunc>([
    ...Object.entries(CONV_KERNELS).map(([name, kernel]): [string, tf.KernelFunc] => [name, kernel(name)]),
    [tf.BatchMatMul, batchMatMulKernel],
    [tf._FusedMatMul, fusedMatMulKernel],
    [tf.FusedBatchNorm, batchNormKernel],
    [tf.Select, selectKernel],
    [tf.Tile, tileKernel],
    [tf.Slice, sliceCopyKernel],
    [tf.PadV2, padCopyKernel],
  ]);
  for (const name of Object.keys(UNARY_CODE)) m.set(name, unaryKernel(name));
  for (const name of Object.keys(BINARY_CODE)) m.set(name, binaryKernel(name));
  for (const name of Object.keys(REDUCE_CODE)) m.set(name, reduceKernel(name));
  return m;
}
