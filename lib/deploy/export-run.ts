/**
 * Exports a finished `edgelab train` run (its latest checkpoint, standardizer and class names) to
 * an ONNX file whose metadata carries the preprocessing, ready for `DeployedModel.load`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DataFormatError } from "../data/errors";
import { parseStandardizer } from "../data/standardize";
import { buildModel, modelEntry, type ModelShape } from "../models/registry";
import { writeFileAtomic } from "../report/atomic";
import { loadCheckpoint } from "../train/checkpoint";
import { tabNetFromCheckpoint } from "../train/tabnet-checkpoint";
import { exportToOnnx } from "./export";
import { exportTabNetToOnnx } from "./export-tabnet";

/** What {@link exportRun} wrote. */
export interface ExportRunResult {
  out: string;
  model: string;
  bytes: number;
  epoch: number;
  preprocessing: boolean;
  labels: number;
}

/** Exports run folder `runDir` (as written by `edgelab train --out`) to `out`. */
export function exportRun(runDir: string, out: string): ExportRunResult {
  const ckptDir = join(runDir, "checkpoints");
  if (!existsSync(join(ckptDir, "latest.json")))
    throw new DataFormatError(runDir, "no checkpoint (expected checkpoints/latest.json from edgelab train)");
  const ckpt = loadCheckpoint(ckptDir);
  const stdFile = join(runDir, "standardizer.json");
  const standardizer = existsSync(stdFile)
    ? parseStandardizer(JSON.parse(readFileSync(stdFile, "utf8")), stdFile)
    : null;
  const classFile = join(runDir, "classes.json");
  const labels = existsSync(classFile) ? (JSON.parse(readFileSync(classFile, "utf8")) as string[]) : undefined;
  const options = {
    modelName: ckpt.state.model.name,
    config: ckpt.state.model.config,
    labels,
    ...(standardizer
      ? { featureNames: standardizer.featureNames, mean: standardizer.mean, std: standardizer.std }
      : {}),
  };
  let bytes: Uint8Array;
  const entry = modelEntry(ckpt.state.model.name);
  if (!entry.capabilities.onnxExport)
    throw new DataFormatError(runDir, `a ${ckpt.state.model.name} run cannot be exported to ONNX`);
  if (entry.trainer === "tabnet") {
    // TabNet owns its variables (not a tfjs-layers model): its own exporter
    const { model, optimizer } = tabNetFromCheckpoint(ckpt);
    bytes = exportTabNetToOnnx(model, options);
    model.dispose();
    for (const o of optimizer) o.tensor.dispose();
  } else {
    const model = buildModel(ckpt.state.model.name, ckpt.state.model.config as ModelShape);
    model.setWeights(ckpt.weights);
    bytes = exportToOnnx(model, options);
    model.dispose();
    for (const t of ckpt.weights) t.dispose();
  }
  writeFileAtomic(out, bytes);
  return {
    out,
    model: ckpt.state.model.name,
    bytes: bytes.byteLength,
    epoch: ckpt.state.epoch,
    preprocessing: standardizer !== null,
    labels: labels?.length ?? 0,
  };
}
