/**
 * Holds asynchronous signals off while native code that cannot take them runs. oneDNN 2.x's JIT
 * GEMM kernels (`dnnl_sgemm`, and the convolutions built on it) point the stack pointer into a
 * heap buffer while they run, so the kernel writes any signal's frame there and glibc aborts later
 * ("corrupted size vs. prev_size"; oneDNN issue 4845, fixed in oneDNN 3.11, after Debian's 2.6).
 * Node receives signals at any time: a profiler's SIGPROF, SIGCHLD from MPI ranks and federated
 * clients, SIGINT.
 *
 * {@link guarded} wraps a native function so the calling thread blocks every asynchronous signal
 * for the call. The OpenMP worker threads the call runs on are covered too: libgomp creates them
 * inside the first parallel region that needs them, from the calling thread, and a new thread
 * inherits its creator's signal mask — so as long as every OpenMP-using library edgelab calls
 * (oneDNN, OpenBLAS' OpenMP build, XGBoost) is called through a guard, the pool's workers block
 * signals for good and the kernel delivers process-wide signals to Node's other threads, or holds
 * them until the call returns. Synchronous faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP) stay
 * unblocked: blocking them would not stop them, only turn a crash report into a silent kill.
 */
import { createRequire } from "node:module";

const requireHere = createRequire(__filename);

const SIG_BLOCK = 0;
const SIG_SETMASK = 2;
/** glibc's sigset_t: 1024 bits. */
const SIGSET_BYTES = 128;
const SYNCHRONOUS = [4, 5, 7, 8, 11]; // SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV (Linux x86-64 and arm64)

type Mask = (how: number, set: Buffer | null, old: Buffer | null) => number;

let mask: Mask | null | undefined;
const all = Buffer.alloc(SIGSET_BYTES);
const saved = Buffer.alloc(SIGSET_BYTES);
let depth = 0;

/** libc's `pthread_sigmask`, with `all` filled, or null where koffi or glibc is missing. */
function threadMask(): Mask | null {
  if (mask !== undefined) return mask;
  mask = null;
  try {
    const koffi = requireHere("koffi") as {
      load(path: string): { func(signature: string): (...args: unknown[]) => number };
    };
    const libc = koffi.load("libc.so.6");
    const fill = libc.func("int sigfillset(void *set)");
    const remove = libc.func("int sigdelset(void *set, int signo)");
    const sigmask = libc.func("int pthread_sigmask(int how, const void *set, void *old)");
    if (fill(all) !== 0 || SYNCHRONOUS.some((s) => remove(all, s) !== 0)) return mask;
    mask = (how, set, old) => sigmask(how, set, old);
  } catch {
    // no koffi, or not glibc: nothing to block with (nor, then, any native library to guard)
  }
  return mask;
}

/**
 * `fn` called with every asynchronous signal blocked on the calling thread (and so on any thread
 * the call creates), the previous mask restored afterwards, also when `fn` throws. Nested guarded
 * calls block once. Where signals cannot be masked, `fn` itself.
 */
export function guarded<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const m = threadMask();
  if (m === null) return fn;
  return (...args: A): R => {
    if (depth++ === 0) m(SIG_BLOCK, all, saved);
    try {
      return fn(...args);
    } finally {
      if (--depth === 0) m(SIG_SETMASK, saved, null);
    }
  };
}
