/**
 * The CICIDS2017 MachineLearningCVE schema: 78 flow features + `Label`, exactly as the CSV headers
 * spell them (the files pad most names with a leading space and repeat `Fwd Header Length`).
 */

/** The 79 header fields of every MachineLearningCVE CSV, as written in the files. */
export const cicidsHeader: readonly string[] = [
  " Destination Port", " Flow Duration", " Total Fwd Packets", " Total Backward Packets", "Total Length of Fwd Packets",
  " Total Length of Bwd Packets", " Fwd Packet Length Max", " Fwd Packet Length Min", " Fwd Packet Length Mean",
  " Fwd Packet Length Std", "Bwd Packet Length Max", " Bwd Packet Length Min", " Bwd Packet Length Mean",
  " Bwd Packet Length Std", "Flow Bytes/s", " Flow Packets/s", " Flow IAT Mean", " Flow IAT Std", " Flow IAT Max",
  " Flow IAT Min", "Fwd IAT Total", " Fwd IAT Mean", " Fwd IAT Std", " Fwd IAT Max", " Fwd IAT Min", "Bwd IAT Total",
  " Bwd IAT Mean", " Bwd IAT Std", " Bwd IAT Max", " Bwd IAT Min", "Fwd PSH Flags", " Bwd PSH Flags", " Fwd URG Flags",
  " Bwd URG Flags", " Fwd Header Length", " Bwd Header Length", "Fwd Packets/s", " Bwd Packets/s", " Min Packet Length",
  " Max Packet Length", " Packet Length Mean", " Packet Length Std", " Packet Length Variance", "FIN Flag Count",
  " SYN Flag Count", " RST Flag Count", " PSH Flag Count", " ACK Flag Count", " URG Flag Count", " CWE Flag Count",
  " ECE Flag Count", " Down/Up Ratio", " Average Packet Size", " Avg Fwd Segment Size", " Avg Bwd Segment Size",
  " Fwd Header Length", "Fwd Avg Bytes/Bulk", " Fwd Avg Packets/Bulk", " Fwd Avg Bulk Rate", " Bwd Avg Bytes/Bulk",
  " Bwd Avg Packets/Bulk", "Bwd Avg Bulk Rate", "Subflow Fwd Packets", " Subflow Fwd Bytes", " Subflow Bwd Packets",
  " Subflow Bwd Bytes", "Init_Win_bytes_forward", " Init_Win_bytes_backward", " act_data_pkt_fwd",
  " min_seg_size_forward", "Active Mean", " Active Std", " Active Max", " Active Min", "Idle Mean", " Idle Std",
  " Idle Max", " Idle Min", " Label",
];

/** The 78 feature names, trimmed, with the repeated column renamed `Fwd Header Length.1` (as pandas does). */
export const cicidsFeatureNames: readonly string[] = (() => {
  const seen = new Map<string, number>();
  return cicidsHeader.slice(0, -1).map((raw) => {
    const name = raw.trim();
    const count = seen.get(name) ?? 0;
    seen.set(name, count + 1);
    return count === 0 ? name : `${name}.${count}`;
  });
})();

/**
 * The 15 labels of the full dataset in a fixed order (so class indices agree across files and
 * subsets), with their row counts in the 2,830,743-row release. The en dash in the Web Attack
 * labels is byte 0x96 (Windows-1252) in the files; it is normalised to U+2013.
 */
export const cicidsLabels: readonly { name: string; rows: number }[] = [
  { name: "BENIGN", rows: 2273097 },
  { name: "DoS Hulk", rows: 231073 },
  { name: "PortScan", rows: 158930 },
  { name: "DDoS", rows: 128027 },
  { name: "DoS GoldenEye", rows: 10293 },
  { name: "FTP-Patator", rows: 7938 },
  { name: "SSH-Patator", rows: 5897 },
  { name: "DoS slowloris", rows: 5796 },
  { name: "DoS Slowhttptest", rows: 5499 },
  { name: "Bot", rows: 1966 },
  { name: "Web Attack \u2013 Brute Force", rows: 1507 },
  { name: "Web Attack \u2013 XSS", rows: 652 },
  { name: "Infiltration", rows: 36 },
  { name: "Web Attack \u2013 Sql Injection", rows: 21 },
  { name: "Heartbleed", rows: 11 },
];

/** Total rows of the full release (all 8 files, before cleaning). */
export const cicidsFullRows = 2830743;

/** The 8 MachineLearningCVE file names. */
export const cicidsFiles: readonly string[] = [
  "Monday-WorkingHours.pcap_ISCX.csv",
  "Tuesday-WorkingHours.pcap_ISCX.csv",
  "Wednesday-workingHours.pcap_ISCX.csv",
  "Thursday-WorkingHours-Morning-WebAttacks.pcap_ISCX.csv",
  "Thursday-WorkingHours-Afternoon-Infilteration.pcap_ISCX.csv",
  "Friday-WorkingHours-Morning.pcap_ISCX.csv",
  "Friday-WorkingHours-Afternoon-PortScan.pcap_ISCX.csv",
  "Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.csv",
];

/** Feature columns whose negative values are clock artefacts (durations and inter-arrival times). */
export const cicidsTimeColumns: readonly number[] = cicidsFeatureNames
  .map((name, i) => (/Duration|IAT/.test(name) ? i : -1))
  .filter((i) => i >= 0);

/** Normalises a label as read from a file: trims, and maps the Windows-1252 dash (and its mojibake forms) to U+2013. */
export function normaliseCicidsLabel(raw: string): string {
  return raw
    .replace(/\u00e2\u20ac\u201c|\u00e2\u0080\u0093|\u0096|\ufffd/g, "\u2013")
    .replace(/\s+/g, " ")
    .trim();
}
