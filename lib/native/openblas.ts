/**
 * OpenBLAS through koffi (FFI): `cblas_sgemm` and `cblas_sscal` on typed arrays, zero-copy.
 * Loaded lazily; null when koffi or libopenblas is missing (callers fall back to JS loops).
 */
import { createRequire } from "node:module";
import { disabledLibrary, librarySonames, pinLibrary } from "./libraries";
import { guarded } from "./signals";

const requireHere = createRequire(__filename);

/** C = alpha · op(A) · op(B) + beta · C, row-major float32. */
export type Sgemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
) => void;

/** x = alpha · x, float32, in place. */
export type Sscal = (alpha: number, x: Float32Array) => void;

/** The OpenBLAS functions edgelab calls. */
export interface OpenBlas {
  sgemm: Sgemm;
  sscal: Sscal;
  setThreads: (n: number) => void;
  /** The soname that loaded. */
  library: string;
}

const RowMajor = 101;
const NoTrans = 111;
const Trans = 112;

interface Koffi {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown };
}

let cached: OpenBlas | null | undefined;

/** The OpenBLAS binding, or null (with no error) when it cannot be loaded. */
export function openBlas(): OpenBlas | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (disabledLibrary("blas")) return cached;
  let koffi: Koffi;
  try {
    koffi = requireHere("koffi") as Koffi;
  } catch {
    return cached;
  }
  for (const name of librarySonames.blas) {
    try {
      const lib = koffi.load(name);
      pinLibrary(name);
      // Guarded so the OpenMP workers its first parallel region creates block signals (./signals).
      const raw = guarded(
        lib.func(
          "void cblas_sgemm(int, int, int, int, int, int, float, float *, int, float *, int, float, _Inout_ float *, int)",
        ),
      );
      const rawScal = guarded(lib.func("void cblas_sscal(int, float, _Inout_ float *, int)"));
      let setThreads: (n: number) => void = () => undefined;
      try {
        const fn = lib.func("void openblas_set_num_threads(int)");
        setThreads = (n) => void fn(n);
      } catch {
        // a generic libblas has no thread control
      }
      const sgemm: Sgemm = (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
        raw(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      };
      const sscal: Sscal = (alpha, x) => void rawScal(x.length, alpha, x, 1);
      cached = { sgemm, sscal, setThreads, library: name };
      return cached;
    } catch {
      // try the next soname
    }
  }
  return cached;
}
