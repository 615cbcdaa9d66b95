/**
 * One XGBoost training measurement in its own process:
 *   node build/bench/tabular.js xgboost ROWS ROUNDS   → seconds to build the DMatrix and boost
 * (TabNet's benchmark, beside pytorch-tabnet, is bench/tabnet.ts.)
 * Data: the synthetic CICIDS schema (seed 17), the same rows bench/run.ts hands the python peer.
 */
import { syntheticCicids } from "../lib/data/synthetic";
import { peakRssMBFromKernel } from "../lib/metrics/sampler";
import { XGBoostClassifier, defaultXGBoostParams } from "../lib/models/xgboost";
import { configureThreads } from "../lib/runtime";

function main(): void {
  const [what, rowsArg, countArg] = process.argv.slice(2);
  const rows = Number(rowsArg);
  const count = Number(countArg);
  const threads = configureThreads();
  const ds = syntheticCicids({ rows, seed: 17 });
  const d = ds.featureNames.length;
  if (what !== "xgboost") throw new Error(`bench/tabular.js: unknown measurement "${what}" (xgboost)`);
  const t0 = performance.now();
  const model = XGBoostClassifier.train(ds.features, ds.labels, d, ds.classNames.length, {
    ...defaultXGBoostParams,
    rounds: count,
    nthread: threads.intraOp,
  });
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  console.log(
    JSON.stringify({
      name: "edgelab (libxgboost via koffi)",
      seconds,
      rows,
      rounds: count,
      peakRssMB: peakRssMBFromKernel(),
    }),
  );
}
main();
