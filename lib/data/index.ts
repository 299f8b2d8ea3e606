/** Public API of lib/data (re-exported from lib/index.ts). */
export { makeImageDataset } from './types';
export type { ImageDataset, LoadDatasetOptions, DatasetSplit, RawImages } from './types';
export { loadDataset, resolveDataDir, listDatasets, datasetNames, listTextureFiles, DATASET_CLASS_NAMES, FASHION_MNIST_CLASSES, SKIMAGE_TEXTURES } from './datasets';
export type { DatasetInfo, ResolvedDataDir } from './datasets';
export { batchIndices, gatherBatch, gatherLabels } from './batch';
export type { BatchOptions } from './batch';
export { occlusionMask, occlusionMaskPixels, occlusionBlocks, occlusionBlockSide, maskDescription, OCCLUSION_KINDS } from './masks';
export type { OcclusionKind, OcclusionBlock } from './masks';
export { resizeDataset } from './transform';
export { toy2dModes, toy2dSpec, TOY2D_NAMES } from './synthetic';
export type { Toy2dName, Toy2dSpec } from './synthetic';
export { fetchDataset, verifyChecksum, fileDigest, extractTarGz, extractZip, FETCH_RECIPES } from './fetch';
export type { FetchRecipe, RemoteFile, FetchOptions } from './fetch';
// Format readers, for notebooks and tools that need one file rather than a dataset.
export { readIdx, parseIdx } from './idx';
export type { IdxArray } from './idx';
export { readCifarBatches, CIFAR10_CLASSES } from './cifar';
export { readNpy, readNpz, parseNpy } from './npy';
export type { NpyArray } from './npy';
export { readMat, parseMat } from './mat';
export type { MatArray } from './mat';
export { readSvhnMat } from './svhn';
export { readPat, parsePat } from './pat';
export type { GimpPattern } from './pat';
export { ZipReader } from './zip';
export { decodeImages } from './images';
export type { ImageInput, DecodeOptions } from './images';
