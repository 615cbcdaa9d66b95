/**
 * MNIST and Fashion-MNIST from their four IDX files, gzipped or not. By default Fashion-MNIST is
 * read from Debian's `dataset-fashion-mnist` package (/usr/share/datasets/fashion-mnist).
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ImageDataset } from "./dataset";
import { DataFormatError } from "./errors";
import { readIdx } from "./idx";

/** Fashion-MNIST class names, in label order. */
export const fashionMnistClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
/** MNIST class names. */
export const mnistClasses = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/** Where Debian / Pi OS install Fashion-MNIST (`apt-get install dataset-fashion-mnist`). */
export const debianFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/** A train or test split. */
export type Split = "train" | "test";

const prefixes: Record<Split, string> = { train: "train", test: "t10k" };

/** Finds a split's image and label files in `dir` (`.gz` or plain; `-` or `.` before idx). */
export function findIdxPair(dir: string, split: Split): { images: string; labels: string } | null {
  if (!existsSync(dir)) return null;
  const names = readdirSync(dir);
  const find = (kind: "images" | "labels", rank: 1 | 3): string | undefined =>
    names.find((n) => new RegExp(`^${prefixes[split]}-${kind}[-.]idx${rank}-ubyte(\\.gz)?$`).test(n));
  const images = find("images", 3);
  const labels = find("labels", 1);
  return images && labels ? { images: join(dir, images), labels: join(dir, labels) } : null;
}

/** Options for {@link loadMnistLike}. */
export interface MnistOptions {
  /** Folder holding the IDX files. Default: Debian's Fashion-MNIST folder. */
  dir?: string;
  split?: Split;
  /** Dataset name for outputs; default "fashion-mnist". */
  name?: string;
  classNames?: string[];
}

/**
 * Loads one split as NHWC float32 images in [0, 1] (shape [n, 28, 28, 1]) with labels.
 * @example const train = loadMnistLike({ split: "train" }) // 60000 real Fashion-MNIST images
 */
export function loadMnistLike(options: MnistOptions = {}): ImageDataset {
  const dir = options.dir ?? debianFashionMnistDir;
  const split = options.split ?? "train";
  const pair = findIdxPair(dir, split);
  if (!pair) throw new DataFormatError(dir, `no ${prefixes[split]}-images-idx3-ubyte[.gz] / ${prefixes[split]}-labels-idx1-ubyte[.gz] pair found`);
  const images = readIdx(pair.images);
  const labels = readIdx(pair.labels);
  if (images.shape.length !== 3) throw new DataFormatError(pair.images, `expected 3 dimensions [n, rows, cols], got [${images.shape.join(", ")}]`);
  if (labels.shape.length !== 1) throw new DataFormatError(pair.labels, `expected 1 dimension [n], got [${labels.shape.join(", ")}]`);
  const [n, rows, cols] = images.shape;
  if (labels.shape[0] !== n) throw new DataFormatError(pair.labels, `${labels.shape[0]} labels for ${n} images in ${pair.images}`);
  const classNames = options.classNames ?? (options.name === "mnist" ? mnistClasses : fashionMnistClasses);
  for (let i = 0; i < n; i++) {
    if (labels.data[i] >= classNames.length) throw new DataFormatError(pair.labels, `label ${labels.data[i]} at index ${i} is outside 0..${classNames.length - 1}`);
  }
  const pixels = new Float32Array(n * rows * cols);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return {
    images: pixels,
    labels: Uint8Array.from(labels.data),
    shape: [n, rows, cols, 1],
    classNames,
    source: { name: options.name ?? "fashion-mnist", files: [pair.images, pair.labels], synthetic: false },
  };
}
