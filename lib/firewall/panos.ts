/**
 * PAN-OS TRAFFIC and THREAT logs as their syslog payload carries them: one CSV line in a
 * documented, versioned field order (Palo Alto Networks, "Syslog Field Descriptions", PAN-OS
 * Administrator's Guide 9.1, 10.1 and 11.0). Every version keeps the earlier fields in place and
 * appends new ones, so a layout is recognised by its field count; a count no known version has
 * is read by position (the known prefix named, the rest `field_N`) and flagged, never guessed.
 * Pure.
 */

import { splitCsvFields } from "../data/csv-fields";

const dg = [
  "Device Group Hierarchy Level 1",
  "Device Group Hierarchy Level 2",
  "Device Group Hierarchy Level 3",
  "Device Group Hierarchy Level 4",
];
const head = [
  "FUTURE_USE",
  "Receive Time",
  "Serial Number",
  "Type",
  "Threat/Content Type",
  "FUTURE_USE",
  "Generated Time",
  "Source Address",
  "Destination Address",
  "NAT Source IP",
  "NAT Destination IP",
  "Rule Name",
  "Source User",
  "Destination User",
  "Application",
  "Virtual System",
  "Source Zone",
  "Destination Zone",
  "Inbound Interface",
  "Outbound Interface",
  "Log Action",
  "FUTURE_USE",
  "Session ID",
  "Repeat Count",
  "Source Port",
  "Destination Port",
  "NAT Source Port",
  "NAT Destination Port",
  "Flags",
];
const deviceId = [
  "XFF Address",
  "Source Device Category",
  "Source Device Profile",
  "Source Device Model",
  "Source Device Vendor",
  "Source Device OS Family",
  "Source Device OS Version",
  "Source Hostname",
  "Source Mac Address",
  "Destination Device Category",
  "Destination Device Profile",
  "Destination Device Model",
  "Destination Device Vendor",
  "Destination Device OS Family",
  "Destination Device OS Version",
  "Destination Hostname",
  "Destination Mac Address",
  "Container ID",
  "POD Namespace",
  "POD Name",
  "Source External Dynamic List",
  "Destination External Dynamic List",
  "Host ID",
  "Serial Number",
];

const traffic91 = [
  ...head,
  "Protocol",
  "Action",
  "Bytes",
  "Bytes Sent",
  "Bytes Received",
  "Packets",
  "Start Time",
  "Elapsed Time",
  "Category",
  "FUTURE_USE",
  "Sequence Number",
  "Action Flags",
  "Source Country",
  "Destination Country",
  "FUTURE_USE",
  "Packets Sent",
  "Packets Received",
  "Session End Reason",
  ...dg,
  "Virtual System Name",
  "Device Name",
  "Action Source",
  "Source VM UUID",
  "Destination VM UUID",
  "Tunnel ID/IMSI",
  "Monitor Tag/IMEI",
  "Parent Session ID",
  "Parent Start Time",
  "Tunnel Type",
  "SCTP Association ID",
  "SCTP Chunks",
  "SCTP Chunks Sent",
  "SCTP Chunks Received",
  "Rule UUID",
  "HTTP/2 Connection",
];
const traffic10 = [
  ...traffic91,
  "App Flap Count",
  "Policy ID",
  "Link Switches",
  "SD-WAN Cluster",
  "SD-WAN Device Type",
  "SD-WAN Cluster Type",
  "SD-WAN Site",
  "Dynamic User Group Name",
  ...deviceId,
  "Source Dynamic Address Group",
  "Destination Dynamic Address Group",
  "Session Owner",
];
const traffic11 = [
  ...traffic10,
  "High Resolution Timestamp",
  "A Slice Service Type",
  "A Slice Differentiator",
  "Application Subcategory",
  "Application Category",
  "Application Technology",
  "Application Risk",
  "Application Characteristic",
  "Application Container",
  "Tunneled Application",
  "Application SaaS",
  "Application Sanctioned State",
  "Offloaded",
];
const threat91 = [
  ...head,
  "IP Protocol",
  "Action",
  "URL/Filename",
  "Threat ID",
  "Category",
  "Severity",
  "Direction",
  "Sequence Number",
  "Action Flags",
  "Source Country",
  "Destination Country",
  "FUTURE_USE",
  "Content Type",
  "PCAP_ID",
  "File Digest",
  "Cloud",
  "URL Index",
  "User Agent",
  "File Type",
  "X-Forwarded-For",
  "Referer",
  "Sender",
  "Subject",
  "Recipient",
  "Report ID",
  ...dg,
  "Virtual System Name",
  "Device Name",
  "FUTURE_USE",
  "Source VM UUID",
  "Destination VM UUID",
  "HTTP Method",
  "Tunnel ID/IMSI",
  "Monitor Tag/IMEI",
  "Parent Session ID",
  "Parent Start Time",
  "Tunnel Type",
  "Threat Category",
  "Content Version",
  "FUTURE_USE",
  "SCTP Association ID",
  "Payload Protocol ID",
  "HTTP Headers",
  "URL Category List",
  "Rule UUID",
  "HTTP/2 Connection",
  "Dynamic User Group Name",
];
const threat10 = [
  ...threat91,
  ...deviceId,
  "Domain EDL",
  "Source Dynamic Address Group",
  "Destination Dynamic Address Group",
];

/** Field layouts by log type and PAN-OS version, as documented. */
export const panosLayouts: Readonly<
  Record<"TRAFFIC" | "THREAT", readonly { version: string; fields: readonly string[] }[]>
> = {
  TRAFFIC: [
    { version: "9.1", fields: traffic91 },
    { version: "10.x", fields: traffic10 },
    { version: "11.x", fields: traffic11 },
  ],
  THREAT: [
    { version: "9.1", fields: threat91 },
    { version: "10.x", fields: threat10 },
  ],
};

/** A parsed log: its type, the layout it matched, and its fields by name. */
export interface PanosLog {
  type: "TRAFFIC" | "THREAT";
  subtype: string;
  /** The PAN-OS version whose layout has this many fields, or null (read by position). */
  version: string | null;
  fieldCount: number;
  /** Field name → value; repeated names get ".1", ".2" (e.g. "Serial Number.1"); FUTURE_USE dropped. */
  fields: Record<string, string>;
}

/** Why a payload is not a usable PAN-OS log (the metrics' "malformed" reasons). */
export type PanosProblem = "not-csv" | "unclosed-quote" | "not-panos" | "unsupported-type" | "too-few-fields";

/** Splits a PAN-OS CSV line (fields holding commas are double-quoted); null on an unclosed quote. */
export const splitPanosCsv: (line: string) => string[] | null = splitCsvFields;

/** A layout's record keys by position: repeated names get ".1", ".2"; FUTURE_USE is null (dropped). */
function recordKeys(names: readonly string[]): (string | null)[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    if (name === "FUTURE_USE") return null;
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    return n === 0 ? name : `${name}.${n}`;
  });
}

/** Keys per layout, computed once (the service parses tens of thousands of logs a second). */
const keysOf = new Map<readonly string[], (string | null)[]>();
function keysFor(names: readonly string[]): (string | null)[] {
  let keys = keysOf.get(names);
  if (!keys) keysOf.set(names, (keys = recordKeys(names)));
  return keys;
}

/** The minimum fields a TRAFFIC log needs to be scored (through "Session End Reason"). */
const trafficMinimum = traffic91.indexOf("Session End Reason") + 1;
const threatMinimum = threat91.indexOf("Direction") + 1;

/** Parses a PAN-OS TRAFFIC or THREAT CSV payload. */
export function parsePanos(payload: string): PanosLog | { problem: PanosProblem } {
  if (!payload.includes(",")) return { problem: "not-csv" };
  const values = splitPanosCsv(payload);
  if (!values) return { problem: "unclosed-quote" };
  const type = values[3]?.trim().toUpperCase();
  if (!type || !/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d$/.test(values[1]?.trim() ?? "")) return { problem: "not-panos" };
  if (type !== "TRAFFIC" && type !== "THREAT") return { problem: "unsupported-type" };
  if (values.length < (type === "TRAFFIC" ? trafficMinimum : threatMinimum)) return { problem: "too-few-fields" };
  const layouts = panosLayouts[type];
  const exact = layouts.find((l) => l.fields.length === values.length);
  // unknown count: name by the longest documented layout that fits, the rest by position
  const names =
    exact?.fields ?? [...layouts].reverse().find((l) => l.fields.length <= values.length)?.fields ?? layouts[0].fields;
  const keys = keysFor(names);
  const fields: Record<string, string> = {};
  for (let i = 0; i < values.length; i++) {
    const key = i < keys.length ? keys[i] : `field_${i}`;
    if (key !== null) fields[key] = values[i];
  }
  return {
    type,
    subtype: (values[4] ?? "").trim().toLowerCase(),
    version: exact?.version ?? null,
    fieldCount: values.length,
    fields,
  };
}
