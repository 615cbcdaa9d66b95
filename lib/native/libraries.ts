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

/** Debian's multiarch directory for this machine's libraries. */
const multiarch = `/usr/lib/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`;

/**
 * Known sonames per library family, most preferred first. BLAS: OpenBLAS' OpenMP build first
 * (`libopenblas0-openmp`, installed beside oneDNN on amd64), so its GEMMs share oneDNN's OpenMP
 * threads; the pthread build's threads spin after each call and, beside oneDNN's, slowed
 * SqueezeNet-32 steps 2–4×.
 */
export const librarySonames = {
  mpi: ["libmpich.so.12", "libmpi.so.40", "libmpi.so.12", "libmpi.so"],
  blas: [`${multiarch}/openblas-openmp/libopenblas.so.0`, "libopenblas.so.0", "libopenblas.so", "libblas.so.3"],
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

const RTLD_NOW = 2;
const RTLD_NOLOAD = 4;
const RTLD_NODELETE = 0x1000;

/**
 * Marks a loaded library, and the OpenMP runtime it may have loaded, as never to be unmapped.
 * koffi closes libraries when the process exits; OpenMP worker threads (oneDNN's, OpenBLAS'
 * OpenMP build's) are still parked inside libgomp then, and unmapping it under them crashes the
 * exit (status 139). A no-op where the library or libgomp is not loaded (RTLD_NOLOAD).
 */
export function pinLibrary(soname: string): void {
  try {
    const koffi = requireHere("koffi") as {
      load(path: string): { func(signature: string): (...args: unknown[]) => unknown };
    };
    const dlopen = koffi.load("libc.so.6").func("void *dlopen(const char *file, int mode)");
    for (const name of [soname, "libgomp.so.1"]) dlopen(name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  } catch {
    // no koffi, or not glibc: nothing to pin with
  }
}

/** Version of an installed npm package, or null when it is not installed. */
export function packageVersion(name: string): string | null {
  try {
    return (requireHere(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}
