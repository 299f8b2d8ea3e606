/** Public API of lib/train (re-exported from lib/index.ts). */
export * from './rng';
export * from './optimizer';
export * from './checkpoint';
export * from './presets';
export * from './langevin';
