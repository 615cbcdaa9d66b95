/**
 * Fault injection under mpiexec: `node mpi-fault.js hang|die|none`. Rank 1 either blocks for a
 * minute (a hung rank) or exits with code 3 (a dead rank) before the first allreduce; every other
 * rank enters the allreduce. The job must end quickly with a clear message, never hang. `none` is
 * the same job without a fault.
 */
import { worldCommunicator } from "../lib/parallel/communicator";

const mode = process.argv[2];
const comm = worldCommunicator();
if (comm.rank === 1) {
  if (mode === "hang") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  if (mode === "die") process.exit(3);
}
comm.allreduceSum(new Float32Array(1024).fill(1));
comm.finalize();
console.log(`rank ${comm.rank} finished`);
