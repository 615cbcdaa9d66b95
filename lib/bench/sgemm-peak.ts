/**
 * The machine's practical compute ceiling for float32 training: OpenBLAS `sgemm` on large square
 * matrices with the configured threads, best of a few runs. Benchmarks report achieved GFLOP/s
 * against it (how close a training step comes to what the hardware can do).
 */
import { openBlas } from "../native/openblas";

/** Best GFLOP/s of `runs` n×n×n products (2n³ FLOP each), or null without OpenBLAS. */
export function sgemmPeakGflops(n = 1024, runs = 5): number | null {
  const blas = openBlas();
  if (!blas) return null;
  const a = Float32Array.from({ length: n * n }, (_, i) => ((i % 17) - 8) / 8);
  const b = Float32Array.from({ length: n * n }, (_, i) => ((i % 13) - 6) / 6);
  const c = new Float32Array(n * n);
  blas.sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n); // warm-up: threads start, pages fault in
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    blas.sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return (2 * n ** 3) / best / 1e9;
}
