/**
 * TabNet (Arik & Pfister, 2019) in tfjs, following pytorch-tabnet 4.1: an initial batch norm; a
 * feature transformer of shared and step-specific GLU blocks (fully connected → ghost batch norm →
 * GLU, residuals scaled by √0.5); per decision step an attentive transformer (FC → ghost BN →
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
  nD: 8, nA: 8, nSteps: 3, gamma: 1.3, nIndependent: 2, nShared: 2, momentum: 0.02, virtualBatchSize: 128, epsilon: 1e-15, seed: 0,
});

interface BatchNorm {
  gamma: tf.Variable;
  beta: tf.Variable;
  mean: tf.Variable;
  variance: tf.Variable;
  momentum: number;
}

interface Glu {
  weight: tf.Variable;
  bn: BatchNorm;
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

const BN_EPS = 1e-5;

export class TabNet {
  readonly config: TabNetConfig;
  private readonly initialBn: BatchNorm;
  private readonly shared: Glu[];
  private readonly specific: Glu[][];
  private readonly attention: { weight: tf.Variable; bn: BatchNorm }[];
  private readonly finalWeight: tf.Variable;
  /** Running-statistic updates produced by the last training forward pass, applied by {@link commitStatistics}. */
  private pending: [tf.Variable, tf.Tensor][] = [];

  constructor(config: Pick<TabNetConfig, "features" | "classes"> & Partial<TabNetConfig>) {
    const c: TabNetConfig = { ...defaultTabNetConfig, ...config };
    if (c.nShared < 1 && c.nIndependent < 1) throw new Error("TabNet needs at least one shared or independent GLU layer");
    this.config = c;
    const rng = new Rng(c.seed === 0 ? 7919 : c.seed);
    const width = c.nD + c.nA;
    const xavier = (rows: number, cols: number, gain: number): tf.Variable => {
      const std = gain * Math.sqrt(2 / (rows + cols));
      return tf.variable(tf.tensor2d(Float32Array.from({ length: rows * cols }, () => rng.normal() * std), [rows, cols]));
    };
    const bn = (n: number, momentum: number): BatchNorm => ({
      gamma: tf.variable(tf.ones([n])), beta: tf.variable(tf.zeros([n])),
      mean: tf.variable(tf.zeros([n]), false), variance: tf.variable(tf.ones([n]), false), momentum,
    });
    // pytorch-tabnet's initialize_glu / initialize_non_glu gains
    const glu = (inDim: number): Glu => ({ weight: xavier(inDim, 2 * width, Math.sqrt((inDim + 2 * width) / Math.sqrt(inDim))), bn: bn(2 * width, c.momentum) });
    this.initialBn = bn(c.features, 0.01);
    this.shared = Array.from({ length: c.nShared }, (_, i) => glu(i === 0 ? c.features : width));
    this.specific = Array.from({ length: c.nSteps + 1 }, () => Array.from({ length: c.nIndependent }, (_, i) => glu(i === 0 && c.nShared === 0 ? c.features : width)));
    this.attention = Array.from({ length: c.nSteps }, () => ({ weight: xavier(c.nA, c.features, Math.sqrt((c.nA + c.features) / Math.sqrt(4 * c.nA))), bn: bn(c.features, c.momentum) }));
    this.finalWeight = xavier(width - c.nA, c.classes, Math.sqrt((c.nD + c.classes) / Math.sqrt(4 * c.nD)));
  }

  /** Trainable variables. */
  get trainableVariables(): tf.Variable[] {
    const out: tf.Variable[] = [this.initialBn.gamma, this.initialBn.beta];
    for (const g of [...this.shared, ...this.specific.flat()]) out.push(g.weight, g.bn.gamma, g.bn.beta);
    for (const a of this.attention) out.push(a.weight, a.bn.gamma, a.bn.beta);
    out.push(this.finalWeight);
    return out;
  }

  /** Every variable, running statistics included (for saving). */
  get allVariables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    const addBn = (b: BatchNorm): void => void out.push(b.gamma, b.beta, b.mean, b.variance);
    addBn(this.initialBn);
    for (const g of [...this.shared, ...this.specific.flat()]) {
      out.push(g.weight);
      addBn(g.bn);
    }
    for (const a of this.attention) {
      out.push(a.weight);
      addBn(a.bn);
    }
    out.push(this.finalWeight);
    return out;
  }

  /** Parameter count (trainable). */
  get parameterCount(): number {
    return this.trainableVariables.reduce((s, v) => s + v.size, 0);
  }

  private batchNorm(x: tf.Tensor2D, b: BatchNorm, training: boolean): tf.Tensor2D {
    if (!training) return tf.add(tf.mul(tf.div(tf.sub(x, b.mean), tf.sqrt(tf.add(b.variance, BN_EPS))), b.gamma), b.beta);
    const { mean, variance } = tf.moments(x, 0);
    const n = x.shape[0];
    // PyTorch: running = (1 − m)·running + m·batch, with the unbiased batch variance
    const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
    this.pending.push([b.mean, tf.keep(tf.add(tf.mul(b.mean, 1 - b.momentum), tf.mul(mean, b.momentum)))]);
    this.pending.push([b.variance, tf.keep(tf.add(tf.mul(b.variance, 1 - b.momentum), tf.mul(unbiased, b.momentum)))]);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, BN_EPS))), b.gamma), b.beta);
  }

  /** Ghost batch norm: virtual batches of `virtualBatchSize` rows normalised separately when training. */
  private ghostBatchNorm(x: tf.Tensor2D, b: BatchNorm, training: boolean): tf.Tensor2D {
    const vbs = this.config.virtualBatchSize;
    const n = x.shape[0];
    if (!training || n <= vbs) return this.batchNorm(x, b, training);
    const sizes: number[] = [];
    for (let i = 0; i < n; i += vbs) sizes.push(Math.min(vbs, n - i));
    return tf.concat(tf.split(x, sizes, 0).map((chunk) => this.batchNorm(chunk as tf.Tensor2D, b, training)), 0);
  }

  private gluLayer(x: tf.Tensor2D, g: Glu, training: boolean): tf.Tensor2D {
    const width = this.config.nD + this.config.nA;
    const h = this.ghostBatchNorm(tf.matMul(x, g.weight as tf.Tensor2D), g.bn, training);
    const [value, gate] = tf.split(h, [width, width], 1);
    return tf.mul(value, tf.sigmoid(gate)) as tf.Tensor2D;
  }

  private featureTransformer(x: tf.Tensor2D, step: number, training: boolean): tf.Tensor2D {
    const scale = Math.SQRT1_2;
    let h = x;
    let first = true;
    for (const g of [...this.shared, ...this.specific[step]]) {
      h = first ? this.gluLayer(h, g, training) : (tf.mul(tf.add(h, this.gluLayer(h, g, training)), scale) as tf.Tensor2D);
      first = false;
    }
    return h;
  }

  /** The forward pass on standardised features [rows, features]. */
  forward(x: tf.Tensor2D, training: boolean): TabNetOutput {
    const c = this.config;
    const bx = this.batchNorm(x, this.initialBn, training);
    let prior: tf.Tensor2D = tf.onesLike(bx);
    let att = tf.slice(this.featureTransformer(bx, 0, training), [0, c.nD], [-1, c.nA]) as tf.Tensor2D;
    let decision: tf.Tensor2D | null = null;
    let entropy: tf.Scalar = tf.scalar(0);
    const masks: tf.Tensor2D[] = [];
    const stepWeights: tf.Tensor2D[] = [];
    for (let step = 0; step < c.nSteps; step++) {
      const a = this.attention[step];
      const logits = tf.mul(this.ghostBatchNorm(tf.matMul(att, a.weight as tf.Tensor2D), a.bn, training), prior) as tf.Tensor2D;
      const mask = sparsemax(logits) as tf.Tensor2D;
      masks.push(mask);
      entropy = tf.add(entropy, tf.mean(tf.sum(tf.mul(tf.neg(mask), tf.log(tf.add(mask, c.epsilon))), 1))) as tf.Scalar;
      prior = tf.mul(prior, tf.sub(c.gamma, mask)) as tf.Tensor2D;
      const out = this.featureTransformer(tf.mul(mask, bx) as tf.Tensor2D, step + 1, training);
      const d = tf.relu(tf.slice(out, [0, 0], [-1, c.nD])) as tf.Tensor2D;
      stepWeights.push(tf.sum(d, 1, true) as tf.Tensor2D);
      decision = decision ? (tf.add(decision, d) as tf.Tensor2D) : d;
      att = tf.slice(out, [0, c.nD], [-1, c.nA]) as tf.Tensor2D;
    }
    return { logits: tf.matMul(decision!, this.finalWeight as tf.Tensor2D), masks, entropy: tf.div(entropy, c.nSteps) as tf.Scalar, stepWeights };
  }

  /** Applies the running-statistic updates of the last training forward pass (call after the step). */
  commitStatistics(): void {
    for (const [variable, value] of this.pending) {
      variable.assign(value);
      value.dispose();
    }
    this.pending = [];
  }

  /** Drops pending updates (e.g. after a forward pass that was not a training step). */
  discardStatistics(): void {
    for (const [, value] of this.pending) value.dispose();
    this.pending = [];
  }

  /** Class probabilities for standardised features (inference mode), row-major [rows, classes]. */
  predictProba(features: Float32Array, batch = 4096): Float32Array {
    const d = this.config.features;
    const rows = features.length / d;
    const out = new Float32Array(rows * this.config.classes);
    for (let r = 0; r < rows; r += batch) {
      const n = Math.min(batch, rows - r);
      const p = tf.tidy(() => tf.softmax(this.forward(tf.tensor2d(features.subarray(r * d, (r + n) * d), [n, d]), false).logits).dataSync() as Float32Array);
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
      const perSample = tf.where(tf.greater(rowSums, 0), tf.div(aggregated, tf.maximum(rowSums, 1e-12)), tf.zerosLike(aggregated));
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
