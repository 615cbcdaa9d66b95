/**
 * tfjs → ONNX exporter for edgelab's models (MLP, SqueezeNet, SentinelNet CNN+BiLSTM), in
 * TypeScript with the ONNX protobuf schema from npm. Layers are walked in topological order and
 * mapped to standard ONNX operators (opset 13): Dense → MatMul + Add, Conv1D/Conv2D → Conv,
 * pooling → MaxPool / GlobalAveragePool, Bidirectional(LSTM) → one bidirectional `LSTM`.
 * tfjs tensors are channels-last; ONNX convolutions are channels-first, so each tensor carries its
 * layout and Transposes are inserted only where a layer needs the other one. The graph takes and
 * returns exactly what the tfjs model does ([batch, …inputShape] → logits), and the metadata
 * (preprocessing, labels, model config) is written into `metadata_props`.
 */
import "../runtime/tfjs";
import type * as tfl from "@tensorflow/tfjs-layers";
import { GraphBuilder, encodeModel, valueInfo } from "./onnx-builder";
import { preprocessingMetadata, metadataKeys } from "./preprocess";

/** What to write besides the graph. */
export interface ExportOptions {
  /** Model name for `edgelab.model` (e.g. "sentinelnet"). */
  modelName?: string;
  /** Model config for `edgelab.config`. */
  config?: unknown;
  featureNames?: string[];
  /** z-score statistics the model expects applied to raw inputs. */
  mean?: ArrayLike<number>;
  std?: ArrayLike<number>;
  labels?: string[];
  /** Extra metadata entries. */
  metadata?: Record<string, string>;
  /** Graph input / output names (default "input" / "logits"). */
  inputName?: string;
  outputName?: string;
}

/** ONNX opset the exporter targets. */
export const exportOpset = 13;

interface Value {
  name: string;
  /** Shape without the batch dimension, in tfjs (channels-last) order. */
  shape: number[];
  /** True when `name` holds the channels-first transpose of the tfjs tensor. */
  channelsFirst: boolean;
}

type LayerConfig = Record<string, unknown>;
type Weights = { shape: number[]; data: Float32Array }[];

/** Padding [begin…, end…] of a 'same' or 'valid' window along spatial dims, as tfjs computes it. */
function pads(
  inSizes: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
  padding: string,
): { pads: number[]; out: number[] } {
  const begin: number[] = [];
  const end: number[] = [];
  const out: number[] = [];
  inSizes.forEach((n, i) => {
    const k = (kernel[i] - 1) * dilations[i] + 1;
    if (padding === "same") {
      const o = Math.ceil(n / strides[i]);
      const total = Math.max((o - 1) * strides[i] + k - n, 0);
      begin.push(Math.floor(total / 2));
      end.push(total - Math.floor(total / 2));
      out.push(o);
    } else if (padding === "valid") {
      begin.push(0);
      end.push(0);
      out.push(Math.floor((n - k) / strides[i]) + 1);
    } else throw new Error(`padding "${padding}" cannot be exported`);
  });
  return { pads: [...begin, ...end], out };
}

const asList = (v: unknown, n: number): number[] =>
  Array.isArray(v) ? (v as number[]) : Array<number>(n).fill(v as number);

/** Transposes a row-major array of `shape` by `perm`. */
function transpose(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < perm.length; d++) src += idx[d] * strides[perm[d]];
    out[o] = data[src];
    for (let d = perm.length - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * The model around an exported graph: opset, producer, one float input and output with a
 * symbolic batch dimension, and the metadata (preprocessing, model name and config, producer).
 */
export function exportedModel(
  g: GraphBuilder,
  graph: { name: string; input: [string, number[]]; output: [string, number[]] },
  options: ExportOptions,
  producer: string,
): Uint8Array {
  const metadata: Record<string, string> = {
    ...preprocessingMetadata(options),
    ...(options.modelName ? { [metadataKeys.model]: options.modelName } : {}),
    ...(options.config !== undefined ? { [metadataKeys.config]: JSON.stringify(options.config) } : {}),
    [metadataKeys.producer]: producer,
    ...(options.metadata ?? {}),
  };
  return encodeModel({
    irVersion: 7,
    producerName: "edgelab",
    producerVersion: "0.1",
    opsetImport: [{ domain: "", version: exportOpset }],
    graph: {
      name: graph.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(graph.input[0], ["batch", ...graph.input[1]])],
      output: [valueInfo(graph.output[0], ["batch", ...graph.output[1]])],
    },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
}

/** Exports a tfjs LayersModel to ONNX bytes. */
export function exportToOnnx(model: tfl.LayersModel, options: ExportOptions = {}): Uint8Array {
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new Error("export: only single-input, single-output models are supported");
  const g = new GraphBuilder();
  const inputName = options.inputName ?? "input";
  const outputName = options.outputName ?? "logits";
  const inputShape = (model.inputs[0].shape as (number | null)[]).slice(1) as number[];
  const values = new Map<string, Value>();
  const rank = (v: Value): number => v.shape.length;

  const channelsFirst = (v: Value): Value => {
    if (v.channelsFirst || rank(v) < 2) return v;
    const perm = [0, rank(v), ...Array.from({ length: rank(v) - 1 }, (_, i) => i + 1)];
    return { ...v, name: g.node("Transpose", [v.name], { perm }), channelsFirst: true };
  };
  const channelsLast = (v: Value): Value => {
    if (!v.channelsFirst) return v;
    const perm = [0, ...Array.from({ length: rank(v) - 1 }, (_, i) => i + 2), 1];
    return { ...v, name: g.node("Transpose", [v.name], { perm }), channelsFirst: false };
  };
  const activation = (name: string, act: unknown, layer: string): string => {
    const a =
      (typeof act === "string"
        ? act
        : (act as { getClassName?: () => string } | undefined)?.getClassName?.()?.toLowerCase()) ?? "linear";
    switch (a) {
      case "linear":
        return name;
      case "relu":
        return g.node("Relu", [name]);
      case "sigmoid":
        return g.node("Sigmoid", [name]);
      case "tanh":
        return g.node("Tanh", [name]);
      case "softmax":
        return g.node("Softmax", [name], { axis: -1 });
      default:
        throw new Error(`export: activation "${a}" of layer ${layer} is not supported`);
    }
  };

  for (const layer of model.layers) {
    const className = layer.getClassName();
    const config = layer.getConfig() as LayerConfig;
    const inbound = layer.inboundNodes[0]?.inboundLayers.map((l) => l.name) ?? [];
    const ins = inbound.map((n) => values.get(n)).filter((v): v is Value => v !== undefined);
    if (ins.length === 0 && className !== "InputLayer")
      ins.push({ name: inputName, shape: inputShape, channelsFirst: false });
    const weights: Weights = layer.getWeights().map((w) => ({ shape: w.shape, data: w.dataSync() as Float32Array }));
    const x = ins[0];
    let out: Value;
    switch (className) {
      case "InputLayer":
        out = { name: inputName, shape: inputShape, channelsFirst: false };
        break;
      case "Dropout":
      case "StepDropout":
        out = x;
        break;
      case "Flatten": {
        const v = channelsLast(x);
        out = {
          name: g.node("Flatten", [v.name], { axis: 1 }),
          shape: [v.shape.reduce((a, b) => a * b, 1)],
          channelsFirst: false,
        };
        break;
      }
      case "Reshape": {
        const target = config.targetShape as number[];
        const v = channelsLast(x);
        out = {
          name: g.node("Reshape", [v.name, g.int64s("shape", [0, ...target])]),
          shape: target,
          channelsFirst: false,
        };
        break;
      }
      case "Dense": {
        const v = channelsLast(x);
        if (rank(v) !== 1)
          throw new Error(`export: Dense layer ${layer.name} on a rank-${rank(v) + 1} tensor is not supported`);
        const [kernel, bias] = weights;
        let y = g.node("MatMul", [v.name, g.constant(`${layer.name}_kernel`, kernel.shape, kernel.data)]);
        if (bias) y = g.node("Add", [y, g.constant(`${layer.name}_bias`, bias.shape, bias.data)]);
        out = { name: activation(y, config.activation, layer.name), shape: [kernel.shape[1]], channelsFirst: false };
        break;
      }
      case "Conv1D":
      case "Conv2D": {
        const spatial = className === "Conv1D" ? 1 : 2;
        if (config.dataFormat && config.dataFormat !== "channelsLast")
          throw new Error(`export: ${layer.name} uses ${String(config.dataFormat)}`);
        const v = channelsFirst(x);
        const [kernel, bias] = weights;
        const k = kernel.shape.slice(0, spatial);
        const strides = asList(config.strides, spatial);
        const dilations = asList(config.dilationRate, spatial);
        const p = pads(v.shape.slice(0, spatial), k, strides, dilations, String(config.padding));
        // tfjs [k…, in, out] → ONNX [out, in, k…]
        const perm = spatial === 1 ? [2, 1, 0] : [3, 2, 0, 1];
        const w = g.constant(
          `${layer.name}_kernel`,
          perm.map((i) => kernel.shape[i]),
          transpose(kernel.data, kernel.shape, perm),
        );
        const inputs = [v.name, w];
        if (bias) inputs.push(g.constant(`${layer.name}_bias`, bias.shape, bias.data));
        const y = g.node("Conv", inputs, { kernel_shape: k, strides, dilations, pads: p.pads });
        out = {
          name: activation(y, config.activation, layer.name),
          shape: [...p.out, kernel.shape[spatial + 1]],
          channelsFirst: true,
        };
        break;
      }
      case "MaxPooling1D":
      case "MaxPooling2D":
      case "AveragePooling2D": {
        const spatial = className === "MaxPooling1D" ? 1 : 2;
        const v = channelsFirst(x);
        const k = asList(config.poolSize, spatial);
        const strides = asList(config.strides ?? config.poolSize, spatial);
        const p = pads(v.shape.slice(0, spatial), k, strides, Array<number>(spatial).fill(1), String(config.padding));
        const op = className.startsWith("Max") ? "MaxPool" : "AveragePool";
        const attrs: Record<string, number[] | number> = { kernel_shape: k, strides, pads: p.pads };
        if (op === "AveragePool") attrs.count_include_pad = 0;
        out = { name: g.node(op, [v.name], attrs), shape: [...p.out, v.shape[spatial]], channelsFirst: true };
        break;
      }
      case "GlobalAveragePooling2D":
      case "GlobalAveragePooling1D": {
        const v = channelsFirst(x);
        const channels = v.shape[v.shape.length - 1];
        out = {
          name: g.node("Flatten", [g.node("GlobalAveragePool", [v.name])], { axis: 1 }),
          shape: [channels],
          channelsFirst: false,
        };
        break;
      }
      case "Concatenate": {
        const axis = config.axis as number;
        const allFirst = ins.every((v) => v.channelsFirst);
        const parts = allFirst ? ins : ins.map(channelsLast);
        const r = rank(parts[0]);
        const tfAxis = axis < 0 ? r + axis : axis - 1; // without the batch dim
        const onnxAxis = allFirst ? (tfAxis === r - 1 ? 1 : tfAxis + 2) : tfAxis + 1;
        const shape = [...parts[0].shape];
        shape[tfAxis] = parts.reduce((s, v) => s + v.shape[tfAxis], 0);
        out = {
          name: g.node(
            "Concat",
            parts.map((v) => v.name),
            { axis: onnxAxis },
          ),
          shape,
          channelsFirst: allFirst,
        };
        break;
      }
      case "Activation":
        out = { ...x, name: activation(x.name, config.activation, layer.name) };
        break;
      case "Bidirectional": {
        const inner = (config.layer as { className: string; config: LayerConfig }) ?? {};
        // FusedLSTM is tfjs' LSTM with a fused training op: same weights, same maths.
        if (inner.className !== "LSTM" && inner.className !== "FusedLSTM")
          throw new Error(`export: Bidirectional(${inner.className}) is not supported (LSTM only)`);
        const c = inner.config;
        if (config.mergeMode !== "concat")
          throw new Error(
            `export: ${layer.name} merge mode ${String(config.mergeMode)} is not supported (concat only)`,
          );
        if (c.returnSequences)
          throw new Error(`export: ${layer.name} returns sequences; only the final state is supported`);
        if ((c.recurrentActivation ?? "hardSigmoid") !== "sigmoid" || (c.activation ?? "tanh") !== "tanh") {
          throw new Error(
            `export: ${layer.name} uses ${String(c.recurrentActivation)}/${String(c.activation)} gates; ONNX LSTM export needs sigmoid/tanh (rebuild the model with recurrentActivation "sigmoid")`,
          );
        }
        const v = channelsLast(x);
        const units = c.units as number;
        const inputSize = v.shape[1];
        // tfjs gate blocks i, f, c, o → ONNX i, o, f, c
        const order = [0, 3, 1, 2];
        const W = new Float32Array(2 * 4 * units * inputSize);
        const R = new Float32Array(2 * 4 * units * units);
        const B = new Float32Array(2 * 8 * units);
        [0, 1].forEach((dir) => {
          const [kernel, recurrent, bias] = weights.slice(dir * 3, dir * 3 + 3);
          order.forEach((gate, slot) => {
            for (let j = 0; j < units; j++) {
              const row = dir * 4 * units + slot * units + j;
              for (let k = 0; k < inputSize; k++)
                W[row * inputSize + k] = kernel.data[k * 4 * units + gate * units + j];
              for (let k = 0; k < units; k++) R[row * units + k] = recurrent.data[k * 4 * units + gate * units + j];
              B[dir * 8 * units + slot * units + j] = bias ? bias.data[gate * units + j] : 0;
            }
          });
        });
        const seq = g.node("Transpose", [v.name], { perm: [1, 0, 2] });
        const yH = g.fresh("lstm_h");
        g.node(
          "LSTM",
          [
            seq,
            g.constant(`${layer.name}_W`, [2, 4 * units, inputSize], W),
            g.constant(`${layer.name}_R`, [2, 4 * units, units], R),
            g.constant(`${layer.name}_B`, [2, 8 * units], B),
          ],
          { direction: "bidirectional", hidden_size: units },
          [g.fresh("lstm_y"), yH],
        );
        const batchFirst = g.node("Transpose", [yH], { perm: [1, 0, 2] });
        out = {
          name: g.node("Reshape", [batchFirst, g.int64s("shape", [0, 2 * units])]),
          shape: [2 * units],
          channelsFirst: false,
        };
        break;
      }
      default:
        throw new Error(`export: layer ${layer.name} (${className}) is not supported`);
    }
    values.set(layer.name, out);
  }
  const last = channelsLast(values.get(model.outputs[0].sourceLayer.name)!);
  g.node("Identity", [last.name], {}, [outputName]);
  return exportedModel(
    g,
    { name: model.name, input: [inputName, inputShape], output: [outputName, last.shape] },
    options,
    "edgelab exportToOnnx (tfjs)",
  );
}
