import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLAIMS_END, CLAIMS_START, FULL_TABLE, RESULTS_END, RESULTS_START, writeResultsTables } from '../../lib/cli/results';
import { isUserError } from '../../lib/errors';

/** A project root with a README holding both blocks and two results files as notebooks write them. */
function fixture(): { root: string; dir: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dtri-results-'));
  const dir = path.join(root, 'notebooks', 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(root, 'README.md'), `# p\n\n${CLAIMS_START}\nold claims\n${CLAIMS_END}\n\n## Results\n\n${RESULTS_START}\n| old long table |\n${RESULTS_END}\n\n## After\n`);
  const base = { preset: 'cpu', dataset: 'x', backend: 'native', date: '2026-12-01', seconds: 1, paper: 'p' };
  fs.writeFileSync(
    path.join(dir, '06-test-reconstruction.json'),
    JSON.stringify({
      ...base,
      notebook: '06-test-reconstruction',
      experiment: '§4.2 (Table 2)',
      metrics: { mnist_triangle_test_mse_pixel_m11: 0.05, mnist_vae_test_mse_pixel_m11: 0.06, mnist_wake_sleep_test_mse_pixel_m11: 0.1 },
      rows: [{ metric: 'MSE per pixel', setting: 'triangle, mnist', ours: 0.05, paper: null, note: 'n' }],
    }),
  );
  fs.writeFileSync(
    path.join(dir, '10-ood-detection.json'),
    JSON.stringify({ ...base, notebook: '10-ood-detection', experiment: '§5.3', metrics: { ours_auroc_uniform_noise: 0.007, ours_auroc_mnist: 0.99 }, rows: [{ metric: 'AUROC', setting: 'Ours, uniform', ours: 0.007, paper: 1 }] }),
  );
  return { root, dir };
}

test('dtri results writes the claims table into README and the full table into notebooks/results/README.md', () => {
  const { root, dir } = fixture();
  try {
    const changed = writeResultsTables(root, dir);
    assert.deepEqual(changed, [path.join(root, 'README.md'), path.join(root, FULL_TABLE)]);
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    assert.ok(!readme.includes('old claims') && !readme.includes('old long table'));
    assert.match(readme, /\| Divergence triangle \| triangle test MSE lowest \(Table 2\) \| CIFAR-10 0\.028 .* \| MNIST 0\.05 \(VAE 0\.06, wake-sleep 0\.1\) ✓; Fashion-MNIST not run \| yes \(1 of 1\) \|/);
    assert.match(readme, /latent EBM AUROC vs uniform noise ≈ 1 \(Table 3\) \| CIFAR-10 vs uniform 1\.00 \| .*0\.007 \(> 0\.95 needed\) ✗ \| no \(0 of 1\) \|/);
    assert.match(readme, /triangle FID < VAE FID \(Table 1\) \| CelebA 31\.92 vs 99\.09 \| not run \| not run \|/, 'no 01 results: not run');
    assert.match(readme, new RegExp(`${RESULTS_START}\\n2 results files; the full table of every reported number: \\[notebooks/results/README\\.md\\]`));
    assert.ok(readme.endsWith('## After\n'), 'the rest of README untouched');
    const full = fs.readFileSync(path.join(root, FULL_TABLE), 'utf8');
    assert.match(full, /^# Results: every reported number/);
    assert.match(full, /\| 06-test-reconstruction \| §4\.2 \(Table 2\) \| triangle, mnist \| MSE per pixel \| — \| 0\.05 \| cpu · native · 2026-12-01 \| n \|/);
    assert.deepEqual(writeResultsTables(root, dir), [], 'idempotent');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('dtri results names the fix when README lacks the claims markers', () => {
  const { root, dir } = fixture();
  try {
    fs.writeFileSync(path.join(root, 'README.md'), '# p\n');
    assert.throws(() => writeResultsTables(root, dir), (e) => isUserError(e) && /no <!-- claims:start --> … <!-- claims:end --> block: add the two marker lines/.test(e.message));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
