/**
 * The system XGBoost library (Debian/Pi OS `libxgboost0`) through koffi: the C API calls edgelab
 * needs — DMatrix from a float32 matrix, booster parameters, one boosting round, prediction,
 * save/load to bytes, feature scores. Every call's status is checked and `XGBGetLastError` becomes
 * the error message. Loaded lazily; a clear error when the library is missing.
 */
import { createRequire } from "node:module";
import { disabledLibrary, librarySonames, libraryPackages } from "./libraries";
import { guarded } from "./signals";

const requireHere = createRequire(__filename);

/** An opaque handle owned by libxgboost. */
export type XgbHandle = unknown;

/** The raw binding. */
export interface XgbBinding {
  library: string;
  version: string;
  dmatrixFromMat(data: Float32Array, rows: number, cols: number, missing: number): XgbHandle;
  dmatrixSetLabels(handle: XgbHandle, labels: Float32Array): void;
  dmatrixFree(handle: XgbHandle): void;
  boosterCreate(cache: XgbHandle[]): XgbHandle;
  boosterSetParam(handle: XgbHandle, name: string, value: string): void;
  boosterUpdate(handle: XgbHandle, iteration: number, train: XgbHandle): void;
  boosterPredict(handle: XgbHandle, dmatrix: XgbHandle): Float32Array;
  boosterSave(handle: XgbHandle, format: "json" | "ubj"): Uint8Array;
  boosterLoad(handle: XgbHandle, bytes: Uint8Array): void;
  boosterRounds(handle: XgbHandle): number;
  boosterScores(handle: XgbHandle, importanceType: string): { features: string[]; scores: Float32Array };
  boosterFree(handle: XgbHandle): void;
}

interface KoffiLib {
  func(signature: string): (...args: unknown[]) => number;
}
interface Koffi {
  load(path: string): KoffiLib;
  opaque(name?: string): unknown;
  pointer(name: string, type: unknown): unknown;
  decode(ptr: unknown, type: string, len?: number): unknown;
}

let cached: XgbBinding | null | undefined;
let failure = "";

/** The binding, or null when libxgboost (or koffi) cannot be loaded; see {@link xgboostUnavailableReason}. */
export function xgboost(): XgbBinding | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (disabledLibrary("xgboost")) {
    failure = `libxgboost disabled by EDGELAB_DISABLE=${process.env.EDGELAB_DISABLE}`;
    return cached;
  }
  let koffi: Koffi;
  try {
    koffi = requireHere("koffi") as Koffi;
  } catch (err) {
    failure = `koffi (FFI) is not installed: ${(err as Error).message}`;
    return cached;
  }
  let lib: KoffiLib | null = null;
  let name = "";
  for (const soname of librarySonames.xgboost) {
    try {
      lib = koffi.load(soname);
      name = soname;
      break;
    } catch {
      // next soname
    }
  }
  if (!lib) {
    failure = `libxgboost is not installed (tried ${librarySonames.xgboost.join(", ")}; Debian/Pi OS: apt-get install ${libraryPackages.xgboost}, or npm run setup)`;
    return cached;
  }
  koffi.pointer("XgbHandle", koffi.opaque("XgbOpaque"));
  // Guarded: XGBoost shares libgomp's thread pool with oneDNN, so the workers its parallel
  // regions create must block signals too (./signals).
  const f = (sig: string): ((...args: unknown[]) => number) => guarded(lib!.func(sig));
  const lastError = lib.func("const char *XGBGetLastError()") as unknown as () => string;
  const check = (status: number, call: string): void => {
    if (status !== 0) throw new Error(`libxgboost ${call} failed: ${lastError()}`);
  };
  const version = f("void XGBoostVersion(_Out_ int *major, _Out_ int *minor, _Out_ int *patch)");
  const v = [[0], [0], [0]] as number[][];
  version(v[0], v[1], v[2]);
  const createFromMat = f(
    "int XGDMatrixCreateFromMat(const float *data, uint64_t nrow, uint64_t ncol, float missing, _Out_ XgbHandle *out)",
  );
  const setFloatInfo = f(
    "int XGDMatrixSetFloatInfo(XgbHandle handle, const char *field, const float *array, uint64_t len)",
  );
  const dmFree = f("int XGDMatrixFree(XgbHandle handle)");
  const create = f("int XGBoosterCreate(XgbHandle *dmats, uint64_t len, _Out_ XgbHandle *out)");
  const setParam = f("int XGBoosterSetParam(XgbHandle handle, const char *name, const char *value)");
  const update = f("int XGBoosterUpdateOneIter(XgbHandle handle, int iter, XgbHandle dtrain)");
  const predict = f(
    "int XGBoosterPredict(XgbHandle handle, XgbHandle dmat, int option_mask, unsigned int ntree_limit, int training, _Out_ uint64_t *out_len, _Out_ const float **out_result)",
  );
  const saveBuf = f(
    "int XGBoosterSaveModelToBuffer(XgbHandle handle, const char *config, _Out_ uint64_t *out_len, _Out_ const uint8_t **out_dptr)",
  );
  const loadBuf = f("int XGBoosterLoadModelFromBuffer(XgbHandle handle, const uint8_t *buf, uint64_t len)");
  const rounds = f("int XGBoosterBoostedRounds(XgbHandle handle, _Out_ int *out)");
  const getScore = f(
    "int XGBoosterFeatureScore(XgbHandle handle, const char *config, _Out_ uint64_t *out_n_features, _Out_ const char ***out_features, _Out_ uint64_t *out_dim, _Out_ const uint64_t **out_shape, _Out_ const float **out_scores)",
  );
  const bFree = f("int XGBoosterFree(XgbHandle handle)");
  const num = (v: unknown): number => Number(v as number | bigint);
  cached = {
    library: name,
    version: `${v[0][0]}.${v[1][0]}.${v[2][0]}`,
    dmatrixFromMat(data, rows, cols, missing) {
      if (data.length !== rows * cols) throw new Error(`DMatrix: ${data.length} values for ${rows} × ${cols}`);
      const out: unknown[] = [null];
      check(createFromMat(data, rows, cols, missing, out), "XGDMatrixCreateFromMat");
      return out[0];
    },
    dmatrixSetLabels(handle, labels) {
      check(setFloatInfo(handle, "label", labels, labels.length), "XGDMatrixSetFloatInfo(label)");
    },
    dmatrixFree(handle) {
      check(dmFree(handle), "XGDMatrixFree");
    },
    boosterCreate(cache) {
      const out: unknown[] = [null];
      check(create(cache, cache.length, out), "XGBoosterCreate");
      return out[0];
    },
    boosterSetParam(handle, key, value) {
      check(setParam(handle, key, value), `XGBoosterSetParam(${key}=${value})`);
    },
    boosterUpdate(handle, iteration, train) {
      check(update(handle, iteration, train), "XGBoosterUpdateOneIter");
    },
    boosterPredict(handle, dmatrix) {
      const len: unknown[] = [0];
      const ptr: unknown[] = [null];
      check(predict(handle, dmatrix, 0, 0, 0, len, ptr), "XGBoosterPredict");
      // The result lives in the booster's buffer until the next call: copy it out.
      return Float32Array.from(koffi.decode(ptr[0], "float", num(len[0])) as ArrayLike<number>);
    },
    boosterSave(handle, format) {
      const len: unknown[] = [0];
      const ptr: unknown[] = [null];
      check(saveBuf(handle, JSON.stringify({ format }), len, ptr), "XGBoosterSaveModelToBuffer");
      return Uint8Array.from(koffi.decode(ptr[0], "uint8_t", num(len[0])) as ArrayLike<number>);
    },
    boosterLoad(handle, bytes) {
      check(loadBuf(handle, bytes, bytes.length), "XGBoosterLoadModelFromBuffer");
    },
    boosterRounds(handle) {
      const out = [0];
      check(rounds(handle, out), "XGBoosterBoostedRounds");
      return out[0];
    },
    boosterScores(handle, importanceType) {
      const n: unknown[] = [0];
      const names: unknown[] = [null];
      const dim: unknown[] = [0];
      const shape: unknown[] = [null];
      const scores: unknown[] = [null];
      check(
        getScore(handle, JSON.stringify({ importance_type: importanceType }), n, names, dim, shape, scores),
        "XGBoosterFeatureScore",
      );
      const count = num(n[0]);
      const shapeValues = Array.from(koffi.decode(shape[0], "uint64_t", num(dim[0])) as ArrayLike<unknown>, num);
      const total = shapeValues.reduce((a, b) => a * b, 1);
      return {
        features: count ? (koffi.decode(names[0], "const char *", count) as string[]) : [],
        scores: Float32Array.from(total ? (koffi.decode(scores[0], "float", total) as number[]) : []),
      };
    },
    boosterFree(handle) {
      check(bFree(handle), "XGBoosterFree");
    },
  };
  return cached;
}

/** Why {@link xgboost} returned null ("" when it loaded). */
export function xgboostUnavailableReason(): string {
  xgboost();
  return failure;
}
