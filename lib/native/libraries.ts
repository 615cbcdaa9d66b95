/**
 * Finds the native libraries edgelab can call through FFI (koffi): MPI, BLAS, XGBoost.
 * Each probe tries the sonames Debian / Pi OS install and reports the first that loads.
 */
import { createRequire } from "node:module";
import { prepareUcx } from "./ucx";

const requireHere = createRequire(__filename);

/** A native library that was found (or why it was not). */
export interface LibraryProbe {
  /** Soname or path that loaded, or null. */
  library: string | null;
  /** Why it is unavailable, when `library` is null. */
  reason: string | null;
}

/** Known sonames per library family, most preferred first. */
export const librarySonames = {
  mpi: ["libmpich.so.12", "libmpi.so.40", "libmpi.so.12", "libmpi.so"],
  blas: ["libopenblas.so.0", "libopenblas.so", "libblas.so.3"],
  xgboost: ["libxgboost.so", "libxgboost.so.0"],
  dnnl: ["libdnnl.so.2"], // oneDNN 2.x: version 3 changed the C API
} as const;

/** The Debian package that provides each family, for messages. */
export const libraryPackages: Record<keyof typeof librarySonames, string> = {
  mpi: "mpich (or openmpi-bin)",
  blas: "libopenblas0-pthread",
  xgboost: "libxgboost0",
  dnnl: "libdnnl2",
};

type Koffi = { load(path: string): unknown };

function loadKoffi(): Koffi | null {
  try {
    return requireHere("koffi") as Koffi;
  } catch {
    return null;
  }
}

/**
 * Families switched off by `EDGELAB_DISABLE` (comma-separated, e.g. `blas,mpi`): to see how
 * edgelab behaves on a machine without them, without uninstalling anything.
 */
export function disabledLibrary(family: keyof typeof librarySonames): boolean {
  return (process.env.EDGELAB_DISABLE ?? "")
    .split(",")
    .map((s) => s.trim())
    .includes(family);
}

/** Tries to dlopen each candidate; returns the first that loads. Extra candidates go first. */
export function probeLibrary(family: keyof typeof librarySonames, extra: readonly string[] = []): LibraryProbe {
  if (disabledLibrary(family))
    return { library: null, reason: `disabled by EDGELAB_DISABLE=${process.env.EDGELAB_DISABLE}` };
  const koffi = loadKoffi();
  if (koffi === null) return { library: null, reason: "koffi (FFI) is not installed: run npm ci" };
  const candidates = [...extra, ...librarySonames[family]];
  if (family === "mpi") prepareUcx(); // before libucs loads: see native/ucx
  for (const name of candidates) {
    try {
      koffi.load(name);
      return { library: name, reason: null };
    } catch {
      // try the next soname
    }
  }
  return {
    library: null,
    reason: `none of ${candidates.join(", ")} could be loaded; install ${libraryPackages[family]} (npm run setup)`,
  };
}

/** Version of an installed npm package, or null when it is not installed. */
export function packageVersion(name: string): string | null {
  try {
    return (requireHere(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}
