/**
 * Synthetic data with the exact schemas of the real sets, for tests and the offline quick
 * profile. Always labelled synthetic (`source.synthetic = true`, name prefixed "synthetic-").
 *
 * - CICIDS2017: the 78-feature schema, the real class imbalance (with a floor so rare classes
 *   exist), class-dependent flow statistics a model can learn, and the real files' quirks
 *   when written as CSV (Infinity/NaN rates, exact duplicates, negative durations, the 0x96 dash).
 * - CIFAR-shaped images: 32×32×3 in [0, 1], each class a colour, stripe orientation and
 *   frequency, plus noise.
 */
import { writeFileSync } from "node:fs";
import { Rng } from "../random/rng";
import type { ImageDataset, TabularDataset } from "./dataset";
import { cicidsFeatureNames, cicidsHeader, cicidsLabels } from "./cicids-schema";
import { cifar10Classes } from "./cifar10";

const FEATURES = 78;

/** Class sizes for `rows` samples following the real imbalance, each class at least `minPerClass`. */
export function cicidsClassSizes(rows: number, minPerClass = 3): number[] {
  const total = cicidsLabels.reduce((s, l) => s + l.rows, 0);
  const floor = Math.min(minPerClass, Math.floor(rows / cicidsLabels.length));
  const sizes = cicidsLabels.map((l) => Math.max(floor, Math.floor((l.rows / total) * rows)));
  sizes[0] += rows - sizes.reduce((a, b) => a + b, 0); // BENIGN absorbs the rounding
  return sizes;
}

/** Per-class log-scale prototypes for each feature (deterministic in the seed). */
function classPrototypes(seed: number): Float64Array[] {
  const rng = new Rng(seed ^ 0x5eed);
  return cicidsLabels.map(() => {
    const proto = new Float64Array(FEATURES);
    for (let j = 0; j < FEATURES; j++) proto[j] = 1 + rng.next() * 9; // log1p-scale centre in [1, 10]
    return proto;
  });
}

const ports = [80, 443, 53, 8080, 21, 22, 139, 445, 123, 3389];

/** Generates one clean row for class `c` into `out` (78 values). */
function sampleRow(rng: Rng, c: number, protos: Float64Array[], out: Float64Array): void {
  const proto = protos[c];
  for (let j = 0; j < FEATURES; j++) {
    const v = Math.expm1(Math.max(0, proto[j] + 0.6 * rng.normal()));
    out[j] = j < 8 || (j >= 30 && j <= 35) || (j >= 43 && j <= 50) ? Math.round(v) : Math.round(v * 1000) / 1000;
  }
  out[0] = c === 0 ? ports[rng.int(ports.length)] : ports[c % ports.length];
}

/** Options for the synthetic CICIDS generators. */
export interface SyntheticCicidsOptions {
  rows: number;
  seed?: number;
}

/** A clean synthetic CICIDS dataset in memory (no quirks: what cleaning would yield). */
export function syntheticCicids(options: SyntheticCicidsOptions): TabularDataset {
  const rng = new Rng(options.seed ?? 2017);
  const protos = classPrototypes(options.seed ?? 2017);
  const sizes = cicidsClassSizes(options.rows);
  const features = new Float32Array(options.rows * FEATURES);
  const labels = new Uint8Array(options.rows);
  const row = new Float64Array(FEATURES);
  let i = 0;
  sizes.forEach((size, c) => {
    for (let k = 0; k < size; k++, i++) {
      sampleRow(rng, c, protos, row);
      features.set(row, i * FEATURES);
      labels[i] = c;
    }
  });
  const order = rng.shuffle(Array.from({ length: options.rows }, (_, k) => k));
  const shuffledF = new Float32Array(features.length);
  const shuffledL = new Uint8Array(labels.length);
  order.forEach((src, dst) => {
    shuffledF.set(features.subarray(src * FEATURES, (src + 1) * FEATURES), dst * FEATURES);
    shuffledL[dst] = labels[src];
  });
  return {
    features: shuffledF,
    labels: shuffledL,
    featureNames: [...cicidsFeatureNames],
    classNames: cicidsLabels.map((l) => l.name),
    source: { name: "synthetic-cicids", files: [], synthetic: true },
  };
}

/**
 * How many of each quirk a synthetic CSV got, so tests can check the cleaning report exactly.
 * `negativeRows` includes duplicates of negative rows (the loader counts every row it reads).
 */
export interface SyntheticCicidsQuirks {
  rows: number;
  infinityRows: number;
  nanRows: number;
  duplicateRows: number;
  negativeRows: number;
  blankRows: number;
  labelCounts: Record<string, number>;
}

/**
 * Writes a synthetic CSV byte-compatible with a MachineLearningCVE file: the real header, CRLF
 * line ends, Windows-1252 dash bytes in Web Attack labels, and the quirks listed in the result.
 * Roughly 0.2 % Infinity rates, 0.1 % NaN rates, 3 % exact duplicates, 0.1 % negative durations.
 */
export function writeSyntheticCicidsCsv(path: string, options: SyntheticCicidsOptions & { blankRows?: number }): SyntheticCicidsQuirks {
  const rng = new Rng((options.seed ?? 2017) + 1);
  const protos = classPrototypes(options.seed ?? 2017);
  const sizes = cicidsClassSizes(options.rows);
  const labelsInOrder: number[] = [];
  sizes.forEach((size, c) => {
    for (let k = 0; k < size; k++) labelsInOrder.push(c);
  });
  rng.shuffle(labelsInOrder);
  const quirks: SyntheticCicidsQuirks = { rows: 0, infinityRows: 0, nanRows: 0, duplicateRows: 0, negativeRows: 0, blankRows: 0, labelCounts: {} };
  const lines: string[] = [cicidsHeader.join(",")];
  const row = new Float64Array(FEATURES);
  const cleanLines: { line: string; negative: boolean }[] = [];
  const labelText = (c: number): string => cicidsLabels[c].name.replace("\u2013", "\u0096"); // written as latin1 → byte 0x96
  const flowBytes = cicidsFeatureNames.indexOf("Flow Bytes/s");
  const flowPackets = cicidsFeatureNames.indexOf("Flow Packets/s");
  const duration = cicidsFeatureNames.indexOf("Flow Duration");
  const iatMin = cicidsFeatureNames.indexOf("Flow IAT Min");
  for (const c of labelsInOrder) {
    const roll = rng.next();
    if (roll < 0.03 && cleanLines.length > 0) {
      const copy = cleanLines[rng.int(cleanLines.length)];
      lines.push(copy.line);
      quirks.duplicateRows++;
      if (copy.negative) quirks.negativeRows++;
      continue;
    }
    sampleRow(rng, c, protos, row);
    const fields = Array.from(row, String);
    let clean = true;
    let negative = false;
    if (roll < 0.032) {
      fields[flowBytes] = "Infinity";
      fields[flowPackets] = "Infinity";
      quirks.infinityRows++;
      clean = false;
    } else if (roll < 0.033) {
      fields[flowBytes] = "NaN";
      fields[flowPackets] = "NaN";
      quirks.nanRows++;
      clean = false;
    } else if (roll < 0.034) {
      fields[duration] = "-1";
      fields[iatMin] = "-1";
      quirks.negativeRows++;
      negative = true;
    }
    const line = `${fields.join(",")},${labelText(c)}`;
    lines.push(line);
    if (clean) cleanLines.push({ line, negative });
  }
  for (let k = 0; k < (options.blankRows ?? 0); k++) {
    lines.splice(1 + rng.int(lines.length - 1), 0, ",".repeat(78));
    quirks.blankRows++;
  }
  quirks.rows = labelsInOrder.length;
  quirks.labelCounts = Object.fromEntries(cicidsLabels.map((l, c) => [l.name, sizes[c]]));
  writeFileSync(path, Buffer.from(lines.join("\r\n") + "\r\n", "latin1"));
  return quirks;
}

/** Options for {@link syntheticImages}. */
export interface SyntheticImageOptions {
  count: number;
  seed?: number;
  /** Pixel noise standard deviation; default 0.15. */
  noise?: number;
  /** Image size; default 32×32×3 (CIFAR-shaped). 28×28×1 gives (Fashion-)MNIST-shaped images. */
  height?: number;
  width?: number;
  channels?: number;
  /** Dataset name in outputs; default "synthetic-cifar". */
  name?: string;
  classNames?: string[];
}

/**
 * Synthetic images (NHWC, balanced over 10 classes), CIFAR-shaped by default: each class has its
 * own base colour and a stripe pattern of its own orientation and frequency.
 */
export function syntheticImages(options: SyntheticImageOptions): ImageDataset {
  const rng = new Rng(options.seed ?? 10);
  const noise = options.noise ?? 0.15;
  const [h, w, ch] = [options.height ?? 32, options.width ?? 32, options.channels ?? 3];
  const size = h * w * ch;
  const n = options.count;
  const images = new Float32Array(n * size);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    labels[i] = c;
    const angle = (c * Math.PI) / 10;
    const freq = 0.25 + 0.08 * (c % 5);
    const colour = [((c * 37) % 10) / 10, ((c * 53) % 10) / 10, ((c * 71) % 10) / 10];
    const phase = rng.next() * 2 * Math.PI;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const stripe = 0.5 + 0.5 * Math.sin(freq * (x * Math.cos(angle) + y * Math.sin(angle)) * 2 + phase);
        for (let k = 0; k < ch; k++) {
          const v = 0.5 * colour[k % 3] + 0.4 * stripe + noise * rng.normal();
          images[i * size + (y * w + x) * ch + k] = Math.min(1, Math.max(0, v));
        }
      }
    }
  }
  const order = rng.shuffle(Array.from({ length: n }, (_, k) => k));
  const outImages = new Float32Array(images.length);
  const outLabels = new Uint8Array(n);
  order.forEach((src, dst) => {
    outImages.set(images.subarray(src * size, (src + 1) * size), dst * size);
    outLabels[dst] = labels[src];
  });
  const name = options.name ?? "synthetic-cifar";
  return { images: outImages, labels: outLabels, shape: [n, h, w, ch], classNames: options.classNames ?? cifar10Classes, source: { name, files: [], synthetic: true } };
}

/** CIFAR-shaped synthetic images ([count, 32, 32, 3]). */
export function syntheticCifar(options: Omit<SyntheticImageOptions, "height" | "width" | "channels">): ImageDataset {
  return syntheticImages({ ...options, height: 32, width: 32, channels: 3 });
}
