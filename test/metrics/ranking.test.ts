import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auprc, auroc, prCurve, rocCurve } from '../../lib/metrics/ranking';
import { isUserError } from '../../lib/errors';

// 16 scores with ties within and across classes (0.8 and 0.6 are shared by positives and negatives).
const S = [0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.6, 0.5, 0.4, 0.3, 0.3, 0.2, 0.1, 0.05, 0.8, 0.45];
const Y = [1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1];

// 40 untied scores: numpy RandomState(0), s = round(randn(40), 3), y = rand(40) < 0.4.
const S2 = [1.764, 0.4, 0.979, 2.241, 1.868, -0.977, 0.95, -0.151, -0.103, 0.411, 0.144, 1.454, 0.761, 0.122, 0.444, 0.334, 1.494,
  -0.205, 0.313, -0.854, -2.553, 0.654, 0.864, -0.742, 2.27, -1.454, 0.046, -0.187, 1.533, 1.469, 0.155, 0.378, -0.888, -1.981,
  -0.348, 0.156, 1.23, 1.202, -0.387, -0.302];
const Y2 = [1, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 1, 0, 1];

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('auroc and auprc match scikit-learn on tied and untied scores', () => {
  // Reference values: scikit-learn 1.2.1 (Debian python3-sklearn), roc_auc_score(Y, S) and
  // average_precision_score(Y, S), run once on these arrays.
  close(auroc(S, Y), 0.65625);
  close(auprc(S, Y), 0.6447240259740259);
  close(auroc(S2, Y2), 0.5268542199488491);
  close(auprc(S2, Y2), 0.5747427351078717);
});

test('roc and pr curve points match scikit-learn (drop_intermediate=False)', () => {
  // sklearn.metrics.roc_curve(Y, S, drop_intermediate=False); its first threshold is max+1, ours +Infinity.
  const roc = rocCurve(S, Y);
  assert.deepEqual(roc.fpr, [0.0, 0.0, 0.25, 0.25, 0.375, 0.5, 0.5, 0.5, 0.75, 0.75, 0.875, 1.0]);
  assert.deepEqual(roc.tpr, [0.0, 0.125, 0.25, 0.375, 0.625, 0.625, 0.75, 0.875, 0.875, 1.0, 1.0, 1.0]);
  assert.deepEqual(roc.thresholds, [Infinity, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.3, 0.2, 0.1, 0.05]);
  // sklearn.metrics.precision_recall_curve(Y, S) lists increasing thresholds; ours run decreasing.
  const pr = prCurve(S, Y);
  const skP = [0.5, 0.5333333333333333, 0.5714285714285714, 0.5384615384615384, 0.6363636363636364, 0.6, 0.5555555555555556, 0.625, 0.6, 0.5, 1.0, 1.0];
  const skR = [1.0, 1.0, 1.0, 0.875, 0.875, 0.75, 0.625, 0.625, 0.375, 0.25, 0.125, 0.0];
  skP.reverse().forEach((p, i) => close(pr.precision[i], p));
  assert.deepEqual(pr.recall, skR.reverse());
});

test('closed forms: perfect, reversed and all-tied rankings', () => {
  assert.equal(auroc([3, 2, 1, 0], [1, 1, 0, 0]), 1);
  assert.equal(auroc([3, 2, 1, 0], [0, 0, 1, 1]), 0);
  assert.equal(auroc([1, 1, 1, 1], [1, 0, 1, 0]), 0.5); // a tie counts half
  assert.equal(auprc([3, 2, 1, 0], [true, true, false, false]), 1);
  assert.equal(auprc([1, 1, 1, 1], [1, 0, 0, 0]), 0.25); // all tied: AP = prevalence
});

test('bad input throws a UserError that names the fix', () => {
  assert.throws(() => auroc([1, 2], [1, 1]), (e) => isUserError(e) && /both positive and negative/.test(e.message));
  assert.throws(() => auroc([1, 2], [1]), (e) => isUserError(e) && /one label per score/.test(e.message));
  assert.throws(() => auprc([1, NaN], [1, 0]), (e) => isUserError(e) && /NaN/.test(e.message));
  assert.throws(() => auprc([1, 2], [2, 0]), (e) => isUserError(e) && /0\/1/.test(e.message));
});
