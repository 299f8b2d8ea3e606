/** Public API of lib/train (re-exported from lib/index.ts). */
export * from './optimizer';
export * from './checkpoint';
export * from './presets';
export * from './trainer';
export * from './triangle';
export * from './vae';
export * from './wake-sleep';
export * from './latent-ebm';
export * from './acd';
export * from './abp';
export * from './incomplete';
export * from './progressive';
export * from './runner';
export * from './presets-latent-notebooks';
