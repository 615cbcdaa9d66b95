/**
 * IDX files (MNIST, Fashion-MNIST, EMNIST): magic `00 00 <type> <ndim>`, big-endian dimension
 * sizes, then the data. Gzipped files are recognised by their own magic bytes, not the name.
 */
import { writeFileSync } from "node:fs";
import { constants, gunzipSync, gzipSync } from "node:zlib";
import { formatBytes, maxInputBytes } from "../runtime/limits";
import { DataFormatError } from "./errors";
import { readInputFile } from "./read-file";

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

/** Bytes an IDX header declares (header + data), or null when `bytes` is too short to say. */
function declaredSize(bytes: Uint8Array): number | null {
  if (bytes.length < 4) return null;
  const headerSize = 4 + 4 * bytes[3];
  if (bytes.length < headerSize) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let size = 1;
  for (let i = 0; i < bytes[3]; i++) size *= view.getUint32(4 + 4 * i, false);
  return headerSize + size * (typeSizes[bytes[2]] ?? 1);
}

/**
 * Gunzips an IDX stream without trusting it: the header is inflated from a small prefix first,
 * and the whole stream may then produce only what that header declares (plus one byte, so
 * trailing data is still detected) and never more than the input limit.
 */
function gunzipBounded(raw: Uint8Array, file: string, limit: number): Uint8Array {
  const fail = (err: unknown): never => {
    const message = (err as Error).message;
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || /larger than/i.test(message)) throw new DataFormatError(file, "the gzip stream inflates to more than its IDX header declares");
    throw new DataFormatError(file, /unexpected end/i.test(message) ? `truncated at byte ${raw.length}: the gzip stream ends early` : `corrupt gzip stream (${message})`);
  };
  let head: Uint8Array;
  try {
    head = gunzipSync(raw.subarray(0, Math.min(raw.length, 4096)), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 1 << 22 });
  } catch (err) {
    return fail(err);
  }
  const declared = declaredSize(head);
  if (declared !== null && declared > limit) throw new DataFormatError(file, `the header declares ${formatBytes(declared)} of data, more than the input limit of ${formatBytes(limit)} (set EDGELAB_MAX_INPUT_MB to raise it)`);
  try {
    return gunzipSync(raw, { maxOutputLength: Math.max(1, Math.min(limit, (declared ?? limit - 1) + 1)) });
  } catch (err) {
    return fail(err);
  }
}

/** Decodes IDX bytes (gunzipping first when needed). `file` names the source in errors. */
export function decodeIdx(raw: Uint8Array, file: string, limit = maxInputBytes()): IdxArray {
  const bytes: Uint8Array = isGzip(raw) ? gunzipBounded(raw, file, limit) : raw;
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
  return decodeIdx(readInputFile(path), path);
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
