/**
 * The error every loader throws for bad input: it names the file and what is wrong, so the CLI
 * can print one clear line (never a stack trace) and notebooks show the cause.
 */

/** Bad input in a data file: `file` is the path, `problem` says what is wrong. */
export class DataFormatError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "DataFormatError";
  }
}
