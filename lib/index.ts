/** Public API of divergence-triangle. Notebooks import this (compiled) module by the package name. */
export * from './models/types';
export * from './backend/index';
export * from "./errors";
