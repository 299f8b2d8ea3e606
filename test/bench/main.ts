/**
 * `npm run bench [-- --json FILE] [--only BACKEND[,BACKEND]] [--sections a,b] [--iters N] [--widths 1,0.25]`
 *
 * Default sections: triangle (ms per divergence-triangle iteration on every backend that loads),
 * torch (the PyTorch CPU peer), memory (tensor count at iteration 10 vs 50). Opt-in: kernels (per-layer
 * conv GFLOP/s), data, landscape. Sections live in ./sections and register themselves (./registry).
 *
 * On a shared machine wall time depends on the other processes: every row also gives process CPU
 * time per iteration, which does much less.
 */
import * as fs from 'node:fs';
import { availableBackends, BACKEND_ORDER, type BackendName } from '../../lib/backend/index';
import { isUserError } from '../../lib/errors';
import { peerKey, SECTIONS, type BenchArgs, type BenchContext } from './registry';
import './sections/torch';
import './sections/triangle';
import './sections/memory';
import './sections/kernels';
import './sections/others';

function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { iters: 5, widths: [1, 0.25], batch: 64 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench: ${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--json':
        args.json = value();
        break;
      case '--only': {
        const names = value().split(',');
        for (const n of names) if (!(BACKEND_ORDER as readonly string[]).includes(n)) throw new Error(`bench: unknown backend ${n} (use ${BACKEND_ORDER.join(', ')})`);
        args.only = names as BackendName[];
        break;
      }
      case '--sections':
        args.sections = value().split(',');
        break;
      case '--iters':
        args.iters = Math.max(1, Number(value()));
        break;
      case '--widths':
        args.widths = value().split(',').map(Number);
        break;
      case '--batch':
        args.batch = Number(value());
        break;
      case '--help':
        console.log('npm run bench -- [--json FILE] [--only wasm,native] [--sections triangle,torch,memory] [--iters 5] [--widths 1,0.25] [--batch 64]');
        console.log(SECTIONS.map((s) => `  ${s.name.padEnd(10)} ${s.byDefault ? '(default) ' : ''}${s.summary}`).join('\n'));
        process.exit(0);
        break;
      default:
        throw new Error(`bench: unknown argument ${a} (see --help)`);
    }
  }
  return args;
}

function table(ctx: BenchContext): string[] {
  const head = ['backend', 'width', 'ms/iter', 'CPU ms/iter', 'images/s', 'GFLOP/iter', 'GFLOP/s', 'GFLOP/CPU-s', 'PyTorch ms', 'ratio', 'CPU ratio'];
  const lines = ctx.rows.map((r) => {
    const torchCpu = ctx.peers.get(peerKey('mnist-cpu', r.width));
    return [
      r.backend, String(r.width), r.msPerIter.toFixed(0), r.cpuMsPerIter.toFixed(0), (r.batch / r.msPerIter * 1e3).toFixed(1),
      r.gflopPerIter.toFixed(1), (r.gflopPerIter / r.msPerIter * 1e3).toFixed(1), (r.gflopPerIter / r.cpuMsPerIter * 1e3).toFixed(1),
      r.peerMsPerIter ? r.peerMsPerIter.toFixed(0) : '-', r.ratio ? r.ratio.toFixed(1) : '-',
      torchCpu ? (r.cpuMsPerIter / torchCpu).toFixed(1) : '-',
    ];
  });
  const all = [head, ...lines];
  const widths = head.map((_, j) => Math.max(...all.map((l) => l[j].length)));
  return all.map((l) => l.map((s, j) => (j === 0 ? s.padEnd(widths[j]) : s.padStart(widths[j]))).join('  '));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let backends = await availableBackends();
  if (args.only) backends = backends.filter((b) => args.only!.includes(b));
  const ctx: BenchContext = { args, backends, rows: [], peers: new Map(), flops: new Map(), notes: [], log: (l) => console.log(l) };
  const wanted = args.sections ?? SECTIONS.filter((s) => s.byDefault).map((s) => s.name);
  for (const w of wanted) if (!SECTIONS.some((s) => s.name === w)) throw new Error(`bench: unknown section ${w} (have ${SECTIONS.map((s) => s.name).join(', ')})`);
  console.log(`bench: backends ${backends.join(', ') || 'none'}; sections ${wanted.join(', ')}; batch ${args.batch}; load average ${require('node:os').loadavg().map((x: number) => x.toFixed(1)).join(' ')}`);
  for (const s of SECTIONS) {
    if (!wanted.includes(s.name)) continue;
    console.log(`\n== ${s.name}: ${s.summary} ==`);
    await s.run(ctx);
  }
  for (const r of ctx.rows) {
    r.peerMsPerIter = ctx.peers.get(peerKey(r.arch, r.width)) ?? null;
    r.ratio = r.peerMsPerIter ? r.msPerIter / r.peerMsPerIter : null;
  }
  if (ctx.rows.length) {
    console.log(`\n== divergence-triangle iteration, Table 6 MNIST networks, batch ${args.batch} ==`);
    for (const l of table(ctx)) console.log(l);
    console.log('ratio = ms/iter ÷ PyTorch ms/iter (wall); CPU ratio = CPU ms/iter ÷ PyTorch CPU ms/iter (both threads). ' +
      'GFLOP counts conv and dense layers, forward and backward, from the kernels one iteration runs.');
  }
  if (ctx.notes.length) console.log('\n' + ctx.notes.map((n) => `note: ${n}`).join('\n'));
  console.log(`load average at the end: ${require('node:os').loadavg().map((x: number) => x.toFixed(1)).join(' ')}`);
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify(ctx.rows, null, 2) + '\n');
    console.log(`wrote ${ctx.rows.length} rows to ${args.json}`);
  }
}

main().catch((e: unknown) => {
  console.error(isUserError(e) || (e instanceof Error && e.message.startsWith('bench:')) ? e.message : e);
  process.exit(2);
});
