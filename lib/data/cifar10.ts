/**
 * CIFAR-10 in both official layouts:
 * - binary (`cifar-10-batches-bin`): `data_batch_1..5.bin`, `test_batch.bin`, each record 1 label
 *   byte + 3072 pixel bytes (1024 R, 1024 G, 1024 B, row-major 32×32);
 * - python (`cifar-10-batches-py`): `data_batch_1..5`, `test_batch` pickles holding
 *   `{data: uint8[10000, 3072], labels: [int]}`, read with a restricted unpickler.
 * Output is NHWC float32 in [0, 1].
 */
import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { ImageDataset } from "./dataset";
import { DataFormatError } from "./errors";
import { readInputFile } from "./read-file";
import type { Split } from "./mnist";
import { dictGet, unpickle, type NdArray, type PickleValue } from "./pickle";

/** CIFAR-10 class names, in label order. */
export const cifar10Classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
const recordBytes = 1 + 3072;
const pixels = 3072;

/** Which CIFAR-10 layout a folder holds. */
export type CifarLayout = "binary" | "python";

/** The batch files of a split in `dir`, with the layout found, or null. */
export function findCifarBatches(dir: string, split: Split): { layout: CifarLayout; files: string[] } | null {
  const names = split === "train" ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}`) : ["test_batch"];
  for (const sub of ["", "cifar-10-batches-bin", "cifar-10-batches-py"]) {
    const base = join(dir, sub);
    const bin = names.map((n) => join(base, `${n}.bin`));
    if (bin.every((f) => existsSync(f))) return { layout: "binary", files: bin };
    const py = names.map((n) => join(base, n));
    if (py.every((f) => existsSync(f) && statSync(f).isFile())) return { layout: "python", files: py };
  }
  return null;
}

/** Decodes one binary batch file into CHW bytes + labels. */
export function decodeCifarBinary(bytes: Uint8Array, file: string): { chw: Uint8Array; labels: Uint8Array } {
  if (bytes.length === 0 || bytes.length % recordBytes !== 0) {
    const whole = Math.floor(bytes.length / recordBytes);
    throw new DataFormatError(file, `truncated at byte ${bytes.length}: CIFAR-10 binary records are ${recordBytes} bytes (${whole} whole records, ${bytes.length - whole * recordBytes} bytes left over)`);
  }
  const n = bytes.length / recordBytes;
  const labels = new Uint8Array(n);
  const chw = new Uint8Array(n * pixels);
  for (let i = 0; i < n; i++) {
    const label = bytes[i * recordBytes];
    if (label > 9) throw new DataFormatError(file, `record ${i} (byte ${i * recordBytes}) has label ${label}; CIFAR-10 labels are 0..9`);
    labels[i] = label;
    chw.set(bytes.subarray(i * recordBytes + 1, (i + 1) * recordBytes), i * pixels);
  }
  return { chw, labels };
}

/** Decodes one python-layout batch (a pickle) into CHW bytes + labels. */
export function decodeCifarPickle(bytes: Uint8Array, file: string): { chw: Uint8Array; labels: Uint8Array } {
  const root: PickleValue = unpickle(bytes, file);
  const data = dictGet(root, "data");
  const labelList = dictGet(root, "labels") ?? dictGet(root, "fine_labels");
  if (!data || typeof data !== "object" || !("kind" in data) || data.kind !== "ndarray") throw new DataFormatError(file, "no 'data' uint8 array in the pickle");
  const array = data as NdArray;
  if (array.dtype !== "|u1" && array.dtype !== "<u1" && array.dtype !== ">u1") throw new DataFormatError(file, `'data' has dtype ${array.dtype}; CIFAR-10 stores uint8`);
  if (array.shape.length !== 2 || array.shape[1] !== pixels) throw new DataFormatError(file, `'data' has shape [${array.shape.join(", ")}]; expected [n, 3072]`);
  if (array.fortranOrder) throw new DataFormatError(file, "'data' is stored in Fortran order; re-save it in C order");
  const n = array.shape[0];
  if (array.data.length !== n * pixels) throw new DataFormatError(file, `'data' holds ${array.data.length} bytes for shape [${n}, 3072]`);
  if (!Array.isArray(labelList) || labelList.length !== n) throw new DataFormatError(file, `'labels' must be a list of ${n} integers`);
  const labels = new Uint8Array(n);
  labelList.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 9) throw new DataFormatError(file, `label ${String(v)} at index ${i} is not in 0..9`);
    labels[i] = v;
  });
  return { chw: array.data, labels };
}

/** Converts CHW uint8 images to NHWC float32 in [0, 1]. */
export function chwToNhwc(chw: Uint8Array, n: number, out = new Float32Array(n * pixels), offset = 0): Float32Array {
  for (let i = 0; i < n; i++) {
    const src = i * pixels;
    const dst = offset + i * pixels;
    for (let p = 0; p < 1024; p++) {
      out[dst + p * 3] = chw[src + p] / 255;
      out[dst + p * 3 + 1] = chw[src + 1024 + p] / 255;
      out[dst + p * 3 + 2] = chw[src + 2048 + p] / 255;
    }
  }
  return out;
}

/** Options for {@link loadCifar10}. */
export interface Cifar10Options {
  /** Folder with the batches, or its parent (`cifar-10-batches-bin` / `-py` inside). */
  dir: string;
  split?: Split;
}

/**
 * Loads a CIFAR-10 split (train: 50000, test: 10000 images) from either official layout.
 * @example const test = loadCifar10({ dir: "data/cifar10", split: "test" }) // shape [10000, 32, 32, 3]
 */
export function loadCifar10(options: Cifar10Options): ImageDataset {
  const split = options.split ?? "train";
  const found = findCifarBatches(options.dir, split);
  if (!found) throw new DataFormatError(options.dir, `no CIFAR-10 ${split} batches found (binary data_batch_*.bin/test_batch.bin or python data_batch_*/test_batch)`);
  return loadCifarFiles(found.files, found.layout);
}

/** Loads and concatenates the given batch files of one layout. */
export function loadCifarFiles(files: string[], layout: CifarLayout): ImageDataset {
  const parts = files.map((file) => {
    const bytes = readInputFile(file);
    return layout === "binary" ? decodeCifarBinary(bytes, file) : decodeCifarPickle(bytes, file);
  });
  const n = parts.reduce((sum, p) => sum + p.labels.length, 0);
  const images = new Float32Array(n * pixels);
  const labels = new Uint8Array(n);
  let at = 0;
  for (const part of parts) {
    chwToNhwc(part.chw, part.labels.length, images, at * pixels);
    labels.set(part.labels, at);
    at += part.labels.length;
  }
  return { images, labels, shape: [n, 32, 32, 3], classNames: cifar10Classes, source: { name: "cifar10", files, synthetic: false } };
}

/** True when a file name looks like a CIFAR batch (either layout). */
export function isCifarBatchName(file: string): boolean {
  return /^(data_batch_[1-5]|test_batch)(\.bin)?$/.test(basename(file));
}
