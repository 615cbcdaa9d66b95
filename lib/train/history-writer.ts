/** history.csv as a training callback: rewritten atomically after every epoch, so it is never half-written. */
import { join } from "node:path";
import { writeCsv } from "../report/table";
import type { TrainingCallback } from "./config";

/** Writes every epoch's log so far to `outDir/history.csv`. */
export function historyCsv(outDir: string): TrainingCallback {
  return {
    onEpochEnd(_log, state) {
      writeCsv(join(outDir, "history.csv"), state.history);
    },
  };
}
