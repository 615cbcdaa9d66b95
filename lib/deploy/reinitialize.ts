/**
 * Seeded weights for ONNX models stored without them: every float initializer that is all zeros
 * gets He-normal values (std √(2 / fan-in), fan-in = the product of all dimensions but the first),
 * 1-D ones (biases) stay zero. Used for architecture fixtures whose weights were zeroed so that git
 * stores them in kilobytes (colab/export_vision_onnx.py --weights zero): cut points, shapes, FLOPs
 * and timings do not depend on the values, but outputs should not be all zeros. Pure.
 */
import type { onnx } from "onnx-proto";
import { Rng } from "../random/rng";
import { DataType, floatsOf } from "./onnx-builder";

/** A copy of `model` with its zeroed float weights re-initialised from `seed`; other tensors untouched. */
export function reinitializeWeights(model: onnx.IModelProto, seed = 0): onnx.IModelProto {
  const rng = new Rng(seed);
  const initializer = (model.graph?.initializer ?? []).map((t) => {
    const dims = (t.dims ?? []).map(Number);
    if (t.dataType !== DataType.FLOAT || dims.length < 2) return t;
    const values = floatsOf(t);
    if (values.some((v) => v !== 0)) return t;
    const std = Math.sqrt(
      2 /
        Math.max(
          1,
          dims.slice(1).reduce((a, b) => a * b, 1),
        ),
    );
    const data = new Float32Array(values.length);
    for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    return { ...t, rawData: new Uint8Array(data.buffer), floatData: [] };
  });
  return { ...model, graph: { ...model.graph, initializer } };
}
