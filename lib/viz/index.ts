/** Public API of lib/viz (re-exported from lib/index.ts). */
export {};
