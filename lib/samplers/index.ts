/** Public API of lib/samplers: Langevin dynamics (with an optional Metropolis–Hastings correction) on an energy. */
export * from './langevin';
