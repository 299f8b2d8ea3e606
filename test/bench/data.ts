/**
 * Data-loading speed (issue 6 targets): the full Fashion-MNIST (70,000 images) in < 5 s and < 600 MB
 * RSS, and a folder of 10,000 64×64 JPEGs decoded in parallel by sharp, then read back from the
 * data/cache binary in < 2 s. Each measurement runs in a fresh child process, so its RSS and its
 * caches are its own.
 *
 *   node -r ts-node/register/transpile-only test/bench/data.ts [--images 10000] [--folder DIR]
 *
 * The JPEG folder is generated once (random-textured 64×64 images, quality 90) under the OS temp
 * folder and reused by later runs; the cache goes to a fresh temporary DTRI_CACHE_DIR per run.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface DataBenchOptions {
  /** Images in the generated JPEG folder (default 10,000). */
  images?: number;
  /** Where to generate (or find) the JPEG folder; default <tmp>/dtri-bench-jpeg64-<images>. */
  folder?: string;
  log?: (line: string) => void;
}

export interface DataBenchRow {
  what: string;
  images: number;
  seconds: number;
  /** CPU seconds of the child during the load, all threads (on a shared machine wall time overstates the cost). */
  cpuSeconds: number;
  /** Peak RSS of the child process that did the load, MB. */
  peakRssMB: number;
  /** RSS of the same child before loading (Node + tfjs + sharp), MB. */
  baseRssMB: number;
  target: string;
  pass: boolean;
}

interface ChildResult {
  images: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMB: number;
  baseRssMB: number;
}

const HERE = __filename;
const ROOT = path.resolve(__dirname, '..', '..');

function runChild(section: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildResult {
  const r = spawnSync(process.execPath, ['--require', 'ts-node/register/transpile-only', HERE, '--child', section, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.test.json'), ...env },
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) throw new Error(`data bench child "${section}" failed (${r.status}): ${r.stderr}`);
  return JSON.parse(line) as ChildResult;
}

/** Writes n random-textured 64×64 JPEGs (skipped when the folder already holds n). */
async function ensureJpegFolder(dir: string, n: number, log: (l: string) => void): Promise<void> {
  const have = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).length : 0;
  if (have === n) return;
  const sharp = (await import('sharp')).default;
  fs.mkdirSync(dir, { recursive: true });
  log(`generating ${n} 64×64 JPEGs in ${dir} (once)`);
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const t0 = Date.now();
  for (let i = 0; i < n; i += 64) {
    await Promise.all(
      Array.from({ length: Math.min(64, n - i) }, (_, k) => {
        const px = Buffer.alloc(64 * 64 * 3);
        const base = [rand() * 255, rand() * 255, rand() * 255];
        for (let p = 0; p < 64 * 64; p++) for (let c = 0; c < 3; c++) px[p * 3 + c] = Math.max(0, Math.min(255, base[c] + 60 * (rand() - 0.5) + ((p % 64) - 32)));
        return sharp(px, { raw: { width: 64, height: 64, channels: 3 } }).jpeg({ quality: 90 }).toFile(path.join(dir, `${String(i + k).padStart(6, '0')}.jpg`));
      }),
    );
  }
  log(`generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** The data-loading benchmark; returns one row per measurement (and logs a table). */
export async function benchData(opts: DataBenchOptions = {}): Promise<DataBenchRow[]> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const n = opts.images ?? 10000;
  const folder = opts.folder ?? path.join(os.tmpdir(), `dtri-bench-jpeg64-${n}`);
  const rows: DataBenchRow[] = [];
  const fashion = '/usr/share/datasets/fashion-mnist';
  if (fs.existsSync(fashion)) {
    const r = runChild('fashion', []);
    rows.push({ what: 'Fashion-MNIST, full (IDX gz, train + test)', ...r, target: '< 5 s, < 600 MB RSS', pass: r.seconds < 5 && r.peakRssMB < 600 });
  } else log(`skipped Fashion-MNIST: ${fashion} absent (Debian package dataset-fashion-mnist)`);

  await ensureJpegFolder(folder, n, log);
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-bench-cache-'));
  try {
    const first = runChild('folder', [folder], { DTRI_CACHE_DIR: cache });
    rows.push({ what: `${n} 64×64 JPEGs, first load (sharp decode + cache write)`, ...first, target: '(parallel decode)', pass: true });
    const second = runChild('folder', [folder], { DTRI_CACHE_DIR: cache });
    rows.push({ what: `${n} 64×64 JPEGs, second load (data/cache hit)`, ...second, target: '< 2 s', pass: second.seconds < 2 });
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }

  log('');
  log(`| data load | images | wall s | CPU s | images/s (wall) | peak RSS MB (base) | target | ok | (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`);
  log('| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |');
  for (const r of rows) {
    log(`| ${r.what} | ${r.images} | ${r.seconds.toFixed(2)} | ${r.cpuSeconds.toFixed(2)} | ${Math.round(r.images / r.seconds)} | ${r.peakRssMB.toFixed(0)} (${r.baseRssMB.toFixed(0)}) | ${r.target} | ${r.pass ? 'yes' : 'NO'} |`);
  }
  return rows;
}

async function child(section: string, args: string[]): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const { loadDataset } = await import('../../lib/data');
  await tf.ready();
  const baseRssMB = process.memoryUsage().rss / 2 ** 20;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let images = 0;
  if (section === 'fashion') {
    for (const split of ['train', 'test'] as const) {
      const ds = await loadDataset('fashion-mnist', { split });
      images += ds.images.shape[0];
      ds.dispose();
    }
  } else {
    const ds = await loadDataset(`folder:${args[0]}`);
    images = ds.images.shape[0];
    ds.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ images, seconds, cpuSeconds, peakRssMB, baseRssMB }));
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const c = argv.indexOf('--child');
  const value = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const main = c >= 0 ? child(argv[c + 1], argv.slice(c + 2)) : benchData({ images: value('--images') ? Number(value('--images')) : undefined, folder: value('--folder') }).then(() => undefined);
  main.catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
