/**
 * Launches `edgelab train --distributed` under the system `mpiexec` (with an optional
 * machinefile, as in the paper) and returns root's JSON summary. What notebooks and sweeps use to
 * run real MPI jobs from one process.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { RunSummary } from "../train/run";
import { describeMpiFailure } from "./watchdog";

/** One MPI launch. */
export interface MpiLaunch {
  np: number;
  /** `edgelab train` arguments (without --distributed/--json, which are added). */
  trainArgs: string[];
  machinefile?: string;
  /** The edgelab checkout (for build/lib/cli/main.js). */
  root: string;
  timeoutSeconds?: number;
}

/** The root summary plus the wall time of the whole launch (mpiexec start-up included). */
export interface MpiLaunchResult {
  summary: RunSummary & { history: { cpuPercent: number; meanStepSeconds: number; seconds: number; samplesPerSec: number }[] };
  launchSeconds: number;
}

/** Runs one job; throws with mpiexec's last lines when it fails. */
export function launchMpiTraining(job: MpiLaunch): MpiLaunchResult {
  const cli = join(job.root, "build", "lib", "cli", "main.js");
  const args = ["-n", String(job.np), ...(job.machinefile ? ["-machinefile", job.machinefile] : []), process.execPath, cli, "train", "--distributed", ...job.trainArgs, "--json"];
  const t0 = performance.now();
  const run = spawnSync("mpiexec", args, { encoding: "utf8", timeout: (job.timeoutSeconds ?? 1800) * 1000, maxBuffer: 64 << 20 });
  const launchSeconds = (performance.now() - t0) / 1000;
  if (run.error) throw new Error(`cannot run mpiexec: ${run.error.message} (npm run setup installs MPICH)`);
  if (run.status !== 0) throw new Error(describeMpiFailure(job.np, run.status, `${run.stdout}\n${run.stderr}`));
  const line = run.stdout.trim().split("\n").pop() ?? "";
  return { summary: JSON.parse(line), launchSeconds };
}
