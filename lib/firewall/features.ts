/**
 * The `panos` feature vector of a PAN-OS TRAFFIC log, computed as CICFlowMeter computes the same
 * CICIDS2017 features (data/feature-sets.panosFeatureNames), field by field:
 *
 * | CICIDS2017 feature | from the TRAFFIC log |
 * |---|---|
 * | Destination Port | Destination Port |
 * | Flow Duration (µs) | (Elapsed Time + 0.5) × 10⁶: PAN-OS reports whole seconds, so the midpoint of that second |
 * | Total Fwd / Backward Packets | Packets Sent / Packets Received |
 * | Total Length of Fwd / Bwd Packets | Bytes Sent / Bytes Received |
 * | Fwd / Bwd Packet Length Mean, Avg Fwd / Bwd Segment Size | bytes ÷ packets each way (0 without packets) |
 * | Flow Bytes/s, Flow Packets/s, Fwd / Bwd Packets/s | counts ÷ the duration in seconds |
 * | Down/Up Ratio | ⌊Packets Received ÷ Packets Sent⌋ (CICFlowMeter's integer ratio; 0 without packets sent) |
 * | Average Packet Size | Bytes ÷ Packets |
 * | Subflow Fwd / Bwd Packets, Bytes | the totals (one subflow per session) |
 *
 * What a session log cannot give — inter-arrival times, packet-length extremes and spread, TCP
 * flag counts, header lengths, initial windows, bulk and active/idle statistics — is not
 * invented: those features are left out of the set, and a model for firewall logs is trained
 * without them (`edgelab train --features panos`). The two tools may also count bytes
 * differently (headers included or not), a shift the model sees only on real firewall traffic.
 * Pure.
 */
import { panosFeatureNames } from "../data/feature-sets";
import type { PanosLog } from "./panos";

/** Each `panos` feature and the TRAFFIC log fields it comes from (the table above, as data). */
export const panosFeatureSources: Readonly<Record<string, string>> = Object.freeze({
  "Destination Port": "Destination Port",
  "Flow Duration": "(Elapsed Time + 0.5 s) × 10⁶",
  "Total Fwd Packets": "Packets Sent",
  "Total Backward Packets": "Packets Received",
  "Total Length of Fwd Packets": "Bytes Sent",
  "Total Length of Bwd Packets": "Bytes Received",
  "Fwd Packet Length Mean": "Bytes Sent ÷ Packets Sent",
  "Bwd Packet Length Mean": "Bytes Received ÷ Packets Received",
  "Flow Bytes/s": "Bytes ÷ duration",
  "Flow Packets/s": "Packets ÷ duration",
  "Fwd Packets/s": "Packets Sent ÷ duration",
  "Bwd Packets/s": "Packets Received ÷ duration",
  "Down/Up Ratio": "⌊Packets Received ÷ Packets Sent⌋",
  "Average Packet Size": "Bytes ÷ Packets",
  "Avg Fwd Segment Size": "Bytes Sent ÷ Packets Sent",
  "Avg Bwd Segment Size": "Bytes Received ÷ Packets Received",
  "Subflow Fwd Packets": "Packets Sent",
  "Subflow Fwd Bytes": "Bytes Sent",
  "Subflow Bwd Packets": "Packets Received",
  "Subflow Bwd Bytes": "Bytes Received",
});

/** Why a TRAFFIC log cannot be scored. */
export type FeatureProblem = "not-traffic" | "bad-number";

const numberOf = (fields: Record<string, string>, name: string): number => {
  const text = fields[name]?.trim() ?? "";
  return /^\d+$/.test(text) ? Number(text) : NaN;
};

/** The `panos` features of a TRAFFIC log, in panosFeatureNames order. */
export function panosFeatures(log: PanosLog): Float32Array | { problem: FeatureProblem; field?: string } {
  if (log.type !== "TRAFFIC") return { problem: "not-traffic" };
  const f = log.fields;
  const raw: Record<string, number> = {};
  for (const name of [
    "Destination Port",
    "Elapsed Time",
    "Bytes",
    "Bytes Sent",
    "Bytes Received",
    "Packets",
    "Packets Sent",
    "Packets Received",
  ]) {
    raw[name] = numberOf(f, name);
    if (!Number.isFinite(raw[name])) return { problem: "bad-number", field: name };
  }
  const seconds = raw["Elapsed Time"] + 0.5;
  const fwdPackets = raw["Packets Sent"];
  const bwdPackets = raw["Packets Received"];
  const fwdBytes = raw["Bytes Sent"];
  const bwdBytes = raw["Bytes Received"];
  const packets = fwdPackets + bwdPackets;
  const bytes = fwdBytes + bwdBytes;
  const mean = (b: number, p: number): number => (p > 0 ? b / p : 0);
  const values: Record<string, number> = {
    "Destination Port": raw["Destination Port"],
    "Flow Duration": seconds * 1e6,
    "Total Fwd Packets": fwdPackets,
    "Total Backward Packets": bwdPackets,
    "Total Length of Fwd Packets": fwdBytes,
    "Total Length of Bwd Packets": bwdBytes,
    "Fwd Packet Length Mean": mean(fwdBytes, fwdPackets),
    "Bwd Packet Length Mean": mean(bwdBytes, bwdPackets),
    "Flow Bytes/s": bytes / seconds,
    "Flow Packets/s": packets / seconds,
    "Fwd Packets/s": fwdPackets / seconds,
    "Bwd Packets/s": bwdPackets / seconds,
    "Down/Up Ratio": fwdPackets > 0 ? Math.floor(bwdPackets / fwdPackets) : 0,
    "Average Packet Size": mean(bytes, packets),
    "Avg Fwd Segment Size": mean(fwdBytes, fwdPackets),
    "Avg Bwd Segment Size": mean(bwdBytes, bwdPackets),
    "Subflow Fwd Packets": fwdPackets,
    "Subflow Fwd Bytes": fwdBytes,
    "Subflow Bwd Packets": bwdPackets,
    "Subflow Bwd Bytes": bwdBytes,
  };
  return Float32Array.from(panosFeatureNames, (name) => values[name]);
}

/**
 * The inverse, for replay: PAN-OS TRAFFIC fields that reproduce a CICIDS2017 row's `panos`
 * features (duration rounded down to whole seconds, as PAN-OS reports it).
 */
export function trafficFieldsFromFlow(row: Record<string, number>): Record<string, string> {
  const int = (v: number): string => String(Math.max(0, Math.round(Number.isFinite(v) ? v : 0)));
  const fwdPackets = Number(int(row["Total Fwd Packets"]));
  const bwdPackets = Number(int(row["Total Backward Packets"]));
  const fwdBytes = Number(int(row["Total Length of Fwd Packets"]));
  const bwdBytes = Number(int(row["Total Length of Bwd Packets"]));
  return {
    "Destination Port": int(row["Destination Port"]),
    "Elapsed Time": String(
      Math.max(0, Math.floor((Number.isFinite(row["Flow Duration"]) ? row["Flow Duration"] : 0) / 1e6)),
    ),
    Bytes: String(fwdBytes + bwdBytes),
    "Bytes Sent": String(fwdBytes),
    "Bytes Received": String(bwdBytes),
    Packets: String(fwdPackets + bwdPackets),
    "Packets Sent": String(fwdPackets),
    "Packets Received": String(bwdPackets),
  };
}
