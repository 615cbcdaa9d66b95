/**
 * TabNet → ONNX (opset 13), the inference graph only: every batch norm folded into its fully
 * connected layer (or into a Mul + Add for the initial one), GLU as Slice · Sigmoid, and sparsemax
 * from standard operators — TopK (sorted values), CumSum, the support test 1 + k·z₍ₖ₎ > Σ z₍ⱼ₎,
 * τ = (Σ support − 1) / |support|, Relu(z − τ) — so onnxruntime runs it with no custom operator.
 * Metadata (preprocessing, labels, config) as the tfjs exporter writes it.
 */
import type * as tf from "@tensorflow/tfjs-core";
import { TABNET_BN_EPSILON, type BatchNorm, type GluLayer, type TabNet } from "../models/tabnet";
import { exportedModel, type ExportOptions } from "./export";
import { GraphBuilder } from "./onnx-builder";

/** Inference-time scale and shift of a batch norm: y = x · scale + shift. */
function foldBatchNorm(b: BatchNorm): { scale: Float32Array; shift: Float32Array } {
  const gamma = b.gamma.dataSync();
  const beta = b.beta.dataSync();
  const mean = b.mean.dataSync();
  const variance = b.variance.dataSync();
  const scale = Float32Array.from(gamma, (g, i) => g / Math.sqrt(variance[i] + TABNET_BN_EPSILON));
  const shift = Float32Array.from(beta, (be, i) => be - mean[i] * scale[i]);
  return { scale, shift };
}

/** Exports a trained TabNet to ONNX bytes: input [batch, features] → logits [batch, classes]. */
export function exportTabNetToOnnx(model: TabNet, options: ExportOptions = {}): Uint8Array {
  const c = model.config;
  const width = c.nD + c.nA;
  const g = new GraphBuilder();
  const inputName = options.inputName ?? "input";
  const outputName = options.outputName ?? "logits";
  const { initialBn, transformers, attention, finalWeight } = model.layers;
  const weightOf = (v: tf.Variable): Float32Array => v.dataSync() as Float32Array;
  const slice = (x: string, start: number, end: number): string =>
    g.node("Slice", [x, g.int64s("starts", [start]), g.int64s("ends", [end]), g.int64s("axes", [1])]);

  /** MatMul by W [in, out] with the batch norm folded in: x·(W·scale) + shift. */
  const linearBn = (x: string, weight: tf.Variable, bn: BatchNorm, label: string): string => {
    const [rows, cols] = weight.shape as [number, number];
    const { scale, shift } = foldBatchNorm(bn);
    const w = weightOf(weight);
    const folded = Float32Array.from(w, (v, i) => v * scale[i % cols]);
    return g.node("Add", [
      g.node("MatMul", [x, g.constant(`${label}_W`, [rows, cols], folded)]),
      g.constant(`${label}_b`, [cols], shift),
    ]);
  };
  const glu = (x: string, layer: GluLayer, label: string): string => {
    const h = linearBn(x, layer.weight, layer.bn, label);
    return g.node("Mul", [slice(h, 0, width), g.node("Sigmoid", [slice(h, width, 2 * width)])]);
  };
  const sqrtHalf = g.constant("sqrt_half", [], Float32Array.of(Math.SQRT1_2));
  const featureTransformer = (x: string, k: number): string => {
    const layers = [...transformers[k].shared, ...transformers[k].independent];
    let h = x;
    layers.forEach((layer, i) => {
      const out = glu(h, layer, `ft${k}_glu${i}`);
      h = i === 0 ? out : g.node("Mul", [g.node("Add", [h, out]), sqrtHalf]);
    });
    return h;
  };
  // sparsemax over the features axis
  const f = c.features;
  const kTop = g.int64s("k", [f]);
  const ranks = g.constant(
    "ranks",
    [f],
    Float32Array.from({ length: f }, (_, i) => i + 1),
  );
  const one = g.constant("one", [], Float32Array.of(1));
  const axis1 = g.int64s("axis", [1]);
  const lastAxis = g.constant("cumsum_axis", [], BigInt64Array.of(1n));
  const sparsemax = (z: string): string => {
    const sorted = g.node("TopK", [z, kTop], { axis: 1, largest: 1, sorted: 1 }, [
      g.fresh("sorted"),
      g.fresh("sorted_idx"),
    ]);
    const cumulative = g.node("CumSum", [sorted, lastAxis]);
    const inSupport = g.node(
      "Cast",
      [g.node("Greater", [g.node("Add", [one, g.node("Mul", [ranks, sorted])]), cumulative])],
      { to: 1 },
    );
    const size = g.node("ReduceSum", [inSupport, axis1], { keepdims: 1 });
    const top = g.node("ReduceSum", [g.node("Mul", [sorted, inSupport]), axis1], { keepdims: 1 });
    const tau = g.node("Div", [g.node("Sub", [top, one]), size]);
    return g.node("Relu", [g.node("Sub", [z, tau])]);
  };

  const { scale, shift } = foldBatchNorm(initialBn);
  const bx = g.node("Add", [
    g.node("Mul", [inputName, g.constant("bn0_scale", [f], scale)]),
    g.constant("bn0_shift", [f], shift),
  ]);
  let att = slice(featureTransformer(bx, 0), c.nD, width);
  let prior: string | null = null;
  let decision: string | null = null;
  const gamma = g.constant("gamma", [], Float32Array.of(c.gamma));
  attention.forEach((a, step) => {
    const logits = linearBn(att, a.weight, a.bn, `att${step}`);
    const mask = sparsemax(prior ? g.node("Mul", [logits, prior]) : logits);
    const relaxed = g.node("Sub", [gamma, mask]);
    prior = prior ? g.node("Mul", [prior, relaxed]) : relaxed;
    const out = featureTransformer(g.node("Mul", [mask, bx]), step + 1);
    const d = g.node("Relu", [slice(out, 0, c.nD)]);
    decision = decision ? g.node("Add", [decision, d]) : d;
    att = slice(out, c.nD, width);
  });
  g.node("MatMul", [decision!, g.constant("final_W", [c.nD, c.classes], weightOf(finalWeight))], {}, [outputName]);
  return exportedModel(
    g,
    { name: "tabnet", input: [inputName, [f]], output: [outputName, [c.classes]] },
    { modelName: "tabnet", config: c, ...options },
    "edgelab exportTabNetToOnnx",
  );
}
