/**
 * MPI through koffi (FFI) for the MPICH ABI (MPICH, Intel MPI, MVAPICH: `libmpich.so.12`), where
 * handles are plain integers. Open MPI uses a different ABI (handles are addresses of global
 * symbols) and is not bound yet: a clear error says so.
 */
import { createRequire } from "node:module";

const requireHere = createRequire(__filename);

/** MPICH handle values (mpi.h of the MPICH ABI). */
export const mpichHandles = Object.freeze({
  commWorld: 0x44000000,
  float: 0x4c00040a,
  double: 0x4c00080b,
  int: 0x4c000405,
  sum: 0x58000003,
  max: 0x58000001,
});

/** The raw calls edgelab uses. Buffers are typed arrays (zero-copy). */
export interface MpiBinding {
  library: string;
  init(): void;
  initialized(): boolean;
  finalize(): void;
  rank(): number;
  size(): number;
  barrier(): void;
  allreduceInPlace(buf: Float32Array | Float64Array, op: "sum" | "max"): void;
  bcast(buf: Float32Array | Float64Array | Int32Array, root: number): void;
  gather(send: Float32Array, recv: Float32Array | null, root: number): void;
  abort(code: number): void;
}

interface Koffi {
  load(path: string): { func(signature: string): (...args: unknown[]) => number };
}

/** True when this process was started by mpiexec/mpirun (MPICH's Hydra, Open MPI or PMIx). */
export function launchedByMpi(): boolean {
  const env = process.env;
  return env.PMI_RANK !== undefined || env.PMI_SIZE !== undefined || env.OMPI_COMM_WORLD_RANK !== undefined || env.PMIX_RANK !== undefined;
}

function dtypeOf(buf: Float32Array | Float64Array | Int32Array): number {
  return buf instanceof Float32Array ? mpichHandles.float : buf instanceof Float64Array ? mpichHandles.double : mpichHandles.int;
}

/** Binds the MPICH-ABI library; throws a clear error when no MPI library can be loaded. */
export function bindMpi(): MpiBinding {
  let koffi: Koffi;
  try {
    koffi = requireHere("koffi") as Koffi;
  } catch {
    throw new Error("MPI needs koffi (FFI): run npm ci");
  }
  let lib: ReturnType<Koffi["load"]> | null = null;
  let library = "";
  for (const name of ["libmpich.so.12", "libmpich.so"]) {
    try {
      lib = koffi.load(name);
      library = name;
      break;
    } catch {
      // try the next
    }
  }
  if (!lib) {
    let openMpi = false;
    try {
      koffi.load("libmpi.so.40");
      openMpi = true;
    } catch {
      // not Open MPI either
    }
    throw new Error(openMpi ? "found Open MPI (libmpi.so.40) but edgelab binds the MPICH ABI; install mpich (apt-get install mpich libmpich-dev)" : "no MPI library found (libmpich.so.12); install mpich (npm run setup)");
  }
  const check = (what: string, code: number): void => {
    if (code !== 0) throw new Error(`${what} failed with MPI error code ${code}`);
  };
  const fInit = lib.func("int MPI_Init(void *, void *)");
  const fInitialized = lib.func("int MPI_Initialized(_Out_ int *)");
  const fFinalize = lib.func("int MPI_Finalize()");
  const fRank = lib.func("int MPI_Comm_rank(int, _Out_ int *)");
  const fSize = lib.func("int MPI_Comm_size(int, _Out_ int *)");
  const fBarrier = lib.func("int MPI_Barrier(int)");
  // MPI_IN_PLACE is (void *)-1 in MPICH: the send buffer is declared as an integer so -1 can be passed.
  const fAllreduceF = lib.func("int MPI_Allreduce(intptr_t, _Inout_ float *, int, int, int, int)");
  const fAllreduceD = lib.func("int MPI_Allreduce(intptr_t, _Inout_ double *, int, int, int, int)");
  const fBcastF = lib.func("int MPI_Bcast(_Inout_ float *, int, int, int, int)");
  const fBcastD = lib.func("int MPI_Bcast(_Inout_ double *, int, int, int, int)");
  const fBcastI = lib.func("int MPI_Bcast(_Inout_ int *, int, int, int, int)");
  const fGather = lib.func("int MPI_Gather(float *, int, int, _Inout_ float *, int, int, int, int)");
  const fAbort = lib.func("int MPI_Abort(int, int)");
  const world = mpichHandles.commWorld;
  return {
    library,
    init: () => check("MPI_Init", fInit(null, null)),
    initialized: () => {
      const flag = [0];
      check("MPI_Initialized", fInitialized(flag));
      return flag[0] !== 0;
    },
    finalize: () => check("MPI_Finalize", fFinalize()),
    rank: () => {
      const r = [0];
      check("MPI_Comm_rank", fRank(world, r));
      return r[0];
    },
    size: () => {
      const s = [0];
      check("MPI_Comm_size", fSize(world, s));
      return s[0];
    },
    barrier: () => check("MPI_Barrier", fBarrier(world)),
    allreduceInPlace: (buf, op) => {
      const fn = buf instanceof Float32Array ? fAllreduceF : fAllreduceD;
      check("MPI_Allreduce", fn(-1, buf, buf.length, dtypeOf(buf), op === "sum" ? mpichHandles.sum : mpichHandles.max, world));
    },
    bcast: (buf, root) => {
      const fn = buf instanceof Float32Array ? fBcastF : buf instanceof Float64Array ? fBcastD : fBcastI;
      check("MPI_Bcast", fn(buf, buf.length, dtypeOf(buf), root, world));
    },
    gather: (send, recv, root) => check("MPI_Gather", fGather(send, send.length, mpichHandles.float, recv, send.length, mpichHandles.float, root, world)),
    abort: (code) => void fAbort(world, code),
  };
}
