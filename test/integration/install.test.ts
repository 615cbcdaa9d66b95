/**
 * What a new user types first: a plain `npm ci` in a fresh clone, with no environment set up,
 * succeeds offline (npm registry only) — onnxruntime-node's install script would otherwise try to
 * download CUDA binaries from outside the registry; the project's .npmrc tells it to skip them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot, tempDir } from "../helpers/paths";

const isGitCheckout = existsSync(join(repoRoot, ".git"));

test(
  "a plain npm ci in a fresh clone succeeds and onnxruntime-node loads",
  { skip: !isGitCheckout && "not a git checkout" },
  () => {
    const clone = join(tempDir("edgelab-clone-"), "edgelab");
    const cloned = spawnSync("git", ["clone", "-q", repoRoot, clone], { encoding: "utf8" });
    assert.equal(cloned.status, 0, cloned.stderr);
    const env = { ...process.env };
    delete env.ONNXRUNTIME_NODE_INSTALL;
    for (const key of Object.keys(env)) if (key.toLowerCase().startsWith("npm_config_onnxruntime")) delete env[key];
    const ci = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], {
      cwd: clone,
      encoding: "utf8",
      env,
      timeout: 600_000,
    });
    assert.equal(ci.status, 0, `npm ci failed:\n${(ci.stderr || "").split("\n").slice(-8).join("\n")}`);
    const load = spawnSync(process.execPath, ["-e", "require('onnxruntime-node'); console.log('ok')"], {
      cwd: clone,
      encoding: "utf8",
    });
    assert.equal(load.stdout.trim(), "ok", load.stderr);
  },
);

const canApt = process.getuid?.() === 0 && spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
test(
  "npm run setup exits non-zero when a required package cannot be installed (and says which)",
  { skip: (!isGitCheckout && "not a git checkout") || (!canApt && "needs root and apt-get (Debian / Pi OS)") },
  () => {
    const clone = join(tempDir("edgelab-setup-"), "edgelab");
    assert.equal(spawnSync("git", ["clone", "-q", repoRoot, clone]).status, 0);
    // A kernel registered from this throwaway clone must not replace the real one.
    const env = {
      ...process.env,
      EDGELAB_SETUP_REQUIRE: "edgelab-no-such-package",
      JUPYTER_DATA_DIR: tempDir("edgelab-jupyter-"),
    };
    const setup = spawnSync("bash", ["scripts/setup.sh"], { cwd: clone, encoding: "utf8", env, timeout: 900_000 });
    assert.equal(setup.status, 1, setup.stdout);
    assert.match(setup.stderr, /setup: FAILED: required packages could not be installed: edgelab-no-such-package/);
  },
);

test(
  "npm start's outputs are never tracked: nothing under results/ is in git, and what the notebooks write is ignored",
  { skip: !isGitCheckout && "not a git checkout" },
  () => {
    const tracked = spawnSync("git", ["ls-files", "results"], { cwd: repoRoot, encoding: "utf8" });
    assert.equal(tracked.stdout.trim(), "", "tracked files under results/");
    const samples = [
      "results/federated/fedavg-partitions.csv",
      "results/notebooks/06-federated-vision.ipynb",
      "results/runs/mlp-x/checkpoints/latest.json",
      "results/layer-split/plans.csv",
    ];
    const ignored = spawnSync("git", ["check-ignore", "--no-index", ...samples], { cwd: repoRoot, encoding: "utf8" });
    assert.deepEqual(ignored.stdout.trim().split("\n"), samples);
  },
);
