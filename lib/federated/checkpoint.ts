/**
 * A federated run's per-round checkpoint, shared by the simulator and the server: the global
 * parameters, the strategy's server-side state (momentum, moments) and the rows so far. Every file
 * is written atomically and `round.json` last, so a checkpoint is either the previous round's or
 * this one's, never half of each.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../report/atomic";
import type { FederatedStrategy } from "./strategies";

/** What a checkpoint restores. */
export interface RoundCheckpoint<Row> {
  rows: Row[];
  parameters: Float32Array;
  /** Tensor shapes, when the run knows them (the server does; the simulator's model does). */
  shapes: number[][] | null;
}

const asFloat32 = (b: Buffer): Float32Array =>
  new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
const asFloat64 = (b: Buffer): Float64Array =>
  new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

/** Writes the checkpoint of a completed round into `dir`. */
export function saveRoundCheckpoint<Row>(
  dir: string,
  checkpoint: RoundCheckpoint<Row>,
  strategy: FederatedStrategy,
): void {
  mkdirSync(dir, { recursive: true });
  const state = strategy.state?.() ?? [];
  const flat = new Float64Array(state.reduce((n, a) => n + a.length, 0));
  state.reduce((at, a) => (flat.set(a, at), at + a.length), 0);
  const p = checkpoint.parameters;
  writeFileAtomic(join(dir, "parameters.f32"), new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  writeFileAtomic(join(dir, "strategy.f64"), new Uint8Array(flat.buffer));
  writeJsonAtomic(join(dir, "round.json"), {
    rows: checkpoint.rows,
    shapes: checkpoint.shapes,
    stateLengths: state.map((a) => a.length),
  });
}

/**
 * Reads the checkpoint in `dir` (null when there is none) and restores the strategy's state.
 * `expectedLength` (parameters) guards against resuming a different model.
 */
export function loadRoundCheckpoint<Row>(
  dir: string,
  strategy: FederatedStrategy,
  expectedLength: number | null,
): RoundCheckpoint<Row> | null {
  if (!existsSync(join(dir, "round.json"))) return null;
  const saved = JSON.parse(readFileSync(join(dir, "round.json"), "utf8")) as {
    rows: Row[];
    shapes?: number[][] | null;
    stateLengths: number[];
  };
  const parameters = asFloat32(readFileSync(join(dir, "parameters.f32")));
  if (expectedLength !== null && parameters.length !== expectedLength)
    throw new Error(`${dir}: checkpoint holds ${parameters.length} parameters, the model has ${expectedLength}`);
  const state = asFloat64(readFileSync(join(dir, "strategy.f64")));
  const parts: Float64Array[] = [];
  let at = 0;
  for (const n of saved.stateLengths) {
    parts.push(state.slice(at, at + n));
    at += n;
  }
  strategy.restore?.(parts);
  return { rows: saved.rows, parameters, shapes: saved.shapes ?? null };
}
