/** Notebook conventions: scale from DTRI_PRESET, backend line, results JSON, README results table. */
export * from './session';
export * from './results';
