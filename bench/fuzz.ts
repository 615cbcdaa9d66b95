/**
 * Parser fuzzing at scale (one JSON object on stdout): N fast-check cases per parser (default
 * 100,000) for IDX, CIFAR binary, the pickle reader, the CICIDS parser and .npy; every case must
 * end in a value or a one-line DataFormatError. Reports cases, outcomes, the slowest case and the
 * process's peak RSS (VmHWM) after each parser.
 *     node build/bench/fuzz.js [CASES] [SEED]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fuzzParser, fuzzTargets } from "../test/helpers/parser-fuzz";

const peakRssMB = (): number =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) / 1024;

function main(): void {
  const cases = Number(process.argv[2] ?? 100_000);
  const seed = Number(process.argv[3] ?? 1);
  const dir = mkdtempSync(join(tmpdir(), "edgelab-fuzz-bench-"));
  try {
    const parsers = fuzzTargets(dir).map((target) => {
      const t0 = performance.now();
      process.stderr.write(`bench: fuzzing ${target.name} with ${cases} cases …\n`);
      const report = fuzzParser(target, cases, seed);
      return { ...report, seconds: (performance.now() - t0) / 1000, peakRssMB: peakRssMB() };
    });
    console.log(
      JSON.stringify({
        benchmark: "parser-fuzz",
        cases,
        seed,
        parsers,
        peakRssMB: peakRssMB(),
        command: `node build/bench/fuzz.js ${cases} ${seed}`,
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
