/**
 * Stage extraction: a standalone, valid ONNX model for a run of compute positions — its nodes,
 * the constant nodes and initializers they need (duplicated where two stages share a constant),
 * inputs and outputs named by the cut tensors, with their types and shapes filled in.
 *
 * Pure: decoded model in, `IModelProto` out.
 */
import type { onnx } from "onnx-proto";
import type { GraphAnalysis } from "./graph";
import { nodeReads } from "./graph";

/** A tensor's element type (TensorProto.DataType) and dimensions (numbers, or a symbolic name). */
export interface TensorType {
  elemType: number;
  dims: (number | string)[];
}

/** A run of positions in the compute order, inclusive. */
export interface PositionRange {
  first: number;
  last: number;
}

/** The tensors a range reads from outside and the tensors it must hand on. */
export function stageBoundary(analysis: GraphAnalysis, range: PositionRange): { inputs: string[]; outputs: string[] } {
  const defined = new Set<string>();
  const inputs: string[] = [];
  for (let p = range.first; p <= range.last; p++) {
    for (const name of analysis.reads[p]) if (!defined.has(name) && !inputs.includes(name)) inputs.push(name);
    for (const name of analysis.writes[p]) defined.add(name);
  }
  const neededLater = new Set<string>(analysis.outputs);
  for (let p = range.last + 1; p < analysis.order.length; p++)
    for (const name of analysis.reads[p]) neededLater.add(name);
  const outputs = [...defined].filter((name) => neededLater.has(name));
  // Graph outputs keep the model's order.
  outputs.sort((a, b) => analysis.outputs.indexOf(a) - analysis.outputs.indexOf(b));
  return { inputs, outputs };
}

function valueInfo(name: string, type: TensorType): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: type.elemType,
        shape: { dim: type.dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Builds the stage model for `range`. `types` gives the type and shape of every boundary tensor
 * (from `probeTensorTypes` (in `probe.ts`) or the model's own value_info).
 */
export function extractStage(
  model: onnx.IModelProto,
  analysis: GraphAnalysis,
  range: PositionRange,
  types: Map<string, TensorType>,
  name = `stage ${range.first}-${range.last}`,
): onnx.IModelProto {
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  const { inputs, outputs } = stageBoundary(analysis, range);
  const computeNodes = analysis.order.slice(range.first, range.last + 1).map((i) => nodes[i]);
  // Constants needed: walk back through constant nodes from what the compute nodes read.
  const constantProducer = new Map<string, number>();
  for (const i of analysis.constantNodes) for (const o of nodes[i].output ?? []) constantProducer.set(o, i);
  const neededConstNodes = new Set<number>();
  const neededNames = new Set<string>();
  const stack = computeNodes.flatMap(nodeReads);
  while (stack.length > 0) {
    const tensor = stack.pop()!;
    if (neededNames.has(tensor)) continue;
    neededNames.add(tensor);
    const p = constantProducer.get(tensor);
    if (p !== undefined && !neededConstNodes.has(p)) {
      neededConstNodes.add(p);
      stack.push(...nodeReads(nodes[p]));
    }
  }
  const constNodes = analysis.constantNodes.filter((i) => neededConstNodes.has(i)).map((i) => nodes[i]);
  const initializers = (graph.initializer ?? []).filter((t) => neededNames.has(t.name ?? ""));
  const typeOf = (tensor: string): TensorType => {
    const t = types.get(tensor);
    if (!t) throw new Error(`no type/shape known for boundary tensor "${tensor}"`);
    return t;
  };
  const internal = new Set([...computeNodes, ...constNodes].flatMap((n) => n.output ?? []));
  return {
    irVersion: model.irVersion,
    producerName: "edgelab pipeline",
    producerVersion: model.producerVersion ?? "",
    opsetImport: model.opsetImport,
    graph: {
      name,
      node: [...constNodes, ...computeNodes],
      initializer: initializers,
      input: inputs.map((t) => valueInfo(t, typeOf(t))),
      output: outputs.map((t) => valueInfo(t, typeOf(t))),
      valueInfo: (graph.valueInfo ?? []).filter((v) => internal.has(v.name ?? "") && !outputs.includes(v.name ?? "")),
    },
  };
}

/** Types of the model's declared inputs, outputs and value_info entries, by name. */
export function declaredTypes(model: onnx.IModelProto): Map<string, TensorType> {
  const types = new Map<string, TensorType>();
  const graph = model.graph!;
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    const t = v.type?.tensorType;
    if (!t?.shape) continue;
    const dims = (t.shape.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0)));
    types.set(v.name ?? "", { elemType: t.elemType ?? 1, dims });
  }
  return types;
}
