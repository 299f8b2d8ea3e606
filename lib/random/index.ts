/**
 * Deterministic randomness for training. tf.randomNormal is reproducible only given a seed, so every
 * random draw of a trainer takes a seed derived from (run seed, iteration, stream): a resumed run
 * redraws exactly the noise an uninterrupted run would have drawn, with no hidden generator state.
 * `SeededRng` is a small sequential generator (mulberry32) for host-side choices; its state is one
 * number, so it checkpoints trivially.
 */

/** splitmix32-style finalizer: a bijective avalanche of a 32-bit integer. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A 32-bit seed that depends on every part, e.g. `deriveNoiseSeed(runSeed, iteration, NOISE_STREAM.prior)`.
 * Parts are integers (negative and > 2³² values are folded in too). Different parts give
 * independent-looking seeds; the same parts give the same seed.
 */
export function deriveNoiseSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    if (!Number.isFinite(p)) throw new Error(`deriveNoiseSeed: non-finite part ${p}`);
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    h = mix32((h ^ lo) + 0x7f4a7c15);
    if (hi !== 0) h = mix32((h ^ hi) + 0x7f4a7c15);
  }
  return h;
}

/** Alias of deriveNoiseSeed for lib/data (not re-exported: lib/models exports its own deriveSeed). */
export const deriveSeed = deriveNoiseSeed;

/** Stream ids, so the noise of different roles in one iteration never shares a seed. */
export const NOISE_STREAM = {
  /** z ~ p(z) = N(0, I) for generator samples x̃ = g_θ(z). */
  prior: 1,
  /** ε of the reparameterization z̃ = μ_φ(x) + σ_φ(x)·ε. */
  posterior: 2,
  /** e of x̃ = g_θ(z) + σe, a sample of p_θ(x|z) (Algorithm 1 line 4). */
  likelihood: 3,
  /** free for trainers that need more (Langevin, masks, ...): use 16 and above. */
  extra: 16,
} as const;

/** mulberry32: a tiny sequential PRNG with a one-number state. */
export class SeededRng {
  private s: number;

  constructor(seed: number) {
    this.s = deriveNoiseSeed(seed);
  }

  /** The whole state; `SeededRng.fromState(rng.state)` continues the same stream. */
  get state(): number {
    return this.s;
  }

  static fromState(state: number): SeededRng {
    const r = new SeededRng(0);
    r.s = state >>> 0;
    return r;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform 32-bit integer, e.g. a seed for tf.random*. */
  nextUint32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
