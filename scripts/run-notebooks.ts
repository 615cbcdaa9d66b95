/**
 * `npm start`: executes every notebook headlessly (quick profile unless `--full` or
 * EDGELAB_PROFILE=full), regenerates results/ and prints what it wrote. Exits non-zero with the
 * failing cell's error when a notebook fails.
 *   npm start                     all notebooks, quick profile
 *   npm start -- --full           full profile (real data, full epochs)
 *   npm start -- --only 00,01     a subset, by name
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { executeNotebook, listNotebooks } from "../lib/notebooks/execute";
import { projectRoot, resultsDir, type Profile } from "../lib/runtime/paths";

function filesWrittenSince(dir: string, since: number): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const name of entries) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.mtimeMs >= since && !name.startsWith(".")) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

function main(): number {
  const { values } = parseArgs({
    options: { full: { type: "boolean" }, only: { type: "string" }, "no-html": { type: "boolean" } },
    strict: true,
  });
  const profile: Profile = values.full || process.env.EDGELAB_PROFILE === "full" ? "full" : "quick";
  const root = projectRoot();
  const notebooks = listNotebooks(
    join(root, "notebooks"),
    values.only
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
  if (notebooks.length === 0) {
    console.error("npm start: no notebooks matched");
    return 1;
  }
  const outDir = resultsDir("notebooks");
  const started = Date.now() - 1000;
  console.log(`edgelab: executing ${notebooks.length} notebook(s), ${profile} profile`);
  for (const nb of notebooks) {
    process.stdout.write(`  ${relative(root, nb)} … `);
    const run = executeNotebook(nb, {
      notebooksDir: join(root, "notebooks"),
      outDir,
      profile,
      html: !values["no-html"],
    });
    if (!run.ok) {
      console.log(`FAILED after ${run.seconds.toFixed(1)} s`);
      console.error(`\n${relative(root, nb)} failed:\n${run.error}`);
      return 1;
    }
    console.log(`ok (${run.seconds.toFixed(1)} s)`);
  }
  const written = filesWrittenSince(resultsDir(), started).map((p) => relative(root, p));
  console.log(`\nwrote ${written.length} file(s):`);
  for (const p of written) console.log(`  ${p}`);
  return 0;
}

process.exitCode = main();
