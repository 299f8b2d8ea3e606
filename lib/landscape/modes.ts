/**
 * A learned 2-D landscape against the known modes of a toy mixture (notebook 00 through lib/experiments/toy2d.ts, test/experiments/toy2d.test.ts):
 * do generator samples cover every mode, and does E = −f have a local minimum near every mode? Plus the
 * energy on a regular grid, for contour plots. The divergence-triangle paper has no 2-D experiment; these
 * are the checks the mode-collapse literature uses (samples within a radius of a mode count as hitting it).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { descentOptionsFromScale, findMinima, type FindMinimaOptions, type MinimaResult } from './minima';
import { energiesOf, type LandscapeScoreFn } from './score';

type Points = tf.Tensor | readonly (readonly number[])[];

function hostPoints(points: Points, what: string): number[][] {
  if (points instanceof tf.Tensor) {
    if (points.rank !== 2) throw new UserError(`${what}: points must be [N, D] (got [${points.shape.join(', ')}])`);
    return points.arraySync() as number[][];
  }
  return points.map((p) => [...p]);
}

function checkModes(modes: readonly (readonly number[])[], d: number, what: string): void {
  if (modes.length === 0) throw new UserError(`${what}: no modes given; pass the mixture's centres (lib/data toy2dModes)`);
  if (modes.some((m) => m.length !== d)) throw new UserError(`${what}: modes must have ${d} coordinates like the points`);
}

/** Index and distance of the nearest mode. */
function nearestMode(p: readonly number[], modes: readonly (readonly number[])[]): { mode: number; distance: number } {
  let mode = -1;
  let best = Infinity;
  modes.forEach((m, k) => {
    let s = 0;
    for (let i = 0; i < m.length; i++) s += (p[i] - m[i]) ** 2;
    if (s < best) [best, mode] = [s, k];
  });
  return { mode, distance: Math.sqrt(best) };
}

export interface ModeCoverage {
  /** [K] samples within `radius` of each mode (a sample counts for its nearest mode only). */
  counts: Int32Array;
  /** Modes hit by at least `minCount` samples. */
  covered: number;
  modes: number;
  /** Share of samples within `radius` of some mode (the literature's "high-quality samples"). */
  nearFraction: number;
  radius: number;
  minCount: number;
}

/**
 * Mode coverage of samples.
 * @param samples [N, D] (a tensor is read, not disposed)
 * @param opts.minCount samples a mode needs to count as covered (default 1% of N, at least 1)
 */
export function modeCoverage(samples: Points, modes: readonly (readonly number[])[], opts: { radius: number; minCount?: number }): ModeCoverage {
  const pts = hostPoints(samples, 'modeCoverage');
  if (pts.length === 0) throw new UserError('modeCoverage: no samples given');
  checkModes(modes, pts[0].length, 'modeCoverage');
  if (!(opts.radius > 0)) throw new UserError(`modeCoverage: radius must be > 0 (got ${opts.radius})`);
  const minCount = opts.minCount ?? Math.max(1, Math.ceil(0.01 * pts.length));
  const counts = new Int32Array(modes.length);
  let near = 0;
  for (const p of pts) {
    const { mode, distance } = nearestMode(p, modes);
    if (distance < opts.radius) {
      counts[mode]++;
      near++;
    }
  }
  return { counts, covered: counts.filter((c) => c >= minCount).length, modes: modes.length, nearFraction: near / pts.length, radius: opts.radius, minCount };
}

export interface ModeMinima {
  /** [M][D] local minima of E from the grid of starts, deepest first. */
  minima: number[][];
  energies: Float32Array;
  /** [M] starts that descended into each minimum. */
  counts: Int32Array;
  /** [M] 1 where at least one descent into the minimum met the tolerance (else the descents ran out of steps). */
  converged: Uint8Array;
  /** [M] 1 where the minimum lies on the box's boundary (the clamp held it there: not an interior minimum). */
  onBoundary: Uint8Array;
  /** [M] nearest mode within `radius`, −1 if none. */
  minimumMode: Int32Array;
  /** [K] distance from each mode to the nearest converged interior minimum (+∞ if none). */
  modeDistance: Float32Array;
  /** Modes with a converged interior minimum within `radius`. */
  modesWithMinimum: number;
  /** Converged interior minima farther than `radius` from every mode. */
  spurious: number;
  starts: number;
  radius: number;
}

export interface MinimaNearModesOptions {
  /** The square box [lo, hi]² (per coordinate) the grid of starts fills; descents are clamped to it. */
  bounds: readonly [number, number];
  /** Starts per side of the grid (default 41). */
  grid?: number;
  /** A minimum within this distance of a mode counts for it. */
  radius: number;
  /** Descent settings; default: η and tol from the energy's scale (`descentOptionsFromScale` over the
   * grid), 2,000 steps, merge within 0.05, and stalled after 20 steps without a new low (toy MLP energies are piecewise linear). */
  descent?: Partial<Omit<FindMinimaOptions, 'clamp'>>;
}

/**
 * Local minima of a 2-D energy by steepest descent (lib/landscape findMinima) from a regular grid of
 * starts over a box, matched to the mixture's modes. A minimum counts when a descent converged into it:
 * its gradient fell below tol, or (piecewise-linear energies) E stopped reaching new lows.
 */
export async function minimaNearModes(score: LandscapeScoreFn, modes: readonly (readonly number[])[], opts: MinimaNearModesOptions): Promise<ModeMinima> {
  checkModes(modes, 2, 'minimaNearModes');
  const [lo, hi] = opts.bounds;
  if (!(lo < hi)) throw new UserError(`minimaNearModes: bounds must be [lo, hi] with lo < hi (got [${lo}, ${hi}])`);
  if (!(opts.radius > 0)) throw new UserError(`minimaNearModes: radius must be > 0 (got ${opts.radius})`);
  const g = opts.grid ?? 41;
  if (!(Number.isInteger(g) && g >= 2)) throw new UserError(`minimaNearModes: grid must be an integer ≥ 2 (got ${g})`);
  const axis = gridAxis(lo, hi, g);
  const starts = tf.tensor2d(axis.flatMap((y) => axis.map((x) => [x, y])));
  let found: MinimaResult;
  try {
    const scaled = await descentOptionsFromScale(score, starts, { sample: g * g, maxSteps: 2000 });
    const defaults: FindMinimaOptions = { stepSize: scaled.stepSize, tol: scaled.tol, maxSteps: 2000, mergeDistance: 0.05, stallSteps: 20 };
    found = await findMinima(score, starts, { ...defaults, ...opts.descent, clamp: [lo, hi] });
  } finally {
    starts.dispose();
  }
  const minima = (await found.minima.array()) as number[][];
  found.minima.dispose();
  const m = minima.length;
  const converged = new Uint8Array(m);
  found.assignment.forEach((a, s) => {
    if (a >= 0 && found.converged[s]) converged[a] = 1;
  });
  const edge = 1e-6 * (hi - lo);
  const onBoundary = Uint8Array.from(minima, (p) => (p.some((v) => v <= lo + edge || v >= hi - edge) ? 1 : 0));
  const minimumMode = new Int32Array(m).fill(-1);
  const modeDistance = new Float32Array(modes.length).fill(Infinity);
  let spurious = 0;
  minima.forEach((p, k) => {
    if (!converged[k] || onBoundary[k]) return;
    const { mode, distance } = nearestMode(p, modes);
    if (distance < opts.radius) minimumMode[k] = mode;
    else spurious++;
    modes.forEach((mu, j) => {
      const d = Math.hypot(p[0] - mu[0], p[1] - mu[1]);
      if (d < modeDistance[j]) modeDistance[j] = d;
    });
  });
  return {
    minima,
    energies: found.energies,
    counts: found.counts,
    converged,
    onBoundary,
    minimumMode,
    modeDistance,
    modesWithMinimum: Array.from(modeDistance).filter((d) => d < opts.radius).length,
    spurious,
    starts: g * g,
    radius: opts.radius,
  };
}

/**
 * E = −f on a regular grid over a square box, for lib/viz contourFigure: z[j][i] = E(x_i, y_j).
 * @param n points per side (default 101)
 */
export async function energyGrid2d(score: LandscapeScoreFn, bounds: readonly [number, number], n = 101): Promise<{ x: number[]; y: number[]; z: Float32Array[] }> {
  const [lo, hi] = bounds;
  if (!(lo < hi)) throw new UserError(`energyGrid2d: bounds must be [lo, hi] with lo < hi (got [${lo}, ${hi}])`);
  if (!(Number.isInteger(n) && n >= 2)) throw new UserError(`energyGrid2d: n must be an integer ≥ 2 (got ${n})`);
  const axis = gridAxis(lo, hi, n);
  const pts = tf.tensor2d(axis.flatMap((y) => axis.map((x) => [x, y])));
  let e: Float32Array;
  try {
    e = await energiesOf(score, pts, 4096);
  } finally {
    pts.dispose();
  }
  return { x: axis, y: axis, z: axis.map((_, j) => e.slice(j * n, (j + 1) * n)) };
}

function gridAxis(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}
