/**
 * Datasets by name, as the CLI and notebooks ask for them. A registry is plain data: each entry
 * says what it is and how to load its train and test parts.
 */
import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { ImageDataset, TabularDataset } from "./dataset";
import { selectRows } from "./dataset";
import { DataFormatError } from "./errors";
import { loadCicids2017, type CicidsCleaningOptions, type CicidsCleaningReport } from "./cicids2017";
import { findCifarBatches, loadCifar10, loadCifarFiles } from "./cifar10";
import { cifarFilesAt, detectFormat } from "./detect";
import { padImages } from "./pad";
import { debianFashionMnistDir, fashionMnistClasses, findIdxPair, loadMnistLike } from "./mnist";
import { trainValTestSplit } from "./split";
import { syntheticCicids, syntheticImages } from "./synthetic";
import { loadTabularCsv } from "./tabular-csv";
import { selectFeatures } from "./feature-sets";
import { readdirSync } from "node:fs";

/** Options every named dataset accepts. */
export interface DatasetRequest {
  /** Folder with the real files (CIFAR-10, CICIDS2017, MNIST); Fashion-MNIST defaults to Debian's. */
  dataDir?: string;
  /** Sample count for synthetic sets (train + test). */
  syntheticSize?: number;
  seed?: number;
  cleaning?: Partial<CicidsCleaningOptions>;
  /** A generic CSV's label column (then `nameOrPath` is that CSV). */
  label?: string;
  /** Feature columns (default: all; for a generic CSV, all but the label), or a set such as "panos". */
  features?: string[];
}

/** Train and test parts of an image dataset. */
export interface LoadedImages {
  kind: "image";
  name: string;
  train: ImageDataset;
  test: ImageDataset;
  synthetic: boolean;
}
/** Train and test parts of a tabular dataset. */
export interface LoadedTable {
  kind: "tabular";
  name: string;
  train: TabularDataset;
  test: TabularDataset;
  synthetic: boolean;
}
/** Train and test parts of a named dataset. */
export type LoadedDataset = LoadedImages | LoadedTable;

function splitTabular(name: string, ds: TabularDataset, seed: number, synthetic: boolean): LoadedDataset {
  const parts = trainValTestSplit(ds.labels, { train: 0.8, val: 0, test: 0.2 }, seed);
  return { kind: "tabular", name, train: selectRows(ds, parts.train), test: selectRows(ds, parts.test), synthetic };
}

function splitImages(name: string, ds: ImageDataset, trainCount: number, synthetic = true): LoadedImages {
  const [, h, w, c] = ds.shape;
  const size = h * w * c;
  const cut = (from: number, to: number): ImageDataset => ({
    ...ds,
    images: ds.images.slice(from * size, to * size),
    labels: ds.labels.slice(from, to),
    shape: [to - from, h, w, c],
  });
  return { kind: "image", name, train: cut(0, trainCount), test: cut(trainCount, ds.labels.length), synthetic };
}

/** The named datasets. */
export const datasetRegistry: Record<string, { description: string; load: (req: DatasetRequest) => LoadedDataset }> = {
  "fashion-mnist": {
    description: "Fashion-MNIST, 60000 train / 10000 test 28×28 grey images (Debian dataset-fashion-mnist, or --data DIR)",
    load: (req) => {
      const dir = req.dataDir ?? debianFashionMnistDir;
      return { kind: "image", name: "fashion-mnist", train: loadMnistLike({ dir, split: "train" }), test: loadMnistLike({ dir, split: "test" }), synthetic: false };
    },
  },
  "fashion-mnist-32": {
    description: "Fashion-MNIST zero-padded to 32×32 (for SqueezeNet-32 and other 32×32 networks)",
    load: (req) => {
      const dir = req.dataDir ?? debianFashionMnistDir;
      const pad = (split: "train" | "test"): ImageDataset => padImages(loadMnistLike({ dir, split }), 32, 32);
      return { kind: "image", name: "fashion-mnist-32", train: pad("train"), test: pad("test"), synthetic: false };
    },
  },
  mnist: {
    description: "MNIST digits from IDX files in --data DIR",
    load: (req) => {
      if (!req.dataDir) throw new DataFormatError("mnist", "needs --data DIR with the four IDX files (data/fetch.sh mnist)");
      return { kind: "image", name: "mnist", train: loadMnistLike({ dir: req.dataDir, split: "train", name: "mnist" }), test: loadMnistLike({ dir: req.dataDir, split: "test", name: "mnist" }), synthetic: false };
    },
  },
  cifar10: {
    description: "CIFAR-10, binary or python layout, in --data DIR",
    load: (req) => {
      if (!req.dataDir) throw new DataFormatError("cifar10", "needs --data DIR holding cifar-10-batches-bin or cifar-10-batches-py (data/fetch.sh cifar10)");
      return { kind: "image", name: "cifar10", train: loadCifar10({ dir: req.dataDir, split: "train" }), test: loadCifar10({ dir: req.dataDir, split: "test" }), synthetic: false };
    },
  },
  cicids2017: {
    description: "CICIDS2017 MachineLearningCVE CSVs in --data DIR (cleaned; stratified 80/20 split)",
    load: (req) => {
      if (!req.dataDir) throw new DataFormatError("cicids2017", "needs --data DIR with the MachineLearningCVE CSVs (data/fetch.sh cicids2017)");
      const { dataset } = loadCicids2017(req.dataDir, { cleaning: req.cleaning });
      return splitTabular("cicids2017", dataset, req.seed ?? 0, false);
    },
  },
  "synthetic-cicids": {
    description: "SYNTHETIC flows with the exact CICIDS2017 schema and class imbalance",
    load: (req) => splitTabular("synthetic-cicids", syntheticCicids({ rows: req.syntheticSize ?? 20000, seed: req.seed }), req.seed ?? 0, true),
  },
  "synthetic-cifar": {
    description: "SYNTHETIC CIFAR-shaped 32×32×3 images, 10 balanced classes",
    load: (req) => {
      const total = req.syntheticSize ?? 6000;
      return splitImages("synthetic-cifar", syntheticImages({ count: total, seed: req.seed }), Math.round(total * (5 / 6)));
    },
  },
  "synthetic-fashion": {
    description: "SYNTHETIC Fashion-MNIST-shaped 28×28×1 images (used when dataset-fashion-mnist is absent)",
    load: (req) => {
      const total = req.syntheticSize ?? 7000;
      const ds = syntheticImages({ count: total, seed: req.seed, height: 28, width: 28, channels: 1, name: "synthetic-fashion", classNames: fashionMnistClasses });
      return splitImages("synthetic-fashion", ds, Math.round(total * (6 / 7)));
    },
  },
};

/** Names of the registered datasets. */
export const datasetNames = Object.keys(datasetRegistry);

/**
 * Loads a dataset by registered name, or a path (format detected: an IDX folder, a CIFAR-10
 * folder or CICIDS2017 CSVs).
 */
export function loadDataset(nameOrPath: string, req: DatasetRequest = {}): LoadedDataset {
  if (req.features !== undefined && req.label === undefined) {
    // a column subset of a tabular dataset (e.g. --features panos on CICIDS2017)
    const loaded = loadDataset(nameOrPath, { ...req, features: undefined });
    if (loaded.kind !== "tabular") throw new DataFormatError(nameOrPath, "--features applies to tabular data; this dataset holds images");
    return { ...loaded, train: selectFeatures(loaded.train, req.features, nameOrPath), test: selectFeatures(loaded.test, req.features, nameOrPath) };
  }
  const entry = datasetRegistry[nameOrPath];
  if (entry) return entry.load(req);
  if (!existsSync(nameOrPath)) {
    throw new DataFormatError(nameOrPath, `unknown dataset (not a path either); choose one of ${datasetNames.join(", ")}`);
  }
  // The format is read from the content, as `edgelab data inspect` does: any path it accepts trains.
  const format = detectFormat(nameOrPath);
  const folder = statSync(nameOrPath).isDirectory();
  if (req.label !== undefined) {
    if (folder || format !== "csv") throw new DataFormatError(nameOrPath, `--label applies to a CSV file with a header; this is ${folder ? "a folder" : `a ${format} file`}`);
    const table = loadTabularCsv(nameOrPath, { label: req.label, features: req.features, name: basename(nameOrPath) });
    return splitTabular(basename(nameOrPath), table, req.seed ?? 0, false);
  }
  if (format === "csv") throw new DataFormatError(nameOrPath, "a CSV that is not CICIDS2017: name its label column with --label COLUMN (and optionally --features a,b,…)");
  if (format === "idx") {
    if (folder && findIdxPair(nameOrPath, "train")) return datasetRegistry["fashion-mnist"].load({ ...req, dataDir: nameOrPath });
    throw new DataFormatError(nameOrPath, "an IDX file alone has no labels: point --dataset at the folder holding the train and test images and labels (…-idx3-ubyte, …-idx1-ubyte)");
  }
  if (format === "cifar10") {
    if (folder && (findCifarBatches(nameOrPath, "train") || existsSync(join(nameOrPath, "cifar-10-batches-bin")) || existsSync(join(nameOrPath, "cifar-10-batches-py")))) {
      return datasetRegistry.cifar10.load({ ...req, dataDir: nameOrPath });
    }
    // Batch files under any name (or one file): the first 5/6 of the images train, the rest test.
    const { layout, files } = cifarFilesAt(nameOrPath);
    const images = loadCifarFiles(files, layout);
    return splitImages(`cifar10 (${basename(nameOrPath)})`, images, Math.round((images.labels.length * 5) / 6), false);
  }
  return datasetRegistry.cicids2017.load({ ...req, dataDir: nameOrPath });
}

/** Fashion-MNIST when Debian's package (or `dataDir`) has it, else the synthetic stand-in, labelled. */
export function fashionMnistOrSynthetic(req: DatasetRequest = {}): LoadedImages {
  const dir = req.dataDir ?? debianFashionMnistDir;
  if (findIdxPair(dir, "train") && findIdxPair(dir, "test")) {
    return { kind: "image", name: "fashion-mnist", train: loadMnistLike({ dir, split: "train" }), test: loadMnistLike({ dir, split: "test" }), synthetic: false };
  }
  const total = req.syntheticSize ?? 7000;
  const ds = syntheticImages({ count: total, seed: req.seed, height: 28, width: 28, channels: 1, name: "synthetic-fashion", classNames: fashionMnistClasses });
  return splitImages("synthetic-fashion", ds, Math.round(total * (6 / 7)));
}

/** Where real CICIDS2017 CSVs are looked for: `EDGELAB_CICIDS_DIR`, else data/cicids2017 under `root`. */
export function defaultCicidsDir(root: string): string {
  return process.env.EDGELAB_CICIDS_DIR ?? join(root, "data", "cicids2017");
}

/**
 * The real CICIDS2017 CSVs in `dataDir` when it holds any (cleaned, with the report), else a
 * synthetic set with the same schema and imbalance, labelled synthetic.
 */
export function cicidsOrSynthetic(req: { dataDir: string; syntheticRows?: number; seed?: number; cleaning?: Partial<CicidsCleaningOptions>; maxRows?: number }): {
  dataset: TabularDataset;
  cleaning: CicidsCleaningReport | null;
  synthetic: boolean;
} {
  const hasCsv = existsSync(req.dataDir) && readdirSync(req.dataDir).some((n) => n.toLowerCase().endsWith(".csv"));
  if (hasCsv) {
    const { dataset, report } = loadCicids2017(req.dataDir, { cleaning: req.cleaning, maxRows: req.maxRows });
    return { dataset, cleaning: report, synthetic: false };
  }
  return { dataset: syntheticCicids({ rows: req.syntheticRows ?? 20000, seed: req.seed }), cleaning: null, synthetic: true };
}
