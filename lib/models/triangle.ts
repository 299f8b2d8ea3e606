/**
 * Builders of the divergence triangle's three networks (generator g_θ, inference q_φ, EBM f_α) for every
 * architecture of the paper. Architecture tables live in architectures.ts.
 */
import { type ArchName, type ModelOptions, layoutFor, resolveModelOptions, type ResolvedOptions } from './architectures';
import { NetEbm, NetGenerator, NetInference, StackBuilder } from './nets';

const TRIANGLE_DEFAULTS = { energyForm: 'identity', spectralNorm: false } as const;

function resolve(arch: ArchName, opts: ModelOptions): ResolvedOptions {
  return resolveModelOptions(arch, opts, TRIANGLE_DEFAULTS);
}

/** g_θ(z) for `arch` (variables named `gen.l{i}.{convT|bn}.…`). */
export function buildGenerator(arch: ArchName, opts: ModelOptions): NetGenerator {
  const o = resolve(arch, opts);
  const L = layoutFor(o);
  const b = new StackBuilder('gen', L.latentShape[L.latentShape.length - 1], o.seed, false);
  if (L.genInput.join() !== L.latentShape.join()) b.reshape(L.genInput);
  const net = b.rows(L.gen).build(L.latentShape);
  return new NetGenerator('gen', net, L.latentShape, net.outputShape(L.latentShape));
}

/** q_φ(z|x) for `arch`: trunk `inf.l{i}.…` and two heads `inf.mu`, `inf.logvar` of the same geometry. */
export function buildInference(arch: ArchName, opts: ModelOptions): NetInference {
  const o = resolve(arch, opts);
  const L = layoutFor(o);
  const b = new StackBuilder('inf', L.imageShape[L.imageShape.length - 1], o.seed, false);
  const trunk = b.rows(L.infTrunk).build(L.imageShape, 'inf.trunk');
  const hShape = trunk.outputShape(L.imageShape);
  const head = (name: string) => new StackBuilder(name, b.outChannels, o.seed, false).rows([L.infHead], name).build(hShape);
  const net = new NetInference('inf', trunk, head('inf.mu'), head('inf.logvar'), L.imageShape, L.latentShape);
  const out = net.muHead.outputShape(hShape);
  if (out.reduce((a, v) => a * v, 1) !== L.latentShape.reduce((a, v) => a * v, 1)) {
    throw new Error(`inf: heads give [${out.join(', ')}], latent is [${L.latentShape.join(', ')}]`);
  }
  return net;
}

/** f_α(x) for `arch` (`ebm.l{i}.…`); `spectralNorm` puts SN on every weight, `energyForm` shapes f. */
export function buildEbm(arch: ArchName, opts: ModelOptions): NetEbm {
  const o = resolve(arch, opts);
  const L = layoutFor(o);
  const b = new StackBuilder('ebm', L.imageShape[L.imageShape.length - 1], o.seed, o.spectralNorm);
  const net = b.rows([...L.ebmTrunk, L.ebmHead]).build(L.imageShape);
  net.outputShape(L.imageShape); // validates the geometry now rather than at the first forward
  return new NetEbm('ebm', net, L.imageShape, o.energyForm);
}

/** The three networks of one architecture, from one seed (their variable names differ, so their inits do). */
export function buildTriangleModels(arch: ArchName, opts: ModelOptions): { generator: NetGenerator; inference: NetInference; ebm: NetEbm } {
  return { generator: buildGenerator(arch, opts), inference: buildInference(arch, opts), ebm: buildEbm(arch, opts) };
}
