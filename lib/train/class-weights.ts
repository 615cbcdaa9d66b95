/** Class weights for imbalanced data (CICIDS2017: 2.27 M benign flows, 11 Heartbleed). */

/**
 * scikit-learn's "balanced" weights: n / (k · count_c); classes absent from the data get 0.
 * @example balancedClassWeights([0, 0, 0, 1], 2) // [0.667, 2]
 */
export function balancedClassWeights(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  const present = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c > 0 ? labels.length / (present * c) : 0));
}
