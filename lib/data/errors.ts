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

/**
 * Untrusted text (a header, a name read from a file) made safe for a one-line message: quoted and
 * escaped (no newlines or control characters), at most `max` characters.
 */
export function quoteForMessage(text: string, max = 60): string {
  const quoted = JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
  return quoted.replace(/[\u0080-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
