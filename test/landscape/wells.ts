/**
 * Hand-built energies with known structure for the landscape tests, plus float64 references computed
 * independently of tf (golden-section searches on the closed form).
 *
 * f(x) = Σ_k a_k exp(−‖x − μ_k‖² / (2σ_k²)), E = −f: a well of depth ≈ a_k at each μ_k; a negative a_k is a hill.
 */
import * as tf from '@tensorflow/tfjs';
import type { LandscapeScoreFn } from '../../lib/landscape/score';
import { SeededRng } from '../../lib/random';

export interface Well {
  center: number[];
  amplitude: number;
  sigma: number;
}

/** The tf score of a sum of Gaussian wells; x may be [N, D] or [N, ...shape] with Π shape = D. */
export function wellsScore(wells: readonly Well[]): LandscapeScoreFn {
  const d = wells[0].center.length;
  const mu = tf.tensor2d(wells.map((w) => w.center)); // [K, D]; kept for the life of the test process
  const amp = tf.tensor1d(wells.map((w) => w.amplitude));
  const inv2s2 = tf.tensor1d(wells.map((w) => 1 / (2 * w.sigma * w.sigma)));
  tf.keep(mu);
  tf.keep(amp);
  tf.keep(inv2s2);
  return (x) =>
    tf.tidy(() => {
      const flat = x.reshape([x.shape[0], 1, d]);
      const r2 = flat.sub(mu.expandDims(0)).square().sum(2); // [N, K]
      return r2.mul(inv2s2).neg().exp().mul(amp).sum(1) as tf.Tensor1D;
    });
}

/** E(x) in float64. */
export function wellsEnergy(wells: readonly Well[], x: readonly number[]): number {
  let f = 0;
  for (const w of wells) {
    let r2 = 0;
    for (let i = 0; i < x.length; i++) r2 += (x[i] - w.center[i]) ** 2;
    f += w.amplitude * Math.exp(-r2 / (2 * w.sigma * w.sigma));
  }
  return -f;
}

/** argmin (or argmax with sign −1) of g on [lo, hi], g unimodal there: golden-section search in float64. */
export function golden(g: (t: number) => number, lo: number, hi: number, sign = 1): { t: number; value: number } {
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  for (let it = 0; it < 200 && b - a > 1e-13; it++) {
    const c = b - phi * (b - a);
    const d = a + phi * (b - a);
    if (sign * g(c) < sign * g(d)) b = d;
    else a = c;
  }
  const t = (a + b) / 2;
  return { t, value: g(t) };
}

/** A point on the line p + t·u. */
export function onLine(p: readonly number[], u: readonly number[], t: number): number[] {
  return p.map((pi, i) => pi + t * u[i]);
}

/**
 * Wells centred at base + c_k·u on one line (u a unit vector). Every centre is on the line, so reflecting
 * across it maps the energy onto itself: the minima lie on the line and the line is the minimum-energy
 * path between neighbours, whose saddle is the highest point of E on the line between them.
 */
export function collinearWells(base: readonly number[], u: readonly number[], positions: readonly number[], amplitudes: readonly number[], sigma: number): Well[] {
  return positions.map((c, k) => ({ center: onLine(base, u, c), amplitude: amplitudes[k], sigma }));
}

/** Minima (line coordinate, energy) near each centre, and saddles between neighbours, in float64. */
export function collinearReference(
  wells: readonly Well[],
  base: readonly number[],
  u: readonly number[],
  positions: readonly number[],
): { minima: { t: number; energy: number }[]; saddles: { t: number; energy: number }[] } {
  const g = (t: number): number => wellsEnergy(wells, onLine(base, u, t));
  const minima = positions.map((c) => {
    const r = golden(g, c - 1, c + 1);
    return { t: r.t, energy: r.value };
  });
  const saddles = minima.slice(1).map((m, k) => {
    const r = golden(g, minima[k].t, m.t, -1);
    return { t: r.t, energy: r.value };
  });
  return { minima, saddles };
}

/** A deterministic unit vector in D dimensions and a deterministic offset (mulberry32 stream: lib/random's SeededRng from the raw state `seed`). */
export function seededVector(d: number, seed: number, scale = 1): number[] {
  const rng = SeededRng.fromState(seed);
  return Array.from({ length: d }, () => (rng.next() * 2 - 1) * scale);
}

export function unit(v: readonly number[]): number[] {
  const n = Math.sqrt(v.reduce((a, b) => a + b * b, 0));
  return v.map((x) => x / n);
}

/** `count` points around each centre: centre + jitter (uniform per coordinate in ±spread), labelled by well. */
export function jitteredStarts(centers: readonly (readonly number[])[], count: number, spread: number, seed: number): { points: number[][]; labels: number[] } {
  const points: number[][] = [];
  const labels: number[] = [];
  centers.forEach((c, k) => {
    for (let i = 0; i < count; i++) {
      const j = seededVector(c.length, seed + 1000 * k + i, spread);
      points.push(c.map((ci, q) => ci + j[q]));
      labels.push(k);
    }
  });
  return { points, labels };
}

/**
 * A piecewise-linear energy with minima on kinks, like a ReLU network's: E(x) = min_k (s_k‖x − c_k‖₁ + e_k),
 * the lower envelope of L1 cones. Where cone k is the envelope, ∇E = s_k·sign(x − c_k), of norm s_k√D
 * everywhere (it never vanishes); each apex c_k that lies below the other cones is a local minimum of
 * energy e_k, and between two apexes the envelope's highest point on the straight line is where the
 * cones cross.
 */
export interface Cone {
  center: number[];
  slope: number;
  depth: number;
}

/** The tf score f = −E of a lower envelope of L1 cones; x may be [N, D] or [N, ...shape]. */
export function conesScore(cones: readonly Cone[]): LandscapeScoreFn {
  const d = cones[0].center.length;
  const c = tf.keep(tf.tensor2d(cones.map((k) => k.center))); // [K, D]; kept for the life of the test process
  const s = tf.keep(tf.tensor1d(cones.map((k) => k.slope)));
  const e = tf.keep(tf.tensor1d(cones.map((k) => k.depth)));
  return (x) =>
    tf.tidy(() => {
      const l1 = x.reshape([x.shape[0], 1, d]).sub(c.expandDims(0)).abs().sum(2); // [N, K]
      return l1.mul(s).add(e).min(1).neg() as tf.Tensor1D;
    });
}

/** E(x) of the cones in float64. */
export function conesEnergy(cones: readonly Cone[], x: readonly number[]): number {
  let best = Infinity;
  for (const k of cones) {
    let l1 = 0;
    for (let i = 0; i < x.length; i++) l1 += Math.abs(x[i] - k.center[i]);
    best = Math.min(best, k.slope * l1 + k.depth);
  }
  return best;
}
