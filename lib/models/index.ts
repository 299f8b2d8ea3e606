/** Public API of lib/models (re-exported from lib/index.ts). */
export {};
export * from './types';
