/**
 * Replaying CICIDS2017 flows as a PA-220 would log them: each row becomes a PAN-OS TRAFFIC "end"
 * log (10.x field layout; the session's duration, packets and bytes from the row, the rest
 * plausible constants), wrapped in RFC 5424 or RFC 3164 syslog and sent over UDP or TCP (octet
 * counting or newline framing) at a set rate. The session ID is the row's index + 1, so the
 * ground truth of every alert is known.
 */
import { createSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import type { TabularDataset } from "../data/dataset";
import { trafficFieldsFromFlow } from "./features";
import { panosLayouts } from "./panos";

/** Syslog flavour of the replayed messages. */
export type SyslogFormat = "rfc5424" | "rfc3164";

const layout10 = panosLayouts.TRAFFIC.find((l) => l.version === "10.x")!.fields;
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number, w = 2): string => String(n).padStart(w, "0");
const panosTime = (d: Date): string =>
  `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
const applications: Record<string, string> = {
  "80": "web-browsing",
  "443": "ssl",
  "53": "dns",
  "22": "ssh",
  "21": "ftp",
  "25": "smtp",
  "445": "ms-ds-smb",
  "139": "netbios-ss",
};

/** A quoted CSV field where it holds a comma or a quote, as PAN-OS writes it. */
const csvField = (v: string): string => (/[",]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Every position's constant value in a replayed log (the per-session fields are filled in per log). */
const constants: Record<string, string> = {
  "Serial Number": "012801096514",
  Type: "TRAFFIC",
  "Threat/Content Type": "end",
  "NAT Source IP": "0.0.0.0",
  "NAT Destination IP": "0.0.0.0",
  "Rule Name": "allow-outbound",
  "Virtual System": "vsys1",
  "Source Zone": "trust",
  "Destination Zone": "untrust",
  "Inbound Interface": "ethernet1/2",
  "Outbound Interface": "ethernet1/1",
  "Log Action": "syslog-edgelab",
  "Repeat Count": "1",
  "NAT Source Port": "0",
  "NAT Destination Port": "0",
  Flags: "0x0",
  Protocol: "tcp",
  Action: "allow",
  Category: "any",
  "Action Flags": "0x0",
  "Source Country": "10.0.0.0-10.255.255.255",
  "Destination Country": "192.168.0.0-192.168.255.255",
  "Session End Reason": "tcp-fin",
  "Action Source": "from-policy",
};
const template = layout10.map((name, i) =>
  name === "FUTURE_USE"
    ? i === 0
      ? "1"
      : ""
    : csvField(constants[name] ?? (name.startsWith("Device Group") ? "0" : "")),
);
/** Positions of a name in the layout (Serial Number appears twice). */
const positions = (name: string): number[] => layout10.flatMap((n, i) => (n === name ? [i] : []));
const at = Object.fromEntries(
  [
    "Receive Time",
    "Generated Time",
    "Start Time",
    "Source Address",
    "Destination Address",
    "Application",
    "Session ID",
    "Source Port",
    "Sequence Number",
    "Device Name",
  ].map((n) => [n, positions(n)[0]]),
);
const flowNames = [
  "Destination Port",
  "Elapsed Time",
  "Bytes",
  "Bytes Sent",
  "Bytes Received",
  "Packets",
  "Packets Sent",
  "Packets Received",
];
const flowAt = flowNames.map((n) => positions(n)[0]);

/** The PAN-OS TRAFFIC CSV line for a flow's log fields (trafficFieldsFromFlow) as session `index`. */
export function trafficLogLineFromFlow(
  flow: Record<string, string>,
  index: number,
  time: string,
  device = "PA-220",
): string {
  const values = template.slice();
  values[at["Receive Time"]] = values[at["Generated Time"]] = values[at["Start Time"]] = time;
  values[at["Source Address"]] = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
  values[at["Destination Address"]] = `192.168.${(index >> 8) & 255}.${(index * 7) & 255}`;
  values[at.Application] = applications[flow["Destination Port"]] ?? "incomplete";
  values[at["Session ID"]] = values[at["Sequence Number"]] = String(index + 1);
  values[at["Source Port"]] = String(49152 + (index % 16000));
  values[at["Device Name"]] = csvField(device);
  flowNames.forEach((n, j) => (values[flowAt[j]] = flow[n]));
  return values.join(",");
}

/** The PAN-OS TRAFFIC CSV line for row `index` of a flow table (features by CICIDS name). */
export function trafficLogLine(row: Record<string, number>, index: number, when: Date, device = "PA-220"): string {
  return trafficLogLineFromFlow(trafficFieldsFromFlow(row), index, panosTime(when), device);
}

/** Wraps a payload in syslog. */
export function syslogLine(payload: string, format: SyslogFormat, when: Date, host = "PA-220"): string {
  if (format === "rfc5424") return `<14>1 ${when.toISOString()} ${host} - - - - ${payload}`;
  return `<14>${months[when.getUTCMonth()]} ${String(when.getUTCDate()).padStart(2, " ")} ${pad(when.getUTCHours())}:${pad(when.getUTCMinutes())}:${pad(when.getUTCSeconds())} ${host} ${payload}`;
}

/** Where and how to send. */
export interface ReplayOptions {
  /** "udp://HOST:PORT" or "tcp://HOST:PORT". */
  to: string;
  /** Messages per second (0: as fast as the transport takes them). */
  rate: number;
  /** Send this many messages (rows are reused cyclically)… */
  count?: number;
  /** …or for this many seconds. */
  duration?: number;
  format?: SyslogFormat;
  /** Called with each message's session ID (row index + 1) and the row's label index. */
  onSent?: (session: number, label: number) => void;
}

/** What was sent. */
export interface ReplaySummary {
  sent: number;
  seconds: number;
  ratePerSec: number;
  transport: "udp" | "tcp";
}

/** Parses "udp://HOST:PORT" / "tcp://HOST:PORT". */
export function parseTarget(to: string): { transport: "udp" | "tcp"; host: string; port: number } {
  const m = /^(udp|tcp):\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(to);
  if (!m || Number(m[3]) > 65535)
    throw new Error(`replay: --to must be udp://HOST:PORT or tcp://HOST:PORT, got "${to}"`);
  return { transport: m[1] as "udp" | "tcp", host: m[2].replace(/^\[|\]$/g, ""), port: Number(m[3]) };
}

/** Sends `flows` (cyclically) as PAN-OS syslog to `options.to`. */
export async function replayFlows(flows: TabularDataset, options: ReplayOptions): Promise<ReplaySummary> {
  const target = parseTarget(options.to);
  const format = options.format ?? "rfc5424";
  const total =
    options.count ??
    (options.duration !== undefined && options.rate > 0
      ? Math.round(options.duration * options.rate)
      : flows.labels.length);
  const d = flows.featureNames.length;
  const rows = flows.labels.length;
  if (rows === 0) throw new Error("replay: no flows to send");
  // each row's log fields computed once; the clock read once per millisecond
  const flowOf: (Record<string, string> | undefined)[] = new Array(rows);
  let clock = { ms: -1, panos: "", when: new Date(0) };
  const message = (i: number): string => {
    const r = i % rows;
    let flow = flowOf[r];
    if (!flow) {
      const row: Record<string, number> = {};
      flows.featureNames.forEach((name, j) => (row[name] = flows.features[r * d + j]));
      flow = flowOf[r] = trafficFieldsFromFlow(row);
    }
    const now = Date.now();
    if (now !== clock.ms) clock = { ms: now, panos: panosTime(new Date(now)), when: new Date(now) };
    options.onSent?.(i + 1, flows.labels[r]);
    return syslogLine(trafficLogLineFromFlow(flow, i, clock.panos), format, clock.when);
  };
  const t0 = performance.now();
  let sent = 0;
  const due = (): number =>
    options.rate > 0 ? Math.min(total, Math.floor(((performance.now() - t0) / 1000) * options.rate) + 1) : total;
  const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));
  if (target.transport === "tcp") {
    const socket: Socket = connect(target.port, target.host);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    while (sent < total) {
      const upTo = Math.min(due(), sent + 2000);
      const parts: string[] = [];
      for (; sent < upTo; sent++) {
        const m = Buffer.from(message(sent), "utf8");
        // octet counting for RFC 5424 (RFC 6587 §3.4.1), newline framing for BSD syslog
        parts.push(format === "rfc5424" ? `${m.length} ${m.toString("utf8")}` : `${m.toString("utf8")}\n`);
      }
      if (parts.length && !socket.write(parts.join(""))) await new Promise((r) => socket.once("drain", r));
      if (sent < total && options.rate > 0) await tick();
    }
    await new Promise<void>((resolve) => socket.end(resolve));
  } else {
    const socket = createSocket(target.host.includes(":") ? "udp6" : "udp4");
    let inFlight = 0;
    let wake: (() => void) | null = null;
    while (sent < total) {
      const upTo = Math.min(due(), sent + 500);
      for (; sent < upTo; sent++) {
        inFlight++;
        socket.send(message(sent), target.port, target.host, () => {
          inFlight--;
          if (inFlight < 256 && wake) {
            wake();
            wake = null;
          }
        });
      }
      if (inFlight >= 256) await new Promise<void>((r) => (wake = r));
      if (sent < total && options.rate > 0) await tick();
    }
    while (inFlight > 0) await tick();
    socket.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { sent, seconds, ratePerSec: sent / Math.max(seconds, 1e-9), transport: target.transport };
}
