/** Running the built `edgelab` CLI in tests: exit code and output, the --json contract, one-line failures. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "./paths";

const cli = join(repoRoot, "build", "lib", "cli", "main.js");

/** Runs `edgelab ARGS` with extra environment variables. */
export function edgelabWith(
  env: Record<string, string>,
  ...args: string[]
): { code: number; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [cli, ...args], {
    encoding: "utf8",
    cwd: repoRoot,
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

/** Runs `edgelab ARGS`. */
export function edgelab(...args: string[]): { code: number; stdout: string; stderr: string } {
  return edgelabWith({}, ...args);
}

/** A --json command prints exactly one JSON object. */
export function json(...args: string[]): Record<string, any> {
  const run = edgelab(...args, "--json");
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim().split("\n").length, 1, "one line of output");
  return JSON.parse(run.stdout);
}

/** A failing command prints one line naming the file, and no stack trace. */
export function fails(pattern: RegExp, ...args: string[]): void {
  const run = edgelab(...args);
  assert.notEqual(run.code, 0);
  assert.equal(run.stdout, "");
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line, got:\n${run.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(run.stderr, /^\s+at /m);
}
