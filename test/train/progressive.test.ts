import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../lib/errors';
import { makeImageDataset } from '../../lib/data/types';
import { buildProgressiveModels } from '../../lib/models/progressive';
import type { OptimizerConfig } from '../../lib/train/optimizer';
import { PRESETS } from '../../lib/train/presets';
import {
  PROGRESSIVE_PRESETS,
  ProgressiveTrainer,
  growthAt,
  growthPhases,
  growthTotal,
  imagesAtResolution,
  interpolateLatents,
  latentInterpolation,
  loadProgressiveModels,
  resolveProgressivePreset,
  runProgressiveTraining,
  type ProgressivePreset,
} from '../../lib/train/progressive';

tf.setBackend('cpu');

const userError = (re: RegExp) => (e: unknown) => isUserError(e) && re.test((e as Error).message) && !(e as Error).message.includes('\n');

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Tiny growing nets: 4 channels everywhere (512/128), z of 4. */
function tinyModels(maxSize = 8, seed = 1, channels = 1) {
  return buildProgressiveModels({ maxSize, seed, width: 1 / 128, latentDim: 4, channels });
}

const ADAM: OptimizerConfig = { lr: 3e-3, beta1: 0.5, beta2: 0.999, weightDecay: 0, clipNorm: 100, lrDecay: 1 };
const SCALING = { sigma: Math.SQRT1_2, klReduction: 'mean' as const, latentNllWeight: 0.1 };

/** n images [n, size, size, 1]: smooth blobs at seeded positions, in [-1, 1]. */
function blobs(n: number, size: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const c = tf.randomUniform([n, 1, 1, 2], 0.25 * size, 0.75 * size, 'float32', seed);
    const ys = tf.reshape(tf.range(0, size), [1, size, 1, 1]);
    const xs = tf.reshape(tf.range(0, size), [1, 1, size, 1]);
    const [cy, cx] = tf.split(c, 2, 3);
    const d2 = tf.add(tf.square(tf.sub(ys, cy)), tf.square(tf.sub(xs, cx)));
    return tf.sub(tf.mul(tf.exp(tf.div(tf.neg(d2), 0.08 * size * size)), 2), 1) as tf.Tensor4D;
  });
}

test('growth schedule: phases, α = (k + 1)/F during a fade, totals, errors', () => {
  const s = { stages: 3, stableIterations: 2, fadeIterations: 3 };
  assert.deepEqual(growthPhases(s), [
    { stage: 0, start: 0, fadeEnd: 0, end: 2 },
    { stage: 1, start: 2, fadeEnd: 5, end: 7 },
    { stage: 2, start: 7, fadeEnd: 10, end: 12 },
  ]);
  assert.equal(growthTotal(s), 12);
  const seq = Array.from({ length: 13 }, (_, i) => growthAt(s, i));
  assert.deepEqual(seq.map((g) => g.stage), [0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
  const third = 1 / 3;
  const alphas = seq.map((g) => g.alpha);
  [1, 1, third, 2 * third, 1, 1, 1, third, 2 * third, 1, 1, 1, 1].forEach((a, i) => assert.ok(Math.abs(alphas[i] - a) < 1e-12, `iteration ${i}: α ${alphas[i]} ≠ ${a}`));
  // No fade: every stage starts at α = 1.
  assert.deepEqual(growthPhases({ stages: 2, stableIterations: 1, fadeIterations: 0 }).map((p) => [p.start, p.fadeEnd, p.end]), [[0, 0, 1], [1, 1, 2]]);
  assert.deepEqual(growthAt({ stages: 2, stableIterations: 1, fadeIterations: 0 }, 1), { stage: 1, alpha: 1 });
  assert.throws(() => growthPhases({ stages: 2, stableIterations: 0, fadeIterations: 1 }), userError(/stableIterations must be a positive integer/));
  assert.throws(() => growthAt(s, -1), userError(/non-negative integer/));
});

test('imagesAtResolution: block means, fade-in blend with the coarser image, errors', () => {
  // 4×4 → 2×2: means of the 2×2 blocks.
  const x = tf.tensor4d(Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);
  const r2 = imagesAtResolution(x, 2);
  assert.deepEqual(Array.from(r2.dataSync()), [2.5, 4.5, 10.5, 12.5]);
  // 4×4 → 1×1 is the global mean.
  const r1 = imagesAtResolution(x, 1);
  assert.deepEqual(Array.from(r1.dataSync()), [7.5]);
  // α = 0 at 4×4: each 2×2 block replaced by its mean; α = 1/4 blends linearly.
  const f0 = imagesAtResolution(x, 4, 0);
  const up = [2.5, 2.5, 4.5, 4.5, 2.5, 2.5, 4.5, 4.5, 10.5, 10.5, 12.5, 12.5, 10.5, 10.5, 12.5, 12.5];
  assert.deepEqual(Array.from(f0.dataSync()), up);
  const f = imagesAtResolution(x, 4, 0.25);
  Array.from(f.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - (0.25 * i + 0.75 * up[i])) < 1e-5));
  const same = imagesAtResolution(x, 4, 1);
  assert.equal(maxAbsDiff(same, x), 0);
  assert.throws(() => imagesAtResolution(x, 3), userError(/cannot be averaged down to 3×3/));
  assert.throws(() => imagesAtResolution(x, 8), userError(/cannot be averaged down/));
  assert.throws(() => imagesAtResolution(x, 2, 1.5), userError(/alpha must be in \[0, 1\]/));
  tf.dispose([x, r2, r1, f0, f, same]);
});

test('ProgressiveTrainer: stage, α and resolution per step, generated images at each resolution, flat tensor count', () => {
  const models = tinyModels(16);
  const trainer = new ProgressiveTrainer(models, { seed: 3, scaling: SCALING, optimizers: { ebm: ADAM, generator: ADAM, inference: ADAM }, schedule: { stableIterations: 2, fadeIterations: 2 } });
  assert.equal(trainer.total, 2 + 4 + 4);
  const data = blobs(4, 16, 1);
  const seen: { stage: number; alpha: number; resolution: number }[] = [];
  const counts: number[][] = [[], [], []];
  for (let i = 0; i < trainer.total; i++) {
    const m = trainer.step(data);
    seen.push({ stage: m.stage, alpha: m.alpha, resolution: m.resolution });
    assert.ok(Number.isFinite(m.D) && Number.isFinite(m.lossGen), `iteration ${i}: finite losses`);
    counts[m.stage].push(tf.memory().numTensors);
    const s = trainer.sample(2, 9);
    assert.deepEqual(s.shape, [2, m.resolution, m.resolution, 1]);
    s.dispose();
  }
  assert.equal(trainer.iteration, 10);
  assert.deepEqual(seen.map((s) => s.stage), [0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  assert.deepEqual(seen.map((s) => s.resolution), [4, 4, 8, 8, 8, 8, 16, 16, 16, 16]);
  assert.deepEqual(seen.map((s) => s.alpha), [1, 1, 0.5, 1, 1, 1, 0.5, 1, 1, 1]);
  // Within a stage the tensor count is flat (a new stage allocates its own Adam moments, the old ones are freed).
  for (const c of counts) assert.ok(c.slice(1).every((v) => v === c[1]), `tensor counts within a stage: ${c}`);
  assert.equal(counts[2][1], counts[1][1], 'stage changes free the previous optimizers');
  // Reconstruction at the current stage's resolution.
  const rec = trainer.reconstruct(data);
  assert.deepEqual(rec.shape, [4, 16, 16, 1]);
  trainer.dispose();
  models.dispose();
  tf.dispose([rec, data]);
});

test('ProgressiveTrainer: the reconstruction error falls on tiny data (stage 0 and after growing)', () => {
  const models = tinyModels(8, 2);
  const fast: OptimizerConfig = { ...ADAM, lr: 1e-2 };
  const trainer = new ProgressiveTrainer(models, { seed: 5, scaling: SCALING, optimizers: { ebm: { ...fast, lr: 1e-3 }, generator: fast, inference: fast }, schedule: { stableIterations: 20, fadeIterations: 4 } });
  const data = blobs(8, 8, 3);
  const mse: number[] = [];
  for (let i = 0; i < trainer.total; i++) mse.push(trainer.step(data).mse);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const first0 = mean(mse.slice(0, 5));
  const last0 = mean(mse.slice(15, 20));
  const grown = mse[23]; // the first 8×8 step at α = 1: the new block is still untrained
  const last1 = mean(mse.slice(-5));
  assert.ok(last0 < 0.6 * first0, `stage 0 (4×4): mse ${first0.toFixed(4)} → ${last0.toFixed(4)}`);
  assert.ok(last1 < 0.6 * grown && last1 < 0.6 * first0, `stage 1 (8×8): mse ${grown.toFixed(4)} → ${last1.toFixed(4)} (start ${first0.toFixed(4)})`);
  trainer.dispose();
  models.dispose();
  data.dispose();
});

test('runProgressiveTraining: metrics per stage, a snapshot per stage, final checkpoint that reloads', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-prog-'));
  const ds = makeImageDataset({ name: 'blobs', images: blobs(8, 8, 4), note: 'test blobs', source: 'generated' });
  const preset = resolveProgressivePreset('hires-quick', { maxSize: 8, width: 1 / 128, latentDim: 4, batchSize: 4, stableIterations: 2, fadeIterations: 2, logEvery: 1 });
  const progress: number[] = [];
  const stagesEnded: number[] = [];
  const before = tf.memory().numTensors;
  const run = await runProgressiveTraining({
    preset,
    dataset: ds,
    outDir: dir,
    seed: 7,
    snapshots: { n: 3, seed: 11 },
    onProgress: (p) => progress.push(p.resolution),
    onStageEnd: ({ stage }) => {
      stagesEnded.push(stage);
    },
  });
  assert.equal(run.summary.status, 'completed');
  assert.equal(run.summary.iterations, 6);
  assert.deepEqual(progress, [4, 4, 8, 8, 8, 8]);
  assert.deepEqual(stagesEnded, [0, 1]);
  assert.deepEqual(run.snapshots.map((s) => [s.stage, s.resolution, s.iteration, ...s.images.shape]), [[0, 4, 2, 3, 4, 4, 1], [1, 8, 6, 3, 8, 8, 1]]);
  const lines = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.stage), [0, 0, 1, 1, 1, 1]);
  assert.equal(run.summary.stageSeconds.length, 2);
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
  assert.equal(summary.resolution, 8);
  // The checkpoint rebuilds the same generator at the same stage.
  const loaded = loadProgressiveModels(dir);
  assert.equal(loaded.models.stage, 1);
  const a = run.trainer.sample(2, 5);
  const b = tf.tidy(() => loaded.models.generator.generate(tf.randomNormal([2, 4], 0, 1, 'float32', 5), false));
  assert.ok(maxAbsDiff(a, b) < 1e-6);
  tf.dispose([a, b]);
  loaded.models.dispose();
  run.dispose();
  ds.dispose();
  assert.equal(tf.memory().numTensors, before - 1, 'networks, optimizers and snapshots are freed (and the dataset, by its owner)');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('runProgressiveTraining: images of the wrong size are a UserError', async () => {
  const ds = makeImageDataset({ name: 'small', images: tf.zeros([4, 6, 6, 1]), note: '', source: 'generated' });
  await assert.rejects(runProgressiveTraining({ preset: 'hires-quick', overrides: { maxSize: 8 }, dataset: ds }), userError(/needs images \[N, 8, 8, C\]; small is \[4, 6, 6, 1\]/));
  ds.dispose();
});

test('progressive presets: the three scales, strict typed overrides', () => {
  for (const s of ['quick', 'cpu', 'paper']) assert.equal(PROGRESSIVE_PRESETS[`hires-${s}`].scale, s);
  assert.equal(PROGRESSIVE_PRESETS['hires-paper'].maxSize, 1024);
  assert.equal(PROGRESSIVE_PRESETS['hires-paper'].latentDim, 512);
  const p = resolveProgressivePreset('hires-cpu', { batchSize: 8, klReduction: 'sum' });
  assert.equal(p.batchSize, 8);
  assert.equal(PROGRESSIVE_PRESETS['hires-cpu'].batchSize, 16, 'the base preset is unchanged');
  assert.throws(() => resolveProgressivePreset('hires-huge'), userError(/unknown progressive preset "hires-huge"; valid: hires-quick/));
  assert.throws(() => resolveProgressivePreset('hires-cpu', { batchsize: 3 } as unknown as Partial<ProgressivePreset>), userError(/unknown key "batchsize"; valid keys: .*batchSize/));
  assert.throws(() => resolveProgressivePreset('hires-cpu', { name: 'x' }), userError(/name cannot be overridden/));
  assert.throws(() => resolveProgressivePreset('hires-cpu', { batchSize: 2.5 }), userError(/batchSize must be a non-negative integer, got 2.5/));
  assert.throws(() => resolveProgressivePreset('hires-cpu', { scaling: 'mine' as 'paper' }), userError(/scaling must be one of paper, authors/));
  // Texture and dynamic-texture presets are ordinary TrainPresets.
  for (const s of ['quick', 'cpu', 'paper']) {
    assert.equal(PRESETS[`texture-${s}`].arch, 'texture');
    assert.equal(PRESETS[`dyntex-${s}`].arch, 'dyntex');
    assert.equal(PRESETS[`texture-${s}`].lrDecay, 1, 'one image per epoch: no per-epoch decay');
  }
  assert.equal(PRESETS['texture-paper'].imageSize, 224);
});

test('interpolateLatents: lerp closed form; slerp keeps the norm and bisects orthogonal codes; parallel codes fall back to lerp', () => {
  const z0 = tf.tensor2d([[1, 0, 0], [2, 2, 0]]);
  const z1 = tf.tensor2d([[0, 1, 0], [1, 1, 0]]);
  const lerp = interpolateLatents(z0, z1, 3);
  assert.deepEqual(lerp.shape, [2, 3, 3]);
  assert.deepEqual(Array.from(lerp.dataSync()).map((v) => +v.toFixed(6)), [1, 0, 0, 0.5, 0.5, 0, 0, 1, 0, 2, 2, 0, 1.5, 1.5, 0, 1, 1, 0]);
  const slerp = interpolateLatents(z0, z1, 5, 'slerp');
  const v = slerp.arraySync() as number[][][];
  // Row 0: unit vectors 90° apart: the point at t is (cos(tπ/2), sin(tπ/2), 0).
  v[0].forEach((p, i) => {
    const t = i / 4;
    assert.ok(Math.abs(p[0] - Math.cos((t * Math.PI) / 2)) < 1e-5 && Math.abs(p[1] - Math.sin((t * Math.PI) / 2)) < 1e-5, `t=${t}: ${p}`);
    assert.ok(Math.abs(Math.hypot(...p) - 1) < 1e-5);
  });
  // Row 1: parallel codes: the straight line.
  v[1].forEach((p, i) => {
    const t = i / 4;
    assert.ok(Math.abs(p[0] - (2 - t)) < 1e-4 && Math.abs(p[1] - (2 - t)) < 1e-4, `parallel t=${t}: ${p}`);
  });
  assert.throws(() => interpolateLatents(z0, z1, 1), userError(/steps must be an integer ≥ 2/));
  tf.dispose([z0, z1, lerp, slerp]);
});

test('latentInterpolation: [rows, steps, H, W, C]; the ends are the generator at z0 and z1', () => {
  const models = tinyModels(8, 4, 3);
  models.setStage(1, 1);
  const before = tf.memory().numTensors;
  const frames = latentInterpolation(models.generator, { rows: 2, steps: 4, seed: 21 });
  assert.deepEqual(frames.shape, [2, 4, 8, 8, 3]);
  const ends = tf.tidy(() => {
    const z = tf.randomNormal([2, 2, 4], 0, 1, 'float32', 21);
    const [z0, z1] = tf.unstack(z, 0);
    return [models.generator.generate(z0, false), models.generator.generate(z1, false)];
  });
  const first = tf.tidy(() => tf.squeeze(tf.slice(frames, [0, 0, 0, 0, 0], [-1, 1, -1, -1, -1]), [1]));
  const last = tf.tidy(() => tf.squeeze(tf.slice(frames, [0, 3, 0, 0, 0], [-1, 1, -1, -1, -1]), [1]));
  assert.ok(maxAbsDiff(first, ends[0]) < 1e-5);
  assert.ok(maxAbsDiff(last, ends[1]) < 1e-5);
  tf.dispose([first, last, ...ends]);
  frames.dispose();
  assert.equal(tf.memory().numTensors, before);
  models.dispose();
});
