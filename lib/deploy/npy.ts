/**
 * NumPy `.npy` arrays (format versions 1.0–3.0), for interop with NumPy/Colab users: read into a
 * typed array with its shape, write float32/float64/int32/int64/uint8/int8/bool arrays.
 * Only little-endian, C-order arrays are read; big-endian and Fortran-order arrays are rejected
 * with a message naming the file (never misread).
 */
import { DataFormatError, quoteForMessage } from "../data/errors";
import { readInputFile } from "../data/read-file";
import { writeFileAtomic } from "../report/atomic";

/** Element types edgelab reads and writes. */
export type NpyDtype = "float32" | "float64" | "int32" | "int64" | "uint8" | "int8" | "bool";

/** A typed array of one of the {@link NpyDtype}s. */
export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

/** An n-dimensional array. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

const descrToDtype: Record<string, NpyDtype> = {
  "<f4": "float32",
  "<f8": "float64",
  "<i4": "int32",
  "<i8": "int64",
  "|u1": "uint8",
  "|i1": "int8",
  "|b1": "bool",
};
const dtypeToDescr: Record<NpyDtype, string> = {
  float32: "<f4",
  float64: "<f8",
  int32: "<i4",
  int64: "<i8",
  uint8: "|u1",
  int8: "|i1",
  bool: "|b1",
};
const itemSize: Record<NpyDtype, number> = { float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1, int8: 1, bool: 1 };
const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** Parses `.npy` bytes; `file` names the source in errors. */
export function parseNpy(bytes: Uint8Array, file = "<bytes>"): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC))
    throw new DataFormatError(file, "not a NumPy .npy file (bad magic bytes)");
  const major = buf[6];
  if (major < 1 || major > 3) throw new DataFormatError(file, `unsupported .npy format version ${major}.${buf[7]}`);
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (buf.length < start + headerLen)
    throw new DataFormatError(file, `truncated header (needs ${start + headerLen} bytes, file has ${buf.length})`);
  const header = buf.subarray(start, start + headerLen).toString(major === 3 ? "utf8" : "latin1");
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw new DataFormatError(file, `malformed .npy header: ${quoteForMessage(header.trim(), 120)}`);
  if (fortran === "True")
    throw new DataFormatError(file, "Fortran-order array is not supported: save it with np.ascontiguousarray(a) first");
  if (descr.startsWith(">"))
    throw new DataFormatError(
      file,
      `big-endian dtype ${quoteForMessage(descr)} is not supported: convert with a.astype(a.dtype.newbyteorder('<'))`,
    );
  const dtype = descrToDtype[descr.replace(/^=/, "<")];
  if (!dtype)
    throw new DataFormatError(
      file,
      `unsupported dtype ${quoteForMessage(descr)} (supported: ${Object.keys(descrToDtype).join(", ")})`,
    );
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new DataFormatError(file, `malformed shape (${quoteForMessage(shapeText)})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  const needed = count * itemSize[dtype];
  if (buf.length - dataStart < needed)
    throw new DataFormatError(
      file,
      `truncated data: shape (${shape.join(", ")}) ${dtype} needs ${needed} bytes, file has ${buf.length - dataStart}`,
    );
  const raw = new Uint8Array(needed);
  raw.set(buf.subarray(dataStart, dataStart + needed));
  const ab = raw.buffer;
  const data: NpyData =
    dtype === "float32"
      ? new Float32Array(ab)
      : dtype === "float64"
        ? new Float64Array(ab)
        : dtype === "int32"
          ? new Int32Array(ab)
          : dtype === "int64"
            ? new BigInt64Array(ab)
            : dtype === "int8"
              ? new Int8Array(ab)
              : new Uint8Array(ab);
  return { dtype, shape, data };
}

/** Reads a `.npy` file. */
export function readNpy(path: string): NpyArray {
  return parseNpy(readInputFile(path), path);
}

/** Encodes an array as `.npy` (version 1.0, C order, little-endian). */
export function encodeNpy(array: NpyArray): Buffer {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (count !== array.data.length)
    throw new Error(`shape (${array.shape.join(", ")}) has ${count} elements, data has ${array.data.length}`);
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(", ")})`;
  let header = `{'descr': '${dtypeToDescr[array.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += " ".repeat(pad % 64) + "\n";
  const prefix = Buffer.alloc(10);
  MAGIC.copy(prefix);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([
    prefix,
    Buffer.from(header, "latin1"),
    Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength),
  ]);
}

/** Writes a `.npy` file atomically (a failure leaves any earlier file intact). */
export function writeNpy(path: string, array: NpyArray): void {
  writeFileAtomic(path, encodeNpy(array));
}

/**
 * The array as float32 model input: float32 as is, float64 converted (exact for every value a
 * float32 model can take); other dtypes are refused naming `file`.
 */
export function npyAsFloat32(array: NpyArray, file: string): Float32Array {
  if (array.dtype === "float32") return array.data as Float32Array;
  if (array.dtype === "float64") return Float32Array.from(array.data as Float64Array);
  throw new DataFormatError(file, `dtype ${array.dtype} cannot feed a float32 model input (save it as float32)`);
}
