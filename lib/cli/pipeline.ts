/**
 * Layer-split inference across devices (seed 002):
 *   edgelab pipeline cuts M.onnx [--batch B] [--json]
 *   edgelab pipeline plan M.onnx --stages K [--partitioner equal|pipeedge|latency] [--devices SPEC]
 *       [--bandwidth-mbps X] [--latency-ms L] [--batch B] [--repeats R] [--json]
 *   edgelab pipeline run M.onnx --stages K --input X.npy --out Y.npy [--plan FILE] [--partitioner P]
 *       [--machinefile F] [--microbatches M] [--labels L.npy] [--threads T] [--no-preprocess] [--optimization O]
 *       [--passes N] [--rebalance] [--window W] [--bind-to-core] [--emulate-links MBPS] [--json]
 *   edgelab pipeline stage JOB.json      (one rank; started by `pipeline run` under mpiexec)
 */
import { existsSync, readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { parseArgs } from "node:util";
import { readNpy } from "../deploy/npy";
import { optimizationLevels, type OptimizationLevel } from "../deploy/session";
import type { PipelineJob } from "../pipeline/job";
import { gigabitEthernet, localDevices, parseDevices } from "../pipeline/devices";
import { defaultStageThreads, planProfile, readPlan, runPipeline } from "../pipeline/launch";
import { stageLink } from "../pipeline/link";
import type { LinkModel, Plan } from "../pipeline/partition";
import { profileModel } from "../pipeline/profile";
import { defaultRebalanceConfig } from "../pipeline/rebalance";
import { runStage } from "../pipeline/runtime";
import { createEmulatedCluster } from "../cluster/emulated";
import { toTextTable } from "../report/table";
import { packageRoot } from "../runtime/paths";
import { parse, UsageError } from "./args";

/** The options of `edgelab pipeline`, for `--help`. */
export const pipelineUsage = `usage:
  edgelab pipeline cuts M.onnx [--batch 1] [--json]
      valid cut points: positions where exactly one activation is live, with its bytes per batch
  edgelab pipeline plan M.onnx --stages K [--partitioner pipeedge] [--devices SPEC] [--bandwidth-mbps 1000]
      [--latency-ms 0.1] [--batch 1] [--repeats 10] [--json]
      partitioners: equal (equal layer counts), pipeedge (min bottleneck stage, memory-aware DP),
      latency (min one micro-batch's end-to-end time). SPEC: NAME[:SPEED[:MEMORY_MB]],… with N*NAME
      to repeat, speed relative to this machine (default: K copies of this machine)
  edgelab pipeline run M.onnx --stages K --input X.npy --out Y.npy [--plan PLAN.json] [--partitioner pipeedge]
      [--machinefile F] [--microbatches 8] [--labels Y.npy] [--threads T] [--no-preprocess] [--optimization all]
      [--passes 1] [--rebalance] [--window 2K] [--bind-to-core] [--emulate-links MBPS] [--json]
      one MPI rank per stage under mpiexec (one stage runs in-process); with --optimization basic the
      outputs are bit-identical to run-onnx --optimization basic at the same batch. --rebalance re-plans
      while running when a stage slows down (drain, re-extract, resume: no request lost or repeated);
      --passes N streams the input N times, a serving load (outputs are written once); --emulate-links MBPS
      runs each stage in its own network namespace with links shaped to MBPS (Linux, root; no latency emulation)`;

function positive(v: string | undefined, flag: string, fallback: number, integer = true): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!(n > 0) || (integer && !Number.isInteger(n)))
    throw new UsageError(`pipeline: ${flag} must be a positive ${integer ? "integer" : "number"}, got "${v}"`);
  return n;
}

function oneModel(positionals: string[], what: string): string {
  if (positionals.length !== 1)
    throw new UsageError(`usage: edgelab pipeline ${what} M.onnx … (see edgelab pipeline --help)`);
  return positionals[0];
}

function linkFrom(values: { "bandwidth-mbps"?: string; "latency-ms"?: string }): LinkModel {
  const latency = values["latency-ms"] === undefined ? gigabitEthernet.latencyMs : Number(values["latency-ms"]);
  if (!(latency >= 0))
    throw new UsageError(`pipeline: --latency-ms must be a number ≥ 0, got "${values["latency-ms"]}"`);
  return {
    bandwidthMbps: positive(values["bandwidth-mbps"], "--bandwidth-mbps", gigabitEthernet.bandwidthMbps, false),
    latencyMs: latency,
  };
}

const planOptions = {
  stages: { type: "string" },
  partitioner: { type: "string" },
  devices: { type: "string" },
  "bandwidth-mbps": { type: "string" },
  "latency-ms": { type: "string" },
  batch: { type: "string" },
  repeats: { type: "string" },
  json: { type: "boolean" },
} as const;

/** The plan JSON users script against, from a plan. */
function planJson(plan: Plan, batch: number) {
  return {
    partitioner: plan.partitioner,
    stages: plan.stages.map(({ firstNode, lastNode, computeMs, transferMs, memoryMB, layers, device }) => ({
      firstNode,
      lastNode,
      computeMs,
      transferMs,
      memoryMB,
      layers,
      device,
    })),
    bottleneckMs: plan.bottleneckMs,
    predictedImagesPerSec: plan.predictedBatchesPerSec * batch,
    endToEndMs: plan.endToEndMs,
    batch,
    notes: plan.notes,
  };
}

async function cuts(argv: string[]): Promise<void> {
  const options = { batch: { type: "string" }, json: { type: "boolean" } } as const;
  const { values, positionals } = parse(
    () => parseArgs({ args: argv, options, allowPositionals: true, strict: true }),
    "pipeline cuts",
  );
  const file = oneModel(positionals, "cuts");
  const batch = positive(values.batch, "--batch", 1);
  const profile = await profileModel(file, { batch, repeats: 0 });
  const rows = profile.cuts.map(({ position, tensor, bytes, shape, afterNode, float32, splitsFusion }) => ({
    position,
    tensor,
    bytes,
    shape,
    afterNode,
    usable: float32 && !splitsFusion,
  }));
  if (values.json) {
    console.log(JSON.stringify({ model: file, batch, nodes: profile.nodes, cuts: rows }));
    return;
  }
  console.log(
    `${file}: ${profile.nodes} compute nodes, ${rows.length} valid cuts (${rows.filter((r) => r.usable).length} used for planning), batch ${batch}`,
  );
  console.log(toTextTable(rows.map((r) => ({ ...r, shape: `[${r.shape.join(", ")}]` }))));
}

async function plan(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    () => parseArgs({ args: argv, options: planOptions, allowPositionals: true, strict: true }),
    "pipeline plan",
  );
  const file = oneModel(positionals, "plan");
  const stages = positive(values.stages, "--stages", Number.NaN);
  if (!Number.isFinite(stages)) throw new UsageError("pipeline plan: --stages K is required");
  const batch = positive(values.batch, "--batch", 1);
  const profile = await profileModel(file, {
    batch,
    repeats: values.repeats === undefined ? 10 : positive(values.repeats, "--repeats", 10),
  });
  const devices = values.devices ? parseDevices(values.devices, totalmem()) : localDevices(stages, totalmem());
  const result = planProfile(profile, { stages, partitioner: values.partitioner, devices, link: linkFrom(values) });
  const json = { model: file, ...planJson(result, batch), devices: result.stages.map((s) => devices[s.device].name) };
  if (values.json) {
    console.log(JSON.stringify(json));
    return;
  }
  console.log(
    `${file}: ${result.partitioner}, ${stages} stage(s), batch ${batch}: bottleneck ${result.bottleneckMs.toFixed(2)} ms → ${json.predictedImagesPerSec.toFixed(1)} images/s predicted`,
  );
  console.log(
    toTextTable(
      result.stages.map((s) => ({
        device: devices[s.device].name,
        firstNode: s.firstNode,
        lastNode: s.lastNode,
        layers: s.layers,
        computeMs: s.computeMs,
        transferMs: s.transferMs,
        memoryMB: s.memoryMB,
      })),
    ),
  );
  for (const note of result.notes) console.log(`note: ${note}`);
}

async function run(argv: string[]): Promise<void> {
  const options = {
    ...planOptions,
    input: { type: "string" },
    out: { type: "string" },
    plan: { type: "string" },
    machinefile: { type: "string" },
    microbatches: { type: "string" },
    labels: { type: "string" },
    threads: { type: "string" },
    "no-preprocess": { type: "boolean" },
    optimization: { type: "string" },
    rebalance: { type: "boolean" },
    window: { type: "string" },
    passes: { type: "string" },
    "emulate-links": { type: "string" },
    "bind-to-core": { type: "boolean" },
  } as const;
  const { values, positionals } = parse(
    () => parseArgs({ args: argv, options, allowPositionals: true, strict: true }),
    "pipeline run",
  );
  const file = oneModel(positionals, "run");
  if (!values.input || !values.out) throw new UsageError("pipeline run: --input X.npy and --out Y.npy are required");
  if (values.machinefile && !existsSync(values.machinefile))
    throw new UsageError(`pipeline run: machinefile ${values.machinefile} does not exist`);
  const optimization = (values.optimization ?? "all") as OptimizationLevel;
  if (!optimizationLevels.includes(optimization))
    throw new UsageError(
      `pipeline run: --optimization must be one of ${optimizationLevels.join(", ")}, got "${values.optimization}"`,
    );
  const saved = values.plan ? readPlan(values.plan) : null;
  const stages = saved ? saved.stages.length : positive(values.stages, "--stages", Number.NaN);
  if (!Number.isFinite(stages)) throw new UsageError("pipeline run: --stages K (or --plan FILE) is required");
  if (saved && values.stages !== undefined && Number(values.stages) !== stages)
    throw new UsageError(`pipeline run: --stages ${values.stages} disagrees with the plan's ${stages} stages`);
  const rows = readNpy(values.input).shape[0];
  const microbatches = positive(values.microbatches, "--microbatches", Math.min(rows, 8));
  const batch = positive(values.batch, "--batch", Math.max(1, Math.ceil(rows / microbatches)));
  // The partitioner needs measured times unless it only counts layers.
  const timed = !saved && (values.partitioner ?? "pipeedge") !== "equal";
  // Profile with the threads each stage will have: blocks scale differently with threads.
  const threads =
    values.threads === undefined
      ? defaultStageThreads(stages, !!values.machinefile)
      : positive(values.threads, "--threads", 1);
  const profile = await profileModel(file, {
    batch,
    repeats: timed ? positive(values.repeats, "--repeats", 5) : 0,
    threads: { intraOp: threads, interOp: 1 },
  });
  const devices = values.devices ? parseDevices(values.devices, totalmem()) : localDevices(stages, totalmem());
  const emulate =
    values["emulate-links"] === undefined
      ? undefined
      : positive(values["emulate-links"], "--emulate-links", 1000, false);
  // Over emulated links the plan assumes those links (veth latency is ~0.02 ms) unless told otherwise.
  const link =
    emulate !== undefined && values["bandwidth-mbps"] === undefined
      ? { bandwidthMbps: emulate, latencyMs: 0.02 }
      : linkFrom(values);
  const thePlan = saved ?? planProfile(profile, { stages, partitioner: values.partitioner, devices, link });
  const emulatedCluster = emulate === undefined ? undefined : createEmulatedCluster(stages, emulate);
  let result: Awaited<ReturnType<typeof runPipeline>>;
  try {
    result = await runPipeline({
      input: values.input,
      out: values.out,
      plan: thePlan,
      profile,
      microbatches,
      labels: values.labels ?? null,
      machinefile: values.machinefile,
      threads,
      preprocess: !values["no-preprocess"],
      optimization,
      root: packageRoot(),
      rebalance: values.rebalance ? defaultRebalanceConfig : null,
      window: values.window === undefined ? undefined : positive(values.window, "--window", 4),
      bindToCore: values["bind-to-core"],
      passes: positive(values.passes, "--passes", 1),
      emulatedCluster,
      devices,
      link,
    });
  } finally {
    emulatedCluster?.destroy();
  }
  if (values.json) {
    console.log(JSON.stringify({ model: file, plan: planJson(thePlan, batch), ...result }));
    return;
  }
  console.log(
    `${file}: ${result.stages} stage(s) over ${result.transport}: ${result.imagesPerSec.toFixed(1)} images/s, end-to-end ${result.endToEndMs.toFixed(2)} ms per micro-batch → ${values.out} [${result.outputShape.join(", ")}]`,
  );
  console.log(
    toTextTable(
      result.devices.map((d) => ({
        ...d,
        cpuMHz: d.cpuMHz ?? "unavailable",
        memoryPercent: d.memoryPercent ?? "unavailable",
        accuracy: d.accuracy ?? "",
      })),
    ),
  );
}

async function stage(argv: string[]): Promise<void> {
  if (argv.length !== 1)
    throw new UsageError("usage: edgelab pipeline stage JOB.json (started by edgelab pipeline run under mpiexec)");
  const job = JSON.parse(readFileSync(argv[0], "utf8")) as PipelineJob;
  const link = stageLink();
  let result: Awaited<ReturnType<typeof runStage>> = null;
  try {
    result = await runStage(job, link);
  } catch (err) {
    // Finalizing would leave the other stages waiting for this one: end the whole job.
    process.stderr.write(`edgelab: stage ${link.rank}: ${(err as Error).message}\n`);
    if (process.env.EDGELAB_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    link.abort(1);
  }
  if (result) console.log(JSON.stringify(result));
  link.finalize();
}

/** Runs `edgelab pipeline`. */
export async function pipelineCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const subcommands: Record<string, (a: string[]) => Promise<void>> = { cuts, plan, run, stage };
  const fn = sub ? subcommands[sub] : undefined;
  if (!fn) throw new UsageError(`pipeline: want cuts, plan or run, got ${sub ? `"${sub}"` : "nothing"}`);
  await fn(rest);
}
