/**
 * Memory ceilings for reading input files, decided once per process: whatever a file claims
 * (a header's dimensions, a gzip stream, a pickle's memo), a loader never allocates more than
 * this. Default: half the machine's memory, at most 8 GiB (a Pi 4 with 4 GB gets 2 GiB);
 * `EDGELAB_MAX_INPUT_MB` overrides it.
 */
import { totalmem } from "node:os";

let cached: number | null = null;

/** The largest input (decoded bytes) a loader may hold. */
export function maxInputBytes(): number {
  if (cached === null) {
    const env = Number(process.env.EDGELAB_MAX_INPUT_MB);
    cached =
      Number.isFinite(env) && env > 0
        ? Math.floor(env * 1024 * 1024)
        : Math.min(Math.floor(totalmem() / 2), 8 * 2 ** 30);
  }
  return cached;
}

/** "1.5 GiB" / "300 MiB" for messages. */
export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}
