/** `edgelab data inspect PATH [--format idx|cifar10|cicids2017|csv] [--label COLUMN] [--json]`. */
import { dataFormats, type DataFormat } from "../data/detect";
import { inspectData } from "../data/inspect";
import { toTextTable } from "../report/table";
import { parseArgs } from "node:util";
import { parse, UsageError } from "./args";

const usage =
  "usage: edgelab data inspect PATH [--format idx|cifar10|cicids2017|csv] [--label COLUMN (a CSV's label)] [--keep-non-finite] [--keep-duplicates] [--drop-negative] [--json]";

/** Runs `edgelab data …`. */
export async function dataCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== "inspect") throw new UsageError(sub ? `data: unknown subcommand "${sub}"; ${usage}` : usage);
  const options = {
    format: { type: "string" },
    label: { type: "string" },
    json: { type: "boolean" },
    "keep-non-finite": { type: "boolean" },
    "keep-duplicates": { type: "boolean" },
    "drop-negative": { type: "boolean" },
  } as const;
  const { values, positionals } = parse(
    () => parseArgs({ args: rest, options, allowPositionals: true, strict: true }),
    "data inspect",
  );
  if (positionals.length !== 1) throw new UsageError(usage);
  if (values.format && !dataFormats.includes(values.format as DataFormat))
    throw new UsageError(`data inspect: --format must be one of ${dataFormats.join(", ")}, got "${values.format}"`);
  const summary = inspectData(
    positionals[0],
    values.format as DataFormat | undefined,
    {
      dropNonFinite: !values["keep-non-finite"],
      dropDuplicates: !values["keep-duplicates"],
      dropNegative: values["drop-negative"] === true,
    },
    values.label,
  );
  if (values.json) {
    console.log(JSON.stringify(summary));
    return;
  }
  console.log(
    `${summary.path}: ${summary.format}, ${summary.samples} samples, ${summary.format === "csv" && !values.label ? "(--label COLUMN counts classes)" : `${summary.classes} classes`}, ${summary.shape ? `shape [${summary.shape.join(", ")}]` : `${summary.featureCount} features`}`,
  );
  if (summary.splits)
    for (const [name, split] of Object.entries(summary.splits)) console.log(`  ${name}: ${split.samples} samples`);
  if (summary.cleaning) {
    const c = summary.cleaning;
    console.log(
      `  cleaning: ${c.rawRows} rows read, ${c.nonFiniteRows} non-finite, ${c.duplicateRows} duplicates, ${c.negativeRows} negative durations, ${c.blankRows} blank → ${c.cleanRows} clean`,
    );
  }
  console.log(toTextTable(Object.entries(summary.labelCounts).map(([label, count]) => ({ label, count }))));
}
