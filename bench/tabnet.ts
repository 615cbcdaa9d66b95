/**
 * TabNet beside pytorch-tabnet (one JSON object on stdout): the same split, the same
 * standardisation, the seed's config (n_d = n_a = 8, 3 steps, γ 1.3, Adam 2e-2, batch 1024,
 * virtual batch 128), the same thread count, several seeds, runs alternating. On the synthetic
 * CICIDS set, and on scikit-learn's digits when scikit-learn is present. Reports test accuracy and
 * macro-F1 (mean ± sd over seeds) and seconds per epoch (median).
 *     node build/bench/tabnet.js [--seeds 3] [--cicids-epochs 20] [--digits-epochs 200] [--threads 1] [--rows 20000] [--datasets cicids,digits]
 * pytorch-tabnet runs from its source: EDGELAB_TABNET_SRC (see bench/peers/tabnet_reference.py).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { TabularDataset } from "../lib/data/dataset";
import { loadDataset } from "../lib/data/registry";
import { standardizeSplit } from "../lib/data/standardize";
import { writeNpy } from "../lib/deploy/npy";
import { argmaxRows, classificationReport } from "../lib/metrics/classification";
import { TabNet } from "../lib/models/tabnet";
import { configureThreads, useBackend } from "../lib/runtime";
import { projectRoot } from "../lib/runtime/paths";
import { systemPython } from "../lib/runtime/python";
import { trainTabNet } from "../lib/train/tabnet";

interface RunResult {
  accuracy: number;
  macroF1: number;
  secondsPerEpoch: number;
}

const root = projectRoot();
const python = systemPython();

function stats(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1));
  return { mean, sd };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Why pytorch-tabnet cannot run here, or null. */
function peerMissing(): string | null {
  const src = process.env.EDGELAB_TABNET_SRC;
  if (!src) return "EDGELAB_TABNET_SRC is not set (a dreamquark-ai/tabnet checkout holding pytorch_tabnet/)";
  const probe = spawnSync(python, ["-c", "import torch, scipy, sklearn"], { stdio: "ignore" });
  return probe.status === 0 ? null : `${python} cannot import torch, scipy and sklearn`;
}

async function edgelabRun(
  train: TabularDataset,
  test: TabularDataset,
  epochs: number,
  seed: number,
): Promise<RunResult> {
  const model = new TabNet({ features: train.featureNames.length, classes: train.classNames.length, seed: seed + 1 });
  const run = await trainTabNet(model, { features: train.features, labels: train.labels }, { epochs, seed });
  const pred = argmaxRows(model.predictProba(test.features), train.classNames.length);
  model.dispose();
  const report = classificationReport(test.labels, pred, train.classNames);
  return { accuracy: report.accuracy, macroF1: report.macro.f1, secondsPerEpoch: run.secondsPerEpoch };
}

function peerRun(dir: string, epochs: number, seed: number, threads: number): RunResult | { error: string } {
  const files = ["xtr", "ytr", "xte", "yte"].map((n) => join(dir, `${n}.npy`));
  const run = spawnSync(
    python,
    [
      join(root, "bench", "peers", "tabnet_reference.py"),
      "fit",
      ...files,
      String(epochs),
      String(seed),
      String(threads),
    ],
    { encoding: "utf8", env: process.env },
  );
  if (run.status !== 0) return { error: (run.stderr || "pytorch-tabnet failed").trim().split("\n").at(-1)! };
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!) as RunResult;
}

/** scikit-learn's digits as a CSV (label column "target"), made once by the system Python. */
function digitsCsv(): string | null {
  const file = join(root, "data", "cache", "digits.csv");
  if (existsSync(file)) return file;
  mkdirSync(join(root, "data", "cache"), { recursive: true });
  const run = spawnSync(python, [join(root, "bench", "peers", "sklearn_digits.py"), file], { encoding: "utf8" });
  return run.status === 0 ? file : null;
}

async function compare(
  name: string,
  dataset: string,
  req: Parameters<typeof loadDataset>[1],
  epochs: number,
  seeds: number,
  threads: number,
  missing: string | null,
): Promise<Record<string, unknown>> {
  const loaded = loadDataset(dataset, { ...req, seed: 0 });
  if (loaded.kind !== "tabular") throw new Error(`${dataset} is not tabular`);
  const { train, test } = standardizeSplit(loaded.train, loaded.test);
  const dir = mkdtempSync(join(tmpdir(), "edgelab-tabnet-bench-"));
  try {
    writeNpy(join(dir, "xtr.npy"), {
      dtype: "float32",
      shape: [train.labels.length, train.featureNames.length],
      data: train.features,
    });
    writeNpy(join(dir, "ytr.npy"), {
      dtype: "int64",
      shape: [train.labels.length],
      data: BigInt64Array.from(train.labels, (v) => BigInt(v)),
    });
    writeNpy(join(dir, "xte.npy"), {
      dtype: "float32",
      shape: [test.labels.length, test.featureNames.length],
      data: test.features,
    });
    writeNpy(join(dir, "yte.npy"), {
      dtype: "int64",
      shape: [test.labels.length],
      data: BigInt64Array.from(test.labels, (v) => BigInt(v)),
    });
    const ours: RunResult[] = [];
    const theirs: RunResult[] = [];
    let peerError: string | null = missing;
    for (let seed = 0; seed < seeds; seed++) {
      // alternate which goes first: this machine's speed drifts
      const order = seed % 2 === 0 ? ["peer", "edgelab"] : ["edgelab", "peer"];
      for (const who of order) {
        process.stderr.write(`bench: TabNet on ${name}, seed ${seed}, ${who} …\n`);
        if (who === "edgelab") ours.push(await edgelabRun(train, test, epochs, seed));
        else if (!peerError) {
          const r = peerRun(dir, epochs, seed, threads);
          if ("error" in r) peerError = r.error;
          else theirs.push(r);
        }
      }
    }
    const summarise = (runs: RunResult[]): Record<string, unknown> => ({
      accuracy: stats(runs.map((r) => r.accuracy)),
      macroF1: stats(runs.map((r) => r.macroF1)),
      secondsPerEpoch: median(runs.map((r) => r.secondsPerEpoch)),
      runs,
    });
    const edgelab = summarise(ours);
    const peer = theirs.length ? summarise(theirs) : { error: peerError };
    return {
      dataset: name,
      trainRows: train.labels.length,
      testRows: test.labels.length,
      features: train.featureNames.length,
      classes: train.classNames.length,
      epochs,
      seeds,
      threads,
      edgelab,
      peer,
      speedRatio: theirs.length
        ? median(theirs.map((r) => r.secondsPerEpoch)) / median(ours.map((r) => r.secondsPerEpoch))
        : null,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: "string" },
      "cicids-epochs": { type: "string" },
      "digits-epochs": { type: "string" },
      threads: { type: "string" },
      rows: { type: "string" },
      datasets: { type: "string" },
    },
    strict: true,
  });
  const datasets = (values.datasets ?? "cicids,digits").split(",");
  const seeds = Number(values.seeds ?? 3);
  const threads = Number(values.threads ?? 1);
  const rows = Number(values.rows ?? 20000);
  const cicidsEpochs = Number(values["cicids-epochs"] ?? 20);
  const digitsEpochs = Number(values["digits-epochs"] ?? 200);
  configureThreads({ intraOp: threads });
  await useBackend("wasm");
  const missing = peerMissing();
  const results: Record<string, unknown>[] = [];
  if (datasets.includes("cicids"))
    results.push(
      await compare(
        "synthetic-cicids",
        "synthetic-cicids",
        { syntheticSize: rows },
        cicidsEpochs,
        seeds,
        threads,
        missing,
      ),
    );
  const digits = datasets.includes("digits") ? digitsCsv() : null;
  if (digits)
    results.push(await compare("sklearn-digits", digits, { label: "target" }, digitsEpochs, seeds, threads, missing));
  else if (datasets.includes("digits"))
    results.push({ dataset: "sklearn-digits", skipped: `${python} has no scikit-learn (Debian: python3-sklearn)` });
  const argv = process.argv.slice(2).join(" ");
  console.log(
    JSON.stringify({
      benchmark: "tabnet-vs-pytorch-tabnet",
      config:
        "n_d = n_a = 8, 3 steps, gamma 1.3, Adam 2e-2, batch 1024 (last partial batch dropped), virtual batch 128, lambda_sparse 1e-3, no early stopping",
      results,
      goal: "accuracy within the reference's seed spread; speedRatio = pytorch-tabnet s/epoch ÷ edgelab s/epoch ≥ 1.0",
      command: `node build/bench/tabnet.js${argv ? ` ${argv}` : ""}`,
    }),
  );
}

void main();
