/**
 * Executes every notebook headlessly (quick profile), as `npm start` does, into a temporary
 * results folder. Jupyter and the tslab kernel come from `npm run setup`.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { executeNotebook, listNotebooks } from "../../lib/notebooks";
import { repoRoot, tempDir } from "../helpers/paths";

const results = tempDir("edgelab-nb-");

/** Writes a notebook of code cells with the tslab kernel and returns its path. */
function writeNotebook(dir: string, name: string, sources: string[]): string {
  const cell = (source: string) => ({ cell_type: "code", metadata: {}, execution_count: null, outputs: [], source });
  const nb = {
    cells: sources.map(cell),
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(nb));
  return path;
}

test("a runtime error in a cell fails the run with the cell's error (tslab reports it only on stderr)", () => {
  const dir = tempDir("edgelab-nb-fail-");
  const path = writeNotebook(dir, "broken.ipynb", [
    "const a = 1;",
    "const b: number = (undefined as any).boom;",
    "console.log('never');",
  ]);
  const run = executeNotebook(path, {
    notebooksDir: dir,
    outDir: join(dir, "out"),
    profile: "quick",
    html: false,
  });
  assert.equal(run.ok, false);
  assert.match(run.error ?? "", /cell 2: .*\n.*TypeError: Cannot read properties of undefined \(reading 'boom'\)/s);
  assert.ok(existsSync(run.executed), "the partial notebook is kept for inspection");
});

test("a kernel that dies fails the run at once, naming the signal that killed it (no silent retry)", () => {
  const dir = tempDir("edgelab-nb-dead-");
  const path = writeNotebook(dir, "dies.ipynb", [
    "console.error('last words');",
    "process.kill(process.pid, 'SIGKILL');",
    "1;",
  ]);
  const t0 = performance.now();
  const run = executeNotebook(path, {
    notebooksDir: dir,
    outDir: join(dir, "out"),
    profile: "quick",
    html: false,
  });
  assert.equal(run.ok, false);
  assert.equal(run.kernelDied, true);
  assert.match(run.error ?? "", /^cell 2: DeadKernelError[\s\S]*the kernel process was killed by signal 9 \(SIGKILL\)/);
  assert.ok(performance.now() - t0 < 120_000, "one attempt, not a retry loop");
});

for (const notebook of listNotebooks(join(repoRoot, "notebooks"))) {
  test(`notebook ${notebook.split("/").pop()} executes (quick profile)`, () => {
    const run = executeNotebook(notebook, {
      notebooksDir: join(repoRoot, "notebooks"),
      outDir: join(results, "notebooks"),
      profile: "quick",
      html: false,
      env: { EDGELAB_RESULTS: results },
    });
    assert.ok(run.ok, run.error ?? "");
    const executed = JSON.parse(readFileSync(run.executed, "utf8")) as {
      cells: { outputs?: { output_type: string; data?: Record<string, unknown> }[] }[];
    };
    const outputs = executed.cells.flatMap((c) => c.outputs ?? []);
    const figures = outputs.filter((o) => o.data && "application/vnd.plotly.v1+json" in o.data);
    for (const fig of figures) {
      assert.equal(
        typeof fig.data!["application/vnd.plotly.v1+json"],
        "object",
        "Plotly bundle is a JSON object, not a string",
      );
      assert.match(String(fig.data!["text/html"]), /Plotly\.newPlot/);
    }
  });
}

test("the Pi debug run wrote its table with a projection per model", () => {
  const lines = readFileSync(join(results, "pi-debug", "debug-run.csv"), "utf8")
    .trim()
    .split("\n");
  const header = lines[0].split(",");
  const models = lines.slice(1).map((l) => l.split(",")[header.indexOf("model")]);
  assert.deepEqual(models, ["mlp", "sentinelnet-debug", "sentinelnet", "squeezenet"]);
  for (const l of lines.slice(1)) {
    const row = l.split(",");
    assert.equal(row[header.indexOf("forwardOk")], "true");
    assert.ok(Number(row[header.indexOf("projectedMidS")]) > 0);
  }
});

test("the quickstart wrote its CSVs and figures", () => {
  for (const name of [
    "history.csv",
    "per-class.csv",
    "confusion.csv",
    "environment.json",
    "confusion.html",
    "f1-per-class.html",
  ]) {
    assert.ok(existsSync(join(results, "quickstart", name)), name);
  }
  const header = readFileSync(join(results, "quickstart", "history.csv"), "utf8")
    .split("\n")[0]
    .split(",");
  for (const column of [
    "epoch",
    "trainLoss",
    "trainAccuracy",
    "trainMacroF1",
    "valLoss",
    "valAccuracy",
    "valMacroF1",
    "seconds",
    "samplesPerSec",
    "dataset",
    "synthetic",
  ]) {
    assert.ok(header.includes(column), `history.csv has ${column}`);
  }
});
