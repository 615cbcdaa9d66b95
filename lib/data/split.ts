/**
 * Stratified subsets and train/val/test splits over label arrays. Pure: they return index
 * arrays; `selectRows` / `selectImages` materialise them.
 */
import { Rng } from "../random/rng";
import { selectImages, selectRows, type ImageDataset, type TabularDataset } from "./dataset";

/** Indices of each class, in order of appearance. */
export function indicesByClass(labels: ArrayLike<number>): Map<number, number[]> {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]);
    if (list) list.push(i);
    else byClass.set(labels[i], [i]);
  }
  return byClass;
}

/**
 * A stratified sample of `size` indices: every class present gets at least one sample (when
 * `size` allows), the rest proportional to class frequency (largest remainders).
 * This is the seed's 100-sample Pi debug subset: `stratifiedSubset(labels, 100, seed)`.
 */
export function stratifiedSubset(labels: ArrayLike<number>, size: number, seed = 0): Int32Array {
  if (!Number.isInteger(size) || size < 0) throw new Error(`subset size must be a non-negative integer, got ${size}`);
  if (size >= labels.length) return Int32Array.from({ length: labels.length }, (_, i) => i);
  const rng = new Rng(seed);
  const classes = [...indicesByClass(labels).entries()].sort((a, b) => a[0] - b[0]);
  const n = labels.length;
  const quota = new Map<number, number>();
  const guaranteed = size >= classes.length;
  for (const [c] of classes) quota.set(c, guaranteed ? 1 : 0);
  let left = size - (guaranteed ? classes.length : 0);
  const shares = classes.map(([c, idx]) => {
    const exact = (idx.length / n) * left;
    return { c, whole: Math.min(Math.floor(exact), idx.length - (quota.get(c) ?? 0)), rest: exact - Math.floor(exact), cap: idx.length };
  });
  for (const s of shares) {
    quota.set(s.c, (quota.get(s.c) ?? 0) + s.whole);
    left -= s.whole;
  }
  shares.sort((a, b) => b.rest - a.rest || a.c - b.c);
  for (let k = 0; left > 0 && k < shares.length * 2; k++) {
    const s = shares[k % shares.length];
    if ((quota.get(s.c) ?? 0) < s.cap) {
      quota.set(s.c, (quota.get(s.c) ?? 0) + 1);
      left--;
    }
  }
  const out: number[] = [];
  for (const [c, idx] of classes) {
    const copy = rng.shuffle(idx.slice());
    out.push(...copy.slice(0, quota.get(c)));
  }
  return rng.shuffle(Int32Array.from(out));
}

/** Fractions for a three-way split; they must sum to 1. */
export interface SplitFractions {
  train: number;
  val: number;
  test: number;
}

/** Index sets of a train/val/test split. */
export interface SplitIndices {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

/**
 * Splits indices into train/val/test, stratified by class (each class split in the same
 * proportions, so rare classes appear in every part when they have ≥ 3 samples).
 */
export function trainValTestSplit(labels: ArrayLike<number>, fractions: SplitFractions = { train: 0.7, val: 0.15, test: 0.15 }, seed = 0): SplitIndices {
  const sum = fractions.train + fractions.val + fractions.test;
  if (Math.abs(sum - 1) > 1e-9 || fractions.train < 0 || fractions.val < 0 || fractions.test < 0) {
    throw new Error(`split fractions must be non-negative and sum to 1, got ${JSON.stringify(fractions)}`);
  }
  const rng = new Rng(seed);
  const train: number[] = [];
  const val: number[] = [];
  const test: number[] = [];
  for (const [, idx] of [...indicesByClass(labels).entries()].sort((a, b) => a[0] - b[0])) {
    rng.shuffle(idx);
    let nTest = Math.round(idx.length * fractions.test);
    let nVal = Math.round(idx.length * fractions.val);
    if (idx.length >= 3) {
      if (fractions.test > 0) nTest = Math.max(1, nTest);
      if (fractions.val > 0) nVal = Math.max(1, nVal);
    }
    nVal = Math.min(nVal, idx.length - nTest);
    test.push(...idx.slice(0, nTest));
    val.push(...idx.slice(nTest, nTest + nVal));
    train.push(...idx.slice(nTest + nVal));
  }
  return { train: rng.shuffle(Int32Array.from(train)), val: rng.shuffle(Int32Array.from(val)), test: rng.shuffle(Int32Array.from(test)) };
}

/** A stratified sample of `size` rows of a dataset (the whole dataset when size is undefined or larger). */
export function stratifiedSample<T extends ImageDataset | TabularDataset>(ds: T, size: number | undefined, seed = 0): T {
  if (size === undefined || size >= ds.labels.length) return ds;
  const idx = stratifiedSubset(ds.labels, size, seed);
  return ("images" in ds ? selectImages(ds, idx) : selectRows(ds as TabularDataset, idx)) as T;
}
