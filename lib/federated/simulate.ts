/**
 * Federated learning simulated in one process: N virtual clients share one model instance whose
 * weights are swapped in and out; each round the strategy samples clients, each trains locally
 * with edgelab's engine from the global weights (FedProx's proximal term added to its gradients),
 * injected failures drop some results, the strategy aggregates, and the global model is evaluated
 * centrally. History is written per round and the global parameters checkpointed, so a run resumes.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { fuse, unfuse } from "../dist/fuse";
import { Rng } from "../random/rng";
import { writeFileAtomic, writeJsonAtomic } from "../report/atomic";
import { writeCsv } from "../report/table";
import { selectSamples } from "../train/batches";
import { train, type TrainData } from "../train/engine";
import { evaluate } from "../train/evaluate";
import { labelHistogram, partitionLabels, type PartitionSpec } from "./partition";
import { sampleSize, type FederatedStrategy, type FitResult } from "./strategies";

/** One simulated study. */
export interface FederatedSimulation {
  clients: number;
  rounds: number;
  strategy: FederatedStrategy;
  partition: PartitionSpec;
  localEpochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: "sgd" | "adam";
  seed: number;
  /** Probability that a sampled client fails in a round (its result never arrives). */
  failureRate: number;
  /** Folder for history.csv and the per-round checkpoint; null keeps nothing. */
  outDir: string | null;
  /** Continue from `outDir`'s checkpoint when there is one. */
  resume: boolean;
}

/** Defaults: 1 local epoch, batch 32, SGD lr 0.05, no failures. */
export const defaultFederatedSimulation: Readonly<Omit<FederatedSimulation, "clients" | "rounds" | "strategy" | "partition">> = Object.freeze({
  localEpochs: 1, batchSize: 32, learningRate: 0.05, optimizer: "sgd", seed: 0, failureRate: 0, outDir: null, resume: false,
});

/** One round's record (what `edgelab fl simulate --json` prints per round). */
export interface RoundRow {
  round: number;
  testAccuracy: number;
  testLoss: number;
  clientsSampled: number;
  clientsFailed: number;
  bytesUp: number;
  bytesDown: number;
  seconds: number;
  trainSeconds: number;
  aggregateSeconds: number;
}

function flatWeights(model: tfl.LayersModel): Float32Array {
  return fuse(model.getWeights().map((w) => w.dataSync() as Float32Array));
}

function setFlatWeights(model: tfl.LayersModel, flat: Float32Array): void {
  const shapes = model.getWeights().map((w) => w.shape);
  const parts = unfuse(
    flat,
    shapes.map((s) => s.reduce((a, b) => a * b, 1)),
  );
  const tensors = parts.map((p, i) => tf.tensor(p, shapes[i]));
  model.setWeights(tensors);
  tensors.forEach((t) => t.dispose());
}

/** FedProx: adds μ·(w − w_global) to each trainable variable's gradient. */
function proximalHook(model: tfl.LayersModel, mu: number): { gradients(grads: tf.NamedTensorMap): tf.NamedTensorMap; dispose(): void } {
  const anchors = new Map<string, tf.Tensor>();
  const variables = new Map<string, tf.Variable>();
  for (const w of model.trainableWeights) {
    const v = w.read() as tf.Variable;
    variables.set(v.name, v);
    anchors.set(v.name, tf.keep(v.clone()));
  }
  return {
    gradients: (grads) =>
      tf.tidy(() => {
        const out: tf.NamedTensorMap = {};
        for (const [name, g] of Object.entries(grads)) {
          const v = variables.get(name);
          const a = anchors.get(name);
          out[name] = v && a ? tf.keep(g.add(v.sub(a).mul(mu))) : g;
        }
        return out;
      }),
    dispose: () => anchors.forEach((t) => t.dispose()),
  };
}

/**
 * Runs the simulation. `build()` returns a fresh model (its initial weights are the global start);
 * `onRound` sees each row as it completes (progress in notebooks).
 */
export async function simulateFederated(
  build: () => tfl.LayersModel,
  data: TrainData,
  overrides: Partial<FederatedSimulation> & Pick<FederatedSimulation, "clients" | "rounds" | "strategy" | "partition">,
  onRound?: (row: RoundRow) => void,
): Promise<{ rounds: RoundRow[]; histogram: number[][]; parameters: Float32Array }> {
  const sim: FederatedSimulation = { ...defaultFederatedSimulation, ...overrides };
  const model = build();
  const classes = data.classNames.length;
  const parts = partitionLabels(data.train.y, sim.clients, sim.partition, sim.seed);
  const histogram = labelHistogram(data.train.y, parts, classes);
  let global = flatWeights(model);
  const rows: RoundRow[] = [];
  const checkpoint = sim.outDir ? join(sim.outDir, "checkpoint") : null;
  if (checkpoint && sim.resume && existsSync(join(checkpoint, "round.json"))) {
    const saved = JSON.parse(readFileSync(join(checkpoint, "round.json"), "utf8")) as { rows: RoundRow[]; stateLengths: number[] };
    const bytes = readFileSync(join(checkpoint, "parameters.f32"));
    if (bytes.byteLength !== global.byteLength) throw new Error(`${checkpoint}: checkpoint holds ${bytes.byteLength / 4} parameters, the model has ${global.length}`);
    global = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    rows.push(...saved.rows);
    // Server momentum / moments continue where they were.
    const state = readFileSync(join(checkpoint, "strategy.f64"));
    const flat = new Float64Array(state.buffer.slice(state.byteOffset, state.byteOffset + state.byteLength));
    sim.strategy.restore?.(saved.stateLengths.map((n, i) => flat.slice(saved.stateLengths.slice(0, i).reduce((a, b) => a + b, 0), n + saved.stateLengths.slice(0, i).reduce((a, b) => a + b, 0))));
  }
  const bytesPerModel = global.byteLength;
  for (let round = rows.length + 1; round <= sim.rounds; round++) {
    const t0 = performance.now();
    const rng = new Rng(sim.seed * 1000 + round);
    const { fractionFit, minFitClients, minAvailableClients } = sim.strategy.sampling;
    if (sim.clients < minAvailableClients) throw new Error(`${sim.clients} clients available, the strategy needs at least ${minAvailableClients}`);
    const count = Math.min(sim.clients, sampleSize(sim.clients, fractionFit, minFitClients));
    const sampled = rng.shuffle(Int32Array.from({ length: sim.clients }, (_, i) => i)).slice(0, count);
    const config = sim.strategy.fitConfig(round);
    const mu = typeof config.proximal_mu === "number" ? config.proximal_mu : 0;
    const results: FitResult[] = [];
    let failed = 0;
    for (const client of sampled) {
      if (rng.next() < sim.failureRate) {
        failed++;
        continue;
      }
      setFlatWeights(model, global);
      const local = selectSamples(data.train, parts[client]);
      const hook = mu > 0 ? proximalHook(model, mu) : null;
      try {
        await train(model, { train: local, val: selectSamples(local, [0]), classNames: data.classNames }, {
          epochs: sim.localEpochs, batchSize: sim.batchSize, optimizer: sim.optimizer, learningRate: sim.learningRate, seed: sim.seed + round * 7919 + client,
          outDir: null, progress: "none", ...(hook ? { sync: { gradients: hook.gradients } } : {}),
        });
      } finally {
        hook?.dispose();
      }
      results.push({ parameters: flatWeights(model), numExamples: local.y.length });
    }
    const t1 = performance.now();
    if (results.length > 0) global = sim.strategy.aggregateFit(global, results, round);
    const t2 = performance.now();
    setFlatWeights(model, global);
    const { loss, predictions } = evaluate(model, data.val, classes);
    let correct = 0;
    predictions.forEach((p, i) => (correct += p === data.val.y[i] ? 1 : 0));
    const row: RoundRow = {
      round, testAccuracy: correct / predictions.length, testLoss: loss, clientsSampled: sampled.length, clientsFailed: failed,
      bytesUp: results.length * bytesPerModel, bytesDown: sampled.length * bytesPerModel,
      seconds: (performance.now() - t0) / 1000, trainSeconds: (t1 - t0) / 1000, aggregateSeconds: (t2 - t1) / 1000,
    };
    rows.push(row);
    onRound?.(row);
    if (sim.outDir && checkpoint) {
      mkdirSync(checkpoint, { recursive: true });
      const state = sim.strategy.state?.() ?? [];
      const flat = new Float64Array(state.reduce((n, a) => n + a.length, 0));
      state.reduce((at, a) => (flat.set(a, at), at + a.length), 0);
      writeFileAtomic(join(checkpoint, "parameters.f32"), new Uint8Array(global.buffer, global.byteOffset, global.byteLength));
      writeFileAtomic(join(checkpoint, "strategy.f64"), new Uint8Array(flat.buffer));
      // round.json last: it is what makes the checkpoint complete.
      writeJsonAtomic(join(checkpoint, "round.json"), { rows, stateLengths: state.map((a) => a.length) });
      writeCsv(join(sim.outDir, "history.csv"), rows as unknown as Record<string, number>[]);
    }
  }
  model.dispose();
  return { rounds: rows, histogram, parameters: global };
}
