/**
 * Sections of `npm run bench`: each file in ./sections registers one with `registerSection` and
 * main.ts imports it. A section appends rows (ms per training iteration, for the table and --json)
 * and free-form notes to the shared context.
 */
import type { BackendName } from '../../lib/backend/index';

export interface BenchArgs {
  /** Write the iteration rows as JSON here (--json FILE). */
  json?: string;
  /** Backends to run (--only wasm,native); default every one that loads. */
  only?: BackendName[];
  /** Sections to run (--sections triangle,torch); default those with `byDefault`. */
  sections?: string[];
  /** Timed iterations per measurement after warm-up (--iters, default 5). */
  iters: number;
  /** Width multipliers of the Table 6 networks (--widths, default 1,0.25). */
  widths: number[];
  batch: number;
}

/** One measured training iteration; the JSON output is a list of these. */
export interface IterationRow {
  backend: string;
  arch: string;
  width: number;
  batch: number;
  /** Median wall-clock ms of one iteration. */
  msPerIter: number;
  /** PyTorch CPU ms for the same iteration (null when torch is absent). */
  peerMsPerIter: number | null;
  /** msPerIter / peerMsPerIter. */
  ratio: number | null;
  /** Process CPU ms per iteration (all threads): on a shared machine less load-dependent than wall time. */
  cpuMsPerIter: number;
  /** Conv and dense FLOPs of the iteration (forward and backward), counted from the kernels it ran. */
  gflopPerIter: number;
  iters: number;
  note?: string;
}

export interface BenchContext {
  args: BenchArgs;
  /** Backends that loaded, fastest first, filtered by --only. */
  backends: BackendName[];
  rows: IterationRow[];
  /** PyTorch ms per iteration by `${arch}@${width}`. */
  peers: Map<string, number>;
  /** GFLOP per iteration by `${arch}@${width}`. */
  flops: Map<string, number>;
  notes: string[];
  log: (line: string) => void;
}

export interface BenchSection {
  name: string;
  summary: string;
  /** Run when --sections is not given. */
  byDefault: boolean;
  run(ctx: BenchContext): Promise<void>;
}

export const SECTIONS: BenchSection[] = [];

export function registerSection(s: BenchSection): void {
  if (SECTIONS.some((x) => x.name === s.name)) throw new Error(`bench section ${s.name} registered twice`);
  SECTIONS.push(s);
}

export const peerKey = (arch: string, width: number): string => `${arch}@${width}`;
