/**
 * Graph analysis for layer-split inference: the nodes of any ONNX model in topological order, the
 * constant sub-graph (initializers, `Constant` nodes and what depends only on them), and the
 * **valid cut points** — positions in that order where exactly one non-constant tensor is live, so
 * that a stage boundary carries a single activation. Residual blocks, fire modules, channel splits
 * and squeeze-excitation branches keep two tensors live and are never cut inside.
 *
 * Pure: works on a decoded `onnx-proto` model; no files, no onnxruntime.
 */
import type { onnx } from "onnx-proto";

/** A position after which the graph can be split. */
export interface CutPoint {
  /** Index in {@link GraphAnalysis.order}: the cut lies after this compute node. */
  position: number;
  /** The one activation that crosses the cut. */
  tensor: string;
}

/** What {@link analyzeGraph} finds. */
export interface GraphAnalysis {
  /** Compute nodes (non-constant) in topological order, as indices into `graph.node`. */
  order: number[];
  /** Nodes whose outputs depend only on constants, in topological order (indices into `graph.node`). */
  constantNodes: number[];
  /** Names of constant tensors: initializers and outputs of {@link constantNodes}. */
  constants: Set<string>;
  /** Graph inputs that are not initializers (what a caller feeds). */
  inputs: string[];
  /** Graph outputs. */
  outputs: string[];
  /** Valid cut points in order. */
  cuts: CutPoint[];
  /** Per position in `order`: the non-constant tensors it reads (outer-scope names of sub-graphs included). */
  reads: string[][];
  /** Per position in `order`: the tensors it writes. */
  writes: string[][];
}

/** Every name a node reads, including names its sub-graphs (If/Loop/Scan bodies) take from outside. */
export function nodeReads(node: onnx.INodeProto): string[] {
  const names = (node.input ?? []).filter((n) => n !== "");
  for (const attr of node.attribute ?? []) {
    const graphs = [attr.g, ...(attr.graphs ?? [])].filter((g): g is onnx.IGraphProto => !!g);
    for (const g of graphs) {
      const local = new Set<string>([
        ...(g.input ?? []).map((v) => v.name ?? ""),
        ...(g.initializer ?? []).map((t) => t.name ?? ""),
        ...(g.node ?? []).flatMap((n) => n.output ?? []),
      ]);
      for (const n of g.node ?? []) for (const name of nodeReads(n)) if (!local.has(name)) names.push(name);
    }
  }
  return names;
}

/**
 * Orders the nodes topologically (Kahn's algorithm; ties keep the file's order, which ONNX already
 * requires to be topological). Throws when the graph has a cycle or reads an undefined tensor.
 */
export function topologicalOrder(graph: onnx.IGraphProto): number[] {
  const nodes = graph.node ?? [];
  const available = new Set<string>([
    ...(graph.input ?? []).map((v) => v.name ?? ""),
    ...(graph.initializer ?? []).map((t) => t.name ?? ""),
    ...(graph.sparseInitializer ?? []).map((t) => t.values?.name ?? ""),
  ]);
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => producer.set(o, i)));
  const waiting = nodes.map(() => 0);
  const dependents: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const name of new Set(nodeReads(n))) {
      if (available.has(name)) continue;
      const p = producer.get(name);
      if (p === undefined) throw new Error(`node "${n.name ?? n.opType}" reads "${name}", which nothing defines`);
      waiting[i]++;
      dependents[p].push(i);
    }
  });
  // A min-heap would be asymptotically better; graphs are small and a sorted ready list keeps file order.
  const ready = nodes.map((_, i) => i).filter((i) => waiting[i] === 0);
  const order: number[] = [];
  while (ready.length > 0) {
    const i = ready.shift()!;
    order.push(i);
    for (const d of dependents[i]) {
      if (--waiting[d] === 0) {
        const at = ready.findIndex((r) => r > d);
        ready.splice(at < 0 ? ready.length : at, 0, d);
      }
    }
  }
  if (order.length !== nodes.length)
    throw new Error(`the graph has a cycle (${nodes.length - order.length} nodes unreachable)`);
  return order;
}

/** Ops whose output is never constant even with constant inputs (randomness). */
const nonDeterministic = new Set([
  "RandomNormal",
  "RandomUniform",
  "RandomNormalLike",
  "RandomUniformLike",
  "Multinomial",
]);

/** Analyses a decoded model: order, constants and valid cut points. */
export function analyzeGraph(model: onnx.IModelProto): GraphAnalysis {
  const graph = model.graph;
  if (!graph) throw new Error("the model has no graph");
  const nodes = graph.node ?? [];
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ""));
  const constants = new Set(initializerNames);
  const constantNodes: number[] = [];
  const order: number[] = [];
  for (const i of topologicalOrder(graph)) {
    const n = nodes[i];
    const reads = nodeReads(n);
    const isConstant = !nonDeterministic.has(n.opType ?? "") && reads.every((name) => constants.has(name));
    if (isConstant) {
      constantNodes.push(i);
      for (const o of n.output ?? []) constants.add(o);
    } else order.push(i);
  }
  const inputs = (graph.input ?? []).map((v) => v.name ?? "").filter((n) => !initializerNames.has(n));
  const outputs = (graph.output ?? []).map((v) => v.name ?? "");
  const reads = order.map((i) => nodeReads(nodes[i]).filter((name) => !constants.has(name)));
  const writes = order.map((i) => (nodes[i].output ?? []).filter((o) => o !== ""));
  return {
    order,
    constantNodes,
    constants,
    inputs,
    outputs,
    cuts: findCuts(order.length, inputs, outputs, reads, writes),
    reads,
    writes,
  };
}

/**
 * Valid cuts from liveness: a tensor defined at position d (−1 for graph inputs) and last needed at
 * position u (n for graph outputs) is live across every cut p with d ≤ p < u. A cut is valid when
 * exactly one tensor is live across it.
 */
export function findCuts(
  n: number,
  inputs: string[],
  outputs: string[],
  reads: string[][],
  writes: string[][],
): CutPoint[] {
  const defined = new Map<string, number>(inputs.map((name) => [name, -1]));
  writes.forEach((names, p) => names.forEach((name) => defined.set(name, p)));
  const lastUse = new Map<string, number>();
  reads.forEach((names, p) => names.forEach((name) => lastUse.set(name, Math.max(lastUse.get(name) ?? -1, p))));
  for (const name of outputs) lastUse.set(name, n);
  // Difference array over cut positions 0..n-2: +1 where a tensor becomes live, -1 where it stops.
  const delta = new Int32Array(n + 1);
  const starting = new Map<number, string[]>();
  for (const [name, d] of defined) {
    const u = lastUse.get(name);
    if (u === undefined || u <= d) continue; // never read later: not live across any cut
    const from = Math.max(d, 0);
    delta[from]++;
    delta[u]--;
    starting.set(from, [...(starting.get(from) ?? []), name]);
  }
  const cuts: CutPoint[] = [];
  let live = 0;
  const liveSet = new Set<string>();
  for (let p = 0; p < n - 1; p++) {
    live += delta[p];
    for (const name of starting.get(p) ?? []) liveSet.add(name);
    if (live === 1) {
      for (const name of liveSet) if ((lastUse.get(name) ?? -1) <= p) liveSet.delete(name);
      const [tensor] = liveSet;
      cuts.push({ position: p, tensor });
    }
  }
  return cuts;
}

/**
 * The blocks between consecutive cuts: `[first, last]` positions in the compute order. A stage is
 * always a run of whole blocks. With no cuts the whole graph is one block.
 */
export function blocksBetweenCuts(
  analysis: GraphAnalysis,
): { first: number; last: number; outTensor: string | null }[] {
  const blocks: { first: number; last: number; outTensor: string | null }[] = [];
  let first = 0;
  for (const cut of analysis.cuts) {
    blocks.push({ first, last: cut.position, outTensor: cut.tensor });
    first = cut.position + 1;
  }
  blocks.push({ first, last: analysis.order.length - 1, outTensor: null });
  return blocks;
}
