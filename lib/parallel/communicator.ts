/**
 * A communicator over ranks: MPI when the process was launched by mpiexec, otherwise a world of
 * one with the same interface, so single-process and distributed runs are one code path.
 */
import { writeSync } from "node:fs";
import { bindMpi, launchedByMpi, mpiLaunchProblem, type MpiBinding } from "../native/mpi";
import { CollectiveWatchdog } from "./watchdog";

/**
 * The collectives the trainers use (float32 buffers, in place where MPI allows). MPI's are
 * blocking and return when done; the virtual ranks of the scaling simulator return promises that
 * settle when every rank has arrived. Callers always `await`.
 */
export interface Communicator {
  readonly rank: number;
  readonly size: number;
  /** "mpi (libmpich.so.12)", "self" or "virtual". */
  readonly kind: string;
  /** Element-wise sum over ranks, in place. */
  allreduceSum(buf: Float32Array): void | Promise<void>;
  /** Element-wise mean over ranks, in place. */
  allreduceMean(buf: Float32Array): void | Promise<void>;
  /** Element-wise max over ranks (e.g. the slowest rank's time), in place. */
  allreduceMax(buf: Float64Array): void | Promise<void>;
  /** Copies root's buffer to every rank. */
  bcast(buf: Float32Array | Int32Array, root?: number): void | Promise<void>;
  /** Concatenates every rank's buffer (same length) on root; null elsewhere. */
  gather(send: Float32Array, root?: number): Float32Array | null | Promise<Float32Array | null>;
  barrier(): void | Promise<void>;
  /** Ends MPI (no-op for a world of one). */
  finalize(): void;
}

/** A world of one rank: collectives are identities. */
export class SelfCommunicator implements Communicator {
  readonly rank = 0;
  readonly size = 1;
  readonly kind = "self";
  allreduceSum(): void {}
  allreduceMean(): void {}
  allreduceMax(): void {}
  bcast(): void {}
  gather(send: Float32Array): Float32Array {
    return Float32Array.from(send);
  }
  barrier(): void {}
  finalize(): void {}
}

/**
 * MPI_COMM_WORLD through the MPICH binding. Every collective runs under a watchdog (`watchdog.ts`):
 * a rank left waiting longer than `EDGELAB_MPI_TIMEOUT` seconds (a peer died or hung) ends the job
 * with a message naming itself and the collective.
 */
export class MpiCommunicator implements Communicator {
  readonly rank: number;
  readonly size: number;
  readonly kind: string;
  private finalized = false;
  private readonly watchdog: CollectiveWatchdog;

  constructor(
    private readonly mpi: MpiBinding = bindMpi(),
    timeoutSeconds?: number,
  ) {
    const problem = mpiLaunchProblem();
    if (problem) throw new Error(problem);
    if (!mpi.initialized()) mpi.init();
    this.rank = mpi.rank();
    this.size = mpi.size();
    this.kind = `mpi (${mpi.library})`;
    this.watchdog = new CollectiveWatchdog(this.rank, timeoutSeconds);
    // A rank leaving early is the other ranks' problem: say which one it was, for mpiexec's log.
    process.on("exit", (code) => {
      if (!this.finalized && code !== 0)
        writeSync(2, `edgelab: rank ${this.rank} exited with code ${code} before the job finished\n`);
    });
  }
  allreduceSum(buf: Float32Array): void {
    this.watchdog.guard(`allreduce (sum of ${buf.length} floats)`, () => this.mpi.allreduceInPlace(buf, "sum"));
  }
  allreduceMean(buf: Float32Array): void {
    this.watchdog.guard(`allreduce (mean of ${buf.length} floats)`, () => this.mpi.allreduceInPlace(buf, "sum"));
    const inv = 1 / this.size;
    for (let i = 0; i < buf.length; i++) buf[i] *= inv;
  }
  allreduceMax(buf: Float64Array): void {
    this.watchdog.guard(`allreduce (max of ${buf.length} values)`, () => this.mpi.allreduceInPlace(buf, "max"));
  }
  bcast(buf: Float32Array | Int32Array, root = 0): void {
    this.watchdog.guard(`bcast from rank ${root} (${buf.length} values)`, () => this.mpi.bcast(buf, root));
  }
  gather(send: Float32Array, root = 0): Float32Array | null {
    const recv = this.rank === root ? new Float32Array(send.length * this.size) : null;
    this.watchdog.guard(`gather to rank ${root} (${send.length} floats per rank)`, () =>
      this.mpi.gather(send, recv, root),
    );
    return recv;
  }
  barrier(): void {
    this.watchdog.guard("barrier", () => this.mpi.barrier());
  }
  /** Blocking point-to-point send (pipeline stages). */
  send(buf: Float32Array | Float64Array | Int32Array, dest: number, tag: number): void {
    this.watchdog.guard(`send to rank ${dest} (${buf.length} values)`, () => this.mpi.send(buf, dest, tag));
  }
  /** Blocking point-to-point receive into `buf`. */
  recv(buf: Float32Array | Float64Array | Int32Array, source: number, tag: number): void {
    this.watchdog.guard(`receive from rank ${source} (${buf.length} values)`, () => this.mpi.recv(buf, source, tag));
  }
  /** Whether a message from `source` with `tag` is waiting (never blocks). */
  iprobe(source: number, tag: number): boolean {
    return this.mpi.iprobe(source, tag);
  }
  /** Ends every rank of the job at once. */
  abort(code: number): never {
    this.mpi.abort(code);
    process.exit(code);
  }
  finalize(): void {
    if (!this.finalized && process.env.EDGELAB_MPI_SKIP_FINALIZE === "1") {
      // On emulated clusters (UCX over TCP between network namespaces) MPI_Finalize was seen to
      // hang with three ranks: after a barrier nothing is in flight, so ranks leave without it.
      this.watchdog.guard("barrier before leaving", () => this.mpi.barrier());
      this.watchdog.stop();
      this.finalized = true;
    }
    if (!this.finalized) {
      this.watchdog.guard("MPI_Finalize", () => this.mpi.finalize());
      this.watchdog.stop();
    }
    this.finalized = true;
  }
}

let world: Communicator | null = null;

/** The process's communicator: MPI under mpiexec (error if no MPI library), else a world of one. */
export function worldCommunicator(): Communicator {
  world ??= launchedByMpi() ? new MpiCommunicator() : new SelfCommunicator();
  return world;
}
