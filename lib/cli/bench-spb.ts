/**
 * `edgelab bench spb --model resnet18,mobilenet_v3_small,… --mode train|finetune --batch 16
 *   --size 224 --batches 20 [--rounds R] [--threads T] [--no-peer] [--json]`: seed 001's seconds
 * per batch beside PyTorch (see lib/bench/spb.ts). `--model all` measures the whole zoo.
 */
import { parseArgs } from "node:util";
import { sgemmPeakGflops } from "../bench/sgemm-peak";
import { dnnlName } from "../kernels/dnnl-conv";
import { kernelGemm } from "../kernels/wasm";
import { benchSecondsPerBatch, cliEntry } from "../bench/spb";
import { measureVisionCost } from "../experiments/vision-cost";
import { peakRssMBFromKernel } from "../metrics/sampler";
import { useBackend } from "../runtime/backends";
import { configureThreads } from "../runtime/threads";
import { numberFlag, parse } from "./args";
import { zooSelection } from "./zoo-selection";

/** A positive integer flag of `bench spb`. */
const positive = (v: string | undefined, flag: string, fallback: number): number =>
  numberFlag("bench spb", v, `${flag} (a positive integer)`, fallback, (n) => Number.isInteger(n) && n >= 1);

/** Runs `edgelab bench spb`. */
export async function benchSpbCommand(argv: string[]): Promise<void> {
  const options = {
    model: { type: "string" },
    mode: { type: "string" },
    batch: { type: "string" },
    size: { type: "string" },
    batches: { type: "string" },
    rounds: { type: "string" },
    threads: { type: "string" },
    "no-peer": { type: "boolean" },
    single: { type: "boolean" },
    json: { type: "boolean" },
  } as const;
  const { values } = parse(() => parseArgs({ args: argv, options, strict: true }), "bench spb");
  const { models, modes } = zooSelection("bench spb", values.model, values.mode);
  const threads = configureThreads(
    values.threads === undefined ? {} : { intraOp: positive(values.threads, "--threads", 1) },
  );
  const spec = {
    models,
    modes,
    batch: positive(values.batch, "--batch", 16),
    size: positive(values.size, "--size", 224),
    batches: positive(values.batches, "--batches", 20),
    rounds: positive(values.rounds, "--rounds", 1),
    threads: threads.intraOp,
    noPeer: values["no-peer"] === true,
  };
  if (values.single) {
    // One measurement in this process (what the comparison spawns per round).
    await useBackend("wasm");
    const cost = await measureVisionCost({ ...spec, model: models[0], mode: spec.modes[0] });
    console.log(JSON.stringify({ ...cost, peakRssMB: peakRssMBFromKernel() }));
    return;
  }
  // The ceiling first, while the machine is otherwise idle; rows report their GFLOP/s against it.
  const sgemmPeak = sgemmPeakGflops();
  const rows = benchSecondsPerBatch(spec, cliEntry()).map((r) => ({
    ...r,
    peakFraction: sgemmPeak && r.gflopPerSecond ? r.gflopPerSecond / sgemmPeak : null,
  }));
  const protocol = `seed 001: fresh model, random inputs in memory, SGD lr 0.1, cross-entropy, batch ${spec.batch}, ${spec.size}², ${spec.batches} consecutive batches timed, no warm-up; ${spec.threads} thread(s) each side`;
  // What runs edgelab's convolutions and GEMMs here (the per-model processes detect the same).
  const kernels = { convolutions: dnnlName() ?? `im2col + ${kernelGemm().name}`, gemm: kernelGemm().name };
  if (values.json) {
    console.log(JSON.stringify({ protocol, threads: spec.threads, sgemmPeakGflops: sgemmPeak, kernels, rows }));
    return;
  }
  console.log(protocol);
  console.log(`convolutions: ${kernels.convolutions}; GEMM: ${kernels.gemm}`);
  if (sgemmPeak) console.log(`OpenBLAS sgemm peak here: ${sgemmPeak.toFixed(1)} GFLOP/s`);
  for (const r of rows)
    console.log(
      `${r.model.padEnd(20)} ${r.mode.padEnd(8)} ${r.secondsPerBatch?.toFixed(2) ?? "failed"} s/batch` +
        (r.gflopPerSecond ? ` ${r.gflopPerSecond.toFixed(1)} GFLOP/s` : "") +
        (r.peer
          ? `  PyTorch ${r.peer.secondsPerBatch.toFixed(2)}  ratio ${r.ratio?.toFixed(2)}`
          : `  (${r.peerNote})`) +
        (r.error ? `  ${r.error}` : ""),
    );
}
