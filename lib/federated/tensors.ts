/**
 * Model parameters as Flower sends them: a list of `.npy` byte strings (`tensor_type`
 * "numpy.ndarray"), one per weight tensor in the model's order. Here they become one flat float32
 * buffer plus the shapes, which is what the strategies aggregate; anything that does not match
 * the expected layout is refused with a message saying what differs. Pure.
 */
import { encodeNpy, parseNpy } from "../deploy/npy";

/** Flower's tensor type for `.npy` bytes. */
export const numpyTensorType = "numpy.ndarray";

/** Parameters as a flat float32 buffer and the tensors' shapes (row-major, in order). */
export interface FlatParameters {
  flat: Float32Array;
  shapes: number[][];
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The flat parameters as float32 arrays of their shapes (views into `flat`, no copy). */
export function splitTensors({
  flat,
  shapes,
}: FlatParameters): { dtype: "float32"; shape: number[]; data: Float32Array }[] {
  let at = 0;
  const arrays = shapes.map((shape) => {
    const n = sizeOf(shape);
    const data = flat.subarray(at, at + n);
    at += n;
    return { dtype: "float32" as const, shape: [...shape], data };
  });
  if (at !== flat.length) throw new Error(`shapes hold ${at} values, the buffer ${flat.length}`);
  return arrays;
}

/** The `.npy` tensors of flat parameters. */
export function toWire(parameters: FlatParameters): { tensors: Uint8Array[]; tensorType: string } {
  return { tensors: splitTensors(parameters).map((a) => encodeNpy(a)), tensorType: numpyTensorType };
}

/**
 * Flat parameters from `.npy` tensors. float32 and float64 are accepted (NumPy clients often send
 * float64; values are rounded to float32). With `expected` shapes, the count and every shape must
 * match. Throws an Error whose message says what is wrong (the caller names the sender).
 */
export function fromWire(
  parameters: { tensors: readonly Uint8Array[]; tensorType: string },
  expected?: readonly (readonly number[])[],
): FlatParameters {
  if (parameters.tensorType !== numpyTensorType && parameters.tensorType !== "")
    throw new Error(`tensor_type "${parameters.tensorType}" (want "${numpyTensorType}")`);
  if (expected && parameters.tensors.length !== expected.length)
    throw new Error(`${parameters.tensors.length} tensors, the model has ${expected.length}`);
  const arrays = parameters.tensors.map((bytes, i) => {
    const array = parseNpy(bytes, `tensor ${i}`);
    if (array.dtype !== "float32" && array.dtype !== "float64")
      throw new Error(`tensor ${i} has dtype ${array.dtype} (want float32 or float64)`);
    const want = expected?.[i];
    if (want && (want.length !== array.shape.length || want.some((d, k) => d !== array.shape[k])))
      throw new Error(`tensor ${i} has shape [${array.shape.join(", ")}], the model's is [${want.join(", ")}]`);
    return array;
  });
  const flat = new Float32Array(arrays.reduce((n, a) => n + a.data.length, 0));
  let at = 0;
  for (const a of arrays) {
    flat.set(a.data as Float32Array | Float64Array, at);
    at += a.data.length;
  }
  for (let i = 0; i < flat.length; i++)
    if (!Number.isFinite(flat[i])) throw new Error(`value ${i} is ${flat[i]} (parameters must be finite)`);
  return { flat, shapes: arrays.map((a) => a.shape) };
}

/** Bytes on the wire for parameters of this layout (the tensors' `.npy` sizes). */
export function wireBytes(parameters: { tensors: readonly Uint8Array[] }): number {
  return parameters.tensors.reduce((n, t) => n + t.byteLength, 0);
}
