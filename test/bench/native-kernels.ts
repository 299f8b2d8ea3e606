/**
 * Kernel and training-iteration speed of the native oneDNN engine against the wasm and pure-JS cpu
 * backends, on the MNIST networks of the divergence-triangle paper (Table 6, batch 64).
 *
 *   node -r ts-node/register/transpile-only test/bench/native-kernels.ts [options]
 *     --backends native,wasm,cpu   which backends (default all that load)
 *     --batch 64 --width 1         network geometry (width multiplies the hidden channels)
 *     --cpu-batch 2                batch for the cpu backend's kernels (its naive loops take minutes at 64;
 *                                  their GFLOP/s hardly depends on the batch)
 *     --no-kernels / --no-iter     skip the kernel table / the full-iteration timing
 *     --iters 5                    timed training iterations per backend (after 2 warm-up ones)
 *     --profile                    per-kernel CPU and wall time of one native training iteration
 *     --torch                      also time the same iteration in PyTorch (Debian python3-torch, 2 threads,
 *                                  OMP_WAIT_POLICY=passive: its default spinning collapses on a loaded machine)
 *     --leak 500                   native only: RSS after 50 iterations and after this many (no native leak:
 *                                  within 10%)
 *
 * GFLOP/s counts 2·N·H_out·W_out·C_out·k_h·k_w·C_in for the forward conv of each layer (for a
 * transposed layer, of the conv it is the adjoint of) and the same for its two gradients.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { loadBackend, tfBackendName, type BackendName } from '../../lib/backend';
import { nativeEngineStats } from '../../lib/backend/native';
import { buildTriangleModels } from '../../lib/models';
import { objectiveScaling, triangleEbmLoss, triangleGeneratorLoss, triangleInferenceLoss } from '../../lib/objectives';
import { NetworkOptimizer, gradsAndTerms } from '../../lib/train/optimizer';
import { runTorchIteration } from './sections/torch';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const BATCH = Number(arg('batch', '64'));
const WIDTH = Number(arg('width', '1'));
const CPU_BATCH = Number(arg('cpu-batch', '2'));
const ITERS = Number(arg('iters', '5'));
const c = (n: number) => Math.max(1, Math.round(n * WIDTH));

/** One conv layer as the conv it computes: x [N, h, w, cin] * filter [k, k, cin, cout], stride, pad. */
interface Layer {
  name: string;
  h: number;
  cin: number;
  cout: number;
  k: number;
  s: number;
  p: number;
  /** Transposed layers run Conv2DBackpropInput forward; their "x" is the image-side tensor. */
  transposed: boolean;
}

// Table 6 at the geometry of lib/models/architectures.ts ('mnist'). For transposed layers h/cin are
// the (larger) output side, so every row reads as the conv whose adjoint it is.
const LAYERS: Layer[] = [
  { name: 'E/I conv1 28→14', h: 28, cin: 1, cout: c(128), k: 4, s: 2, p: 1, transposed: false },
  { name: 'E/I conv2 14→7', h: 14, cin: c(128), cout: c(256), k: 4, s: 2, p: 1, transposed: false },
  { name: 'E/I conv3 7→3', h: 7, cin: c(256), cout: c(512), k: 4, s: 2, p: 1, transposed: false },
  { name: 'I head 3→1 (μ,σ)', h: 3, cin: c(512), cout: 200, k: 3, s: 1, p: 0, transposed: false },
  { name: 'G convT1 1→3', h: 3, cin: c(1024), cout: 100, k: 3, s: 1, p: 0, transposed: true },
  { name: 'G convT2 3→7', h: 7, cin: c(512), cout: c(1024), k: 4, s: 2, p: 1, transposed: true },
  { name: 'G convT3 7→14', h: 14, cin: c(256), cout: c(512), k: 4, s: 2, p: 1, transposed: true },
  { name: 'G convT4 14→28', h: 28, cin: 1, cout: c(256), k: 4, s: 2, p: 1, transposed: true },
];

const outSize = (L: Layer) => Math.floor((L.h + 2 * L.p - L.k) / L.s) + 1;
const flops = (L: Layer, n: number) => 2 * n * outSize(L) ** 2 * L.cout * L.k * L.k * L.cin;

function randn(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/**
 * Median wall ms of `f` over repetitions filling about `budgetMs` (at least 1 after a warm-up), and
 * the process CPU ms (all threads) per call. On a shared machine wall time depends on the load;
 * CPU time does much less, so it is printed too (ideal 2-thread scaling: cpu ms = 2 × wall ms).
 */
function timeIt(f: () => unknown, budgetMs: number, maxReps = 20): { ms: number; cpuMs: number } {
  tf.dispose(f() as tf.Tensor); // warm-up: builds and caches primitives
  const times: number[] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (times.length < maxReps && (times.length < 1 || performance.now() - t0 < budgetMs)) {
    const t = performance.now();
    const y = f();
    if (y instanceof tf.Tensor) {
      y.dataSync();
      y.dispose();
    }
    times.push(performance.now() - t);
  }
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1e3 / times.length;
  times.sort((a, b) => a - b);
  return { ms: times[times.length >> 1], cpuMs };
}

type Row = { layer: string; op: string; gflop: number; byBackend: Record<string, { ms: number; cpuMs: number; gflops: number; batch: number }> };

async function kernelTable(backends: BackendName[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const L of LAYERS) {
    for (const op of ['forward', 'grad input', 'grad filter'] as const) {
      rows.push({ layer: L.name, op, gflop: flops(L, BATCH) / 1e9, byBackend: {} });
    }
  }
  for (const be of backends) {
    await tf.setBackend(tfBackendName(be));
    const n = be === 'cpu' ? CPU_BATCH : BATCH;
    let r = 0;
    for (const L of LAYERS) {
      const o = outSize(L);
      const x = randn([n, L.h, L.h, L.cin], 1);
      const w = tf.mul(randn([L.k, L.k, L.cin, L.cout], 2), 0.05);
      const dy = randn([n, o, o, L.cout], 3);
      const pad = L.p;
      const conv = () => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, L.s, pad);
      const gradIn = () => tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, [n, L.h, L.h, L.cin], L.s, pad);
      const gradW = () =>
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
          strides: L.s, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [L.k, L.k, L.cin, L.cout],
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
      // For a transposed layer the network's forward is the conv's input gradient and vice versa.
      const ops = L.transposed ? [gradIn, conv, gradW] : [conv, gradIn, gradW];
      const budget = be === 'cpu' ? 1 : 300;
      for (const f of ops) {
        const { ms, cpuMs } = timeIt(f, budget);
        rows[r].byBackend[be] = { ms, cpuMs, gflops: flops(L, n) / ms / 1e6, batch: n };
        r++;
      }
      tf.dispose([x, w, dy]);
    }
  }
  // Row labels follow the network's view.
  let i = 0;
  for (const L of LAYERS) {
    const names = L.transposed ? ['forward (convT)', 'grad input (conv)', 'grad filter'] : ['forward', 'grad input', 'grad filter'];
    for (const nm of names) rows[i++].op = nm;
  }
  return rows;
}

function printTable(rows: Row[], backends: BackendName[]): void {
  // Per backend: wall ms, GFLOP per wall second, GFLOP per CPU second (all threads; robust to load).
  const head = ['layer', 'op', 'GFLOP', ...backends.flatMap((b) => [`${b} ms`, 'GF/s', 'GF/CPU-s'])];
  const lines = rows.map((r) => [
    r.layer, r.op, r.gflop.toFixed(2),
    ...backends.flatMap((b) => {
      const e = r.byBackend[b];
      if (!e) return ['-', '-', '-'];
      const gfCpu = (r.gflop * e.batch / BATCH) / e.cpuMs * 1e3;
      return [e.ms.toFixed(1) + (e.batch !== BATCH ? `@${e.batch}` : ''), e.gflops.toFixed(1), gfCpu.toFixed(1)];
    }),
  ]);
  const all = [head, ...lines];
  const widths = head.map((_, j) => Math.max(...all.map((l) => l[j].length)));
  for (const l of all) console.log(l.map((s, j) => (j < 2 ? s.padEnd(widths[j]) : s.padStart(widths[j]))).join('  '));
  for (const b of backends) {
    const scale = (r: Row) => BATCH / (r.byBackend[b]?.batch ?? BATCH);
    const ms = rows.reduce((a, r) => a + (r.byBackend[b]?.ms ?? 0) * scale(r), 0);
    const cpuMs = rows.reduce((a, r) => a + (r.byBackend[b]?.cpuMs ?? 0) * scale(r), 0);
    const gf = rows.reduce((a, r) => a + r.gflop, 0);
    console.log(`${b}: all ${rows.length} kernels ${gf.toFixed(1)} GFLOP in ${ms.toFixed(0)} ms wall${b === 'cpu' ? ' (scaled to batch ' + BATCH + ')' : ''} = ` +
      `${(gf / ms * 1e3).toFixed(1)} GFLOP/s; ${cpuMs.toFixed(0)} CPU ms = ${(gf / cpuMs * 1e3).toFixed(1)} GFLOP per CPU-second`);
  }
}

/** One divergence-triangle iteration (Algorithm 1: α, φ, θ steps) with the authors' optimizers. */
function makeIteration() {
  const nets = buildTriangleModels('mnist', { seed: 1, width: WIDTH });
  const scaling = objectiveScaling('authors');
  const opt = (name: string, vars: ReturnType<typeof nets.ebm.trainable>, lr: number, wd: number) =>
    new NetworkOptimizer(name, vars, { lr, beta1: 0.5, beta2: 0.999, weightDecay: wd, clipNorm: 100, lrDecay: 0.998 });
  const optE = opt('ebm', nets.ebm.trainable(), 1e-4, 0);
  const optI = opt('inference', nets.inference.trainable(), 3e-4, 0);
  const optG = opt('generator', nets.generator.trainable(), 3e-4, 5e-4);
  const x = tf.clipByValue(randn([BATCH, 28, 28, 1], 4), -1, 1);
  let seed = 10;
  const step = () => {
    const z = randn([BATCH, 100], seed++);
    const eps = randn([BATCH, 100], seed++);
    const xGen = tf.tidy(() => nets.generator.generate(z, true));
    const e = gradsAndTerms(() => triangleEbmLoss(nets.ebm, x, xGen, true), optE.variables);
    optE.apply(e.grads);
    const i = gradsAndTerms(() => triangleInferenceLoss(nets.generator, nets.inference, x, eps, z, xGen, scaling, true), optI.variables);
    optI.apply(i.grads);
    const zInf = i.tensors.zInf;
    const g = gradsAndTerms(() => triangleGeneratorLoss(nets.generator, nets.inference, nets.ebm, x, zInf, z, scaling, true), optG.variables);
    optG.apply(g.grads);
    tf.dispose([z, eps, xGen, ...Object.values(i.tensors), ...Object.values(g.tensors), ...Object.values(e.tensors)]);
  };
  const dispose = () => {
    tf.dispose(x);
    [optE, optI, optG].forEach((o) => o.dispose());
    [nets.ebm, nets.inference, nets.generator].forEach((n) => n.dispose());
  };
  return { step, dispose };
}

/**
 * Wall and process-CPU time (all threads) per kernel over one iteration, by wrapping every kernel
 * registered for 'native'. CPU time is the figure to trust on a shared machine: wall time there
 * includes waiting for a core.
 */
function profileIteration(step: () => void): void {
  const configs = tf.getKernelsForBackend('native');
  const acc = new Map<string, { ms: number; cpuMs: number; calls: number }>();
  for (const cfg of configs) {
    const inner = cfg.kernelFunc;
    const e = { ms: 0, cpuMs: 0, calls: 0 };
    acc.set(cfg.kernelName, e);
    tf.unregisterKernel(cfg.kernelName, 'native');
    tf.registerKernel({
      ...cfg,
      kernelFunc: (args) => {
        const t = performance.now();
        const c = process.cpuUsage();
        const out = inner(args);
        const cu = process.cpuUsage(c);
        e.cpuMs += (cu.user + cu.system) / 1e3;
        e.ms += performance.now() - t;
        e.calls++;
        return out;
      },
    });
  }
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  step();
  const cu = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  const cpu = (cu.user + cu.system) / 1e3;
  for (const cfg of configs) {
    tf.unregisterKernel(cfg.kernelName, 'native');
    tf.registerKernel(cfg);
  }
  const rows = [...acc.entries()].filter(([, e]) => e.calls > 0).sort((a, b) => b[1].cpuMs - a[1].cpuMs);
  const kCpu = rows.reduce((a, [, e]) => a + e.cpuMs, 0);
  const kWall = rows.reduce((a, [, e]) => a + e.ms, 0);
  console.log(`profile of one native iteration: ${wall.toFixed(0)} ms wall, ${cpu.toFixed(0)} CPU ms; in kernels ${kWall.toFixed(0)} ms wall, ` +
    `${kCpu.toFixed(0)} CPU ms; outside kernels (tfjs engine, tape, JS) ${(cpu - kCpu).toFixed(0)} CPU ms`);
  console.log(`  ${'kernel'.padEnd(22)} ${'CPU ms'.padStart(8)} ${'wall ms'.padStart(8)} ${'calls'.padStart(6)}  share of CPU`);
  for (const [name, e] of rows.slice(0, 30)) {
    console.log(`  ${name.padEnd(22)} ${e.cpuMs.toFixed(1).padStart(8)} ${e.ms.toFixed(1).padStart(8)} ${String(e.calls).padStart(6)}  ${(100 * e.cpuMs / cpu).toFixed(1).padStart(5)}%`);
  }
}

async function iteration(be: BackendName): Promise<void> {
  await tf.setBackend(tfBackendName(be));
  const it = makeIteration();
  it.step();
  it.step();
  const n0 = tf.memory().numTensors;
  const rss0 = process.memoryUsage().rss;
  const times: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < ITERS; i++) {
    const t = performance.now();
    it.step();
    times.push(performance.now() - t);
  }
  const cu = process.cpuUsage(c0);
  times.sort((a, b) => a - b);
  const med = times[times.length >> 1];
  console.log(`${be}: triangle iteration (mnist, width ${WIDTH}, batch ${BATCH}): median ${med.toFixed(0)} ms wall over ${ITERS} ` +
    `(min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)}), ${((cu.user + cu.system) / 1e3 / ITERS).toFixed(0)} CPU ms/iter; ` +
    `tensors ${n0} → ${tf.memory().numTensors}; ` +
    `RSS ${(rss0 / 2 ** 20).toFixed(0)} → ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  if (be === 'native' && flag('profile')) profileIteration(it.step);
  if (be === 'native') {
    const s = nativeEngineStats();
    if (s) console.log(`native: ${s.cacheSize} cached primitives, fallbacks ${JSON.stringify(s.fallbacks)}, impls ${[...new Set(s.impls.map((i) => i.join(':')))].join(', ')}`);
  }
  it.dispose();
}

/** RSS after 50 training iterations and after `total`, to show the native engine leaks no memory. */
async function leakCheck(total: number): Promise<void> {
  await tf.setBackend('native');
  const it = makeIteration();
  let rss50 = 0;
  const t0 = performance.now();
  for (let i = 1; i <= total; i++) {
    it.step();
    if (i === 50) rss50 = process.memoryUsage().rss;
    if (i % 50 === 0) {
      console.log(`  iteration ${i}: RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, ${tf.memory().numTensors} tensors, ` +
        `${((performance.now() - t0) / i).toFixed(0)} ms/iteration`);
    }
  }
  const rss = process.memoryUsage().rss;
  console.log(`native leak check (mnist, width ${WIDTH}, batch ${BATCH}): RSS after 50 iterations ${(rss50 / 2 ** 20).toFixed(0)} MiB, ` +
    `after ${total} ${(rss / 2 ** 20).toFixed(0)} MiB (${((rss / rss50 - 1) * 100).toFixed(1)}%)`);
  it.dispose();
}

/** The same iteration in PyTorch, through the npm run bench peer (test/bench/torch_iteration.py). */
function torchIteration(): void {
  const r = runTorchIteration(WIDTH, BATCH, ITERS, os.availableParallelism());
  if ('missing' in r) console.log(`torch: ${r.missing}`);
  else console.log(`torch ${r.torch} threads ${r.threads}: triangle iteration (mnist, width ${WIDTH}, batch ${BATCH}): median ${r.msPerIter.toFixed(0)} ms wall, ${r.cpuMsPerIter.toFixed(0)} CPU ms/iter`);
}

async function main(): Promise<void> {
  const wanted = arg('backends', 'native,wasm,cpu').split(',') as BackendName[];
  const backends: BackendName[] = [];
  for (const b of wanted) {
    const r = await loadBackend(b);
    if (r.ok) backends.push(b);
    else console.log(`${b}: skipped (${r.reason})`);
  }
  console.log(`MNIST networks (Table 6), batch ${BATCH}, width ${WIDTH}; backends ${backends.join(', ')}`);
  if (flag('leak')) {
    await leakCheck(Number(arg('leak', '500')));
    return;
  }
  if (!flag('no-kernels')) printTable(await kernelTable(backends), backends);
  if (!flag('no-iter')) for (const b of backends.filter((b) => b !== 'cpu')) await iteration(b);
  if (flag('torch')) torchIteration();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
