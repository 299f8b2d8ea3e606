/** Public API of lib/experiments: one recipe per experiment section, shared by the notebooks and `dtri experiment`. */
export * from './context';
export * from './registry';
export * as toy2d from './toy2d';
export * as generation from './generation';
export * as largeScale from './large-scale';
export * as highResolution from './high-resolution';
export * as textures from './textures';
export * as dynamicTexture from './dynamic-texture';
export * as reconstruction from './reconstruction';
export * as incomplete from './incomplete';
export * as landscape from './landscape';
export * as latentGeneration from './latent-generation';
export * as ood from './ood';
export * as anomaly from './anomaly';
