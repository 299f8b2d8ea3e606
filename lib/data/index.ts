/** Public API of lib/data (re-exported from lib/index.ts). */
export {};
