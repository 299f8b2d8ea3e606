/**
 * Inception-v3 features for the papers' FID and Inception Score (divergence-triangle §4.2, Table 1),
 * from a TF.js graph model the user converts once (no model hub is reachable, nothing is fetched at run
 * time). The wasm and cpu backends have no file:// loader, so `fileSystemModelHandler` reads model.json
 * and its weight shards from disk. How to obtain the model: the README section "Inception features".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import { fid } from './frechet';

const HOW_TO = 'convert Keras InceptionV3 with tensorflowjs_converter (README "Inception features") and pass its folder or model.json';

interface ModelJson {
  modelTopology?: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: Record<string, unknown>;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: unknown;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** Resolves a folder (holding model.json) or a model.json path; throws UserError if there is none. */
function resolveModelJson(p: string): string {
  const file = fs.existsSync(p) && fs.statSync(p).isDirectory() ? path.join(p, 'model.json') : p;
  if (!fs.existsSync(file)) throw new UserError(`no TF.js model at ${file}: ${HOW_TO}`);
  return file;
}

/**
 * An IOHandler that loads a TF.js model (graph or layers format) from local files: model.json plus the
 * binary shards its weightsManifest lists, concatenated in manifest order (the order the specs follow).
 */
export function fileSystemModelHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const file = resolveModelJson(modelJsonPath);
      let json: ModelJson;
      try {
        json = JSON.parse(fs.readFileSync(file, 'utf8')) as ModelJson;
      } catch (e) {
        throw new UserError(`${file} is not valid JSON (${(e as Error).message}); re-run tensorflowjs_converter`);
      }
      if (!json.modelTopology) throw new UserError(`${file} has no modelTopology; it is not a TF.js model.json`);
      const dir = path.dirname(file);
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const shards: Buffer[] = [];
      for (const group of json.weightsManifest ?? []) {
        weightSpecs.push(...group.weights);
        for (const shard of group.paths) {
          const shardPath = path.join(dir, shard);
          if (!fs.existsSync(shardPath)) throw new UserError(`weight shard ${shardPath} listed in ${file} is missing; copy every .bin file next to model.json`);
          shards.push(fs.readFileSync(shardPath));
        }
      }
      const all = Buffer.concat(shards);
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature as tf.io.ModelArtifacts['signature'],
        userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
        modelInitializer: json.modelInitializer as tf.io.ModelArtifacts['modelInitializer'],
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

/** A loaded Inception-v3 graph model and how to read it. */
export interface InceptionModel {
  model: tf.GraphModel;
  /** [H, W] the model takes, from its input signature (299×299 unless it says otherwise) */
  inputSize: [number, number];
  /** the range its input expects: [-1, 1] for Keras InceptionV3 (preprocess_input), [0, 1] for TF-Hub's */
  inputRange: readonly [number, number];
  /** output node names of the pool features [N, 2048] and of the class scores [N, 1000 or 1008] */
  featuresOutput: string;
  probabilitiesOutput: string | null;
}

interface OutputCandidate {
  /** what model.execute takes: the signature key when the model has a signature, else the node name */
  name: string;
  lastDim?: number;
}

/** The model's outputs with their sizes, from the serving signature when there is one (converted SavedModels). */
function outputCandidates(model: tf.GraphModel): OutputCandidate[] {
  const sig = model.modelSignature as { outputs?: Record<string, { tensorShape?: { dim?: { size?: string | number }[] } }> } | undefined;
  if (sig?.outputs && Object.keys(sig.outputs).length) {
    return Object.entries(sig.outputs).map(([name, info]) => {
      const dims = info.tensorShape?.dim ?? [];
      const last = dims.length ? Number(dims[dims.length - 1].size) : NaN;
      return { name, lastDim: last > 0 ? last : undefined };
    });
  }
  return model.outputs.map((o) => ({ name: o.name, lastDim: o.shape && o.shape.length ? o.shape[o.shape.length - 1] : undefined }));
}

/**
 * Loads a user-provided Inception-v3 TF.js graph model from disk (a folder with model.json, or the
 * model.json path). Outputs are found by name (/pool|feature/ and /prob|logit|predict/), else by size
 * (2048 features, 1000/1008 classes); pass `featuresOutput`/`probabilitiesOutput` to choose.
 */
export async function loadInceptionModel(
  modelPath: string,
  opts: { inputRange?: readonly [number, number]; featuresOutput?: string; probabilitiesOutput?: string } = {},
): Promise<InceptionModel> {
  const model = await tf.loadGraphModel(fileSystemModelHandler(modelPath));
  const outputs = outputCandidates(model);
  const byName = (re: RegExp) => outputs.find((o) => re.test(o.name))?.name;
  const bySize = (sizes: number[]) => outputs.find((o) => o.lastDim !== undefined && sizes.includes(o.lastDim))?.name;
  const featuresOutput = opts.featuresOutput ?? byName(/pool|feature/i) ?? bySize([2048]);
  const probabilitiesOutput = opts.probabilitiesOutput ?? byName(/prob|logit|predict/i) ?? bySize([1000, 1008]) ?? null;
  if (!featuresOutput) {
    model.dispose();
    throw new UserError(
      `${modelPath}: no pool-features output among [${outputs.map((o) => o.name).join(', ')}]; export the model with the avg_pool output (README "Inception features") or pass featuresOutput`,
    );
  }
  const inShape = model.inputs[0]?.shape ?? [];
  const h = inShape[1] && inShape[1] > 0 ? inShape[1] : 299;
  const w = inShape[2] && inShape[2] > 0 ? inShape[2] : 299;
  return { model, inputSize: [h, w], inputRange: opts.inputRange ?? [-1, 1], featuresOutput, probabilitiesOutput };
}

/**
 * Pool features and class probabilities of images under Inception-v3: gray images are repeated to 3
 * channels, resized bilinearly to the model's input size and mapped from [-1, 1] to its input range.
 * Logits are turned into probabilities with a softmax (rows that already sum to 1 are kept).
 * @param images [N, H, W, 1 or 3] in [-1, 1]
 * @returns features [N, D], probabilities [N, K] or null; the caller disposes them
 */
export function inceptionFeatures(
  inc: InceptionModel,
  images: tf.Tensor,
  opts: { batchSize?: number } = {},
): { features: tf.Tensor2D; probabilities: tf.Tensor2D | null } {
  if (images.rank !== 4 || (images.shape[3] !== 1 && images.shape[3] !== 3)) {
    throw new UserError(`inceptionFeatures takes images [N, H, W, 1 or 3] in [-1, 1] (got [${images.shape}])`);
  }
  const batchSize = opts.batchSize ?? 50;
  const n = images.shape[0];
  const names = inc.probabilitiesOutput ? [inc.featuresOutput, inc.probabilitiesOutput] : [inc.featuresOutput];
  const feats: tf.Tensor2D[] = [];
  const probs: tf.Tensor2D[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const [f, p] = tf.tidy(() => {
      let x = tf.slice(images, start, size) as tf.Tensor4D;
      if (x.shape[3] === 1) x = tf.tile(x, [1, 1, 1, 3]);
      x = tf.image.resizeBilinear(x, inc.inputSize);
      const [lo, hi] = inc.inputRange;
      x = x.add(1).mul((hi - lo) / 2).add(lo);
      const out = inc.model.execute(x, names);
      const outs = Array.isArray(out) ? out : [out];
      const feat = tf.reshape(outs[0], [size, -1]) as tf.Tensor2D;
      if (!outs[1]) return [feat];
      const scores = tf.reshape(outs[1], [size, -1]) as tf.Tensor2D;
      const isProb = scores.min().dataSync()[0] >= 0 && tf.abs(scores.sum(1).sub(1)).max().dataSync()[0] < 1e-3;
      return [feat, isProb ? scores : tf.softmax(scores)];
    });
    feats.push(f as tf.Tensor2D);
    if (p) probs.push(p as tf.Tensor2D);
  }
  const features = tf.concat(feats, 0);
  const probabilities = probs.length ? tf.concat(probs, 0) : null;
  tf.dispose([...feats, ...probs]);
  return { features, probabilities };
}

/**
 * FID of `samples` against `reference` on Inception-v3's pool features: Table 1's measure of both papers
 * (the features are freed before returning).
 * @param samples [N, H, W, 1 or 3] in [-1, 1] @param reference [M, H', W', 1 or 3] in [-1, 1] (neither disposed)
 */
export function inceptionFid(inc: InceptionModel, samples: tf.Tensor, reference: tf.Tensor, opts: { batchSize?: number } = {}): number {
  const a = inceptionFeatures(inc, samples, opts);
  try {
    const b = inceptionFeatures(inc, reference, opts);
    try {
      return fid(a.features, b.features);
    } finally {
      tf.dispose([b.features, ...(b.probabilities ? [b.probabilities] : [])]);
    }
  } finally {
    tf.dispose([a.features, ...(a.probabilities ? [a.probabilities] : [])]);
  }
}
