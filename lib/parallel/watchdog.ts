/**
 * A watchdog for blocking MPI collectives. MPI calls block the JS thread inside libmpi, so a rank
 * whose peer hangs (stuck, stopped, or cut off) would wait forever. A worker thread — which keeps
 * running while the main thread is blocked — watches a shared "in collective since" clock; past the
 * timeout it prints one line naming this rank, the collective and how long it waited, and
 * terminates the process. mpiexec then tears the whole job down and exits non-zero: never a silent
 * hang. (A rank that dies outright is detected by mpiexec itself, and edgelab's ranks say on
 * exit which one left early; {@link describeMpiFailure} turns either report into one line.)
 */
import { Worker } from "node:worker_threads";

/** Seconds a collective may block before the job is aborted: `EDGELAB_MPI_TIMEOUT`, default 600. */
export function collectiveTimeoutSeconds(): number {
  const v = Number(process.env.EDGELAB_MPI_TIMEOUT);
  return Number.isFinite(v) && v > 0 ? v : 600;
}

const LABEL_BYTES = 200;

const workerSource = `
const { workerData } = require("node:worker_threads");
const fs = require("node:fs");
const state = new Float64Array(workerData.state);
const label = new Uint8Array(workerData.label);
const { rank, timeoutMs } = workerData;
setInterval(() => {
  const since = state[0];
  if (since > 0 && Date.now() - since > timeoutMs) {
    const what = Buffer.from(label).toString("utf8").replace(/\\0+$/, "");
    fs.writeSync(2, "edgelab: rank " + rank + " waited " + ((Date.now() - since) / 1000).toFixed(0) + " s in " + what + " without the other ranks: a rank died or hung; aborting the MPI job (EDGELAB_MPI_TIMEOUT=" + (timeoutMs / 1000) + " s)\\n");
    process.kill(process.pid, "SIGTERM");
    setTimeout(() => process.kill(process.pid, "SIGKILL"), 2000);
  }
}, Math.min(1000, Math.max(50, timeoutMs / 10))); // ref'd: it is what keeps this thread alive (the Worker itself is unref'd)
`;

/** Arms around each blocking collective; one per process. */
export class CollectiveWatchdog {
  private readonly state = new Float64Array(new SharedArrayBuffer(8));
  private readonly label = new Uint8Array(new SharedArrayBuffer(LABEL_BYTES));
  private readonly worker: Worker;

  constructor(
    readonly rank: number,
    readonly timeoutSeconds: number = collectiveTimeoutSeconds(),
  ) {
    this.worker = new Worker(workerSource, {
      eval: true,
      workerData: { state: this.state.buffer, label: this.label.buffer, rank, timeoutMs: timeoutSeconds * 1000 },
    });
    this.worker.unref();
  }

  /** Runs `fn` (a blocking collective) under the watchdog. */
  guard<T>(what: string, fn: () => T): T {
    const bytes = Buffer.from(what.slice(0, LABEL_BYTES - 1), "utf8");
    this.label.fill(0);
    this.label.set(bytes.subarray(0, LABEL_BYTES - 1));
    this.state[0] = Date.now();
    try {
      return fn();
    } finally {
      this.state[0] = 0;
    }
  }

  /** Stops the watchdog thread. */
  stop(): void {
    void this.worker.terminate();
  }
}

/**
 * One line from a failed mpiexec run: names the rank that died and how (MPICH's "BAD
 * TERMINATION … RANK n PID p … EXIT CODE / KILLED BY SIGNAL"), or edgelab's watchdog line, else
 * the last lines of output.
 */
export function describeMpiFailure(np: number, status: number | null, output: string): string {
  const watchdog = /edgelab: rank \d+ waited [^\n]+/.exec(output)?.[0];
  if (watchdog) return watchdog.replace(/^edgelab: /, "");
  const early = /edgelab: rank (\d+) exited with code (\d+)/.exec(output);
  if (early) return `rank ${early[1]} ended abnormally: exit code: ${early[2]}; mpiexec stopped the other ranks`;
  const bad = /RANK (\d+) PID (\d+) RUNNING AT ([^\s]+)[\s\S]*?(EXIT CODE: \d+|KILLED BY SIGNAL: \d+[^\n=]*)/.exec(
    output,
  );
  if (bad)
    return `rank ${bad[1]} (pid ${bad[2]} on ${bad[3]}) ended abnormally: ${bad[4].trim().toLowerCase()}; mpiexec stopped the other ranks`;
  // Newer Hydra banners name the process but not its rank.
  const pid = /PID (\d+) RUNNING AT ([^\s]+)[\s\S]*?(EXIT CODE: \d+)/.exec(output);
  if (pid) {
    const how = /EXIT STRING: ([^\n]+?)\.?\s*$/m.exec(output)?.[1] ?? pid[3];
    return `a rank (pid ${pid[1]} on ${pid[2]}) ended abnormally: ${how.trim().toLowerCase()}; mpiexec stopped the other ranks`;
  }
  const lines = output
    .trim()
    .split("\n")
    .filter((l) => l.trim() && !/^=+$/.test(l.trim()));
  return `mpiexec -n ${np} failed (exit ${status}): ${lines.slice(-4).join(" | ")}`;
}
