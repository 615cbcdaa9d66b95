/**
 * Streaming loader for the CICIDS2017 MachineLearningCVE CSVs (one file or the folder of 8).
 *
 * The files are parsed as bytes, never as JS strings: numbers are decoded in place into float32
 * chunks, so the full 2.83 M-row release needs about its float32 size (0.88 GB) plus one copy
 * while the chunks are joined. Cleaning happens during the single pass:
 * - rows with `Infinity`/`NaN` (the two rate columns) or empty fields: dropped (or kept),
 * - exact duplicate rows (same 78 float32 values and label): dropped (or kept),
 * - negative durations / inter-arrival times (clock artefacts): kept by default, counted,
 * - blank rows (only commas): dropped and counted,
 * - the Windows-1252 dash byte in the `Web Attack – …` labels: normalised to U+2013.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import type { TabularDataset } from "./dataset";
import { DataFormatError, quoteForMessage } from "./errors";
import { cicidsFeatureNames, cicidsHeader, cicidsLabels, cicidsTimeColumns, normaliseCicidsLabel } from "./cicids-schema";

/** Which cleaning steps run. */
export interface CicidsCleaningOptions {
  /** Drop rows with a non-finite or missing feature. Default true. */
  dropNonFinite: boolean;
  /** Drop exact duplicate rows (all features and label equal). Default true. */
  dropDuplicates: boolean;
  /** Drop rows with negative durations / inter-arrival times. Default false (counted only). */
  dropNegative: boolean;
}

/** Default cleaning: the common CICIDS2017 practice (non-finite and duplicates out). */
export const defaultCicidsCleaning: Readonly<CicidsCleaningOptions> = Object.freeze({ dropNonFinite: true, dropDuplicates: true, dropNegative: false });

/** Options for {@link loadCicids2017}. */
export interface CicidsOptions {
  cleaning?: Partial<CicidsCleaningOptions>;
  /** Stop after this many clean rows (for quick runs). */
  maxRows?: number;
  /** Bytes read per system call; default 8 MiB. */
  readBytes?: number;
}

/** What cleaning did, per step, plus per-label counts of the clean rows. */
export interface CicidsCleaningReport {
  files: string[];
  bytesRead: number;
  /** Data rows read (header and blank rows excluded). */
  rawRows: number;
  blankRows: number;
  /** Rows with Infinity/NaN/empty features (dropped when `dropNonFinite`). */
  nonFiniteRows: number;
  /** Rows with negative durations or IATs (dropped only when `dropNegative`). */
  negativeRows: number;
  /** Exact duplicates of an earlier clean row (dropped when `dropDuplicates`). */
  duplicateRows: number;
  cleanRows: number;
  labelCounts: Record<string, number>;
  options: CicidsCleaningOptions;
}

const FEATURES = 78;
const FIELDS = 79;
const CHUNK_ROWS = 1 << 16;

/** The CSV files a path stands for: the file itself, or every `.csv` in the folder (sorted). */
export function cicidsFilesAt(path: string): string[] {
  if (!existsSync(path)) throw new DataFormatError(path, "no such file or folder");
  if (statSync(path).isDirectory()) {
    const files = readdirSync(path).filter((n) => n.toLowerCase().endsWith(".csv")).sort().map((n) => join(path, n));
    if (files.length === 0) throw new DataFormatError(path, "folder holds no .csv files");
    return files;
  }
  return [path];
}

const pow10 = Float64Array.from({ length: 40 }, (_, i) => 10 ** i);

/** Growable store of float32 rows in fixed-size chunks (no reallocation while streaming). */
class RowStore {
  chunks: Float32Array[] = [];
  words: Int32Array[] = [];
  labels: Uint8Array[] = [];
  rows = 0;
  /** Row slot for the next row (may be overwritten if that row is rejected). */
  slot(): { f: Float32Array; w: Int32Array; l: Uint8Array; base: number } {
    const c = this.rows >>> 16;
    if (c === this.chunks.length) {
      const f = new Float32Array(CHUNK_ROWS * FEATURES);
      this.chunks.push(f);
      this.words.push(new Int32Array(f.buffer));
      this.labels.push(new Uint8Array(CHUNK_ROWS));
    }
    return { f: this.chunks[c], w: this.words[c], l: this.labels[c], base: (this.rows & (CHUNK_ROWS - 1)) * FEATURES };
  }
  rowEquals(row: number, w: Int32Array, base: number, label: number): boolean {
    const c = row >>> 16;
    const r = row & (CHUNK_ROWS - 1);
    if (this.labels[c][r] !== label) return false;
    const other = this.words[c];
    const ob = r * FEATURES;
    for (let j = 0; j < FEATURES; j++) if (other[ob + j] !== w[base + j]) return false;
    return true;
  }
  /** Joins the chunks into exact-size arrays, releasing each chunk as it is copied. */
  finish(): { features: Float32Array; labels: Uint8Array } {
    const features = new Float32Array(this.rows * FEATURES);
    const labels = new Uint8Array(this.rows);
    for (let c = 0; c < this.chunks.length; c++) {
      const n = Math.min(CHUNK_ROWS, this.rows - c * CHUNK_ROWS);
      features.set(this.chunks[c].subarray(0, n * FEATURES), c * CHUNK_ROWS * FEATURES);
      labels.set(this.labels[c].subarray(0, n), c * CHUNK_ROWS);
      (this.chunks as (Float32Array | null)[])[c] = null;
    }
    this.chunks = [];
    this.words = [];
    return { features, labels };
  }
}

/** Open-addressing set of row indices keyed by a 32-bit row hash (exact compare on hit). */
class DuplicateIndex {
  private hashes = new Uint32Array(1 << 16);
  private rowsPlusOne = new Int32Array(1 << 16);
  private size = 0;
  /** Returns true when an equal row is already stored; otherwise records `row`. */
  seenOrAdd(hash: number, store: RowStore, w: Int32Array, base: number, label: number, row: number): boolean {
    let mask = this.hashes.length - 1;
    let i = hash & mask;
    for (;;) {
      const stored = this.rowsPlusOne[i];
      if (stored === 0) break;
      if (this.hashes[i] === hash && store.rowEquals(stored - 1, w, base, label)) return true;
      i = (i + 1) & mask;
    }
    this.hashes[i] = hash;
    this.rowsPlusOne[i] = row + 1;
    if (++this.size * 2 > this.hashes.length) {
      const oldH = this.hashes;
      const oldR = this.rowsPlusOne;
      this.hashes = new Uint32Array(oldH.length * 2);
      this.rowsPlusOne = new Int32Array(oldR.length * 2);
      mask = this.hashes.length - 1;
      for (let k = 0; k < oldH.length; k++) {
        if (oldR[k] === 0) continue;
        let j = oldH[k] & mask;
        while (this.rowsPlusOne[j] !== 0) j = (j + 1) & mask;
        this.hashes[j] = oldH[k];
        this.rowsPlusOne[j] = oldR[k];
      }
    }
    return false;
  }
}

function checkHeader(line: Buffer, file: string): void {
  let text = line.toString("latin1");
  if (text.charCodeAt(0) === 0xef && text.charCodeAt(1) === 0xbb && text.charCodeAt(2) === 0xbf) text = text.slice(3);
  const fields = text.replace(/\r$/, "").split(",");
  if (fields.length !== FIELDS) throw new DataFormatError(file, `line 1: expected the ${FIELDS}-column MachineLearningCVE header (78 features + Label), got ${fields.length} columns`);
  for (let i = 0; i < FIELDS; i++) {
    if (fields[i].trim() !== cicidsHeader[i].trim()) {
      throw new DataFormatError(file, `line 1: column ${i + 1} is ${quoteForMessage(fields[i].trim())}, expected "${cicidsHeader[i].trim()}" (not a MachineLearningCVE CSV?)`);
    }
  }
}

/**
 * Reads CICIDS2017 CSVs into a tabular dataset, cleaning in the same pass.
 * @param path a CSV file or the MachineLearningCVE folder
 * @example const { dataset, report } = loadCicids2017("data/MachineLearningCVE")
 */
export function loadCicids2017(path: string, options: CicidsOptions = {}): { dataset: TabularDataset; report: CicidsCleaningReport } {
  const cleaning: CicidsCleaningOptions = { ...defaultCicidsCleaning, ...options.cleaning };
  const files = cicidsFilesAt(path);
  const maxRows = options.maxRows ?? Infinity;
  const store = new RowStore();
  const dedupe = new DuplicateIndex();
  const classNames = cicidsLabels.map((l) => l.name);
  const labelIds = new Map<string, number>();
  const isTime = new Uint8Array(FEATURES);
  for (const c of cicidsTimeColumns) isTime[c] = 1;
  const report: CicidsCleaningReport = {
    files, bytesRead: 0, rawRows: 0, blankRows: 0, nonFiniteRows: 0, negativeRows: 0, duplicateRows: 0, cleanRows: 0, labelCounts: {}, options: cleaning,
  };
  const readBytes = options.readBytes ?? 8 << 20;
  // A CICIDS row is under 2 KB; a "line" this long means the file is not a CSV (memory stays bounded).
  const maxLineBytes = Math.max(readBytes, 8 << 20);

  const labelId = (raw: string, file: string, lineNo: number): number => {
    let id = labelIds.get(raw);
    if (id !== undefined) return id;
    const name = normaliseCicidsLabel(raw);
    if (name === "") throw new DataFormatError(file, `line ${lineNo}: empty Label`);
    id = classNames.indexOf(name);
    if (id < 0) {
      if (classNames.length >= 255) throw new DataFormatError(file, `line ${lineNo}: more than 255 distinct labels`);
      id = classNames.push(name) - 1;
    }
    labelIds.set(raw, id);
    return id;
  };

  outer: for (const file of files) {
    const fd = openSync(file, "r");
    try {
      let buf = Buffer.allocUnsafe(readBytes);
      let filled = 0;
      let lineNo = 0;
      let eof = false;
      let headerSeen = false;
      while (!eof || filled > 0) {
        if (!eof) {
          if (filled === buf.length) {
            // A whole buffer with no line end: one line longer than any CICIDS row can be.
            if (buf.length >= maxLineBytes) throw new DataFormatError(file, `line ${lineNo + 1}: more than ${maxLineBytes / 2 ** 20} MiB without a line end: not a CSV row (a binary or sparse file?)`);
            const bigger = Buffer.allocUnsafe(buf.length * 2);
            buf.copy(bigger, 0, 0, filled);
            buf = bigger;
          }
          const n = readSync(fd, buf, filled, buf.length - filled, null);
          report.bytesRead += n;
          filled += n;
          if (n === 0) eof = true;
        }
        if (filled === 0) break;
        let end = buf.lastIndexOf(10, filled - 1);
        if (end < 0) {
          if (!eof) continue;
          end = filled; // last line without a newline
        }
        let p = 0;
        while (p < end) {
          let lineEnd = buf.indexOf(10, p);
          if (lineEnd < 0 || lineEnd > end) lineEnd = end;
          lineNo++;
          let stop = lineEnd;
          if (stop > p && buf[stop - 1] === 13) stop--;
          if (!headerSeen) {
            checkHeader(buf.subarray(p, stop), file);
            headerSeen = true;
            p = lineEnd + 1;
            continue;
          }
          if (stop === p) {
            p = lineEnd + 1;
            continue; // empty line (e.g. trailing newline)
          }
          const { f, w, l, base } = store.slot();
          let q = p;
          let nonFinite = false;
          let negative = false;
          let blank = true;
          let hash = 0x811c9dc5;
          for (let j = 0; j < FEATURES; j++) {
            if (q >= stop) throw new DataFormatError(file, `line ${lineNo}: ragged row: expected ${FIELDS} fields, got ${j + 1}`);
            let c = buf[q];
            let value: number;
            if (c === 44) {
              value = NaN; // empty field
            } else {
              blank = false;
              let neg = false;
              if (c === 45 || c === 43) {
                neg = c === 45;
                c = buf[++q];
              }
              if (c === 73 || c === 78 || c === 105 || c === 110) {
                // Infinity / NaN (any case)
                value = c === 73 || c === 105 ? Infinity : NaN;
                while (q < stop && buf[q] !== 44) q++;
              } else {
                let mant = 0;
                let digits = 0;
                let scale = 0;
                while (c >= 48 && c <= 57) {
                  mant = mant * 10 + (c - 48);
                  digits++;
                  c = buf[++q];
                }
                if (c === 46) {
                  c = buf[++q];
                  while (c >= 48 && c <= 57) {
                    if (scale < 30) {
                      mant = mant * 10 + (c - 48);
                      scale++;
                    }
                    digits++;
                    c = buf[++q];
                  }
                }
                if (c === 101 || c === 69) {
                  c = buf[++q];
                  let eneg = false;
                  if (c === 45 || c === 43) {
                    eneg = c === 45;
                    c = buf[++q];
                  }
                  let e = 0;
                  while (c >= 48 && c <= 57) {
                    e = e * 10 + (c - 48);
                    c = buf[++q];
                  }
                  scale += eneg ? e : -e;
                }
                if (digits === 0 || (c !== 44 && q < stop)) {
                  // A short or long row shifts the label into a number column: say "ragged" first.
                  let fields = 1;
                  for (let k = p; k < stop; k++) if (buf[k] === 44) fields++;
                  if (fields !== FIELDS) throw new DataFormatError(file, `line ${lineNo}: ragged row: expected ${FIELDS} fields, got ${fields}`);
                  let fieldEnd = q;
                  while (fieldEnd < stop && buf[fieldEnd] !== 44) fieldEnd++;
                  const fieldStart = buf.lastIndexOf(44, q - 1) + 1;
                  throw new DataFormatError(file, `line ${lineNo}: column ${j + 1} (${cicidsFeatureNames[j]}) is not a number: ${quoteForMessage(buf.toString("latin1", Math.max(fieldStart, p), fieldEnd))}`);
                }
                value = scale === 0 ? mant : scale > 0 ? mant / pow10[scale] : mant * pow10[-scale];
                if (neg) value = -value;
              }
            }
            f[base + j] = value;
            if (value !== value || value === Infinity || value === -Infinity) nonFinite = true;
            else if (value < 0 && isTime[j] === 1) negative = true;
            hash = Math.imul(hash ^ w[base + j], 0x01000193);
            if (q < stop) q++; // the comma
            else if (j < FEATURES - 1) throw new DataFormatError(file, `line ${lineNo}: ragged row: expected ${FIELDS} fields, got ${j + 1}`);
          }
          // Label: the rest of the line; a further comma means too many fields.
          const comma = buf.indexOf(44, q);
          if (comma >= 0 && comma < stop) {
            let fields = FIELDS;
            for (let k = comma; k < stop; k++) if (buf[k] === 44) fields++;
            throw new DataFormatError(file, `line ${lineNo}: ragged row: expected ${FIELDS} fields, got ${fields}`);
          }
          if (blank && q >= stop) {
            report.blankRows++;
            p = lineEnd + 1;
            continue;
          }
          report.rawRows++;
          const label = labelId(buf.toString("latin1", q, stop), file, lineNo);
          if (nonFinite) report.nonFiniteRows++;
          if (negative) report.negativeRows++;
          p = lineEnd + 1;
          if ((nonFinite && cleaning.dropNonFinite) || (negative && cleaning.dropNegative)) continue;
          hash = Math.imul(hash ^ label, 0x01000193) >>> 0;
          if (cleaning.dropDuplicates && dedupe.seenOrAdd(hash, store, w, base, label, store.rows)) {
            report.duplicateRows++;
            continue;
          }
          l[base / FEATURES] = label;
          store.rows++;
          if (store.rows >= maxRows) break outer;
        }
        // Keep the partial last line for the next read.
        const consumed = Math.min(end + 1, filled);
        buf.copy(buf, 0, consumed, filled);
        filled -= consumed;
        if (eof && filled === 0) break;
      }
      if (!headerSeen) throw new DataFormatError(file, "empty file: no header line");
    } finally {
      closeSync(fd);
    }
  }

  const { features, labels } = store.finish();
  report.cleanRows = labels.length;
  const counts = new Array<number>(classNames.length).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  report.labelCounts = Object.fromEntries(classNames.map((name, i) => [name, counts[i]]));
  const dataset: TabularDataset = {
    features,
    labels,
    featureNames: [...cicidsFeatureNames],
    classNames,
    source: { name: "cicids2017", files, synthetic: false },
  };
  return { dataset, report };
}
