/** Public API of lib/models (re-exported from lib/index.ts). */
export * from './types';
export {
  INIT_STD, deriveInitSeed, stopGradient, SpectralNorm, Conv2d, ConvTranspose2d, Conv3d, ConvTranspose3d, Dense, BatchNorm,
  Activation, Reshape, Sequential,
} from './layers';
export type {
  Layer, LayerDescription, Describable, ConvOptions, ConvTransposeOptions, DenseOptions, BatchNormOptions, ActivationName,
} from './layers';
export { ENERGY_FORMS, applyEnergyForm } from './energy';
export { NetGenerator, NetInference, NetEbm, StackBuilder } from './nets';
export type { RowSpec } from './nets';
export { ARCH_NAMES, resolveModelOptions, layoutFor } from './architectures';
export type { ArchName, ModelOptions, ResolvedOptions, Layout } from './architectures';
export { buildGenerator, buildInference, buildEbm, buildTriangleModels } from './triangle';
export { moduleState, loadModuleState, countParams, describeLayers, formatLayers } from './state';
export type { TensorState, ModuleState } from './state';
export { NetLatentEbm, buildLatentEbm, LATENT_EBM_ARCHS } from './latent-ebm';
export { buildProgressiveModels, ProgressiveGenerator, ProgressiveInference, ProgressiveEbm } from './progressive';
export type { ProgressiveOptions, ProgressiveModels } from './progressive';
