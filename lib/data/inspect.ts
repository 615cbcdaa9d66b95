/**
 * Summaries of a dataset on disk: what `edgelab data inspect` prints. Reads the whole dataset
 * (counts are exact) through the same loaders training uses.
 */
import { statSync } from "node:fs";
import { readInputFile } from "./read-file";
import { join } from "node:path";
import { labelCountMap } from "./dataset";
import { DataFormatError } from "./errors";
import { loadCicids2017, type CicidsCleaningOptions } from "./cicids2017";
import { loadCifarFiles } from "./cifar10";
import { cifarFilesAt, detectFormat, type DataFormat } from "./detect";
import { decodeIdx } from "./idx";
import { fashionMnistClasses, findIdxPair, mnistClasses } from "./mnist";
import { loadTabularCsv, splitCsvLine } from "./tabular-csv";

/** The result of inspecting a dataset. */
export interface DataSummary {
  format: DataFormat;
  path: string;
  files: string[];
  samples: number;
  classes: number;
  labelCounts: Record<string, number>;
  /** Per-sample shape for images, e.g. [28, 28, 1]. */
  shape?: number[];
  featureCount?: number;
  /** Per split, for folders holding train and test. */
  splits?: Record<string, { samples: number; labelCounts: Record<string, number> }>;
  cleaning?: { rawRows: number; blankRows: number; nonFiniteRows: number; negativeRows: number; duplicateRows: number; cleanRows: number; options: CicidsCleaningOptions };
}

function countsOf(labels: Uint8Array, names: string[]): Record<string, number> {
  return labelCountMap(labels, names);
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function inspectIdx(path: string): DataSummary {
  const classNamesFor = (p: string): string[] => (/fashion/i.test(p) ? fashionMnistClasses : mnistClasses);
  if (statSync(path).isDirectory()) {
    const splits: NonNullable<DataSummary["splits"]> = {};
    const files: string[] = [];
    let shape: number[] = [];
    let labelCounts: Record<string, number> = {};
    for (const split of ["train", "test"] as const) {
      const pair = findIdxPair(path, split);
      if (!pair) continue;
      const images = decodeIdx(readInputFile(pair.images), pair.images);
      const labels = decodeIdx(readInputFile(pair.labels), pair.labels);
      if (labels.shape[0] !== images.shape[0]) throw new DataFormatError(pair.labels, `${labels.shape[0]} labels for ${images.shape[0]} images in ${pair.images}`);
      shape = [...images.shape.slice(1), 1];
      const counts = countsOf(labels.data, classNamesFor(path));
      splits[split] = { samples: images.shape[0], labelCounts: counts };
      labelCounts = mergeCounts(labelCounts, counts);
      files.push(pair.images, pair.labels);
    }
    const samples = Object.values(splits).reduce((s, v) => s + v.samples, 0);
    return { format: "idx", path, files, samples, classes: Object.keys(labelCounts).length, labelCounts, shape, splits };
  }
  const array = decodeIdx(readInputFile(path), path);
  if (array.shape.length === 1) {
    const names = classNamesFor(path);
    const max = array.data.reduce((m, v) => Math.max(m, v), 0);
    const classNames = max < names.length ? names : Array.from({ length: max + 1 }, (_, i) => String(i));
    const labelCounts = countsOf(array.data, classNames);
    return { format: "idx", path, files: [path], samples: array.shape[0], classes: Object.values(labelCounts).filter((v) => v > 0).length, labelCounts };
  }
  // An images file alone: look for its labels beside it.
  const dir = join(path, "..");
  const split = /t10k/.test(path) ? "test" : "train";
  const pair = findIdxPair(dir, split);
  const labelCounts = pair ? countsOf(decodeIdx(readInputFile(pair.labels), pair.labels).data, classNamesFor(path)) : {};
  return { format: "idx", path, files: pair ? [path, pair.labels] : [path], samples: array.shape[0], classes: Object.keys(labelCounts).length, labelCounts, shape: [...array.shape.slice(1), 1] };
}

function inspectCifar(path: string): DataSummary {
  const { layout, files } = cifarFilesAt(path);
  const train = files.filter((f) => /data_batch/.test(f));
  const test = files.filter((f) => /test_batch/.test(f));
  const splits: NonNullable<DataSummary["splits"]> = {};
  let labelCounts: Record<string, number> = {};
  let samples = 0;
  for (const [name, group] of [["train", train], ["test", test]] as const) {
    if (group.length === 0) continue;
    const ds = loadCifarFiles(group, layout);
    const counts = countsOf(ds.labels, ds.classNames);
    splits[name] = { samples: ds.labels.length, labelCounts: counts };
    labelCounts = mergeCounts(labelCounts, counts);
    samples += ds.labels.length;
  }
  return { format: "cifar10", path, files, samples, classes: Object.values(labelCounts).filter((v) => v > 0).length, labelCounts, shape: [32, 32, 3], splits };
}

function inspectCicids(path: string, cleaning?: Partial<CicidsCleaningOptions>): DataSummary {
  const { dataset, report } = loadCicids2017(path, { cleaning });
  const { rawRows, blankRows, nonFiniteRows, negativeRows, duplicateRows, cleanRows, options } = report;
  return {
    format: "cicids2017",
    path,
    files: report.files,
    samples: dataset.labels.length,
    classes: Object.values(report.labelCounts).filter((v) => v > 0).length,
    labelCounts: report.labelCounts,
    featureCount: dataset.featureNames.length,
    cleaning: { rawRows, blankRows, nonFiniteRows, negativeRows, duplicateRows, cleanRows, options },
  };
}

/** A generic CSV: with a label column, its classes; without, its rows and columns. */
function inspectCsv(path: string, label?: string): DataSummary {
  if (label) {
    const ds = loadTabularCsv(path, { label });
    return { format: "csv", path, files: [path], samples: ds.labels.length, classes: ds.classNames.length, labelCounts: labelCountMap(ds.labels, ds.classNames), featureCount: ds.featureNames.length };
  }
  const text = readInputFile(path).toString("utf8");
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) throw new DataFormatError(path, "empty file");
  const columns = splitCsvLine(lines[0].replace(/\r$/, ""), path, 1).length;
  return { format: "csv", path, files: [path], samples: lines.length - 1, classes: 0, labelCounts: {}, featureCount: columns };
}

/**
 * Inspects a dataset file or folder; the format is detected when not given. `label` names a
 * generic CSV's label column.
 * @example inspectData("/usr/share/datasets/fashion-mnist").splits.train.samples // 60000
 */
export function inspectData(path: string, format?: DataFormat, cleaning?: Partial<CicidsCleaningOptions>, label?: string): DataSummary {
  const fmt = format ?? detectFormat(path);
  try {
    statSync(path);
  } catch {
    throw new DataFormatError(path, "no such file or folder");
  }
  if (fmt === "idx") return inspectIdx(path);
  if (fmt === "cifar10") return inspectCifar(path);
  if (fmt === "csv") return inspectCsv(path, label);
  return inspectCicids(path, cleaning);
}

