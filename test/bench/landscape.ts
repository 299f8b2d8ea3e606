/**
 * Energy-landscape mapping speed: linear barriers between every pair of M minima (divergence-triangle
 * paper §4.3) on the MNIST EBM of Table 6 (`buildTriangleModels('mnist', { width }).ebm`, 784-D input),
 * plus the steepest-descent stage that finds minima and attraction–diffusion chains (Metropolis–Hastings
 * corrected Langevin) between each minimum's nearest ones, and the projected time of a whole mapping.
 *
 *   node -r ts-node/register/transpile-only test/bench/landscape.ts [options]
 *     --minima 500        M; all M(M−1)/2 pairs are interpolated (default 500)
 *     --resolution 20     points per line, both minima included (the interior ones are evaluated)
 *     --batch 1024        points per score call
 *     --width 1           EBM channel multiplier
 *     --backend auto      auto | native | wasm | cpu (DTRI_BACKEND overrides, as everywhere)
 *     --descent-starts 256 --descent-steps 10  size of the timed descent (a full batch, as a mapping runs)
 *     --ad-nearest 4 --ad-steps 20             attraction–diffusion: pairs per minimum, timed steps per chain
 *
 * The M "minima" are random images in [-1, 1]: the cost of a line does not depend on where it runs, and an
 * untrained EBM has no meaningful minima to find. Memory stays bounded by --batch whatever M is.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendPreference } from '../../lib/backend';
import { buildTriangleModels } from '../../lib/models';
import { adBarriers, ebmLandscapeScore, findMinima, linearBarriers, nearestPairs } from '../../lib/landscape';

export interface LandscapeBenchOptions {
  minima?: number;
  resolution?: number;
  batchSize?: number;
  width?: number;
  backend?: BackendPreference;
  descentStarts?: number;
  descentSteps?: number;
  /** Attraction–diffusion between each minimum and its k nearest (default 4), timed over this many steps (default 20). */
  adNearest?: number;
  adSteps?: number;
  /** Called with each finished line of the report. */
  log?: (line: string) => void;
}

export interface LandscapeBenchResult {
  backend: string;
  energy: string;
  minima: number;
  pairs: number;
  /** Score evaluations of the barrier stage (interior points of every line). */
  evaluations: number;
  seconds: number;
  /** CPU seconds of this process during the barrier stage (on a shared machine, wall time overstates the cost). */
  cpuSeconds: number;
  pairsPerSecond: number;
  evaluationsPerSecond: number;
  /** The score alone on batches of the same size, for comparison: the barrier stage's overhead is the gap. */
  scoreOnlyEvaluationsPerSecond: number;
  /** Forward GFLOP/s of the barrier stage (convolutions and dense layers counted, 2 FLOP per multiply–add). */
  gflops: number;
  /** Steepest descent: gradient evaluations (forward + backward) per second. */
  descentStepsPerSecond: number;
  /** Projected time for the paper-size run (500 minima, resolution 20) at the measured rate. */
  projectedSeconds500: number;
  /** Attraction–diffusion: Langevin steps (forward + backward, MH test) of all chains per second. */
  adChainStepsPerSecond: number;
  /** Projected time of a whole mapping of 500 minima: descents from 1,000 starts (720 steps each, the
   * median measured on a triangle EBM of MNIST), straight lines between all pairs, attraction–diffusion
   * both ways between nearest pairs (371 steps per chain, measured likewise). */
  projectedMappingSeconds500: number;
}

/** Runs the landscape benchmark on the selected backend and returns (and logs) its numbers. */
export async function benchLandscape(opts: LandscapeBenchOptions = {}): Promise<LandscapeBenchResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const m = opts.minima ?? 500;
  const resolution = opts.resolution ?? 20;
  const batchSize = opts.batchSize ?? 1024;
  const width = opts.width ?? 1;
  const report = await initBackend({ prefer: opts.backend ?? 'auto' });
  log(report.describe);

  const { ebm, generator, inference } = buildTriangleModels('mnist', { width, seed: 1 });
  generator.dispose();
  inference.dispose();
  const score = ebmLandscapeScore(ebm);
  const flopsPerImage = mnistEbmFlops(width);
  const energy = `Table-6 MNIST conv EBM, width ${width} (${(flopsPerImage / 1e6).toFixed(1)} MFLOP per forward)`;
  log(`energy: ${energy}`);

  // Warm-up: first calls compile kernels / allocate.
  const warm = tf.randomUniform([Math.min(batchSize, 64), 28, 28, 1], -1, 1, 'float32', 7);
  tf.tidy(() => score(warm).dataSync());
  warm.dispose();

  // The backend's own rate on full batches, to compare the barrier stage with.
  const batch = tf.randomUniform([batchSize, 28, 28, 1], -1, 1, 'float32', 9);
  const b0 = performance.now();
  for (let i = 0; i < 2; i++) tf.tidy(() => score(batch).dataSync());
  const scoreOnlyEvaluationsPerSecond = (2 * batchSize) / ((performance.now() - b0) / 1000);
  batch.dispose();
  log(`score alone: ${scoreOnlyEvaluationsPerSecond.toFixed(0)} evaluations/s at batch ${batchSize}`);

  const points = tf.randomUniform([m, 28, 28, 1], -1, 1, 'float32', 11);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await linearBarriers(score, points, undefined, { resolution, batchSize });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const pairs = r.pairs.length;
  const evaluationsPerSecond = r.evaluations / seconds;
  log(
    `linear barriers: ${m} minima, ${pairs} pairs × ${resolution} points (${r.evaluations} evaluations) in ${seconds.toFixed(1)} s: ` +
      `${(pairs / seconds).toFixed(1)} pairs/s, ${evaluationsPerSecond.toFixed(0)} evaluations/s, ` +
      `${((evaluationsPerSecond * flopsPerImage) / 1e9).toFixed(1)} GFLOP/s (process CPU time ${cpuSeconds.toFixed(1)} s)`,
  );
  points.dispose();

  const starts = opts.descentStarts ?? 256;
  const steps = opts.descentSteps ?? 10;
  const s0 = tf.randomUniform([starts, 28, 28, 1], -1, 1, 'float32', 13);
  const d0 = performance.now();
  // A tolerance no moving point meets and no window rule: every start takes exactly `steps` steps.
  const mr = await findMinima(score, s0, { stepSize: 1e-3, maxSteps: steps, tol: Number.MIN_VALUE, window: 0, clamp: [-1, 1], batchSize: starts });
  const dSeconds = (performance.now() - d0) / 1000;
  const descentStepsPerSecond = (starts * steps) / dSeconds;
  log(`steepest descent: ${starts} starts × ${steps} steps in ${dSeconds.toFixed(1)} s: ${descentStepsPerSecond.toFixed(0)} gradient evaluations/s`);

  // Attraction–diffusion between the descent ends' nearest pairs; a radius no chain meets and patience =
  // steps make every chain run exactly adSteps steps.
  const adSteps = opts.adSteps ?? 20;
  const adPairs = await nearestPairs(mr.minima, Math.min(opts.adNearest ?? 4, mr.energies.length - 1));
  const a0 = performance.now();
  const ad = await adBarriers(score, mr.minima, adPairs, { alpha: 1, temperature: 1e-4, stepSize: 1e-3, steps: adSteps, patience: adSteps, radius: 1e-9, clamp: [-1, 1], batchSize: 256 });
  const aSeconds = (performance.now() - a0) / 1000;
  const adChainStepsPerSecond = (adPairs.length * ad.trials * adSteps) / aSeconds;
  log(`attraction–diffusion: ${adPairs.length} pairs × ${ad.trials} chains × ${adSteps} steps in ${aSeconds.toFixed(1)} s: ${adChainStepsPerSecond.toFixed(0)} chain steps/s (MH acceptance ${ad.acceptance.toFixed(2)})`);
  tf.dispose([s0, mr.minima]);
  ebm.dispose();

  const fullEvaluations = ((500 * 499) / 2) * (20 - 2);
  const projectedSeconds500 = fullEvaluations / evaluationsPerSecond;
  log(`projected: 500 minima at resolution 20 (${fullEvaluations} evaluations) ≈ ${(projectedSeconds500 / 60).toFixed(1)} min on this backend`);
  // Nearest-4 pairs of 500 minima, each unordered pair once: about 3 per minimum.
  const mapping = (1000 * 720) / descentStepsPerSecond + projectedSeconds500 + (1500 * 2 * 371) / adChainStepsPerSecond;
  log(`projected whole mapping (1,000 descents, 500 minima, all straight lines, AD between nearest 4) ≈ ${(mapping / 60).toFixed(1)} min`);
  return {
    backend: report.name,
    energy,
    minima: m,
    pairs,
    evaluations: r.evaluations,
    seconds,
    cpuSeconds,
    pairsPerSecond: pairs / seconds,
    evaluationsPerSecond,
    scoreOnlyEvaluationsPerSecond,
    gflops: (evaluationsPerSecond * flopsPerImage) / 1e9,
    descentStepsPerSecond,
    projectedSeconds500,
    adChainStepsPerSecond,
    projectedMappingSeconds500: mapping,
  };
}

/** Forward FLOPs of one 28×28 image through the Table-6 MNIST EBM (convs 4×4 s2: 1→128→256→512, dense head). */
function mnistEbmFlops(width: number): number {
  const c = (n: number): number => Math.max(1, Math.round(n * width));
  const conv = (hOut: number, cin: number, cout: number, k: number): number => 2 * hOut * hOut * cout * k * k * cin;
  return conv(14, 1, c(128), 4) + conv(7, c(128), c(256), 4) + conv(3, c(256), c(512), 4) + 2 * 3 * 3 * c(512);
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

if (require.main === module) {
  benchLandscape({
    minima: Number(arg('minima', '500')),
    resolution: Number(arg('resolution', '20')),
    batchSize: Number(arg('batch', '1024')),
    width: Number(arg('width', '1')),
    backend: arg('backend', 'auto') as BackendPreference,
    descentStarts: Number(arg('descent-starts', '256')),
    descentSteps: Number(arg('descent-steps', '10')),
    adNearest: Number(arg('ad-nearest', '4')),
    adSteps: Number(arg('ad-steps', '20')),
  }).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
