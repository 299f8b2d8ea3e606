/** Every experiment `dtri experiment NAME` can run, by its notebook's name. */
import type { ExperimentInfo } from './context';
import { OBJECT_GENERATION } from './generation';
import { TEST_RECONSTRUCTION } from './reconstruction';
import { INCOMPLETE_DATA } from './incomplete';
import { ENERGY_LANDSCAPE } from './landscape';
import { LARGE_SCALE } from './large-scale';
import { TOY_TRIANGLE } from './toy2d';
import { HIGH_RESOLUTION } from './high-resolution';
import { TEXTURE_SYNTHESIS } from './textures';
import { DYNAMIC_TEXTURE } from './dynamic-texture';
import { LATENT_EBM_GENERATION } from './latent-generation';
import { OOD_DETECTION } from './ood';
import { ANOMALY_DETECTION } from './anomaly';

export const EXPERIMENTS: readonly ExperimentInfo[] = [TOY_TRIANGLE, OBJECT_GENERATION, LARGE_SCALE, HIGH_RESOLUTION, TEXTURE_SYNTHESIS, DYNAMIC_TEXTURE, TEST_RECONSTRUCTION, ENERGY_LANDSCAPE, INCOMPLETE_DATA, LATENT_EBM_GENERATION, OOD_DETECTION, ANOMALY_DETECTION];

export function experimentNames(): string[] {
  return EXPERIMENTS.map((e) => e.name);
}
