/**
 * Any numeric tabular CSV with a header and a label column: the features are every other column
 * (or the ones named), each cell a number; the label may be numbers or names. What
 * `edgelab train --dataset FILE.csv --label COLUMN [--features a,b,…]` reads. Every problem is a
 * DataFormatError naming the file, line and column; memory is bounded by the input-size ceiling.
 */
import type { TabularDataset } from "./dataset";
import { splitCsvFields } from "./csv-fields";
import { DataFormatError, quoteForMessage } from "./errors";
import { readInputFile } from "./read-file";

/** Which columns to use. */
export interface TabularCsvOptions {
  /** The label column's header name. */
  label: string;
  /** Feature columns by header name, in this order (default: every column but the label). */
  features?: string[];
  /** Name recorded as the dataset's source (default "csv"). */
  name?: string;
}

/** A line longer than this is refused (a file without newlines would otherwise be one huge line). */
export const maxCsvLineBytes = 8 << 20;
/** Labels are stored as bytes. */
const maxClasses = 256;

/** Splits one CSV line into fields (RFC 4180 quoting); an unclosed quote is an error naming the line. */
export function splitCsvLine(line: string, file: string, lineNo: number): string[] {
  const fields = splitCsvFields(line);
  if (!fields) throw new DataFormatError(file, `line ${lineNo}: a quoted field is not closed (quoted fields cannot span lines)`);
  return fields;
}

/** A strict number: optional sign, digits, fraction, exponent (no blanks, hex, "NaN" or "Infinity"). */
const numberPattern = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** Loads `path` as a tabular dataset (labels indexed by sorted class name). */
export function loadTabularCsv(path: string, options: TabularCsvOptions): TabularDataset {
  const text = readInputFile(path).toString("utf8");
  let lineStart = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  const nextLine = (): string | null => {
    while (lineStart < text.length) {
      let end = text.indexOf("\n", lineStart);
      if (end < 0) end = text.length;
      lineNo++;
      if (end - lineStart > maxCsvLineBytes) throw new DataFormatError(path, `line ${lineNo} is longer than ${maxCsvLineBytes >> 20} MiB`);
      const line = text.slice(lineStart, end).replace(/\r$/, "");
      lineStart = end + 1;
      if (line.trim() !== "") return line;
    }
    return null;
  };
  const headerLine = nextLine();
  if (headerLine === null) throw new DataFormatError(path, "empty file: a header line naming the columns is needed");
  const header = splitCsvLine(headerLine, path, lineNo).map((h) => h.trim());
  const columnOf = new Map<string, number>();
  header.forEach((h, i) => {
    if (columnOf.has(h)) throw new DataFormatError(path, `line ${lineNo}: column name ${quoteForMessage(h)} appears twice`);
    columnOf.set(h, i);
  });
  const shown = header.slice(0, 12).map((h) => quoteForMessage(h, 30)).join(", ") + (header.length > 12 ? ", …" : "");
  const labelColumn = columnOf.get(options.label);
  if (labelColumn === undefined) throw new DataFormatError(path, `no label column ${quoteForMessage(options.label)} in the header (columns: ${shown})`);
  const featureNames = options.features ?? header.filter((_, i) => i !== labelColumn);
  const featureColumns = featureNames.map((name) => {
    const column = columnOf.get(name);
    if (column === undefined) throw new DataFormatError(path, `no feature column ${quoteForMessage(name)} in the header (columns: ${shown})`);
    if (column === labelColumn) throw new DataFormatError(path, `column ${quoteForMessage(name)} is the label; it cannot also be a feature`);
    return column;
  });
  if (featureColumns.length === 0) throw new DataFormatError(path, "no feature columns: the header has only the label");
  const d = featureColumns.length;
  let features = new Float32Array(1024 * d);
  const labelText: string[] = [];
  for (let line = nextLine(); line !== null; line = nextLine()) {
    const fields = splitCsvLine(line, path, lineNo);
    if (fields.length !== header.length) throw new DataFormatError(path, `line ${lineNo}: ${fields.length} fields, the header has ${header.length}`);
    const row = labelText.length;
    if ((row + 1) * d > features.length) {
      const grown = new Float32Array(features.length * 2);
      grown.set(features);
      features = grown;
    }
    for (let j = 0; j < d; j++) {
      const cell = fields[featureColumns[j]];
      const value = numberPattern.test(cell) ? Number(cell) : NaN;
      if (!Number.isFinite(value) || Math.abs(value) > 3.4028234663852886e38) {
        throw new DataFormatError(path, `line ${lineNo}, column ${featureColumns[j] + 1} (${quoteForMessage(featureNames[j], 30)}): ${quoteForMessage(cell, 30)} is not a finite number`);
      }
      features[row * d + j] = value;
    }
    const label = fields[labelColumn].trim();
    if (label === "") throw new DataFormatError(path, `line ${lineNo}: the label ${quoteForMessage(options.label)} is empty`);
    labelText.push(label);
  }
  if (labelText.length === 0) throw new DataFormatError(path, "no data rows after the header");
  // class names: numeric labels in numeric order, otherwise text in sorted order
  const distinct = [...new Set(labelText)];
  if (distinct.length > maxClasses) throw new DataFormatError(path, `the label ${quoteForMessage(options.label)} has ${distinct.length} distinct values; at most ${maxClasses} classes are supported (is it a regression target?)`);
  const numeric = distinct.every((v) => numberPattern.test(v));
  const classNames = numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
  const index = new Map(classNames.map((name, i) => [name, i]));
  const labels = Uint8Array.from(labelText, (v) => index.get(v)!);
  return {
    features: features.slice(0, labelText.length * d), labels, featureNames, classNames,
    source: { name: options.name ?? "csv", files: [path], synthetic: false },
  };
}
