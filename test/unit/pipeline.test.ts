/**
 * Layer-split inference, pure parts and stage extraction: cut points on small graphs (a residual
 * branch is never cut inside, shape computations keep their tensor live), stages that run in
 * onnxruntime and reproduce the whole model, and the partitioners against brute force.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { onnx } from "onnx-proto";
import * as ort from "onnxruntime-node";
import { encodeModel, GraphBuilder, valueInfo } from "../../lib/deploy";
import {
  analyzeGraph,
  equalPartitioner,
  extractStage,
  latencyPartitioner,
  microbatchRanges,
  parseDevices,
  pipeedgePartitioner,
  profileModel,
  Rebalancer,
  stageCost,
  type BlockCost,
  type DeviceSpec,
  type PlanRequest,
} from "../../lib/pipeline";
import { Rng } from "../../lib/random";

/** x → Relu → Sigmoid → (b + Tanh(b)) → Mul by a constant → Reshape to [batch, -1] via Shape(x) → y */
function residualChain(): onnx.IModelProto {
  const g = new GraphBuilder();
  const a = g.node("Relu", ["x"], {}, ["a"]);
  const b = g.node("Sigmoid", [a], {}, ["b"]);
  const t = g.node("Tanh", [b], {}, ["t"]);
  const c = g.node("Add", [b, t], {}, ["c"]);
  const k = g.node("Constant", [], { value_float: { float: 2 } } as never, ["k"]);
  const d = g.node("Mul", [c, k], {}, ["d"]);
  const shape = g.node("Shape", [d], {}, ["shape"]);
  const first = g.node("Gather", [shape, g.int64s("zero", [0])], { axis: 0 }, ["n"]);
  const target = g.node("Concat", [first, g.int64s("minus1", [-1])], { axis: 0 }, ["target"]);
  const e = g.node("Relu", [d], {}, ["e"]);
  g.node("Reshape", [e, target], {}, ["y"]);
  return {
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "chain",
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo("x", ["batch", 3, 4])],
      output: [valueInfo("y", ["batch", 12])],
    },
  };
}

test("cut points: one live tensor only — never inside the residual branch or across a shape computation", () => {
  const model = residualChain();
  const analysis = analyzeGraph(model);
  const nodes = model.graph!.node!;
  assert.deepEqual(
    analysis.order.map((i) => nodes[i].opType),
    ["Relu", "Sigmoid", "Tanh", "Add", "Mul", "Shape", "Gather", "Concat", "Relu", "Reshape"],
  );
  assert.equal(analysis.constantNodes.length, 1, "the Constant node is not a compute position");
  assert.ok(analysis.constants.has("k"));
  // After Relu (a), after Sigmoid (b: read by Tanh and Add, still one tensor), after Add (c), after Mul (d).
  // After Tanh two tensors are live (b and t); from Shape on, d's shape travels beside it.
  assert.deepEqual(analysis.cuts, [
    { position: 0, tensor: "a" },
    { position: 1, tensor: "b" },
    { position: 3, tensor: "c" },
    { position: 4, tensor: "d" },
  ]);
});

test("a graph whose nodes are listed out of order is sorted; a cycle is refused", () => {
  const model = residualChain();
  const reversed = { ...model, graph: { ...model.graph, node: [...model.graph!.node!].reverse() } };
  assert.deepEqual(
    analyzeGraph(reversed).cuts.map((c) => c.tensor),
    ["a", "b", "c", "d"],
  );
  const g = new GraphBuilder();
  g.node("Relu", ["q"], {}, ["p"]);
  g.node("Relu", ["p"], {}, ["q"]);
  const cyclic = {
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    graph: { node: g.nodes, input: [], output: [valueInfo("q", [1])] },
  };
  assert.throws(() => analyzeGraph(cyclic), /cycle/);
});

test("extracted stages are valid ONNX models whose chain reproduces the whole model exactly", async () => {
  const model = residualChain();
  const bytes = encodeModel(model);
  const profile = await profileModel({ model: onnx.ModelProto.decode(bytes), file: "chain" }, { repeats: 0 });
  assert.deepEqual(profile.types.get("c")?.dims, ["batch", 3, 4], "shapes measured, batch dimension recognised");
  const x = Float32Array.from({ length: 5 * 12 }, (_, i) => Math.sin(i) * 3);
  const whole = await ort.InferenceSession.create(bytes);
  const want = (await whole.run({ x: new ort.Tensor("float32", x, [5, 3, 4]) })).y;
  for (const split of [0, 1, 3, 4]) {
    const first = extractStage(profile.model, profile.analysis, { first: 0, last: split }, profile.types);
    const second = extractStage(
      profile.model,
      profile.analysis,
      { first: split + 1, last: profile.nodes - 1 },
      profile.types,
    );
    assert.equal(second.graph!.input!.length, 1, "one input: the cut tensor");
    const s1 = await ort.InferenceSession.create(encodeModel(first));
    const s2 = await ort.InferenceSession.create(encodeModel(second));
    const mid = await s1.run({ x: new ort.Tensor("float32", x, [5, 3, 4]) });
    const out = await s2.run({ [s2.inputNames[0]]: mid[s1.outputNames[0]] });
    assert.deepEqual(out.y.dims, want.dims);
    assert.deepEqual(
      Array.from(out.y.data as Float32Array),
      Array.from(want.data as Float32Array),
      `split after position ${split}`,
    );
  }
});

/** Random blocks for the partitioner tests. */
function randomBlocks(rng: Rng, n: number): BlockCost[] {
  return Array.from({ length: n }, (_, i) => ({
    first: i * 3,
    last: i * 3 + 2,
    computeMs: 0.2 + rng.next() * 5,
    outBytes: i === n - 1 ? 0 : Math.floor(rng.next() * 2e6),
    paramBytes: Math.floor(rng.next() * 4e6),
    maxActivationBytes: Math.floor(rng.next() * 1e6),
    layers: 1 + Math.floor(rng.next() * 6),
  }));
}

/** Every composition of n blocks into k non-empty runs, as lists of run ends. */
function compositions(n: number, k: number): number[][] {
  if (k === 1) return [[n - 1]];
  const out: number[][] = [];
  for (let end = 0; end <= n - k; end++)
    for (const rest of compositions(n - end - 1, k - 1)) out.push([end, ...rest.map((e) => e + end + 1)]);
  return out;
}

/** Every ordered choice of k distinct devices out of d. */
function arrangements(d: number, k: number): number[][] {
  if (k === 0) return [[]];
  return arrangements(d, k - 1).flatMap((head) =>
    Array.from({ length: d }, (_, v) => v)
      .filter((v) => !head.includes(v))
      .map((v) => [...head, v]),
  );
}

function bruteForce(request: PlanRequest, objective: "bottleneck" | "latency", chooseDevices: boolean): number {
  let best = Infinity;
  const orders = chooseDevices
    ? arrangements(request.devices.length, request.stages)
    : [Array.from({ length: request.stages }, (_, i) => i)];
  for (const ends of compositions(request.blocks.length, request.stages)) {
    for (const order of orders) {
      let start = 0;
      let value = 0;
      for (let s = 0; s < ends.length; s++) {
        const stage = stageCost(request, start, ends[s], order[s], s === ends.length - 1);
        start = ends[s] + 1;
        const fits = stage.memoryMB * 2 ** 20 <= request.devices[order[s]].memoryBytes;
        const cost = !fits
          ? Infinity
          : objective === "bottleneck"
            ? Math.max(stage.computeMs, stage.transferMs)
            : stage.computeMs + stage.transferMs;
        value = objective === "bottleneck" ? Math.max(value, cost) : value + cost;
      }
      best = Math.min(best, value);
    }
  }
  return best;
}

test("pipeedge equals brute force on homogeneous devices, with memory limits (200 random cases)", () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 200; trial++) {
    const blocks = randomBlocks(rng, 2 + Math.floor(rng.next() * 7));
    const stages = 1 + Math.floor(rng.next() * Math.min(4, blocks.length));
    const memoryBytes = trial % 3 === 0 ? 9e6 : 1e12;
    const devices: DeviceSpec[] = Array.from({ length: stages }, (_, i) => ({ name: `d${i}`, speed: 1, memoryBytes }));
    const request = {
      blocks,
      stages,
      devices,
      link: { bandwidthMbps: 100 + rng.next() * 1000, latencyMs: rng.next() },
    };
    const want = bruteForce(request, "bottleneck", false);
    if (want === Infinity) {
      assert.throws(() => pipeedgePartitioner.plan(request), /fits/);
      continue;
    }
    const plan = pipeedgePartitioner.plan(request);
    assert.ok(
      Math.abs(plan.bottleneckMs - want) < 1e-9,
      `trial ${trial}: DP ${plan.bottleneckMs} vs brute force ${want}`,
    );
    assert.equal(plan.stages.length, stages);
    assert.equal(plan.stages[0].firstBlock, 0);
    assert.equal(plan.stages[stages - 1].lastBlock, blocks.length - 1);
  }
});

test("pipeedge equals brute force on heterogeneous devices: it also picks which devices and in what order (150 cases)", () => {
  const rng = new Rng(4);
  for (let trial = 0; trial < 150; trial++) {
    const blocks = randomBlocks(rng, 2 + Math.floor(rng.next() * 5));
    const deviceCount = 2 + Math.floor(rng.next() * 3);
    const stages = 1 + Math.floor(rng.next() * Math.min(deviceCount, blocks.length));
    const devices: DeviceSpec[] = Array.from({ length: deviceCount }, (_, i) => ({
      name: `d${i}`,
      speed: 0.25 + rng.next() * 2,
      memoryBytes: (4 + rng.next() * 20) * 2 ** 20,
    }));
    const request = { blocks, stages, devices, link: { bandwidthMbps: 50 + rng.next() * 1000, latencyMs: rng.next() } };
    const want = bruteForce(request, "bottleneck", true);
    if (want === Infinity) {
      assert.throws(() => pipeedgePartitioner.plan(request), /fits/);
      continue;
    }
    const plan = pipeedgePartitioner.plan(request);
    assert.ok(
      Math.abs(plan.bottleneckMs - want) < 1e-9,
      `trial ${trial}: DP ${plan.bottleneckMs} vs brute force ${want}`,
    );
    assert.equal(new Set(plan.stages.map((s) => s.device)).size, stages, "each device used once");
  }
});

test("latency partitioner equals brute force; with a homogeneous cluster it says not splitting is faster", () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 100; trial++) {
    const blocks = randomBlocks(rng, 2 + Math.floor(rng.next() * 6));
    const stages = 1 + Math.floor(rng.next() * Math.min(3, blocks.length));
    const devices = Array.from({ length: stages }, (_, i) => ({ name: `d${i}`, speed: 1, memoryBytes: 1e12 }));
    const request = { blocks, stages, devices, link: { bandwidthMbps: 1000, latencyMs: 0.1 } };
    const plan = latencyPartitioner.plan(request);
    assert.ok(Math.abs(plan.endToEndMs - bruteForce(request, "latency", false)) < 1e-9);
    if (stages > 1) assert.match(plan.notes.join(" "), /not splitting is faster/);
  }
});

test("equal partitioner: stage layer counts as even as the cuts allow", () => {
  const blocks = Array.from({ length: 12 }, (_, i) => ({
    first: i,
    last: i,
    computeMs: 1,
    outBytes: 10,
    paramBytes: 1,
    maxActivationBytes: 1,
    layers: 1,
  }));
  const plan = equalPartitioner.plan({
    blocks,
    stages: 3,
    devices: parseDevices("3*pi4:0.5:4096", 1),
    link: { bandwidthMbps: 1000, latencyMs: 0 },
  });
  assert.deepEqual(
    plan.stages.map((s) => s.layers),
    [4, 4, 4],
  );
  assert.equal(plan.stages[0].computeMs, 8, "a device at speed 0.5 takes twice as long");
});

test("devices and micro-batches parse as documented; bad specs fail in one line", () => {
  assert.deepEqual(
    parseDevices("pi5:1:8192,2*pi4:0.45", 100).map((d) => [d.name, d.speed, d.memoryBytes]),
    [
      ["pi5", 1, 8192 * 2 ** 20],
      ["pi4-0", 0.45, 100],
      ["pi4-1", 0.45, 100],
    ],
  );
  assert.throws(() => parseDevices("pi5:fast", 1), /cannot read "pi5:fast"/);
  assert.throws(() => parseDevices("pi5:0", 1), /positive speed/);
  assert.deepEqual(microbatchRanges(10, 4, null), [
    { start: 0, rows: 3 },
    { start: 3, rows: 3 },
    { start: 6, rows: 2 },
    { start: 8, rows: 2 },
  ]);
  assert.deepEqual(microbatchRanges(4, 2, 1).length, 4, "a fixed batch of 1 wins over the requested count");
  assert.throws(() => microbatchRanges(5, 2, 2), /exactly 2/);
});

test("the re-planner proposes moving layers off a slowed stage, and never from a stage it cannot time", () => {
  const blocks = Array.from({ length: 8 }, (_, i) => ({
    first: i,
    last: i,
    computeMs: i === 3 ? 0 : 1,
    outBytes: 100,
    paramBytes: 1,
    maxActivationBytes: 1,
    layers: 1,
  }));
  const devices = parseDevices("2*pi", 1e12);
  const link = { bandwidthMbps: 1e6, latencyMs: 0 };
  const start = pipeedgePartitioner.plan({ blocks, stages: 2, devices, link, fixedOrder: true });
  const config = { window: 4, gain: 0.15, cooldown: 4 };
  const rebalancer = new Rebalancer(blocks, devices, link, start, config);
  const [a, b] = start.stages.map((s) => s.computeMs);
  // Stage 1's wall time triples while its process gets only a third of the core: a hog, not its layers.
  for (let i = 0; i < 3; i++) rebalancer.observe([a, 3 * b], [a, b]);
  assert.equal(rebalancer.propose(), null, "too few observations");
  rebalancer.observe([a, 3 * b], [a, b]);
  const proposal = rebalancer.propose();
  assert.ok(proposal, "stage 1 has a third of its core");
  assert.ok(proposal.plan.stages[0].layers > start.stages[0].layers, "layers move to stage 0");
  assert.ok(Math.abs(proposal.speeds[1] - 1 / 3) < 1e-9);
  rebalancer.adopt(proposal.plan);
  assert.equal(rebalancer.propose(), null, "cooldown after a switch");
  // Layers that are simply costlier than profiled (full CPU, 3× the time) also move, but the
  // device is not taken for a slow one: its speed stays 1.
  const costly = new Rebalancer(blocks, devices, link, start, config);
  for (let i = 0; i < 4; i++) costly.observe([a, 3 * b]);
  const moved = costly.propose();
  assert.ok(moved && moved.plan.stages[0].layers > start.stages[0].layers, "layers move to stage 0");
  assert.deepEqual(moved.speeds, [1, 1]);
  // A stage measured at 0 ms (or profiled at 0) keeps its speed instead of becoming 0 or infinite.
  const zero = new Rebalancer(blocks, devices, link, start, config);
  for (let i = 0; i < 4; i++) zero.observe([0, b]);
  assert.equal(zero.propose(), null);
});
