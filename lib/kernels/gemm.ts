/**
 * Row-major float32 GEMM: C = op(A) · op(B) (+ C when accumulate). The native path is OpenBLAS;
 * this JS version is the fallback and the reference the native one is tested against.
 */
import type { Sgemm } from "../native/openblas";

/** A GEMM implementation plus its name (for reports). */
export interface Gemm {
  name: string;
  sgemm: Sgemm;
}

/** Plain JS GEMM (i-k-j loop order, so the inner loop streams rows of B and C). */
export const jsGemm: Gemm = {
  name: "js",
  sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
    for (let i = 0; i < m; i++) {
      const row = i * ldc;
      if (beta === 0) c.fill(0, row, row + n);
      else if (beta !== 1) for (let j = 0; j < n; j++) c[row + j] *= beta;
      for (let p = 0; p < k; p++) {
        const av = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
        if (av === 0) continue;
        if (transB) for (let j = 0; j < n; j++) c[row + j] += av * b[j * ldb + p];
        else {
          const bRow = p * ldb;
          for (let j = 0; j < n; j++) c[row + j] += av * b[bRow + j];
        }
      }
    }
  },
};
