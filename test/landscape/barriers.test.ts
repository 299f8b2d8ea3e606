import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { adBarriers, adSettingsFromScale, allMinimaPairs, barrierScale, linearBarriers } from '../../lib/landscape/barriers';
import { isUserError } from '../../lib/errors';
import { Well, collinearReference, collinearWells, golden, onLine, seededVector, unit, wellsEnergy, wellsScore } from './wells';

tf.setBackend('cpu');

const POS = [-6, -3, 2.5, 5.5];
const AMP = [3, 2.5, 2.8, 2];
const SIGMA = 1.2;

/** The exact minima of collinear wells as a tensor [4, ...shape], and the float64 reference. */
function collinearSetup(d: number, shape: number[]) {
  const base = d === 2 ? [0, 0] : seededVector(d, 3, 0.3);
  const u = d === 2 ? [1, 0] : unit(seededVector(d, 4));
  const wells = collinearWells(base, u, POS, AMP, SIGMA);
  const ref = collinearReference(wells, base, u, POS);
  const minima = tf.tensor(ref.minima.flatMap((m) => onLine(base, u, m.t)), [4, ...shape]);
  return { wells, ref, minima, base, u };
}

test('linear barriers between neighbouring collinear minima equal the saddle heights (2-D and 784-D)', async () => {
  for (const [d, shape] of [[2, [2]], [784, [28, 28, 1]]] as const) {
    const { wells, ref, minima } = collinearSetup(d, [...shape]);
    const r = await linearBarriers(wellsScore(wells), minima, [[0, 1], [1, 2], [2, 3]], { resolution: 20, refine: 40 });
    ref.saddles.forEach((s, k) => {
      // The line is the minimum-energy path here; golden section pins its maximum to float32 round-off.
      assert.ok(Math.abs(r.values[k] - s.energy) < 2e-6, `${d}-D pair ${k}: ${r.values[k]} vs saddle ${s.energy}`);
      const gamma = (s.t - ref.minima[k].t) / (ref.minima[k + 1].t - ref.minima[k].t);
      assert.ok(Math.abs(r.argmax[k] - gamma) < 1e-3, `${d}-D pair ${k}: γ* ${r.argmax[k]} vs ${gamma}`);
    });
    minima.dispose();
  }
});

test('the grid barrier is the float64 maximum over the same γ grid, for all pairs and any batch size', async () => {
  const { wells, ref, minima, base, u } = collinearSetup(2, [2]);
  const score = wellsScore(wells);
  const resolution = 7;
  const small = await linearBarriers(score, minima, undefined, { resolution, batchSize: 4 });
  const large = await linearBarriers(score, minima, undefined, { resolution, batchSize: 4096 });
  assert.deepEqual(small.pairs, allMinimaPairs(4));
  assert.deepEqual(Array.from(small.values), Array.from(large.values));
  assert.equal(small.evaluations, 6 * (resolution - 2));
  small.pairs.forEach(([i, j], q) => {
    let want = -Infinity;
    for (let k = 0; k < resolution; k++) {
      const t = ref.minima[i].t + (k / (resolution - 1)) * (ref.minima[j].t - ref.minima[i].t);
      want = Math.max(want, wellsEnergy(wells, onLine(base, u, t)));
    }
    assert.ok(Math.abs(small.values[q] - want) < 1e-5, `pair ${i}-${j}: ${small.values[q]} vs ${want}`);
    assert.equal(small.matrix[i * 4 + j], small.values[q]);
    assert.equal(small.matrix[j * 4 + i], small.values[q]);
  });
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(small.matrix[i * 5] - ref.minima[i].energy) < 1e-5, 'diagonal holds E_i');
  minima.dispose();
});

test('linearBarriers keeps the tensor count flat', async () => {
  const { wells, minima } = collinearSetup(2, [2]);
  const score = wellsScore(wells);
  const before = tf.memory().numTensors;
  for (let round = 0; round < 3; round++) {
    await linearBarriers(score, minima, undefined, { resolution: 9, refine: 5, batchSize: 10 });
    assert.equal(tf.memory().numTensors, before);
  }
  minima.dispose();
});

// Two wells with a hill between them: the straight line climbs over the hill, the minimum-energy path goes round it.
const HILL: Well[] = [
  { center: [-2.5, 0], amplitude: 3, sigma: 1.5 },
  { center: [2.5, 0], amplitude: 3, sigma: 1.5 },
  { center: [0, 0], amplitude: -3, sigma: 0.4 },
];

/** Reflection x → −x swaps the wells, so every path crosses x = 0 and the saddle is min_y E(0, y). */
function hillReference(): { minima: number[][]; minEnergy: number; saddle: number } {
  const saddle = golden((y) => wellsEnergy(HILL, [0, y]), 0.3, 4).value; // ≈ −1.076 at y ≈ 1.07
  const xm = golden((x) => wellsEnergy(HILL, [x, 0]), 1, 4).t;
  return { minima: [[-xm, 0], [xm, 0]], minEnergy: wellsEnergy(HILL, [xm, 0]), saddle };
}

test('attraction–diffusion finds the saddle round a hill that the straight line climbs over', async () => {
  const ref = hillReference();
  const minima = tf.tensor2d(ref.minima);
  const score = wellsScore(HILL);
  const linear = await linearBarriers(score, minima, [[0, 1]], { resolution: 21 });
  const before = tf.memory().numTensors;
  // α must beat the wells' slope (≤ a/σ·e^−½ ≈ 1.2) with some to spare; a low T keeps the path in the valley.
  const ad = await adBarriers(score, minima, [[0, 1]], { alpha: 2, steps: 3000, stepSize: 0.01, temperature: 0.02, trials: 8, seed: 5 });
  assert.equal(tf.memory().numTensors, before, 'AD leaves no tensors behind');
  const height = ref.saddle - ref.minEnergy; // ≈ 1.94
  assert.ok(linear.values[0] > ref.saddle + 0.5 * height, `linear ${linear.values[0]} should climb the hill (saddle ${ref.saddle})`);
  assert.ok(ad.successes[0] > 0, 'some chain arrived');
  // Stated tolerance: within 10% of the barrier height above the true saddle (any path between the basins
  // crosses the saddle's height, so a sampled path can only overshoot it, up to one step's worth below).
  assert.ok(ad.values[0] > ref.saddle - 0.02 * height && ad.values[0] < ref.saddle + 0.1 * height, `AD ${ad.values[0]} vs saddle ${ref.saddle} (height ${height})`);
  assert.equal(ad.trials, 16);
  minima.dispose();
});

test('attraction–diffusion on collinear wells matches the saddles, and an impossible budget reports +∞', async () => {
  const { wells, ref, minima } = collinearSetup(2, [2]);
  const score = wellsScore(wells);
  const ad = await adBarriers(score, minima, [[0, 1], [2, 3]], { alpha: 0.5, steps: 2000, stepSize: 0.01, temperature: 0.02, trials: 4, seed: 1 });
  [0, 2].forEach((k, q) => {
    const height = ref.saddles[k].energy - ref.minima[k].energy;
    assert.ok(Math.abs(ad.values[q] - ref.saddles[k].energy) < 0.1 * height, `pair ${q}: ${ad.values[q]} vs ${ref.saddles[k].energy}`);
  });
  const none = await adBarriers(score, minima, [[0, 3]], { alpha: 0.5, steps: 5, stepSize: 0.01, temperature: 0.02, trials: 2, seed: 1 });
  assert.equal(none.values[0], Infinity);
  assert.equal(none.successes[0], 0);
  assert.equal(none.matrix[0 * 4 + 3], Infinity);
  minima.dispose();
});

test('ADELM: Metropolis–Hastings-corrected chains cross at the saddle; patience ends chains that stop approaching', async () => {
  const { wells, ref, minima } = collinearSetup(2, [2]);
  const score = wellsScore(wells);
  const height = ref.saddles[0].energy - ref.minima[0].energy;
  // A step 5× the test above's: the correction now rejects some proposals, and the barrier stays at the saddle.
  const settings = { alpha: 0.5, steps: 2000, stepSize: 0.05, temperature: 0.02, trials: 4, seed: 5 };
  const before = tf.memory().numTensors;
  const mh = await adBarriers(score, minima, [[0, 1]], { ...settings, batchSize: 3 });
  assert.equal(tf.memory().numTensors, before, 'no chain tensors left behind');
  // Same seed, same chains.
  const again = await adBarriers(score, minima, [[0, 1]], { ...settings, batchSize: 3 });
  assert.deepEqual([again.values[0], again.successes[0]], [mh.values[0], mh.successes[0]]);
  assert.ok(mh.acceptance > 0.9 && mh.acceptance < 1, `acceptance ${mh.acceptance}`);
  // Chains that stall in a well (the magnet balanced by the wall) fail after `patience` (default 100) steps.
  assert.ok(mh.successes[0] >= 4, `${mh.successes[0]} of 8 arrived`);
  assert.ok(Math.abs(mh.values[0] - ref.saddles[0].energy) < 0.1 * height, `MH ${mh.values[0]} vs saddle ${ref.saddles[0].energy}`);
  const ula = await adBarriers(score, minima, [[0, 1]], { ...settings, metropolis: false });
  assert.equal(ula.acceptance, 1);
  // A magnet too weak to pull a chain out of its well (α·Δ < the well's depth): every chain stalls where
  // the pulls balance and fails once it has not come closer for `patience` steps, long before `steps`.
  const weak = { alpha: 0.05, steps: 5000, stepSize: 0.05, temperature: 0.001, trials: 2, seed: 5 };
  const stuck = await adBarriers(score, minima, [[0, 3]], { ...weak, patience: 50 });
  assert.equal(stuck.successes[0], 0);
  assert.equal(stuck.values[0], Infinity);
  assert.ok(stuck.meanSteps[0] < 1000, `mean steps ${stuck.meanSteps[0]}`);
  const longer = await adBarriers(score, minima, [[0, 3]], { ...weak, steps: 1500, patience: 1500 });
  assert.equal(longer.meanSteps[0], 1500, 'without patience the chains run out their steps');
  await assert.rejects(adBarriers(score, minima, [[0, 1]], { ...settings, patience: 0 }), (e) => isUserError(e) && /patience/.test(e.message));
  minima.dispose();
});

test("attraction–diffusion in a generator's latent space diffuses z under E(g(z))", async () => {
  // g(z) = 2z: in z the same landscape at half the scale, so α doubles and η quarters for the same dynamics.
  const ref = hillReference();
  const gen = (z: tf.Tensor): tf.Tensor => z.mul(2);
  const z = tf.tensor2d(ref.minima.map((p) => p.map((v) => v / 2)));
  const ad = await adBarriers(wellsScore(HILL), z, [[0, 1]], {
    alpha: 4, steps: 3000, stepSize: 0.0025, temperature: 0.02, trials: 8, seed: 2, space: 'latent', generator: gen,
  });
  const height = ref.saddle - ref.minEnergy;
  assert.ok(Math.abs(ad.values[0] - ref.saddle) < 0.1 * height, `latent AD ${ad.values[0]} vs ${ref.saddle}`);
  await assert.rejects(adBarriers(wellsScore(HILL), z, [[0, 1]], { alpha: 1, steps: 1, stepSize: 0.1, temperature: 0, space: 'latent' }), (e) => isUserError(e) && /generator/.test(e.message));
  z.dispose();
});

test('adSettingsFromScale: α, T, η and radius from the rule of thumb; given fields are kept', () => {
  const s = adSettingsFromScale({ dims: 784, minDistance: 4, maxDistance: 16, slope: 2, gradient: 0 });
  // α = 3·2; T = α·d_min·0.05/D; η = 2·d_max/(600·α); radius = 2·(D·T/α + η·α) (below d_min/2 = 2).
  assert.equal(s.alpha, 6);
  assert.ok(Math.abs(s.temperature - (6 * 4 * 0.05) / 784) < 1e-15);
  assert.ok(Math.abs(s.stepSize - 32 / 3600) < 1e-15);
  assert.equal(s.steps, 600);
  assert.ok(Math.abs(s.radius - 2 * (0.2 + 32 / 600)) < 1e-12, `radius ${s.radius}`);
  // The chain's equilibrium distance D·T/α is 5% of the closest pair, whatever D.
  assert.ok(Math.abs((784 * s.temperature) / s.alpha - 0.2) < 1e-12);
  // In 2-D the temperature cap (0.005·α·d_min) applies; fixed fields win and the rest follow them.
  const t = adSettingsFromScale({ dims: 2, minDistance: 4, maxDistance: 4, slope: 2, gradient: 0 }, { alpha: 1, steps: 200 });
  assert.equal(t.alpha, 1);
  assert.ok(Math.abs(t.temperature - 0.02) < 1e-15);
  assert.ok(Math.abs(t.stepSize - 8 / 200) < 1e-15);
  assert.equal(adSettingsFromScale({ dims: 2, minDistance: 4, maxDistance: 4, slope: 2, gradient: 0 }, { radius: 0.1 }).radius, 0.1);
  // Descent ends that are not minima: the magnet must out-pull the energy's remaining fall (2 × ‖∇E‖).
  assert.equal(adSettingsFromScale({ dims: 784, minDistance: 4, maxDistance: 16, slope: 2, gradient: 5 }).alpha, 10);
  assert.throws(() => adSettingsFromScale({ dims: 2, minDistance: 0, maxDistance: 1, slope: 1, gradient: 0 }), isUserError);
});

/** The hill landscape embedded in 784-D along a random plane: the saddle ring is unchanged (rotational symmetry about the wells' axis). */
function hill784() {
  const u = unit(seededVector(784, 11));
  const v0 = seededVector(784, 12);
  const dot = v0.reduce((a, x, i) => a + x * u[i], 0);
  const v = unit(v0.map((x, i) => x - dot * u[i]));
  const base = seededVector(784, 13, 0.2);
  const at = (p: readonly number[]): number[] => base.map((b, i) => b + p[0] * u[i] + p[1] * v[i]);
  return { wells: HILL.map((w) => ({ ...w, center: at(w.center) })), at };
}

test('784-D: settings derived from the landscape carry attraction–diffusion round the hill to the saddle', async () => {
  const ref = hillReference();
  const { wells, at } = hill784();
  const score = wellsScore(wells);
  const minima = tf.tensor(ref.minima.map(at).flat(), [2, 28, 28, 1]);
  const linear = await linearBarriers(score, minima, [[0, 1]], { resolution: 21 });
  const scale = await barrierScale(score, minima, linear);
  assert.equal(scale.dims, 784);
  assert.ok(scale.gradient < 1e-3, `‖∇E‖ at the minima ${scale.gradient}`);
  assert.ok(Math.abs(scale.minDistance - 2 * ref.minima[1][0]) < 1e-3, `distance ${scale.minDistance}`);
  // Mean climb from a minimum to the hill top at γ = ½.
  assert.ok(Math.abs(scale.slope - (linear.values[0] - ref.minEnergy) / ref.minima[1][0]) < 1e-3);
  const settings = adSettingsFromScale(scale);
  // The old fixed settings (α 0.05, T 0.01) would put the success radius at 2·D·T/α ≈ 314, far beyond the minima's distance.
  assert.ok(settings.radius < scale.minDistance / 2);
  const before = tf.memory().numTensors;
  const ad = await adBarriers(score, minima, [[0, 1]], { ...settings, trials: 4, seed: 7 });
  assert.equal(tf.memory().numTensors, before);
  const height = ref.saddle - ref.minEnergy;
  assert.ok(ad.successes[0] >= 6, `${ad.successes[0]} of 8 chains arrived`);
  assert.ok(linear.values[0] > ref.saddle + 0.5 * height, 'the straight line climbs the hill');
  assert.ok(ad.values[0] > ref.saddle - 0.02 * height && ad.values[0] < ref.saddle + 0.1 * height, `AD ${ad.values[0]} vs saddle ${ref.saddle} (height ${height})`);
  minima.dispose();
});

test('barrierScale: ‖∇E‖ at points that are not minima, with the components the clamp blocks left out', async () => {
  // Two points on the hill's axis, 0.5 inside the minima: E falls towards the wells, dE/dx from the closed form.
  const ref = hillReference();
  const xm = ref.minima[1][0];
  const pts = tf.tensor2d([[-(xm - 0.5), 0], [xm - 0.5, 0]]);
  const score = wellsScore(HILL);
  const linear = await linearBarriers(score, pts, [[0, 1]], { resolution: 5 });
  const h = 1e-5;
  const slope = Math.abs(wellsEnergy(HILL, [xm - 0.5 + h, 0]) - wellsEnergy(HILL, [xm - 0.5 - h, 0])) / (2 * h);
  const s = await barrierScale(score, pts, linear);
  assert.ok(Math.abs(s.gradient - slope) < 1e-3 * slope, `gradient ${s.gradient} vs ${slope}`);
  // Clamped to |x| ≤ xm − 0.5, both points sit on the box's edge and their fall points out of it: nothing left.
  const c = await barrierScale(score, pts, linear, { clamp: [-(xm - 0.5), xm - 0.5] });
  assert.ok(c.gradient < 1e-6, `projected gradient ${c.gradient}`);
  pts.dispose();
});

test('invalid pairs and options are user errors', async () => {
  const m = tf.zeros([3, 2]);
  const score = wellsScore(HILL);
  await assert.rejects(linearBarriers(score, m, [[0, 3]]), (e) => isUserError(e) && /\[0, 3\]/.test(e.message));
  await assert.rejects(linearBarriers(score, m, [[1, 1]]), isUserError);
  await assert.rejects(linearBarriers(score, m, undefined, { resolution: 1 }), isUserError);
  await assert.rejects(adBarriers(score, m, [[0, 1]], { alpha: 0, steps: 1, stepSize: 0.1, temperature: 0 }), isUserError);
  // A success radius reaching the other minimum would make every chain arrive at once.
  const two = tf.tensor2d([[0, 0], [1, 0]]);
  const before = tf.memory().numTensors;
  await assert.rejects(adBarriers(score, two, [[0, 1]], { alpha: 0.1, steps: 1, stepSize: 0.01, temperature: 0.1 }), (e) => isUserError(e) && /radius 4\.0.*default.*distance 1\.00/.test(e.message));
  await assert.rejects(adBarriers(score, two, [[0, 1]], { alpha: 1, steps: 1, stepSize: 0.01, temperature: 0, radius: 1 }), (e) => isUserError(e) && /radius 1\.00 is not below/.test(e.message));
  assert.equal(tf.memory().numTensors, before);
  two.dispose();
  m.dispose();
});
