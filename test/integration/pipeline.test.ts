/**
 * Layer-split inference end to end: `edgelab pipeline cuts|plan|run` on an edgelab-exported
 * SqueezeNet (always) and on torchvision-exported MobileNetV2 and SqueezeNet 1.1 (when the PyTorch
 * peer is installed), with real `mpiexec` ranks as stages. Outputs must equal `run-onnx` on the
 * whole model bit for bit at the same batch and optimisation level.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import "../../lib/runtime/tfjs";
import { emulationUnavailable } from "../../lib/cluster";
import { encodeNpy, exportToOnnx, readNpy } from "../../lib/deploy";
import { buildSqueezeNet } from "../../lib/models";
import { Rng } from "../../lib/random";
import { probeLibrary, pythonHasModule, systemPython } from "../../lib/runtime";
import { edgelab, fails, json } from "../helpers/cli";
import { repoRoot, tempDir } from "../helpers/paths";

const haveMpi = existsSync("/usr/bin/mpiexec") && probeLibrary("mpi").library !== null;
const haveTorch = pythonHasModule("torchvision");
const dir = tempDir("edgelab-pipeline-");

function inputs(file: string, rows: number, shape: number[], seed: number): void {
  const rng = new Rng(seed);
  const data = Float32Array.from({ length: rows * shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
  writeFileSync(file, encodeNpy({ dtype: "float32", shape: [rows, ...shape], data }));
}

/** Runs the model whole (run-onnx) and split into 2 and 3 stages; returns the per-run JSON. */
function splitEqualsWhole(model: string, x: string, rows: number, microbatches: number): Record<string, any>[] {
  const batch = String(rows / microbatches);
  const reference = join(dir, "whole.npy");
  json("run-onnx", model, "--input", x, "--out", reference, "--batch", batch, "--optimization", "basic");
  const want = readNpy(reference);
  const runs: Record<string, any>[] = [];
  for (const stages of ["2", "3"]) {
    const out = join(dir, `split-${stages}.npy`);
    const run = json(
      "pipeline",
      "run",
      model,
      "--stages",
      stages,
      "--input",
      x,
      "--out",
      out,
      "--microbatches",
      String(microbatches),
      "--optimization",
      "basic",
    );
    const got = readNpy(out);
    assert.deepEqual(got.shape, want.shape);
    assert.ok(
      Buffer.from(got.data.buffer).equals(Buffer.from(want.data.buffer)),
      `${stages} stages: outputs differ from the whole model`,
    );
    assert.equal(run.devices.length, Number(stages));
    runs.push(run);
  }
  return runs;
}

test("pipeline cuts and plan on an edgelab-exported SqueezeNet: the --json contract, plans that cover the model", async () => {
  const model = join(dir, "squeezenet32.onnx");
  writeFileSync(model, exportToOnnx(buildSqueezeNet({ seed: 3 }), { modelName: "squeezenet" }));
  const cuts = json("pipeline", "cuts", model, "--batch", "4");
  assert.equal(cuts.model, model);
  assert.ok(cuts.cuts.length >= 8, `a SqueezeNet has a cut after every fire module (${cuts.cuts.length})`);
  for (const c of cuts.cuts) for (const key of ["position", "tensor", "bytes"]) assert.ok(key in c, key);
  const first = cuts.cuts.find((c: { usable: boolean }) => c.usable);
  assert.equal(
    first.bytes,
    4 * first.shape.slice(1).reduce((a: number, b: number) => a * b, 4),
    "bytes = 4 × elements at batch 4",
  );
  for (const partitioner of ["equal", "pipeedge", "latency"]) {
    const plan = json("pipeline", "plan", model, "--stages", "3", "--partitioner", partitioner, "--repeats", "2");
    for (const key of ["partitioner", "stages", "bottleneckMs", "predictedImagesPerSec"]) assert.ok(key in plan, key);
    assert.equal(plan.partitioner, partitioner);
    assert.equal(plan.stages.length, 3);
    for (const s of plan.stages)
      for (const key of ["firstNode", "lastNode", "computeMs", "transferMs", "memoryMB"]) assert.ok(key in s, key);
    assert.equal(plan.stages[0].firstNode, 0);
    assert.equal(plan.stages[1].firstNode, plan.stages[0].lastNode + 1);
    assert.equal(plan.stages[2].lastNode, cuts.nodes - 1);
  }
  // Over a 1 Mbit/s link the DP cuts where the activation is small; the equal split pays for its big one.
  const slow = ["--stages", "2", "--bandwidth-mbps", "1", "--repeats", "2"];
  const dp = json("pipeline", "plan", model, ...slow);
  const equal = json("pipeline", "plan", model, ...slow, "--partitioner", "equal");
  assert.ok(equal.stages[0].transferMs > 20, `equal split sends ${equal.stages[0].transferMs} ms`);
  assert.ok(dp.bottleneckMs < equal.bottleneckMs / 5, `DP ${dp.bottleneckMs} ms vs equal ${equal.bottleneckMs} ms`);
  fails(
    /not-a-model\.onnx: not a valid ONNX model/,
    "pipeline",
    "cuts",
    (writeFileSync(join(dir, "not-a-model.onnx"), "hello"), join(dir, "not-a-model.onnx")),
  );
  fails(/--stages K is required/, "pipeline", "plan", model);
  fails(/--devices: cannot read "pi4:x"/, "pipeline", "plan", model, "--stages", "2", "--devices", "pi4:x");
});

test(
  "pipeline run under mpiexec: 1, 2 and 3 stages of an edgelab-exported SqueezeNet equal run-onnx bit for bit",
  { skip: !haveMpi && "MPICH is not installed" },
  () => {
    const model = join(dir, "squeezenet32-run.onnx");
    writeFileSync(model, exportToOnnx(buildSqueezeNet({ seed: 4 }), { modelName: "squeezenet" }));
    const x = join(dir, "x32.npy");
    inputs(x, 12, [32, 32, 3], 1);
    const [two, three] = splitEqualsWhole(model, x, 12, 4);
    for (const key of ["outputShape", "imagesPerSec", "endToEndMs", "devices"]) assert.ok(key in two, key);
    assert.deepEqual(two.outputShape, [12, 10]);
    assert.match(two.transport, /^mpi/);
    const device = three.devices[1];
    for (const key of [
      "stage",
      "host",
      "imagesPerSec",
      "networkLatencyMs",
      "inferenceMsPerImage",
      "inferenceMsPerBatch",
      "cpuPercent",
      "cpuMHz",
      "memoryPercent",
      "batchSize",
      "layers",
    ])
      assert.ok(key in device, key);
    assert.equal(device.batchSize, 3);
    assert.equal(device.microbatches, 4);
    assert.equal(
      three.devices.reduce((s: number, d: { layers: number }) => s + d.layers, 0),
      three.plan.stages.reduce((s: number, d: { layers: number }) => s + d.layers, 0),
    );
    assert.ok(three.devices[0].networkLatencyMs > 0 && three.devices[2].networkLatencyMs === null);
    // A saved plan is replayed; a plan for another model is refused.
    const planFile = join(dir, "plan.json");
    writeFileSync(
      planFile,
      edgelab("pipeline", "plan", model, "--stages", "2", "--partitioner", "equal", "--json").stdout,
    );
    const replay = json(
      "pipeline",
      "run",
      model,
      "--plan",
      planFile,
      "--input",
      x,
      "--out",
      join(dir, "replay.npy"),
      "--optimization",
      "basic",
      "--microbatches",
      "4",
    );
    assert.deepEqual(
      replay.plan.stages.map((s: { lastNode: number }) => s.lastNode),
      JSON.parse(readFileSync(planFile, "utf8")).stages.map((s: { lastNode: number }) => s.lastNode),
    );
    // One stage runs in-process; labels give accuracy.
    const labels = join(dir, "labels.npy");
    writeFileSync(labels, encodeNpy({ dtype: "int64", shape: [12], data: new BigInt64Array(12) }));
    const one = json(
      "pipeline",
      "run",
      model,
      "--stages",
      "1",
      "--input",
      x,
      "--out",
      join(dir, "one.npy"),
      "--labels",
      labels,
    );
    assert.equal(one.transport, "self");
    assert.ok(one.devices[0].accuracy >= 0 && one.devices[0].accuracy <= 1);
    const other = join(dir, "mlp-plan.json");
    writeFileSync(other, JSON.stringify({ partitioner: "equal", stages: [{ firstNode: 0, lastNode: 2 }] }));
    const wrong = join(dir, "wrong-shape.npy");
    inputs(wrong, 4, [28, 28, 1], 9);
    fails(
      /stage 0: .*wrong-shape\.npy: expected rows of shape \[32, 32, 3\], got \[28, 28, 1\]/,
      "pipeline",
      "run",
      model,
      "--stages",
      "2",
      "--input",
      wrong,
      "--out",
      join(dir, "never.npy"),
    );
    fails(
      /the plan covers nodes 0\.\.2 but the model has \d+ compute nodes/,
      "pipeline",
      "run",
      model,
      "--plan",
      other,
      "--input",
      x,
      "--out",
      join(dir, "never.npy"),
    );
    assert.equal(existsSync(join(dir, "never.npy")), false, "nothing written on failure");
  },
);

test(
  "pipeline run on torchvision-exported MobileNetV2 and SqueezeNet 1.1: 2 and 3 stages equal run-onnx",
  {
    skip:
      (!haveMpi && "MPICH is not installed") ||
      (!haveTorch && "the PyTorch peer (python3-torchvision) is not installed: npm run setup -- --peers"),
  },
  () => {
    const script = [
      "import sys, torch, torchvision",
      "torch.manual_seed(0)",
      "for name in sys.argv[2:]:",
      "    m = getattr(torchvision.models, name)(weights=None).eval()",
      "    torch.onnx.export(m, torch.randn(1, 3, 224, 224), f'{sys.argv[1]}/{name}.onnx', input_names=['input'], output_names=['logits'],",
      "                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=13)",
    ].join("\n");
    const exported = spawnSync(systemPython(), ["-c", script, dir, "mobilenet_v2", "squeezenet1_1"], {
      encoding: "utf8",
    });
    assert.equal(exported.status, 0, exported.stderr);
    const x = join(dir, "x224.npy");
    inputs(x, 4, [3, 224, 224], 2);
    for (const name of ["mobilenet_v2", "squeezenet1_1"]) splitEqualsWhole(join(dir, `${name}.onnx`), x, 4, 2);
  },
);

test(
  "dynamic re-partitioning: a CPU hog on stage 1's core, the controller moves layers to stage 0, every request answered once",
  {
    skip:
      (!haveMpi && "MPICH is not installed") ||
      (availableParallelism() < 2 && "needs 2 cores (one per stage)") ||
      (!existsSync("/usr/bin/taskset") && "taskset is not installed"),
  },
  (t) => {
    const model = join(dir, "squeezenet96.onnx");
    writeFileSync(
      model,
      exportToOnnx(buildSqueezeNet({ seed: 5, inputShape: [96, 96, 3] }), { modelName: "squeezenet" }),
    );
    const x = join(dir, "x96.npy");
    inputs(x, 240, [96, 96, 3], 3);
    const whole = join(dir, "whole96.npy");
    json("run-onnx", model, "--input", x, "--out", whole, "--batch", "16", "--optimization", "basic");
    const common = [
      "--stages",
      "2",
      "--input",
      x,
      "--microbatches",
      "15",
      "--passes",
      "40",
      "--bind-to-core",
      "--optimization",
      "basic",
      "--json",
    ];
    const underHog = (extra: string[]): { result: Record<string, any>; hogAtMs: number } => {
      // Two busy processes pinned to core 1, where mpiexec -bind-to core puts stage 1, from 2.5 s after
      // launch: stage 1 keeps a third of its core.
      const launchedAt = Date.now();
      const busy = "taskset -c 1 node -e 'for(;;){}'";
      const hog = spawn("sh", ["-c", `sleep 2.5; ${busy} & exec ${busy}`], { stdio: "ignore", detached: true });
      try {
        const out = join(dir, `y96${extra.join("")}.npy`);
        const run = spawnSync(
          process.execPath,
          [join(repoRoot, "build/lib/cli/main.js"), "pipeline", "run", model, ...common, "--out", out, ...extra],
          { encoding: "utf8", maxBuffer: 64 << 20 },
        );
        assert.equal(run.status, 0, run.stderr);
        const result = JSON.parse(run.stdout);
        assert.ok(
          Buffer.from(readNpy(out).data.buffer).equals(Buffer.from(readNpy(whole).data.buffer)),
          "outputs equal run-onnx",
        );
        return { result, hogAtMs: launchedAt + 2500 - result.startedAtMs };
      } finally {
        process.kill(-hog.pid!, "SIGKILL");
      }
    };
    const afterHog = (r: { result: Record<string, any>; hogAtMs: number }): number => {
      const timeline = r.result.timeline as { doneAtMs: number }[];
      const from = r.hogAtMs + 1000;
      const done = timeline.filter((t) => t.doneAtMs > from);
      assert.ok(done.length > 50, `enough micro-batches after the hog started (${done.length})`);
      return done.length / ((timeline[timeline.length - 1].doneAtMs - from) / 1000);
    };
    const fixed = underHog([]);
    const dynamic = underHog(["--rebalance"]);
    for (const r of [fixed, dynamic]) {
      assert.equal(r.result.answered, 15 * 40);
      assert.equal(r.result.duplicated, 0);
      assert.equal(r.result.missing, 0);
      assert.equal(r.result.repeatMaxAbsDiff, 0, "every pass, before and after a switch, gives the same outputs");
    }
    assert.equal(fixed.result.replans.length, 0);
    const switches = dynamic.result.replans as {
      decidedAtMs: number;
      layersBefore: number[];
      layersAfter: number[];
      pauseMs: number;
    }[];
    const afterTheHog = switches.filter((s) => s.decidedAtMs > dynamic.hogAtMs);
    assert.ok(afterTheHog.length >= 1, `a re-plan after the hog started: ${JSON.stringify(switches)}`);
    // Time-weighted layers on stage 0 once the hog runs, against the plan in force when it started.
    const atHog = afterTheHog[0].layersBefore[0];
    const end = (dynamic.result.timeline as { doneAtMs: number }[]).reduce((m, t) => Math.max(m, t.doneAtMs), 0);
    let weighted = 0;
    afterTheHog.forEach(
      (sw, i) => (weighted += sw.layersAfter[0] * ((afterTheHog[i + 1]?.decidedAtMs ?? end) - sw.decidedAtMs)),
    );
    const meanAfter = weighted / (end - afterTheHog[0].decidedAtMs);
    assert.ok(
      meanAfter > atHog,
      `layers move to the unloaded stage 0: ${atHog} when the hog started, ${meanAfter.toFixed(1)} on average after (${JSON.stringify(switches)})`,
    );
    // Throughput is measured by notebook 07 and the benchmark, not asserted here (timed assertions
    // flake on shared machines); the test reports it.
    const [fixedRate, dynamicRate] = [afterHog(fixed), afterHog(dynamic)];
    t.diagnostic(
      `under the hog: ${dynamicRate.toFixed(1)} micro-batches/s re-planned vs ${fixedRate.toFixed(1)} fixed`,
    );
  },
);

const noEmulation = emulationUnavailable();
test(
  "an emulated 2-host cluster: stages in network namespaces, MPI over TCP through links shaped to 50 Mbit/s",
  { skip: (!haveMpi && "MPICH is not installed") || (noEmulation ?? false) },
  () => {
    const model = join(dir, "squeezenet32-emulated.onnx");
    writeFileSync(model, exportToOnnx(buildSqueezeNet({ seed: 6 }), { modelName: "squeezenet" }));
    const x = join(dir, "x32-emulated.npy");
    inputs(x, 320, [32, 32, 3], 4);
    const whole = join(dir, "whole-emulated.npy");
    json("run-onnx", model, "--input", x, "--out", whole, "--batch", "32", "--optimization", "basic");
    const namespacesBefore = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
    const out = join(dir, "emulated.npy");
    const run = json(
      "pipeline",
      "run",
      model,
      "--stages",
      "2",
      "--partitioner",
      "equal",
      "--input",
      x,
      "--out",
      out,
      "--microbatches",
      "10",
      "--emulate-links",
      "50",
      "--optimization",
      "basic",
    );
    assert.ok(
      Buffer.from(readNpy(out).data.buffer).equals(Buffer.from(readNpy(whole).data.buffer)),
      "outputs equal run-onnx",
    );
    // The activations really cross the 50 Mbit/s link: stage 0's sends take what the link model says.
    const modelled = run.plan.stages[0].transferMs;
    const sendPerBatch = run.devices[0].sendMs / run.devices[0].microbatches;
    assert.ok(modelled > 5, `the cut carries enough to measure (${modelled} ms at 50 Mbit/s)`);
    assert.ok(
      sendPerBatch > 0.7 * modelled,
      `sends take ${sendPerBatch.toFixed(1)} ms per micro-batch; a 50 Mbit/s link needs ${modelled.toFixed(1)}`,
    );
    assert.equal(
      spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout,
      namespacesBefore,
      "namespaces removed",
    );
  },
);
