/**
 * Launches `edgelab train --distributed` under the system `mpiexec` (with an optional
 * machinefile, as in the paper) and returns root's JSON summary. What notebooks and sweeps use to
 * run real MPI jobs from one process.
 */
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import type { RunSummary } from "./run-training";
import { LauncherOutputFilter } from "../parallel/launcher-output";
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

/** How a job started with {@link runUnderMpiexec} ended. */
export interface MpiexecExit {
  /** mpiexec's exit code. */
  code: number;
  /**
   * When the job failed and no rank said why (a rank killed by a signal, a native crash): one line
   * naming the rank and how it ended, in place of Hydra's banner and UCX's backtraces.
   */
  failure?: string;
}

/** Lines of output kept for describing a failure (Hydra's banner and a rank's last words fit easily). */
const tailLines = 400;

/**
 * Runs `edgelab ARGS` under mpiexec: the ranks' output streams through as they print it; the
 * launcher's own noise (Hydra's termination banner, UCX backtraces) is held back and summarised in
 * {@link MpiexecExit.failure}.
 */
export function runUnderMpiexec(
  np: number,
  root: string,
  cliArgs: string[],
  machinefile?: string,
): Promise<MpiexecExit> {
  const [cmd, ...args] = mpiexecCommand(np, root, cliArgs, machinefile);
  const json = cliArgs.includes("--json");
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["inherit", "pipe", "pipe"] });
    const tail: string[] = [];
    let rankSaidWhy = false;
    let rankPrintedJsonError = false;
    const relay = (from: NodeJS.ReadableStream, to: NodeJS.WriteStream): void => {
      const filter = new LauncherOutputFilter();
      let pending = "";
      let blanks = 0;
      const emit = (line: string): void => {
        tail.push(line);
        if (tail.length > 2 * tailLines) tail.splice(0, tail.length - tailLines);
        // Blank lines wait for the next shown line: Hydra's banner starts with one.
        if (line.trim() === "") return void blanks++;
        if (!filter.accept(line)) return void (blanks = 0);
        to.write("\n".repeat(blanks));
        blanks = 0;
        if (to === process.stderr && line.startsWith("edgelab: ")) rankSaidWhy = true;
        if (to === process.stdout && line.startsWith('{"error":')) rankPrintedJsonError = true;
        to.write(`${line}\n`);
      };
      from.setEncoding("utf8");
      from.on("data", (chunk: string) => {
        const lines = (pending + chunk).split("\n");
        pending = lines.pop() ?? "";
        lines.forEach(emit);
      });
      from.on("end", () => pending && emit(pending));
    };
    relay(child.stdout, process.stdout);
    relay(child.stderr, process.stderr);
    child.on("error", (err) => reject(new Error(`cannot run mpiexec: ${err.message} (npm run setup installs MPICH)`)));
    child.on("close", (status, signal) => {
      const code = status ?? (signal ? 128 : 1);
      const explained = rankSaidWhy && (rankPrintedJsonError || !json);
      resolve(code === 0 || explained ? { code } : { code, failure: describeMpiFailure(np, code, tail.join("\n")) });
    });
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
