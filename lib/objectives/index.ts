/** Public API of lib/objectives (re-exported from lib/index.ts). */
export * from './gaussian';
export * from './scaling';
export * from './triangle';
export * from './vae';
export * from './latent-ebm';
