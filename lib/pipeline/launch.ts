/**
 * Runs a layer-split pipeline: profile and plan (or take a saved plan), extract one ONNX model per
 * stage into a work folder, then start the stages — one rank per stage under the system `mpiexec`
 * (with a machinefile for a real cluster, whose nodes must see the work folder, e.g. over NFS as in
 * the seed-003 cluster), or in this process for a single stage.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { encodeModel } from "../deploy/onnx-builder";
import { describeMpiFailure } from "../parallel/watchdog";
import { extractStage } from "./extract";
import type { OptimizationLevel } from "../deploy/session";
import type { PipelineJob, PipelineResult } from "./job";
import { gigabitEthernet, localDevices } from "./devices";
import { SoloLink } from "./link";
import { partitioners, type DeviceSpec, type LinkModel, type Plan } from "./partition";
import type { EmulatedCluster } from "../cluster/emulated";
import type { ModelProfile } from "./profile";
import type { RebalanceConfig } from "./rebalance";
import { runStage } from "./runtime";

/** How to plan. */
export interface PlanOptions {
  stages: number;
  partitioner?: string;
  devices?: DeviceSpec[];
  link?: LinkModel;
}

/** Plans a profiled model. */
export function planProfile(profile: ModelProfile, options: PlanOptions): Plan {
  const partitioner = partitioners[options.partitioner ?? "pipeedge"];
  if (!partitioner)
    throw new Error(`unknown partitioner "${options.partitioner}"; choose ${Object.keys(partitioners).join(", ")}`);
  return partitioner.plan({
    blocks: profile.blocks,
    stages: options.stages,
    devices: options.devices ?? localDevices(options.stages, totalmem()),
    link: options.link ?? gigabitEthernet,
  });
}

/** A pipeline run. */
export interface PipelineRunOptions {
  input: string;
  out: string;
  /** A plan (e.g. from `pipeline plan --json`), else made here with `plan`. */
  plan: Plan;
  profile: ModelProfile;
  microbatches?: number;
  /** Stream the input this many times (default 1). */
  passes?: number;
  labels?: string | null;
  machinefile?: string;
  /** onnxruntime threads per stage (default: this machine's cores shared among the stages). */
  threads?: number;
  preprocess?: boolean;
  /** onnxruntime graph optimisation per stage (default "all"; "basic" is bit-identical to the whole model). */
  optimization?: OptimizationLevel;
  /** Re-plan while running when a stage slows down (null or absent: keep the plan). */
  rebalance?: RebalanceConfig | null;
  /** Micro-batches in flight at most (default 2 per stage). */
  window?: number;
  /** Devices and link the plan was made for (re-planning uses them). */
  devices?: DeviceSpec[];
  link?: LinkModel;
  /** Run each stage on a host of an emulated cluster (network namespaces, shaped links). */
  emulatedCluster?: EmulatedCluster;
  /** Pin each rank to a core (`mpiexec -bind-to core`): stages on one machine stop sharing cores. */
  bindToCore?: boolean;
  /** Where stage models and the job go (default: a new temporary folder). */
  workDir?: string;
  /** The edgelab checkout (for build/lib/cli/main.js under mpiexec). */
  root: string;
  timeoutSeconds?: number;
}

/** onnxruntime threads per stage: all cores on a cluster (one rank per node), else the cores shared. */
export function defaultStageThreads(stages: number, cluster: boolean): number {
  return cluster ? availableParallelism() : Math.max(1, Math.floor(availableParallelism() / stages));
}

/** Writes the stage models and the job file; returns the job. */
export function prepareJob(options: PipelineRunOptions): { job: PipelineJob; jobFile: string; dir: string } {
  const { profile } = options;
  const plan = normalizePlan(options.plan, profile);
  const dir = options.workDir ?? mkdtempSync(join(tmpdir(), "edgelab-pipeline-"));
  mkdirSync(dir, { recursive: true });
  const inputType = profile.types.get(profile.analysis.inputs[0])!;
  const stageFiles = plan.stages.map((s, k) => {
    const file = join(dir, `stage-${k}.onnx`);
    const stage = extractStage(
      profile.model,
      profile.analysis,
      { first: s.firstNode, last: s.lastNode },
      profile.types,
      `stage ${k}`,
    );
    writeFileSync(file, encodeModel(stage));
    return file;
  });
  // The model as profiled (weights re-initialised, say) is what every rank re-extracts from.
  const modelFile = join(dir, "model.onnx");
  writeFileSync(modelFile, encodeModel(profile.model));
  const typesFile = join(dir, "types.json");
  writeFileSync(typesFile, JSON.stringify([...profile.types]));
  const stages = plan.stages.length;
  const job: PipelineJob = {
    model: modelFile,
    stageFiles,
    plan,
    typesFile,
    blocks: profile.blocks,
    devices: options.devices ?? localDevices(stages, totalmem()),
    link: options.link ?? gigabitEthernet,
    rebalance: options.rebalance ?? null,
    window: options.window ?? 2 * stages,
    input: resolve(options.input),
    out: resolve(options.out),
    labels: options.labels ? resolve(options.labels) : null,
    microbatches: options.microbatches ?? 8,
    passes: options.passes ?? 1,
    fixedBatch: typeof inputType.dims[0] === "number" ? inputType.dims[0] : null,
    preprocess: options.preprocess ?? true,
    optimization: options.optimization ?? "all",
    threads: options.threads ?? defaultStageThreads(stages, !!options.machinefile),
  };
  const jobFile = join(dir, "job.json");
  writeFileSync(jobFile, JSON.stringify(job, null, 1));
  return { job, jobFile, dir };
}

/** Runs the stages: in this process for one stage without a machinefile, else under mpiexec. */
export async function runPipeline(options: PipelineRunOptions): Promise<PipelineResult> {
  const { job, jobFile, dir } = prepareJob(options);
  try {
    return await launch(options, job, jobFile);
  } finally {
    // A temporary work folder (stage models, job) goes; one the caller named stays.
    if (!options.workDir) rmSync(dir, { recursive: true, force: true });
  }
}

async function launch(options: PipelineRunOptions, job: PipelineJob, jobFile: string): Promise<PipelineResult> {
  const stages = job.stageFiles.length;
  if (stages === 1 && !options.machinefile && !options.emulatedCluster) return (await runStage(job, new SoloLink()))!;
  const cli = join(options.root, "build", "lib", "cli", "main.js");
  const stage = [process.execPath, cli, "pipeline", "stage", jobFile];
  const cluster = options.emulatedCluster;
  if (cluster && cluster.hosts.length < stages)
    throw new Error(`the emulated cluster has ${cluster.hosts.length} hosts for ${stages} stages`);
  const placement = options.machinefile ? ["-machinefile", options.machinefile] : [];
  const binding = options.bindToCore ? ["-bind-to", "core"] : [];
  // An emulated cluster: one MPMD section per stage, each started inside its host's namespace.
  const args = cluster
    ? [
        ...binding,
        ...Array.from({ length: stages }, (_, k) => [
          ...(k > 0 ? [":"] : []),
          "-n",
          "1",
          ...cluster.hostCommand(k),
          ...stage,
        ]).flat(),
      ]
    : ["-n", String(stages), ...placement, ...binding, ...stage];
  const run = spawnSync("mpiexec", args, {
    encoding: "utf8",
    timeout: (options.timeoutSeconds ?? 1800) * 1000,
    maxBuffer: 64 << 20,
  });
  if (run.error) throw new Error(`cannot run mpiexec: ${run.error.message} (npm run setup installs MPICH)`);
  // The result is the last JSON line (Hydra may print its teardown banner after it).
  const lastLine =
    run.stdout
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .pop() ?? "";
  if (run.status !== 0 && cluster && lastLine) {
    // Emulated ranks leave without MPI_Finalize (it hangs over UCX's TCP between namespaces), and
    // Hydra may then SIGKILL a rank still exiting. The last stage prints its result only after
    // every output is written and every stage reported, so a complete result stands.
    const result = JSON.parse(lastLine) as PipelineResult;
    if (result.missing === 0)
      return {
        ...result,
        cleanupWarning: `mpiexec exited with ${run.status} after the job completed (ranks of an emulated cluster skip MPI_Finalize)`,
      };
  }
  if (run.status !== 0) {
    const output = `${run.stdout}\n${run.stderr}`;
    if (process.env.EDGELAB_DEBUG) process.stderr.write(`mpiexec ${args.join(" ")}\n${output}\n`);
    // A stage that failed says why in one line; prefer it to mpiexec's report of the abort.
    const stageError = /edgelab: (stage \d+: [^\n]+)/.exec(output)?.[1];
    throw new Error(stageError ?? describeMpiFailure(stages, run.status, output));
  }
  return JSON.parse(lastLine) as PipelineResult;
}

/** Reads a plan saved from `pipeline plan --json`. */
export function readPlan(file: string): Plan {
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(file, "utf8")) as Plan;
  } catch (err) {
    throw new Error(`${file}: not a plan (${(err as Error).message.split("\n")[0]})`);
  }
  if (
    !plan ||
    !Array.isArray(plan.stages) ||
    plan.stages.some((s) => !Number.isInteger(s.firstNode) || !Number.isInteger(s.lastNode))
  ) {
    throw new Error(`${file}: not a plan (want the JSON of "edgelab pipeline plan --json")`);
  }
  return plan;
}

/**
 * Checks that a plan (possibly read from a file) covers every compute node once, in order, with
 * stage edges on the profile's block edges, and fills in its block indices and layer counts.
 */
export function normalizePlan(plan: Plan, profile: ModelProfile): Plan {
  const blockStarting = new Map(profile.blocks.map((b, i) => [b.first, i]));
  const blockEnding = new Map(profile.blocks.map((b, i) => [b.last, i]));
  const end = plan.stages.length ? plan.stages[plan.stages.length - 1].lastNode + 1 : 0;
  if (end !== profile.nodes)
    throw new Error(
      `the plan covers nodes 0..${end - 1} but the model has ${profile.nodes} compute nodes (a plan made for another model?)`,
    );
  let next = 0;
  const stages = plan.stages.map((s) => {
    if (s.firstNode !== next || s.lastNode < s.firstNode)
      throw new Error(
        `the plan's stages must cover nodes 0..${profile.nodes - 1} in order; a stage starts at ${s.firstNode}, expected ${next}`,
      );
    next = s.lastNode + 1;
    const firstBlock = blockStarting.get(s.firstNode);
    const lastBlock = blockEnding.get(s.lastNode);
    if (firstBlock === undefined || lastBlock === undefined)
      throw new Error(`stage ${s.firstNode}..${s.lastNode} does not start and end at valid cut points of this model`);
    return { ...s, firstBlock, lastBlock, layers: s.lastNode - s.firstNode + 1 };
  });
  return { ...plan, stages };
}
