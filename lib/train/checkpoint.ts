/**
 * Checkpoints: weights, optimiser state, the run's random state and history, one folder per epoch
 * (`epoch-0003/`), each file written atomically with its SHA-256 recorded, and `latest.json`
 * switched only once the folder is complete. A crash mid-epoch therefore never touches the last
 * good checkpoint, and a corrupted file is detected instead of silently loaded.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../report/atomic";
import { fuse } from "../buffers/fuse";

/** A named tensor, as optimisers report their state. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/**
 * Adam keeps β₁ᵗ and β₂ᵗ as running products (`accBeta1 *= β₁` each step) but its setWeights()
 * recomputes them as pow(β, t + 1), which rounds differently. They are saved and restored exactly,
 * so a resumed run matches an uninterrupted one bit for bit.
 */
const extraFields = ["accBeta1", "accBeta2"] as const;

/** The optimiser's state that getWeights() leaves out. */
export function optimizerExtraState(optimizer: tf.Optimizer): Record<string, number> {
  const o = optimizer as unknown as Record<string, tf.Variable | undefined>;
  return Object.fromEntries(
    extraFields.filter((f) => o[f] instanceof tf.Variable).map((f) => [f, (o[f] as tf.Variable).dataSync()[0]]),
  );
}

/** Restores what {@link optimizerExtraState} saved (after setWeights). */
export function restoreOptimizerExtraState(optimizer: tf.Optimizer, extra: Record<string, number> | undefined): void {
  const o = optimizer as unknown as Record<string, tf.Variable | undefined>;
  for (const [field, value] of Object.entries(extra ?? {})) {
    const v = o[field];
    if (v instanceof tf.Variable) tf.tidy(() => v.assign(tf.scalar(value)));
  }
}

/** A tensor's place in a checkpoint's binary file. */
export interface TensorEntry {
  name: string;
  shape: number[];
}

/** Everything but the tensors. */
export interface CheckpointState {
  /** Format 2 adds {@link stateSha256}; format 1 checkpoints (older edgelab) still load. */
  format: "edgelab-checkpoint-2" | "edgelab-checkpoint-1";
  /** Model name and config: a resume must rebuild the same model. */
  model: { name: string; config: unknown };
  /** Completed epochs. */
  epoch: number;
  /** Completed optimisation steps (dropout masks are keyed on it). */
  step: number;
  /** The random state: epoch orders derive from (seed, epoch), dropout from (layer seed, step). */
  rng: { seed: number; epoch: number; step: number };
  trainConfig: unknown;
  history: unknown[];
  /** Early-stopping bookkeeping. */
  best: { value: number; epoch: number; waited: number } | null;
  weights: TensorEntry[];
  optimizer: TensorEntry[];
  /** Optimiser state outside getWeights() (Adam's running β powers), float32 values. */
  optimizerExtra: Record<string, number>;
  sha256: { "weights.bin": string; "optimizer.bin": string };
  savedAt: string;
  /** SHA-256 of this state without this field (JSON as written): an edited step or epoch is caught. */
  stateSha256?: string;
}

/** A loaded checkpoint. */
export interface LoadedCheckpoint {
  dir: string;
  state: CheckpointState;
  weights: tf.Tensor[];
  optimizer: NamedTensor[];
}

function pack(tensors: { name: string; tensor: tf.Tensor }[]): { bytes: Uint8Array; entries: TensorEntry[] } {
  const all = fuse(tensors.map((t) => t.tensor.dataSync() as Float32Array));
  return { bytes: new Uint8Array(all.buffer), entries: tensors.map((t) => ({ name: t.name, shape: t.tensor.shape })) };
}

function unpack(bytes: Buffer, entries: TensorEntry[], file: string): tf.Tensor[] {
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const need = entries.reduce((s, e) => s + e.shape.reduce((a, b) => a * b, 1), 0);
  if (floats.length !== need) throw new Error(`${file}: holds ${floats.length} floats, the manifest needs ${need}`);
  let at = 0;
  return entries.map((e) => {
    const size = e.shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(floats.subarray(at, at + size), e.shape);
    at += size;
    return t;
  });
}

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** The digest of a state without its own `stateSha256`, over its JSON (key order as written). */
function stateDigest(state: CheckpointState): string {
  const { stateSha256: _omit, ...rest } = state;
  return createHash("sha256").update(JSON.stringify(rest)).digest("hex");
}

/**
 * Saves a checkpoint under `dir/epoch-NNNN/` and points `dir/latest.json` at it; keeps the newest
 * `keep` epoch folders.
 */
export async function saveCheckpoint(
  dir: string,
  weights: { name: string; tensor: tf.Tensor }[],
  optimizer: tf.Optimizer,
  state: Omit<
    CheckpointState,
    "format" | "weights" | "optimizer" | "optimizerExtra" | "sha256" | "savedAt" | "stateSha256"
  >,
  keep = 2,
): Promise<string> {
  const folder = `epoch-${String(state.epoch).padStart(4, "0")}`;
  const target = join(dir, folder);
  const w = pack(weights);
  const o = pack(await optimizer.getWeights());
  writeFileAtomic(join(target, "weights.bin"), w.bytes);
  writeFileAtomic(join(target, "optimizer.bin"), o.bytes);
  const full: CheckpointState = {
    format: "edgelab-checkpoint-2",
    ...state,
    weights: w.entries,
    optimizer: o.entries,
    optimizerExtra: optimizerExtraState(optimizer),
    sha256: { "weights.bin": sha256(w.bytes), "optimizer.bin": sha256(o.bytes) },
    savedAt: new Date().toISOString(),
  };
  writeJsonAtomic(join(target, "state.json"), { ...full, stateSha256: stateDigest(full) });
  writeJsonAtomic(join(dir, "latest.json"), { epoch: state.epoch, dir: folder });
  const old = readdirSync(dir)
    .filter((n) => /^epoch-\d{4}$/.test(n))
    .sort()
    .slice(0, -keep);
  for (const name of old) rmSync(join(dir, name), { recursive: true, force: true });
  return target;
}

/** True when `dir` holds a checkpoint (a `latest.json`, or a `state.json` epoch folder). */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, "latest.json")) || existsSync(join(dir, "state.json"));
}

/**
 * Loads the latest checkpoint under `dir` (or the epoch folder `dir` itself), verifying every
 * file's SHA-256. Errors name the file and what is wrong.
 */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  let folder = dir;
  if (existsSync(join(dir, "latest.json"))) {
    const latestFile = join(dir, "latest.json");
    let latest: { dir?: unknown };
    try {
      latest = JSON.parse(readFileSync(latestFile, "utf8"));
    } catch (err) {
      throw new Error(`${latestFile}: corrupted checkpoint pointer (${(err as Error).message})`);
    }
    if (typeof latest.dir !== "string") throw new Error(`${latestFile}: corrupted checkpoint pointer (no "dir")`);
    folder = join(dir, latest.dir);
  }
  const stateFile = join(folder, "state.json");
  if (!existsSync(stateFile)) throw new Error(`${dir}: no checkpoint found (expected latest.json or state.json)`);
  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(stateFile, "utf8")) as CheckpointState;
  } catch (err) {
    throw new Error(`${stateFile}: corrupted checkpoint state (${(err as Error).message})`);
  }
  if (state.format !== "edgelab-checkpoint-2" && state.format !== "edgelab-checkpoint-1")
    throw new Error(`${stateFile}: not an edgelab checkpoint (format ${String(state.format)})`);
  if (state.format === "edgelab-checkpoint-2" && state.stateSha256 !== stateDigest(state))
    throw new Error(
      `${stateFile}: corrupted checkpoint (the state was changed after it was saved: SHA-256 does not match)`,
    );
  const read = (name: "weights.bin" | "optimizer.bin"): Buffer => {
    const file = join(folder, name);
    if (!existsSync(file)) throw new Error(`${file}: missing from the checkpoint`);
    const bytes = readFileSync(file);
    if (sha256(bytes) !== state.sha256[name])
      throw new Error(`${file}: corrupted checkpoint (SHA-256 does not match state.json)`);
    return bytes;
  };
  const weights = unpack(read("weights.bin"), state.weights, join(folder, "weights.bin"));
  const optimizerTensors = unpack(read("optimizer.bin"), state.optimizer, join(folder, "optimizer.bin"));
  return {
    dir: folder,
    state,
    weights,
    optimizer: optimizerTensors.map((tensor, i) => ({ name: state.optimizer[i].name, tensor })),
  };
}
