/**
 * The latent EBM f_α(x, z) of "Joint Training of VAE and Latent EBM" (§3.5: "we first encode x into a
 * vector and then concatenate this vector with the vector z, and then get f_α(x, z) by a network defined on
 * the concatenated vector"; §5: spectral normalization). Layout, after the authors' code (ENVIRONMENT.md):
 *   x-branch: the triangle EBM's conv trunk for the architecture (with biases), then its last conv widened
 *             to 512·width channels (1×1 spatial), linear;
 *   z-branch: eight 1×1 convs on the 1×1 latent map = dense layers, latentDim → 64, 64, 128, 128, 256, 256,
 *             512, 512 (·width), linear at the end;
 *   LeakyReLU slope 0.1 throughout (the code's nn.LeakyReLU(0.1));
 *   joint:    concat (1024·width) → 1×1 conv (dense) 1024·width, LReLU → 1×1 conv (dense) → r;
 * spectral norm on every weight (default), energy form softplus (default), no batch norm unless
 * `batchNorm: true`. For 'mlp2d' the x-branch is the MLP trunk and both branches have the last hidden width.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { type ArchName, layoutFor, type ModelOptions, resolveModelOptions } from './architectures';
import { applyEnergyForm } from './energy';
import type { Describable, LayerDescription, Sequential } from './layers';
import { type RowSpec, StackBuilder, StackModule } from './nets';
import type { EnergyForm, LatentEbm } from './types';

/** Negative slope of every LeakyReLU of f_α(x, z) (the authors' code: nn.LeakyReLU(0.1)). */
export const LATENT_EBM_LRELU_SLOPE = 0.1;

export const LATENT_EBM_ARCHS: readonly ArchName[] = ['mnist', 'cifar', 'celeba', 'mlp2d'];

export class NetLatentEbm extends StackModule implements LatentEbm, Describable {
  constructor(
    readonly name: string,
    readonly xBranch: Sequential,
    readonly zBranch: Sequential,
    readonly joint: Sequential,
    readonly inputShape: number[],
    readonly latentShape: number[],
    readonly energyForm: EnergyForm,
  ) {
    super();
  }

  protected stacks(): Sequential[] {
    return [this.xBranch, this.zBranch, this.joint];
  }

  /** r(x, z) before the energy form, [N]. */
  raw(x: tf.Tensor, z: tf.Tensor, training: boolean): tf.Tensor1D {
    const n = x.shape[0];
    const per = (t: tf.Tensor) => t.shape.slice(1).reduce((a, b) => a * b, 1);
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    if (per(x) !== size(this.inputShape) || z.shape[0] !== n || per(z) !== size(this.latentShape)) {
      throw new Error(`${this.name}: expected x [N, ${this.inputShape.join(', ')}] and z [N, ${this.latentShape.join(', ')}], got [${x.shape.join(', ')}] and [${z.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const hx = this.xBranch.apply(tf.reshape(x, [n, ...this.inputShape]), training);
      const hz = this.zBranch.apply(tf.reshape(z, [n, -1]), training);
      return tf.reshape(this.joint.apply(tf.concat([hx, hz], 1), training), [n]) as tf.Tensor1D;
    });
  }

  score(x: tf.Tensor, z: tf.Tensor, training: boolean): tf.Tensor1D {
    return tf.tidy(() => applyEnergyForm(this.raw(x, z, training), this.energyForm) as tf.Tensor1D);
  }

  /** x-branch rows from `inShape` (default the image shape), then the z-branch and the joint head. */
  describe(inShape: number[] = this.inputShape): LayerDescription[] {
    const zIn = [this.latentShape.reduce((a, b) => a * b, 1)];
    const hx = this.xBranch.outputShape(inShape);
    const hz = this.zBranch.outputShape(zIn);
    return [...this.xBranch.describe(inShape), ...this.zBranch.describe(zIn), ...this.joint.describe([hx[0] + hz[0]])];
  }
}

/** f_α(x, z) for 'mnist', 'cifar', 'celeba' or 'mlp2d' (variables `lebm.{x|z|j}.l{i}.…`). */
export function buildLatentEbm(arch: ArchName, opts: ModelOptions): NetLatentEbm {
  if (!LATENT_EBM_ARCHS.includes(arch)) {
    throw new UserError(`the latent EBM is defined for ${LATENT_EBM_ARCHS.join(', ')}, not '${String(arch)}'`);
  }
  const o = resolveModelOptions(arch, opts, { energyForm: 'softplus', spectralNorm: true });
  const useBn = opts.batchNorm === true;
  const L = layoutFor({ ...o, bn: { ...o.bn, ebm: useBn } });
  // LeakyReLU 0.1 throughout, as the authors' latent-EBM code (the triangle's nets use 0.2).
  const slope = LATENT_EBM_LRELU_SLOPE;
  const dense = (out: number, act: RowSpec['act']): RowSpec => ({ op: 'dense', out, bn: false, act, bias: true, slope });
  // Every conv of the authors' x-branch has a bias (the triangle EBM's trunk has none).
  const trunk = L.ebmTrunk.map((r) => ({ ...r, slope, bias: arch === 'mlp2d' ? r.bias : true }));
  const xb = new StackBuilder('lebm.x', L.imageShape[L.imageShape.length - 1], o.seed, o.spectralNorm).rows(trunk);
  let feat: number;
  if (arch === 'mlp2d') {
    feat = xb.outChannels;
  } else {
    feat = o.c(512);
    // The branch ends in a linear map (no activation), as the code's `self.x` does.
    xb.rows([{ ...L.ebmHead, out: feat, act: null, bias: true }]).reshape([feat]);
  }
  const xBranch = xb.build(L.imageShape);
  const latentSize = L.latentShape.reduce((a, b) => a * b, 1);
  // The code's `self.z`: eight 1×1 convs (dense on the 1×1 map) nz → ndf, ndf, 2ndf, 2ndf, 4ndf, 4ndf, 8ndf,
  // 8ndf (ndf = 64·width, 8ndf = feat), LeakyReLU between them, none after the last.
  const zWidths = [64, 64, 128, 128, 256, 256, 512, 512].map((n) => o.c(n));
  const zRows = arch === 'mlp2d' ? [dense(feat, 'lrelu')] : zWidths.map((n, i) => dense(n, i === zWidths.length - 1 ? null : 'lrelu'));
  const zBranch = new StackBuilder('lebm.z', latentSize, o.seed, o.spectralNorm).rows(zRows).build([latentSize]);
  const hidden = arch === 'mlp2d' ? feat : o.c(1024);
  const joint = new StackBuilder('lebm.j', 2 * feat, o.seed, o.spectralNorm).rows([dense(hidden, 'lrelu'), dense(1, null)]).build([2 * feat]);
  const xOut = xBranch.outputShape(L.imageShape);
  if (xOut.length !== 1 || xOut[0] !== feat) throw new Error(`lebm: x-branch gives [${xOut.join(', ')}], expected [${feat}]`);
  return new NetLatentEbm('lebm', xBranch, zBranch, joint, L.imageShape, L.latentShape, o.energyForm);
}
