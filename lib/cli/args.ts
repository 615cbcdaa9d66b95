/** Argument parsing shared by the CLI commands (node:util parseArgs, strict). */

/** A usage error: printed as one line with exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Runs a parseArgs call, turning its errors (unknown flag, missing value) into UsageErrors. */
export function parse<T>(run: () => T, command: string): T {
  try {
    return run();
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message.split("\n")[0]}`);
  }
}
