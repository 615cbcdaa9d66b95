/**
 * Tables as arrays of plain row objects: to CSV (RFC 4180 quoting), to HTML for notebooks, to
 * aligned text for terminals. Numbers are formatted once, here, so every output agrees.
 */
import { writeFileAtomic } from "./atomic";

/** A table row: any plain object; its own enumerable keys are the columns. */
export type Row = object;

type Cell = unknown;
const cell = (row: Row, column: string): Cell => (row as Record<string, unknown>)[column];

/** Columns in first-seen order across all rows. */
export function columnsOf(rows: readonly Row[]): string[] {
  const cols: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        cols.push(key);
      }
    }
  }
  return cols;
}

/** Formats a cell for display: integers as is, other numbers to `digits` significant places. */
export function formatCell(value: Cell, digits = 4): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map((v) => formatCell(v, digits)).join(" ");
  if (typeof value === "object") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value)) return String(value);
    return Number(value.toPrecision(digits)).toString();
  }
  return String(value);
}

function csvField(value: Cell): string {
  const text =
    value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Full-precision CSV text (header + rows). */
export function toCsv(rows: readonly Row[], columns = columnsOf(rows)): string {
  return (
    [columns.map(csvField).join(","), ...rows.map((r) => columns.map((c) => csvField(cell(r, c))).join(","))].join(
      "\n",
    ) + "\n"
  );
}

/** Writes rows as CSV atomically. */
export function writeCsv(path: string, rows: readonly Row[], columns?: string[]): void {
  writeFileAtomic(path, toCsv(rows, columns));
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** An HTML table (numbers right-aligned), with an optional caption. */
export function toHtmlTable(rows: readonly Row[], caption?: string, columns = columnsOf(rows)): string {
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows
    .map(
      (r) =>
        `<tr>${columns.map((c) => `<td style="text-align:${typeof cell(r, c) === "number" ? "right" : "left"}">${escapeHtml(formatCell(cell(r, c)))}</td>`).join("")}</tr>`,
    )
    .join("\n");
  const cap = caption
    ? `<caption style="caption-side:top;text-align:left;font-weight:bold">${escapeHtml(caption)}</caption>`
    : "";
  return `<table class="edgelab-table">${cap}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A fixed-width text table for terminals. */
export function toTextTable(rows: readonly Row[], columns = columnsOf(rows)): string {
  const cells = rows.map((r) => columns.map((c) => formatCell(cell(r, c))));
  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j].length)));
  const line = (values: string[]): string =>
    values
      .map((v, j) => v.padEnd(widths[j]))
      .join("  ")
      .trimEnd();
  return [line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
