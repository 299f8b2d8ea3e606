/**
 * Procedural dynamic textures: a stand-in for DynTex clips (divergence-triangle paper §4.1.5), which
 * are not available offline. Each clip is a sum of K travelling plane waves, deterministic given a seed,
 * stationary in time (and in space), rendered to colour:
 *
 *   'waves'  — linear deep-water gravity waves: height h(x, t) = Σ_k a_k cos(k·x − ω_k t + φ_k) with the
 *              dispersion relation ω_k = √(g‖k‖) (long waves travel faster than short ones), directions
 *              spread ±45° round a wind direction; shaded by height and by the slope facing the light.
 *   'clouds' — a fractal noise field (a_k ∝ ‖k‖^−1.5) advected at a constant velocity v and slowly
 *              "boiling" (each component's phase drifts at its own small rate ε_k):
 *              c(x, t) = Σ_k a_k cos(k·(x − v t) + ε_k t + φ_k); mapped from sky blue to white.
 *
 * Clips are [N, T, H, W, C] float32 in [-1, 1] like loadDataset('dyntex'); pixel units are pixels and frames.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { SeededRng, deriveNoiseSeed } from '../random';
import { makeImageDataset, type ImageDataset, type LoadDatasetOptions } from './types';

export type ProceduralVideoKind = 'waves' | 'clouds';
export const PROCEDURAL_VIDEO_KINDS: readonly ProceduralVideoKind[] = ['waves', 'clouds'];

export interface ProceduralVideoOptions {
  kind: ProceduralVideoKind;
  /** Number of clips (each with its own random waves), default 1. */
  clips?: number;
  /** Frames per clip, default 32 (§4.1.5). */
  frames?: number;
  /** Frame side in pixels, default 64 (§4.1.5). */
  size?: number;
  /** 3 (default) or 1 (BT.601 luma of the colour clip). */
  channels?: 1 | 3;
  seed?: number;
}

/** One travelling plane wave: amplitude, wave vector (rad/pixel), angular frequency (rad/frame), phase. */
interface Component {
  a: number;
  kx: number;
  ky: number;
  omega: number;
  phase: number;
}

/** Stream id of the clips' random choices. */
const VIDEO_STREAM = 0x71de0;
const COMPONENTS = 32;

/** Waves of one clip; the spectrum's scales are given for 64-pixel frames and scale with `size`. */
function components(kind: ProceduralVideoKind, rng: SeededRng, size: number): Component[] {
  const s = size / 64;
  const out: Component[] = [];
  switch (kind) {
    case 'waves': {
      const wind = 2 * Math.PI * rng.next();
      // Wavelengths 6–40 px (at 64 px); g chosen so a 20-px wave moves ≈ 1.5 px/frame: c = √(g/k).
      const g = (1.5 * s) ** 2 * ((2 * Math.PI) / (20 * s));
      for (let i = 0; i < COMPONENTS; i++) {
        const lambda = s * (6 + 34 * rng.next() ** 1.5);
        const k = (2 * Math.PI) / lambda;
        const dir = wind + (rng.next() - 0.5) * (Math.PI / 2);
        // Amplitude ∝ λ (constant steepness, a·k) with a little randomness.
        out.push({ a: lambda * (0.5 + rng.next()), kx: k * Math.cos(dir), ky: k * Math.sin(dir), omega: Math.sqrt(g * k), phase: 2 * Math.PI * rng.next() });
      }
      break;
    }
    case 'clouds': {
      const vDir = 2 * Math.PI * rng.next();
      const speed = 0.8 * s; // px/frame
      const vx = speed * Math.cos(vDir);
      const vy = speed * Math.sin(vDir);
      for (let i = 0; i < COMPONENTS; i++) {
        const lambda = s * (5 + 59 * rng.next() ** 2);
        const k = (2 * Math.PI) / lambda;
        const dir = 2 * Math.PI * rng.next();
        const kx = k * Math.cos(dir);
        const ky = k * Math.sin(dir);
        const boil = (rng.next() - 0.5) * 0.12; // rad/frame
        // cos(k·(x − v t) + ε t + φ) = cos(k·x − (k·v − ε) t + φ)
        out.push({ a: k ** -1.5 * (0.5 + rng.next()), kx, ky, omega: kx * vx + ky * vy - boil, phase: 2 * Math.PI * rng.next() });
      }
      break;
    }
    default: {
      const never: never = kind;
      throw new UserError(`unknown procedural video kind "${String(never)}": use ${PROCEDURAL_VIDEO_KINDS.join(' or ')}`);
    }
  }
  return out;
}

/** Field value and its x-slope at every pixel of frame t: Σ a cos(θ), Σ −a kx sin(θ), θ = k·x − ωt + φ. */
function field(comps: Component[], size: number, t: number, value: Float64Array, slope: Float64Array): void {
  value.fill(0);
  slope.fill(0);
  for (const c of comps) {
    const base = c.phase - c.omega * t;
    for (let y = 0; y < size; y++) {
      const row = base + c.ky * y;
      for (let x = 0; x < size; x++) {
        const th = row + c.kx * x;
        value[y * size + x] += c.a * Math.cos(th);
        slope[y * size + x] -= c.a * c.kx * Math.sin(th);
      }
    }
  }
}

const smoothstep = (e0: number, e1: number, v: number) => {
  const u = Math.min(1, Math.max(0, (v - e0) / (e1 - e0)));
  return u * u * (3 - 2 * u);
};

/** Pixel colour in [0, 1]³ from the standardized field value v and slope s. */
function shade(kind: ProceduralVideoKind, v: number, s: number, out: number[]): void {
  switch (kind) {
    case 'waves': {
      // Deep blue troughs, lighter crests, lit from −x (slopes facing the light brighter), a little foam on the highest crests.
      const h = smoothstep(-2.2, 2.2, v);
      const light = 0.5 + 0.5 * Math.tanh(-0.8 * s);
      const foam = smoothstep(1.6, 2.6, v);
      out[0] = 0.02 + 0.18 * h + 0.25 * light * h + 0.6 * foam;
      out[1] = 0.16 + 0.34 * h + 0.25 * light + 0.45 * foam;
      out[2] = 0.32 + 0.33 * h + 0.25 * light + 0.3 * foam;
      break;
    }
    case 'clouds': {
      const c = smoothstep(-0.3, 1.6, v);
      out[0] = 0.3 + 0.65 * c;
      out[1] = 0.5 + 0.47 * c;
      out[2] = 0.85 + 0.13 * c;
      break;
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown kind ${String(never)}`);
    }
  }
}

/**
 * Renders clips as float32 in [-1, 1], clip-major, [clips, frames, size, size, channels] row-major.
 * @throws UserError for an unknown kind or non-positive sizes
 */
export function proceduralVideo(opts: ProceduralVideoOptions): { data: Float32Array; shape: [number, number, number, number, number] } {
  const { kind } = opts;
  if (!PROCEDURAL_VIDEO_KINDS.includes(kind)) throw new UserError(`unknown procedural video kind "${String(kind)}": use procedural-video:${PROCEDURAL_VIDEO_KINDS.join(' or procedural-video:')}`);
  const clips = opts.clips ?? 1;
  const frames = opts.frames ?? 32;
  const size = opts.size ?? 64;
  const channels = opts.channels ?? 3;
  const seed = opts.seed ?? 0;
  for (const [k, v] of [['clips', clips], ['frames', frames], ['size', size]] as const) {
    if (!(Number.isInteger(v) && v > 0)) throw new UserError(`procedural video: ${k} must be a positive integer, got ${String(v)}`);
  }
  if (channels !== 1 && channels !== 3) throw new UserError(`procedural video: channels must be 1 or 3, got ${String(channels)}`);
  const px = size * size;
  const data = new Float32Array(clips * frames * px * channels);
  const value = new Float64Array(px);
  const slope = new Float64Array(px);
  const rgb = [0, 0, 0];
  for (let n = 0; n < clips; n++) {
    const comps = components(kind, new SeededRng(deriveNoiseSeed(seed, VIDEO_STREAM, n)), size);
    // Standardize by the field's stationary std, √(Σa²/2), and the slope's, √(Σa²kx²/2): same look at any size.
    const std = Math.sqrt(comps.reduce((s, c) => s + c.a * c.a, 0) / 2);
    const slopeStd = Math.sqrt(comps.reduce((s, c) => s + c.a * c.a * c.kx * c.kx, 0) / 2) || 1;
    for (let t = 0; t < frames; t++) {
      field(comps, size, t, value, slope);
      const off = (n * frames + t) * px * channels;
      for (let i = 0; i < px; i++) {
        shade(kind, value[i] / std, slope[i] / slopeStd, rgb);
        const r = Math.min(1, Math.max(0, rgb[0]));
        const g = Math.min(1, Math.max(0, rgb[1]));
        const b = Math.min(1, Math.max(0, rgb[2]));
        if (channels === 3) {
          data[off + 3 * i] = 2 * r - 1;
          data[off + 3 * i + 1] = 2 * g - 1;
          data[off + 3 * i + 2] = 2 * b - 1;
        } else data[off + i] = 2 * (0.299 * r + 0.587 * g + 0.114 * b) - 1;
      }
    }
  }
  return { data, shape: [clips, frames, size, size, channels] };
}

/**
 * loadDataset('procedural-video:<kind>'): `limit` clips (default 1), `frames` (32), `imageSize` (64),
 * `channels` (3), `seed`. Training split only.
 */
export function loadProceduralVideo(name: string, kind: string, opts: LoadDatasetOptions = {}): ImageDataset {
  if (!(PROCEDURAL_VIDEO_KINDS as readonly string[]).includes(kind)) {
    throw new UserError(`unknown procedural video "${kind}": use procedural-video:${PROCEDURAL_VIDEO_KINDS.join(' or procedural-video:')}`);
  }
  if (opts.split === 'test') throw new UserError(`${name} has no test split: load split 'train' (a new seed gives new clips)`);
  if (opts.classes || opts.excludeClasses) throw new UserError(`${name} is generated and has no classes: drop classes / excludeClasses`);
  const v = proceduralVideo({ kind: kind as ProceduralVideoKind, clips: opts.limit ?? 1, frames: opts.frames, size: opts.imageSize, channels: opts.channels, seed: opts.seed });
  const [n, t, h, w, c] = v.shape;
  const what = kind === 'waves' ? 'linear deep-water waves (ω = √(g‖k‖)), 32 plane components' : 'fractal noise advected at a constant velocity with slowly drifting phases, 32 plane components';
  return makeImageDataset({
    name,
    images: tf.tensor(v.data, v.shape),
    note: `Procedural dynamic texture, not DynTex (unavailable offline): ${n} clip(s) of ${t} frames ${h}×${w}×${c}, ${what}, seed ${opts.seed ?? 0} (paper §4.1.5: DynTex clips at 64×64×32 frames).`,
    source: 'generated',
  });
}
