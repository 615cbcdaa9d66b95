import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  cicidsFeatureNames,
  cicidsHeader,
  loadCicids2017,
  normaliseCicidsLabel,
  writeSyntheticCicidsCsv,
} from "../../lib/data";
import { tempDir } from "../helpers/paths";

const dir = tempDir();
const csv = join(dir, "Tuesday-WorkingHours.pcap_ISCX.csv");
const quirks = writeSyntheticCicidsCsv(csv, { rows: 3000, seed: 5, blankRows: 2 });

test("schema: 78 features + Label, the repeated Fwd Header Length renamed like pandas", () => {
  assert.equal(cicidsHeader.length, 79);
  assert.equal(cicidsFeatureNames.length, 78);
  assert.equal(cicidsFeatureNames[34], "Fwd Header Length");
  assert.equal(cicidsFeatureNames[55], "Fwd Header Length.1");
  assert.equal(normaliseCicidsLabel("Web Attack \u0096 Brute Force"), "Web Attack \u2013 Brute Force");
  assert.equal(normaliseCicidsLabel(" Web Attack \u00e2\u20ac\u201c XSS "), "Web Attack \u2013 XSS");
});

test("the cleaning report counts every quirk of the file exactly", () => {
  const { dataset, report } = loadCicids2017(csv);
  assert.equal(report.rawRows, quirks.rows);
  assert.equal(report.blankRows, 2);
  assert.equal(report.nonFiniteRows, quirks.infinityRows + quirks.nanRows);
  assert.equal(report.duplicateRows, quirks.duplicateRows);
  assert.equal(report.negativeRows, quirks.negativeRows);
  assert.equal(report.cleanRows, quirks.rows - report.nonFiniteRows - report.duplicateRows);
  assert.equal(dataset.labels.length, report.cleanRows);
  assert.equal(dataset.features.length, report.cleanRows * 78);
  assert.ok(dataset.features.every((v) => Number.isFinite(v)));
  assert.equal(
    Object.values(report.labelCounts).reduce((a, b) => a + b, 0),
    report.cleanRows,
  );
  assert.ok(report.labelCounts["Web Attack \u2013 Brute Force"] > 0, "the 0x96 dash label is normalised");
  assert.ok(
    quirks.infinityRows > 0 && quirks.duplicateRows > 0 && quirks.negativeRows > 0,
    "the generator produced every quirk",
  );
});

test("each cleaning step can be switched off", () => {
  const keepAll = loadCicids2017(csv, { cleaning: { dropNonFinite: false, dropDuplicates: false } });
  assert.equal(keepAll.report.cleanRows, quirks.rows);
  const dropNeg = loadCicids2017(csv, { cleaning: { dropNegative: true } });
  assert.ok(dropNeg.report.cleanRows < loadCicids2017(csv).report.cleanRows);
  assert.equal(loadCicids2017(csv, { maxRows: 100 }).dataset.labels.length, 100);
  assert.equal(
    loadCicids2017(csv, { readBytes: 4096 }).report.cleanRows,
    loadCicids2017(csv).report.cleanRows,
    "small read buffers give the same result",
  );
});

test("values are parsed exactly like parseFloat (then rounded to float32)", () => {
  const lines = readFileSync(csv, "latin1").split("\r\n");
  const header = lines[0];
  const row = Array.from(
    { length: 78 },
    (_, j) => ["0", "-1", "3.25", "1e-7", "123456789", "0.000123", "4.0E-6", "17"][j % 8],
  );
  const file = join(dir, "one.csv");
  writeFileSync(file, `${header}\n${row.join(",")},BENIGN`); // LF endings, no final newline
  const { dataset } = loadCicids2017(file);
  row.forEach((text, j) => assert.equal(dataset.features[j], Math.fround(parseFloat(text)), `column ${j}: ${text}`));
});

test("bad input names the file, the line and the problem", () => {
  const header = cicidsHeader.join(",");
  const good = Array.from({ length: 78 }, () => "1").join(",");
  const cases: [string, RegExp][] = [
    [`${header}\n${good},BENIGN\n1,2,3,BENIGN\n`, /bad\.csv: line 3: ragged row: expected 79 fields, got 4/],
    [`${header}\n${good},extra,BENIGN\n`, /bad\.csv: line 2: ragged row: expected 79 fields, got 80/],
    [
      `${header}\n${good.replace(/^1,1/, "1,abc")},BENIGN\n`,
      /bad\.csv: line 2: column 2 \(Flow Duration\) is not a number: "abc"/,
    ],
    [`Src IP,Dst IP,Label\n1,2,BENIGN\n`, /bad\.csv: line 1: expected the 79-column MachineLearningCVE header/],
    [header.replace("Flow Duration", "Flow Time") + "\n", /column 2 is "Flow Time", expected "Flow Duration"/],
    ["", /bad\.csv: empty file/],
  ];
  for (const [content, pattern] of cases) {
    writeFileSync(join(dir, "bad.csv"), content);
    assert.throws(() => loadCicids2017(join(dir, "bad.csv")), pattern);
  }
});

test("a folder is read file by file in name order, duplicates caught across files", () => {
  const folder = join(dir, "MachineLearningCVE");
  mkdirSync(folder);
  writeFileSync(join(folder, "a.csv"), readFileSync(csv));
  writeFileSync(join(folder, "b.csv"), readFileSync(csv));
  const single = loadCicids2017(csv).report;
  const both = loadCicids2017(folder).report;
  assert.equal(both.files.length, 2);
  assert.equal(both.rawRows, 2 * single.rawRows);
  assert.equal(both.cleanRows, single.cleanRows, "the second file is all duplicates");
});
