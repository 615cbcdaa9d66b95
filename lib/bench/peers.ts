/**
 * Benchmark peers: the same workload in another framework, run in its own process in the same
 * benchmark run. Peer scripts live in the project's `bench/peers/` folder and run on the system
 * Python; they are never a runtime dependency: when Python or the framework is missing the peer
 * is reported as absent, with the reason.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readNpy, writeNpy } from "../deploy/npy";
import { pythonHasModule, systemPython } from "../runtime/python";

/** A peer's measurement. */
export interface PeerResult {
  name: string;
  /** Samples (images, flows) per second. */
  imgPerSec: number;
  peakRssMB: number | null;
  /** Untimed steps before the timed ones, where the peer reports them. */
  warmupSteps?: number | null;
}

/** A peer that ran, or why it did not. */
export type PeerOutcome = { ok: true; peer: PeerResult } | { ok: false; reason: string };

/** The folder holding the peer scripts (bench/peers at the project root). */
export function peersDir(): string {
  return join(__dirname, "..", "..", "..", "bench", "peers");
}

/** Runs `python script args…` and parses the last stdout line as JSON. */
export function runPythonJson(
  script: string,
  args: string[],
): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  const path = join(peersDir(), script);
  if (!existsSync(path)) return { ok: false, reason: `peer script ${path} is missing` };
  const run = spawnSync(systemPython(), [path, ...args], { encoding: "utf8", maxBuffer: 16 << 20 });
  if (run.error) return { ok: false, reason: `cannot run ${systemPython()}: ${run.error.message}` };
  const line = (run.stdout ?? "").trim().split("\n").pop() ?? "";
  try {
    return { ok: true, value: JSON.parse(line) as Record<string, unknown> };
  } catch {
    return {
      ok: false,
      reason: `${script} failed (exit ${run.status}): ${(run.stderr ?? "").trim().split("\n").slice(-2).join(" | ")}`,
    };
  }
}

/** Models with a PyTorch training peer: the script and its extra arguments. */
const torchTrainPeers: Record<string, { script: string; args: string[] }> = {
  squeezenet: { script: "torch_squeezenet.py", args: [] },
  sentinelnet: { script: "torch_sentinelnet.py", args: ["full"] },
  "sentinelnet-debug": { script: "torch_sentinelnet.py", args: ["debug"] },
};

/**
 * PyTorch training the same architecture, batch, optimiser (Adam, lr 5e-4) and thread count
 * (Debian `python3-torch`), after warm-up steps: at least 3, and at least `warmupSeconds` of them.
 */
export function torchTrainingPeer(
  model: string,
  batch: number,
  steps: number,
  threads: number,
  warmupSeconds = 0,
): PeerOutcome {
  const peer = torchTrainPeers[model];
  if (!peer)
    return {
      ok: false,
      reason: `no PyTorch peer for model "${model}" (peers exist for ${Object.keys(torchTrainPeers).join(", ")})`,
    };
  if (!pythonHasModule("torch"))
    return {
      ok: false,
      reason: `${systemPython()} cannot import torch (Debian: apt-get install python3-torch, or npm run setup -- --peers)`,
    };
  const run = runPythonJson(peer.script, [
    String(batch),
    String(steps),
    String(threads),
    ...peer.args,
    String(warmupSeconds),
  ]);
  if (!run.ok) return run;
  const v = run.value;
  return {
    ok: true,
    peer: {
      name: String(v.name),
      imgPerSec: Number(v.imgPerSec),
      peakRssMB: typeof v.peakRssMB === "number" ? v.peakRssMB : null,
      warmupSteps: typeof v.warmupSteps === "number" ? v.warmupSteps : null,
    },
  };
}

/**
 * python-xgboost (Debian `python3-xgboost`) trained on the same rows with the same booster
 * parameters; returns its training seconds and test-set probabilities. `workDir` receives the
 * .npy exchange files.
 */
export function xgboostPeer(
  train: { features: Float32Array; labels: ArrayLike<number>; featureCount: number },
  testFeatures: Float32Array,
  params: Record<string, string>,
  rounds: number,
  workDir: string,
):
  | { ok: true; name: string; seconds: number; probabilities: Float32Array; peakRssMB: number | null }
  | { ok: false; reason: string } {
  if (!pythonHasModule("xgboost"))
    return {
      ok: false,
      reason: `${systemPython()} cannot import xgboost (Debian: apt-get install python3-xgboost, or npm run setup -- --peers)`,
    };
  mkdirSync(workDir, { recursive: true });
  const rows = train.labels.length;
  const file = (name: string): string => join(workDir, name);
  writeNpy(file("train_x.npy"), { dtype: "float32", shape: [rows, train.featureCount], data: train.features });
  writeNpy(file("train_y.npy"), { dtype: "float32", shape: [rows], data: Float32Array.from(train.labels) });
  writeNpy(file("test_x.npy"), {
    dtype: "float32",
    shape: [testFeatures.length / train.featureCount, train.featureCount],
    data: testFeatures,
  });
  writeFileSync(file("params.json"), JSON.stringify(params));
  const run = runPythonJson("xgboost_train.py", [
    file("train_x.npy"),
    file("train_y.npy"),
    file("test_x.npy"),
    file("params.json"),
    String(rounds),
    file("pred.npy"),
  ]);
  if (!run.ok) return run;
  return {
    ok: true,
    name: String(run.value.name),
    seconds: Number(run.value.seconds),
    probabilities: readNpy(file("pred.npy")).data as Float32Array,
    peakRssMB: typeof run.value.peakRssMB === "number" ? run.value.peakRssMB : null,
  };
}
