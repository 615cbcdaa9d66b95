/**
 * The seed's model-comparison matrix, measured: several models trained on the same split of the
 * same (standardised) tabular data, each scored on the same held-out rows — accuracy, macro- and
 * weighted-F1, per-class recall (the rare attack classes are the point), confusion matrix — with
 * parameters, model size, training time per epoch and flows/s, batch-1 inference latency (ONNX
 * Runtime for the neural models, TabNet included, through their ONNX export; libxgboost for
 * XGBoost) and peak RSS.
 */
import { benchmarkLatency } from "../deploy/benchmark";
import { exportToOnnx } from "../deploy/export";
import { exportTabNetToOnnx } from "../deploy/export-tabnet";
import type { ClassificationReport } from "../metrics/classification";
import { latencyStats } from "../metrics/latency";
import { buildModel, modelEntry } from "../models/registry";
import type { TabNet } from "../models/tabnet";
import type { XGBoostClassifier } from "../models/xgboost";
import { train } from "../train/engine";
import type { TrainData } from "../train/config";
import { trainTabularBaseline } from "../train/tabular-baselines";
import { parameterCount as layersParameterCount } from "../models/mlp";

/** One model of the comparison. */
export interface ComparisonSpec {
  /** "mlp", "sentinelnet", "sentinelnet-debug", "tabnet" or "xgboost". */
  model: string;
  /** Display name (default: the model name). */
  label?: string;
  epochs: number;
  batchSize?: number;
  learningRate?: number;
}

/** One row of the matrix. */
export interface ComparisonRow {
  model: string;
  label: string;
  parameters: number;
  sizeKB: number;
  epochs: number;
  secondsPerEpoch: number;
  trainFlowsPerSec: number;
  accuracy: number;
  macroF1: number;
  weightedF1: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyVia: "onnxruntime" | "tfjs" | "libxgboost";
  peakRssMB: number;
}

/** The matrix plus what the notebook draws from. */
export interface Comparison {
  rows: ComparisonRow[];
  reports: Record<string, ClassificationReport>;
  /** Per-class recall per model label: { class: { label: recall } }. */
  recall: { className: string; support: number; [label: string]: string | number }[];
  /** The trained TabNet, kept for `explain` (the caller disposes it), or null. */
  tabnet: TabNet | null;
}

function timeCalls(n: number, call: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    call();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Trains and measures every spec on `data` (train/val = train/test split, standardised). */
export async function compareTabularModels(
  data: TrainData,
  specs: ComparisonSpec[],
  options: { seed?: number; latencyIterations?: number; onModel?: (label: string) => void } = {},
): Promise<Comparison> {
  const seed = options.seed ?? 0;
  const iterations = options.latencyIterations ?? 100;
  const d = data.train.sampleShape.reduce((a, b) => a * b, 1);
  const oneRow = data.val.x.subarray(0, d);
  const rows: ComparisonRow[] = [];
  const reports: Record<string, ClassificationReport> = {};
  let tabnet: TabNet | null = null;
  for (const spec of specs) {
    const label = spec.label ?? spec.model;
    options.onModel?.(label);
    const { trainer } = modelEntry(spec.model);
    if (trainer !== "engine") {
      const run = await trainTabularBaseline(trainer, data, {
        epochs: spec.epochs,
        batchSize: spec.batchSize,
        learningRate: spec.learningRate,
        seed,
        outDir: null,
      });
      let latency: number[];
      let latencyOnnx: { p50Ms: number; p95Ms: number } | null = null;
      let sizeKB: number;
      if (trainer === "tabnet") {
        const model = run.model as TabNet;
        // deployed as the other neural models are: its ONNX export under onnxruntime
        const bytes = exportTabNetToOnnx(model);
        const lat = await benchmarkLatency(bytes, { batch: 1, iterations, raw: false });
        latency = [];
        latencyOnnx = { p50Ms: lat.p50Ms, p95Ms: lat.p95Ms };
        sizeKB = bytes.byteLength / 1024;
        tabnet?.dispose();
        tabnet = model;
      } else {
        const model = run.model as XGBoostClassifier;
        latency = timeCalls(iterations + 10, () => model.predictProba(oneRow)).slice(10);
        sizeKB = model.save().byteLength / 1024;
        model.dispose();
      }
      const stats = latencyOnnx ?? latencyStats(latency);
      reports[label] = run.result.report;
      rows.push({
        model: spec.model,
        label,
        parameters: trainer === "tabnet" ? run.parameters : 0,
        sizeKB,
        epochs: run.result.history.length,
        secondsPerEpoch: run.result.secondsPerEpoch,
        trainFlowsPerSec: run.result.samplesPerSec,
        accuracy: run.result.report.accuracy,
        macroF1: run.result.report.macro.f1,
        weightedF1: run.result.report.weighted.f1,
        latencyP50Ms: stats.p50Ms,
        latencyP95Ms: stats.p95Ms,
        latencyVia: trainer === "tabnet" ? "onnxruntime" : "libxgboost",
        peakRssMB: run.result.peakRssMB,
      });
      continue;
    }
    const model = buildModel(spec.model, {
      inputShape: data.train.sampleShape,
      classes: data.classNames.length,
      seed,
    });
    const result = await train(model, data, {
      epochs: spec.epochs,
      seed,
      progress: "none",
      ...(spec.batchSize ? { batchSize: spec.batchSize } : {}),
      ...(spec.learningRate ? { learningRate: spec.learningRate } : {}),
    });
    const bytes = exportToOnnx(model, { modelName: spec.model });
    const lat = await benchmarkLatency(bytes, { batch: 1, iterations, raw: false });
    reports[label] = result.report;
    rows.push({
      model: spec.model,
      label,
      parameters: layersParameterCount(model),
      sizeKB: bytes.byteLength / 1024,
      epochs: result.history.length,
      secondsPerEpoch: result.secondsPerEpoch,
      trainFlowsPerSec: result.samplesPerSec,
      accuracy: result.report.accuracy,
      macroF1: result.report.macro.f1,
      weightedF1: result.report.weighted.f1,
      latencyP50Ms: lat.p50Ms,
      latencyP95Ms: lat.p95Ms,
      latencyVia: "onnxruntime",
      peakRssMB: result.peakRssMB,
    });
    model.dispose();
  }
  const labels = Object.keys(reports);
  const recall = data.classNames.map((className, c) => {
    const row: { className: string; support: number; [label: string]: string | number } = {
      className,
      support: reports[labels[0]].perClass[c].support,
    };
    for (const l of labels) row[l] = reports[l].perClass[c].recall;
    return row;
  });
  return { rows, reports, recall, tabnet };
}
