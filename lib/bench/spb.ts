/**
 * `edgelab bench spb`: seed 001's seconds per batch for zoo models, train or finetune, edgelab and
 * the PyTorch/torchvision peer taking turns in one run. Each edgelab measurement runs in a process
 * of its own (`edgelab bench spb --single …`), so every row's peak RSS is that model's alone; the
 * inputs are random tensors already in memory on both sides (no data loading is timed).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { median } from "./paired";
import { runPythonJson } from "./peers";
import { visionZoo } from "../models/vision-zoo";
import { pythonHasModule } from "../runtime/python";

/** What to measure. */
export interface SpbSpec {
  models: string[];
  modes: ("train" | "finetune")[];
  batch: number;
  size: number;
  batches: number;
  rounds: number;
  threads: number;
  /** Skip the PyTorch peer. */
  noPeer?: boolean;
}

/** One edgelab or peer measurement. */
interface Measured {
  secondsPerBatch: number;
  peakRssMB: number | null;
  parameters?: number;
  trainableParameters?: number;
  gflopPerBatch?: number;
}

/** A row of the `--json` output. */
export interface SpbRow {
  model: string;
  mode: "train" | "finetune";
  batch: number;
  size: number;
  /** Median over rounds; null when edgelab could not run it (see `error`). */
  secondsPerBatch: number | null;
  peakRssMB: number | null;
  parameters: number;
  trainableParameters: number | null;
  /** Floating-point work of one step (3 × 2 × multiply-accumulates of the layers that compute gradients). */
  gflopPerBatch: number | null;
  /** Achieved: gflopPerBatch ÷ secondsPerBatch. */
  gflopPerSecond: number | null;
  peer: { secondsPerBatch: number; peakRssMB: number | null; gflopPerSecond: number | null } | null;
  /** Peer s/batch ÷ edgelab s/batch, the median of the per-round ratios (above 1: edgelab faster). */
  ratio: number | null;
  rounds: { secondsPerBatch: number | null; peerSecondsPerBatch: number | null }[];
  error?: string;
  peerNote?: string;
}

/** Runs the comparison; `cli` is the path of edgelab's CLI entry (for the per-measurement processes). */
export function benchSecondsPerBatch(spec: SpbSpec, cli: string): SpbRow[] {
  const peerNote = spec.noPeer
    ? "peer skipped (--no-peer)"
    : pythonHasModule("torchvision")
      ? undefined
      : "python3-torchvision is not installed: npm run setup -- --peers";
  const rows: SpbRow[] = [];
  for (const model of spec.models) {
    for (const mode of spec.modes) {
      const ours: (Measured | string)[] = [];
      const theirs: (Measured | string)[] = [];
      for (let r = 0; r < spec.rounds; r++) {
        ours.push(edgelabOnce(cli, model, mode, spec));
        if (!peerNote) theirs.push(peerOnce(model, mode, spec));
      }
      rows.push(summarise(model, mode, spec, ours, theirs, peerNote));
    }
  }
  return rows;
}

function edgelabOnce(cli: string, model: string, mode: string, spec: SpbSpec): Measured | string {
  const args = [cli, "bench", "spb", "--single", "--model", model, "--mode", mode];
  args.push("--batch", String(spec.batch), "--size", String(spec.size), "--batches", String(spec.batches));
  args.push("--threads", String(spec.threads), "--json");
  const run = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 16 << 20 });
  try {
    return JSON.parse((run.stdout ?? "").trim().split("\n").pop() ?? "") as Measured;
  } catch {
    const why = (run.stderr ?? "").trim().split("\n").filter(Boolean).slice(-1)[0] ?? "";
    return `edgelab exited ${run.status ?? run.signal}${why ? `: ${why}` : ""}`;
  }
}

function peerOnce(model: string, mode: string, spec: SpbSpec): Measured | string {
  const args = [visionZoo[model].torchvision, mode, String(spec.size), String(spec.batch), String(spec.batches)];
  const run = runPythonJson("torch_vision_batches.py", [...args, String(spec.threads)]);
  return run.ok ? (run.value as unknown as Measured) : run.reason;
}

function summarise(
  model: string,
  mode: "train" | "finetune",
  spec: SpbSpec,
  ours: (Measured | string)[],
  theirs: (Measured | string)[],
  peerNote: string | undefined,
): SpbRow {
  const ok = (m: Measured | string): m is Measured => typeof m !== "string";
  const good = ours.filter(ok);
  const peers = theirs.filter(ok);
  const ratios = ours
    .map((m, i) =>
      ok(m) && theirs[i] && ok(theirs[i]) ? (theirs[i] as Measured).secondsPerBatch / m.secondsPerBatch : null,
    )
    .filter((v): v is number => v !== null);
  const gflop = good[0]?.gflopPerBatch ?? null;
  const rate = (seconds: number | null): number | null => (gflop !== null && seconds ? gflop / seconds : null);
  const rss = (ms: Measured[]): number | null =>
    ms.some((m) => m.peakRssMB !== null) ? Math.max(...ms.map((m) => m.peakRssMB ?? 0)) : null;
  const error = ours.find((m): m is string => !ok(m));
  const peerError = theirs.find((m): m is string => !ok(m));
  const secondsPerBatch = good.length ? median(good.map((m) => m.secondsPerBatch)) : null;
  const peerSeconds = peers.length ? median(peers.map((m) => m.secondsPerBatch)) : null;
  return {
    model,
    mode,
    batch: spec.batch,
    size: spec.size,
    secondsPerBatch,
    peakRssMB: rss(good),
    parameters: good[0]?.parameters ?? visionZoo[model].parameters,
    trainableParameters: good[0]?.trainableParameters ?? null,
    gflopPerBatch: gflop,
    gflopPerSecond: rate(secondsPerBatch),
    peer:
      peerSeconds !== null
        ? { secondsPerBatch: peerSeconds, peakRssMB: rss(peers), gflopPerSecond: rate(peerSeconds) }
        : null,
    ratio: ratios.length ? median(ratios) : null,
    rounds: ours.map((m, i) => ({
      secondsPerBatch: ok(m) ? m.secondsPerBatch : null,
      peerSecondsPerBatch: theirs[i] && ok(theirs[i]) ? (theirs[i] as Measured).secondsPerBatch : null,
    })),
    ...(error ? { error } : {}),
    ...(peerNote || peerError ? { peerNote: peerNote ?? peerError } : {}),
  };
}

/** The CLI entry next to this file's build output (build/lib/cli/main.js). */
export function cliEntry(): string {
  return join(__dirname, "..", "cli", "main.js");
}
