/**
 * Threshold-free detection metrics (VAE + latent-EBM paper: OOD detection §5.3, Table 3; anomaly detection §5.4, Table 4):
 * AUROC, average precision (AUPRC) and the curves to plot them. Convention: a higher score means "more
 * likely positive" (label 1). For OOD detection with an EBM, pass e.g. scores = −f_α(x) = energy and
 * labels = 1 for OOD, or scores = f_α(x) and labels = 1 for in-distribution; say which next to the number.
 * Tied scores are one threshold (as scikit-learn does), so ties count half in the AUROC.
 */
import { UserError } from '../errors';

export interface RocCurve {
  /** false-positive rate at each threshold, from 0 up to 1 */
  fpr: number[];
  /** true-positive rate at each threshold */
  tpr: number[];
  /** score thresholds (predict positive when score ≥ threshold), decreasing; the first is +Infinity */
  thresholds: number[];
}

export interface PrCurve {
  /** precision at each threshold; the first point is (recall 0, precision 1) */
  precision: number[];
  /** recall at each threshold, from 0 up to 1 */
  recall: number[];
  /** decreasing thresholds; the first is +Infinity */
  thresholds: number[];
}

/** Cumulative true/false positives at each distinct threshold, scores sorted decreasing (sklearn's _binary_clf_curve). */
function cumulativeCounts(
  scores: ArrayLike<number>,
  labels: ArrayLike<number | boolean>,
  what: string,
): { tps: number[]; fps: number[]; thresholds: number[] } {
  const n = scores.length;
  if (labels.length !== n) throw new UserError(`${what}: ${n} scores but ${labels.length} labels; pass one label per score`);
  const y = new Uint8Array(n);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new UserError(`${what}: score ${i} is NaN; remove or fix non-finite scores`);
    const l = Number(labels[i]);
    if (l !== 0 && l !== 1) throw new UserError(`${what}: label ${i} is ${labels[i]}; labels must be 0/1 (or false/true)`);
    y[i] = l;
    positives += l;
  }
  if (positives === 0 || positives === n) {
    throw new UserError(`${what}: needs both positive and negative labels (got ${positives} positives of ${n})`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  for (let k = 0; k < n; k++) {
    tp += y[order[k]];
    const last = k === n - 1 || scores[order[k + 1]] !== scores[order[k]];
    if (last) {
      tps.push(tp);
      fps.push(k + 1 - tp);
      thresholds.push(scores[order[k]]);
    }
  }
  return { tps, fps, thresholds };
}

/** ROC curve points (no intermediate points dropped, unlike sklearn's default; the area is the same). */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): RocCurve {
  const { tps, fps, thresholds } = cumulativeCounts(scores, labels, 'rocCurve');
  const P = tps[tps.length - 1];
  const N = fps[fps.length - 1];
  return {
    fpr: [0, ...fps.map((f) => f / N)],
    tpr: [0, ...tps.map((t) => t / P)],
    thresholds: [Infinity, ...thresholds],
  };
}

/** Area under the ROC curve by the trapezoid rule over distinct thresholds (= P(s⁺ > s⁻) + ½ P(s⁺ = s⁻)). */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  const { fpr, tpr } = rocCurve(scores, labels);
  let area = 0;
  for (let i = 1; i < fpr.length; i++) area += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
  return area;
}

/** Precision-recall curve points at every distinct threshold, starting from (recall 0, precision 1). */
export function prCurve(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): PrCurve {
  const { tps, fps, thresholds } = cumulativeCounts(scores, labels, 'prCurve');
  const P = tps[tps.length - 1];
  return {
    precision: [1, ...tps.map((t, i) => t / (t + fps[i]))],
    recall: [0, ...tps.map((t) => t / P)],
    thresholds: [Infinity, ...thresholds],
  };
}

/**
 * Average precision as scikit-learn's `average_precision_score` computes it: AP = Σ_k (R_k − R_{k−1}) P_k
 * over distinct thresholds, step-wise with no interpolation (not the trapezoid area under the PR curve).
 */
export function auprc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  const { precision, recall } = prCurve(scores, labels);
  let ap = 0;
  for (let k = 1; k < recall.length; k++) ap += (recall[k] - recall[k - 1]) * precision[k];
  return ap;
}
