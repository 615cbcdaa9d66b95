/**
 * Whether a classifier is alive: how many of the units feeding its logits output zero for every
 * input (a dead ReLU passes no gradient, so such a unit never recovers), and how far apart its
 * logits are. A network whose logits are all equal predicts the uniform distribution: accuracy
 * 1/k and cross-entropy exactly ln k, the signature seed 003 reported from np = 16.
 */

/** Health of one layer's outputs and the logits over a set of inputs. */
export interface ClassifierHealth {
  /** Inputs measured. */
  samples: number;
  /** Fraction of the layer's units (channel × position) that are zero for every input. */
  deadUnits: number;
  /** Fraction of all the layer's outputs (inputs × units) that are zero. */
  zeroOutputs: number;
  /** Mean over inputs of the standard deviation of the logits across classes (0 = uniform prediction). */
  logitSpread: number;
  /** Largest absolute logit seen. */
  maxAbsLogit: number;
}

/**
 * Health from a layer's outputs `acts` (n × units, row-major) and the logits (n × classes).
 * Pure: the caller runs the model.
 */
export function classifierHealth(acts: Float32Array, logits: Float32Array, n: number): ClassifierHealth {
  if (n < 1) throw new Error("classifierHealth needs at least one input");
  const units = acts.length / n;
  const classes = logits.length / n;
  if (!Number.isInteger(units) || !Number.isInteger(classes))
    throw new Error(`${acts.length} activations and ${logits.length} logits do not split into ${n} inputs`);
  const alive = new Uint8Array(units);
  let zeros = 0;
  for (let i = 0; i < n; i++)
    for (let u = 0; u < units; u++) {
      if (acts[i * units + u] === 0) zeros++;
      else alive[u] = 1;
    }
  let dead = 0;
  for (let u = 0; u < units; u++) if (!alive[u]) dead++;
  let spread = 0;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let c = 0; c < classes; c++) mean += logits[i * classes + c];
    mean /= classes;
    let v = 0;
    for (let c = 0; c < classes; c++) {
      const z = logits[i * classes + c];
      v += (z - mean) ** 2;
      maxAbs = Math.max(maxAbs, Math.abs(z));
    }
    spread += Math.sqrt(v / classes);
  }
  return {
    samples: n,
    deadUnits: units ? dead / units : 0,
    zeroOutputs: units ? zeros / (n * units) : 0,
    logitSpread: spread / n,
    maxAbsLogit: maxAbs,
  };
}
