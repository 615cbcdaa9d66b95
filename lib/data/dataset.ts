/**
 * The two in-memory dataset shapes every loader returns: images (NHWC float32) and tabular
 * flows (row-major float32). Plain data, so shards and subsets are cheap views or copies.
 */

/** Where a dataset came from; `synthetic` datasets are always labelled as such in outputs. */
export interface DatasetSource {
  /** e.g. "fashion-mnist", "cifar10", "cicids2017", "synthetic-cicids". */
  name: string;
  /** Files read, or the generator name. */
  files: string[];
  synthetic: boolean;
}

/** Images as NHWC float32 in [0, 1], labels as class indices. */
export interface ImageDataset {
  /** Length `count * height * width * channels`. */
  images: Float32Array;
  /** Length `count`; values in [0, classNames.length). */
  labels: Uint8Array;
  /** [count, height, width, channels]. */
  shape: [number, number, number, number];
  classNames: string[];
  source: DatasetSource;
}

/** Tabular samples as a row-major float32 matrix plus class indices. */
export interface TabularDataset {
  /** Length `count * featureNames.length`, row-major. */
  features: Float32Array;
  /** Length `count`. */
  labels: Uint8Array;
  featureNames: string[];
  classNames: string[];
  source: DatasetSource;
}

/** Number of samples in either dataset kind. */
export function sampleCount(ds: ImageDataset | TabularDataset): number {
  return ds.labels.length;
}

/** Per-class counts, indexed by class. */
export function classCounts(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

/** Label name → count, in class order, skipping nothing (zero counts included). */
export function labelCountMap(labels: ArrayLike<number>, classNames: readonly string[]): Record<string, number> {
  const counts = classCounts(labels, classNames.length);
  return Object.fromEntries(classNames.map((name, i) => [name, counts[i]]));
}

/** Copies the rows at `indices` into a new image dataset (same source, same classes). */
export function selectImages(ds: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const [, h, w, c] = ds.shape;
  const size = h * w * c;
  const images = new Float32Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i];
    images.set(ds.images.subarray(src * size, (src + 1) * size), i * size);
    labels[i] = ds.labels[src];
  }
  return { ...ds, images, labels, shape: [indices.length, h, w, c] };
}

/** Copies the rows at `indices` into a new tabular dataset. */
export function selectRows(ds: TabularDataset, indices: ArrayLike<number>): TabularDataset {
  const d = ds.featureNames.length;
  const features = new Float32Array(indices.length * d);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i];
    features.set(ds.features.subarray(src * d, (src + 1) * d), i * d);
    labels[i] = ds.labels[src];
  }
  return { ...ds, features, labels };
}
