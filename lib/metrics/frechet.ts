/**
 * Sample-quality scores of divergence-triangle §4.2 (Table 1): Fréchet distance between Gaussian fits of
 * feature sets (FID, Heusel et al. 2017, when the features are Inception-v3 pool3) and the Inception Score
 * (Salimans et al. 2016, when the probabilities are Inception-v3's). With this project's small classifiers
 * (classifier.ts) they are "classifier FID/IS": comparable between our runs, not with the paper's numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { UserError } from '../errors';

/** Feature vectors, one per row: a [N, D] tensor or N arrays of length D. */
export type FeatureRows = tf.Tensor | ArrayLike<number>[];

/** Mean and (unbiased, N − 1) covariance of a feature set, as numpy's mean/cov compute them for FID. */
export interface GaussianStatistics {
  mean: Float64Array;
  cov: Matrix;
  count: number;
}

function toRows(x: FeatureRows, what: string): { data: Float64Array; n: number; d: number } {
  if (x instanceof tf.Tensor) {
    if (x.rank !== 2) throw new UserError(`${what}: features must be [N, D] (got shape [${x.shape}]); flatten them first`);
    const [n, d] = x.shape as [number, number];
    return { data: Float64Array.from(x.dataSync()), n, d };
  }
  const n = x.length;
  const d = n > 0 ? x[0].length : 0;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    if (x[i].length !== d) throw new UserError(`${what}: row ${i} has ${x[i].length} features, row 0 has ${d}`);
    for (let j = 0; j < d; j++) data[i * d + j] = x[i][j];
  }
  return { data, n, d };
}

/** Mean in float64; covariance as a float32 matmul of the centred rows (centring first keeps it accurate). */
export function gaussianStatistics(features: FeatureRows): GaussianStatistics {
  const { data, n, d } = toRows(features, 'gaussianStatistics');
  if (n < 2 || d < 1) throw new UserError(`gaussianStatistics: needs at least 2 feature vectors (got ${n} of dimension ${d})`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const centred = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centred[i * d + j] = data[i * d + j] - mean[j];
  const covFlat = tf.tidy(() => {
    const c = tf.tensor2d(centred, [n, d]);
    return tf.matMul(c, c, true, false).div(n - 1).dataSync();
  });
  const cov = new Matrix(d, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) cov.set(i, j, (covFlat[i * d + j] + covFlat[j * d + i]) / 2);
  }
  return { mean, cov, count: n };
}

function trace(m: Matrix): number {
  let t = 0;
  for (let i = 0; i < m.rows; i++) t += m.get(i, i);
  return t;
}

/**
 * Aᵀ B. Small matrices in float64 (ml-matrix); from 256 dimensions on, a float32 tf matmul: ml-matrix's
 * JS product of two 2048² matrices takes about a minute, tf's a fraction of a second, and float32 keeps
 * tr(…)^{1/2} to ~1e-6 relative, far below FID's sampling noise.
 */
function transposeTimes(a: Matrix, b: Matrix): Matrix {
  if (a.rows < 256) return a.transpose().mmul(b);
  const out = tf.tidy(() => {
    const ta = tf.tensor2d(Float32Array.from(a.to1DArray()), [a.rows, a.columns]);
    const tb = tf.tensor2d(Float32Array.from(b.to1DArray()), [b.rows, b.columns]);
    return tf.matMul(ta, tb, true, false).dataSync();
  });
  const m = new Matrix(a.columns, b.columns);
  for (let i = 0; i < a.columns; i++) for (let j = 0; j < b.columns; j++) m.set(i, j, out[i * b.columns + j]);
  return m;
}

/**
 * d² = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁Σ₂)^{1/2}. With Σ₁ = V Λ Vᵀ and W = V Λ^{1/2}, the matrix
 * C = Wᵀ Σ₂ W is symmetric PSD and similar to S Σ₂ S with S = Σ₁^{1/2} (S Σ₂ S = V C Vᵀ), which is similar
 * to Σ₁Σ₂; so tr (Σ₁Σ₂)^{1/2} = Σ √eig(C): two symmetric eigendecompositions replace scipy's general sqrtm,
 * and no complex parts appear. Negative eigenvalues (rounding on singular covariances) count as 0.
 */
export function frechetDistanceFromStatistics(a: GaussianStatistics, b: GaussianStatistics): number {
  const d = a.mean.length;
  if (b.mean.length !== d) throw new UserError(`frechetDistance: feature dimensions differ (${d} vs ${b.mean.length})`);
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (a.mean[j] - b.mean[j]) ** 2;
  const evd1 = new EigenvalueDecomposition(a.cov, { assumeSymmetric: true });
  const w = evd1.eigenvectorMatrix.clone();
  evd1.realEigenvalues.forEach((l, j) => w.mulColumn(j, Math.sqrt(Math.max(l, 0))));
  const c = transposeTimes(w, transposeTimes(b.cov, w)); // Wᵀ (Σ₂ᵀ W) = Wᵀ Σ₂ W, Σ₂ symmetric
  const sym = c.add(c.transpose()).div(2);
  const evd2 = new EigenvalueDecomposition(sym, { assumeSymmetric: true });
  const traceSqrt = evd2.realEigenvalues.reduce((acc, l) => acc + Math.sqrt(Math.max(l, 0)), 0);
  return meanTerm + trace(a.cov) + trace(b.cov) - 2 * traceSqrt;
}

/**
 * Fréchet distance between Gaussian fits of two feature sets (FID when the features are Inception-v3
 * pool3 activations; "classifier FID" with `classifierFeatures`). Lower is better; 0 for identical sets.
 * @param featuresA [N, D] @param featuresB [M, D]
 */
export function fid(featuresA: FeatureRows, featuresB: FeatureRows): number {
  return frechetDistanceFromStatistics(gaussianStatistics(featuresA), gaussianStatistics(featuresB));
}

/**
 * Inception Score exp(E_x KL(p(y|x) ‖ p(y))), computed on `splits` equal parts (p(y) per part) and
 * reported as mean and population std over parts, as in Salimans et al.'s code. Between 1 and K.
 * @param probabilities [N, K] class probabilities (rows sum to 1)
 */
export function inceptionScore(probabilities: FeatureRows, splits = 10): { mean: number; std: number } {
  const { data, n, d: k } = toRows(probabilities, 'inceptionScore');
  if (!Number.isInteger(splits) || splits < 1 || splits > n) {
    throw new UserError(`inceptionScore: splits must be an integer in [1, ${n}] (got ${splits})`);
  }
  const eps = 1e-12;
  const scores: number[] = [];
  for (let s = 0; s < splits; s++) {
    const lo = Math.floor((s * n) / splits);
    const hi = Math.floor(((s + 1) * n) / splits);
    const py = new Float64Array(k);
    for (let i = lo; i < hi; i++) for (let j = 0; j < k; j++) py[j] += data[i * k + j];
    for (let j = 0; j < k; j++) py[j] /= hi - lo;
    let kl = 0;
    for (let i = lo; i < hi; i++) {
      for (let j = 0; j < k; j++) {
        const p = data[i * k + j];
        if (p > 0) kl += p * (Math.log(p + eps) - Math.log(py[j] + eps));
      }
    }
    scores.push(Math.exp(kl / (hi - lo)));
  }
  const mean = scores.reduce((a, b) => a + b, 0) / splits;
  const std = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / splits);
  return { mean, std };
}
