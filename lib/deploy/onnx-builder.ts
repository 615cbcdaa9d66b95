/**
 * A small builder for ONNX graphs (nodes, initializers, attributes) over the `onnx-proto` schema,
 * shared by the exporter and the quantizer.
 */
import { onnx } from "onnx-proto";

/** TensorProto.DataType codes used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

/** An attribute value: number (int when integral unless `float` is forced), string, or list. */
export type AttrValue =
  number | string | number[] | { float: number } | { floats: number[] } | { ints: number[] } | { strings: string[] };

/** Builds one AttributeProto. */
export function attribute(name: string, value: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === "string") return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === "number")
    return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  if (Array.isArray(value))
    return value.every(Number.isInteger)
      ? { name, type: T.INTS, ints: value }
      : { name, type: T.FLOATS, floats: value };
  if ("float" in value) return { name, type: T.FLOAT, f: value.float };
  if ("floats" in value) return { name, type: T.FLOATS, floats: value.floats };
  if ("ints" in value) return { name, type: T.INTS, ints: value.ints };
  return { name, type: T.STRINGS, strings: value.strings.map((s) => new TextEncoder().encode(s)) };
}

/** A TensorProto holding raw little-endian bytes of a typed array. */
export function tensorProto(
  name: string,
  dims: number[],
  data: Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array,
): onnx.ITensorProto {
  const dataType =
    data instanceof Float32Array
      ? DataType.FLOAT
      : data instanceof Int8Array
        ? DataType.INT8
        : data instanceof Uint8Array
          ? DataType.UINT8
          : data instanceof Int32Array
            ? DataType.INT32
            : DataType.INT64;
  return {
    name,
    dims,
    dataType,
    rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
  };
}

/** Reads a float32 initializer (raw_data or float_data). */
export function floatsOf(t: onnx.ITensorProto): Float32Array {
  if (t.dataType !== DataType.FLOAT) throw new Error(`initializer ${t.name} is not float32`);
  if (t.rawData && t.rawData.length)
    return new Float32Array(t.rawData.buffer.slice(t.rawData.byteOffset, t.rawData.byteOffset + t.rawData.byteLength));
  return Float32Array.from(t.floatData ?? []);
}

/** Graph under construction. */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private counter = 0;

  /** A fresh tensor name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /** Adds a node; returns its (first) output name. */
  node(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    outputs: string[] = [this.fresh(opType.toLowerCase())],
    domain = "",
  ): string {
    this.nodes.push({
      opType,
      input: inputs,
      output: outputs,
      name: this.fresh(`n_${opType}`),
      domain,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outputs[0];
  }

  /** Adds an initializer; returns its name. */
  constant(
    prefix: string,
    dims: number[],
    data: Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array,
  ): string {
    const name = this.fresh(prefix);
    this.initializers.push(tensorProto(name, dims, data));
    return name;
  }

  /** An int64 1-D initializer (shapes, axes). */
  int64s(prefix: string, values: number[]): string {
    return this.constant(prefix, [values.length], BigInt64Array.from(values.map((v) => BigInt(v))));
  }
}

/** A float32 tensor ValueInfo with named or fixed dimensions. */
export function valueInfo(
  name: string,
  shape: (number | string)[],
  elemType: number = DataType.FLOAT,
): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Serialises a model. */
export function encodeModel(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
