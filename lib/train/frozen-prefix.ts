/**
 * A finetune's frozen layers run outside the gradient scope. Inside `tf.variableGrads` tfjs keeps
 * every layer's output and every op's saved tensors alive until the backward pass ends, whether or
 * not a gradient will ever reach them; PyTorch records nothing for a frozen backbone. Splitting the
 * model where its first trainable layer begins lets the backbone's activations be freed as soon as
 * the features exist, so a finetune step holds little more than the head's.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/** A model cut where its trainable layers begin. */
export interface FrozenSplit {
  /** Runs the frozen layers on the model's input (call outside the gradient scope). */
  features(x: tf.Tensor, training: boolean): tf.Tensor;
  /** Runs the remaining layers from {@link features}' output to the model's output. */
  head(features: tf.Tensor, training: boolean): tf.Tensor;
  /** Layers in the frozen part. */
  readonly frozenLayers: number;
}

type Node = { inputTensors: tfl.SymbolicTensor[]; outputTensors: tfl.SymbolicTensor[] };
type GraphLayer = tfl.LayersModel["layers"][number] & { inboundNodes: Node[] };

/**
 * Runs `layers` (topologically ordered, each called once) on `feed` and returns the tensor whose
 * symbolic id is `output`. With `release`, a tensor is disposed once its last reader has run (never
 * a fed one): that is only safe outside a gradient scope.
 */
function runLayers(
  layers: GraphLayer[],
  feed: Map<number, tf.Tensor>,
  output: number,
  training: boolean,
  release: boolean,
): tf.Tensor {
  const values = new Map(feed);
  const readers = new Map<number, number>();
  for (const layer of layers)
    for (const t of layer.inboundNodes[0].inputTensors) readers.set(t.id, (readers.get(t.id) ?? 0) + 1);
  for (const layer of layers) {
    const node = layer.inboundNodes[0];
    const inputs = node.inputTensors.map((t) => values.get(t.id) as tf.Tensor);
    const out = layer.apply(inputs.length === 1 ? inputs[0] : inputs, { training }) as tf.Tensor | tf.Tensor[];
    (Array.isArray(out) ? out : [out]).forEach((t, i) => values.set(node.outputTensors[i].id, t));
    if (!release) continue;
    for (const t of node.inputTensors) {
      const left = (readers.get(t.id) ?? 0) - 1;
      readers.set(t.id, left);
      const value = values.get(t.id);
      if (left > 0 || t.id === output || feed.has(t.id) || !value) continue;
      // A layer may hand its input back unchanged (dropout outside training): keep a tensor that
      // another name still needs.
      const stillNeeded = [...values].some(
        ([id, v]) => v === value && id !== t.id && (id === output || feed.has(id) || (readers.get(id) ?? 0) > 0),
      );
      values.delete(t.id);
      if (!stillNeeded) value.dispose();
    }
  }
  return values.get(output) as tf.Tensor;
}

/**
 * Splits `model` before its first layer with trainable weights, or returns null when no layer
 * with (frozen) weights comes before it or the graph does not allow a split: one input and one
 * output, one tensor crossing the cut, and every layer called once in the model.
 */
export function splitFrozenPrefix(model: tfl.LayersModel): FrozenSplit | null {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return null;
  const layers = model.layers as GraphLayer[];
  const first = layers.findIndex((l) => l.trainableWeights.length > 0);
  if (first < 0) return null;
  const before = layers.slice(0, first).filter((l) => l.getClassName() !== "InputLayer");
  if (!before.some((l) => l.weights.length > 0)) return null;
  const after = layers.slice(first);
  if ([...before, ...after].some((l) => l.inboundNodes.length !== 1)) return null;
  const [cut, ...more] = after[0].inboundNodes[0].inputTensors;
  if (!cut || more.length > 0) return null;
  // Every tensor a later layer reads comes from a later layer or is the cut itself.
  const produced = new Set<number>([cut.id]);
  for (const layer of after) {
    const node = layer.inboundNodes[0];
    if (node.inputTensors.some((t) => !produced.has(t.id))) return null;
    for (const t of node.outputTensors) produced.add(t.id);
  }
  const input = model.inputs[0].id;
  const output = model.outputs[0].id;
  if (!produced.has(output)) return null;
  return {
    frozenLayers: before.length,
    features: (x, training) => runLayers(before, new Map([[input, x]]), cut.id, training, true),
    head: (features, training) => runLayers(after, new Map([[cut.id, features]]), output, training, false),
  };
}
