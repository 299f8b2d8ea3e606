/**
 * (c) Memory across training: tensor count and RSS after iteration 10 and iteration 50 of the
 * triangle iteration (width 0.25) on every backend but cpu. The tensor counts must be equal: a leak of even
 * one tensor per iteration shows as +40.
 */
import * as tf from '@tensorflow/tfjs';
import { tfBackendName, type BackendName } from '../../../lib/backend/index';
import { registerSection, type BenchContext } from '../registry';
import { makeTriangleIteration } from './iteration';

export interface MemoryProbe {
  iteration: number;
  numTensors: number;
  backendDataIds: number;
  rssMB: number;
  peakRssMB: number;
}

function probe(iteration: number): MemoryProbe {
  return {
    iteration,
    numTensors: tf.memory().numTensors,
    backendDataIds: tf.engine().backend.numDataIds(),
    rssMB: process.memoryUsage().rss / 2 ** 20,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}

registerSection({
  name: 'memory',
  summary: 'tensor count and RSS at iteration 10 vs 50 (must be equal)',
  byDefault: true,
  async run(ctx) {
    const backends = ctx.backends.filter((b) => b !== 'cpu');
    if (!backends.length) ctx.notes.push('memory: skipped (only the cpu backend loads; 50 iterations would take hours)');
    for (const backend of backends) await measure(ctx, backend);
  },
});

async function measure(ctx: BenchContext, backend: BackendName): Promise<void> {
  await tf.setBackend(tfBackendName(backend));
  const width = 0.25;
  const it = makeTriangleIteration(width, ctx.args.batch, 3);
  const probes: MemoryProbe[] = [];
  try {
    for (let i = 1; i <= 50; i++) {
      it.step();
      if (i === 10 || i === 50) probes.push(probe(i));
    }
  } finally {
    it.dispose();
  }
  const [a, b] = probes;
  const ok = a.numTensors === b.numTensors && a.backendDataIds === b.backendDataIds;
  for (const p of probes) {
    ctx.log(`  ${backend} width ${width}, after iteration ${p.iteration}: ${p.numTensors} tensors, ${p.backendDataIds} backend buffers, ` +
      `RSS ${p.rssMB.toFixed(0)} MiB (peak ${p.peakRssMB.toFixed(0)} MiB)`);
  }
  const line = `memory (${backend}, width ${width}): tensors ${a.numTensors} → ${b.numTensors}, backend buffers ${a.backendDataIds} → ${b.backendDataIds}, ` +
    `RSS ${a.rssMB.toFixed(0)} → ${b.rssMB.toFixed(0)} MiB, peak ${b.peakRssMB.toFixed(0)} MiB: ${ok ? 'flat (PASS)' : 'GROWS (FAIL)'}`;
  ctx.notes.push(line);
  if (!ok) process.exitCode = 1;
}
