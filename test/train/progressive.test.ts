import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../lib/errors';
import { makeImageDataset, type ImageDataset } from '../../lib/data/types';
import { buildProgressiveModels } from '../../lib/models/progressive';
import type { Module } from '../../lib/models/types';
import { CHECKPOINT_FILE, readCheckpointFile, writeCheckpointFile, type StoredTensor, type TrainingCheckpointMeta } from '../../lib/train/checkpoint';
import type { OptimizerConfig } from '../../lib/train/optimizer';
import { parseOverrides, PRESETS, presetAs, resolvePreset, type PresetOverrides } from '../../lib/train/presets';
import {
  ProgressiveTrainer,
  growthAfter,
  growthAt,
  growthCallbacks,
  growthPhases,
  growthSchedule,
  growthTotal,
  imagesAtResolution,
  interpolateLatents,
  latentInterpolation,
  stageSeconds,
} from '../../lib/train/progressive';
import { loadTrainedModels, runTraining, type MetricsRecord, type RunTrainingOptions } from '../../lib/train/runner';

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

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-prog-'));
/** hires-quick cut to tiny growing nets (4 channels, z of 4) on 8×8 data: 4×4 → 8×8. */
const TINY = { maxSize: 8, width: 0.0078125, latentDim: 4, batchSize: 4, logEvery: 1 };
const blobSet = (n: number, seed: number) => makeImageDataset({ name: 'blobs', images: blobs(n, 8, seed), note: 'test blobs', source: 'generated' });
const readMetrics = (dir: string) => fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRecord);
const withoutTime = ({ seconds: _seconds, ...rest }: MetricsRecord) => rest;
const weights = (models: Record<string, Module | undefined>) =>
  Object.entries(models).flatMap(([k, m]) => [...m!.trainable(), ...m!.buffers()].map((v) => [`${k}/${v.name}`, Array.from(v.variable.dataSync())] as const));

test('growthAfter: the stage of the last completed iteration; growthSchedule: a progressive preset\'s, UserError for others', () => {
  const s = { stages: 2, stableIterations: 2, fadeIterations: 2 };
  assert.deepEqual([0, 1, 2, 3, 4, 6].map((d) => growthAfter(s, d)), [
    { stage: 0, alpha: 1 },
    { stage: 0, alpha: 1 },
    { stage: 0, alpha: 1 },
    { stage: 1, alpha: 0.5 },
    { stage: 1, alpha: 1 },
    { stage: 1, alpha: 1 },
  ]);
  assert.deepEqual(growthSchedule(PRESETS['hires-cpu']), { stages: 4, stableIterations: 250, fadeIterations: 100 });
  assert.equal(growthSchedule(PRESETS['hires-paper']).stages, 9, '4 → 1,024');
  assert.throws(() => growthSchedule(PRESETS['mnist-quick']), userError(/mnist-quick \(method triangle\) has no growth schedule: use a progressive preset/));
});

test('runTraining on hires-quick: its length is the growth schedule, a record and a snapshot at every stage end, a checkpoint that reloads at its stage', async () => {
  const dir = tmp();
  const ds = blobSet(8, 4);
  const stagesEnded: number[] = [];
  const resolutions: number[] = [];
  const growth = growthCallbacks({ snapshots: { n: 3, seed: 11 }, onStageEnd: ({ stage, resolution, trainer }) => void stagesEnded.push(stage, resolution, trainer.iteration) });
  const before = tf.memory().numTensors;
  // logEvery 5: only the stage ends (2, 6) are logged besides iteration 5.
  const run = await runTraining({
    preset: 'hires-quick',
    overrides: { ...TINY, stableIterations: 2, fadeIterations: 2, logEvery: 5 },
    dataset: ds,
    outDir: dir,
    seed: 7,
    callbacks: growth.callbacks,
    onProgress: (p) => resolutions.push(p.metrics.resolution),
  });
  assert.equal(run.summary.status, 'completed');
  assert.equal(run.summary.method, 'progressive');
  assert.equal(run.summary.total, 6, 'stage 0: 2 iterations; stage 1: 2 fade-in + 2 stable');
  assert.equal(run.summary.iterations, 6);
  assert.deepEqual(resolutions, [4, 4, 8, 8, 8, 8]);
  assert.deepEqual(stagesEnded, [0, 4, 2, 1, 8, 6]);
  assert.deepEqual(growth.snapshots.map((s) => [s.stage, s.resolution, s.iteration, ...s.images.shape]), [[0, 4, 2, 3, 4, 4, 1], [1, 8, 6, 3, 8, 8, 1]]);
  const lines = readMetrics(dir);
  assert.deepEqual(lines.map((l) => [l.iteration, l.stage, l.alpha, l.resolution]), [[2, 0, 1, 4], [5, 1, 1, 8], [6, 1, 1, 8]]);
  assert.deepEqual(run.history.map((r) => r.iteration), [2, 5, 6]);
  const secs = stageSeconds(run.history);
  assert.equal(secs.length, 2);
  assert.ok(secs.every((x) => x >= 0));
  // The checkpoint rebuilds the same generator at the stage it was trained to.
  const loaded = loadTrainedModels(dir);
  assert.equal(loaded.preset.method, 'progressive');
  assert.deepEqual(loaded.models.generator!.outputShape, [8, 8, 1]);
  const a = run.trainer.sample(2, 5);
  const b = tf.tidy(() => loaded.models.generator!.generate(tf.randomNormal([2, 4], 0, 1, 'float32', 5), false));
  assert.equal(maxAbsDiff(a, b), 0);
  tf.dispose([a, b]);
  Object.values(loaded.models).forEach((m) => m!.dispose());
  run.dispose();
  growth.dispose();
  assert.equal(tf.memory().numTensors, before, 'networks, optimizers and snapshots are freed (the dataset by its owner)');
  ds.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('loadTrainedModels of a progressive run stopped in a fade-in: the networks at that stage and α', async () => {
  const dir = tmp();
  const ds = blobSet(8, 4);
  const abort = new AbortController();
  const run = await runTraining({
    preset: 'hires-quick',
    overrides: { ...TINY, stableIterations: 2, fadeIterations: 4 },
    dataset: ds,
    outDir: dir,
    signal: abort.signal,
    callbacks: { onIteration: ({ iteration }) => void (iteration === 4 && abort.abort()) },
  });
  assert.equal(run.summary.status, 'aborted');
  const loaded = loadTrainedModels(dir);
  assert.equal(loaded.iteration, 4);
  // Iterations 1-2 are stage 0; iteration 4 was the second of four fade-in steps of stage 1: α = 2/4.
  assert.deepEqual(loaded.models.generator!.outputShape, [8, 8, 1]);
  const a = run.trainer.sample(2, 5);
  const b = tf.tidy(() => loaded.models.generator!.generate(tf.randomNormal([2, 4], 0, 1, 'float32', 5), false));
  assert.equal(maxAbsDiff(a, b), 0, 'the same fade (α = 0.5) as the trainer after its last step');
  assert.equal((run.trainer as ProgressiveTrainer).alpha, 0.5);
  tf.dispose([a, b]);
  Object.values(loaded.models).forEach((m) => m!.dispose());
  run.dispose();
  ds.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

for (const [where, stopAt] of [
  ['at the boundary of stages 0 and 1', 2],
  ['in the middle of the fade-in of stage 1', 4],
  ['in stage 1, then across the boundary to stage 2', 6],
] as const) {
  test(`--resume of a progressive run stopped ${where} gives bit-identical weights and metrics`, async () => {
    const full = tmp();
    const half = tmp();
    const ds = makeImageDataset({ name: 'blobs', images: blobs(8, 16, 4), note: 'test blobs', source: 'generated' });
    // 4 → 8 → 16: stage 0 is iterations 1-2, stage 1 fades in over 3-5 and is stable over 6-7, stage 2 over 8-10 and 11-12.
    const opts = (outDir: string): RunTrainingOptions => ({ preset: 'hires-quick', overrides: { ...TINY, maxSize: 16, stableIterations: 2, fadeIterations: 3, lrDecay: 0.9 }, dataset: ds, outDir });
    const a = await runTraining({ ...opts(full), overrides: { ...opts(full).overrides, checkpointEvery: 3 } });
    const abort = new AbortController();
    const b1 = await runTraining({ ...opts(half), signal: abort.signal, callbacks: { onIteration: ({ iteration }) => void (iteration === stopAt && abort.abort()) } });
    assert.equal(b1.summary.status, 'aborted');
    assert.equal(b1.summary.iterations, stopAt);
    b1.dispose();
    const ckpt = readCheckpointFile<TrainingCheckpointMeta>(path.join(half, 'checkpoint', CHECKPOINT_FILE));
    assert.ok(ckpt.meta.optimizers.generator.step > 0, 'the stage optimizer\'s state is in the checkpoint');
    const b2 = await runTraining({ ...opts(half), resume: true });
    assert.equal(b2.summary.resumedFrom, stopAt);
    assert.equal(b2.summary.iterations, 12);
    assert.equal(b2.history[0].iteration, stopAt + 1);
    assert.deepEqual(weights(b2.models as Record<string, Module | undefined>), weights(a.models as Record<string, Module | undefined>));
    assert.deepEqual(readMetrics(half).map(withoutTime), readMetrics(full).map(withoutTime));
    a.dispose();
    b2.dispose();
    ds.dispose();
    fs.rmSync(full, { recursive: true });
    fs.rmSync(half, { recursive: true });
  });
}

test('resuming a progressive run with another growth schedule is refused: the checkpoint belongs to its stage', async () => {
  const dir = tmp();
  const ds = blobSet(8, 4);
  const run = await runTraining({ preset: 'hires-quick', overrides: { ...TINY, stableIterations: 1, fadeIterations: 1 }, dataset: ds, outDir: dir });
  run.dispose();
  await assert.rejects(
    runTraining({ preset: 'hires-quick', overrides: { ...TINY, stableIterations: 3, fadeIterations: 1 }, dataset: ds, outDir: dir, resume: true }),
    userError(/^cannot resume with stableIterations=3: .* was trained with stableIterations=1/),
  );
  ds.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a checkpoint of the old progressive format is a one-line UserError naming the preset to re-train', async () => {
  const dir = tmp();
  const file = path.join(dir, 'checkpoint', CHECKPOINT_FILE);
  fs.mkdirSync(path.dirname(file));
  // What saveProgressiveModels wrote before issue 14: networks and stage, no optimizer state.
  const meta = { kind: 'progressive', preset: { ...PRESETS['hires-cpu'] }, modelOptions: { maxSize: 32, seed: 1 }, iteration: 10, stage: 0, alpha: 1, modules: ['generator', 'inference', 'ebm'], savedAt: '' };
  writeCheckpointFile(file, meta, new Map<string, StoredTensor>());
  const fix = /old format \(kind 'progressive', without optimizer state\).*: re-train it with dtri train --preset hires-cpu --out DIR$/;
  assert.throws(() => loadTrainedModels(dir), userError(fix));
  const ds = makeImageDataset({ name: 'blobs', images: blobs(4, 32, 1), note: '', source: 'generated' });
  await assert.rejects(runTraining({ preset: 'hires-cpu', dataset: ds, outDir: dir, resume: true }), userError(fix));
  ds.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('runTraining on a progressive preset: images of the wrong size are a UserError', async () => {
  const dir = tmp();
  const ds: ImageDataset = makeImageDataset({ name: 'small', images: tf.zeros([4, 6, 6, 1]), note: '', source: 'generated' });
  await assert.rejects(
    runTraining({ preset: 'hires-quick', overrides: { maxSize: 8 }, dataset: ds, outDir: dir }),
    userError(/dataset fashion-mnist .*has examples of 6×6×1 but the progressive networks of hires-quick take 8×8×1: pass --set maxSize=8/),
  );
  ds.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('progressive presets: ordinary presets of method progressive at three scales, validated like every preset', () => {
  for (const s of ['quick', 'cpu', 'paper']) {
    const p = PRESETS[`hires-${s}`];
    assert.equal(p.scale, s);
    assert.equal(p.method, 'progressive');
    assert.equal(p.arch, 'progressive');
  }
  assert.equal(presetAs(PRESETS['hires-paper'], 'progressive').maxSize, 1024);
  assert.equal(PRESETS['hires-paper'].latentDim, 512);
  const p = resolvePreset('hires-cpu', { batchSize: 8, klReduction: 'sum', maxSize: 64 });
  assert.equal(p.batchSize, 8);
  assert.equal(presetAs(p, 'progressive').maxSize, 64);
  assert.equal(PRESETS['hires-cpu'].batchSize, 16, 'the base preset is unchanged');
  assert.throws(() => resolvePreset('hires-huge'), userError(/unknown preset "hires-huge"; valid presets: .*hires-quick/));
  assert.throws(() => resolvePreset('hires-cpu', { batchsize: 3 } as PresetOverrides), userError(/unknown key "batchsize".*valid keys: .*stableIterations/));
  assert.throws(() => parseOverrides(['batchsize=3']), userError(/^--set batchsize=3: unknown key "batchsize".*valid keys: .*stableIterations/));
  assert.throws(() => resolvePreset('hires-cpu', { fadeIterations: 2.5 }), userError(/fadeIterations=2\.5 is out of range: fadeIterations must be a whole number/));
  assert.throws(() => parseOverrides(['fadeIterations=2.5']), userError(/^--set fadeIterations=2\.5: fadeIterations must be a whole number$/));
  assert.throws(() => resolvePreset('hires-cpu', { maxSize: 48 }), userError(/maxSize=48 is out of range: maxSize must be a power of two ≥ 4/));
  assert.throws(() => resolvePreset('hires-cpu', { iterations: 100 }), userError(/the growth schedule sets the length of a progressive run: leave iterations and epochs at 0/));
  assert.throws(() => resolvePreset('hires-cpu', { imageSize: 16 }), userError(/resizes its data to maxSize: leave imageSize at 0 and set maxSize/));
  assert.throws(() => resolvePreset('hires-cpu', { occlusion: 'B20' }), userError(/occlusion .* is not supported with progressive growing/));
  assert.throws(() => resolvePreset('hires-cpu', { method: 'triangle' }), userError(/arch progressive is trained by method progressive only/));
  assert.throws(() => resolvePreset('mnist-quick', { method: 'progressive' }), userError(/method progressive grows its own networks: set arch=progressive/));
  assert.throws(() => resolvePreset('mnist-quick', { method: 'progressive', arch: 'progressive', imageSize: 0, epochs: 0, iterations: 0 }), userError(/method progressive needs maxSize/));
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
