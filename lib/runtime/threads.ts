/**
 * One call for thread configuration, shared by tfjs, onnxruntime and BLAS.
 * The seed's Pi 5 rule is "4 intra-op threads, 1 inter-op thread"; on smaller machines the
 * intra-op count is capped at the number of cores.
 */
import * as os from "node:os";

/** Thread settings applied to every compute library edgelab drives. */
export interface ThreadConfig {
  /** Threads inside one operator (GEMM, convolution). */
  intraOp: number;
  /** Operators run concurrently; 1 keeps per-op parallelism predictable on 4-core Pis. */
  interOp: number;
}

/**
 * How many processes mpiexec started on this node (MPICH's Hydra sets `MPI_LOCALNRANKS`, Open MPI
 * `OMPI_COMM_WORLD_LOCAL_SIZE`); 1 outside mpiexec.
 */
export function ranksOnThisNode(env: NodeJS.ProcessEnv = process.env): number {
  for (const name of ["MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE"]) {
    const n = Number(env[name]);
    if (Number.isInteger(n) && n > 0) return n;
  }
  return 1;
}

/**
 * Default: the node's cores shared by the ranks on it, at most 4 intra-op threads each, 1 inter-op;
 * `EDGELAB_THREADS` overrides intra-op. Sharing matters: OpenBLAS threads spin while they wait
 * for work, so ranks that each take every core wait for one another (an MLP on 6,000 Fashion-MNIST
 * images at np = 2 on two cores: 2.1–3.4 s with two threads per rank, 1.9–2.4 s with one; np = 1: 1.5 s).
 */
export function defaultThreadConfig(env: NodeJS.ProcessEnv = process.env): ThreadConfig {
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  const fromEnv = Number(env.EDGELAB_THREADS);
  const share = Math.floor(cores / ranksOnThisNode(env));
  const intraOp = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.max(1, Math.min(4, share));
  return Object.freeze({ intraOp, interOp: 1 });
}

let current: ThreadConfig | null = null;

/**
 * Applies a thread configuration process-wide: sets `OMP_NUM_THREADS`, `OPENBLAS_NUM_THREADS`,
 * `TF_NUM_INTRAOP_THREADS` and `TF_NUM_INTEROP_THREADS` (read by OpenBLAS and libtensorflow when
 * they load, so call this before the first model is built) and remembers it for onnxruntime
 * sessions created later.
 *
 * @example configureThreads({ intraOp: 4, interOp: 1 }) // the seed's mandatory Pi 5 setting
 */
export function configureThreads(overrides: Partial<ThreadConfig> = {}): ThreadConfig {
  const config: ThreadConfig = Object.freeze({ ...defaultThreadConfig(), ...overrides });
  if (!Number.isInteger(config.intraOp) || config.intraOp < 1)
    throw new Error(`intraOp threads must be a positive integer, got ${config.intraOp}`);
  if (!Number.isInteger(config.interOp) || config.interOp < 1)
    throw new Error(`interOp threads must be a positive integer, got ${config.interOp}`);
  process.env.OMP_NUM_THREADS = String(config.intraOp);
  process.env.OPENBLAS_NUM_THREADS = String(config.intraOp);
  process.env.TF_NUM_INTRAOP_THREADS = String(config.intraOp);
  process.env.TF_NUM_INTEROP_THREADS = String(config.interOp);
  current = config;
  return config;
}

/** The configuration in force (the default until `configureThreads` is called). */
export function threadConfig(): ThreadConfig {
  return current ?? defaultThreadConfig();
}

/** onnxruntime-node session options for the configuration in force. */
export function onnxThreadOptions(config: ThreadConfig = threadConfig()): {
  intraOpNumThreads: number;
  interOpNumThreads: number;
  executionMode: "sequential" | "parallel";
} {
  return {
    intraOpNumThreads: config.intraOp,
    interOpNumThreads: config.interOp,
    executionMode: config.interOp > 1 ? "parallel" : "sequential",
  };
}
