/**
 * (b) The same iteration in PyTorch on the CPU (Debian's python3-torch 1.13, 2 threads), through
 * test/bench/torch_iteration.py (OMP_WAIT_POLICY=passive): the peer of every row of the triangle section. Skipped with a note
 * when /usr/bin/python3 has no torch.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { peerKey, registerSection } from '../registry';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(__dirname, '..', 'torch_iteration.py');

export interface TorchResult {
  width: number;
  batch: number;
  iters: number;
  msPerIter: number;
  cpuMsPerIter: number;
  times: number[];
  threads: number;
  torch: string;
}

/** Runs one PyTorch measurement; null (and why) when torch is not there. */
export function runTorchIteration(width: number, batch: number, iters: number, threads = 2): TorchResult | { missing: string } {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return { missing: `PyTorch not found for ${PYTHON} (install the Debian package python3-torch)` };
  }
  const r = spawnSync(PYTHON, [SCRIPT, '--width', String(width), '--batch', String(batch), '--iters', String(iters), '--threads', String(threads)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    // OpenMP's default spin-waiting collapses when the cores are shared (measured: 2-3× slower at load 3).
    env: { ...process.env, OMP_WAIT_POLICY: 'passive' },
  });
  if (r.status !== 0) throw new Error(`torch_iteration.py failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as TorchResult;
}

registerSection({
  name: 'torch',
  summary: 'the same iteration in PyTorch CPU (2 threads), the ratio column',
  byDefault: true,
  async run(ctx) {
    for (const w of ctx.args.widths) {
      const res = runTorchIteration(w, ctx.args.batch, ctx.args.iters);
      if ('missing' in res) {
        ctx.notes.push(`torch: skipped, ${res.missing}`);
        ctx.log(`  torch: ${res.missing}`);
        return;
      }
      ctx.peers.set(peerKey('mnist', w), res.msPerIter);
      ctx.peers.set(peerKey('mnist-cpu', w), res.cpuMsPerIter);
      ctx.log(`  pytorch ${res.torch} (${res.threads} threads) width ${w}: ${res.msPerIter.toFixed(0)} ms/iter wall, ${res.cpuMsPerIter.toFixed(0)} CPU ms/iter`);
    }
  },
});
