/**
 * MPI through koffi (FFI), for both ABIs in use: MPICH's (MPICH, Intel MPI, MVAPICH:
 * `libmpich.so.12`), where handles are plain integers, and Open MPI's (`libmpi.so.40`), where
 * handles are the addresses of exported structs (`ompi_mpi_comm_world`, `ompi_mpi_float`, …).
 * The library matching the launcher is chosen (Open MPI's mpirun sets OMPI_* variables).
 */
import { readFileSync, readlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { disabledLibrary } from "./libraries";
import { prepareUcx } from "./ucx";

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
  /** Blocking point-to-point send of a whole buffer to `dest` with `tag`. */
  send(buf: Float32Array | Float64Array | Int32Array, dest: number, tag: number): void;
  /** Blocking receive into `buf` from `source` with `tag`; the message must fit the buffer. */
  recv(buf: Float32Array | Float64Array | Int32Array, source: number, tag: number): void;
  /** Whether a message from `source` with `tag` is waiting (never blocks). */
  iprobe(source: number, tag: number): boolean;
  abort(code: number): void;
}

interface Koffi {
  load(path: string): { func(signature: string): (...args: unknown[]) => number; symbol(name: string): bigint };
}

/** True when this process was started by mpiexec/mpirun (MPICH's Hydra, Open MPI or PMIx). */
export function launchedByMpi(): boolean {
  const env = process.env;
  return (
    env.PMI_RANK !== undefined ||
    env.PMI_SIZE !== undefined ||
    env.OMPI_COMM_WORLD_RANK !== undefined ||
    env.PMIX_RANK !== undefined
  );
}

/**
 * Why MPI cannot start in this process although mpiexec launched it, or null. MPICH's Hydra hands
 * each rank a PMI socket as file descriptor PMI_FD; a wrapper in between (npx, npm exec) starts
 * node as its own child and closes it, and MPI_Init then aborts with "Unable to write to PMI_fd".
 */
export function mpiLaunchProblem(): string | null {
  const fd = process.env.PMI_FD;
  if (fd === undefined || !/^\d+$/.test(fd) || process.platform !== "linux") return null;
  const link = (pid: string | number): string | null => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return null;
    }
  };
  const mine = link("self");
  let parent = "";
  try {
    parent = readFileSync(`/proc/${process.ppid}/comm`, "utf8").trim();
  } catch {
    return null; // cannot tell: let MPI_Init try
  }
  // Started by Hydra's proxy itself, or by a wrapper that passed the very same descriptor on.
  if (mine !== null && mine.startsWith("socket:") && (parent === "hydra_pmi_proxy" || link(process.ppid) === mine))
    return null;
  return (
    `mpiexec's PMI descriptor (fd ${fd}) did not reach this process: a wrapper such as npx started it. ` +
    `Let edgelab start mpiexec ("npx edgelab train --np N …"), or start node on the CLI ("mpiexec -n N node build/lib/cli/main.js …")`
  );
}

/** Which MPI ABI to bind: the launcher's (Open MPI's mpirun sets OMPI_*), else MPICH first. */
function abiOrder(): ("mpich" | "openmpi")[] {
  return process.env.OMPI_COMM_WORLD_RANK !== undefined ? ["openmpi", "mpich"] : ["mpich", "openmpi"];
}

/** Handles of one ABI: MPICH's are integers; Open MPI's are addresses of exported structs. */
interface AbiHandles {
  handleType: "int" | "intptr_t";
  inPlace: number;
  comm: number | bigint;
  float: number | bigint;
  double: number | bigint;
  int: number | bigint;
  sum: number | bigint;
  max: number | bigint;
}

/**
 * Binds the system MPI library through koffi: the MPICH ABI (`libmpich.so.12`: MPICH, Intel MPI,
 * MVAPICH) or Open MPI's (`libmpi.so.40`). Throws a clear error when no MPI library can be loaded.
 */
export function bindMpi(): MpiBinding {
  if (disabledLibrary("mpi")) throw new Error(`MPI disabled by EDGELAB_DISABLE=${process.env.EDGELAB_DISABLE}`);
  let koffi: Koffi;
  try {
    koffi = requireHere("koffi") as Koffi;
  } catch {
    throw new Error("MPI needs koffi (FFI): run npm ci");
  }
  prepareUcx(); // before libucs loads: its memory hooks and SIGSEGV handler are unsafe in V8
  const candidates = { mpich: ["libmpich.so.12", "libmpich.so"], openmpi: ["libmpi.so.40", "libmpi.so"] };
  let lib: ReturnType<typeof koffi.load> | null = null;
  let library = "";
  let abi: "mpich" | "openmpi" = "mpich";
  for (const which of abiOrder()) {
    for (const name of candidates[which]) {
      try {
        const loaded = koffi.load(name);
        if (which === "openmpi") loaded.symbol("ompi_mpi_comm_world"); // a libmpi.so that is not Open MPI fails here
        lib = loaded;
        library = name;
        abi = which;
        break;
      } catch {
        // try the next
      }
    }
    if (lib) break;
  }
  if (!lib)
    throw new Error(
      "no MPI library found (libmpich.so.12 or Open MPI's libmpi.so.40); install mpich (npm run setup) or openmpi-bin",
    );
  const h: AbiHandles =
    abi === "mpich"
      ? {
          handleType: "int",
          inPlace: -1,
          comm: mpichHandles.commWorld,
          float: mpichHandles.float,
          double: mpichHandles.double,
          int: mpichHandles.int,
          sum: mpichHandles.sum,
          max: mpichHandles.max,
        }
      : {
          handleType: "intptr_t",
          inPlace: 1,
          comm: lib.symbol("ompi_mpi_comm_world"),
          float: lib.symbol("ompi_mpi_float"),
          double: lib.symbol("ompi_mpi_double"),
          int: lib.symbol("ompi_mpi_int"),
          sum: lib.symbol("ompi_mpi_op_sum"),
          max: lib.symbol("ompi_mpi_op_max"),
        };
  const check = (what: string, code: number): void => {
    if (code !== 0) throw new Error(`${what} failed with MPI error code ${code}`);
  };
  const H = h.handleType;
  const fInit = lib.func("int MPI_Init(void *, void *)");
  const fInitialized = lib.func("int MPI_Initialized(_Out_ int *)");
  const fFinalize = lib.func("int MPI_Finalize()");
  const fRank = lib.func(`int MPI_Comm_rank(${H}, _Out_ int *)`);
  const fSize = lib.func(`int MPI_Comm_size(${H}, _Out_ int *)`);
  const fBarrier = lib.func(`int MPI_Barrier(${H})`);
  // MPI_IN_PLACE is (void *)-1 in MPICH and (void *)1 in Open MPI: the send buffer is declared as an integer.
  const fAllreduceF = lib.func(`int MPI_Allreduce(intptr_t, _Inout_ float *, int, ${H}, ${H}, ${H})`);
  const fAllreduceD = lib.func(`int MPI_Allreduce(intptr_t, _Inout_ double *, int, ${H}, ${H}, ${H})`);
  const fBcastF = lib.func(`int MPI_Bcast(_Inout_ float *, int, ${H}, int, ${H})`);
  const fBcastD = lib.func(`int MPI_Bcast(_Inout_ double *, int, ${H}, int, ${H})`);
  const fBcastI = lib.func(`int MPI_Bcast(_Inout_ int *, int, ${H}, int, ${H})`);
  const fGather = lib.func(`int MPI_Gather(float *, int, ${H}, _Inout_ float *, int, ${H}, int, ${H})`);
  const fAbort = lib.func(`int MPI_Abort(${H}, int)`);
  const fSendF = lib.func(`int MPI_Send(float *, int, ${H}, int, int, ${H})`);
  const fSendD = lib.func(`int MPI_Send(double *, int, ${H}, int, int, ${H})`);
  const fSendI = lib.func(`int MPI_Send(int *, int, ${H}, int, int, ${H})`);
  // MPI_Status is 20 bytes in MPICH and 24 in Open MPI: a 32-byte scratch buffer fits both.
  const fRecvF = lib.func(`int MPI_Recv(_Inout_ float *, int, ${H}, int, int, ${H}, _Inout_ int *)`);
  const fRecvD = lib.func(`int MPI_Recv(_Inout_ double *, int, ${H}, int, int, ${H}, _Inout_ int *)`);
  const fRecvI = lib.func(`int MPI_Recv(_Inout_ int *, int, ${H}, int, int, ${H}, _Inout_ int *)`);
  const fIprobe = lib.func(`int MPI_Iprobe(int, int, ${H}, _Out_ int *, _Inout_ int *)`);
  const status = new Int32Array(8);
  const dtypeOf = (buf: Float32Array | Float64Array | Int32Array): number | bigint =>
    buf instanceof Float32Array ? h.float : buf instanceof Float64Array ? h.double : h.int;
  return {
    library: `${library}, ${abi === "mpich" ? "MPICH ABI" : "Open MPI ABI"}`,
    init: () => check("MPI_Init", fInit(null, null)),
    initialized: () => {
      const flag = [0];
      check("MPI_Initialized", fInitialized(flag));
      return flag[0] !== 0;
    },
    finalize: () => check("MPI_Finalize", fFinalize()),
    rank: () => {
      const r = [0];
      check("MPI_Comm_rank", fRank(h.comm, r));
      return r[0];
    },
    size: () => {
      const s = [0];
      check("MPI_Comm_size", fSize(h.comm, s));
      return s[0];
    },
    barrier: () => check("MPI_Barrier", fBarrier(h.comm)),
    allreduceInPlace: (buf, op) => {
      const fn = buf instanceof Float32Array ? fAllreduceF : fAllreduceD;
      check("MPI_Allreduce", fn(h.inPlace, buf, buf.length, dtypeOf(buf), op === "sum" ? h.sum : h.max, h.comm));
    },
    bcast: (buf, root) => {
      const fn = buf instanceof Float32Array ? fBcastF : buf instanceof Float64Array ? fBcastD : fBcastI;
      check("MPI_Bcast", fn(buf, buf.length, dtypeOf(buf), root, h.comm));
    },
    gather: (send, recv, root) =>
      check("MPI_Gather", fGather(send, send.length, h.float, recv, send.length, h.float, root, h.comm)),
    send: (buf, dest, tag) => {
      const fn = buf instanceof Float32Array ? fSendF : buf instanceof Float64Array ? fSendD : fSendI;
      check("MPI_Send", fn(buf, buf.length, dtypeOf(buf), dest, tag, h.comm));
    },
    recv: (buf, source, tag) => {
      const fn = buf instanceof Float32Array ? fRecvF : buf instanceof Float64Array ? fRecvD : fRecvI;
      check("MPI_Recv", fn(buf, buf.length, dtypeOf(buf), source, tag, h.comm, status));
    },
    iprobe: (source, tag) => {
      const flag = [0];
      check("MPI_Iprobe", fIprobe(source, tag, h.comm, flag, status));
      return flag[0] !== 0;
    },
    abort: (code) => void fAbort(h.comm, code),
  };
}
