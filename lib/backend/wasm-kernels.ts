/**
 * Training kernels for the wasm backend.
 *
 * tfjs-backend-wasm 4.22 runs the forward pass of the papers' networks fast (XNNPACK) but cannot
 * train them: it has no Conv2DBackpropFilter, its Conv2DBackpropInput (= conv2dTranspose, every
 * generator layer) is a scalar loop at ~5 GFLOP/s, and its Conv3DBackpropFilterV2 is wrong at stride
 * 2. Everything here is rebuilt on the two fast primitives wasm exposes, XNNPACK's Conv2D and its
 * GEMM (BatchMatMul without transposes), plus data movement in JS on the wasm heap:
 *
 * - Conv2DBackpropFilter: dW = conv2d of the transposed input with the transposed output gradient,
 *   the forward stride becoming a dilation (batch and channel swap roles); for inputs with few
 *   channels, im2col + GEMM instead.
 * - Conv2DBackpropInput: GEMM (dy · Wᵀ) + col2im, a few filter taps at a time. The sub-pixel
 *   decomposition (s² stride-1 convs) is kept as an alternative: it is slower here because it also
 *   multiplies the zero padding of small maps (`setWasmConvStrategy` selects).
 * - Conv2D / FusedConv2D: tfjs's kernel, split over output channels when the filter is large, or
 *   im2col + GEMM when the output has few pixels and the inner size is long (XNNPACK's indirect conv
 *   is slow there).
 * - Conv3D and its two gradients: the kernel's depth taps are folded into channels so each becomes a
 *   single 2-D kernel above over [N·D, H, W, kd·C].
 * - Tile by block copies (batch-norm gradients).
 * - Kernels wasm lacks but cpu has (UnsortedSegmentSum, Einsum, depthwise backprops) run on the cpu
 *   backend with a copy each way: right, not fast.
 *
 * Measured per layer with `npm run bench -- --sections kernels`; the choices above follow those numbers.
 *
 * Memory ownership: kernel functions return one new TensorInfo; every intermediate is freed through
 * `Scratch` before returning, so the engine's tensor count and the wasm heap stay flat.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];
type Pad = 'valid' | 'same' | number | ExplicitPadding;

/** Kernels this module registers (or replaces) on 'wasm'. */
export const WASM_TRAINING_KERNELS = [
  'Conv2D',
  'FusedConv2D',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'Conv3D',
  'Conv3DBackpropInputV2',
  'Conv3DBackpropFilterV2',
  'Tile',
] as const;

/** Kernels wasm lacks that run on cpu with a copy each way. */
const CPU_FALLBACK_KERNELS = [
  'UnsortedSegmentSum',
  'Einsum',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
];

/** tfjs's own wasm kernels that this module replaces; Conv2D's is called underneath ours. */
const baseKernels = new Map<string, tf.KernelConfig>();

/** tfjs's own wasm kernel `name` as it was before `registerWasmTrainingKernels` replaced it (tests). */
export function tfjsWasmKernel(name: string): tf.KernelConfig | undefined {
  return baseKernels.get(name);
}

/** Intermediate TensorInfos of one kernel call, freed together. */
class Scratch {
  private readonly owned: Info[] = [];
  constructor(readonly backend: BackendWasm) {}

  /** Runs another wasm kernel directly (no autograd recording, no engine bookkeeping). */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): Info {
    const k = baseKernels.get(kernelName) ?? tf.getKernel(kernelName, 'wasm');
    if (!k) throw new Error(`wasm kernel ${kernelName} not registered`);
    const out = k.kernelFunc({ inputs, attrs, backend: this.backend }) as Info;
    this.owned.push(out);
    return out;
  }

  /** A new float32 tensor on the wasm heap (uninitialized unless `zero`). */
  alloc(shape: number[], zero = false): Info {
    const out = this.backend.makeOutput(shape, 'float32');
    if (zero) this.f32(out).fill(0);
    this.owned.push(out);
    return out;
  }

  /** A view of a tensor's heap memory; invalid after the next allocation (the heap may grow). */
  f32(t: Info): Float32Array {
    return this.backend.typedArrayFromHeap(t) as Float32Array;
  }

  reshape(x: Info, shape: number[]): Info {
    return this.run('Reshape', { x }, { shape });
  }

  // Data movement is done here in JS on the heap: wasm's Transpose and Slice kernels are generic
  // per-element loops (~10 ns/element, 27 ms to slice 0.5 M floats), slower than blocked JS.

  /** [A, R, C] → [A, C, R] (a batch of matrix transposes), cache-blocked; reads x from float `offset`. */
  transposeLast2(x: Info, A: number, R: number, C: number, offset = 0): Info {
    const out = this.alloc([A, C, R]);
    const src = this.f32(x).subarray(offset);
    const dst = this.f32(out);
    const B = 16;
    for (let a = 0; a < A; a++) {
      const base = a * R * C;
      for (let r0 = 0; r0 < R; r0 += B) {
        const r1 = Math.min(R, r0 + B);
        for (let c0 = 0; c0 < C; c0 += B) {
          const c1 = Math.min(C, c0 + B);
          for (let r = r0; r < r1; r++) {
            let i = base + r * C + c0;
            for (let c = c0; c < c1; c++) dst[base + c * R + r] = src[i++];
          }
        }
      }
    }
    return out;
  }

  /** [P, A, B, C] → [P, B, A, C]: moves contiguous runs of C. */
  swapMiddle(x: Info, P: number, A: number, B: number, C: number): Info {
    const out = this.alloc([P, B, A, C]);
    const src = this.f32(x);
    const dst = this.f32(out);
    for (let p = 0; p < P; p++) {
      for (let a = 0; a < A; a++) {
        for (let b = 0; b < B; b++) {
          const i = ((p * A + a) * B + b) * C;
          const o = ((p * B + b) * A + a) * C;
          if (C >= 16) dst.set(src.subarray(i, i + C), o);
          else for (let c = 0; c < C; c++) dst[o + c] = src[i + c];
        }
      }
    }
    return out;
  }

  /** [A, B, C] → [C, B, A]. */
  reverseAxes3(x: Info, A: number, B: number, C: number): Info {
    const out = this.alloc([C, B, A]);
    const src = this.f32(x);
    const dst = this.f32(out);
    const T = 16;
    for (let b = 0; b < B; b++) {
      for (let a0 = 0; a0 < A; a0 += T) {
        const a1 = Math.min(A, a0 + T);
        for (let c0 = 0; c0 < C; c0 += T) {
          const c1 = Math.min(C, c0 + T);
          for (let a = a0; a < a1; a++) {
            let i = (a * B + b) * C + c0;
            for (let c = c0; c < c1; c++) dst[(c * B + b) * A + a] = src[i++];
          }
        }
      }
    }
    return out;
  }

  /** x[N, H, W, C] cropped to rows [h0, h0 + h) and columns [w0, w0 + w). */
  cropNhwc(x: Info, h0: number, h: number, w0: number, w: number): Info {
    const [N, H, W, C] = x.shape;
    const out = this.alloc([N, h, w, C]);
    const src = this.f32(x);
    const dst = this.f32(out);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < h; i++) {
        const a = ((n * H + h0 + i) * W + w0) * C;
        dst.set(src.subarray(a, a + w * C), ((n * h + i) * w) * C);
      }
    }
    return out;
  }

  /** XNNPACK convolution with explicit non-negative pads [top, bottom, left, right]. */
  conv2d(x: Info, filter: Info, pads: [number, number, number, number], dilations: [number, number] = [1, 1], strides: [number, number] = [1, 1]): Info {
    const [t, b, l, r] = pads;
    const pad: ExplicitPadding = [[0, 0], [t, b], [l, r], [0, 0]];
    return this.run('Conv2D', { x, filter }, { strides, pad, dataFormat: 'NHWC', dilations } as unknown as tf.NamedAttrMap);
  }

  /** a [M, K] · b [K, N] on XNNPACK (its transposed variants are a scalar loop: transpose first). */
  matmul(a: Info, b: Info): Info {
    const out = this.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
    return this.reshape(out, [a.shape[0], b.shape[1]]);
  }

  /** Frees `t`'s memory now, with every reshape of it made in this scratch. */
  free(t: Info): void {
    for (let i = this.owned.length - 1; i >= 0; i--) {
      if (this.owned[i].dataId === t.dataId) {
        this.backend.disposeData(t.dataId);
        this.owned.splice(i, 1);
      }
    }
  }

  /** Hands `t` to the caller: it will not be freed by `dispose`. */
  keep(t: Info): Info {
    const i = this.owned.lastIndexOf(t);
    if (i >= 0) this.owned.splice(i, 1);
    return t;
  }

  dispose(): void {
    for (const t of this.owned) this.backend.disposeData(t.dataId);
    this.owned.length = 0;
  }
}

function withScratch(backend: BackendWasm, f: (s: Scratch) => Info): Info {
  const s = new Scratch(backend);
  try {
    return s.keep(f(s));
  } finally {
    s.dispose();
  }
}

/** A kernel's named input; tfjs always passes them, the map's type just cannot say so. */
function input(inputs: tf.NamedTensorInfoMap, name: string): Info {
  const t = inputs[name];
  if (!t) throw new Error(`kernel input '${name}' missing`);
  return t;
}

function assertShape(what: string, got: readonly number[], want: readonly number[]): void {
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new Error(`${what}: shape [${got.join(',')}] does not match the convolution's [${want.join(',')}]`);
  }
}

function assertNhwc(kernel: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'NDHWC') {
    throw new Error(`wasm ${kernel}: only channels-last data (NHWC/NDHWC) is supported, got ${String(dataFormat)}`);
  }
}

/** Crops a negative pad from the input instead (XNNPACK pads must be ≥ 0): [begin, size, pad0, pad1]. */
function cropOrPad(n: number, pad0: number, pad1: number): [number, number, number, number] {
  const c0 = Math.max(0, -pad0);
  const c1 = Math.max(0, -pad1);
  return [c0, n - c0 - c1, Math.max(0, pad0), Math.max(0, pad1)];
}

// ---------------------------------------------------------------------------------------------
// 2-D

/**
 * XNNPACK's GEMM streams its whole packed right-hand side (K × N) once per few rows of the left, so
 * it runs at ~30 GFLOP/s while K·N ≤ ~2 M floats and at 15–20 beyond (measured, M = 576, one core).
 * Larger products are split so that each piece stays under this size.
 */
const GEMM_RHS_FLOATS = 1 << 20;
/** Inner (reduction) size per GEMM in conv2dGemm, and the size above which a conv with few output pixels uses it. */
const GEMM_MAX_INNER = 2048;
/** Output pixels (N·OH·OW) up to which conv2dGemm replaces XNNPACK's conv. */
const GEMM_CONV_MAX_PIXELS = 1024;

interface Conv2DGeom {
  N: number; H: number; W: number; Ci: number; OH: number; OW: number; Co: number;
  KH: number; KW: number; sh: number; sw: number; pt: number; pl: number;
}

function conv2dGeom(xShape: number[], filterShape: number[], strides: number | [number, number], pad: Pad, dimRoundingMode?: 'floor' | 'round' | 'ceil'): Conv2DGeom {
  const c = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number], strides, 1, pad, dimRoundingMode,
  );
  return {
    N: c.batchSize, H: c.inHeight, W: c.inWidth, Ci: c.inChannels, OH: c.outHeight, OW: c.outWidth, Co: c.outChannels,
    KH: c.filterHeight, KW: c.filterWidth, sh: c.strideHeight, sw: c.strideWidth, pt: c.padInfo.top, pl: c.padInfo.left,
  };
}

/**
 * dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·sh + kh − pt, ow·sw + kw − pl, ci] · dy[n,oh,ow,co]
 * = conv2d(xᵀ [Ci,H,W,N], dyᵀ [OH,OW,N,Co], dilation (sh,sw)) → [Ci,KH,KW,Co].
 */
function backpropFilterDilated(s: Scratch, x: Info, dy: Info, g: Conv2DGeom): Info {
  const { N, H, W, Ci, OH, OW, Co, KH, KW, sh, sw, pt, pl } = g;
  assertShape('Conv2DBackpropFilter dy', dy.shape, [N, OH, OW, Co]);
  // Rows of x past the last one any output reads are cut; missing ones are zero-padded.
  const [, hUsed, , pb] = cropOrPad(H, 0, KH + (OH - 1) * sh - H - pt);
  const [, wUsed, , pr] = cropOrPad(W, 0, KW + (OW - 1) * sw - W - pl);
  const xc = hUsed < H || wUsed < W ? s.cropNhwc(x, 0, hUsed, 0, wUsed) : x;
  const xT = s.reshape(s.reverseAxes3(xc, N, hUsed * wUsed, Ci), [Ci, hUsed, wUsed, N]);
  const dyT = s.reshape(s.swapMiddle(dy, 1, N, OH * OW, Co), [OH, OW, N, Co]);
  const dw = s.conv2d(xT, dyT, [pt, pb, pl, pr], [sh, sw]);
  assertShape('Conv2DBackpropFilter result', dw.shape, [Ci, KH, KW, Co]);
  return s.reshape(s.swapMiddle(dw, 1, Ci, KH * KW, Co), [KH, KW, Ci, Co]);
}

/**
 * dx[n,i,j,ci] = Σ dy[n,oh,ow,co] · W[kh,kw,ci,co] over oh·sh + kh − pt = i, ow·sw + kw − pl = j.
 * With u = i + pt = sh·q + r, the taps kh = r + sh·t give dx at phase r as a stride-1 correlation of
 * dy with that phase's flipped taps. All sh·sw phases are computed by one conv whose output
 * channels are (rh, rw, ci); phases with fewer taps get zero taps in front.
 */
function backpropInputSubpixel(s: Scratch, dy: Info, filter: Info, g: Conv2DGeom): Info {
  const { N, H, W, Ci, OH, OW, Co, KH, KW, sh, sw, pt, pl } = g;
  assertShape('Conv2DBackpropInput dy', dy.shape, [N, OH, OW, Co]);
  assertShape('Conv2DBackpropInput filter', filter.shape, [KH, KW, Ci, Co]);
  const Jh = Math.ceil(KH / sh);
  const Jw = Math.ceil(KW / sw);
  const q0h = Math.floor(pt / sh);
  const q0w = Math.floor(pl / sw);
  const Qh = Math.floor((pt + H - 1) / sh) - q0h + 1;
  const Qw = Math.floor((pl + W - 1) / sw) - q0w + 1;
  const P = sh * sw * Ci;

  // Wc[jh, jw, co, (rh·sw + rw)·Ci + ci] = W[rh + sh·(Jh−1−jh), rw + sw·(Jw−1−jw), ci, co] (0 off the filter)
  const wc = s.alloc([Jh, Jw, Co, P]);
  {
    const src = s.f32(filter);
    const dst = s.f32(wc);
    let o = 0;
    for (let jh = 0; jh < Jh; jh++) {
      for (let jw = 0; jw < Jw; jw++) {
        for (let co = 0; co < Co; co++) {
          for (let rh = 0; rh < sh; rh++) {
            const kh = rh + sh * (Jh - 1 - jh);
            for (let rw = 0; rw < sw; rw++) {
              const kw = rw + sw * (Jw - 1 - jw);
              if (kh >= KH || kw >= KW) {
                dst.fill(0, o, o + Ci);
                o += Ci;
                continue;
              }
              let k = ((kh * KW + kw) * Ci) * Co + co;
              for (let ci = 0; ci < Ci; ci++, k += Co) dst[o++] = src[k];
            }
          }
        }
      }
    }
  }

  const [bh, nh, padT, padB] = cropOrPad(OH, Jh - 1 - q0h, Qh + q0h - OH);
  const [bw, nw, padL, padR] = cropOrPad(OW, Jw - 1 - q0w, Qw + q0w - OW);
  if (nh <= 0 || nw <= 0) {
    const z = s.alloc([N, H, W, Ci], true);
    return z;
  }
  const dyc = nh < OH || nw < OW ? s.cropNhwc(dy, bh, nh, bw, nw) : dy;
  const ph = s.conv2d(dyc, wc, [padT, padB, padL, padR]);
  assertShape('Conv2DBackpropInput phases', ph.shape, [N, Qh, Qw, P]);
  if (sh === 1 && sw === 1 && Qh === H && Qw === W && q0h === pt && q0w === pl) return ph;

  // Interleave: dx[n, sh·(q0h+qh) + rh − pt, sw·(q0w+qw) + rw − pl, :] = ph[n, qh, qw, rh, rw, :]
  const dx = s.alloc([N, H, W, Ci]);
  const src = s.f32(ph);
  const dst = s.f32(dx);
  for (let n = 0; n < N; n++) {
    for (let qh = 0; qh < Qh; qh++) {
      for (let rh = 0; rh < sh; rh++) {
        const i = sh * (q0h + qh) + rh - pt;
        if (i < 0 || i >= H) continue;
        for (let qw = 0; qw < Qw; qw++) {
          const srcBase = ((n * Qh + qh) * Qw + qw) * P + rh * sw * Ci;
          for (let rw = 0; rw < sw; rw++) {
            const j = sw * (q0w + qw) + rw - pl;
            if (j < 0 || j >= W) continue;
            const a = srcBase + rw * Ci;
            const b = ((n * H + i) * W + j) * Ci;
            if (Ci >= 32) dst.set(src.subarray(a, a + Ci), b);
            else for (let c = 0; c < Ci; c++) dst[b + c] = src[a + c];
          }
        }
      }
    }
  }
  return dx;
}

/**
 * dx by GEMM + col2im: cols = dy [N·OH·OW, Co] · Wᵀ [Co, KH·KW·Ci], then each row of cols is added
 * into the input pixels it came from. No wasted FLOPs (the sub-pixel conv multiplies the padding too),
 * at the price of a JS scatter-add of N·OH·OW·KH·KW·Ci floats.
 */
function backpropInputGemm(s: Scratch, dy: Info, filter: Info, g: Conv2DGeom): Info {
  const { N, H, W, Ci, OH, OW, Co, KH, KW, sh, sw, pt, pl } = g;
  assertShape('Conv2DBackpropInput dy', dy.shape, [N, OH, OW, Co]);
  assertShape('Conv2DBackpropInput filter', filter.shape, [KH, KW, Ci, Co]);
  const T = KH * KW;
  const M = N * OH * OW;
  const dy2 = s.reshape(dy, [M, Co]);
  const dx = s.alloc([N, H, W, Ci], true);
  // A few filter taps per GEMM, so that its right-hand side stays in cache (see GEMM_RHS_FLOATS).
  const taps = Math.max(1, Math.min(T, Math.floor(GEMM_RHS_FLOATS / (Ci * Co))));
  for (let t0 = 0; t0 < T; t0 += taps) {
    const nt = Math.min(taps, T - t0);
    const rowLen = nt * Ci;
    const wT = s.reshape(s.transposeLast2(filter, 1, rowLen, Co, t0 * Ci * Co), [Co, rowLen]);
    const cols = s.matmul(dy2, wT); // [M, nt·Ci]
    const src = s.f32(cols);
    const dst = s.f32(dx);
    for (let t = t0; t < t0 + nt; t++) {
      const kh = Math.floor(t / KW);
      const kw = t - kh * KW;
      const off = (t - t0) * Ci;
      let m = 0;
      for (let n = 0; n < N; n++) {
        for (let oh = 0; oh < OH; oh++) {
          const i = oh * sh + kh - pt;
          if (i < 0 || i >= H) {
            m += OW;
            continue;
          }
          const rowBase = (n * H + i) * W;
          for (let ow = 0; ow < OW; ow++, m++) {
            const j = ow * sw + kw - pl;
            if (j < 0 || j >= W) continue;
            const a = m * rowLen + off;
            const b = (rowBase + j) * Ci;
            for (let c = 0; c < Ci; c++) dst[b + c] += src[a + c];
          }
        }
      }
    }
    s.free(wT);
    s.free(cols);
  }
  return dx;
}

/**
 * dW by im2col + GEMM: dWᵀ = dyᵀ [Co, N·OH·OW] · cols [N·OH·OW, KH·KW·Ci]; transposing dy and the
 * small result is cheaper than transposing cols (XNNPACK has no transposed-operand GEMM here).
 */
function backpropFilterGemm(s: Scratch, x: Info, dy: Info, g: Conv2DGeom): Info {
  const { N, H, W, Ci, OH, OW, Co, KH, KW, sh, sw, pt, pl } = g;
  assertShape('Conv2DBackpropFilter dy', dy.shape, [N, OH, OW, Co]);
  const R = KH * KW * Ci;
  const cols = s.alloc([N * OH * OW, R]);
  {
    const src = s.f32(x);
    const dst = s.f32(cols);
    let b = 0;
    for (let n = 0; n < N; n++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          for (let kh = 0; kh < KH; kh++) {
            const i = oh * sh + kh - pt;
            if (i < 0 || i >= H) {
              dst.fill(0, b, b + KW * Ci);
              b += KW * Ci;
              continue;
            }
            for (let kw = 0; kw < KW; kw++, b += Ci) {
              const j = ow * sw + kw - pl;
              if (j < 0 || j >= W) {
                dst.fill(0, b, b + Ci);
                continue;
              }
              const a = ((n * H + i) * W + j) * Ci;
              for (let c = 0; c < Ci; c++) dst[b + c] = src[a + c];
            }
          }
        }
      }
    }
  }
  const M = N * OH * OW;
  const dyT = s.reshape(s.transposeLast2(dy, 1, M, Co), [Co, M]);
  const dwT = s.matmul(dyT, cols); // [Co, R]
  return s.reshape(s.transposeLast2(dwT, 1, Co, R), [KH, KW, Ci, Co]);
}

/** Which formulation each 2-D gradient kernel uses; 'auto' picks per shape (see `backpropInput`). */
export interface WasmConvStrategy {
  backpropInput: 'auto' | 'subpixel' | 'gemm';
  backpropFilter: 'auto' | 'dilated' | 'gemm';
}
const strategy: WasmConvStrategy = { backpropInput: 'auto', backpropFilter: 'auto' };

/** Overrides the formulation (benchmarks and tests compare them); returns the previous setting. */
export function setWasmConvStrategy(s: Partial<WasmConvStrategy>): WasmConvStrategy {
  const prev = { ...strategy };
  Object.assign(strategy, s);
  return prev;
}

// 'auto' from measurements on the papers' layers (test/bench, section kernels): the GEMM form of dx
// beats the sub-pixel conv on every layer (no multiplications by padding); for dW the dilated conv
// wins unless the input has few channels (then its XNNPACK GEMM has only Ci·KH·KW rows).
function backpropInput(s: Scratch, dy: Info, filter: Info, g: Conv2DGeom): Info {
  const kind = strategy.backpropInput === 'auto' ? 'gemm' : strategy.backpropInput;
  return kind === 'gemm' ? backpropInputGemm(s, dy, filter, g) : backpropInputSubpixel(s, dy, filter, g);
}

function backpropFilter(s: Scratch, x: Info, dy: Info, g: Conv2DGeom): Info {
  const kind = strategy.backpropFilter === 'auto' ? (g.Ci < 8 ? 'gemm' : 'dilated') : strategy.backpropFilter;
  return kind === 'gemm' ? backpropFilterGemm(s, x, dy, g) : backpropFilterDilated(s, x, dy, g);
}

/**
 * Conv2D and FusedConv2D (conv + bias + activation, the encoders' layers): tfjs's XNNPACK kernel,
 * split over output channels when the filter is larger than GEMM_RHS_FLOATS (e.g. the gradient of the
 * generator's 3×3×1024 → 7×7×512 layer: 8 M floats). Bias and activation act per output channel, so
 * each chunk takes its slice of the bias.
 */
function chunkedConv2D(kernelName: 'Conv2D' | 'FusedConv2D'): tf.KernelFunc {
  return (args) => {
    const base = baseKernels.get(kernelName);
    if (!base) throw new Error(`wasm ${kernelName}: tfjs kernel missing`);
    const x = input(args.inputs, 'x');
    const filter = input(args.inputs, 'filter');
    const bias = args.inputs.bias;
    const [KH, KW, Ci, Co] = filter.shape;
    const K = KH * KW * Ci;
    const dataFormat = (args.attrs as unknown as tf.Conv2DAttrs).dataFormat;
    const chunk = Math.max(16, Math.floor(GEMM_RHS_FLOATS / K / 16) * 16);
    if (
      K * Co <= GEMM_RHS_FLOATS || chunk >= Co || (dataFormat !== undefined && dataFormat !== 'NHWC') ||
      args.inputs.preluActivationWeights || (bias && bias.shape.length !== 1)
    ) {
      return base.kernelFunc(args) as Info;
    }
    const gemm = gemmConvPlan(x, filter, args.attrs as unknown as tf.FusedConv2DAttrs, args.inputs);
    if (gemm) {
      return withScratch(args.backend as BackendWasm, (s) => {
        const y = conv2dGemm(s, x, filter, gemm.geom);
        if (bias || gemm.activation !== 'linear') biasActivation(s.f32(y), bias ? s.f32(bias) : null, Co, gemm.activation, gemm.alpha);
        return y;
      });
    }
    return withScratch(args.backend as BackendWasm, (s) => {
      let out: Info | null = null;
      for (let c0 = 0; c0 < Co; c0 += chunk) {
        const nc = Math.min(chunk, Co - c0);
        const wc = s.alloc([KH, KW, Ci, nc]);
        const bc = bias ? s.alloc([nc]) : null;
        {
          const src = s.f32(filter);
          const dst = s.f32(wc);
          for (let k = 0; k < K; k++) dst.set(src.subarray(k * Co + c0, k * Co + c0 + nc), k * nc);
          if (bias && bc) s.f32(bc).set(s.f32(bias).subarray(c0, c0 + nc));
        }
        const inputs: tf.NamedTensorInfoMap = bc ? { x, filter: wc, bias: bc } : { x, filter: wc };
        const y = s.run(kernelName, inputs, args.attrs);
        const [N, OH, OW] = y.shape;
        if (!out) out = s.alloc([N, OH, OW, Co]);
        const src = s.f32(y);
        const dst = s.f32(out);
        const M = N * OH * OW;
        for (let m = 0; m < M; m++) dst.set(src.subarray(m * nc, (m + 1) * nc), m * Co + c0);
        s.free(y);
        s.free(wc);
        if (bc) s.free(bc);
      }
      return out as Info;
    });
  };
}

/** When the im2col + GEMM form is used for a Conv2D / FusedConv2D: few output pixels, long inner size. */
function gemmConvPlan(
  x: Info, filter: Info, a: tf.FusedConv2DAttrs, inputs: tf.NamedTensorInfoMap,
): { geom: Conv2DGeom; activation: 'linear' | 'relu' | 'leakyrelu'; alpha: number } | null {
  const dil = a.dilations ?? 1;
  if ((Array.isArray(dil) ? dil.some((d) => d !== 1) : dil !== 1) || (a.dataFormat !== undefined && a.dataFormat !== 'NHWC')) return null;
  const activation = a.activation ?? 'linear';
  if (activation !== 'linear' && activation !== 'relu' && activation !== 'leakyrelu') return null;
  if (inputs.preluActivationWeights || (inputs.bias && inputs.bias.shape.length > 1)) return null;
  const [KH, KW, Ci] = filter.shape;
  const geom = conv2dGeom(x.shape, filter.shape, a.strides, a.pad as Pad, a.dimRoundingMode);
  if (geom.N * geom.OH * geom.OW > GEMM_CONV_MAX_PIXELS || KH * KW * Ci <= GEMM_MAX_INNER) return null;
  return { geom, activation, alpha: a.leakyreluAlpha ?? 0.2 };
}

/** y[m, c] ← act(y[m, c] + b[c]) in place. */
function biasActivation(y: Float32Array, b: Float32Array | null, C: number, act: 'linear' | 'relu' | 'leakyrelu', alpha: number): void {
  for (let i = 0; i < y.length; i += C) {
    for (let c = 0; c < C; c++) {
      let v = y[i + c] + (b ? (b.length === 1 ? b[0] : b[c]) : 0);
      if (act === 'relu') v = v > 0 ? v : 0;
      else if (act === 'leakyrelu') v = v > 0 ? v : alpha * v;
      y[i + c] = v;
    }
  }
}

/**
 * Conv2D as im2col + GEMM, a few filter taps per GEMM (inner size ≤ GEMM_MAX_INNER), partial outputs
 * summed. XNNPACK's own (indirect) conv runs at ~18 GFLOP/s on the small-output layers of Table 6
 * (7×7 → 3×3, M = 576 output pixels) whatever the split, its GEMM at ~29 on the same products.
 */
function conv2dGemm(s: Scratch, x: Info, filter: Info, g: Conv2DGeom): Info {
  const { N, H, W, Ci, OH, OW, Co, KH, KW, sh, sw, pt, pl } = g;
  const T = KH * KW;
  const M = N * OH * OW;
  const taps = Math.max(1, Math.floor(GEMM_MAX_INNER / Ci));
  let out: Info | null = null;
  for (let t0 = 0; t0 < T; t0 += taps) {
    const nt = Math.min(taps, T - t0);
    const R = nt * Ci;
    const cols = s.alloc([M, R]);
    const wg = s.alloc([R, Co]);
    {
      const src = s.f32(x);
      const dst = s.f32(cols);
      let b = 0;
      for (let n = 0; n < N; n++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            for (let t = t0; t < t0 + nt; t++, b += Ci) {
              const kh = Math.floor(t / KW);
              const i = oh * sh + kh - pt;
              const j = ow * sw + (t - kh * KW) - pl;
              if (i < 0 || i >= H || j < 0 || j >= W) {
                dst.fill(0, b, b + Ci);
                continue;
              }
              const a = ((n * H + i) * W + j) * Ci;
              dst.set(src.subarray(a, a + Ci), b);
            }
          }
        }
      }
      s.f32(wg).set(s.f32(filter).subarray(t0 * Ci * Co, (t0 + nt) * Ci * Co));
    }
    const y = s.matmul(cols, wg); // [M, Co]
    s.free(cols);
    s.free(wg);
    if (!out) {
      out = y;
      continue;
    }
    const acc = s.f32(out);
    const part = s.f32(y);
    for (let i = 0; i < acc.length; i++) acc[i] += part[i];
    s.free(y);
  }
  return s.reshape(out as Info, [N, OH, OW, Co]);
}

function conv2DBackpropFilterKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const x = input(args.inputs, 'x');
  const dy = input(args.inputs, 'dy');
  const a = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  assertNhwc('Conv2DBackpropFilter', a.dataFormat);
  const g = conv2dGeom(x.shape, a.filterShape, a.strides, a.pad as Pad, a.dimRoundingMode);
  return withScratch(args.backend as BackendWasm, (s) => backpropFilter(s, x, dy, g));
}

function conv2DBackpropInputKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const dy = input(args.inputs, 'dy');
  const filter = input(args.inputs, 'filter');
  const a = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  assertNhwc('Conv2DBackpropInput', a.dataFormat);
  const g = conv2dGeom(a.inputShape, filter.shape, a.strides, a.pad as Pad, a.dimRoundingMode);
  return withScratch(args.backend as BackendWasm, (s) => backpropInput(s, dy, filter, g));
}

// ---------------------------------------------------------------------------------------------
// 3-D: depth taps folded into channels

interface Conv3DGeom {
  N: number; D: number; H: number; W: number; Ci: number; OD: number; OH: number; OW: number; Co: number;
  KD: number; KH: number; KW: number; sd: number; sh: number; sw: number; pf: number; pt: number; pl: number;
}

function conv3dGeom(xShape: number[], filterShape: number[], strides: number | [number, number, number], dilations: number | [number, number, number], pad: 'valid' | 'same'): Conv3DGeom {
  const c = tf.backend_util.computeConv3DInfo(
    xShape as [number, number, number, number, number], filterShape as [number, number, number, number, number], strides, dilations, pad,
  );
  if (c.dilationDepth !== 1 || c.dilationHeight !== 1 || c.dilationWidth !== 1) {
    throw new Error('wasm Conv3D: dilations other than 1 are not supported');
  }
  return {
    N: c.batchSize, D: c.inDepth, H: c.inHeight, W: c.inWidth, Ci: c.inChannels,
    OD: c.outDepth, OH: c.outHeight, OW: c.outWidth, Co: c.outChannels,
    KD: c.filterDepth, KH: c.filterHeight, KW: c.filterWidth, sd: c.strideDepth, sh: c.strideHeight, sw: c.strideWidth,
    pf: c.padInfo.front, pt: c.padInfo.top, pl: c.padInfo.left,
  };
}

/** Explicit 2-D padding of a 3-D geometry's spatial part. */
function spatialPad(g: Conv3DGeom): ExplicitPadding {
  const pb = Math.max(0, (g.OH - 1) * g.sh + g.KH - g.H - g.pt);
  const pr = Math.max(0, (g.OW - 1) * g.sw + g.KW - g.W - g.pl);
  return [[0, 0], [g.pt, pb], [g.pl, pr], [0, 0]];
}

/** The 2-D geometry over frames: [N·OD, H, W, KD·Ci] → [N·OD, OH, OW, Co]. */
function foldedGeom(g: Conv3DGeom): Conv2DGeom {
  return conv2dGeom([g.N * g.OD, g.H, g.W, g.KD * g.Ci], [g.KH, g.KW, g.KD * g.Ci, g.Co], [g.sh, g.sw], spatialPad(g));
}

/** xf[n·OD + od, h, w, kd·Ci + ci] = x[n, od·sd + kd − pf, h, w, ci] (0 outside): depth taps as channels. */
function gatherDepthTaps(s: Scratch, x: Info, g: Conv3DGeom): Info {
  const { N, D, H, W, Ci, OD, KD, sd, pf } = g;
  const HW = H * W;
  const xf = s.alloc([N * OD, H, W, KD * Ci], true);
  const src = s.f32(x);
  const dst = s.f32(xf);
  for (let n = 0; n < N; n++) {
    for (let od = 0; od < OD; od++) {
      for (let kd = 0; kd < KD; kd++) {
        const d = od * sd + kd - pf;
        if (d < 0 || d >= D) continue;
        let a = (n * D + d) * HW * Ci;
        let b = (n * OD + od) * HW * KD * Ci + kd * Ci;
        for (let p = 0; p < HW; p++, b += KD * Ci) for (let c = 0; c < Ci; c++) dst[b + c] = src[a++];
      }
    }
  }
  return xf;
}

/** W[kd, kh, kw, ci, co] → [kh, kw, kd·ci, co], the filter of the folded 2-D conv. */
function foldFilter(s: Scratch, filter: Info, g: Conv3DGeom): Info {
  return s.reshape(s.swapMiddle(filter, 1, g.KD, g.KH * g.KW, g.Ci * g.Co), [g.KH, g.KW, g.KD * g.Ci, g.Co]);
}

function conv3dWasm(s: Scratch, x: Info, filter: Info, g: Conv3DGeom): Info {
  const xf = gatherDepthTaps(s, x, g);
  const pad = spatialPad(g);
  const y = s.conv2d(xf, foldFilter(s, filter, g), [pad[1][0], pad[1][1], pad[2][0], pad[2][1]], [1, 1], [g.sh, g.sw]);
  return s.reshape(y, [g.N, g.OD, g.OH, g.OW, g.Co]);
}

function conv3dBackpropFilterWasm(s: Scratch, x: Info, dy: Info, g: Conv3DGeom): Info {
  const xf = gatherDepthTaps(s, x, g);
  const dyf = s.reshape(dy, [g.N * g.OD, g.OH, g.OW, g.Co]);
  const dwf = backpropFilter(s, xf, dyf, foldedGeom(g)); // [KH, KW, KD·Ci, Co]
  return s.reshape(s.swapMiddle(dwf, 1, g.KH * g.KW, g.KD, g.Ci * g.Co), [g.KD, g.KH, g.KW, g.Ci, g.Co]);
}

function conv3dBackpropInputWasm(s: Scratch, dy: Info, filter: Info, g: Conv3DGeom): Info {
  const { N, D, H, W, Ci, OD, KD, sd, pf } = g;
  const HW = H * W;
  const dyf = s.reshape(dy, [N * OD, g.OH, g.OW, g.Co]);
  const yf = backpropInput(s, dyf, foldFilter(s, filter, g), foldedGeom(g)); // [N·OD, H, W, KD·Ci]
  // Scatter-add the depth taps back: dx[n, od·sd + kd − pf, h, w, :] += yf[n·OD + od, h, w, kd, :]
  const dx = s.alloc([N, D, H, W, Ci], true);
  const src = s.f32(yf);
  const dst = s.f32(dx);
  for (let n = 0; n < N; n++) {
    for (let od = 0; od < OD; od++) {
      for (let kd = 0; kd < KD; kd++) {
        const d = od * sd + kd - pf;
        if (d < 0 || d >= D) continue;
        let a = (n * OD + od) * HW * KD * Ci + kd * Ci;
        let b = (n * D + d) * HW * Ci;
        for (let p = 0; p < HW; p++, a += KD * Ci) for (let c = 0; c < Ci; c++) dst[b++] += src[a + c];
      }
    }
  }
  return dx;
}

function conv3DKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const x = input(args.inputs, 'x');
  const filter = input(args.inputs, 'filter');
  const a = args.attrs as unknown as tf.Conv3DAttrs;
  assertNhwc('Conv3D', a.dataFormat);
  const g = conv3dGeom(x.shape, filter.shape, a.strides, a.dilations, a.pad);
  return withScratch(args.backend as BackendWasm, (s) => conv3dWasm(s, x, filter, g));
}

function conv3DBackpropFilterKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const x = input(args.inputs, 'x');
  const dy = input(args.inputs, 'dy');
  const a = args.attrs as unknown as tf.Conv3DBackpropFilterV2Attrs;
  const g = conv3dGeom(x.shape, a.filterShape, a.strides, 1, a.pad);
  return withScratch(args.backend as BackendWasm, (s) => conv3dBackpropFilterWasm(s, x, dy, g));
}

function conv3DBackpropInputKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const dy = input(args.inputs, 'dy');
  const filter = input(args.inputs, 'filter');
  const a = args.attrs as unknown as tf.Conv3DBackpropInputV2Attrs;
  const g = conv3dGeom(a.inputShape, filter.shape, a.strides, 1, a.pad);
  return withScratch(args.backend as BackendWasm, (s) => conv3dBackpropInputWasm(s, dy, filter, g));
}

// ---------------------------------------------------------------------------------------------
// Tile: tfjs's wasm kernel computes every output index (~10 ns/element); batch-norm gradients tile a
// [C] vector to the activation's full size several times per step (~5% of a training iteration).
// Here each axis is tiled by copying whole contiguous blocks, last axis first.

function tileKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const x = input(args.inputs, 'x');
  const reps = (args.attrs as unknown as tf.TileAttrs).reps;
  const backend = args.backend as BackendWasm;
  if (x.dtype === 'string' || x.dtype === 'complex64') {
    const base = baseKernels.get('Tile');
    if (!base) throw new Error('wasm Tile: tfjs kernel missing');
    return base.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  }
  const shape = x.shape.slice();
  const outShape = shape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  const heap = (t: Info) => backend.typedArrayFromHeap(t) as Float32Array | Int32Array | Uint8Array;
  const dst = heap(out);
  dst.set(heap(x));
  // Invariant: dst[0, size) holds x tiled along axes > d, with shape `shape`.
  let size = shape.reduce((a, b) => a * b, 1);
  for (let d = shape.length - 1; d >= 0; d--) {
    const r = reps[d];
    if (r === 1) continue;
    const outer = shape.slice(0, d).reduce((a, b) => a * b, 1);
    const inner = size / outer; // one block along axis d and everything after it
    // Spread blocks from the back so nothing is overwritten before it is read.
    for (let o = outer - 1; o >= 0; o--) {
      const src = o * inner;
      for (let k = r - 1; k >= 0; k--) dst.copyWithin((o * r + k) * inner, src, src + inner);
    }
    shape[d] *= r;
    size *= r;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// cpu fallback for kernels wasm lacks

function cpuFallback(kernelName: string): tf.KernelFunc {
  return (args) => {
    const wasm = args.backend as BackendWasm;
    const cpu = tf.findBackend('cpu');
    const k = tf.getKernel(kernelName, 'cpu');
    if (!cpu || !k) throw new Error(`wasm ${kernelName}: no cpu kernel to fall back on`);
    const cpuInputs: tf.NamedTensorInfoMap = {};
    for (const [name, t] of Object.entries(args.inputs)) {
      if (!t) continue;
      const info: Info = t;
      cpuInputs[name] = { dataId: cpu.write(wasm.readSync(info.dataId), info.shape, info.dtype), shape: info.shape, dtype: info.dtype };
    }
    const res = k.kernelFunc({ inputs: cpuInputs, attrs: args.attrs, backend: cpu });
    const outs = Array.isArray(res) ? res : [res];
    const back = outs.map((o) => {
      const values = cpu.readSync(o.dataId) as tf.backend_util.BackendValues;
      return { dataId: wasm.write(values, o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
    });
    for (const t of [...Object.values(cpuInputs), ...outs]) if (t) cpu.disposeData(t.dataId);
    return Array.isArray(res) ? back : back[0];
  };
}

// ---------------------------------------------------------------------------------------------

let registered = false;

/**
 * Registers the kernels above on 'wasm', replacing tfjs's own where it has one. Idempotent. Call
 * after the wasm backend is registered (importing @tensorflow/tfjs-backend-wasm); `initBackend`
 * does it.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  const own: Record<(typeof WASM_TRAINING_KERNELS)[number], tf.KernelFunc> = {
    Conv2D: chunkedConv2D('Conv2D'),
    FusedConv2D: chunkedConv2D('FusedConv2D'),
    Conv2DBackpropFilter: conv2DBackpropFilterKernel as unknown as tf.KernelFunc,
    Conv2DBackpropInput: conv2DBackpropInputKernel as unknown as tf.KernelFunc,
    Conv3D: conv3DKernel as unknown as tf.KernelFunc,
    Conv3DBackpropInputV2: conv3DBackpropInputKernel as unknown as tf.KernelFunc,
    Conv3DBackpropFilterV2: conv3DBackpropFilterKernel as unknown as tf.KernelFunc,
    Tile: tileKernel as unknown as tf.KernelFunc,
  };
  for (const [kernelName, kernelFunc] of Object.entries(own)) {
    const theirs = tf.getKernel(kernelName, 'wasm');
    if (theirs) {
      baseKernels.set(kernelName, theirs);
      tf.unregisterKernel(kernelName, 'wasm');
    }
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
  for (const kernelName of CPU_FALLBACK_KERNELS) {
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: cpuFallback(kernelName) });
  }
  registered = true;
}
