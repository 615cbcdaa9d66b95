/**
 * Tile where the repetition is of whole copies: an input whose leading axes are 1 repeated along
 * exactly those axes (`[1, 1, 1, C]` → `[N, H, W, C]`, what tfjs' batch-norm gradient builds for
 * every layer). The output is the input written once and then doubled with `copyWithin`, a
 * memory-bandwidth copy; tfjs' wasm Tile maps every output index back to its source.
 */

/** How many whole copies of `shape` `reps` asks for, or null when the tile is not of that form. */
export function wholeCopies(shape: readonly number[], reps: readonly number[]): number | null {
  if (shape.length !== reps.length) return null;
  let copies = 1;
  let inner = false; // past the leading axes: every rep must be 1 from here on
  for (let i = 0; i < shape.length; i++) {
    if (!inner && shape[i] === 1) copies *= reps[i];
    else {
      inner = true;
      if (reps[i] !== 1) return null;
    }
  }
  return copies;
}

/** Writes `copies` consecutive copies of `x` into `out` (length copies · x.length). */
export function repeatWhole(x: Float32Array, copies: number, out: Float32Array): void {
  const n = x.length;
  if (n === 0 || copies === 0) return;
  out.set(x, 0);
  let filled = n;
  const total = n * copies;
  while (filled < total) {
    const chunk = Math.min(filled, total - filled);
    out.copyWithin(filled, 0, chunk);
    filled += chunk;
  }
}
