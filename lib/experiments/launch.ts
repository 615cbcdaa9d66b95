/**
 * Launches `edgelab train --distributed` under the system `mpiexec` (with an optional
 * machinefile, as in the paper) and returns root's JSON summary. What notebooks and sweeps use to
 * run real MPI jobs from one process.
 */
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import type { RunSummary } from "./run-training";
import { describeMpiFailure } from "../parallel/watchdog";

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
  summary: RunSummary & {
    history: { cpuPercent: number; meanStepSeconds: number; seconds: number; samplesPerSec: number }[];
  };
  launchSeconds: number;
}

/**
 * The mpiexec command line that runs `edgelab ARGS` on `np` ranks. It starts node on the CLI's
 * file directly: a wrapper such as npx in between would close MPICH's PMI descriptor.
 */
export function mpiexecCommand(np: number, root: string, cliArgs: string[], machinefile?: string): string[] {
  const cli = join(root, "build", "lib", "cli", "main.js");
  return [
    "mpiexec",
    "-n",
    String(np),
    ...(machinefile ? ["-machinefile", machinefile] : []),
    process.execPath,
    cli,
    ...cliArgs,
  ];
}

/** Runs `edgelab ARGS` under mpiexec with this terminal attached; resolves with its exit code. */
export function runUnderMpiexec(np: number, root: string, cliArgs: string[], machinefile?: string): Promise<number> {
  const [cmd, ...args] = mpiexecCommand(np, root, cliArgs, machinefile);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: "inherit" });
    child.on("error", (err) => reject(new Error(`cannot run mpiexec: ${err.message} (npm run setup installs MPICH)`)));
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Runs one job; throws with mpiexec's last lines when it fails. */
export function launchMpiTraining(job: MpiLaunch): MpiLaunchResult {
  const [cmd, ...args] = mpiexecCommand(
    job.np,
    job.root,
    ["train", "--distributed", ...job.trainArgs, "--json"],
    job.machinefile,
  );
  const t0 = performance.now();
  const run = spawnSync(cmd, args, {
    encoding: "utf8",
    timeout: (job.timeoutSeconds ?? 1800) * 1000,
    maxBuffer: 64 << 20,
  });
  const launchSeconds = (performance.now() - t0) / 1000;
  if (run.error) throw new Error(`cannot run mpiexec: ${run.error.message} (npm run setup installs MPICH)`);
  if (run.status !== 0) throw new Error(describeMpiFailure(job.np, run.status, `${run.stdout}\n${run.stderr}`));
  const line = run.stdout.trim().split("\n").pop() ?? "";
  return { summary: JSON.parse(line), launchSeconds };
}
