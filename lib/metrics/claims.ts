/**
 * The papers' claims, checked against our results: a declarative list, each claim naming the results
 * file and the `metrics` keys it compares, evaluated into README's claims table (`dtri results`).
 * A claim holds when its direction holds in our runs (ours need not match the paper's number: ours are
 * MNIST/Fashion-MNIST at cpu scale with classifier features, the papers' CIFAR-10/CelebA with Inception).
 */

/** One comparison in one setting: `a` op `b`, each a metrics key of the claim's results file or a constant. */
export interface ClaimCheck {
  /** what the setting is, e.g. "Fashion-MNIST" or "Table 4's digits 1, 4, 5, 7, 9 (mean)" */
  setting: string;
  a: string;
  op: '<' | '>';
  b: string | number;
}

/** `target` is lowest (op '<') or highest ('>') among `of` (label → metrics key) in this setting. */
export interface ClaimBest {
  setting: string;
  /** a label of `of` */
  target: string;
  of: Readonly<Record<string, string>>;
  op: '<' | '>';
}

export interface Claim {
  paper: 'Divergence triangle' | 'VAE + latent EBM';
  /** the claim as a reader would state it, with its table or figure */
  claim: string;
  /** the paper's number(s) behind it, as printed there */
  paperValue: string;
  /** results file stem, e.g. '06-test-reconstruction' */
  results: string;
  checks: (ClaimCheck | ClaimBest)[];
  /** 'all' (default): every setting must hold; 'most': more than half */
  holdsIf?: 'all' | 'most';
}

const mnist = (m: string) => [`mnist_${m}`, `fashion_mnist_${m}`];

export const CLAIMS: readonly Claim[] = [
  {
    paper: 'Divergence triangle',
    claim: 'triangle FID < VAE FID (Table 1)',
    paperValue: 'CelebA 31.92 vs 99.09',
    results: '01-object-generation',
    checks: [
      { setting: 'MNIST', a: 'mnist_triangle_classifier_fid', op: '<', b: 'mnist_vae_classifier_fid' },
      { setting: 'Fashion-MNIST', a: 'fashion_mnist_triangle_classifier_fid', op: '<', b: 'fashion_mnist_vae_classifier_fid' },
    ],
  },
  {
    paper: 'Divergence triangle',
    claim: 'triangle IS > VAE IS (Table 1)',
    paperValue: 'CIFAR-10 7.23 vs 4.08',
    results: '01-object-generation',
    checks: [
      { setting: 'MNIST', a: 'mnist_triangle_classifier_is', op: '>', b: 'mnist_vae_classifier_is' },
      { setting: 'Fashion-MNIST', a: 'fashion_mnist_triangle_classifier_is', op: '>', b: 'fashion_mnist_vae_classifier_is' },
    ],
  },
  {
    paper: 'Divergence triangle',
    claim: 'triangle test MSE lowest (Table 2)',
    paperValue: 'CIFAR-10 0.028 (VAE 0.037, wake-sleep 0.058)',
    results: '06-test-reconstruction',
    checks: ['MNIST', 'Fashion-MNIST'].map((setting, i) => ({
      setting,
      target: 'triangle',
      of: { triangle: mnist('triangle_test_mse_pixel_m11')[i], VAE: mnist('vae_test_mse_pixel_m11')[i], 'wake-sleep': mnist('wake_sleep_test_mse_pixel_m11')[i] },
      op: '<' as const,
    })),
  },
  {
    paper: 'Divergence triangle',
    claim: 'basins pure: one class each (Figs 14–15)',
    paperValue: 'near 100% (read off the figures)',
    results: '07-energy-landscape',
    checks: [
      { setting: 'MNIST, straight-line barriers', a: 'mnist_linear_purity', op: '>', b: 0.9 },
      { setting: 'MNIST, attraction–diffusion', a: 'mnist_ad_purity', op: '>', b: 0.9 },
      { setting: 'Fashion-MNIST, straight-line barriers', a: 'fashion_mnist_linear_purity', op: '>', b: 0.9 },
    ],
  },
  {
    paper: 'Divergence triangle',
    claim: 'basins purer than the same basins with shuffled labels (§4.3)',
    paperValue: 'implied by "pure in class"',
    results: '07-energy-landscape',
    checks: [
      { setting: 'MNIST, straight-line barriers', a: 'mnist_linear_purity', op: '>', b: 'mnist_linear_chance_purity' },
      { setting: 'MNIST, attraction–diffusion', a: 'mnist_ad_purity', op: '>', b: 'mnist_ad_chance_purity' },
      { setting: 'Fashion-MNIST, straight-line barriers', a: 'fashion_mnist_linear_purity', op: '>', b: 'fashion_mnist_linear_chance_purity' },
    ],
  },
  {
    paper: 'Divergence triangle',
    claim: 'triangle best on most masks (Table 3)',
    paperValue: 'best on 3 of 5 (e.g. B30 0.0733 vs ABP 0.0757, VAE 0.080)',
    results: '08-incomplete-data',
    holdsIf: 'most',
    checks: ['P.5', 'P.7', 'MB10', 'B20', 'B30'].map((mask) => ({
      setting: mask,
      target: 'triangle',
      of: { triangle: `${mask}_triangle_recovery`, VAE: `${mask}_vae_recovery`, ABP: `${mask}_abp_recovery` },
      op: '<' as const,
    })),
  },
  {
    paper: 'VAE + latent EBM',
    claim: 'Ours FID < VAE FID (Table 1)',
    paperValue: 'CIFAR-10 30.1 vs 109.5',
    results: '09-latent-ebm-generation',
    checks: [
      { setting: 'MNIST', a: 'mnist_ours_classifier_fid', op: '<', b: 'mnist_vae_classifier_fid' },
      { setting: 'Fashion-MNIST', a: 'fashion_mnist_ours_classifier_fid', op: '<', b: 'fashion_mnist_vae_classifier_fid' },
    ],
  },
  {
    paper: 'VAE + latent EBM',
    claim: 'Ours(+) FID < VAE FID (Table 1)',
    paperValue: 'CIFAR-10 33.3 vs 109.5',
    results: '09-latent-ebm-generation',
    checks: [
      { setting: 'MNIST', a: 'mnist_ours_plus_classifier_fid', op: '<', b: 'mnist_vae_classifier_fid' },
      { setting: 'Fashion-MNIST', a: 'fashion_mnist_ours_plus_classifier_fid', op: '<', b: 'fashion_mnist_vae_classifier_fid' },
    ],
  },
  {
    paper: 'VAE + latent EBM',
    claim: 'Ours test RMSE < VAE (Table 2)',
    paperValue: 'CIFAR-10 0.177 vs 0.192',
    results: '09-latent-ebm-generation',
    checks: [
      { setting: 'MNIST', a: 'mnist_ours_rmse', op: '<', b: 'mnist_vae_rmse' },
      { setting: 'Fashion-MNIST', a: 'fashion_mnist_ours_rmse', op: '<', b: 'fashion_mnist_vae_rmse' },
    ],
  },
  {
    paper: 'VAE + latent EBM',
    claim: 'Ours test RMSE < VAE (Table 2), batch norm on batch statistics',
    paperValue: 'CIFAR-10 0.177 vs 0.192',
    results: '09-latent-ebm-generation',
    checks: [
      { setting: 'MNIST', a: 'mnist_ours_rmse_batch_statistics', op: '<', b: 'mnist_vae_rmse_batch_statistics' },
      { setting: 'Fashion-MNIST', a: 'fashion_mnist_ours_rmse_batch_statistics', op: '<', b: 'fashion_mnist_vae_rmse_batch_statistics' },
    ],
  },
  {
    paper: 'VAE + latent EBM',
    claim: 'latent EBM AUROC vs uniform noise ≈ 1 (Table 3)',
    paperValue: 'CIFAR-10 vs uniform 1.00',
    results: '10-ood-detection',
    checks: [{ setting: 'Fashion-MNIST test vs uniform noise', a: 'ours_auroc_uniform_noise', op: '>', b: 0.95 }],
  },
  {
    paper: 'VAE + latent EBM',
    claim: 'latent EBM AUROC above chance on every OOD set (Table 3)',
    paperValue: 'SVHN 0.68, Texture 0.56, CelebA 0.56, uniform 1.00',
    results: '10-ood-detection',
    checks: [
      { setting: 'MNIST', a: 'ours_auroc_mnist', op: '>', b: 0.5 },
      { setting: 'uniform noise', a: 'ours_auroc_uniform_noise', op: '>', b: 0.5 },
      { setting: 'constant', a: 'ours_auroc_constant', op: '>', b: 0.5 },
      { setting: 'textures (DTD stand-in)', a: 'ours_auroc_textures_dtd_stand_in', op: '>', b: 0.5 },
    ],
  },
  {
    paper: 'VAE + latent EBM',
    claim: 'Ours AUPRC > VAE (Table 4)',
    paperValue: 'mean of digits 1, 4, 5, 7, 9: 0.514 vs 0.195',
    results: '11-anomaly-detection',
    checks: [
      { setting: "mean of Table 4's digits 1, 4, 5, 7, 9", a: 'ours_auprc_table4_mean', op: '>', b: 'vae_auprc_table4_mean' },
      { setting: 'mean of all ten digits', a: 'ours_auprc_all_digits_mean', op: '>', b: 'vae_auprc_all_digits_mean' },
    ],
  },
];

/** The part of a notebook's results file (lib/notebook/session's NotebookResults) that claims read. */
export interface ClaimResults {
  notebook: string;
  preset: string;
  backend: string;
  date: string;
  metrics: Readonly<Record<string, number | null>>;
}

export type Held = 'yes' | 'no' | 'partly' | 'not run';

export interface ClaimOutcome {
  claim: Claim;
  /** ours per setting, e.g. "MNIST 211 vs 126 ✗" */
  ours: string;
  held: Held;
  /** settings that held / settings evaluated */
  count: { held: number; of: number };
  /** results file date and preset, when the file exists */
  run?: string;
}

function isBest(c: ClaimCheck | ClaimBest): c is ClaimBest {
  return 'target' in c;
}

/** Three significant digits, as the papers print. */
export function fmtClaim(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(3)));
}

/** Each setting's verdict: true/false, or null when a key is missing (not run). */
function check(c: ClaimCheck | ClaimBest, m: Readonly<Record<string, number | null>>): { ok: boolean | null; text: string } {
  const get = (k: string | number) => (typeof k === 'number' ? k : typeof m[k] === 'number' && Number.isFinite(m[k]) ? (m[k] as number) : null);
  if (isBest(c)) {
    const entries = Object.entries(c.of).map(([label, key]) => [label, get(key)] as const);
    const t = get(c.of[c.target]);
    if (t === null || entries.some(([, v]) => v === null)) return { ok: null, text: `${c.setting} not run` };
    const vals = entries.map(([, v]) => v as number);
    const best = c.op === '<' ? Math.min(...vals) : Math.max(...vals);
    const others = entries.filter(([l]) => l !== c.target).map(([l, v]) => `${l} ${fmtClaim(v as number)}`);
    return { ok: t === best, text: `${c.setting} ${fmtClaim(t)} (${others.join(', ')})` };
  }
  const a = get(c.a);
  const b = get(c.b);
  if (a === null || b === null) return { ok: null, text: `${c.setting} not run` };
  const text = typeof c.b === 'number' ? `${c.setting} ${fmtClaim(a)} (${c.op} ${fmtClaim(b)} needed)` : `${c.setting} ${fmtClaim(a)} vs ${fmtClaim(b)}`;
  return { ok: c.op === '<' ? a < b : a > b, text };
}

/** Evaluates every claim on the results files (by notebook stem); a claim whose results are absent is "not run". */
export function evaluateClaims(results: readonly ClaimResults[], claims: readonly Claim[] = CLAIMS): ClaimOutcome[] {
  const byNotebook = new Map(results.map((r) => [r.notebook.replace(/\.ipynb$/, ''), r]));
  return claims.map((claim) => {
    const r = byNotebook.get(claim.results);
    if (!r) return { claim, ours: 'not run', held: 'not run', count: { held: 0, of: 0 } };
    const verdicts = claim.checks.map((c) => check(c, r.metrics ?? {}));
    const run = verdicts.filter((v) => v.ok !== null);
    const held = run.filter((v) => v.ok).length;
    const ours = verdicts.map((v) => (v.ok === null ? v.text : `${v.text} ${v.ok ? '✓' : '✗'}`)).join('; ');
    let verdict: Held;
    if (run.length === 0) verdict = 'not run';
    else if ((claim.holdsIf ?? 'all') === 'most') verdict = held * 2 > run.length ? 'yes' : held === 0 ? 'no' : 'partly';
    else verdict = held === run.length ? 'yes' : held === 0 ? 'no' : 'partly';
    return { claim, ours, held: verdict, count: { held, of: run.length }, run: `${r.preset} · ${r.backend} · ${r.date}` };
  });
}

const cell = (s: string) => s.replace(/\|/g, '/').replace(/\n/g, ' ');

/** The claims table in markdown: paper, claim, the paper's number, ours, whether the direction held. */
export function renderClaimsMarkdown(outcomes: readonly ClaimOutcome[]): string {
  const lines = ['| paper | claim | paper\'s number | ours | direction held |', '| --- | --- | --- | --- | --- |'];
  for (const o of outcomes) {
    const held = o.held === 'not run' ? 'not run' : `${o.held} (${o.count.held} of ${o.count.of})`;
    lines.push(`| ${[o.claim.paper, o.claim.claim, o.claim.paperValue, o.ours, held].map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}
