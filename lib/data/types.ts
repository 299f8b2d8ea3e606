/**
 * The dataset contract: every loader returns an `ImageDataset` whose pixels are float32 in [-1, 1]
 * (x/127.5 − 1 of the 8-bit values), the range of the generators' tanh output.
 */
import * as tf from '@tensorflow/tfjs';

export interface ImageDataset {
  /** The name it was loaded by, e.g. 'fashion-mnist' or 'folder:/data/faces'. */
  name: string;
  /** [N, H, W, C] float32 in [-1, 1]; 2-D toy sets [N, 2]; video [N, T, H, W, C]. Owned by the dataset. */
  images: tf.Tensor;
  /** Class index per example, where the source has classes (original indices, never remapped). */
  labels?: Int32Array;
  /** classNames[label], where known. */
  classNames?: string[];
  /** What was loaded and how it differs from the paper's data, in one or two sentences. */
  note: string;
  /** The file or folder it came from ('generated' for synthetic sets). */
  source: string;
  /** Frees `images`. */
  dispose(): void;
}

export type DatasetSplit = 'train' | 'test';

export interface LoadDatasetOptions {
  /** The dataset's folder, or a folder holding <name>/ (see resolveDataDir). */
  dataDir?: string;
  /** Default 'train'. */
  split?: DatasetSplit;
  /** Keep the first `limit` examples after the split and class filters. */
  limit?: number;
  /** Square output side: center-crop to a square, then resize. Default: the dataset's own size. */
  imageSize?: number;
  /** 1 = grayscale, 3 = RGB; converts when the source differs. Default: the dataset's own. */
  channels?: 1 | 3;
  /** Seeds every random choice (train/test selection of CelebA/LSUN, synthetic sets). Default 0. */
  seed?: number;
  /** Keep only these labels (e.g. [3] for one class). */
  classes?: number[];
  /** Drop these labels (e.g. the held-out digit of the anomaly-detection experiment). */
  excludeClasses?: number[];
  /** Frames per clip for 'dyntex' (default 32, §4.1.5). */
  frames?: number;
  /** Use and write the decoded-image cache in data/cache (folders of images only). Default true. */
  cache?: boolean;
  /** Refuse to allocate more than this many bytes of float32 pixels (default 6 GiB). */
  maxBytes?: number;
}

/** Pixels decoded from a source file before selection: uint8, [N, H, W, C] row-major. */
export interface RawImages {
  pixels: Uint8Array;
  n: number;
  h: number;
  w: number;
  c: number;
  labels?: Int32Array;
  classNames?: string[];
}

/** Wraps a tensor as an ImageDataset whose dispose() frees it. */
export function makeImageDataset(fields: Omit<ImageDataset, 'dispose'>): ImageDataset {
  const ds: ImageDataset = {
    ...fields,
    dispose() {
      if (!ds.images.isDisposed) ds.images.dispose();
    },
  };
  return ds;
}
