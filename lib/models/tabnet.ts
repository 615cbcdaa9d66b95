/**
 * TabNet (Arik & Pfister, 2019) in tfjs, following pytorch-tabnet 4.1 module for module: an
 * initial batch norm; feature transformers (the initial splitter and one per step) of shared and
 * independent GLU layers (fully connected → ghost batch norm → GLU, residuals scaled by √0.5), where
 * the shared layers share their linear weights but each transformer keeps its own batch norms; per
 * decision step an attentive transformer (FC → ghost BN →
 * × prior → sparsemax) producing a feature mask M, the prior updated as prior · (γ − M); ReLU of the
 * first n_d outputs summed over steps, then a linear map to the logits. The sparsity regulariser is
 * the mean mask entropy. Ghost BN normalises virtual batches of 128 and keeps running statistics
 * (PyTorch momentum semantics) for inference.
 *
 * The model owns its variables (not a tfjs-layers model: ghost BN and the mask outputs do not fit
 * that API); `train/tabnet` trains it, `explain` returns masks and global importances.
 */
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../random";
import { sparsemax } from "./sparsemax";

/** Hyperparameters (pytorch-tabnet's names in comments); defaults are pytorch-tabnet 4.1's. */
export interface TabNetConfig {
  features: number;
  classes: number;
  /** n_d: width of the decision output per step. */
  nD: number;
  /** n_a: width of the attention input per step. */
  nA: number;
  /** n_steps */
  nSteps: number;
  /** gamma: feature re-use relaxation (1 = each feature used once). */
  gamma: number;
  /** n_independent: step-specific GLU layers. */
  nIndependent: number;
  /** n_shared: GLU layers shared across steps. */
  nShared: number;
  /** momentum of the ghost batch norms (PyTorch semantics). */
  momentum: number;
  /** virtual_batch_size */
  virtualBatchSize: number;
  /** epsilon inside log(M + ε) of the entropy. */
  epsilon: number;
  seed: number;
}

/** pytorch-tabnet 4.1 defaults. */
export const defaultTabNetConfig: Readonly<Omit<TabNetConfig, "features" | "classes">> = Object.freeze({
  nD: 8,
  nA: 8,
  nSteps: 3,
  gamma: 1.3,
  nIndependent: 2,
  nShared: 2,
  momentum: 0.02,
  virtualBatchSize: 128,
  epsilon: 1e-15,
  seed: 0,
});

/** A batch norm's four tensors (PyTorch's weight, bias, running_mean, running_var). */
export interface BatchNorm {
  gamma: tf.Variable;
  beta: tf.Variable;
  mean: tf.Variable;
  variance: tf.Variable;
  momentum: number;
}

/** A GLU layer: fully connected (no bias, weight [in, 2·(n_d + n_a)]) → ghost batch norm → GLU. */
export interface GluLayer {
  weight: tf.Variable;
  bn: BatchNorm;
}

/**
 * One feature transformer (the initial splitter or a step's): the shared GLU layers, whose linear
 * weights are common to every transformer but whose batch norms are this transformer's own, then
 * its independent GLU layers.
 */
export interface FeatureTransformer {
  shared: GluLayer[];
  independent: GluLayer[];
}

/** The network's parts, as pytorch-tabnet's modules, for exporters and weight import. */
export interface TabNetLayers {
  initialBn: BatchNorm;
  /** [0] is the initial splitter, [k + 1] decision step k's. */
  transformers: FeatureTransformer[];
  /** Per decision step: fully connected [n_a, features] → ghost batch norm → × prior → sparsemax. */
  attention: GluLayer[];
  /** [n_d, classes], no bias. */
  finalWeight: tf.Variable;
}

/** One forward pass: logits, the masks of every step, the entropy regulariser and step weights. */
export interface TabNetOutput {
  logits: tf.Tensor2D;
  masks: tf.Tensor2D[];
  /** Mean over rows of Σ_j −M log(M + ε), averaged over steps (≥ 0). */
  entropy: tf.Scalar;
  /** Per step, Σ of the step's ReLU decision output per row ([rows, 1]): how much the step counted. */
  stepWeights: tf.Tensor2D[];
}

/** What {@link TabNet.explain} returns. */
export interface TabNetExplanation {
  /** Per step, row-major [rows × features] masks. */
  stepMasks: Float32Array[];
  /** Aggregated per-sample importance [rows × features], each row summing to 1 (0 rows stay 0). */
  sampleImportance: Float32Array;
  /** Global importances (sum 1), in feature order. */
  global: Float32Array;
}

/** PyTorch's BatchNorm1d ε. */
export const TABNET_BN_EPSILON = 1e-5;

/**
 * Row counts of the virtual batches PyTorch's `x.chunk(ceil(n / vbs))` makes: chunks of
 * ceil(n / k) rows, the last one shorter (9 rows at 4 give 3 + 3 + 3, not 4 + 4 + 1).
 */
export function ghostBatchSizes(rows: number, virtualBatchSize: number): number[] {
  const k = Math.ceil(rows / virtualBatchSize);
  const size = Math.ceil(rows / k);
  const sizes: number[] = [];
  for (let start = 0; start < rows; start += size) sizes.push(Math.min(size, rows - start));
  return sizes;
}

export class TabNet {
  readonly config: TabNetConfig;
  /** The parts, read-only by convention (exporters read them; training updates them in place). */
  readonly layers: TabNetLayers;
  /** The shared linear weights, once each (they also appear in every transformer's `shared`). */
  private readonly sharedWeights: tf.Variable[];
  /** Running statistics of the current training forward pass, chained over ghost batches, applied by {@link commitStatistics}. */
  private pending = new Map<BatchNorm, { mean: tf.Tensor; variance: tf.Tensor }>();

  constructor(config: Pick<TabNetConfig, "features" | "classes"> & Partial<TabNetConfig>) {
    const c: TabNetConfig = { ...defaultTabNetConfig, ...config };
    if (c.nShared < 1 && c.nIndependent < 1)
      throw new Error("TabNet needs at least one shared or independent GLU layer");
    this.config = c;
    const rng = new Rng(c.seed === 0 ? 7919 : c.seed);
    const width = c.nD + c.nA;
    const xavier = (rows: number, cols: number, gain: number): tf.Variable => {
      const std = gain * Math.sqrt(2 / (rows + cols));
      return tf.variable(
        tf.tensor2d(
          Float32Array.from({ length: rows * cols }, () => rng.normal() * std),
          [rows, cols],
        ),
      );
    };
    const bn = (n: number, momentum: number): BatchNorm => ({
      gamma: tf.variable(tf.ones([n])),
      beta: tf.variable(tf.zeros([n])),
      mean: tf.variable(tf.zeros([n]), false),
      variance: tf.variable(tf.ones([n]), false),
      momentum,
    });
    // pytorch-tabnet's initialize_glu / initialize_non_glu gains
    const gluWeight = (inDim: number): tf.Variable =>
      xavier(inDim, 2 * width, Math.sqrt((inDim + 2 * width) / Math.sqrt(inDim)));
    this.sharedWeights = Array.from({ length: c.nShared }, (_, i) => gluWeight(i === 0 ? c.features : width));
    const transformers = Array.from({ length: c.nSteps + 1 }, (): FeatureTransformer => ({
      shared: this.sharedWeights.map((weight) => ({ weight, bn: bn(2 * width, c.momentum) })),
      independent: Array.from({ length: c.nIndependent }, (_, i) => ({
        weight: gluWeight(i === 0 && c.nShared === 0 ? c.features : width),
        bn: bn(2 * width, c.momentum),
      })),
    }));
    this.layers = {
      initialBn: bn(c.features, 0.01),
      transformers,
      attention: Array.from({ length: c.nSteps }, () => ({
        weight: xavier(c.nA, c.features, Math.sqrt((c.nA + c.features) / Math.sqrt(4 * c.nA))),
        bn: bn(c.features, c.momentum),
      })),
      finalWeight: xavier(c.nD, c.classes, Math.sqrt((c.nD + c.classes) / Math.sqrt(4 * c.nD))),
    };
  }

  /**
   * Every variable under pytorch-tabnet's state-dict name (`tabnet.encoder.…`), in its parameter
   * order; running statistics (non-trainable) follow their batch norm's weight and bias. Linear
   * weights are stored [in, out] here and [out, in] in PyTorch. The shared weights appear once,
   * under the initial splitter's `shared_layers` name, as in `named_parameters()`.
   */
  namedVariables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    const addBn = (prefix: string, b: BatchNorm): void => {
      out
        .set(`${prefix}.weight`, b.gamma)
        .set(`${prefix}.bias`, b.beta)
        .set(`${prefix}.running_mean`, b.mean)
        .set(`${prefix}.running_var`, b.variance);
    };
    const { initialBn, transformers, attention, finalWeight } = this.layers;
    addBn("tabnet.encoder.initial_bn", initialBn);
    transformers.forEach((t, k) => {
      const prefix = k === 0 ? "tabnet.encoder.initial_splitter" : `tabnet.encoder.feat_transformers.${k - 1}`;
      if (k === 0) this.sharedWeights.forEach((w, i) => out.set(`${prefix}.shared.shared_layers.${i}.weight`, w));
      t.shared.forEach((g, i) => addBn(`${prefix}.shared.glu_layers.${i}.bn.bn`, g.bn));
      t.independent.forEach((g, i) => {
        out.set(`${prefix}.specifics.glu_layers.${i}.fc.weight`, g.weight);
        addBn(`${prefix}.specifics.glu_layers.${i}.bn.bn`, g.bn);
      });
    });
    attention.forEach((a, k) => {
      out.set(`tabnet.encoder.att_transformers.${k}.fc.weight`, a.weight);
      addBn(`tabnet.encoder.att_transformers.${k}.bn.bn`, a.bn);
    });
    return out.set("tabnet.final_mapping.weight", finalWeight);
  }

  /** Trainable variables, each once. */
  get trainableVariables(): tf.Variable[] {
    return [...this.namedVariables().values()].filter((v) => v.trainable);
  }

  /** Every variable, running statistics included (for saving), in {@link namedVariables} order. */
  get allVariables(): tf.Variable[] {
    return [...this.namedVariables().values()];
  }

  /**
   * Trainable parameters: 10,744 at 78 features and 15 classes with the defaults. pytorch-tabnet's
   * `parameters()` counts 10,900: the 156 extra are an `initial_bn` its forward pass never uses.
   */
  get parameterCount(): number {
    return this.trainableVariables.reduce((s, v) => s + v.size, 0);
  }

  private batchNorm(x: tf.Tensor2D, b: BatchNorm, training: boolean): tf.Tensor2D {
    if (!training)
      return tf.add(tf.mul(tf.div(tf.sub(x, b.mean), tf.sqrt(tf.add(b.variance, TABNET_BN_EPSILON))), b.gamma), b.beta);
    const { mean, variance } = tf.moments(x, 0);
    const n = x.shape[0];
    // PyTorch: running = (1 − m)·running + m·batch, with the unbiased batch variance, once per
    // virtual batch in order (so each update starts from the previous chunk's)
    const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
    const previous = this.pending.get(b) ?? { mean: b.mean, variance: b.variance };
    this.pending.set(b, {
      mean: tf.keep(tf.add(tf.mul(previous.mean, 1 - b.momentum), tf.mul(mean, b.momentum))),
      variance: tf.keep(tf.add(tf.mul(previous.variance, 1 - b.momentum), tf.mul(unbiased, b.momentum))),
    });
    if (previous.mean !== b.mean) tf.dispose([previous.mean, previous.variance]);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, TABNET_BN_EPSILON))), b.gamma), b.beta);
  }

  /**
   * Ghost batch norm: when training, virtual batches (as PyTorch's `chunk` splits them) normalised
   * separately — as one [chunks, rows, channels] computation rather than a loop over chunks, with
   * the running statistics' chain of per-chunk updates in closed form:
   * r_K = (1 − m)^K · r_0 + Σ_j m (1 − m)^(K−1−j) · s_j.
   */
  private ghostBatchNorm(x: tf.Tensor2D, b: BatchNorm, training: boolean): tf.Tensor2D {
    const [n, channels] = x.shape;
    if (!training || n <= this.config.virtualBatchSize) return this.batchNorm(x, b, training);
    const size = ghostBatchSizes(n, this.config.virtualBatchSize)[0];
    const chunks = Math.floor(n / size);
    const rest = n - chunks * size; // the last, shorter virtual batch (PyTorch's order: it comes last)
    if (chunks === 1)
      return tf.concat(
        [
          this.batchNorm(tf.slice(x, [0, 0], [size, channels]), b, true),
          this.batchNorm(tf.slice(x, [size, 0], [rest, channels]), b, true),
        ],
        0,
      );
    const head = tf.reshape(rest ? tf.slice(x, [0, 0], [chunks * size, channels]) : x, [chunks, size, channels]);
    const { mean, variance } = tf.moments(head, 1, true);
    const normalized = tf.reshape(
      tf.add(tf.mul(tf.div(tf.sub(head, mean), tf.sqrt(tf.add(variance, TABNET_BN_EPSILON))), b.gamma), b.beta),
      [chunks * size, channels],
    ) as tf.Tensor2D;
    const m = b.momentum;
    const weights = tf.tensor2d(
      Float32Array.from({ length: chunks }, (_, j) => m * (1 - m) ** (chunks - 1 - j)),
      [chunks, 1],
    );
    const decay = (1 - m) ** chunks;
    const chain = (stats: tf.Tensor): tf.Tensor => tf.sum(tf.mul(tf.reshape(stats, [chunks, channels]), weights), 0);
    const previous = this.pending.get(b) ?? { mean: b.mean, variance: b.variance };
    this.pending.set(b, {
      mean: tf.keep(tf.add(tf.mul(previous.mean, decay), chain(mean))),
      variance: tf.keep(
        tf.add(tf.mul(previous.variance, decay), chain(size > 1 ? tf.mul(variance, size / (size - 1)) : variance)),
      ),
    });
    if (previous.mean !== b.mean) tf.dispose([previous.mean, previous.variance]);
    return rest
      ? (tf.concat(
          [normalized, this.batchNorm(tf.slice(x, [chunks * size, 0], [rest, channels]), b, true)],
          0,
        ) as tf.Tensor2D)
      : normalized;
  }

  private gluLayer(x: tf.Tensor2D, g: GluLayer, training: boolean): tf.Tensor2D {
    const width = this.config.nD + this.config.nA;
    const h = this.ghostBatchNorm(tf.matMul(x, g.weight as tf.Tensor2D), g.bn, training);
    const [value, gate] = tf.split(h, [width, width], 1);
    return tf.mul(value, tf.sigmoid(gate)) as tf.Tensor2D;
  }

  private featureTransformer(x: tf.Tensor2D, transformer: FeatureTransformer, training: boolean): tf.Tensor2D {
    let h = x;
    let first = true;
    for (const g of [...transformer.shared, ...transformer.independent]) {
      h = first
        ? this.gluLayer(h, g, training)
        : (tf.mul(tf.add(h, this.gluLayer(h, g, training)), Math.SQRT1_2) as tf.Tensor2D);
      first = false;
    }
    return h;
  }

  /** The forward pass on standardised features [rows, features]. */
  forward(x: tf.Tensor2D, training: boolean): TabNetOutput {
    const c = this.config;
    const { initialBn, transformers, attention, finalWeight } = this.layers;
    const bx = this.batchNorm(x, initialBn, training);
    let prior: tf.Tensor2D = tf.onesLike(bx);
    let att = tf.slice(this.featureTransformer(bx, transformers[0], training), [0, c.nD], [-1, c.nA]) as tf.Tensor2D;
    let decision: tf.Tensor2D | null = null;
    let entropy: tf.Scalar = tf.scalar(0);
    const masks: tf.Tensor2D[] = [];
    const stepWeights: tf.Tensor2D[] = [];
    for (let step = 0; step < c.nSteps; step++) {
      const a = attention[step];
      const logits = tf.mul(
        this.ghostBatchNorm(tf.matMul(att, a.weight as tf.Tensor2D), a.bn, training),
        prior,
      ) as tf.Tensor2D;
      const mask = sparsemax(logits) as tf.Tensor2D;
      masks.push(mask);
      entropy = tf.add(entropy, tf.mean(tf.sum(tf.mul(tf.neg(mask), tf.log(tf.add(mask, c.epsilon))), 1))) as tf.Scalar;
      prior = tf.mul(prior, tf.sub(c.gamma, mask)) as tf.Tensor2D;
      const out = this.featureTransformer(tf.mul(mask, bx) as tf.Tensor2D, transformers[step + 1], training);
      const d = tf.relu(tf.slice(out, [0, 0], [-1, c.nD])) as tf.Tensor2D;
      stepWeights.push(tf.sum(d, 1, true) as tf.Tensor2D);
      decision = decision ? (tf.add(decision, d) as tf.Tensor2D) : d;
      att = tf.slice(out, [0, c.nD], [-1, c.nA]) as tf.Tensor2D;
    }
    return {
      logits: tf.matMul(decision!, finalWeight as tf.Tensor2D),
      masks,
      entropy: tf.div(entropy, c.nSteps) as tf.Scalar,
      stepWeights,
    };
  }

  /** Applies the running-statistic updates of the last training forward pass (call after the step). */
  commitStatistics(): void {
    for (const [b, { mean, variance }] of this.pending) {
      b.mean.assign(mean);
      b.variance.assign(variance);
      tf.dispose([mean, variance]);
    }
    this.pending.clear();
  }

  /** Drops pending updates (e.g. after a forward pass that was not a training step). */
  discardStatistics(): void {
    for (const { mean, variance } of this.pending.values()) tf.dispose([mean, variance]);
    this.pending.clear();
  }

  /** Class probabilities for standardised features (inference mode), row-major [rows, classes]. */
  predictProba(features: Float32Array, batch = 4096): Float32Array {
    const d = this.config.features;
    const rows = features.length / d;
    const out = new Float32Array(rows * this.config.classes);
    for (let r = 0; r < rows; r += batch) {
      const n = Math.min(batch, rows - r);
      const p = tf.tidy(
        () =>
          tf
            .softmax(this.forward(tf.tensor2d(features.subarray(r * d, (r + n) * d), [n, d]), false).logits)
            .dataSync() as Float32Array,
      );
      out.set(p, r * this.config.classes);
    }
    return out;
  }

  /**
   * Feature attributions, as pytorch-tabnet's `explain`: per-step masks, per-sample importance
   * Σ_steps M · (Σ of that step's decision output), normalised per row, and global importances
   * (the per-sample importances summed over rows, normalised to 1).
   */
  explain(features: Float32Array): TabNetExplanation {
    const d = this.config.features;
    const rows = features.length / d;
    return tf.tidy(() => {
      const { masks, stepWeights } = this.forward(tf.tensor2d(features, [rows, d]), false);
      let aggregated = tf.zeros([rows, d]) as tf.Tensor2D;
      masks.forEach((m, i) => {
        aggregated = tf.add(aggregated, tf.mul(m, stepWeights[i])) as tf.Tensor2D;
      });
      const global = tf.sum(aggregated, 0);
      const globalNorm = tf.div(global, tf.maximum(tf.sum(global), 1e-12));
      const rowSums = tf.sum(aggregated, 1, true);
      const perSample = tf.where(
        tf.greater(rowSums, 0),
        tf.div(aggregated, tf.maximum(rowSums, 1e-12)),
        tf.zerosLike(aggregated),
      );
      return {
        stepMasks: masks.map((m) => m.dataSync() as Float32Array),
        sampleImportance: perSample.dataSync() as Float32Array,
        global: globalNorm.dataSync() as Float32Array,
      };
    });
  }

  /** Frees every variable. */
  dispose(): void {
    this.discardStatistics();
    tf.dispose(this.allVariables);
  }
}
