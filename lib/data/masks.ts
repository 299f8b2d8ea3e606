/**
 * Occlusion masks of the learning-from-incomplete-data experiment (divergence-triangle paper §4.4,
 * Table 3, after ABP [5]): 1 = observed, 0 = missing, the same mask on every channel of a pixel.
 *  - 'P.5', 'P.7': salt-and-pepper, exactly round(p·H·W) pixels of each image missing (p = 0.5, 0.7),
 *    chosen uniformly without replacement.
 *  - 'MB10': 10 blocks of 10×10 missing per image, each placed uniformly inside the image (blocks may overlap).
 *  - 'B20', 'B30': one 20×20 or 30×30 block per image, placed uniformly inside the image.
 * Block sides are those of the paper's 64×64 images; for another height H they are scaled by H/64
 * (rounded, at least 1, at most the image side): e.g. B30 is a 15×15 block at 32×32, 7×7 at 14×14.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { SeededRng } from '../random';

export type OcclusionKind = 'P.5' | 'P.7' | 'MB10' | 'B20' | 'B30';
export const OCCLUSION_KINDS: readonly OcclusionKind[] = ['P.5', 'P.7', 'MB10', 'B20', 'B30'];

interface BlockSpec {
  count: number;
  side64: number;
}

function spec(kind: OcclusionKind): { fraction: number } | BlockSpec {
  switch (kind) {
    case 'P.5':
      return { fraction: 0.5 };
    case 'P.7':
      return { fraction: 0.7 };
    case 'MB10':
      return { count: 10, side64: 10 };
    case 'B20':
      return { count: 1, side64: 20 };
    case 'B30':
      return { count: 1, side64: 30 };
    default: {
      const never: never = kind;
      throw new UserError(`unknown occlusion mask "${never as string}": use one of ${OCCLUSION_KINDS.join(', ')}`);
    }
  }
}

/** Block side in pixels for images of height H: the 64×64 side scaled by H/64, rounded, ≥ 1, ≤ maxSide. */
export function occlusionBlockSide(kind: OcclusionKind, H: number, maxSide = H): number {
  const s = spec(kind);
  if (!('side64' in s)) throw new UserError(`${kind} is a salt-and-pepper mask and has no blocks`);
  return Math.min(maxSide, Math.max(1, Math.round((s.side64 * H) / 64)));
}

/** One line describing the mask at height H, for figure captions and tables. */
export function maskDescription(kind: OcclusionKind, H: number): string {
  const s = spec(kind);
  if ('fraction' in s) return `${kind}: salt-and-pepper, ${Math.round(s.fraction * 100)}% of pixels missing per image (chosen uniformly)`;
  const side = occlusionBlockSide(kind, H);
  const scaled = H === 64 ? 'as in the paper' : `the paper's ${s.side64}×${s.side64} at 64×64, scaled by ${H}/64`;
  return s.count === 1
    ? `${kind}: one ${side}×${side} block missing per image, uniformly placed (${scaled})`
    : `${kind}: ${s.count} random ${side}×${side} blocks missing per image, may overlap (${scaled})`;
}

function checkKind(kind: string): asserts kind is OcclusionKind {
  if (!OCCLUSION_KINDS.includes(kind as OcclusionKind)) throw new UserError(`unknown occlusion mask "${kind}": use one of ${OCCLUSION_KINDS.join(', ')}`);
}

/** The mask as a Float32Array [N, H, W] (one value per pixel), deterministic in `seed`. */
export function occlusionMaskPixels(kind: OcclusionKind, n: number, H: number, W: number, seed: number): Float32Array {
  checkKind(kind);
  const s = spec(kind);
  const plane = H * W;
  const mask = new Float32Array(n * plane).fill(1);
  if ('fraction' in s) {
    const rng = new SeededRng(seed);
    const missing = Math.round(s.fraction * plane);
    const order = new Int32Array(plane);
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < plane; p++) order[p] = p;
      // Partial Fisher–Yates: the first `missing` entries are a uniform sample without replacement.
      for (let k = 0; k < missing; k++) {
        const j = k + rng.int(plane - k);
        const t = order[k];
        order[k] = order[j];
        order[j] = t;
        mask[i * plane + order[k]] = 0;
      }
    }
    return mask;
  }
  occlusionBlocks(kind, n, H, W, seed).forEach((blocks, i) => {
    for (const b of blocks) for (let r = b.top; r < b.top + b.height; r++) mask.fill(0, i * plane + r * W + b.left, i * plane + r * W + b.left + b.width);
  });
  return mask;
}

export interface OcclusionBlock {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** The missing blocks of each image for 'MB10', 'B20', 'B30' (the rectangles occlusionMask zeroes). */
export function occlusionBlocks(kind: OcclusionKind, n: number, H: number, W: number, seed: number): OcclusionBlock[][] {
  checkKind(kind);
  const s = spec(kind);
  if (!('count' in s)) throw new UserError(`${kind} is a salt-and-pepper mask and has no blocks`);
  const rng = new SeededRng(seed);
  const height = occlusionBlockSide(kind, H, H);
  const width = Math.min(W, height);
  return Array.from({ length: n }, () => Array.from({ length: s.count }, () => ({ top: rng.int(H - height + 1), left: rng.int(W - width + 1), height, width })));
}

/**
 * Occlusion mask tensor [N, H, W, C] (float32, 1 = observed, 0 = missing), identical across channels.
 * The caller owns (and disposes) the result.
 */
export function occlusionMask(kind: OcclusionKind, shape: [number, number, number, number], seed: number): tf.Tensor4D {
  checkKind(kind);
  if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d > 0)) throw new UserError(`occlusionMask: shape must be [N, H, W, C] of positive integers (got [${shape}])`);
  const [n, H, W, C] = shape;
  const m = occlusionMaskPixels(kind, n, H, W, seed);
  if (C === 1) return tf.tensor4d(m, [n, H, W, 1]);
  const out = new Float32Array(n * H * W * C);
  for (let p = 0; p < m.length; p++) if (m[p] === 1) out.fill(1, p * C, p * C + C);
  return tf.tensor4d(out, [n, H, W, C]);
}
