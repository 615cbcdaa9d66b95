/**
 * An exclusive lock on an output folder: two runs writing one folder would interleave their
 * checkpoints and both exit 0. The lock is a file created with O_EXCL holding the owner's PID and
 * host; a lock whose process is gone (kill -9, power loss) is stale and taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

/** The lock file's name inside the folder. */
export const lockFileName = ".edgelab.lock";

interface Owner {
  pid: number;
  host: string;
  since: string;
}

function readOwner(file: string): Owner | null {
  try {
    const owner = JSON.parse(readFileSync(file, "utf8")) as Partial<Owner>;
    return typeof owner.pid === "number" && typeof owner.host === "string"
      ? { pid: owner.pid, host: owner.host, since: String(owner.since ?? "?") }
      : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Locks `dir` (created if needed) for this process; returns the release function (also run at
 * process exit). Throws, naming the folder and the holder's PID, when another live process holds it.
 */
export function lockFolder(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, lockFileName);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
      const owner = readOwner(file);
      if (owner && owner.pid !== process.pid && (owner.host !== hostname() || alive(owner.pid))) {
        const where = owner.host === hostname() ? "" : ` on ${owner.host}`;
        throw new Error(
          `${dir}: in use by another edgelab run (PID ${owner.pid}${where}, since ${owner.since}); choose another --out or wait for it to finish`,
        );
      }
      unlinkSync(file); // stale: its process is gone
    }
  }
  const release = (): void => {
    try {
      if (readOwner(file)?.pid === process.pid) unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.once("exit", release);
  return () => {
    process.removeListener("exit", release);
    release();
  };
}
