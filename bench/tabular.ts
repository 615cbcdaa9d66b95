/**
 * One tabular training measurement in its own process:
 *   node build/bench/tabular.js xgboost ROWS ROUNDS   → seconds to build the DMatrix and boost
 *   node build/bench/tabular.js tabnet ROWS EPOCHS    → TabNet training flows/s (wasm, pytorch-tabnet defaults)
 * Data: the synthetic CICIDS schema (seed 17), the same rows bench/run.ts hands the python peer.
 */
import { syntheticCicids } from "../lib/data/synthetic";
import { peakRssMBFromKernel } from "../lib/metrics/sampler";
import { TabNet } from "../lib/models/tabnet";
import { XGBoostClassifier, defaultXGBoostParams } from "../lib/models/xgboost";
import { configureThreads, useBackend } from "../lib/runtime";
import { fitStandardizer, applyStandardizer } from "../lib/data/standardize";
import { trainTabNet } from "../lib/train/tabnet";

async function main(): Promise<void> {
  const [what, rowsArg, countArg] = process.argv.slice(2);
  const rows = Number(rowsArg);
  const count = Number(countArg);
  const threads = configureThreads();
  const ds = syntheticCicids({ rows, seed: 17 });
  const d = ds.featureNames.length;
  if (what === "xgboost") {
    const t0 = performance.now();
    const model = XGBoostClassifier.train(ds.features, ds.labels, d, ds.classNames.length, { ...defaultXGBoostParams, rounds: count, nthread: threads.intraOp });
    const seconds = (performance.now() - t0) / 1000;
    model.dispose();
    console.log(JSON.stringify({ name: "edgelab (libxgboost via koffi)", seconds, rows, rounds: count, peakRssMB: peakRssMBFromKernel() }));
  } else {
    await useBackend("wasm");
    const x = applyStandardizer(fitStandardizer(ds.features, ds.featureNames), ds.features);
    const model = new TabNet({ features: d, classes: ds.classNames.length });
    const run = await trainTabNet(model, { features: x, labels: ds.labels }, { epochs: count });
    console.log(JSON.stringify({ name: "edgelab TabNet (tfjs wasm)", flowsPerSec: run.samplesPerSec, secondsPerEpoch: run.secondsPerEpoch, rows, epochs: count, peakRssMB: peakRssMBFromKernel() }));
  }
}
void main();
