/** Public API of lib/objectives (re-exported from lib/index.ts). */
export {};
