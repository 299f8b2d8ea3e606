import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLAIMS, evaluateClaims, renderClaimsMarkdown, type Claim, type ClaimResults } from '../../lib/metrics/claims';

const file = (notebook: string, metrics: Record<string, number | null>): ClaimResults => ({ notebook, preset: 'cpu', backend: 'native', date: '2026-12-01', metrics });

const pair: Claim = {
  paper: 'Divergence triangle',
  claim: 'a < b',
  paperValue: '1 vs 2',
  results: 'nb',
  checks: [
    { setting: 'S1', a: 'a1', op: '<', b: 'b1' },
    { setting: 'S2', a: 'a2', op: '<', b: 'b2' },
  ],
};

test('a claim holds, holds partly or fails by its settings, and is "not run" without its results', () => {
  const [yes] = evaluateClaims([file('nb', { a1: 1, b1: 2, a2: 3, b2: 4 })], [pair]);
  assert.equal(yes.held, 'yes');
  assert.deepEqual(yes.count, { held: 2, of: 2 });
  assert.equal(yes.ours, 'S1 1 vs 2 ✓; S2 3 vs 4 ✓');
  const [partly] = evaluateClaims([file('nb', { a1: 1, b1: 2, a2: 5, b2: 4 })], [pair]);
  assert.equal(partly.held, 'partly');
  assert.match(partly.ours, /S2 5 vs 4 ✗/);
  const [no] = evaluateClaims([file('nb', { a1: 3, b1: 2, a2: 5, b2: 4 })], [pair]);
  assert.equal(no.held, 'no');
  const [absent] = evaluateClaims([file('other', {})], [pair]);
  assert.deepEqual([absent.held, absent.ours], ['not run', 'not run']);
  const [oneMissing] = evaluateClaims([file('nb', { a1: 1, b1: 2, a2: null })], [pair]);
  assert.equal(oneMissing.held, 'yes', 'judged on the settings that ran');
  assert.deepEqual(oneMissing.count, { held: 1, of: 1 });
  assert.match(oneMissing.ours, /S2 not run/);
});

test('"lowest of" checks and a "most settings" claim', () => {
  const best: Claim = {
    paper: 'Divergence triangle',
    claim: 't best on most',
    paperValue: '3 of 5',
    results: 'nb',
    holdsIf: 'most',
    checks: ['m1', 'm2', 'm3'].map((m) => ({ setting: m, target: 't', of: { t: `${m}_t`, u: `${m}_u` }, op: '<' as const })),
  };
  const [o] = evaluateClaims([file('nb', { m1_t: 1, m1_u: 2, m2_t: 1, m2_u: 3, m3_t: 5, m3_u: 4 })], [best]);
  assert.deepEqual([o.held, o.count], ['yes', { held: 2, of: 3 }]);
  assert.match(o.ours, /m3 5 \(u 4\) ✗/);
  const [p] = evaluateClaims([file('nb', { m1_t: 1, m1_u: 2, m2_t: 4, m2_u: 3, m3_t: 5, m3_u: 4 })], [best]);
  assert.equal(p.held, 'partly', 'one of three is not most');
});

test('the project claims read keys our notebooks write; the anomaly average states its digits, with the ten-digit mean beside it', () => {
  // fixture: a results file as notebook 11 writes it (keys from notebooks/results/11-anomaly-detection.json)
  const anomaly = file('11-anomaly-detection', { ours_auprc_table4_mean: 0.16, vae_auprc_table4_mean: 0.088, ours_auprc_all_digits_mean: 0.127, vae_auprc_all_digits_mean: 0.147 });
  const out = evaluateClaims([anomaly]);
  const row = out.find((o) => o.claim.claim === 'Ours AUPRC > VAE (Table 4)')!;
  assert.equal(row.held, 'partly');
  assert.match(row.ours, /mean of Table 4's digits 1, 4, 5, 7, 9 0\.16 vs 0\.088 ✓; mean of all ten digits 0\.127 vs 0\.147 ✗/);
  assert.ok(out.filter((o) => o.claim.results !== '11-anomaly-detection').every((o) => o.held === 'not run'));
  const md = renderClaimsMarkdown(out);
  assert.equal(md.split('\n').length, 2 + CLAIMS.length, 'one row per claim');
  assert.match(md, /\| VAE \+ latent EBM \| Ours AUPRC > VAE \(Table 4\) \| mean of digits 1, 4, 5, 7, 9: 0\.514 vs 0\.195 \| .* \| partly \(1 of 2\) \|/);
  assert.match(md, /triangle FID < VAE FID \(Table 1\) \| CelebA 31\.92 vs 99\.09 \| not run \| not run \|/);
  const masks = evaluateClaims([file('08-incomplete-data', Object.fromEntries(['P.5', 'P.7', 'MB10', 'B20', 'B30'].flatMap((m, i) => [[`${m}_triangle_recovery`, i < 3 ? 0.1 : 0.3], [`${m}_vae_recovery`, 0.2], [`${m}_abp_recovery`, 0.25]])))]);
  assert.deepEqual(masks.find((o) => o.claim.results === '08-incomplete-data')!.count, { held: 3, of: 5 });
});
