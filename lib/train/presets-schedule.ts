/**
 * One scale of a preset family, as every family's table of scales gives it (presets.ts and the
 * presets-*.ts files): the data size, network width and schedule, and the paper scale's schedule that
 * the families share. Imports only types from presets.ts, so every presets-*.ts file can import it
 * without an import cycle.
 */
import type { PresetCommon } from './presets';

/** The data size, network width and schedule of one scale; a family's rows add their description. */
export type ScheduleRow = Pick<PresetCommon, 'scale' | 'dataLimit' | 'width' | 'batchSize' | 'epochs' | 'iterations' | 'checkpointEvery' | 'logEvery'>;

/** The paper scale's schedule (the paper gives none: batch 100 and 100 epochs are our choice), a checkpoint every 1,000 iterations. */
export const PAPER_SCHEDULE = { batchSize: 100, epochs: 100, iterations: 0, checkpointEvery: 1000, logEvery: 50 } as const satisfies Partial<ScheduleRow>;
