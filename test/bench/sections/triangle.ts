/**
 * (a) ms per divergence-triangle iteration (Table 6 MNIST networks, batch 64) on every backend that
 * loads, at each width, after warm-up: median over --iters iterations. The pure-JS cpu backend runs
 * one iteration at the smallest width only, and only when asked for (`--only cpu`): its conv
 * gradients are scalar loops, and that one iteration takes about 10 CPU-minutes.
 */
import * as tf from '@tensorflow/tfjs';
import { tfBackendName } from '../../../lib/backend/index';
import { peerKey, registerSection, type BenchContext } from '../registry';
import { countGflop, makeTriangleIteration } from './iteration';

const WARMUP = 2;

async function measure(ctx: BenchContext, backend: string, width: number, iters: number, warmup: number): Promise<void> {
  const { batch } = ctx.args;
  const it = makeTriangleIteration(width, batch);
  try {
    for (let i = 0; i < warmup; i++) it.step();
    const key = peerKey('mnist', width);
    if (!ctx.flops.has(key) && backend !== 'cpu') ctx.flops.set(key, await countGflop(() => it.step()));
    const times: number[] = [];
    const c0 = process.cpuUsage();
    for (let i = 0; i < iters; i++) {
      const t0 = performance.now();
      it.step();
      times.push(performance.now() - t0);
    }
    const c = process.cpuUsage(c0);
    times.sort((a, b) => a - b);
    const ms = times[times.length >> 1];
    const peer = ctx.peers.get(key) ?? null;
    ctx.rows.push({
      backend, arch: 'mnist', width, batch, msPerIter: ms, peerMsPerIter: peer, ratio: peer ? ms / peer : null,
      cpuMsPerIter: (c.user + c.system) / 1e3 / iters, gflopPerIter: ctx.flops.get(key) ?? NaN, iters,
      note: warmup === 0 ? 'no warm-up' : undefined,
    });
    ctx.log(`  ${backend} width ${width}: ${ms.toFixed(0)} ms/iter (median of ${iters}; ${times.map((t) => t.toFixed(0)).join(', ')})`);
  } finally {
    it.dispose();
  }
}

registerSection({
  name: 'triangle',
  summary: 'one divergence-triangle iteration (Table 6 MNIST nets) per backend and width',
  byDefault: true,
  async run(ctx) {
    const widths = [...ctx.args.widths].sort((a, b) => b - a);
    for (const backend of ctx.backends) {
      await tf.setBackend(tfBackendName(backend));
      if (backend === 'cpu') {
        if (!ctx.args.only?.includes('cpu')) {
          ctx.notes.push('cpu: skipped (one iteration takes about 10 CPU-minutes; run with --only cpu)');
          continue;
        }
        const w = widths[widths.length - 1];
        ctx.notes.push(`cpu: 1 iteration at width ${w} only, no warm-up (pure-JS conv gradients take minutes)`);
        await measure(ctx, backend, w, 1, 0);
        continue;
      }
      for (const w of widths) await measure(ctx, backend, w, ctx.args.iters, WARMUP);
    }
    // FLOPs may have been counted after the first rows were made.
    for (const r of ctx.rows) if (Number.isNaN(r.gflopPerIter)) r.gflopPerIter = ctx.flops.get(peerKey(r.arch, r.width)) ?? NaN;
  },
});
