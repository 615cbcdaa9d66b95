/**
 * Runs a layer-split pipeline: profile and plan (or take a saved plan), extract one ONNX model per
 * stage into a work folder, then start the stages — one rank per stage under the system `mpiexec`
 * (with a machinefile for a real cluster, whose nodes must see the work folder, e.g. over NFS as in
 * the seed-003 cluster), or in this process for a single stage.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { encodeModel } from "../deploy/onnx-builder";
import { describeMpiFailure } from "../dist/watchdog";
import { extractStage } from "./extract";
import type { OptimizationLevel, PipelineJob, PipelineResult } from "./job";
import { gigabitEthernet, localDevices } from "./devices";
import { SoloLink } from "./link";
import { partitioners, type DeviceSpec, type LinkModel, type Plan } from "./partition";
import type { ModelProfile } from "./profile";
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
  if (!partitioner) throw new Error(`unknown partitioner "${options.partitioner}"; choose ${Object.keys(partitioners).join(", ")}`);
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
  labels?: string | null;
  machinefile?: string;
  /** onnxruntime threads per stage (default: this machine's cores shared among the stages). */
  threads?: number;
  preprocess?: boolean;
  /** onnxruntime graph optimisation per stage (default "all"; "basic" is bit-identical to the whole model). */
  optimization?: OptimizationLevel;
  /** Where stage models and the job go (default: a new temporary folder). */
  workDir?: string;
  /** The edgelab checkout (for build/lib/cli/main.js under mpiexec). */
  root: string;
  timeoutSeconds?: number;
}

/** Writes the stage models and the job file; returns the job. */
export function prepareJob(options: PipelineRunOptions): { job: PipelineJob; jobFile: string } {
  const { profile, plan } = options;
  checkCoverage(plan, profile.nodes);
  const dir = options.workDir ?? mkdtempSync(join(tmpdir(), "edgelab-pipeline-"));
  mkdirSync(dir, { recursive: true });
  const inputType = profile.types.get(profile.analysis.inputs[0])!;
  const stageFiles = plan.stages.map((s, k) => {
    const file = join(dir, `stage-${k}.onnx`);
    const stage = extractStage(profile.model, profile.analysis, { first: s.firstNode, last: s.lastNode }, profile.types, `stage ${k}`);
    writeFileSync(file, encodeModel(stage));
    return file;
  });
  const inputDims = plan.stages.map((s) => {
    const name = s.firstNode === 0 ? profile.analysis.inputs[0] : profile.analysis.cuts.find((c) => c.position === s.firstNode - 1)?.tensor;
    const t = name ? profile.types.get(name) : undefined;
    if (!t) throw new Error(`stage starting at node ${s.firstNode} does not start at a valid cut`);
    return t.dims.slice(1).map((d) => (typeof d === "number" ? d : Number.NaN));
  });
  if (inputDims.some((dims) => dims.some((d) => !Number.isFinite(d)))) throw new Error(`${profile.file}: only the batch dimension may be symbolic`);
  const stages = plan.stages.length;
  const job: PipelineJob = {
    model: resolve(profile.file),
    stageFiles,
    layers: plan.stages.map((s) => s.layers),
    inputDims,
    input: resolve(options.input),
    out: resolve(options.out),
    labels: options.labels ? resolve(options.labels) : null,
    microbatches: options.microbatches ?? 8,
    fixedBatch: typeof inputType.dims[0] === "number" ? inputType.dims[0] : null,
    preprocess: options.preprocess ?? true,
    optimization: options.optimization ?? "all",
    threads: options.threads ?? (options.machinefile ? availableParallelism() : Math.max(1, Math.floor(availableParallelism() / stages))),
  };
  const jobFile = join(dir, "job.json");
  writeFileSync(jobFile, JSON.stringify(job, null, 1));
  return { job, jobFile };
}

/** Runs the stages: in this process for one stage without a machinefile, else under mpiexec. */
export async function runPipeline(options: PipelineRunOptions): Promise<PipelineResult> {
  const { job, jobFile } = prepareJob(options);
  const stages = job.stageFiles.length;
  if (stages === 1 && !options.machinefile) return (await runStage(job, new SoloLink()))!;
  const cli = join(options.root, "build", "lib", "cli", "main.js");
  const args = ["-n", String(stages), ...(options.machinefile ? ["-machinefile", options.machinefile] : []), process.execPath, cli, "pipeline", "stage", jobFile];
  const run = spawnSync("mpiexec", args, { encoding: "utf8", timeout: (options.timeoutSeconds ?? 1800) * 1000, maxBuffer: 64 << 20 });
  if (run.error) throw new Error(`cannot run mpiexec: ${run.error.message} (npm run setup installs MPICH)`);
  if (run.status !== 0) throw new Error(describeMpiFailure(stages, run.status, `${run.stdout}\n${run.stderr}`));
  const line = run.stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(line) as PipelineResult;
}

/** Reads a plan saved from `pipeline plan --json`. */
export function readPlan(file: string): Plan {
  const plan = JSON.parse(readFileSync(file, "utf8")) as Plan;
  if (!Array.isArray(plan.stages) || plan.stages.some((s) => !Number.isInteger(s.firstNode) || !Number.isInteger(s.lastNode))) {
    throw new Error(`${file}: not a plan (want the JSON of "edgelab pipeline plan --json")`);
  }
  return plan;
}

/** A plan must cover every compute node once, in order. */
function checkCoverage(plan: Plan, nodes: number): void {
  let next = 0;
  for (const s of plan.stages) {
    if (s.firstNode !== next || s.lastNode < s.firstNode) throw new Error(`the plan's stages must cover nodes 0..${nodes - 1} in order; a stage starts at ${s.firstNode}, expected ${next}`);
    next = s.lastNode + 1;
  }
  if (next !== nodes) throw new Error(`the plan covers nodes 0..${next - 1} but the model has ${nodes} compute nodes (a plan made for another model?)`);
}
