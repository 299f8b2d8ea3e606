/**
 * Presets of the synthesis experiments of the divergence-triangle paper:
 *   §4.1.3 high resolution (progressive growing): `hires-<scale>`, method 'progressive' (lib/train/progressive.ts):
 *          networks that grow 4×4 → maxSize, a run whose length is its growth schedule;
 *   §4.1.4 textures: `texture-<scale>`, one model per texture image (pick it with dataset=texture:<name>), and
 *          `texture-<name>-<scale>` for each texture experiment 04 trains (TEXTURE_NAMES);
 *   §4.1.5 dynamic textures: `dyntex-<scale>`, one model per clip (dataset=procedural-video:<kind> or dyntex),
 *          and `dyntex-real-paper`, the paper scale on the first DynTex clip (when the user provides DynTex).
 *
 * The authors' optimizer settings come in as an argument (presets.ts owns them); this file imports only
 * types, so presets.ts can spread its lists into PRESET_LIST without an import cycle.
 *
 * Texture and video datasets hold a single example, so an "epoch" is one iteration: the authors'
 * per-epoch learning-rate decay (×0.998) would shrink the rates ×0.13 every 1,000 iterations; it is off
 * (lrDecay 1) in these presets.
 */
import * as path from 'node:path';
import { GIMP_PATTERNS } from '../data/datasets';
import type { MethodBase, PresetArch, PresetScale, PresetDraft, TrainPreset } from './presets';
import { COMPARISON_THETA_STEPS } from './presets-notebooks';

const NONE: number[] = [];

interface ScaleRow {
  scale: PresetScale;
  description: string;
  imageSize: number;
  width: number;
  iterations: number;
  checkpointEvery: number;
  logEvery: number;
}

/** What sets a single-example family apart: its name prefix, default data, networks and z. */
interface SingleExampleFamily {
  prefix: string;
  dataset: string;
  dataLimit: number;
  arch: PresetArch;
  latentDim: number;
}

/**
 * One preset per scale row of a family trained on a single example (one texture, one clip): batch 1,
 * one iteration per "epoch", and so no per-epoch learning-rate decay.
 */
function singleExampleFamily(authors: MethodBase, f: SingleExampleFamily, rows: readonly ScaleRow[]): PresetDraft[] {
  return rows.map((r) => ({
    ...authors,
    name: `${f.prefix}-${r.scale}`,
    scale: r.scale,
    description: r.description,
    dataset: f.dataset,
    dataLimit: f.dataLimit,
    imageSize: r.imageSize,
    classes: NONE,
    arch: f.arch,
    width: r.width,
    latentDim: f.latentDim,
    hidden: NONE,
    batchSize: 1,
    epochs: 1,
    iterations: r.iterations,
    lrDecay: 1,
    checkpointEvery: r.checkpointEvery,
    logEvery: r.logEvery,
  }));
}

/**
 * §4.1.4: one model per texture image (the dataset is the single image, batch 1; the EBM sees the whole
 * image), z of 7×7×5, generator 7 → 224 by 4×4 stride-2 transposed convolutions (lib/models 'texture').
 * quick/cpu train at 56×56 / 112×112 (the architecture drops its first layers) with 1/4 of the channels.
 */
function texturePresets(authors: MethodBase): PresetDraft[] {
  const rows: ScaleRow[] = [
    {
      scale: 'quick',
      description: 'one texture image (dataset=texture:brick|grass|gravel|<file.pat>) at 56×56, 1/4-width §4.1.4 networks, batch 1, 50 iterations (seconds; smoke test)',
      imageSize: 56,
      width: 0.25,
      iterations: 50,
      checkpointEvery: 0,
      logEvery: 10,
    },
    {
      scale: 'cpu',
      description: 'one texture image at 112×112, 1/4-width §4.1.4 networks, batch 1, 800 iterations (2-4 minutes on 2 shared cores)',
      imageSize: 112,
      width: 0.25,
      iterations: 800,
      checkpointEvery: 500,
      logEvery: 25,
    },
    {
      scale: 'paper',
      description: "one texture image at 224×224, the §4.1.4 networks (z 7×7×5; 512, 512, 256, 128 filters), batch 1, 10,000 iterations (our choice: the paper gives no schedule)",
      imageSize: 224,
      width: 1,
      iterations: 10000,
      checkpointEvery: 1000,
      logEvery: 50,
    },
  ];
  const family = singleExampleFamily(authors, { prefix: 'texture', dataset: 'texture:brick', dataLimit: 0, arch: 'texture', latentDim: 5 }, rows);
  const perTexture = TEXTURE_NAMES.flatMap((name) =>
    family.map((p) => ({ ...p, name: texturePresetName(name, p.scale), dataset: textureDataset(name), description: p.description.replace(/^one texture image( \([^)]*\))?/, `texture ${name}`) })),
  );
  return [...family, ...perTexture];
}

/** The textures experiment 04 trains, one model each: scikit-image's three photographs and one colour GIMP pattern. */
export const TEXTURE_NAMES = ['brick', 'grass', 'gravel', 'stone33'] as const;
export type TextureName = (typeof TEXTURE_NAMES)[number];

export function texturePresetName(name: TextureName, scale: PresetScale): string {
  return `texture-${name}-${scale}`;
}

/** The loadDataset name of a texture: scikit-image's by name, the GIMP pattern by its file (Debian's gimp-data). */
export function textureDataset(name: TextureName): string {
  return name === 'stone33' ? `texture:${path.join(GIMP_PATTERNS, 'Stone', 'stone33.pat')}` : `texture:${name}`;
}

/**
 * §4.1.5: one model per clip of 32 frames of 64×64 (lib/models 'dyntex': z = 10 factors of 1×1×2,
 * spatio-temporal transposed convolutions), batch 1. DynTex is not available offline; the presets default
 * to a procedural clip (lib/data/procedural-video.ts). quick/cpu keep the paper's clip geometry and thin
 * the channels (1/16, 1/8).
 */
function dyntexPresets(authors: MethodBase): PresetDraft[] {
  const rows: ScaleRow[] = [
    {
      scale: 'quick',
      description: 'one procedural clip (dataset=procedural-video:waves|clouds or dyntex), 32 frames of 64×64, 1/16-width §4.1.5 networks, batch 1, 4 iterations (smoke test)',
      imageSize: 64,
      width: 1 / 16,
      iterations: 4,
      checkpointEvery: 0,
      logEvery: 1,
    },
    {
      scale: 'cpu',
      description: 'one procedural clip, 32 frames of 64×64, 1/8-width §4.1.5 networks, batch 1, 300 iterations (5-12 minutes on 2 shared cores)',
      imageSize: 64,
      width: 1 / 8,
      iterations: 300,
      checkpointEvery: 50,
      logEvery: 5,
    },
    {
      scale: 'paper',
      description: 'one clip, 32 frames of 64×64, the §4.1.5 networks, batch 1, 5,000 iterations (our choice: the paper gives no schedule)',
      imageSize: 64,
      width: 1,
      iterations: 5000,
      checkpointEvery: 500,
      logEvery: 25,
    },
  ];
  const family = singleExampleFamily(authors, { prefix: 'dyntex', dataset: 'procedural-video:waves', dataLimit: 1, arch: 'dyntex', latentDim: 10 }, rows);
  const paper = family.find((p) => p.scale === 'paper')!;
  return [...family, { ...paper, name: 'dyntex-real-paper', dataset: 'dyntex', description: paper.description.replace('one clip', 'the first DynTex clip (data/README.md says how to get DynTex)') }];
}

/** The high-resolution, texture and dynamic-texture presets, in display order (spread into presets.ts's PRESET_LIST). */
export function synthesisPresets(authors: MethodBase): PresetDraft[] {
  return [...progressivePresets(authors), ...texturePresets(authors), ...dyntexPresets(authors)];
}

/**
 * §4.1.3 progressive growing, 4×4 → maxSize. The paper grows to 1,024×1,024 on CelebA-HQ with a
 * 512-dimensional z (PGGAN's networks). Nothing that large is available here: quick/cpu grow
 * Fashion-MNIST (28×28, bilinearly upsampled to 32×32) to 32×32 with thin networks.
 */
function progressivePresets(authors: MethodBase): PresetDraft[] {
  // The growth schedule sets the length (iterations and epochs stay 0) and maxSize the data size (imageSize 0).
  const common = { ...authors, method: 'progressive', arch: 'progressive', classes: NONE, hidden: NONE, imageSize: 0, epochs: 0, iterations: 0, spectralNorm: false } as const;
  // quick/cpu halve the EBM's learning rate: with 150 iterations per stage, the authors' 1e-4 let the energies
  // run away at 16×16 and 32×32 and the samples collapse to one shape (measured); 5e-5 keeps the EBM learning
  // (|E| grows to tens) with diverse samples. `paper` keeps the authors' rates.
  const smallScale = { lrEbm: authors.lrEbm / 2 };
  const presets: PresetDraft[] = [
    {
      ...common,
      ...smallScale,
      name: 'hires-quick',
      scale: 'quick',
      description: 'Fashion-MNIST upsampled to 32×32, grown 4 → 8 → 16 → 32, 1/32-width networks, z of 64, 1,024 images, batch 16, 5 fade-in + 5 stable iterations per stage (seconds; smoke test)',
      dataset: 'fashion-mnist',
      dataLimit: 1024,
      maxSize: 32,
      width: 1 / 32,
      latentDim: 64,
      batchSize: 16,
      stableIterations: 5,
      fadeIterations: 5,
      lrDecay: 1,
      checkpointEvery: 0,
      logEvery: 5,
    },
    {
      ...common,
      ...smallScale,
      name: 'hires-cpu',
      scale: 'cpu',
      description: 'Fashion-MNIST upsampled to 32×32, grown 4 → 8 → 16 → 32, 1/32-width networks (16 channels), z of 128, 10,000 images, batch 16, 100 fade-in + 250 stable iterations per stage, EBM lr 5e-5 (4-10 minutes on 2 shared cores)',
      dataset: 'fashion-mnist',
      dataLimit: 10000,
      maxSize: 32,
      width: 1 / 32,
      latentDim: 128,
      batchSize: 16,
      stableIterations: 250,
      fadeIterations: 100,
      checkpointEvery: 100,
      logEvery: 10,
    },
    {
      ...common,
      name: 'hires-paper',
      scale: 'paper',
      description: "CelebA-HQ grown 4 → 1,024 with PGGAN-width networks and z of 512 (§4.1.3; data provided by the user), batch 16, 10,000 + 10,000 iterations per stage (our choice: the paper gives no schedule)",
      dataset: 'celeba-hq',
      dataLimit: 0,
      maxSize: 1024,
      width: 1,
      latentDim: 512,
      batchSize: 16,
      stableIterations: 10000,
      fadeIterations: 10000,
      checkpointEvery: 1000,
      logEvery: 50,
    },
  ];
  // Trained as experiment 01's triangle is (the paper's scaling, Algorithm 1's several θ-steps); the
  // control `hires-1step-<scale>` differs in the θ-steps only.
  const trained = presets.map((p) => ({ ...p, scaling: 'paper' as const, generatorSteps: COMPARISON_THETA_STEPS, description: `${p.description}; the paper's scaling, ${COMPARISON_THETA_STEPS} θ-steps per iteration` }));
  const controls = trained
    .filter((p) => p.scale !== 'paper')
    .map((p) => ({ ...p, name: p.name.replace('hires-', 'hires-1step-'), generatorSteps: 1, description: p.description.replace(`${COMPARISON_THETA_STEPS} θ-steps per iteration`, '1 θ-step per iteration (the control)') }));
  return [...trained, ...controls];
}
