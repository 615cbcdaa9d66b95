/**
 * `edgelab bench train --model squeezenet --batch 24 [--steps N] [--backend NAME] [--threads T]
 *   [--no-peer] [--json]`: training throughput on one backend, side by side with the PyTorch peer
 * (same architecture, batch, Adam lr 5e-4, thread count) in the same run.
 */
import { parseArgs } from "node:util";
import { measureTrainingThroughput, benchInputs } from "../bench/throughput";
import { torchTrainingPeer, type PeerResult } from "../bench/peers";
import { registerWasmKernels } from "../kernels/wasm";
import { peakRssMBFromKernel } from "../metrics/sampler";
import { modelEntry } from "../models/registry";
import { backendNames, trainingBackend, useBackend, type BackendName } from "../runtime/backends";
import { configureThreads } from "../runtime/threads";
import { parse, UsageError } from "./args";
import { benchOnnxCommand } from "./onnx";


function positiveInt(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`bench: ${flag} must be a positive integer, got "${v}"`);
  return n;
}

async function benchTrain(argv: string[]): Promise<void> {
  const options = {
    model: { type: "string" }, batch: { type: "string" }, steps: { type: "string" }, backend: { type: "string" },
    threads: { type: "string" }, "no-peer": { type: "boolean" }, json: { type: "boolean" },
  } as const;
  const { values } = parse(() => parseArgs({ args: argv, options, strict: true }), "bench train");
  const model = values.model ?? "squeezenet";
  if (!benchInputs[model]) throw new UsageError(`bench train: no benchmark for model "${model}"; choose one of ${Object.keys(benchInputs).join(", ")}`);
  const batch = positiveInt(values.batch, "--batch", 24);
  const steps = positiveInt(values.steps, "--steps", 20);
  const threads = configureThreads(values.threads === undefined ? {} : { intraOp: positiveInt(values.threads, "--threads", 1) });
  if (values.backend !== undefined && !(backendNames as readonly string[]).includes(values.backend)) {
    throw new UsageError(`bench train: --backend must be one of ${backendNames.join(", ")}, got "${values.backend}"`);
  }
  const backend = values.backend ? await useBackend(values.backend as BackendName) : await useBackend((await trainingBackend(modelEntry(model).trainingKernels)).backend);
  const run = await measureTrainingThroughput({ model, batch, steps });
  const peakRssMB = peakRssMBFromKernel();
  let peer: PeerResult | null = null;
  let peerNote: string | null = null;
  if (values["no-peer"]) peerNote = "peer skipped (--no-peer)";
  else {
    const outcome = torchTrainingPeer(model, batch, steps, threads.intraOp);
    if (outcome.ok) peer = outcome.peer;
    else peerNote = outcome.reason;
  }
  const result = {
    model, batch, backend, imgPerSec: run.samplesPerSec, peakRssMB,
    peer: peer && { name: peer.name, imgPerSec: peer.imgPerSec },
    ratio: peer ? run.samplesPerSec / peer.imgPerSec : null,
    peerPeakRssMB: peer?.peakRssMB ?? null, peerNote,
    steps, meanStepMs: run.meanStepMs, parameters: run.parameters, threads: threads.intraOp,
    kernels: backend === "wasm" ? registerWasmKernels() : null,
  };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const ratio = result.ratio === null ? `no peer (${peerNote})` : `${result.ratio.toFixed(2)}× ${peer!.name} (${peer!.imgPerSec.toFixed(0)} img/s)`;
  console.log(`${model} training, batch ${batch}, ${backend}, ${threads.intraOp} thread(s): ${run.samplesPerSec.toFixed(1)} samples/s (${run.meanStepMs.toFixed(1)} ms/step), peak RSS ${peakRssMB?.toFixed(0) ?? "?"} MB`);
  console.log(`peer: ${ratio}`);
}

/** Runs `edgelab bench <what>`. */
export async function benchCommand(argv: string[]): Promise<void> {
  const [what, ...rest] = argv;
  if (what === "train") return benchTrain(rest);
  if (what === "onnx") return benchOnnxCommand(rest);
  throw new UsageError(`bench: unknown benchmark "${what ?? ""}"; available: train, onnx`);
}
