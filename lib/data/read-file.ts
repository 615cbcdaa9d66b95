/**
 * Reading a whole input file without trusting it: only regular files (not `/dev/zero`, a FIFO or
 * a folder), and only up to the input ceiling ({@link maxInputBytes}), checked before allocating.
 */
import { readFileSync, statSync } from "node:fs";
import { formatBytes, maxInputBytes } from "../runtime/limits";
import { DataFormatError } from "./errors";

/** The bytes of `path`, or a {@link DataFormatError} naming it. */
export function readInputFile(path: string, limit = maxInputBytes()): Buffer {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new DataFormatError(path, `not a regular file (${stat.isDirectory() ? "a folder" : "a device, FIFO or socket"}): edgelab reads data from files`);
    size = stat.size;
  } catch (err) {
    if (err instanceof DataFormatError) throw err;
    throw new DataFormatError(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (size > limit) throw new DataFormatError(path, `${formatBytes(size)} is more than the input limit of ${formatBytes(limit)} (set EDGELAB_MAX_INPUT_MB to raise it)`);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new DataFormatError(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
