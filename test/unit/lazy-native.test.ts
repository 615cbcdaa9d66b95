import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../helpers/paths";

const libBuild = join(repoRoot, "build", "lib");

/**
 * Requires `target` in a fresh Node process and lists what native code came with it: `.node`
 * addons in the module cache, and the JavaScript entries of the packages that wrap native
 * libraries or WebAssembly (onnxruntime-node, koffi, tfjs' wasm and node backends).
 */
function nativeLoadedBy(target: string): string[] {
  const probe = `
    require(${JSON.stringify(target)});
    const loaded = Object.keys(require.cache).filter((k) =>
      k.endsWith(".node") || /node_modules\\/(onnxruntime-node|koffi|@tensorflow\\/tfjs-backend-wasm|@tensorflow\\/tfjs-node)\\//.test(k));
    process.stdout.write(JSON.stringify(loaded));`;
  const child = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", cwd: repoRoot });
  assert.equal(child.status, 0, `${target}: ${child.stderr}`);
  return JSON.parse(child.stdout) as string[];
}

test("importing edgelab loads no native addon: onnxruntime, koffi and the wasm backend load on first use", () => {
  assert.deepEqual(nativeLoadedBy("edgelab"), []);
});

test("no sub-module loads a native addon on import either", () => {
  const folders = readdirSync(libBuild).filter((name) => statSync(join(libBuild, name)).isDirectory());
  assert.ok(folders.length >= 15, `found ${folders.length} folders under build/lib`);
  for (const folder of folders) {
    const entry = join(libBuild, folder, "index.js");
    const target = statSync(entry, { throwIfNoEntry: false }) ? entry : null;
    if (target === null) continue; // native/ has no public face: its adapters are imported by name
    assert.deepEqual(nativeLoadedBy(target), [], `lib/${folder}`);
  }
});

test("the lazy loader really loads onnxruntime-node when a session is wanted", () => {
  const probe = `
    const { onnxruntime } = require(${JSON.stringify(join(libBuild, "native", "onnxruntime.js"))});
    const before = Object.keys(require.cache).some((k) => k.endsWith(".node"));
    const ort = onnxruntime();
    const after = Object.keys(require.cache).some((k) => k.endsWith(".node"));
    process.stdout.write(JSON.stringify({ before, after, session: typeof ort.InferenceSession.create }));`;
  const child = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", cwd: repoRoot });
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), { before: false, after: true, session: "function" });
});
