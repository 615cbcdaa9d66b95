/**
 * Property-based fuzzing of edgelab's parsers with fast-check: each case mutates a valid seed
 * file (byte flips, truncation, insertions, oversized header fields) or is random bytes; the
 * parser must return a value or throw a DataFormatError naming the file — never another error,
 * a hang or an unbounded allocation. Shared by `npm test` (few cases) and `bench/fuzz.ts` (many).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { panosFeatures } from "../../lib/firewall/features";
import { parsePanos } from "../../lib/firewall/panos";
import { syslogLine, trafficLogLine } from "../../lib/firewall/replay";
import { SyslogStreamFramer, parseSyslog } from "../../lib/firewall/syslog";
import { join } from "node:path";
import fc from "fast-check";
import {
  decodeCifarBinary,
  decodeIdx,
  encodeCifarPickle,
  encodeIdx,
  loadCicids2017,
  unpickle,
  writeSyntheticCicidsCsv,
} from "../../lib/data";
import { DataFormatError } from "../../lib/data/errors";
import { encodeNpy, parseNpy } from "../../lib/deploy/npy";
import { fixture } from "./paths";

/** A parser under test: valid seed inputs and how to run it on bytes. */
export interface FuzzTarget {
  name: string;
  seeds: Uint8Array[];
  /** Parses `bytes` (named `file`); returns normally or throws. */
  parse(bytes: Uint8Array, file: string): unknown;
}

/** The five parsers the hardening issue names, and the firewall service's network path; `dir` holds the CSV cases written to disk. */
export function fuzzTargets(dir: string): FuzzTarget[] {
  const idx = encodeIdx({ shape: [3, 4, 4], data: Uint8Array.from({ length: 48 }, (_, i) => i) });
  const cifar = new Uint8Array(2 * 3073).map((_, i) => (i % 3073 === 0 ? i % 10 : i & 0xff));
  const csvSeed = join(dir, "seed.csv");
  writeSyntheticCicidsCsv(csvSeed, { rows: 6, seed: 3 });
  const csvFile = join(dir, "case.csv");
  return [
    {
      name: "idx",
      seeds: [idx, encodeIdx({ shape: [2, 3], data: new Uint8Array(6) }, true)],
      parse: (b, f) => decodeIdx(b, f),
    },
    { name: "cifar-binary", seeds: [cifar], parse: (b, f) => decodeCifarBinary(b, f) },
    // Small seeds keep 100,000 cases fast: two 2-image batches, numpy's protocol 2 layout (written
    // here) and protocol 4 (the committed fixture, cut to its first image's worth of structure).
    {
      name: "pickle",
      seeds: [
        encodeCifarPickle(
          new Uint8Array(2 * 3072).map((_, i) => i & 0xff),
          Uint8Array.of(3, 7),
          "fuzz",
        ),
        readFileSync(fixture("evil-reduce.pkl")),
      ],
      parse: (b, f) => unpickle(b, f),
    },
    {
      name: "cicids-csv",
      seeds: [readFileSync(csvSeed)],
      parse: (b) => {
        writeFileSync(csvFile, b);
        return loadCicids2017(csvFile);
      },
    },
    {
      name: "npy",
      seeds: [
        encodeNpy({ dtype: "float32", shape: [2, 3], data: new Float32Array(6) }),
        encodeNpy({ dtype: "int64", shape: [4], data: new BigInt64Array(4) }),
      ],
      parse: (b, f) => parseNpy(b, f),
    },
    // The firewall service's path for untrusted network bytes: TCP framing, syslog, PAN-OS CSV, features
    { name: "panos-syslog", seeds: [firewallSeed()], parse: (b) => parseFirewallBytes(b) },
  ];
}

function firewallSeed(): Uint8Array {
  const when = new Date(Date.UTC(2024, 2, 10));
  const row = {
    "Destination Port": 443,
    "Flow Duration": 2e6,
    "Total Fwd Packets": 4,
    "Total Backward Packets": 5,
    "Total Length of Fwd Packets": 300,
    "Total Length of Bwd Packets": 900,
  };
  const a = syslogLine(trafficLogLine(row, 1, when), "rfc5424", when);
  const b = syslogLine(trafficLogLine(row, 2, when), "rfc3164", when);
  return Buffer.from(`${Buffer.byteLength(a)} ${a}${b}\n`);
}

/**
 * Everything the service does with bytes from the network. The service counts problems instead
 * of throwing; here any problem becomes one DataFormatError, so the harness sees which inputs
 * reached an error path — anything else thrown is a bug.
 */
function parseFirewallBytes(bytes: Uint8Array): unknown {
  const framer = new SyslogStreamFramer(4096);
  const { messages, problems } = framer.push(Buffer.from(bytes));
  const found: string[] = [...problems];
  const features = messages.map((m) => {
    const s = parseSyslog(m);
    if ("problem" in s) return found.push(s.problem);
    const log = parsePanos(s.message);
    if ("problem" in log) return found.push(log.problem);
    const f = panosFeatures(log);
    return f instanceof Float32Array ? f : found.push(f.problem);
  });
  if (found.length > 0) throw new DataFormatError("network", found.join(", "));
  return features;
}

/** A mutation of a seed: what fast-check generates. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  // Header fields (sizes, counts, lengths) sit in the first bytes: set 4 of them to large values.
  fc.record({
    kind: fc.constant("huge" as const),
    at: fc.integer({ min: 0, max: 64 }),
    value: fc.constantFrom(0xff, 0x7f, 0x80),
  }),
);

function mutate(
  seed: Uint8Array,
  steps: readonly { kind: string; at: number; value?: number; bytes?: Uint8Array }[],
): Uint8Array {
  let out = Uint8Array.from(seed);
  for (const m of steps) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.kind === "flip") out[at] = m.value ?? 0;
    else if (m.kind === "truncate") out = out.subarray(0, at);
    else if (m.kind === "insert")
      out = Buffer.concat([out.subarray(0, at), m.bytes ?? new Uint8Array(0), out.subarray(at)]);
    else for (let k = 0; k < 4 && at + k < out.length; k++) out[at + k] = m.value ?? 0xff;
  }
  return out;
}

/** Outcome counts of a fuzz run. */
export interface FuzzReport {
  parser: string;
  cases: number;
  values: number;
  errors: number;
  slowestMs: number;
}

/**
 * Runs `cases` generated cases against `target`; throws (through fast-check, with the shrunk
 * counterexample) on any failure other than a one-line DataFormatError naming the file, or a case
 * slower than `maxMs`.
 */
export function fuzzParser(target: FuzzTarget, cases: number, seed = 1, maxMs = 2000): FuzzReport {
  const report: FuzzReport = { parser: target.name, cases: 0, values: 0, errors: 0, slowestMs: 0 };
  const input = fc.oneof(
    {
      weight: 9,
      arbitrary: fc
        .tuple(fc.nat({ max: target.seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }))
        .map(([s, steps]) => mutate(target.seeds[s], steps)),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) },
  );
  fc.assert(
    fc.property(input, (bytes) => {
      const file = `fuzz-${target.name}.bin`;
      const t0 = performance.now();
      try {
        target.parse(bytes, file);
        report.values++;
      } catch (err) {
        if (!(err instanceof DataFormatError))
          throw new Error(`${target.name}: not a DataFormatError: ${(err as Error).stack}`);
        if (err.message.includes("\n"))
          throw new Error(`${target.name}: a message of more than one line: ${err.message}`);
        report.errors++;
      }
      const ms = performance.now() - t0;
      report.slowestMs = Math.max(report.slowestMs, ms);
      report.cases++;
      if (ms > maxMs) throw new Error(`${target.name}: a case took ${ms.toFixed(0)} ms`);
    }),
    { numRuns: cases, seed },
  );
  return report;
}
