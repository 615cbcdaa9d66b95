/**
 * Prettier for the notebooks' code cells: each cell is formatted as TypeScript with the project's
 * Prettier options, and the notebook is written back in nbformat's own layout (one-space indent),
 * so a formatted notebook diffs like a hand-edited one. `--check` lists the notebooks that are not
 * formatted and exits 1, as `prettier --check` does.
 *
 * Usage: node build/scripts/format-notebooks.js [--check] [notebook.ipynb ...]
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as prettier from "prettier";
import { writeFileAtomic } from "../lib/report/atomic";
import { projectRoot } from "../lib/runtime/paths";

interface Cell {
  cell_type: string;
  source: string | string[];
}

/** tslab's magics (`%%time`, `%config`) are not TypeScript: such cells are left as they are. */
function isMagic(code: string): boolean {
  return /^\s*%/.test(code);
}

async function formatNotebook(path: string, options: prettier.Options): Promise<{ text: string; changed: boolean }> {
  const before = readFileSync(path, "utf8");
  const notebook = JSON.parse(before) as { cells: Cell[] };
  for (const cell of notebook.cells) {
    if (cell.cell_type !== "code") continue;
    const code = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    if (code.trim() === "" || isMagic(code)) continue;
    let formatted: string;
    try {
      formatted = (await prettier.format(code, { ...options, parser: "typescript" })).replace(/\n$/, "");
    } catch (err) {
      throw new Error(`${path}: a code cell does not parse as TypeScript: ${(err as Error).message.split("\n")[0]}`);
    }
    cell.source = Array.isArray(cell.source) ? formatted.split(/(?<=\n)/) : formatted;
  }
  // nbformat writes JSON with a one-space indent, ASCII-escaped, and a final newline.
  const text =
    JSON.stringify(notebook, null, 1).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    ) + "\n";
  return { text, changed: text !== before };
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes("--check");
  const root = projectRoot();
  const named = argv.filter((a) => !a.startsWith("--"));
  const folder = join(root, "notebooks");
  const paths =
    named.length > 0
      ? named
      : readdirSync(folder)
          .filter((n) => n.endsWith(".ipynb"))
          .sort()
          .map((n) => join(folder, n));
  const options = (await prettier.resolveConfig(join(root, "lib", "index.ts"))) ?? {};
  const unformatted: string[] = [];
  for (const path of paths) {
    const { text, changed } = await formatNotebook(path, options);
    if (!changed) continue;
    unformatted.push(relative(root, path));
    if (!check) writeFileAtomic(path, text);
  }
  if (check && unformatted.length > 0) {
    for (const p of unformatted) console.error(`[warn] ${p}`);
    console.error(`Code style issues in ${unformatted.length} notebook(s). Run npm run format to fix.`);
    return 1;
  }
  if (!check) for (const p of unformatted) console.log(p);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
