/** Every experiment `dtri experiment NAME` can run, by its notebook's name. */
import type { ExperimentInfo } from './context';
import { OBJECT_GENERATION } from './generation';
import { TEST_RECONSTRUCTION } from './reconstruction';
import { INCOMPLETE_DATA } from './incomplete';
import { ENERGY_LANDSCAPE } from './landscape';
import { LARGE_SCALE } from './large-scale';

export const EXPERIMENTS: readonly ExperimentInfo[] = [OBJECT_GENERATION, LARGE_SCALE, TEST_RECONSTRUCTION, ENERGY_LANDSCAPE, INCOMPLETE_DATA];

export function experimentNames(): string[] {
  return EXPERIMENTS.map((e) => e.name);
}
