/**
 * Batched matrix products (tfjs' `BatchMatMul` and `_FusedMatMul`) as one GEMM per batch entry,
 * transposes passed to the GEMM rather than materialised. tfjs' wasm backend runs a transposed
 * operand ~16× slower than a plain one (dY·Wᵀ and Xᵀ·dY, i.e. every dense and LSTM gradient):
 * SentinelNet's BiLSTM spent 19 of its 20 s per step there.
 */
import type { Gemm } from "./gemm";

/** A batched product's sizes: op(A) is m × k, op(B) is k × n, over `batch` output matrices. */
export interface MatMulGeometry {
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  /** Output matrices. */
  batch: number;
  /** Matrices in A and in B: each is `batch` or 1 (broadcast). */
  batchA: number;
  batchB: number;
  outShape: number[];
}

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/**
 * The geometry of `a · b` with tfjs' shapes (`[..., rows, cols]`, rank ≥ 2), or null when the batch
 * dimensions broadcast in a way one loop cannot express (neither equal nor one side of size 1).
 * Throws on inner sizes that do not agree.
 */
export function matMulGeometry(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): MatMulGeometry | null {
  if (aShape.length < 2 || bShape.length < 2)
    throw new Error(`matMul needs rank ≥ 2 operands, got [${aShape}] and [${bShape}]`);
  const [ar, ac] = aShape.slice(-2);
  const [br, bc] = bShape.slice(-2);
  const [m, k] = transposeA ? [ac, ar] : [ar, ac];
  const [kb, n] = transposeB ? [bc, br] : [br, bc];
  if (k !== kb)
    throw new Error(
      `matMul: inner sizes differ (${k} and ${kb}) for [${aShape}]${transposeA ? "ᵀ" : ""} · [${bShape}]${transposeB ? "ᵀ" : ""}`,
    );
  const outerA = aShape.slice(0, -2);
  const outerB = bShape.slice(0, -2);
  const batchA = product(outerA);
  const batchB = product(outerB);
  let outer: readonly number[];
  if (batchA === 1)
    outer =
      outerB.length >= outerA.length
        ? outerB
        : [...outerA.slice(0, outerA.length - outerB.length).map(() => 1), ...outerB];
  else if (batchB === 1)
    outer =
      outerA.length >= outerB.length
        ? outerA
        : [...outerB.slice(0, outerB.length - outerA.length).map(() => 1), ...outerA];
  else if (outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i])) outer = outerA;
  else return null;
  return {
    m,
    n,
    k,
    transposeA,
    transposeB,
    batch: Math.max(batchA, batchB),
    batchA,
    batchB,
    outShape: [...outer, m, n],
  };
}

/** out (batch × m × n) = op(A) · op(B) for every batch entry, a broadcast side reused. */
export function batchMatMul(a: Float32Array, b: Float32Array, g: MatMulGeometry, out: Float32Array, gemm: Gemm): void {
  const { m, n, k, transposeA, transposeB } = g;
  const sizeA = m * k;
  const sizeB = k * n;
  const lda = transposeA ? m : k;
  const ldb = transposeB ? k : n;
  if (g.batchB === 1 && !transposeA && g.batch > 1) {
    // Stacked A rows against one B: a single GEMM of batch·m rows.
    gemm.sgemm(false, transposeB, g.batch * m, n, k, 1, a, k, b, ldb, 0, out, n);
    return;
  }
  for (let i = 0; i < g.batch; i++) {
    const ai = g.batchA === 1 ? a : a.subarray(i * sizeA, (i + 1) * sizeA);
    const bi = g.batchB === 1 ? b : b.subarray(i * sizeB, (i + 1) * sizeB);
    gemm.sgemm(transposeA, transposeB, m, n, k, 1, ai, lda, bi, ldb, 0, out.subarray(i * m * n, (i + 1) * m * n), n);
  }
}

/** The activations `_FusedMatMul` can apply that edgelab computes in place. */
export type FusedActivation = "linear" | "relu" | "relu6" | "sigmoid" | "elu" | "leakyrelu" | "prelu";

const activations: Record<FusedActivation, ((v: number, alpha: number) => number) | null> = {
  linear: null,
  relu: (v) => (v > 0 ? v : 0),
  relu6: (v) => (v < 0 ? 0 : v > 6 ? 6 : v),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  elu: (v) => (v >= 0 ? v : Math.exp(v) - 1),
  leakyrelu: (v, alpha) => (v >= 0 ? v : alpha * v),
  prelu: null, // per column, below
};

/** True for the activations {@link fusedEpilogue} implements. */
export function isFusedActivation(name: string | undefined): name is FusedActivation {
  return name === undefined || Object.prototype.hasOwnProperty.call(activations, name);
}

/**
 * In place on `out` (rows of `n`): adds `bias` (length n, 1 for a scalar, or already broadcast to
 * the output's size: see {@link broadcastTo}), then applies the activation, in the order tfjs'
 * fused kernels use. `prelu` takes its slopes from `preluWeights` (length n, or 1). (tfjs-backend-wasm 4.x gets prelu wrong after the first row of a biased
 * product; this is checked against tfjs' cpu kernel.)
 */
export function fusedEpilogue(
  out: Float32Array,
  n: number,
  bias: Float32Array | null,
  activation: FusedActivation = "linear",
  leakyAlpha = 0.2,
  preluWeights: Float32Array | null = null,
): void {
  const perColumn = (v: Float32Array | null, what: string): void => {
    if (v && v.length !== n && v.length !== 1)
      throw new Error(`fused matMul ${what} has ${v.length} values; expected ${n} or 1`);
  };
  if (!(bias && bias.length === out.length)) perColumn(bias, "bias");
  perColumn(preluWeights, "prelu weights");
  if (activation === "prelu" && !preluWeights) throw new Error("fused matMul: prelu needs its weights");
  if (bias && bias.length === out.length && bias.length !== n) {
    for (let i = 0; i < out.length; i++) out[i] += bias[i];
  } else if (bias && bias.length === 1) {
    const b0 = bias[0];
    for (let i = 0; i < out.length; i++) out[i] += b0;
  } else if (bias) {
    for (let row = 0; row < out.length; row += n) for (let j = 0; j < n; j++) out[row + j] += bias[j];
  }
  if (activation === "prelu") {
    const w = preluWeights!;
    const step = w.length === 1 ? 0 : 1;
    for (let row = 0; row < out.length; row += n)
      for (let j = 0; j < n; j++) if (out[row + j] < 0) out[row + j] *= w[j * step];
    return;
  }
  const f = activations[activation];
  if (f) for (let i = 0; i < out.length; i++) out[i] = f(out[i], leakyAlpha);
}

/** `values` of `shape` broadcast (numpy rules) to `outShape`, as a new flat array. */
export function broadcastTo(values: Float32Array, shape: readonly number[], outShape: readonly number[]): Float32Array {
  const rank = outShape.length;
  if (shape.length > rank) throw new Error(`cannot broadcast [${shape}] to [${outShape}]`);
  const padded = [...Array(rank - shape.length).fill(1), ...shape];
  padded.forEach((d, i) => {
    if (d !== 1 && d !== outShape[i]) throw new Error(`cannot broadcast [${shape}] to [${outShape}]`);
  });
  const strides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    strides[i] = padded[i] === 1 ? 0 : s;
    s *= padded[i];
  }
  const size = outShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const index = new Array<number>(rank).fill(0);
  for (let flat = 0, src = 0; flat < size; flat++) {
    out[flat] = values[src];
    for (let axis = rank - 1; axis >= 0; axis--) {
      src += strides[axis];
      if (++index[axis] < outShape[axis]) break;
      src -= strides[axis] * outShape[axis];
      index[axis] = 0;
    }
  }
  return out;
}
