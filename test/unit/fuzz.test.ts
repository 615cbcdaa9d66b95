/**
 * The parsers under property-based fuzzing (fast-check): every generated case ends in a value or
 * a one-line DataFormatError naming the file. `npm run bench -- --only fuzz` runs 100,000 per parser.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzzParser, fuzzTargets } from "../helpers/parser-fuzz";
import { tempDir } from "../helpers/paths";

const dir = tempDir("edgelab-fuzz-");
for (const target of fuzzTargets(dir)) {
  test(`fuzz ${target.name}: 400 mutated and random inputs, each a value or one clear error`, () => {
    const report = fuzzParser(target, 400, 7);
    assert.equal(report.cases, 400);
    assert.ok(report.errors > 0, "the mutations do reach the error paths");
  });
}
