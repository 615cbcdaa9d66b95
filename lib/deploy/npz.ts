/**
 * NumPy `.npz` archives: a ZIP file holding one `.npy` per array, as `np.savez` writes them
 * (`arr_0.npy`, `arr_1.npy`, … for positional arrays). Written uncompressed (ZIP "stored");
 * read stored or deflated (`np.savez_compressed`). Archive structure errors name the file.
 */
import { inflateRawSync } from "node:zlib";
import { DataFormatError } from "../data/errors";
import { readInputFile } from "../data/read-file";
import { writeFileAtomic } from "../report/atomic";
import { encodeNpy, parseNpy, type NpyArray } from "./npy";

const crcTable = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Encodes named arrays as `.npz` bytes (entries in the given order, `.npy` appended to each name). */
export function encodeNpz(arrays: ReadonlyArray<readonly [string, NpyArray]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, array] of arrays) {
    const fileName = Buffer.from(`${name}.npy`, "utf8");
    const data = encodeNpy(array);
    if (data.length >= 0xffffffff || offset >= 0xffffffff)
      throw new Error("an .npz larger than 4 GiB needs ZIP64, which edgelab does not write");
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, data);
    centrals.push(central, fileName);
    offset += local.length + fileName.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(arrays.length, 8);
  end.writeUInt16LE(arrays.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Writes arrays as `np.savez(path, *arrays)` would (`arr_0`, `arr_1`, …), atomically. */
export function writeNpz(path: string, arrays: readonly NpyArray[]): void {
  writeFileAtomic(path, encodeNpz(arrays.map((a, i) => [`arr_${i}`, a] as const)));
}

/** Parses `.npz` bytes into its arrays by name (without `.npy`), in archive order. */
export function parseNpz(bytes: Uint8Array, file = "<bytes>"): Map<string, NpyArray> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new DataFormatError(file, "not an .npz (no ZIP end-of-directory record)");
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const out = new Map<string, NpyArray>();
  for (let k = 0; k < count; k++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== 0x02014b50)
      throw new DataFormatError(file, `ZIP directory entry ${k} is damaged`);
    const method = buf.readUInt16LE(at + 10);
    const compressed = buf.readUInt32LE(at + 20);
    const uncompressed = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    at += 46 + nameLength + extraLength + commentLength;
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50)
      throw new DataFormatError(file, `entry ${name} is damaged`);
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (dataStart + compressed > buf.length) throw new DataFormatError(file, `entry ${name} is truncated`);
    const raw = buf.subarray(dataStart, dataStart + compressed);
    if (method !== 0 && method !== 8)
      throw new DataFormatError(file, `entry ${name} uses ZIP method ${method} (only stored and deflate are read)`);
    // The declared size bounds what inflating may produce: a small bomb cannot claim the memory.
    let data: Buffer;
    try {
      data = method === 0 ? raw : inflateRawSync(raw, { maxOutputLength: Math.max(1, uncompressed) });
    } catch (err) {
      throw new DataFormatError(
        file,
        `entry ${name} does not inflate to its declared ${uncompressed} bytes (${(err as Error).message})`,
      );
    }
    out.set(name.replace(/\.npy$/, ""), parseNpy(data, `${file}:${name}`));
  }
  return out;
}

/** Reads a `.npz` file. */
export function readNpz(path: string): Map<string, NpyArray> {
  return parseNpz(readInputFile(path), path);
}
