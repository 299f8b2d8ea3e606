/**
 * What a figure calls things: axis labels with the papers' symbols for the keys the trainers log
 * (lib/objectives' named terms), the keys that are schedules rather than measurements (never smoothed),
 * and one colour per data set or method name for every figure drawn in a process (a notebook kernel).
 */

/**
 * Metric key → axis label. Symbols as in Han et al. 2019 (divergence triangle, Eqs. 13–18: Q = q_data q_φ,
 * P = p(z) p_θ, Π = π_α q_φ) and the VAE + latent-EBM paper (f_α(x, z)); E = −f is the energy.
 */
export const METRIC_LABELS: Readonly<Record<string, string>> = {
  D: 'D = KL(Q‖P) + KL(P‖Π) − KL(Q‖Π)',
  klQP: 'KL(Q‖P)',
  klPPi: 'KL(P‖Π)',
  klQPi: 'KL(Q‖Π)',
  recon: 'recon. ‖x − g(z̃)‖²/2σ²',
  kl: 'KL(q_φ(z|x)‖p(z))',
  mse: 'MSE per pixel, [−1, 1]',
  nllLatent: '−log q_φ(z|x̃)',
  energyData: 'E(x) data',
  energyGen: 'E(x̃) generated',
  entropy: 'H(q_φ(z|x))',
  priorNll: '−log p(z̃)',
  elbo: 'ELBO',
  logPosterior: 'log p(x, z)',
  loss: 'loss',
  lossEbm: 'loss of f_α (EBM)',
  lossGen: 'loss of g_θ (generator)',
  lossInf: 'loss of q_φ (inference)',
  gradNormEbm: '‖∇_α‖ (EBM)',
  gradNormGen: '‖∇_θ‖ (generator)',
  gradNormInf: '‖∇_φ‖ (inference)',
  lr: 'learning rate',
  lrEbm: 'learning rate of f_α',
  lrGen: 'learning rate of g_θ',
  lrInf: 'learning rate of q_φ',
  alpha: 'fade-in α',
  resolution: 'resolution (px)',
  stage: 'growing stage',
  iteration: 'iteration',
  iter: 'iteration',
  step: 'step',
  epoch: 'epoch',
  seconds: 'seconds',
  auroc: 'AUROC',
  auprc: 'AUPRC',
  fid: 'FID',
};

/** The axis label of a metric key; an unknown key (a method or set name) is its own label. */
export function metricLabel(key: string): string {
  return METRIC_LABELS[key] ?? key;
}

/** Learning rates: configuration, not results (left out of curves unless asked for). */
export function isLearningRateKey(key: string): boolean {
  return /^lr([A-Z_]|$)/.test(key) || /learning_?rate/i.test(key);
}

/**
 * Keys that follow a schedule (learning rates, the fade-in α of progressive growing, resolution, stage,
 * an annealed weight): they jump on purpose, so a smoother would draw dips that never happened.
 */
export function isScheduleKey(key: string): boolean {
  return isLearningRateKey(key) || /^(alpha|fadeIn|fade|resolution|stage|beta|klWeight|temperature|stepSize)$/.test(key);
}

/** Okabe & Ito (2008) colour-blind-safe palette, black last. */
export const FIGURE_COLORS = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

/**
 * Names with a colour of their own, so they match across notebooks too: the in-distribution / reference
 * set black, the triangle ("Ours") blue, the VAE orange, ABP green.
 */
const FIXED_COLORS: Readonly<Record<string, string>> = {
  ours: '#0072B2',
  triangle: '#0072B2',
  'divergence triangle': '#0072B2',
  vae: '#E69F00',
  abp: '#009E73',
  data: '#000000',
  'in-distribution': '#000000',
};

const assigned = new Map<string, string>();
/** Fixed names asked for so far: their colours are not handed to other names. */
const fixedUsed = new Set<string>();

/** "Ours (energy)", "ours" and " OURS " are one name; a parenthesised note (a count, AUROC) is not part of it. */
export function colorKey(name: string): string {
  return name.replace(/\s*\([^)]*\)/g, '').trim().toLowerCase();
}

/**
 * The colour of a data set or method, the same in every figure of this process: a fixed one for the
 * names above, else the next palette colour that no name holds yet (cycling once all are taken).
 */
export function colorFor(name: string): string {
  const key = colorKey(name);
  const fixed = FIXED_COLORS[key];
  if (fixed) {
    fixedUsed.add(fixed);
    return fixed;
  }
  let c = assigned.get(key);
  if (!c) {
    const taken = new Set([...assigned.values(), ...fixedUsed]);
    c = FIGURE_COLORS.find((x) => !taken.has(x)) ?? FIGURE_COLORS[assigned.size % FIGURE_COLORS.length];
    assigned.set(key, c);
  }
  return c;
}

/** Forgets the colours handed out so far (tests; a notebook that starts a new story). */
export function resetFigureColors(): void {
  assigned.clear();
  fixedUsed.clear();
}
