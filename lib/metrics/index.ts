/** Public API of lib/metrics (re-exported from lib/index.ts). */
export {};
