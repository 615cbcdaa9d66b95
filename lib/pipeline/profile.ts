/**
 * Profiles an ONNX model for layer splitting on this device: valid cuts with the activation bytes
 * they carry, and each block between cuts with its FLOPs, parameter bytes and measured time in
 * onnxruntime-node. What the partitioners plan over.
 */
import type { onnx } from "onnx-proto";
import { readOnnx } from "../deploy/onnx-model";
import type { ThreadConfig } from "../runtime/threads";
import { segmentStatics, tensorBytes } from "./costs";
import { declaredTypes, type TensorType } from "./extract";
import { analyzeGraph, blocksBetweenCuts, type GraphAnalysis } from "./graph";
import type { BlockCost } from "./partition";
import { probeTensorTypes, profileNodeTimes, timeRange } from "./probe";

/** A valid cut with what crosses it. */
export interface CutInfo {
  /** Position in the compute order after which the cut lies. */
  position: number;
  /** The ONNX node the cut follows. */
  afterNode: string;
  tensor: string;
  shape: (number | string)[];
  /** Activation bytes at the profile's batch. */
  bytes: number;
  /** False when the tensor is not float32 (the runtime sends float32 activations only). */
  float32: boolean;
  /**
   * True when the cut separates an operator from the activation onnxruntime would fuse into it
   * (Conv → Relu, …): valid, but splitting there costs the fusion, so plans do not use it.
   */
  splitsFusion: boolean;
}

/** Producers onnxruntime fuses a following activation into. */
const fusingProducers = new Set(["Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization", "Add"]);
/** Activations fused into their producer. */
const fusedActivations = new Set([
  "Relu",
  "Clip",
  "LeakyRelu",
  "Sigmoid",
  "HardSigmoid",
  "HardSwish",
  "Tanh",
  "BatchNormalization",
]);

/** A profiled model. */
export interface ModelProfile {
  file: string;
  batch: number;
  /** Compute nodes (constant sub-graph excluded). */
  nodes: number;
  cuts: CutInfo[];
  blocks: (BlockCost & { flops: number })[];
  /** Whole model, one session, median ms at the batch. */
  wholeMs: number;
  analysis: GraphAnalysis;
  types: Map<string, TensorType>;
  model: onnx.IModelProto;
}

/** Profiling options. */
export interface ProfileOptions {
  batch?: number;
  /** Timed runs per block (median); 0 skips timing (computeMs from FLOPs at 1 GFLOP/s). */
  repeats?: number;
  threads?: ThreadConfig;
}

/** Decodes, analyses and (optionally) times a model's blocks. Only float32 cuts are kept as block boundaries. */
export async function profileModel(
  source: string | { model: onnx.IModelProto; file: string },
  options: ProfileOptions = {},
): Promise<ModelProfile> {
  const { model, file } = typeof source === "string" ? { model: readOnnx(source).model, file: source } : source;
  const batch = options.batch ?? 1;
  const repeats = options.repeats ?? 10;
  const analysis = analyzeGraph(model);
  if (analysis.inputs.length !== 1)
    throw new Error(`${file}: layer splitting needs a model with one input (it has ${analysis.inputs.length})`);
  const types = await probeTensorTypes(model, analysis, declaredTypes(model), options.threads);
  const nodes = model.graph!.node ?? [];
  const cuts: CutInfo[] = analysis.cuts.map((c) => {
    const t = types.get(c.tensor);
    const producer = nodes[analysis.order[c.position]];
    const next = nodes[analysis.order[c.position + 1]];
    return {
      splitsFusion: fusingProducers.has(producer.opType ?? "") && fusedActivations.has(next.opType ?? ""),
      position: c.position,
      afterNode: nodes[analysis.order[c.position]].name || nodes[analysis.order[c.position]].opType || "?",
      tensor: c.tensor,
      shape: t?.dims ?? [],
      bytes: t ? tensorBytes(t, batch) : 0,
      float32: t?.elemType === 1,
    };
  });
  // Non-float cuts (shape tensors, indices) and cuts that break a fusion are not stage boundaries.
  const usable: GraphAnalysis = {
    ...analysis,
    cuts: analysis.cuts.filter((_, i) => cuts[i].float32 && !cuts[i].splitsFusion),
  };
  const ranges = blocksBetweenCuts(usable);
  // Block times from onnxruntime's profiler on the whole model: fusions, layout transforms, cache
  // and memory behave as in deployment (blocks timed in isolation, or prefixes, do not).
  const timed = repeats > 0 ? await profileNodeTimes(model, analysis, types, batch, repeats, options.threads) : null;
  // The profiler's own per-node cost inflates its run times (most for many small nodes): the
  // whole-model time comes from an unprofiled session.
  const whole = { first: 0, last: analysis.order.length - 1 };
  const unprofiledMs = timed ? await timeRange(model, analysis, whole, types, batch, repeats, options.threads) : 0;
  const nodeSum = timed ? timed.positionMs.reduce((a, b) => a + b, 0) : 0;
  const blockMs = (first: number, last: number): number => {
    let ms = 0;
    for (let p = first; p <= last; p++) ms += timed!.positionMs[p];
    // Time between kernels (the executor's own) is shared out in proportion.
    return Math.max(1e-3, nodeSum > 0 ? (ms * unprofiledMs) / nodeSum : 0);
  };
  const blocks: (BlockCost & { flops: number })[] = ranges.map((b) => {
    const statics = segmentStatics(model, analysis, b.first, b.last, types, batch);
    return {
      first: b.first,
      last: b.last,
      computeMs: timed ? blockMs(b.first, b.last) : statics.flops / 1e6,
      outBytes: b.outTensor ? tensorBytes(types.get(b.outTensor)!, batch) : 0,
      paramBytes: statics.paramBytes,
      maxActivationBytes: statics.maxActivationBytes,
      layers: statics.layers,
      flops: statics.flops,
    };
  });
  const wholeMs = timed ? unprofiledMs : blocks.reduce((s, b) => s + b.computeMs, 0);
  return { file, batch, nodes: analysis.order.length, cuts, blocks, wholeMs, analysis: usable, types, model };
}
