/**
 * One CICIDS ingest measurement in its own process (so peak RSS is this workload's alone):
 * node build/bench/ingest.js FILE → one JSON line.
 */
import { statSync } from "node:fs";
import { loadCicids2017 } from "../lib/data/cicids2017";
import { peakRssMBFromKernel } from "../lib/metrics/sampler";

const file = process.argv[2];
const t0 = performance.now();
const { dataset, report } = loadCicids2017(file);
const seconds = (performance.now() - t0) / 1000;
const sizeMB = statSync(file).size / 1e6;
console.log(
  JSON.stringify({
    name: "edgelab",
    seconds,
    mbPerSec: sizeMB / seconds,
    rawRows: report.rawRows,
    cleanRows: dataset.labels.length,
    peakRssMB: peakRssMBFromKernel(),
  }),
);
