/**
 * Classification metrics over integer labels: accuracy, confusion matrix, per-class
 * precision/recall/F1 with macro and weighted averages (scikit-learn's definitions, with
 * 0 where a denominator is 0, as `zero_division=0`).
 */

/** Confusion matrix: `matrix[true][predicted]` counts. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes: number): number[][] {
  if (yTrue.length !== yPred.length) throw new Error(`yTrue has ${yTrue.length} labels, yPred ${yPred.length}`);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    if (t < 0 || t >= classes || p < 0 || p >= classes)
      throw new Error(`label out of range 0..${classes - 1} at index ${i}: true ${t}, predicted ${p}`);
    m[t][p]++;
  }
  return m;
}

/** Fraction of exact matches. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  if (yTrue.length !== yPred.length) throw new Error(`yTrue has ${yTrue.length} labels, yPred ${yPred.length}`);
  if (yTrue.length === 0) return NaN;
  let hit = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hit++;
  return hit / yTrue.length;
}

/** Per-class and averaged precision, recall and F1. */
export interface ClassificationReport {
  accuracy: number;
  perClass: { label: string; precision: number; recall: number; f1: number; support: number }[];
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
  confusion: number[][];
}

/**
 * Computes the full report. Macro averages run over classes with support > 0 or predictions > 0
 * (scikit-learn's `labels=unique(y_true ∪ y_pred)`).
 */
export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  classNames: readonly string[],
): ClassificationReport {
  const k = classNames.length;
  const confusion = confusionMatrix(yTrue, yPred, k);
  const perClass = classNames.map((label, c) => {
    const tp = confusion[c][c];
    let predicted = 0;
    let support = 0;
    for (let j = 0; j < k; j++) {
      predicted += confusion[j][c];
      support += confusion[c][j];
    }
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support, predicted };
  });
  const present = perClass.filter((c) => c.support > 0 || c.predicted > 0);
  const total = perClass.reduce((s, c) => s + c.support, 0);
  const mean = (key: "precision" | "recall" | "f1"): number =>
    present.length ? present.reduce((s, c) => s + c[key], 0) / present.length : 0;
  const weightedMean = (key: "precision" | "recall" | "f1"): number =>
    total ? perClass.reduce((s, c) => s + c[key] * c.support, 0) / total : 0;
  return {
    accuracy: accuracy(yTrue, yPred),
    perClass: perClass.map(({ label, precision, recall, f1, support }) => ({ label, precision, recall, f1, support })),
    macro: { precision: mean("precision"), recall: mean("recall"), f1: mean("f1") },
    weighted: { precision: weightedMean("precision"), recall: weightedMean("recall"), f1: weightedMean("f1") },
    confusion,
  };
}

/** Index of the largest value in each row of a row-major [n, k] score matrix. */
export function argmaxRows(scores: ArrayLike<number>, k: number): Int32Array {
  const n = scores.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (scores[i * k + j] > scores[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}
