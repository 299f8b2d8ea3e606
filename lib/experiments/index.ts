/** Public API of lib/experiments: one recipe per experiment section, shared by the notebooks and `dtri experiment`. */
export * from './context';
export * from './registry';
export * as generation from './generation';
export * as largeScale from './large-scale';
export * as reconstruction from './reconstruction';
export * as incomplete from './incomplete';
export * as landscape from './landscape';
