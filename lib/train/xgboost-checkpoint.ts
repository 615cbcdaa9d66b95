/**
 * XGBoost runs checkpoint and resume: the booster so far (UBJSON, as python-xgboost's `save_raw`)
 * and a manifest with its rounds, the booster parameters and a SHA-256 of the model, written
 * atomically every few rounds under the run's `checkpoints/`. Resuming continues boosting from the
 * saved rounds with the same parameters; XGBoost's training continuation gives the same trees.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DataFormatError } from "../data/errors";
import { writeFileAtomic, writeJsonAtomic } from "../report/atomic";

/** What the manifest records. */
export interface XGBoostCheckpoint {
  format: "edgelab-xgboost-checkpoint-1";
  rounds: number;
  /** Booster parameters as passed to libxgboost (nthread left out: it may differ on resume). */
  params: Record<string, string>;
  sha256: string;
}

const manifestName = "xgboost.json";
const modelName = "xgboost.ubj";
const digest = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
const withoutThreads = (params: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(params).filter(([k]) => k !== "nthread"));

/** Writes the model after `rounds` rounds (model first, then the manifest that points at it). */
export function saveXGBoostCheckpoint(
  dir: string,
  model: Uint8Array,
  rounds: number,
  params: Record<string, string>,
): void {
  writeFileAtomic(join(dir, modelName), model);
  writeJsonAtomic(join(dir, manifestName), {
    format: "edgelab-xgboost-checkpoint-1",
    rounds,
    params: withoutThreads(params),
    sha256: digest(model),
  } satisfies XGBoostCheckpoint);
}

/** True when `dir` holds an XGBoost checkpoint. */
export function hasXGBoostCheckpoint(dir: string): boolean {
  return existsSync(join(dir, manifestName));
}

/** Loads the checkpoint under `dir` to continue with `params`; refuses a corrupted model or other parameters. */
export function loadXGBoostCheckpoint(
  dir: string,
  params: Record<string, string>,
): { model: Uint8Array; rounds: number } {
  const manifestFile = join(dir, manifestName);
  if (!existsSync(manifestFile)) throw new DataFormatError(dir, `no XGBoost checkpoint (expected ${manifestName})`);
  let manifest: XGBoostCheckpoint;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as XGBoostCheckpoint;
  } catch (err) {
    throw new DataFormatError(manifestFile, `corrupted checkpoint manifest (${(err as Error).message})`);
  }
  if (manifest.format !== "edgelab-xgboost-checkpoint-1")
    throw new DataFormatError(manifestFile, `not an edgelab XGBoost checkpoint (format ${String(manifest.format)})`);
  const modelFile = join(dir, modelName);
  if (!existsSync(modelFile)) throw new DataFormatError(modelFile, "missing from the checkpoint");
  const model = readFileSync(modelFile);
  if (digest(model) !== manifest.sha256)
    throw new DataFormatError(modelFile, "corrupted checkpoint (SHA-256 does not match xgboost.json)");
  const now = withoutThreads(params);
  const keys = [...new Set([...Object.keys(now), ...Object.keys(manifest.params)])].filter(
    (k) => now[k] !== manifest.params[k],
  );
  if (keys.length > 0)
    throw new Error(
      `${manifestFile}: resuming with different hyperparameters (${keys.map((k) => `${k} ${manifest.params[k]} → ${now[k]}`).join("; ")}); only the number of rounds may change`,
    );
  return { model: new Uint8Array(model), rounds: manifest.rounds };
}
