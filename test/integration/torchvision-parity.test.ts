/**
 * The zoo against torchvision itself (when the PyTorch peer is installed): torchvision builds each
 * model and writes its state dict, an input and its eval-mode logits; edgelab loads the weights by
 * module path into its own model and must give the same logits within 1e-4.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { readNpz } from "../../lib/deploy/npz";
import { loadTorchStateDict, type TorchArray } from "../../lib/models/torch-weights";
import { visionZoo } from "../../lib/models/vision-zoo";
import { pythonHasModule, systemPython, useBackend } from "../../lib/runtime";
import { repoRoot, tempDir } from "../helpers/paths";

const haveTorch = pythonHasModule("torchvision");
const dir = tempDir("edgelab-tv-");
const script = join(repoRoot, "bench", "peers", "torchvision_reference.py");

for (const [name, zoo] of Object.entries(visionZoo)) {
  for (const [size, classes, batch] of [
    [224, 1000, 1],
    [97, 10, 2],
  ]) {
    test(
      `${name} at ${size}×${size}, ${classes} classes: torchvision's weights give torchvision's logits (≤ 1e-4)`,
      { skip: !haveTorch && "the PyTorch peer (python3-torchvision) is not installed: npm run setup -- --peers" },
      async (t) => {
        await useBackend("wasm");
        const file = join(dir, `${name}-${size}.npz`);
        const ref = spawnSync(
          systemPython(),
          [script, zoo.torchvision, String(size), String(classes), String(batch), file],
          {
            encoding: "utf8",
            env: { ...process.env, OMP_NUM_THREADS: "2" },
          },
        );
        assert.equal(ref.status, 0, ref.stderr);
        const info = JSON.parse(ref.stdout.trim()) as { parameters: number; outputAbsMax: number };
        const arrays = readNpz(file);
        const state = new Map<string, TorchArray>();
        for (const [key, a] of arrays) state.set(key, { shape: a.shape, data: a.data as Float32Array });
        const model = zoo.build({ inputShape: [size, size, 3], classes, seed: 0 });
        if (classes === 1000) assert.equal(info.parameters, zoo.parameters);
        const used = loadTorchStateDict(model, state);
        assert.equal(used, model.weights.length);
        const input = state.get("__input__")!;
        const expected = state.get("__output__")!;
        const logits = tf.tidy(() => {
          const x = tf.transpose(tf.tensor(input.data, input.shape), [0, 2, 3, 1]);
          return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
        });
        let worst = 0;
        logits.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected.data[i]))));
        model.dispose();
        t.diagnostic(`max |difference| ${worst.toExponential(2)}, logits up to ${info.outputAbsMax.toFixed(2)}`);
        assert.equal(logits.length, expected.data.length);
        assert.ok(
          worst <= 1e-4 * Math.min(1, info.outputAbsMax),
          `max |edgelab − torchvision| = ${worst.toExponential(2)} (logits up to ${info.outputAbsMax.toFixed(2)})`,
        );
      },
    );
  }
}
