/**
 * What of mpiexec's own output a user should see. When a rank dies, MPICH's Hydra prints a
 * ten-line "BAD TERMINATION" banner and UCX may print a native backtrace per rank; edgelab
 * replaces both with one line ({@link describeMpiFailure}), so they are held back here while
 * everything the ranks print (progress, JSON, their own errors) passes through. Pure: lines in,
 * decisions out.
 */

const bannerLine =
  /^=+$|^=\s|BAD TERMINATION OF ONE OF YOUR APPLICATION|YOUR APPLICATION TERMINATED WITH THE EXIT STRING|This typically refers to a problem with your application|Please see the FAQ page for debugging/;
/**
 * UCX log lines carry a `[host:pid:thread:tid]` prefix; libucs pads the pid to a fixed width
 * (`[vm:2209 :0:2209]`), so spaces may follow any field.
 */
const ucxLine = /^\[[\w.-]+:\s*\d+\s*:\s*\d+\s*(:\s*\d+\s*)?\]/;
const backtraceStart = /^=+ backtrace \(tid:/;
const backtraceFrame = /^\s*\d+\s+\S/;

/** Decides line by line whether launcher output reaches the user's terminal. */
export class LauncherOutputFilter {
  private inBacktrace = false;

  /** True when `line` (without its newline) is the ranks' output, false when it is launcher noise. */
  accept(line: string): boolean {
    if (backtraceStart.test(line)) {
      this.inBacktrace = true;
      return false;
    }
    if (this.inBacktrace) {
      if (backtraceFrame.test(line)) return false;
      this.inBacktrace = false;
      if (/^=+$/.test(line)) return false;
    }
    return !(bannerLine.test(line) || ucxLine.test(line));
  }
}
