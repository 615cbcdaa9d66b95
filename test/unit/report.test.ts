import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  barFigure,
  confusionHeatmap,
  figureHtml,
  findChromium,
  saveFigure,
  toCsv,
  toTextTable,
  writeFileAtomic,
  writeJsonAtomic,
} from "../../lib/report";
import { tempDir } from "../helpers/paths";

test("CSV quotes commas, quotes and newlines (RFC 4180)", () => {
  assert.equal(
    toCsv([
      { a: 1, b: 'say "hi", ok' },
      { a: 2.5, b: "x\ny" },
    ]),
    'a,b\n1,"say ""hi"", ok"\n2.5,"x\ny"\n',
  );
  assert.equal(toTextTable([{ name: "x", value: 1 / 3 }]), "name  value\n----  ------\nx     0.3333");
});

test("atomic writes never leave a half-written file", () => {
  const dir = tempDir();
  const path = join(dir, "out.json");
  writeJsonAtomic(path, { version: 1 });
  assert.throws(() => writeJsonAtomic(path, { big: 1n }), /BigInt/);
  assert.deepEqual(JSON.parse(readFileSync(path, "utf8")), { version: 1 }, "the old file is intact");
  writeFileAtomic(join(dir, "nested", "deep", "f.txt"), "ok");
  assert.equal(readFileSync(join(dir, "nested", "deep", "f.txt"), "utf8"), "ok");
  const leftovers = readdirSync(dir).filter((n: string) => n.endsWith(".tmp"));
  assert.deepEqual(leftovers, []);
});

test("figures are offline HTML: plotly.js local, no CDN", () => {
  const fig = barFigure([{ name: "F1", x: ["a", "b"], y: [0.5, 0.9] }], { title: "F1 </script> per class" });
  const inline = figureHtml(fig, "inline");
  assert.ok(inline.length > 1_000_000, "plotly.js is inlined");
  assert.doesNotMatch(inline, /<script src="https?:/);
  assert.ok(!inline.includes('"F1 </script>'), "data cannot close the script tag");
  const dir = tempDir();
  const saved = saveFigure(
    confusionHeatmap(
      [
        [5, 1],
        [2, 7],
      ],
      ["x", "y"],
    ),
    join(dir, "cm"),
    { png: findChromium() !== null },
  );
  assert.ok(existsSync(join(dir, "plotly.min.js")));
  assert.match(readFileSync(saved.html, "utf8"), /<script src="plotly\.min\.js"><\/script>/);
  if (findChromium()) {
    assert.ok(saved.png && readFileSync(saved.png).subarray(1, 4).toString() === "PNG", "a real PNG");
  }
  writeFileSync(join(dir, "plotly.min.js"), "stale");
  saveFigure(fig, join(dir, "again"), { png: false });
  assert.ok(readFileSync(join(dir, "plotly.min.js")).length > 1_000_000, "a stale bundle is replaced");
});

test("the heatmap colours recall but labels counts", () => {
  const fig = confusionHeatmap(
    [
      [3, 1],
      [0, 0],
    ],
    ["a", "b"],
  );
  assert.deepEqual(fig.data[0].z, [
    [0.75, 0.25],
    [0, 0],
  ]);
  assert.deepEqual(fig.data[0].text, [
    ["3", "1"],
    ["0", "0"],
  ]);
});
