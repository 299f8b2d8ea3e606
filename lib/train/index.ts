/** Public API of lib/train (re-exported from lib/index.ts). */
export {};
