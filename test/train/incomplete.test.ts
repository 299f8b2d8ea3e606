import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildGenerator, buildInference, buildTriangleModels } from '../../lib/models';
import type { InferenceNet } from '../../lib/models/types';
import { loadDataset, batchIndices, occlusionMask, type ImageDataset } from '../../lib/data';
import { recoveryError } from '../../lib/metrics/reconstruction';
import { objectiveScaling } from '../../lib/objectives/scaling';
import { DEFAULT_REFILLS, IncompleteDataTrainer, withOcclusion } from '../../lib/train/incomplete';
import { AbpTrainer } from '../../lib/train/abp';
import { DivergenceTriangleTrainer } from '../../lib/train/triangle';
import { VaeTrainer } from '../../lib/train/vae';
import type { Trainer } from '../../lib/train/trainer';
import type { OptimizerConfig } from '../../lib/train/optimizer';
import { isUserError } from '../../lib/errors';
import { assertResumeMatchesUninterrupted } from './helpers';

tf.setBackend('cpu');

// Tiny data: 8×8 MNIST digits flattened to 64-D vectors, so small MLPs ('mlp2d' with 64 channels) stand in
// for the conv nets, which the cpu backend trains too slowly for a unit test.
const MODEL = { seed: 5, hidden: [64], latentDim: 4, channels: 64 };
const ADAM: OptimizerConfig = { lr: 3e-3, beta1: 0.5, beta2: 0.999, weightDecay: 0, clipNorm: 100, lrDecay: 1 };
const N = 128;

let data: ImageDataset;
let flat: tf.Tensor;
let mask: tf.Tensor;
test.before(async () => {
  data = await loadDataset('mnist', { limit: N + 32, imageSize: 8, seed: 1 });
  flat = tf.reshape(data.images, [N + 32, 64]);
  // MB10 at 8×8: ten 1×1 blocks per image (side 10·8/64 rounded, maskDescription), about 15% of the pixels.
  mask = tf.tidy(() => tf.reshape(occlusionMask('MB10', [N + 32, 8, 8, 1], 3), [N + 32, 64]));
});
test.after(() => {
  tf.dispose([flat, mask]);
  data.dispose();
});

const rows = (t: tf.Tensor, from: number, n: number) => t.slice([from, 0], [n, t.shape[1]!]);

function vae(seed = 1): { trainer: Trainer; dispose(): void } {
  const g = buildGenerator('mlp2d', MODEL);
  const q = buildInference('mlp2d', MODEL);
  const trainer = new VaeTrainer(g, q, { seed, scaling: objectiveScaling('paper', { sigma: 0.3 }), optimizers: { generator: ADAM, inference: ADAM } });
  return { trainer, dispose: () => [g, q].forEach((m) => m.dispose()) };
}
function abp(seed = 1): { trainer: Trainer; dispose(): void } {
  const g = buildGenerator('mlp2d', MODEL);
  const trainer = new AbpTrainer(g, { seed, sigma: 0.3, optimizer: ADAM, langevin: { steps: 5, delta: 0.1 }, persistent: { examples: N } });
  return { trainer, dispose: () => g.dispose() };
}
function triangle(seed = 1): { trainer: Trainer; dispose(): void } {
  const m = buildTriangleModels('mlp2d', MODEL);
  const trainer = new DivergenceTriangleTrainer(m.generator, m.inference, m.ebm, { seed, scaling: objectiveScaling('paper', { sigma: 0.3 }), optimizers: { ebm: ADAM, generator: ADAM, inference: ADAM } });
  return { trainer, dispose: () => [m.generator, m.inference, m.ebm].forEach((x) => x.dispose()) };
}
const METHODS = [['triangle', triangle], ['VAE', vae], ['ABP', abp]] as const;

function train(t: IncompleteDataTrainer, from: number, to: number): Record<string, number>[] {
  const dummy = tf.zeros([16, 64]);
  const out: Record<string, number>[] = [];
  for (let it = from; it < to; it++) out.push(t.step(dummy, { indices: batchIndices(N, 16, 9, Math.floor(it / (N / 16)))[it % (N / 16)] }));
  dummy.dispose();
  return out;
}

for (const [name, make] of [['triangle (refill procedure)', triangle], ['VAE (refill procedure)', vae], ['ABP (observed-pixel likelihood)', abp]] as const) {
  test(`${name}: training fills the missing pixels better than the zero initialisation`, (t) => {
    const m = make();
    const w = new IncompleteDataTrainer(m.trainer, { observed: rows(flat, 0, N), mask: rows(mask, 0, N), truth: rows(flat, 0, N) });
    const zeroFill = w.trainingRecoveryError({ refills: 0 });
    const counts: number[] = [];
    const hist = train(w, 0, 20);
    counts.push(tf.memory().numTensors);
    train(w, 20, 40);
    counts.push(tf.memory().numTensors);
    assert.equal(counts[1], counts[0], 'tensor count flat over 20 iterations');
    hist.push(...train(w, 40, 110));
    const after = w.trainingRecoveryError();
    // Held-out images: recover() keeps observed pixels and fills the rest.
    const xt = rows(flat, N, 32);
    const mt = rows(mask, N, 32);
    const rec = w.recover(xt, mt);
    const heldOut = recoveryError(xt, rec, mt);
    const heldOutZero = tf.tidy(() => recoveryError(xt, tf.mul(xt, mt), mt));
    const keptObserved = tf.tidy(() => tf.max(tf.abs(tf.mul(tf.sub(rec, xt), mt))).dataSync()[0]);
    t.diagnostic(`recovery error (training set) zero fill ${zeroFill.toFixed(3)} → ${after.toFixed(3)}; held out ${heldOutZero.toFixed(3)} → ${heldOut.toFixed(3)}`);
    assert.ok(after < 0.7 * zeroFill, `training recovery ${zeroFill} → ${after}`);
    assert.ok(heldOut < 0.8 * heldOutZero, `held-out recovery ${heldOutZero} → ${heldOut}`);
    assert.ok(keptObserved < 1e-6, 'observed pixels are kept');
    assert.ok(Number.isFinite(hist[hist.length - 1].recoveryError) && Number.isFinite(hist[hist.length - 1].refillChange));
    tf.dispose([xt, mt, rec]);
    w.dispose();
    m.dispose();
  });
}

test('the wrapped trainer never sees the missing pixels; checkpoint → resume restores the fills', () => {
  // Corrupt the truth at missing pixels: training on observed data must not change at all.
  const obs = rows(flat, 0, N);
  const m = rows(mask, 0, N);
  const scrambled = tf.tidy(() => tf.add(tf.mul(obs, m), tf.mul(tf.sub(1, m), 123)));
  // The uninterrupted run sees the true observed images, the interrupted and resumed ones the scrambled.
  const wrapped = (run: string) => {
    const inner = vae(4);
    const trainer = new IncompleteDataTrainer(inner.trainer, { observed: run === 'uninterrupted' ? obs : scrambled, mask: m });
    return { trainer, dispose: () => [trainer, inner].forEach((x) => x.dispose()) };
  };
  const { uninterrupted: a, resumed: c } = assertResumeMatchesUninterrupted(wrapped, train, { stop: 3, end: 6, preset: 'mnist-incomplete-vae-quick', modelOptions: MODEL });
  assert.deepEqual(Array.from(c.trainer.fills.values.dataSync()), Array.from(a.trainer.fills.values.dataSync()));
  tf.dispose([obs, m, scrambled]);
  [a, c].forEach((x) => x.dispose());
});

test('incomplete-data errors name the fix', () => {
  const a = vae();
  const w = new IncompleteDataTrainer(a.trainer, { observed: rows(flat, 0, 8), mask: rows(mask, 0, 8) });
  const x = tf.zeros([4, 64]);
  assert.throws(() => w.step(x), (e: unknown) => isUserError(e) && /needs the batch indices/.test((e as Error).message));
  assert.throws(() => w.trainingRecoveryError(), (e: unknown) => isUserError(e) && /no ground truth/.test((e as Error).message));
  assert.throws(() => new IncompleteDataTrainer(a.trainer, { observed: rows(flat, 0, 8), mask: tf.ones([8, 3]) }), (e: unknown) => isUserError(e) && /does not fit images/.test((e as Error).message));
  assert.throws(() => withOcclusion(a.trainer, x, 'B20', 1), (e: unknown) => isUserError(e) && /\[N, H, W, C\]/.test((e as Error).message));
  const fakeAcd = { ...a.trainer, method: 'acd' } as unknown as Trainer;
  assert.throws(() => new IncompleteDataTrainer(fakeAcd, { observed: rows(flat, 0, 8), mask: rows(mask, 0, 8) }), (e: unknown) => isUserError(e) && /ACD learns no inference model/.test((e as Error).message));
  x.dispose();
  w.dispose();
  a.dispose();
});

/** The fills' values at observed (m = 1) and missing (m = 0) pixels, as flat arrays. */
function split(fills: tf.Tensor, m: tf.Tensor): { observed: number[]; missing: number[] } {
  const f = fills.dataSync();
  const mm = m.dataSync();
  const observed: number[] = [];
  const missing: number[] = [];
  f.forEach((v, i) => (mm[i] === 1 ? observed : missing).push(v));
  return { observed, missing };
}

for (const [name, make] of METHODS) {
  test(`${name}: each epoch refills the missing pixels (they change), the observed pixels never change`, () => {
    const m = make();
    const obs = rows(flat, 0, N);
    const mk = rows(mask, 0, N);
    const w = new IncompleteDataTrainer(m.trainer, { observed: obs, mask: mk });
    const truthObserved = tf.tidy(() => split(tf.mul(obs, mk), mk).observed);
    const epochs: number[][] = [split(w.fills.values, mk).missing];
    assert.ok(epochs[0].every((v) => v === 0), 'zero fill to begin with (§4.4)');
    for (let e = 0; e < 3; e++) {
      train(w, e * (N / 16), (e + 1) * (N / 16));
      const s = split(w.fills.values, mk);
      assert.deepEqual(s.observed, truthObserved, `epoch ${e + 1}: observed pixels untouched`);
      epochs.push(s.missing);
    }
    for (let e = 1; e < epochs.length; e++) {
      const changed = epochs[e].filter((v, i) => Math.abs(v - epochs[e - 1][i]) > 1e-6).length;
      assert.ok(changed > 0.5 * epochs[e].length, `epoch ${e}: ${changed} of ${epochs[e].length} missing pixels refilled`);
    }
    // Recovery keeps the observed pixels too and moves the missing ones at every refill.
    const xt = rows(flat, N, 16);
    const mt = rows(mask, N, 16);
    const r1 = w.recover(xt, mt, { refills: 1 });
    const r2 = w.recover(xt, mt, { refills: 2 });
    assert.deepEqual(split(r2, mt).observed, tf.tidy(() => split(tf.mul(xt, mt), mt).observed));
    const d = tf.tidy(() => split(tf.abs(tf.sub(r2, r1)), mt).missing);
    assert.ok(Math.max(...d) > 1e-4, `refill 2 changes the fill of refill 1 (max |Δ| ${Math.max(...d)})`);
    tf.dispose([obs, mk, xt, mt, r1, r2]);
    w.dispose();
    m.dispose();
  });

  test(`${name}: recovery runs the same K refills as every other method (default ${DEFAULT_REFILLS}) and leaks nothing`, () => {
    const m = make();
    const w = new IncompleteDataTrainer(m.trainer, { observed: rows(flat, 0, N), mask: rows(mask, 0, N), truth: rows(flat, 0, N) });
    train(w, 0, 2);
    // ABP's refills go through refillReconstruct (its chain continues), the others' through reconstruct.
    const inner = m.trainer as Trainer & { refillReconstruct?: (...a: never[]) => unknown };
    const key = inner instanceof AbpTrainer ? 'refillReconstruct' : 'reconstruct';
    let calls = 0;
    const original = (inner as unknown as Record<string, (...a: unknown[]) => unknown>)[key].bind(inner);
    (inner as unknown as Record<string, unknown>)[key] = (...a: unknown[]) => {
      calls += 1;
      return original(...a);
    };
    const xt = rows(flat, N, 16);
    const mt = rows(mask, N, 16);
    assert.equal(w.refills, DEFAULT_REFILLS);
    w.recover(xt, mt).dispose();
    assert.equal(calls, DEFAULT_REFILLS);
    calls = 0;
    w.recover(xt, mt, { refills: 3 }).dispose();
    assert.equal(calls, 3);
    calls = 0;
    const curve = w.recoveryErrorsByRefill(xt, mt, { refills: 4 });
    assert.equal(calls, 4);
    assert.equal(curve.length, 5);
    // The training set: one refill pass per batch of 256 (N = 128: one batch) per refill.
    calls = 0;
    w.trainingRecoveryError({ refills: 2 });
    assert.equal(calls, 2);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      w.recover(xt, mt, { refills: 3 }).dispose();
      w.recoveryErrorsByRefill(xt, mt, { refills: 2 });
      w.trainingRecoveryError({ refills: 2 });
      w.recoveredTrainingImages({ refills: 0 }).dispose();
    }
    assert.equal(tf.memory().numTensors, before, 'tensor count flat across refills');
    tf.dispose([xt, mt]);
    w.dispose();
    m.dispose();
  });
}

for (const [name, make] of METHODS.filter(([n]) => n !== 'ABP')) {
  test(`${name}: after the first refill the encoder sees the filled image, not zeros`, () => {
    const m = make();
    const mk = rows(mask, 0, N);
    const w = new IncompleteDataTrainer(m.trainer, { observed: rows(flat, 0, N), mask: mk });
    train(w, 0, N / 16); // one epoch: every example refilled once
    const inference = (m.trainer as unknown as { inference: InferenceNet }).inference;
    const seen: Float32Array[] = [];
    const encode = inference.encode.bind(inference);
    inference.encode = (x: tf.Tensor, training: boolean) => {
      if (training) seen.push(x.dataSync().slice() as Float32Array);
      return encode(x, training);
    };
    const it = N / 16;
    const indices = batchIndices(N, 16, 9, 1)[0];
    const fill = w.fills.gather(indices);
    const m16 = tf.tidy(() => tf.gather(mk, tf.tensor1d(indices, 'int32')));
    train(w, it, it + 1);
    inference.encode = encode;
    assert.deepEqual(seen[0], fill.dataSync(), 'the φ-step encodes the stored fill of its batch');
    const missing = split(fill, m16).missing;
    assert.ok(missing.filter((v) => v !== 0).length > 0.9 * missing.length, 'the fill is not zero at the missing pixels');
    tf.dispose([fill, m16, mk]);
    w.dispose();
    m.dispose();
  });
}

test('ABP: each refill continues the Langevin chain where the last one stopped', () => {
  const m = abp();
  const w = new IncompleteDataTrainer(m.trainer, { observed: rows(flat, 0, N), mask: rows(mask, 0, N) });
  const t = m.trainer as AbpTrainer;
  const starts: Float32Array[] = [];
  const ends: Float32Array[] = [];
  const infer = t.inferLatents.bind(t);
  t.inferLatents = (x, z0, opts) => {
    starts.push(z0.dataSync().slice() as Float32Array);
    const z = infer(x, z0, opts);
    ends.push(z.dataSync().slice() as Float32Array);
    return z;
  };
  const xt = rows(flat, N, 8);
  const mt = rows(mask, N, 8);
  w.recover(xt, mt, { refills: 3 }).dispose();
  t.inferLatents = infer;
  assert.equal(starts.length, 3);
  assert.ok(starts[0].every((v) => v === 0), 'held-out images start at z = 0');
  assert.deepEqual(starts[1], ends[0]);
  assert.deepEqual(starts[2], ends[1]);
  tf.dispose([xt, mt]);
  w.dispose();
  m.dispose();
});

test('refills on a linear model (reconstruction = projection on the data subspace) shrink the error at every pass', () => {
  // Data x = a Uᵀ on a 2-D subspace of R¹⁶; reconstruct(x) = x U Uᵀ. A refill is an alternating projection:
  // e_{k+1} = (1 − m) ⊙ P e_k, so ‖e_k‖₂ cannot grow and tends to 0 when the observed pixels pin a down.
  const D = 16;
  const U = tf.tidy(() => tf.linalg.qr(tf.randomNormal([D, 2], 0, 1, 'float32', 11))[0] as tf.Tensor2D);
  const x = tf.tidy(() => tf.matMul(tf.randomNormal([8, 2], 0, 0.5, 'float32', 12), U, false, true));
  const m = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([8, D], 0, 1, 'float32', 13), 0.3), 'float32'));
  const projector = {
    method: 'vae',
    seed: 0,
    iteration: 0,
    epoch: 0,
    step: () => ({}),
    setEpoch: () => undefined,
    sample: () => tf.zeros([1, D]),
    reconstruct: (xIn: tf.Tensor) => tf.tidy(() => tf.matMul(tf.matMul(xIn as tf.Tensor2D, U), U, false, true)),
    modules: () => ({}),
    optimizers: () => ({}),
    restoreProgress: () => undefined,
    dispose: () => undefined,
  } as unknown as Trainer;
  const w = new IncompleteDataTrainer(projector, { observed: x, mask: m, range: null, refills: 30 });
  const l2 = [0, 1, 2, 5, 10, 30].map((k) => {
    const r = k === 0 ? tf.mul(x, m) : w.recover(x, m, { refills: k });
    const e = tf.tidy(() => tf.sum(tf.squaredDifference(r, x)).dataSync()[0]);
    r.dispose();
    return e;
  });
  for (let i = 1; i < l2.length; i++) assert.ok(l2[i] <= l2[i - 1] + 1e-6, `‖e‖² along refills ${l2.map((v) => v.toFixed(4)).join(' → ')}`);
  const curve = w.recoveryErrorsByRefill(x, m);
  assert.equal(curve.length, 31);
  assert.ok(curve[30] < 0.1 * curve[0], `Table 3 error: zero fill ${curve[0]} → ${curve[30]} after 30 refills`);
  assert.ok(curve[1] < curve[0]);
  w.dispose();
  tf.dispose([U, x, m]);
});

test('refill counts are checked', () => {
  const a = vae();
  assert.throws(() => new IncompleteDataTrainer(a.trainer, { observed: rows(flat, 0, 8), mask: rows(mask, 0, 8), refills: 0 }), (e: unknown) => isUserError(e) && /refills must be an integer ≥ 1/.test((e as Error).message));
  const w = new IncompleteDataTrainer(a.trainer, { observed: rows(flat, 0, 8), mask: rows(mask, 0, 8), refills: 2 });
  assert.throws(() => w.recover(rows(flat, 0, 2), rows(mask, 0, 2), { refills: 1.5 }), (e: unknown) => isUserError(e) && /refills/.test((e as Error).message));
  w.dispose();
  a.dispose();
});
