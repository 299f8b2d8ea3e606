/**
 * Opt-in (`--sections kernels`): GFLOP/s of each Table 6 layer's three conv kernels (forward, input
 * gradient, filter gradient) at batch 64, width = the first of --widths, per backend; on wasm also each
 * formulation of the two gradients (lib/backend/wasm-kernels.ts), the measurements its 'auto' choice
 * rests on. Time is the best of 3 calls in process CPU time (robust on a shared machine).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmConvStrategy, tfBackendName, type WasmConvStrategy } from '../../../lib/backend/index';
import { registerSection } from '../registry';

type Pad = 'valid' | [[number, number], [number, number], [number, number], [number, number]];
const P1: Pad = [[0, 0], [1, 1], [1, 1], [0, 0]];

/** A layer as the conv it computes (a transposed layer: the conv it is the adjoint of). */
interface ConvLayer { name: string; x: [number, number, number, number]; k: number; co: number; s: number; pad: Pad; transposed: boolean }

function layers(N: number, w: number): ConvLayer[] {
  const c = (n: number) => Math.max(1, Math.round(n * w));
  return [
    { name: 'E/I conv1 28→14', x: [N, 28, 28, 1], k: 4, co: c(128), s: 2, pad: P1, transposed: false },
    { name: 'E/I conv2 14→7', x: [N, 14, 14, c(128)], k: 4, co: c(256), s: 2, pad: P1, transposed: false },
    { name: 'E/I conv3 7→3', x: [N, 7, 7, c(256)], k: 4, co: c(512), s: 2, pad: P1, transposed: false },
    { name: 'I heads 3→1', x: [N, 3, 3, c(512)], k: 3, co: 100, s: 1, pad: 'valid', transposed: false },
    { name: 'G convT1 1→3', x: [N, 3, 3, c(1024)], k: 3, co: 100, s: 1, pad: 'valid', transposed: true },
    { name: 'G convT2 3→7', x: [N, 7, 7, c(512)], k: 4, co: c(1024), s: 2, pad: P1, transposed: true },
    { name: 'G convT3 7→14', x: [N, 14, 14, c(256)], k: 4, co: c(512), s: 2, pad: P1, transposed: true },
    { name: 'G convT4 14→28', x: [N, 28, 28, 1], k: 4, co: c(256), s: 2, pad: P1, transposed: true },
  ];
}

function cpuMs(f: () => tf.Tensor, reps = 3): number {
  tf.dispose(f());
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const y = f();
    y.dataSync();
    y.dispose();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1e3);
  }
  return best;
}

registerSection({
  name: 'kernels',
  summary: 'per-layer conv kernel GFLOP/s (forward, grad input, grad filter) per backend',
  byDefault: false,
  async run(ctx) {
    const width = ctx.args.widths[0];
    for (const backend of ctx.backends.filter((b) => b !== 'cpu')) {
      await tf.setBackend(tfBackendName(backend));
      const variants: { label: string; s: Partial<WasmConvStrategy> }[] = backend === 'wasm'
        ? [{ label: 'auto', s: { backpropInput: 'auto', backpropFilter: 'auto' } },
          { label: 'dx subpixel', s: { backpropInput: 'subpixel' } }, { label: 'dx gemm', s: { backpropInput: 'gemm' } },
          { label: 'dW dilated', s: { backpropFilter: 'dilated' } }, { label: 'dW gemm', s: { backpropFilter: 'gemm' } }]
        : [{ label: 'auto', s: {} }];
      ctx.log(`  ${backend}, width ${width}, batch ${ctx.args.batch}: GFLOP/s by CPU time (network's view: a transposed layer's forward is Conv2DBackpropInput)`);
      for (const L of layers(ctx.args.batch, width)) {
        const x = tf.randomNormal(L.x) as tf.Tensor4D;
        const w = tf.mul(tf.randomNormal([L.k, L.k, L.x[3], L.co]), 0.05) as tf.Tensor4D;
        const y = tf.conv2d(x, w, L.s, L.pad);
        const flops = 2 * y.size * L.k * L.k * L.x[3];
        const conv = () => tf.conv2d(x, w, L.s, L.pad);
        const dx = () => tf.engine().runKernel('Conv2DBackpropInput', { dy: y, filter: w }, { strides: L.s, pad: L.pad, dataFormat: 'NHWC', inputShape: L.x } as unknown as tf.NamedAttrMap) as tf.Tensor;
        const dw = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: y }, { strides: L.s, pad: L.pad, dataFormat: 'NHWC', filterShape: [L.k, L.k, L.x[3], L.co] } as unknown as tf.NamedAttrMap) as tf.Tensor;
        const cells: string[] = [];
        const gf = (ms: number) => (flops / ms / 1e6).toFixed(1);
        for (const v of variants) {
          const prev = backend === 'wasm' ? setWasmConvStrategy(v.s) : null;
          try {
            const [fwd, bwdIn] = L.transposed ? [dx, conv] : [conv, dx];
            if (v.label === 'auto') cells.push(`fwd ${gf(cpuMs(fwd))}`, `dx ${gf(cpuMs(bwdIn))}`, `dW ${gf(cpuMs(dw))}`);
            else if (v.label.startsWith('dx')) cells.push(`${v.label} ${gf(cpuMs(dx))}`);
            else cells.push(`${v.label} ${gf(cpuMs(dw))}`);
          } finally {
            if (prev) setWasmConvStrategy(prev);
          }
        }
        ctx.log(`    ${L.name.padEnd(16)} ${(flops / 1e9).toFixed(2).padStart(6)} GFLOP  ${cells.join('  ')}`);
        tf.dispose([x, w, y]);
      }
    }
  },
});
