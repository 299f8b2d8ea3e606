/** Public API of divergence-triangle. Notebooks import this (compiled) module by the package name. */
export * from './errors';
export * from './random/index';
export * from './samplers/index';
export * from './backend/index';
export * from './models/index';
export * from './objectives/index';
export * from './train/index';
export * from './data/index';
export * from './landscape/index';
export * from './metrics/index';
export * from './viz/index';
export * from './notebook/index';
export * from './experiments/index';
