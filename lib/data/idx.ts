/**
 * IDX files (MNIST, Fashion-MNIST, EMNIST): magic `00 00 <type> <ndim>`, big-endian dimension
 * sizes, then the data. Gzipped files are recognised by their own magic bytes, not the name.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { DataFormatError } from "./errors";

/** A decoded IDX array. Only unsigned-byte data (type 0x08) is used by image datasets. */
export interface IdxArray {
  /** Dimension sizes, e.g. [60000, 28, 28]. */
  shape: number[];
  /** The raw values (type 0x08: unsigned byte). */
  data: Uint8Array;
}

const typeSizes: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

/** True when the bytes start with the gzip magic. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decodes IDX bytes (gunzipping first when needed). `file` names the source in errors. */
export function decodeIdx(raw: Uint8Array, file: string): IdxArray {
  let bytes: Uint8Array = raw;
  if (isGzip(raw)) {
    try {
      bytes = gunzipSync(raw);
    } catch (err) {
      const message = (err as Error).message;
      throw new DataFormatError(file, /unexpected end/i.test(message) ? `truncated at byte ${raw.length}: the gzip stream ends early` : `corrupt gzip stream (${message})`);
    }
  }
  if (bytes.length < 4) throw new DataFormatError(file, `truncated at byte ${bytes.length}: an IDX header needs 4 bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new DataFormatError(file, `bad magic ${magic}: not an IDX file (expected 00 00 <type> <ndim>)`);
  }
  const type = bytes[2];
  const ndim = bytes[3];
  if (!(type in typeSizes)) throw new DataFormatError(file, `unknown IDX data type 0x${type.toString(16)}`);
  if (type !== 0x08) throw new DataFormatError(file, `IDX data type 0x${type.toString(16)} is not supported (only unsigned bytes, 0x08)`);
  if (ndim === 0) throw new DataFormatError(file, "IDX file declares 0 dimensions");
  const headerSize = 4 + 4 * ndim;
  if (bytes.length < headerSize) throw new DataFormatError(file, `truncated at byte ${bytes.length}: the header declares ${ndim} dimensions (${headerSize} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const expected = shape.reduce((a, b) => a * b, 1);
  const available = bytes.length - headerSize;
  if (available < expected) {
    throw new DataFormatError(file, `truncated at byte ${bytes.length}: shape [${shape.join(", ")}] needs ${headerSize + expected} bytes`);
  }
  if (available > expected) throw new DataFormatError(file, `${available - expected} trailing bytes after the data of shape [${shape.join(", ")}]`);
  return { shape, data: bytes.subarray(headerSize, headerSize + expected) };
}

/** Reads an IDX file (gzipped or not). */
export function readIdx(path: string): IdxArray {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    throw new DataFormatError(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return decodeIdx(raw, path);
}

/** Encodes unsigned bytes as IDX (type 0x08), optionally gzipped. */
export function encodeIdx(array: IdxArray, gzip = false): Uint8Array {
  const header = Buffer.alloc(4 + 4 * array.shape.length);
  header[2] = 0x08;
  header[3] = array.shape.length;
  array.shape.forEach((dim, i) => header.writeUInt32BE(dim, 4 + 4 * i));
  const bytes = Buffer.concat([header, Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength)]);
  return gzip ? gzipSync(bytes) : bytes;
}

/** Writes an IDX file. */
export function writeIdx(path: string, array: IdxArray, gzip = false): void {
  writeFileSync(path, encodeIdx(array, gzip));
}
