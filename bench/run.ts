/**
 * `npm run bench`: edgelab side by side with its peers in one run, one JSON object on stdout
 * (progress on stderr). Each measurement runs in its own process so peak RSS is its own.
 *   npm run bench                       all benchmarks
 *   npm run bench -- --only ingest      any of: ingest, mlp, squeezenet, sentinelnet, onnx, tabular, tabnet, mpi, pipeline, federated, firewall, fuzz, vision
 *   npm run bench -- --rows 1000000     CICIDS rows for the ingest file (default 300000)
 *   npm run bench -- --rounds 5         SqueezeNet: alternating edgelab / PyTorch rounds (default 3); mpi: alternating np = 1 / np = 2 rounds
 *   npm run bench -- --only fuzz --cases 100000   parser fuzzing, cases per parser
 *   npm run bench -- --only vision --batches 5     seed 001's seconds per batch, fewer batches (default 20)
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { syntheticCicids, writeSyntheticCicidsCsv } from "../lib/data/synthetic";
import { median } from "../lib/bench/paired";
import { xgboostPeer } from "../lib/bench/peers";
import { boosterParams, defaultXGBoostParams } from "../lib/models/xgboost";
import { launchMpiTraining } from "../lib/experiments/launch";
import { exportToOnnx } from "../lib/deploy/export";
import { buildSentinelNet } from "../lib/models/sentinelnet";
import { writeFileAtomic } from "../lib/report/atomic";
import { debianFashionMnistDir } from "../lib/data/mnist";
import { readDevice } from "../lib/runtime/device";
import { detectBackends, backendNames } from "../lib/runtime/backends";
import { projectRoot } from "../lib/runtime/paths";
import { defaultThreadConfig } from "../lib/runtime/threads";
import { pythonHasModule, systemPython } from "../lib/runtime/python";

type Json = Record<string, unknown>;
const root = projectRoot();
const python = systemPython();

function runJson(cmd: string, args: string[]): Json | { error: string } {
  const run = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 16 << 20, env: { ...process.env } });
  const line = (run.stdout ?? "").trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as Json;
  } catch {
    return {
      error: (run.stderr || run.error?.message || `exit ${run.status}`).trim().split("\n").slice(-3).join(" | "),
    };
  }
}

function ingest(rows: number): Json {
  const dir = join(root, "data", "cache");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-synthetic-cicids-${rows}.csv`);
  if (!existsSync(file)) {
    process.stderr.write(`bench: writing ${file} (SYNTHETIC, CICIDS schema) …\n`);
    writeSyntheticCicidsCsv(file, { rows, seed: 17 });
  }
  const sizeMB = statSync(file).size / 1e6;
  const runs = [0, 1, 2].map(() => runJson(process.execPath, [join(root, "build", "bench", "ingest.js"), file]));
  const ok = runs.filter((r): r is Json => !("error" in r));
  const edgelab = ok.length
    ? {
        ...ok[0],
        seconds: median(ok.map((r) => Number(r.seconds))),
        mbPerSec: sizeMB / median(ok.map((r) => Number(r.seconds))),
        runs: ok.length,
      }
    : runs[0];
  let peer: Json | null = null;
  if (pythonHasModule("pandas")) {
    const p = runJson(python, [join(root, "bench", "peers", "pandas_ingest.py"), file]);
    peer = "error" in p ? p : { ...p, mbPerSec: sizeMB / Number(p.seconds) };
  }
  const ratio =
    peer && "seconds" in peer && "seconds" in edgelab ? Number(peer.seconds) / Number(edgelab.seconds) : null;
  return {
    benchmark: "cicids-ingest",
    synthetic: true,
    file,
    sizeMB,
    rows,
    edgelab,
    peer,
    ratio,
    goal: "ratio ≥ 2 (edgelab at least twice pandas' speed, cleaning included)",
  };
}

async function mlp(samples: number): Promise<Json[]> {
  const status = await detectBackends();
  const threads = defaultThreadConfig().intraOp;
  let peer: Json | null = null;
  if (pythonHasModule("torch") && existsSync(debianFashionMnistDir)) {
    const p = runJson(python, [
      join(root, "bench", "peers", "torch_mlp.py"),
      debianFashionMnistDir,
      String(threads),
      String(samples),
    ]);
    peer = "error" in p ? p : p;
  }
  return backendNames
    .filter((b) => status[b].available)
    .map((backend) => {
      process.stderr.write(`bench: MLP training on ${backend} …\n`);
      const edgelab = runJson(process.execPath, [join(root, "build", "bench", "mlp.js"), backend, String(samples)]);
      const ratio =
        peer && "samplesPerSec" in peer && "samplesPerSec" in edgelab
          ? Number(edgelab.samplesPerSec) / Number(peer.samplesPerSec)
          : null;
      return {
        benchmark: "mlp-train",
        model: "mlp 784-128-10",
        batch: 64,
        backend,
        threads,
        samples,
        edgelab,
        peer,
        ratio,
      };
    });
}

/**
 * `edgelab bench train` rows: every usable backend at each batch. Each accelerated backend
 * alternates with the PyTorch peer (`--rounds`); the pure-JS cpu backend (~2 img/s) is timed for
 * a few steps at batch 24 only and compared with the last peer median.
 */
async function squeezenet(batches: number[], steps: number, rounds: number): Promise<Json[]> {
  const status = await detectBackends();
  const cli = join(root, "build", "lib", "cli", "main.js");
  const rows: Json[] = [];
  for (const batch of batches) {
    let peerRow: Json | null = null;
    for (const backend of backendNames.filter((b) => status[b].available && (b !== "cpu" || batch === 24))) {
      process.stderr.write(`bench: SqueezeNet-32 training, ${backend}, batch ${batch} …\n`);
      const args = [
        cli,
        "bench",
        "train",
        "--model",
        "squeezenet",
        "--batch",
        String(batch),
        "--backend",
        backend,
        "--json",
      ];
      const row = runJson(
        process.execPath,
        backend === "cpu"
          ? [...args, "--steps", "2", "--rounds", "1", "--no-peer"]
          : [...args, "--steps", String(steps), "--rounds", String(rounds)],
      );
      if (backend !== "cpu" && !("error" in row))
        peerRow = { peer: row.peer, peerPeakRssMB: row.peerPeakRssMB, peerNote: row.peerNote };
      const peer = peerRow?.peer as { imgPerSec: number } | null | undefined;
      const ratio =
        backend !== "cpu"
          ? ((row as Json).ratio ?? null)
          : peer && "imgPerSec" in row
            ? Number(row.imgPerSec) / peer.imgPerSec
            : null;
      rows.push({
        benchmark: "squeezenet-train",
        ...row,
        ...(backend === "cpu" ? (peerRow ?? {}) : {}),
        ratio,
        targets: "ratio ≥ 0.5 (issue 3), peak RSS ≤ 400 MB",
      });
    }
  }
  return rows;
}

/**
 * SentinelNet (CNN + BiLSTM) training on the training backend, alternating with the PyTorch peer
 * (colab/sentinelnet_colab.py's model): full size at the CLI's default batch 32, and the debug size
 * at notebook 01's batch 16.
 */
function sentinelnet(rounds: number): Json[] {
  const cli = join(root, "build", "lib", "cli", "main.js");
  return [
    { model: "sentinelnet", batch: 32, steps: 5 },
    { model: "sentinelnet-debug", batch: 16, steps: 40 },
  ].map((c) => {
    process.stderr.write(`bench: ${c.model} training, batch ${c.batch} …\n`);
    const row = runJson(process.execPath, [
      cli,
      "bench",
      "train",
      "--model",
      c.model,
      "--batch",
      String(c.batch),
      "--steps",
      String(c.steps),
      "--rounds",
      String(rounds),
      "--json",
    ]);
    return { benchmark: "sentinelnet-train", ...row };
  });
}

/** `edgelab bench onnx` at batch 1 on MobileNetV2-224 (torchvision export) and full-size SentinelNet (edgelab export). */
function onnxLatency(iterations: number): Json[] {
  const dir = join(root, "data", "cache");
  mkdirSync(dir, { recursive: true });
  const models: { name: string; file: string }[] = [];
  const mobilenet = join(dir, "mobilenet_v2-224.onnx");
  if (!existsSync(mobilenet) && pythonHasModule("torchvision")) {
    process.stderr.write("bench: exporting torchvision MobileNetV2 to ONNX …\n");
    runJson(python, [join(root, "bench", "peers", "export_mobilenet_v2.py"), mobilenet]);
  }
  if (existsSync(mobilenet)) models.push({ name: "mobilenet_v2 224x224 (torchvision export)", file: mobilenet });
  const sentinel = join(dir, "sentinelnet-full.onnx");
  if (!existsSync(sentinel)) {
    const model = buildSentinelNet({ seed: 1 });
    writeFileAtomic(sentinel, exportToOnnx(model, { modelName: "sentinelnet" }));
    model.dispose();
  }
  models.push({ name: "sentinelnet full (edgelab export)", file: sentinel });
  const cli = join(root, "build", "lib", "cli", "main.js");
  return models.map((m) => {
    process.stderr.write(`bench: ONNX latency, ${m.name} …\n`);
    const row = runJson(process.execPath, [
      cli,
      "bench",
      "onnx",
      m.file,
      "--batch",
      "1",
      "--iterations",
      String(iterations),
      "--json",
    ]);
    delete (row as Json).samplesMs;
    return {
      benchmark: "onnx-latency",
      name: m.name,
      ...row,
      goal: "overhead = edgelab p50 ÷ raw onnxruntime p50 ≤ 1.05",
    };
  });
}

/** XGBoost training time beside python-xgboost (same rows, parameters, threads). */
function tabular(rows: number): Json[] {
  const rounds = 100;
  process.stderr.write(`bench: XGBoost, ${rows} synthetic flows, ${rounds} rounds, 3 alternating runs each …\n`);
  const ds = syntheticCicids({ rows, seed: 17 });
  const params = boosterParams(
    { ...defaultXGBoostParams, rounds, nthread: defaultThreadConfig().intraOp },
    ds.classNames.length,
  );
  // Alternate edgelab and python runs (this machine's speed drifts) and compare medians.
  const ours: Json[] = [];
  const theirs: number[] = [];
  let peerInfo: Json = {};
  for (let i = 0; i < 3; i++) {
    const e = runJson(process.execPath, [
      join(root, "build", "bench", "tabular.js"),
      "xgboost",
      String(rows),
      String(rounds),
    ]);
    if (!("error" in e)) ours.push(e);
    const p = xgboostPeer(
      { features: ds.features, labels: ds.labels, featureCount: ds.featureNames.length },
      ds.features.subarray(0, ds.featureNames.length),
      params,
      rounds,
      join(root, "data", "cache", "bench-xgboost"),
    );
    if (p.ok) {
      theirs.push(p.seconds);
      peerInfo = { name: p.name, peakRssMB: p.peakRssMB };
    } else peerInfo = { error: p.reason };
  }
  const edgelab = ours.length
    ? { ...ours[0], seconds: median(ours.map((r) => Number(r.seconds))), runs: ours.map((r) => r.seconds) }
    : { error: "edgelab XGBoost run failed" };
  const peer = theirs.length ? { ...peerInfo, seconds: median(theirs), runs: theirs } : peerInfo;
  const ratio = "seconds" in edgelab && "seconds" in peer ? Number(edgelab.seconds) / Number(peer.seconds) : null;
  return [
    {
      benchmark: "xgboost-train",
      rows,
      rounds,
      params,
      edgelab,
      peer,
      ratio,
      goal: "ratio = edgelab seconds ÷ python-xgboost seconds ≤ 1.05 (the same library)",
    },
  ];
}

/** TabNet beside pytorch-tabnet (EDGELAB_TABNET_SRC): accuracy over seeds and seconds per epoch, alternating. */
function tabnet(): Json {
  process.stderr.write("bench: TabNet beside pytorch-tabnet (synthetic CICIDS, scikit-learn digits) …\n");
  return runJson(process.execPath, [join(root, "build", "bench", "tabnet.js")]);
}

/** One model of the np = 2 versus np = 1 benchmark. */
interface MpiScalingCase {
  model: string;
  dataset: string;
  /** Global batch (split over the ranks). */
  batch: number;
}

/** Issue #18's pair: a small MLP (where per-step overhead shows) and SqueezeNet-32, both at global batch 48. */
const mpiScalingCases: MpiScalingCase[] = [
  { model: "mlp", dataset: "fashion-mnist", batch: 48 },
  { model: "squeezenet", dataset: "synthetic-cifar", batch: 48 },
];

/** One mpiexec run of the np = 2 versus np = 1 benchmark, as root reported it. */
interface MpiRun {
  seconds: number;
  trainSeconds: number;
  commMsPerStep: number;
  steps: number;
  launchSeconds: number;
}

/**
 * np = 2 versus np = 1 under mpiexec at the same total thread count (np = 1 with 2 threads, np = 2
 * with 1 each), synchronous allreduce, alternating np = 1 and np = 2 for `rounds` rounds (this VM's
 * speed drifts by ±30 % over minutes, so only runs side by side compare): the median time of each,
 * the speedup of the medians and of every round's pair, and root's step split into compute and
 * time inside the allreduce.
 */
function mpiScaling(images: number, rounds: number): Json[] {
  const cores = defaultThreadConfig().intraOp;
  const perRank = (np: number): number => Math.max(1, Math.floor(cores / np));
  const rows: Json[] = [];
  for (const c of mpiScalingCases) {
    const runs = new Map<number, MpiRun[]>([
      [1, []],
      [2, []],
    ]);
    const errors: string[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const np of [1, 2]) {
        process.stderr.write(
          `bench: round ${round}/${rounds}, mpiexec -n ${np}, ${c.model} allreduce, ${perRank(np)} thread(s) per rank …\n`,
        );
        try {
          const run = launchMpiTraining({
            np,
            root,
            trainArgs: [
              ...["--model", c.model, "--dataset", c.dataset, "--subset", String(images), "--epochs", "1"],
              ...["--batch", String(c.batch), "--sync", "allreduce", "--threads", String(perRank(np))],
              ...["--out", join(root, "data", "cache", `bench-mpi-${c.model}-np${np}`)],
            ],
          });
          const d = run.summary.distributed!;
          runs.get(np)!.push({
            seconds: d.globalSeconds,
            trainSeconds: run.summary.secondsPerEpoch,
            commMsPerStep: d.commMsPerStep,
            steps: d.steps,
            launchSeconds: run.launchSeconds,
          });
        } catch (err) {
          errors.push(`np = ${np}, round ${round}: ${(err as Error).message}`);
        }
      }
    }
    if (errors.length) rows.push({ benchmark: "mpi-scaling", model: c.model, errors });
    const one = runs.get(1)!;
    const two = runs.get(2)!;
    const baseSeconds = one.length ? median(one.map((r) => r.seconds)) : null;
    const paired = Math.min(one.length, two.length);
    for (const [np, list] of runs) {
      if (list.length === 0) continue;
      const seconds = median(list.map((r) => r.seconds));
      const steps = list[0].steps;
      const trainMsPerStep = (1000 * median(list.map((r) => r.trainSeconds))) / steps;
      const allreduceMsPerStep = median(list.map((r) => r.commMsPerStep));
      rows.push({
        benchmark: "mpi-scaling",
        model: c.model,
        dataset: c.dataset,
        sync: "allreduce",
        globalBatch: c.batch,
        images,
        np,
        threadsPerRank: perRank(np),
        totalThreads: np * perRank(np),
        rounds: list.length,
        seconds,
        secondsPerRound: list.map((r) => r.seconds),
        imgPerSec: images / seconds,
        steps,
        msPerStep: (1000 * seconds) / steps,
        trainMsPerStep,
        allreduceMsPerStep,
        computeMsPerStep: trainMsPerStep - allreduceMsPerStep,
        evaluationAndSetupSeconds: seconds - median(list.map((r) => r.trainSeconds)),
        wallSeconds: median(list.map((r) => r.launchSeconds)),
        speedup: baseSeconds ? baseSeconds / seconds : null,
        speedupPerRound: one.length ? Array.from({ length: paired }, (_, i) => one[i].seconds / list[i].seconds) : null,
        efficiency: baseSeconds ? baseSeconds / seconds / np : null,
        note: "same total thread count, np = 1 and np = 2 alternating; seconds is the median over rounds of the slowest rank's time (training and evaluation, shared by the ranks); trainMsPerStep is root's training loop per step, of which allreduceMsPerStep inside the collective (communication plus waiting for the other rank) and computeMsPerStep the rest; wallSeconds is the whole mpiexec command",
      });
    }
  }
  return rows;
}

/** Runs `node args…` and resolves with its last stdout line parsed as JSON. */
function runJsonAsync(args: string[]): Promise<Json> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("close", (status) => {
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? "") as Json);
      } catch {
        reject(new Error(err.trim().split("\n").slice(-2).join(" | ") || `exit ${status}`));
      }
    });
  });
}

/**
 * What two processes at once cost on this machine, with no MPI: one rank's share of the np = 2
 * run (half the global batch, one thread) trained alone, then two such processes at the same
 * time, alternating for `rounds` rounds. The slowdown (pair ÷ alone, training seconds) is how
 * much np = 2 loses before any communication: a bound on its speedup that is the hardware's.
 */
async function coRunSlowdown(images: number, rounds: number): Promise<Json[]> {
  const rows: Json[] = [];
  for (const c of mpiScalingCases) {
    const args = (tag: string): string[] => [
      join(root, "build", "lib", "cli", "main.js"),
      "train",
      ...["--model", c.model, "--dataset", c.dataset, "--subset", String(images), "--epochs", "1"],
      ...["--batch", String(c.batch / 2), "--threads", "1", "--json"],
      ...["--out", join(root, "data", "cache", `bench-corun-${c.model}-${tag}`)],
    ];
    const alone: number[] = [];
    const together: number[] = [];
    try {
      for (let round = 1; round <= rounds; round++) {
        process.stderr.write(
          `bench: round ${round}/${rounds}, ${c.model} at batch ${c.batch / 2}, alone then two at once …\n`,
        );
        alone.push(Number((await runJsonAsync(args("alone"))).secondsPerEpoch));
        const pair = await Promise.all([runJsonAsync(args("a")), runJsonAsync(args("b"))]);
        together.push(...pair.map((r) => Number(r.secondsPerEpoch)));
      }
    } catch (err) {
      rows.push({ benchmark: "co-run-slowdown", model: c.model, error: (err as Error).message });
      continue;
    }
    rows.push({
      benchmark: "co-run-slowdown",
      model: c.model,
      dataset: c.dataset,
      batch: c.batch / 2,
      threads: 1,
      images,
      rounds,
      aloneSeconds: median(alone),
      togetherSeconds: median(together),
      slowdown: median(together) / median(alone),
      aloneSecondsPerRound: alone,
      togetherSecondsPerRun: together,
      note: "training seconds of one epoch (no evaluation) of a single process without MPI, alone and with a twin running at the same time; np = 2 cannot beat np = 1 by more than 2 / slowdown times np = 1's own scaling",
    });
  }
  return rows;
}

/** Layer-split inference (seed 002) on MobileNetV2 and SqueezeNet 1.1, each in its own process. */
function layerSplit(rounds: number): Json[] {
  return ["mobilenet_v2", "squeezenet1_1"].map((model) => {
    process.stderr.write(`bench: layer-split pipeline, ${model} …\n`);
    return {
      benchmark: "layer-split",
      ...runJson(process.execPath, [join(root, "build", "bench", "pipeline.js"), model, String(rounds)]),
    };
  });
}

function fuzz(cases: number): Json {
  process.stderr.write(`bench: fuzzing 6 parsers, ${cases} cases each …\n`);
  return runJson(process.execPath, [join(root, "build", "bench", "fuzz.js"), String(cases)]);
}

/** The firewall-log scoring service: TCP zero-loss throughput, latency at 10,000 logs/s, UDP drop accounting. */
function firewallScoring(): Json {
  process.stderr.write("bench: firewall log scoring service (edgelab serve + edgelab replay on loopback) …\n");
  return runJson(process.execPath, [join(root, "build", "bench", "firewall.js")]);
}

function federated(rounds: number): Json {
  process.stderr.write("bench: federated round, 8 clients on emulated 1 Gbit/s links …\n");
  return runJson(process.execPath, [join(root, "build", "bench", "federated.js"), String(rounds)]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      batches: { type: "string" },
      rows: { type: "string" },
      samples: { type: "string" },
      steps: { type: "string" },
      rounds: { type: "string" },
      iterations: { type: "string" },
      "tabular-rows": { type: "string" },
      images: { type: "string" },
      cases: { type: "string" },
    },
    strict: true,
  });
  const only = values.only?.split(",");
  const want = (name: string): boolean => !only || only.includes(name);
  const results: Json[] = [];
  if (want("ingest")) results.push(ingest(Number(values.rows ?? 300000)));
  if (want("mlp")) results.push(...(await mlp(Number(values.samples ?? 20000))));
  if (want("squeezenet"))
    results.push(...(await squeezenet([24, 128], Number(values.steps ?? 20), Number(values.rounds ?? 3))));
  if (want("sentinelnet")) results.push(...sentinelnet(Number(values.rounds ?? 3)));
  if (want("onnx")) results.push(...onnxLatency(Number(values.iterations ?? 200)));
  if (want("tabular")) results.push(...tabular(Number(values["tabular-rows"] ?? 100000)));
  if (want("tabnet")) results.push(tabnet());
  if (want("mpi")) {
    const images = Number(values.images ?? 6000);
    const rounds = Number(values.rounds ?? 3);
    results.push(...mpiScaling(images, rounds), ...(await coRunSlowdown(images, rounds)));
  }
  if (want("pipeline")) results.push(...layerSplit(Number(values.rounds ?? 3)));
  if (want("federated")) results.push(federated(Number(values.rounds ?? 3)));
  if (want("vision")) {
    process.stderr.write("bench: seed 001's seconds per batch, every zoo model, train and finetune …\n");
    const args = [
      "bench",
      "spb",
      "--model",
      "all",
      "--batches",
      values.batches ?? "20",
      "--rounds",
      values.rounds ?? "1",
    ];
    results.push({
      benchmark: "vision-seconds-per-batch",
      command: `npx edgelab ${args.join(" ")} --json`,
      ...runJson(process.execPath, [join(root, "build", "lib", "cli", "main.js"), ...args, "--json"]),
    });
  }
  if (want("firewall")) results.push(firewallScoring());
  if (want("fuzz")) results.push(fuzz(Number(values.cases ?? 100000)));
  const device = readDevice();
  console.log(
    JSON.stringify(
      {
        machine: {
          cpu: device.cpu,
          cores: device.cores,
          memoryGiB: device.memoryGiB,
          arch: device.arch,
          pi: device.pi,
        },
        node: process.version,
        results,
      },
      null,
      2,
    ),
  );
}
void main();
