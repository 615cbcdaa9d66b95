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

/** Positive integers. */
export const positiveInteger = (n: number): boolean => Number.isInteger(n) && n > 0;

/**
 * A numeric flag: `fallback` when absent, else the number if `check` accepts it; otherwise a
 * UsageError naming the command, the flag (with what it wants) and the value given.
 */
export function numberFlag(
  command: string,
  value: string | undefined,
  flag: string,
  fallback: number,
  check: (n: number) => boolean = (n) => n > 0 && Number.isFinite(n),
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !check(n)) throw new UsageError(`${command}: ${flag} got "${value}"`);
  return n;
}
