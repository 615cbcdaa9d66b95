import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { probeLibrary } from "../../lib/runtime";
import { repoRoot, tempDir } from "../helpers/paths";

const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
const cli = join(repoRoot, "build", "lib", "cli", "main.js");

/** The fenced blocks of one language, in order. */
function blocks(language: string): string[] {
  return [...readme.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]);
}

/** Every command line of the README's bash blocks, comments removed. */
const commands = blocks("bash")
  .flatMap((block) => block.split("\n"))
  .map((line) => line.replace(/\s+#.*$/, "").trim())
  .filter((line) => line !== "");

test("the README stays a front page: at most 150 lines", () => {
  const lines = readme.split("\n").length;
  assert.ok(lines <= 150, `README.md has ${lines} lines`);
});

test("the README's npm commands are the ones CI runs (.ci/run runs setup and test; the notebook tests run start's job)", () => {
  const npm = commands.filter((c) => c.startsWith("npm "));
  assert.deepEqual(npm, ["npm run setup", "npm start", "npm test"]);
  const ci = readFileSync(join(repoRoot, ".ci", "run"), "utf8");
  assert.match(ci, /^npm run setup$/m);
  assert.match(ci, /^npm test$/m);
  assert.deepEqual(
    commands.filter((c) => !c.startsWith("npm ") && !c.startsWith("npx edgelab ")),
    [],
    "the README shows only npm and edgelab commands",
  );
});

test("every edgelab command in the README runs as shown and prints one JSON object", () => {
  const dir = tempDir("readme");
  const haveMpi = probeLibrary("mpi").library !== null;
  const edgelabLines = commands.filter((c) => c.startsWith("npx edgelab "));
  assert.ok(edgelabLines.length >= 4, "the README shows the CLI at a glance");
  for (const line of edgelabLines) {
    const args = line.slice("npx edgelab ".length).split(/\s+/);
    if (args.includes("--np") && !haveMpi) continue; // MPICH absent: mpi.test.ts says so and skips too
    const child = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: "utf8", timeout: 300_000 });
    assert.equal(child.status, 0, `${line}\n${child.stderr}`);
    const out = child.stdout.trim();
    assert.equal(out.split("\n").length, 1, `${line}: one line of JSON`);
    assert.equal(typeof JSON.parse(out), "object", line);
  }
});

test("the README's library example runs against the built package", () => {
  const [source] = blocks("ts");
  assert.ok(source, "the README has a TypeScript example");
  // Top-level await is what a notebook cell or an ES module allows; CommonJS needs the async wrapper.
  const body = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const js = `(async () => {\n${body}\n})().catch((e) => { console.error(e); process.exit(1); });`;
  const child = spawnSync(process.execPath, ["-e", js], { cwd: repoRoot, encoding: "utf8", timeout: 120_000 });
  assert.equal(child.status, 0, child.stderr);
  const [images, shardSize, accuracy] = child.stdout.trim().split(/\s+/).map(Number);
  assert.ok(images > 0, child.stdout);
  assert.equal(shardSize, Math.ceil((images - 1) / 4), "rank 1 of 4 holds every fourth image from index 1");
  assert.ok(accuracy >= 0 && accuracy <= 1, child.stdout);
});
