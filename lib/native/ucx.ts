/**
 * UCX settings for MPI inside Node. MPICH's ch4:ucx device (Debian's and Pi OS' `mpich`) and Open
 * MPI's UCX layer bring libucs/libucm into the process, and two of UCX's defaults are unsafe in a
 * V8 process:
 *
 * - **Memory hooks** (`UCX_MEM_EVENTS`): at `MPI_Init` UCX hot-patches glibc's `mmap`, `munmap`,
 *   `mremap`, `madvise`, `brk`, `sbrk`, `shmat`, `shmdt` in place ("bistro" hooks) and routes
 *   `malloc` through its own allocator, to keep an RDMA registration cache coherent. A C program
 *   calls `MPI_Init` before it has threads; Node always has V8's GC and compiler threads calling
 *   `mmap`/`munmap`, and rewriting code other threads are executing is a known UCX race
 *   (openucx/ucx#5855, #11795; #3831 for MPICH). edgelab's CI saw it as a segfault inside V8's
 *   garbage collector under `mpiexec -n 2`. Shared memory and TCP — the transports of one machine
 *   and of a Pi cluster — need no registration cache, so edgelab turns the events off.
 * - **Signal handlers** (`UCX_ERROR_SIGNALS`): loading libucs installs UCX's own `SIGSEGV` handler
 *   over V8's. V8 uses `SIGSEGV` for WebAssembly bounds checks (the wasm training backend), so an
 *   out-of-bounds access that must throw a `RuntimeError` would kill the process instead. edgelab
 *   keeps UCX's backtraces for the other fatal signals and leaves `SIGSEGV` to V8.
 *
 * Whatever the user has set already wins (InfiniBand clusters may want `UCX_MEM_EVENTS=yes`).
 */

/** The UCX variables edgelab sets before an MPI library is loaded, unless already set. */
export const ucxDefaults: Readonly<Record<string, string>> = Object.freeze({
  UCX_MEM_EVENTS: "no",
  UCX_ERROR_SIGNALS: "SIGILL,SIGBUS,SIGFPE",
});

/** The defaults missing from `env`: what {@link prepareUcx} would set. */
export function missingUcxSettings(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(ucxDefaults).filter(([name]) => env[name] === undefined));
}

/**
 * Puts {@link ucxDefaults} into this process's environment (the real `environ`, which UCX reads
 * when it loads) where the user has not set them. Call before the first `dlopen` of an MPI
 * library; later calls change nothing. Returns the names it set.
 */
export function prepareUcx(env: NodeJS.ProcessEnv = process.env): string[] {
  const missing = missingUcxSettings(env);
  for (const [name, value] of Object.entries(missing)) env[name] = value;
  return Object.keys(missing);
}
