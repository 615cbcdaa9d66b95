/**
 * Executes every notebook headlessly (quick profile), as `npm start` does, into a temporary
 * results folder. Jupyter and the tslab kernel come from `npm run setup`.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { executeNotebook, listNotebooks } from "../../lib/notebooks";
import { repoRoot, tempDir } from "../helpers/paths";

const results = tempDir("edgelab-nb-");

for (const notebook of listNotebooks(join(repoRoot, "notebooks"))) {
  test(`notebook ${notebook.split("/").pop()} executes (quick profile)`, () => {
    const run = executeNotebook(notebook, { notebooksDir: join(repoRoot, "notebooks"), outDir: join(results, "notebooks"), profile: "quick", html: false, env: { EDGELAB_RESULTS: results } });
    assert.ok(run.ok, run.error ?? "");
    const executed = JSON.parse(readFileSync(run.executed, "utf8")) as { cells: { outputs?: { output_type: string; data?: Record<string, unknown> }[] }[] };
    const outputs = executed.cells.flatMap((c) => c.outputs ?? []);
    const figures = outputs.filter((o) => o.data && "application/vnd.plotly.v1+json" in o.data);
    for (const fig of figures) {
      assert.equal(typeof fig.data!["application/vnd.plotly.v1+json"], "object", "Plotly bundle is a JSON object, not a string");
      assert.match(String(fig.data!["text/html"]), /Plotly\.newPlot/);
    }
  });
}

test("the quickstart wrote its CSVs and figures", () => {
  for (const name of ["history.csv", "per-class.csv", "confusion.csv", "environment.json", "confusion.html", "f1-per-class.html"]) {
    assert.ok(existsSync(join(results, "quickstart", name)), name);
  }
  const history = readFileSync(join(results, "quickstart", "history.csv"), "utf8").split("\n");
  assert.match(history[0], /^epoch,trainLoss,trainAccuracy,valLoss,valAccuracy,valMacroF1/);
});
