/**
 * Detects which dataset format a file or folder holds, from its content (magic bytes, header
 * line) first and its name second.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { DataFormatError } from "./errors";
import { findCifarBatches, isCifarBatchName } from "./cifar10";
import { findIdxPair } from "./mnist";

/** Formats `edgelab data inspect` understands. */
export type DataFormat = "idx" | "cifar10" | "cicids2017" | "csv";
/** All formats, for CLI validation. */
export const dataFormats: readonly DataFormat[] = ["idx", "cifar10", "cicids2017", "csv"];

function head(path: string, n: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * A CIFAR-10 binary batch by content, whatever its name: whole 3,073-byte records (a label byte
 * 0–9, then 3,072 pixels), every label among the first records read in range.
 */
function looksLikeCifarBinary(bytes: Buffer, size: number): boolean {
  const record = 3073;
  if (size === 0 || size % record !== 0) return false;
  for (let at = 0; at < bytes.length; at += record) if (bytes[at] > 9) return false;
  return true;
}

/** Detects the format of a file or folder; throws a DataFormatError naming the path when unknown. */
export function detectFormat(path: string): DataFormat {
  if (!existsSync(path)) throw new DataFormatError(path, "no such file or folder");
  if (statSync(path).isDirectory()) {
    if (findIdxPair(path, "train") || findIdxPair(path, "test")) return "idx";
    if (findCifarBatches(path, "train") || findCifarBatches(path, "test")) return "cifar10";
    const names = readdirSync(path);
    if (names.some((n) => n.toLowerCase().endsWith(".csv"))) return "cicids2017";
    if (names.some((n) => isCifarBatchName(n))) return "cifar10";
    throw new DataFormatError(path, "cannot tell the format: no IDX pair, CIFAR-10 batches or CSV files inside");
  }
  const bytes = head(path, 4096);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return "idx"; // gzipped IDX
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0x08) return "idx";
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) return "cifar10"; // a pickle
  if (isCifarBatchName(path)) return "cifar10";
  const size = statSync(path).size;
  if (size % 3073 === 0 && looksLikeCifarBinary(head(path, Math.min(size, 64 * 3073)), size)) return "cifar10";
  const text = bytes.toString("latin1");
  const firstLine = text.split("\n")[0] ?? "";
  if (/Destination Port|Flow Duration/.test(firstLine)) return "cicids2017";
  // any other comma-separated table with a header (needs --label to train): a .csv name, or text
  // whose first two lines have the same number (≥ 2) of comma-separated fields
  const lines = text.split("\n");
  const fields = (l: string | undefined): number => (l ?? "").split(",").length;
  // eslint-disable-next-line no-control-regex -- control bytes are exactly what marks a binary file
  const table = !/[\x00-\x08\x0e-\x1f]/.test(text) && lines.length > 2 && fields(lines[0]) >= 2 && fields(lines[0]) === fields(lines[1]);
  if (path.toLowerCase().endsWith(".csv") || table) return "csv";
  throw new DataFormatError(path, "cannot tell the format from its content (not IDX, a CIFAR-10 batch or a CSV); pass --format");
}

/** Lists the batch files a CIFAR path stands for (a batch file, or a folder of either layout). */
export function cifarFilesAt(path: string): { layout: "binary" | "python"; files: string[] } {
  if (statSync(path).isDirectory()) {
    const train = findCifarBatches(path, "train");
    const test = findCifarBatches(path, "test");
    if (train || test) {
      const layout = (train ?? test)!.layout;
      return { layout, files: [...(train?.layout === layout ? train.files : []), ...(test?.layout === layout ? test.files : [])] };
    }
    const names = readdirSync(path).filter((n) => isCifarBatchName(n)).sort();
    if (names.length === 0) throw new DataFormatError(path, "no CIFAR-10 batch files inside");
    const layout = names[0].endsWith(".bin") ? "binary" : "python";
    return { layout, files: names.filter((n) => n.endsWith(".bin") === (layout === "binary")).map((n) => join(path, n)) };
  }
  const bytes = head(path, 2);
  return { layout: bytes[0] === 0x80 ? "python" : "binary", files: [path] };
}
