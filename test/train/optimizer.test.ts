import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { applyChecked, gradsAndTerms, NetworkOptimizer, NonFiniteError, type OptimizerConfig } from '../../lib/train/optimizer';

const cfg = (o: Partial<OptimizerConfig> = {}): OptimizerConfig => ({ lr: 0.1, beta1: 0.5, beta2: 0.999, weightDecay: 0, clipNorm: 0, lrDecay: 1, ...o });

/** torch.optim.Adam on one parameter vector, in float64, as a reference. */
function torchAdam(w: number[], gradsSeq: (w: number[]) => number[], steps: number, c: OptimizerConfig, epochOf: (t: number) => number) {
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  const eps = c.epsilon ?? 1e-8;
  for (let t = 1; t <= steps; t++) {
    let g = gradsSeq(w);
    const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
    if (c.clipNorm > 0) {
      const coef = c.clipNorm / (norm + 1e-6);
      if (coef < 1) g = g.map((x) => x * coef);
    }
    g = g.map((x, i) => x + c.weightDecay * w[i]);
    const lr = c.lr * Math.pow(c.lrDecay, epochOf(t));
    for (let i = 0; i < w.length; i++) {
      m[i] = c.beta1 * m[i] + (1 - c.beta1) * g[i];
      v[i] = c.beta2 * v[i] + (1 - c.beta2) * g[i] * g[i];
      const denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(c.beta2, t)) + eps;
      w[i] -= (lr / (1 - Math.pow(c.beta1, t))) * (m[i] / denom);
    }
  }
  return w;
}

function run(c: OptimizerConfig, steps: number, epochOf: (t: number) => number = () => 0) {
  const w = tf.variable(tf.tensor1d([1.5, -2.0, 0.3]));
  const opt = new NetworkOptimizer('net', [{ name: 'w', variable: w }], c);
  // loss = Σ k_i w_i² / 2 with k = (3, 1, 10): gradient k ⊙ w
  const k = tf.tensor1d([3, 1, 10]);
  for (let t = 1; t <= steps; t++) {
    opt.setEpoch(epochOf(t));
    const { grads, terms } = gradsAndTerms(() => ({ loss: tf.sum(tf.mul(0.5, tf.mul(k, tf.square(w)))) as tf.Scalar }), opt.variables);
    applyChecked(opt, grads, terms.loss);
  }
  const out = Array.from(w.dataSync());
  opt.dispose();
  tf.dispose([w, k]);
  return out;
}

const grad = (w: number[]) => [3 * w[0], 1 * w[1], 10 * w[2]];

test('Adam matches torch.optim.Adam (float64 reference) for plain, clipped, weight-decayed and decaying runs', () => {
  const cases: [string, OptimizerConfig, (t: number) => number][] = [
    ['plain', cfg(), () => 0],
    ['clip 1', cfg({ clipNorm: 1 }), () => 0],
    ['weight decay', cfg({ weightDecay: 0.05 }), () => 0],
    ['lr decay per epoch', cfg({ lrDecay: 0.5 }), (t) => Math.floor((t - 1) / 3)],
  ];
  for (const [what, c, epochOf] of cases) {
    const got = run(c, 10, epochOf);
    const want = torchAdam([1.5, -2.0, 0.3], grad, 10, c, epochOf);
    got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 1e-5, `${what}: w[${i}] ${g} vs ${want[i]}`));
  }
});

test('an optimizer frees everything it allocates', () => {
  const w = tf.variable(tf.zeros([3]));
  const before = tf.memory().numTensors;
  const opt = new NetworkOptimizer('n', [{ name: 'w', variable: w }], cfg());
  opt.dispose();
  assert.equal(tf.memory().numTensors, before);
  w.dispose();
});

test('apply returns the pre-clip global norm and frees the gradients', () => {
  const a = tf.variable(tf.tensor1d([3]));
  const b = tf.variable(tf.tensor1d([4]));
  const opt = new NetworkOptimizer('net', [{ name: 'a', variable: a }, { name: 'b', variable: b }], cfg({ clipNorm: 1 }));
  const before = tf.memory().numTensors;
  const { grads } = gradsAndTerms(() => ({ loss: tf.add(tf.sum(a), tf.sum(b)) as tf.Scalar }), opt.variables);
  // d/da = 1, d/db = 1: norm √2
  assert.ok(Math.abs(opt.apply(grads) - Math.SQRT2) < 1e-6);
  assert.equal(tf.memory().numTensors, before);
  opt.dispose();
  tf.dispose([a, b]);
});

test('a NaN loss or gradient throws NonFiniteError and leaves weights and Adam state untouched', () => {
  const w = tf.variable(tf.tensor1d([1, 2]));
  const opt = new NetworkOptimizer('gen', [{ name: 'w', variable: w }], cfg());
  const before = tf.memory().numTensors;
  const r = gradsAndTerms(() => ({ loss: tf.mul(tf.sum(w), NaN) as tf.Scalar }), opt.variables);
  assert.throws(() => applyChecked(opt, r.grads, r.terms.loss), (e: unknown) => e instanceof NonFiniteError && /loss of gen is NaN/.test((e as Error).message));
  const r2 = gradsAndTerms(() => ({ loss: tf.sum(tf.sqrt(tf.sub(w, 1))) as tf.Scalar }), opt.variables); // d/dw at w=1 is Inf
  assert.throws(() => applyChecked(opt, r2.grads, r2.terms.loss), /gradient norm of gen/);
  assert.deepEqual(Array.from(w.dataSync()), [1, 2]);
  assert.equal(opt.step, 0);
  assert.equal(tf.memory().numTensors, before);
  opt.dispose();
  w.dispose();
});

test('getState/setState round-trips Adam exactly: continuing gives bit-identical weights', () => {
  const mk = () => tf.variable(tf.tensor1d([0.7, -0.4]));
  const stepN = (opt: NetworkOptimizer, w: tf.Variable, n: number) => {
    for (let i = 0; i < n; i++) {
      const { grads, terms } = gradsAndTerms(() => ({ loss: tf.sum(tf.pow(w, 4)) as tf.Scalar }), opt.variables);
      applyChecked(opt, grads, terms.loss);
    }
  };
  const w1 = mk();
  const o1 = new NetworkOptimizer('n', [{ name: 'w', variable: w1 }], cfg());
  stepN(o1, w1, 6);
  const w2 = mk();
  const o2 = new NetworkOptimizer('n', [{ name: 'w', variable: w2 }], cfg());
  stepN(o2, w2, 3);
  const state = o2.getState();
  const w3 = tf.variable(tf.tensor1d(Array.from(w2.dataSync())));
  const o3 = new NetworkOptimizer('n', [{ name: 'w', variable: w3 }], cfg());
  o3.setState(state);
  stepN(o3, w3, 3);
  assert.deepEqual(Array.from(w3.dataSync()), Array.from(w1.dataSync()));
  assert.equal(o3.step, 6);
  [o1, o2, o3].forEach((o) => o.dispose());
  tf.dispose([w1, w2, w3]);
});

test('gradsAndTerms reads every scalar term with the loss and keeps non-scalar outputs', () => {
  const w = tf.variable(tf.tensor1d([2]));
  const r = gradsAndTerms(() => ({ loss: tf.sum(tf.square(w)) as tf.Scalar, half: tf.mul(tf.sum(w), 0.5) as tf.Scalar, vec: tf.mul(w, 3) }), [w]);
  assert.equal(r.terms.loss, 4);
  assert.equal(r.terms.half, 1);
  assert.deepEqual(Array.from(r.tensors.vec.dataSync()), [6]);
  assert.deepEqual(Array.from(r.grads[w.name].dataSync()), [4]);
  tf.dispose([w, r.tensors.vec, ...Object.values(r.grads)]);
});
