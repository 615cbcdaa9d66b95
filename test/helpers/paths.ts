/** Shared test helpers: fixture paths and temporary folders removed after the test. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after } from "node:test";

/** The repository root (tests run from build/test/…). */
export const repoRoot = resolve(__dirname, "..", "..", "..");
/** A committed fixture file. */
export const fixture = (...parts: string[]): string => join(repoRoot, "test", "fixtures", ...parts);

/** A fresh temporary folder, deleted when the test file finishes. */
export function tempDir(prefix = "edgelab-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
