/**
 * One divergence-triangle training iteration (Algorithm 1 as the authors' code: EBM, inference and
 * generator steps, each with its own Adam) on the MNIST networks of Table 6, through the library's
 * own models and trainer, plus the FLOP count of what it ran.
 */
import * as tf from '@tensorflow/tfjs';
import { buildTriangleModels } from '../../../lib/models/index';
import { objectiveScaling } from '../../../lib/objectives/index';
import { DivergenceTriangleTrainer, type OptimizerConfig } from '../../../lib/train/index';

export interface TriangleIteration {
  step(): void;
  dispose(): void;
}

/** The authors' optimizers (ENVIRONMENT.md, "Reference implementation details"). */
function adam(lr: number, weightDecay: number): OptimizerConfig {
  return { lr, beta1: 0.5, beta2: 0.999, weightDecay, clipNorm: 100, lrDecay: 0.998 };
}

/** A ready-to-step trainer on a fixed batch of `batch` random images in [-1, 1]. */
export function makeTriangleIteration(width: number, batch: number, seed = 1): TriangleIteration {
  const nets = buildTriangleModels('mnist', { width, seed });
  const trainer = new DivergenceTriangleTrainer(nets.generator, nets.inference, nets.ebm, {
    seed,
    scaling: objectiveScaling('authors'),
    optimizers: { ebm: adam(1e-4, 0), inference: adam(3e-4, 0), generator: adam(3e-4, 5e-4) },
  });
  const x = tf.randomUniform([batch, 28, 28, 1], -1, 1, 'float32', seed + 1);
  return {
    step: () => void trainer.step(x),
    dispose: () => {
      x.dispose();
      trainer.dispose();
      nets.generator.dispose();
      nets.inference.dispose();
      nets.ebm.dispose();
    },
  };
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * FLOPs (2 per multiply–add) of one kernel call of a conv or dense layer, forward or backward, from
 * its shapes; 0 for every other kernel.
 */
export function kernelFlops(name: string, inputShapes: (number[] | null)[], outputShapes: number[][]): number {
  const [a, b] = inputShapes;
  const out = outputShapes[0];
  if (!a || !b || !out) return 0;
  switch (name) {
    case 'Conv2D':
    case 'FusedConv2D': // [N, OH, OW, Co] · KH·KW·Ci
      return 2 * prod(out) * b[0] * b[1] * b[2];
    case 'Conv2DBackpropInput': // dy [N, OH, OW, Co], filter [KH, KW, Ci, Co]
      return 2 * prod(a) * b[0] * b[1] * b[2];
    case 'Conv2DBackpropFilter': // x, dy [N, OH, OW, Co] → [KH, KW, Ci, Co]
      return 2 * prod(b) * out[0] * out[1] * out[2];
    case 'Conv3D':
      return 2 * prod(out) * b[0] * b[1] * b[2] * b[3];
    case 'Conv3DBackpropInputV2':
      return 2 * prod(a) * b[0] * b[1] * b[2] * b[3];
    case 'Conv3DBackpropFilterV2':
      return 2 * prod(b) * out[0] * out[1] * out[2] * out[3];
    case 'BatchMatMul':
    case '_FusedMatMul': {
      // out [..., M, N]; the inner size is the dimension of a that is not M
      const M = out[out.length - 2];
      const K = a[a.length - 2] === M ? a[a.length - 1] : a[a.length - 2];
      return 2 * prod(out) * K;
    }
    default:
      return 0;
  }
}

/** GFLOP of conv/dense work in one call of `f`, counted from the kernels it runs (tf.profile). */
export async function countGflop(f: () => void): Promise<number> {
  const info = await tf.profile(() => {
    f();
    return [];
  });
  let flops = 0;
  for (const k of info.kernels) flops += kernelFlops(k.name, k.inputShapes as (number[] | null)[], k.outputShapes as number[][]);
  return flops / 1e9;
}
