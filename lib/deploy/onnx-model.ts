/**
 * ONNX model files as data: decode and validate the protobuf (schema from the `onnx-proto`
 * package), and describe a model — inputs and outputs with shapes and element types, opsets,
 * operator histogram, parameter count, size and `metadata_props`.
 */
import { readFileSync } from "node:fs";
import { onnx } from "onnx-proto";
import { DataFormatError } from "../data/errors";

/** ONNX element types by TensorProto.DataType code. */
export const onnxElementTypes: Record<number, string> = {
  1: "float32",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "float64",
  12: "uint32",
  13: "uint64",
  16: "bfloat16",
};

const floatTypes = new Set([1, 10, 11, 16]);

/** An input or output of the graph. */
export interface OnnxValueInfo {
  name: string;
  /** Element type, e.g. "float32". */
  type: string;
  /** Dimensions: a number, or a symbolic name such as "batch" (dynamic). */
  shape: (number | string)[];
}

/** What {@link inspectOnnx} reports. */
export interface OnnxInfo {
  file: string | null;
  sizeBytes: number;
  irVersion: number;
  producer: string;
  opsets: Record<string, number>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Node count per operator type (domain-qualified when not the default domain). */
  operators: Record<string, number>;
  nodes: number;
  initializers: number;
  /** Total elements of the floating-point initializers (weights; shape constants excluded). */
  parameters: number;
  metadata: Record<string, string>;
}

/** int64 fields arrive as numbers or Long objects. */
export function toNumber(v: number | { toString(): string } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === "number" ? v : Number(v.toString());
}

/** Decodes and validates ONNX bytes; errors name `file` and say what is wrong. */
export function decodeOnnx(bytes: Uint8Array, file = "<bytes>"): onnx.ModelProto {
  if (bytes.byteLength === 0) throw new DataFormatError(file, "empty file, not an ONNX model");
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new DataFormatError(
      file,
      `not a valid ONNX model (protobuf decoding failed: ${(err as Error).message}); the file may be truncated or corrupted`,
    );
  }
  if (!model.graph || (model.graph.node ?? []).length === 0)
    throw new DataFormatError(file, "not a valid ONNX model: it has no graph nodes (truncated or not an ONNX file?)");
  if (toNumber(model.irVersion) <= 0) throw new DataFormatError(file, "not a valid ONNX model: missing ir_version");
  if (model.opsetImport.length === 0) throw new DataFormatError(file, "not a valid ONNX model: no opset_import");
  return model;
}

/** Reads and decodes an ONNX file. */
export function readOnnx(path: string): { model: onnx.ModelProto; bytes: Uint8Array } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DataFormatError(path, `cannot read: ${(err as Error).message}`);
  }
  return { model: decodeOnnx(bytes, path), bytes };
}

function valueInfo(v: onnx.IValueInfoProto): OnnxValueInfo {
  const t = v.type?.tensorType;
  return {
    name: v.name ?? "",
    type: onnxElementTypes[t?.elemType ?? 0] ?? `type ${t?.elemType}`,
    shape: (t?.shape?.dim ?? []).map((d) =>
      d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined ? toNumber(d.dimValue) : "?",
    ),
  };
}

/** The metadata_props of a model as a plain map. */
export function onnxMetadata(model: onnx.IModelProto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) out[p.key] = p.value ?? "";
  return out;
}

/** Describes a decoded model (`sizeBytes` is the serialized size). */
export function describeOnnx(model: onnx.ModelProto, sizeBytes: number, file: string | null = null): OnnxInfo {
  const graph = model.graph!;
  const initializers = graph.initializer ?? [];
  const nodes = graph.node ?? [];
  const initNames = new Set(initializers.map((t) => t.name));
  const operators: Record<string, number> = {};
  for (const n of nodes) {
    const op = n.domain && n.domain !== "ai.onnx" ? `${n.domain}.${n.opType}` : String(n.opType);
    operators[op] = (operators[op] ?? 0) + 1;
  }
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport) opsets[o.domain || "ai.onnx"] = toNumber(o.version);
  return {
    file,
    sizeBytes,
    irVersion: toNumber(model.irVersion),
    producer: `${model.producerName ?? ""} ${model.producerVersion ?? ""}`.trim(),
    opsets,
    inputs: (graph.input ?? []).filter((i) => !initNames.has(i.name)).map(valueInfo),
    outputs: (graph.output ?? []).map(valueInfo),
    operators: Object.fromEntries(Object.entries(operators).sort((a, b) => b[1] - a[1])),
    nodes: nodes.length,
    initializers: initializers.length,
    parameters: initializers
      .filter((t) => floatTypes.has(t.dataType ?? 0))
      .reduce((sum, t) => sum + (t.dims ?? []).reduce((p: number, d) => p * toNumber(d), 1), 0),
    metadata: onnxMetadata(model),
  };
}

/** Reads and describes an ONNX file. */
export function inspectOnnx(path: string): OnnxInfo {
  const { model, bytes } = readOnnx(path);
  return describeOnnx(model, bytes.byteLength, path);
}
