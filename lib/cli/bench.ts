/**
 * `edgelab bench train --model squeezenet --batch 24 [--steps N] [--rounds R] [--warmup-seconds S]
 *   [--backend NAME] [--threads T] [--no-peer] [--json]`: steady-state training throughput on one
 * backend, side by side with the PyTorch peer (same architecture, batch, Adam lr 5e-4, thread
 * count) in the same run. Each side warms up for at least S seconds (default 3) and 3 steps before
 * it is timed — edgelab once, the peer in each of its processes; edgelab's JIT needs it, see
 * `bench/throughput`. Then they alternate for R rounds of N steps (default 3 × 20), so machine
 * noise hits both; the ratio is the median of the per-round ratios.
 */
import { parseArgs } from "node:util";
import { median, summarizePaired } from "../bench/paired";
import { benchInputs, openTrainingBench, type ThroughputSegment } from "../bench/throughput";
import { torchTrainingPeer, type PeerResult } from "../bench/peers";
import { sgemmPeakGflops } from "../bench/sgemm-peak";
import { registerWasmKernels } from "../kernels/wasm";
import { peakRssMBFromKernel } from "../metrics/sampler";
import { modelEntry } from "../models/registry";
import { backendNames, trainingBackend, useBackend, type BackendName } from "../runtime/backends";
import { configureThreads } from "../runtime/threads";
import { parse, UsageError } from "./args";
import { benchOnnxCommand } from "./onnx";
import { benchMemoryCommand } from "./bench-memory";
import { benchSpbCommand } from "./bench-spb";

function positiveInt(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`bench: ${flag} must be a positive integer, got "${v}"`);
  return n;
}

async function benchTrain(argv: string[]): Promise<void> {
  const options = {
    model: { type: "string" },
    batch: { type: "string" },
    steps: { type: "string" },
    rounds: { type: "string" },
    "warmup-seconds": { type: "string" },
    backend: { type: "string" },
    threads: { type: "string" },
    "no-peer": { type: "boolean" },
    json: { type: "boolean" },
  } as const;
  const { values } = parse(() => parseArgs({ args: argv, options, strict: true }), "bench train");
  const model = values.model ?? "squeezenet";
  if (!benchInputs[model])
    throw new UsageError(
      `bench train: no benchmark for model "${model}"; choose one of ${Object.keys(benchInputs).join(", ")}`,
    );
  const batch = positiveInt(values.batch, "--batch", 24);
  const steps = positiveInt(values.steps, "--steps", 20);
  const roundCount = positiveInt(values.rounds, "--rounds", 3);
  const warmupSeconds = values["warmup-seconds"] === undefined ? 3 : Number(values["warmup-seconds"]);
  if (!Number.isFinite(warmupSeconds) || warmupSeconds < 0)
    throw new UsageError(
      `bench train: --warmup-seconds must be a non-negative number, got "${values["warmup-seconds"]}"`,
    );
  const threads = configureThreads(
    values.threads === undefined ? {} : { intraOp: positiveInt(values.threads, "--threads", 1) },
  );
  if (values.backend !== undefined && !(backendNames as readonly string[]).includes(values.backend)) {
    throw new UsageError(`bench train: --backend must be one of ${backendNames.join(", ")}, got "${values.backend}"`);
  }
  const backend = values.backend
    ? await useBackend(values.backend as BackendName)
    : await useBackend((await trainingBackend(modelEntry(model).trainingKernels)).backend);
  // The hardware's ceiling first, in the same run: the step's GFLOP/s is reported against it.
  const sgemmPeak = sgemmPeakGflops();
  const bench = await openTrainingBench({ model, batch, warmupSeconds });
  const segments: ThroughputSegment[] = [];
  const peers: PeerResult[] = [];
  let peerNote: string | null = values["no-peer"] ? "peer skipped (--no-peer)" : null;
  for (let round = 0; round < roundCount; round++) {
    segments.push(await bench.measure(steps));
    if (peerNote !== null) continue;
    const outcome = torchTrainingPeer(model, batch, steps, threads.intraOp, warmupSeconds);
    if (outcome.ok) peers.push(outcome.peer);
    else peerNote = outcome.reason;
  }
  bench.dispose();
  const peakRssMB = peakRssMBFromKernel();
  const paired =
    peers.length === segments.length
      ? summarizePaired(segments.map((s, i) => ({ ours: s.samplesPerSec, peer: peers[i].imgPerSec })))
      : null;
  const peer = paired ? { name: peers[0].name, imgPerSec: paired.peer } : null;
  const imgPerSec = median(segments.map((s) => s.samplesPerSec));
  const stepMs = segments.flatMap((s) => s.stepMs);
  const result = {
    model,
    batch,
    backend,
    imgPerSec,
    peakRssMB,
    peer,
    ratio: paired?.ratio ?? null,
    ratioRange: paired?.ratioRange ?? null,
    rounds: segments.map((s, i) => ({ imgPerSec: s.samplesPerSec, peerImgPerSec: peers[i]?.imgPerSec ?? null })),
    peerPeakRssMB: peers.length ? Math.max(...peers.map((p) => p.peakRssMB ?? 0)) || null : null,
    peerNote,
    steps,
    warmup: bench.warmup,
    peerWarmupSteps: peers.length ? peers.map((p) => p.warmupSteps ?? null) : null,
    meanStepMs: stepMs.reduce((a, b) => a + b, 0) / stepMs.length,
    medianStepMs: median(stepMs),
    parameters: bench.parameters,
    gflopPerSecond: (imgPerSec * bench.flopsPerSample) / 1e9,
    peerGflopPerSecond: peer ? (peer.imgPerSec * bench.flopsPerSample) / 1e9 : null,
    sgemmPeakGflops: sgemmPeak,
    peakFraction: sgemmPeak ? (imgPerSec * bench.flopsPerSample) / 1e9 / sgemmPeak : null,
    threads: threads.intraOp,
    kernels: backend === "wasm" ? registerWasmKernels() : null,
  };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const versus =
    paired && peer
      ? `${paired.ratio.toFixed(2)}× ${peer.name} (${peer.imgPerSec.toFixed(0)} img/s; rounds ${paired.ratioRange[0].toFixed(2)}-${paired.ratioRange[1].toFixed(2)}×)`
      : `no peer (${peerNote})`;
  console.log(
    `${model} training, batch ${batch}, ${backend}, ${threads.intraOp} thread(s), ${roundCount} × ${steps} steps: ${imgPerSec.toFixed(1)} samples/s (median step ${result.medianStepMs.toFixed(1)} ms), peak RSS ${peakRssMB?.toFixed(0) ?? "?"} MB`,
  );
  console.log(`peer: ${versus}`);
  if (sgemmPeak)
    console.log(
      `${result.gflopPerSecond.toFixed(1)} GFLOP/s of ${sgemmPeak.toFixed(1)} (OpenBLAS sgemm here): ${(100 * result.peakFraction!).toFixed(0)} %`,
    );
}

/** `edgelab bench --help`. */
export const benchUsage = `usage: edgelab bench train|onnx|spb|memory [options] [--json]
  bench train --model squeezenet|sentinelnet|sentinelnet-debug|mlp (default squeezenet) [--batch B (24)]
              [--steps N (20)] [--rounds R (3)] [--warmup-seconds S (3)] [--backend NAME] [--threads T] [--no-peer]
  bench onnx M.onnx [--batch 1] [--threads T] [--target-ms 50] [--iterations N]
  bench spb   --model M,…|all (all) --mode train|finetune|train,finetune (both) [--batch 16] [--size 224]
              [--batches 20] [--rounds R (1)] [--threads T] [--no-peer]
              seed 001's seconds per batch: random inputs in memory, SGD lr 0.1, edgelab and PyTorch alternating
  bench memory --model M,…|all (all) --mode train|finetune|train,finetune (both) [--size 224] [--limit-mb 4096]
              [--verify]   the largest batch each model trains at under the wasm heap's bound`;

/** Runs `edgelab bench <what>`. */
export async function benchCommand(argv: string[]): Promise<void> {
  const [what, ...rest] = argv;
  if (what === "train") return benchTrain(rest);
  if (what === "onnx") return benchOnnxCommand(rest);
  if (what === "spb") return benchSpbCommand(rest);
  if (what === "memory") return benchMemoryCommand(rest);
  throw new UsageError(`bench: unknown benchmark "${what ?? ""}"; available: train, onnx, spb, memory`);
}
