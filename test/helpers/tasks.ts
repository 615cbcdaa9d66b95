/** Small training tasks shared by the unit tests: synthetic CICIDS flows, standardised, split in order. */
import { applyStandardizer, fitStandardizer, selectRows, syntheticCicids } from "../../lib/data";
import { toArrayData, type TrainData } from "../../lib/train";

/** `rows` synthetic flows (78 features, 15 classes); the first `trainRows` train, the rest validate. */
export function cicidsTask(rows: number, trainRows: number, seed: number): TrainData {
  const ds = syntheticCicids({ rows, seed });
  const x = { ...ds, features: applyStandardizer(fitStandardizer(ds.features, ds.featureNames), ds.features) };
  const idx = Int32Array.from({ length: rows }, (_, i) => i);
  return {
    train: toArrayData(selectRows(x, idx.subarray(0, trainRows))),
    val: toArrayData(selectRows(x, idx.subarray(trainRows))),
    classNames: ds.classNames,
  };
}
