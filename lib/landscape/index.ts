/** Public API of lib/landscape (re-exported from lib/index.ts). */
export {};
