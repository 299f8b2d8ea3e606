/** Other areas' benchmarks, opt-in: `--sections data` (issue 6 loading targets), `--sections landscape`. */
import { registerSection } from '../registry';

registerSection({
  name: 'data',
  summary: 'data loading: full Fashion-MNIST, 10k-JPEG folder decode and cache (test/bench/data.ts)',
  byDefault: false,
  async run(ctx) {
    const { benchData } = await import('../data');
    const rows = await benchData({ log: ctx.log });
    for (const r of rows) ctx.notes.push(`data: ${r.what}: ${r.seconds.toFixed(2)} s, peak RSS ${r.peakRssMB.toFixed(0)} MB (${r.target}: ${r.pass ? 'PASS' : 'FAIL'})`);
  },
});

registerSection({
  name: 'landscape',
  summary: 'energy-landscape barriers on the Table 6 EBM (test/bench/landscape.ts)',
  byDefault: false,
  async run(ctx) {
    const { benchLandscape } = await import('../landscape');
    const r = await benchLandscape({ log: ctx.log, backend: ctx.backends[0] });
    ctx.notes.push(`landscape: ${r.pairsPerSecond.toFixed(1)} pairs/s, ${r.gflops.toFixed(1)} GFLOP/s forward`);
  },
});
