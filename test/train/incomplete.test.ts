import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildGenerator, buildInference } from '../../lib/models';
import { loadDataset, batchIndices, occlusionMask, type ImageDataset } from '../../lib/data';
import { recoveryError } from '../../lib/metrics/reconstruction';
import { objectiveScaling } from '../../lib/objectives/scaling';
import { IncompleteDataTrainer, withOcclusion } from '../../lib/train/incomplete';
import { AbpTrainer } from '../../lib/train/abp';
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

function train(t: IncompleteDataTrainer, from: number, to: number): Record<string, number>[] {
  const dummy = tf.zeros([16, 64]);
  const out: Record<string, number>[] = [];
  for (let it = from; it < to; it++) out.push(t.step(dummy, { indices: batchIndices(N, 16, 9, Math.floor(it / (N / 16)))[it % (N / 16)] }));
  dummy.dispose();
  return out;
}

for (const [name, make] of [['VAE (refill procedure)', vae], ['ABP (observed-pixel likelihood)', abp]] as const) {
  test(`${name}: training fills the missing pixels better than the zero initialisation`, (t) => {
    const m = make();
    const w = new IncompleteDataTrainer(m.trainer, { observed: rows(flat, 0, N), mask: rows(mask, 0, N), truth: rows(flat, 0, N) });
    const zeroFill = w.trainingRecoveryError();
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
