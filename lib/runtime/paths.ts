/**
 * Where results go and which profile runs: the project root is found once from the working
 * directory (notebooks run in notebooks/), `EDGELAB_RESULTS` and `EDGELAB_PROFILE` override.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** quick: small data, minutes on a 2-core machine (the default); full: the real workloads. */
export type Profile = "quick" | "full";

/** The run profile from `EDGELAB_PROFILE` (default "quick"). */
export function profile(): Profile {
  const value = process.env.EDGELAB_PROFILE ?? "quick";
  if (value !== "quick" && value !== "full")
    throw new Error(`EDGELAB_PROFILE must be "quick" or "full", got "${value}"`);
  return value;
}

/** Picks the quick or full value for the running profile. */
export function byProfile<T>(values: { quick: T; full: T }): T {
  return values[profile()];
}

/**
 * The installed edgelab package: the folder holding its `package.json` and `build/`, wherever the
 * working directory is. What launchers hand to `mpiexec` so every rank starts the same CLI file.
 */
export function packageRoot(): string {
  // This file is build/lib/runtime/paths.js.
  return resolve(__dirname, "..", "..", "..");
}

let root: string | null = null;
/** The edgelab checkout containing the working directory (or the working directory itself). */
export function projectRoot(): string {
  if (root) return root;
  let dir = resolve(process.cwd());
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "edgelab") return (root = dir);
      } catch {
        // not a readable package.json: keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return (root = resolve(process.cwd()));
    dir = parent;
  }
}

/** A folder under results/ (`EDGELAB_RESULTS` replaces results/). */
export function resultsDir(...parts: string[]): string {
  return join(process.env.EDGELAB_RESULTS ?? join(projectRoot(), "results"), ...parts);
}
