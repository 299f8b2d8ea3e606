/**
 * Training kernels for the wasm backend.
 *
 * tfjs-backend-wasm 4.22 can run the forward pass of the papers' networks fast (XNNPACK) but not
 * train them: it has no Conv2DBackpropFilter, its Conv2DBackpropInput (= conv2dTranspose, every
 * generator layer) is a scalar loop at ~5 GFLOP/s, and its Conv3DBackpropFilterV2 is wrong at
 * stride 2. Everything here is rewritten onto the one fast primitive wasm exposes, the XNNPACK
 * stride-1 (possibly dilated) Conv2D, plus cheap data movement:
 *
 * - Conv2DBackpropFilter: dW = conv2d of the transposed input with the transposed output gradient,
 *   the forward stride becoming a dilation (batch and channel swap roles).
 * - Conv2DBackpropInput: sub-pixel decomposition. A stride-s transposed conv is s² stride-1 convs
 *   with the filter's phases; they are stacked on the output-channel axis so one XNNPACK conv does
 *   all of them, then a scatter interleaves the phases.
 * - Conv3D and its two gradients: the kernel's depth taps are folded into channels so each becomes a
 *   single 2-D kernel above over [N·D, H, W, kd·C].
 * - Kernels wasm lacks but cpu has (UnsortedSegmentSum, Einsum, depthwise backprops) run on the cpu
 *   backend with a copy each way: right, not fast.
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
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'Conv3D',
  'Conv3DBackpropInputV2',
  'Conv3DBackpropFilterV2',
] as const;

/** Kernels wasm lacks that run on cpu with a copy each way. */
const CPU_FALLBACK_KERNELS = [
  'UnsortedSegmentSum',
  'Einsum',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
];

/** Intermediate TensorInfos of one kernel call, freed together. */
class Scratch {
  private readonly owned: Info[] = [];
  constructor(readonly backend: BackendWasm) {}

  /** Runs another wasm kernel directly (no autograd recording, no engine bookkeeping). */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): Info {
    const k = tf.getKernel(kernelName, 'wasm');
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
  transpose(x: Info, perm: number[]): Info {
    return this.run('Transpose', { x }, { perm });
  }
  slice(x: Info, begin: number[], size: number[]): Info {
    return this.run('Slice', { x }, { begin, size });
  }
  /** XNNPACK convolution with explicit non-negative pads [top, bottom, left, right]. */
  conv2d(x: Info, filter: Info, pads: [number, number, number, number], dilations: [number, number] = [1, 1], strides: [number, number] = [1, 1]): Info {
    const [t, b, l, r] = pads;
    const pad: ExplicitPadding = [[0, 0], [t, b], [l, r], [0, 0]];
    return this.run('Conv2D', { x, filter }, { strides, pad, dataFormat: 'NHWC', dilations } as unknown as tf.NamedAttrMap);
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
export function conv2dBackpropFilterWasm(s: Scratch, x: Info, dy: Info, g: Conv2DGeom): Info {
  const { N, H, W, Ci, OH, OW, Co, KH, KW, sh, sw, pt, pl } = g;
  assertShape('Conv2DBackpropFilter dy', dy.shape, [N, OH, OW, Co]);
  // Rows of x past the last one any output reads are cut; missing ones are zero-padded.
  const [, hUsed, , pb] = cropOrPad(H, 0, KH + (OH - 1) * sh - H - pt);
  const [, wUsed, , pr] = cropOrPad(W, 0, KW + (OW - 1) * sw - W - pl);
  const xc = hUsed < H || wUsed < W ? s.slice(x, [0, 0, 0, 0], [N, hUsed, wUsed, Ci]) : x;
  const xT = s.transpose(xc, [3, 1, 2, 0]);
  const dyT = s.transpose(dy, [1, 2, 0, 3]);
  const dw = s.conv2d(xT, dyT, [pt, pb, pl, pr], [sh, sw]);
  assertShape('Conv2DBackpropFilter result', dw.shape, [Ci, KH, KW, Co]);
  return s.transpose(dw, [1, 2, 0, 3]);
}

/**
 * dx[n,i,j,ci] = Σ dy[n,oh,ow,co] · W[kh,kw,ci,co] over oh·sh + kh − pt = i, ow·sw + kw − pl = j.
 * With u = i + pt = sh·q + r, the taps kh = r + sh·t give dx at phase r as a stride-1 correlation of
 * dy with that phase's flipped taps. All sh·sw phases are computed by one conv whose output
 * channels are (rh, rw, ci); phases with fewer taps get zero taps in front.
 */
export function conv2dBackpropInputWasm(s: Scratch, dy: Info, filter: Info, g: Conv2DGeom): Info {
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
  const dyc = nh < OH || nw < OW ? s.slice(dy, [0, bh, bw, 0], [N, nh, nw, Co]) : dy;
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

function conv2DBackpropFilterKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const x = input(args.inputs, 'x');
  const dy = input(args.inputs, 'dy');
  const a = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  assertNhwc('Conv2DBackpropFilter', a.dataFormat);
  const g = conv2dGeom(x.shape, a.filterShape, a.strides, a.pad as Pad, a.dimRoundingMode);
  return withScratch(args.backend as BackendWasm, (s) => conv2dBackpropFilterWasm(s, x, dy, g));
}

function conv2DBackpropInputKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const dy = input(args.inputs, 'dy');
  const filter = input(args.inputs, 'filter');
  const a = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  assertNhwc('Conv2DBackpropInput', a.dataFormat);
  const g = conv2dGeom(a.inputShape, filter.shape, a.strides, a.pad as Pad, a.dimRoundingMode);
  return withScratch(args.backend as BackendWasm, (s) => conv2dBackpropInputWasm(s, dy, filter, g));
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

/** xf[n, od, h, w, kd, ci] = x[n, od·sd + kd − pf, h, w, ci] (0 outside): the depth taps as channels. */
function gatherDepthTaps(s: Scratch, x: Info, g: Conv3DGeom): Info {
  const { N, D, H, W, Ci, OD, KD, sd, pf } = g;
  const frame = H * W * Ci;
  const taps = s.alloc([N, OD, KD, H, W, Ci]);
  const src = s.f32(x);
  const dst = s.f32(taps);
  for (let n = 0; n < N; n++) {
    for (let od = 0; od < OD; od++) {
      for (let kd = 0; kd < KD; kd++) {
        const d = od * sd + kd - pf;
        const o = ((n * OD + od) * KD + kd) * frame;
        if (d < 0 || d >= D) dst.fill(0, o, o + frame);
        else dst.set(src.subarray((n * D + d) * frame, (n * D + d + 1) * frame), o);
      }
    }
  }
  const t = s.transpose(taps, [0, 1, 3, 4, 2, 5]);
  return s.reshape(t, [N * OD, H, W, KD * Ci]);
}

function conv3dWasm(s: Scratch, x: Info, filter: Info, g: Conv3DGeom): Info {
  const xf = gatherDepthTaps(s, x, g);
  // W[kd, kh, kw, ci, co] → [kh, kw, kd·ci, co]
  const wf = s.reshape(s.transpose(filter, [1, 2, 0, 3, 4]), [g.KH, g.KW, g.KD * g.Ci, g.Co]);
  const pad = spatialPad(g);
  const y = s.conv2d(xf, wf, [pad[1][0], pad[1][1], pad[2][0], pad[2][1]], [1, 1], [g.sh, g.sw]);
  return s.reshape(y, [g.N, g.OD, g.OH, g.OW, g.Co]);
}

function conv3dBackpropFilterWasm(s: Scratch, x: Info, dy: Info, g: Conv3DGeom): Info {
  const xf = gatherDepthTaps(s, x, g);
  const dyf = s.reshape(dy, [g.N * g.OD, g.OH, g.OW, g.Co]);
  const dwf = conv2dBackpropFilterWasm(s, xf, dyf, foldedGeom(g)); // [KH, KW, KD·Ci, Co]
  const dw = s.reshape(dwf, [g.KH, g.KW, g.KD, g.Ci, g.Co]);
  return s.transpose(dw, [2, 0, 1, 3, 4]);
}

function conv3dBackpropInputWasm(s: Scratch, dy: Info, filter: Info, g: Conv3DGeom): Info {
  const { N, D, H, W, Ci, OD, KD, sd, pf } = g;
  const wf = s.reshape(s.transpose(filter, [1, 2, 0, 3, 4]), [g.KH, g.KW, KD * Ci, g.Co]);
  const dyf = s.reshape(dy, [N * OD, g.OH, g.OW, g.Co]);
  const yf = conv2dBackpropInputWasm(s, dyf, wf, foldedGeom(g)); // [N·OD, H, W, KD·Ci]
  // Scatter-add the depth taps back: dx[n, od·sd + kd − pf] += yf[n, od, :, :, kd, :]
  const taps = s.transpose(s.reshape(yf, [N, OD, H, W, KD, Ci]), [0, 1, 4, 2, 3, 5]);
  const frame = H * W * Ci;
  const dx = s.alloc([N, D, H, W, Ci], true);
  const src = s.f32(taps);
  const dst = s.f32(dx);
  for (let n = 0; n < N; n++) {
    for (let od = 0; od < OD; od++) {
      for (let kd = 0; kd < KD; kd++) {
        const d = od * sd + kd - pf;
        if (d < 0 || d >= D) continue;
        const a = ((n * OD + od) * KD + kd) * frame;
        const b = (n * D + d) * frame;
        for (let e = 0; e < frame; e++) dst[b + e] += src[a + e];
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
    Conv2DBackpropFilter: conv2DBackpropFilterKernel as unknown as tf.KernelFunc,
    Conv2DBackpropInput: conv2DBackpropInputKernel as unknown as tf.KernelFunc,
    Conv3D: conv3DKernel as unknown as tf.KernelFunc,
    Conv3DBackpropInputV2: conv3DBackpropInputKernel as unknown as tf.KernelFunc,
    Conv3DBackpropFilterV2: conv3DBackpropFilterKernel as unknown as tf.KernelFunc,
  };
  for (const [kernelName, kernelFunc] of Object.entries(own)) {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
  for (const kernelName of CPU_FALLBACK_KERNELS) {
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: cpuFallback(kernelName) });
  }
  registered = true;
}
