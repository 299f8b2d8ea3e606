/** Public API of lib/metrics (re-exported from lib/index.ts). */
export * from './reconstruction';
export * from './ranking';
export * from './frechet';
export * from './inception';
export * from './classifier';
export * from './generative-eval';
export * from './texture';
export * from './ood';
export * from './ood-sets';
