/**
 * Named feature subsets of CICIDS2017's 78 (`edgelab train --features NAME`). `panos`: the
 * features a firewall's session log can supply — a PAN-OS TRAFFIC log has the session's
 * duration, packets and bytes each way and the destination port, not per-packet timings, flags,
 * window sizes or bulk statistics — so a model trained on them can score firewall logs
 * (lib/firewall/features maps each one from the log's fields).
 */
import { DataFormatError, quoteForMessage } from "./errors";
import type { TabularDataset } from "./dataset";

/** The CICIDS2017 features computable from a PAN-OS TRAFFIC log, in CICIDS column order. */
export const panosFeatureNames: readonly string[] = Object.freeze([
  "Destination Port", "Flow Duration", "Total Fwd Packets", "Total Backward Packets", "Total Length of Fwd Packets", "Total Length of Bwd Packets",
  "Fwd Packet Length Mean", "Bwd Packet Length Mean", "Flow Bytes/s", "Flow Packets/s", "Fwd Packets/s", "Bwd Packets/s", "Down/Up Ratio",
  "Average Packet Size", "Avg Fwd Segment Size", "Avg Bwd Segment Size", "Subflow Fwd Packets", "Subflow Fwd Bytes", "Subflow Bwd Packets", "Subflow Bwd Bytes",
]);

/** Feature sets by name. */
export const featureSets: Readonly<Record<string, readonly string[]>> = Object.freeze({ panos: panosFeatureNames });

/** Expands set names (e.g. "panos") in a feature list. */
export function expandFeatureNames(names: readonly string[]): string[] {
  return names.flatMap((n) => featureSets[n] ?? [n]);
}

/** The dataset with only `names`' columns, in that order; an unknown name is an error naming `source`. */
export function selectFeatures(ds: TabularDataset, names: readonly string[], source: string): TabularDataset {
  const wanted = expandFeatureNames(names);
  const index = wanted.map((name) => {
    const i = ds.featureNames.indexOf(name);
    if (i < 0) throw new DataFormatError(source, `no feature ${quoteForMessage(name)} (feature sets: ${Object.keys(featureSets).join(", ")}; or column names)`);
    return i;
  });
  const d = ds.featureNames.length;
  const rows = ds.labels.length;
  const features = new Float32Array(rows * index.length);
  for (let r = 0; r < rows; r++) for (let j = 0; j < index.length; j++) features[r * index.length + j] = ds.features[r * d + index[j]];
  return { ...ds, features, featureNames: wanted };
}
