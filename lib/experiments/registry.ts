/** Every experiment `dtri experiment NAME` can run, by its notebook's name. */
import type { ExperimentInfo } from './context';
import { OBJECT_GENERATION } from './generation';
import { TEST_RECONSTRUCTION } from './reconstruction';

export const EXPERIMENTS: readonly ExperimentInfo[] = [OBJECT_GENERATION, TEST_RECONSTRUCTION];

export function experimentNames(): string[] {
  return EXPERIMENTS.map((e) => e.name);
}
