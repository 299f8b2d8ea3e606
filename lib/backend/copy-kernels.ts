/**
 * Slice and PadV2 as block copies, for the CPU-storage backends (registered by native.ts).
 *
 * Why: tfjs-backend-cpu copies a non-contiguous slice, and every pad, one element at a time through
 * index→coordinate conversions (sliceImpl, padV2Impl). The 3-D layers (lib/models: Conv3d pads its
 * input, ConvTranspose3d crops its output, and each one's gradient is the other) spent ~1 s per
 * 32×64×64×3 clip in them, 85% of a dynamic-texture training step (measured with tf.profile). Here the
 * innermost run that is contiguous in both tensors (the trailing axes the slice/pad leaves whole, times the
 * first axis it cuts) is copied with TypedArray.set, one call per row of outer coordinates.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Values = Float32Array | Int32Array | Uint8Array;

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Strings and complex numbers stay with the cpu kernels. */
function handles(dtype: tf.DataType): boolean {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
}

function newValues(dtype: tf.DataType, n: number): Values {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
    default:
      throw new Error(`copy kernels: unsupported dtype ${dtype}`);
  }
}

/**
 * Copies the box `size` at `srcStart` of src (shape srcShape) to `dstStart` of dst (shape dstShape).
 * All arrays have the same rank.
 */
function copyBox(src: Values, srcShape: readonly number[], srcStart: readonly number[], dst: Values, dstShape: readonly number[], dstStart: readonly number[], size: readonly number[]): void {
  const rank = size.length;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  if (size.some((d) => d === 0)) return;
  const ss = strides(srcShape);
  const ds = strides(dstShape);
  // Trailing axes copied whole in both tensors merge into one run with the first axis that is not.
  let inner = rank - 1;
  while (inner > 0 && size[inner] === srcShape[inner] && size[inner] === dstShape[inner]) inner--;
  const run = size[inner] * ss[inner];
  const outer = size.slice(0, inner);
  const count = outer.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(inner).fill(0);
  let srcBase = srcStart.reduce((acc, v, i) => acc + v * ss[i], 0);
  let dstBase = dstStart.reduce((acc, v, i) => acc + v * ds[i], 0);
  for (let r = 0; r < count; r++) {
    dst.set(src.subarray(srcBase, srcBase + run), dstBase);
    // Odometer over the outer axes.
    for (let a = inner - 1; a >= 0; a--) {
      idx[a]++;
      srcBase += ss[a];
      dstBase += ds[a];
      if (idx[a] < outer[a]) break;
      srcBase -= ss[a] * outer[a];
      dstBase -= ds[a] * outer[a];
      idx[a] = 0;
    }
  }
}

/** tf.slice: attrs begin and size (−1 = to the end), normalized as tfjs's own kernels do. */
export function sliceCopyKernel(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args as unknown as { inputs: { x: tf.TensorInfo }; backend: MathBackendCPU; attrs: { begin: number | number[]; size: number | number[] } };
  const { x } = inputs;
  if (!handles(x.dtype)) return tf.getKernel(tf.Slice, 'cpu').kernelFunc(args) as tf.TensorInfo;
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);
  const src = backend.data.get(x.dataId).values as Values;
  const out = newValues(x.dtype, size.reduce((a, b) => a * b, 1));
  copyBox(src, x.shape, begin, out, size, new Array<number>(size.length).fill(0), size);
  return backend.makeTensorInfo(size, x.dtype, out);
}

/** tf.pad: attrs paddings [[before, after], …] and constantValue. */
export function padCopyKernel(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args as unknown as { inputs: { x: tf.TensorInfo }; backend: MathBackendCPU; attrs: { paddings: [number, number][]; constantValue: number } };
  const { x } = inputs;
  if (!handles(x.dtype)) return tf.getKernel(tf.PadV2, 'cpu').kernelFunc(args) as tf.TensorInfo;
  const outShape = x.shape.map((d, i) => attrs.paddings[i][0] + d + attrs.paddings[i][1]);
  const src = backend.data.get(x.dataId).values as Values;
  const out = newValues(x.dtype, outShape.reduce((a, b) => a * b, 1));
  if (attrs.constantValue !== 0) out.fill(attrs.constantValue);
  copyBox(src, x.shape, new Array<number>(x.shape.length).fill(0), out, outShape, attrs.paddings.map((p) => p[0]), x.shape);
  return backend.makeTensorInfo(outShape, x.dtype, out);
}

