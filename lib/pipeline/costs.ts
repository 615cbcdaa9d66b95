/**
 * Static costs of graph segments from tensor shapes: FLOPs per node (convolutions and matrix
 * products counted as 2·MACs, other ops one per output element), parameter bytes per segment,
 * and activation bytes at each cut. Pure.
 */
import type { onnx } from "onnx-proto";
import type { TensorType } from "./extract";
import type { GraphAnalysis } from "./graph";

/** Bytes per element by TensorProto.DataType. */
export const elementBytes: Record<number, number> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  16: 2,
};

/** Element count of a fully concrete shape (symbolic dimensions count as `batch`). */
export function elementCount(dims: (number | string)[], batch = 1): number {
  return dims.reduce<number>((n, d) => n * (typeof d === "number" ? d : batch), 1);
}

/** Bytes of a tensor at `batch` (symbolic dimensions take the batch size). */
export function tensorBytes(type: TensorType, batch = 1): number {
  return elementCount(type.dims, batch) * (elementBytes[type.elemType] ?? 4);
}

function attrInt(node: onnx.INodeProto, name: string, fallback: number): number {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a?.i !== undefined && a.i !== null ? Number(a.i) : fallback;
}

/** Floating-point operations of one node at `batch`, from its tensors' shapes. */
export function nodeFlops(
  node: onnx.INodeProto,
  types: Map<string, TensorType>,
  shapeOf: (name: string) => number[] | null,
  batch: number,
): number {
  const out = (node.output ?? [])[0];
  const outType = out ? types.get(out) : undefined;
  const outElems = outType ? elementCount(outType.dims, batch) : 0;
  const inputs = node.input ?? [];
  switch (node.opType) {
    case "Conv":
    case "ConvTranspose": {
      const w = shapeOf(inputs[1]);
      if (!w) return outElems;
      const perOutput = w.slice(1).reduce((a, b) => a * b, 1); // (Cin/group)·kh·kw
      return 2 * outElems * perOutput;
    }
    case "Gemm": {
      const a = shapeOf(inputs[0]);
      const k = a ? a[attrInt(node, "transA", 0) ? 0 : 1] : 0;
      return 2 * outElems * k;
    }
    case "MatMul": {
      const a = shapeOf(inputs[0]);
      const k = a ? a[a.length - 1] : 0;
      return 2 * outElems * k;
    }
    default:
      return outElems;
  }
}

/** What a run of positions costs statically. */
export interface SegmentStatics {
  /** Compute nodes in the segment. */
  layers: number;
  flops: number;
  /** Bytes of the initializers the segment reads (each counted once). */
  paramBytes: number;
  /** The largest activation the segment produces at the batch. */
  maxActivationBytes: number;
}

/** Static costs of positions `first..last` at `batch`. */
export function segmentStatics(
  model: onnx.IModelProto,
  analysis: GraphAnalysis,
  first: number,
  last: number,
  types: Map<string, TensorType>,
  batch: number,
): SegmentStatics {
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? "", t]));
  const shapeOf = (name: string): number[] | null => {
    const init = initializers.get(name);
    if (init) return (init.dims ?? []).map(Number);
    const t = types.get(name);
    return t ? t.dims.map((d) => (typeof d === "number" ? d : batch)) : null;
  };
  const seen = new Set<string>();
  let flops = 0;
  let paramBytes = 0;
  let maxActivationBytes = 0;
  for (let p = first; p <= last; p++) {
    const node = nodes[analysis.order[p]];
    flops += nodeFlops(node, types, shapeOf, batch);
    for (const name of node.input ?? []) {
      const init = initializers.get(name);
      if (!init || seen.has(name)) continue;
      seen.add(name);
      const count = (init.dims ?? []).reduce((a: number, d) => a * Number(d), 1);
      paramBytes += count * (elementBytes[init.dataType ?? 1] ?? 4);
    }
    for (const o of analysis.writes[p]) {
      const t = types.get(o);
      if (t) maxActivationBytes = Math.max(maxActivationBytes, tensorBytes(t, batch));
    }
  }
  return { layers: last - first + 1, flops, paramBytes, maxActivationBytes };
}
