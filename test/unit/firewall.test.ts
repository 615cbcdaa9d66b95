import assert from "node:assert/strict";
import { test } from "node:test";
import { panosFeatureNames } from "../../lib/data/feature-sets";
import { panosFeatures, trafficFieldsFromFlow } from "../../lib/firewall/features";
import { ServiceMetrics, prometheusText } from "../../lib/firewall/metrics";
import { FirewallService } from "../../lib/firewall/service";
import { panosLayouts, parsePanos, splitPanosCsv, type PanosLog } from "../../lib/firewall/panos";
import { syslogLine, trafficLogLine } from "../../lib/firewall/replay";
import { SyslogStreamFramer, parseSyslog } from "../../lib/firewall/syslog";

// A TRAFFIC log as a PA-220 on PAN-OS 10.1 forwards it (documented field order; values typical of a
// web session), with a rule name holding a comma, quoted as PAN-OS quotes it.
const traffic10 = (() => {
  const names = panosLayouts.TRAFFIC.find((l) => l.version === "10.x")!.fields;
  const v: Record<string, string> = {
    "Receive Time": "2024/03/10 12:00:05",
    "Serial Number": "012801096514",
    Type: "TRAFFIC",
    "Threat/Content Type": "end",
    "Generated Time": "2024/03/10 12:00:05",
    "Source Address": "10.1.2.3",
    "Destination Address": "93.184.216.34",
    "Rule Name": '"allow, web"',
    Application: "web-browsing",
    "Session ID": "40123",
    "Repeat Count": "1",
    "Source Port": "51234",
    "Destination Port": "80",
    Protocol: "tcp",
    Action: "allow",
    Bytes: "5200",
    "Bytes Sent": "1200",
    "Bytes Received": "4000",
    Packets: "14",
    "Start Time": "2024/03/10 12:00:02",
    "Elapsed Time": "3",
    "Packets Sent": "6",
    "Packets Received": "8",
    "Session End Reason": "tcp-fin",
    "Device Name": "PA-220",
  };
  return names.map((n, i) => (n === "FUTURE_USE" ? (i === 0 ? "1" : "") : (v[n] ?? ""))).join(",");
})();

test("syslog: RFC 5424 and RFC 3164 headers, structured data, BOM, tags; malformed ones named", () => {
  const ietf = parseSyslog(
    `<14>1 2024-03-10T12:00:05+00:00 PA-220 - - - [meta sequenceId="1" note="a \\] b"] \ufeff${traffic10}`,
  );
  assert.ok(!("problem" in ietf));
  assert.deepEqual(
    [ietf.format, ietf.priority, ietf.hostname, ietf.timestamp, ietf.message],
    ["rfc5424", 14, "PA-220", "2024-03-10T12:00:05+00:00", traffic10],
  );
  const bsd = parseSyslog(`<14>Mar 10 12:00:05 PA-220 ${traffic10}`);
  assert.ok(!("problem" in bsd));
  assert.deepEqual([bsd.format, bsd.hostname, bsd.app, bsd.message], ["rfc3164", "PA-220", "", traffic10]);
  const tagged = parseSyslog("<13>Mar  1 00:00:00 host sshd[42]: hello");
  assert.ok(!("problem" in tagged) && tagged.app === "sshd" && tagged.message === "hello");
  assert.deepEqual(parseSyslog("no priority"), { problem: "no-priority" });
  assert.deepEqual(parseSyslog("<999>1 x"), { problem: "bad-priority" });
  assert.deepEqual(parseSyslog("<14>yesterday PA-220 x"), { problem: "bad-header" });
  assert.deepEqual(parseSyslog("<14>1 2024 host app"), { problem: "bad-header" });
  assert.deepEqual(parseSyslog(""), { problem: "empty" });
});

test("TCP framing: octet counting and newlines in one stream, split anywhere; oversized frames skipped, memory bounded", () => {
  const a = `<14>1 - h - - - - ${traffic10}`;
  const b = `<14>Mar 10 12:00:05 PA-220 ${traffic10}`;
  const stream = Buffer.from(`${Buffer.byteLength(a)} ${a}${b}\n${Buffer.byteLength(a)} ${a}`);
  for (const cut of [1, 3, 7, 100, 611, stream.length - 1]) {
    const framer = new SyslogStreamFramer();
    const got = [...framer.push(stream.subarray(0, cut)).messages, ...framer.push(stream.subarray(cut)).messages];
    assert.deepEqual(got, [a, b, a], `cut at ${cut}`);
  }
  const framer = new SyslogStreamFramer(1000);
  const big = framer.push(Buffer.from(`5000 ${"x".repeat(5000)}${Buffer.byteLength(a)} ${a}`));
  assert.deepEqual(big.problems, ["oversized"]);
  assert.deepEqual(big.messages, [a]);
  const noNewline = framer.push(Buffer.from("y".repeat(5000)));
  assert.deepEqual(noNewline.problems, ["oversized"]);
  assert.ok(framer.buffered <= 1000, `buffered ${framer.buffered}`);
  assert.deepEqual(framer.push(Buffer.from(`tail\n${b}\n`)).messages, [b], "resynchronises at the next newline");
});

test("PAN-OS: TRAFFIC and THREAT by field name for 9.1, 10.x and 11.x layouts; quoted commas; unknown layouts by position", () => {
  const log = parsePanos(traffic10) as PanosLog;
  assert.equal(log.type, "TRAFFIC");
  assert.equal(log.version, "10.x");
  assert.equal(log.fields["Rule Name"], "allow, web");
  assert.equal(log.fields["Destination Port"], "80");
  assert.equal(log.fields["Packets Received"], "8");
  assert.ok("Serial Number.1" in log.fields, "the second Serial Number column is kept apart");
  const values = splitPanosCsv(traffic10)!;
  const csv = (fields: string[]): string =>
    fields.map((v) => (/[",]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(",");
  const v91 = csv(values.slice(0, panosLayouts.TRAFFIC[0].fields.length));
  assert.equal((parsePanos(v91) as PanosLog).version, "9.1");
  const v11 = csv([...values, ...Array<string>(13).fill("x")]);
  const eleven = parsePanos(v11) as PanosLog;
  assert.equal(eleven.version, "11.x");
  assert.equal(eleven.fields.Offloaded, "x");
  const unknown = parsePanos(csv([...values, "a", "b"])) as PanosLog;
  assert.equal(unknown.version, null, "an unknown field count is flagged");
  assert.equal(unknown.fields["Elapsed Time"], "3", "…and still read by position");
  const threatNames = panosLayouts.THREAT[1].fields;
  const threat = threatNames
    .map((n, i) =>
      n === "Type"
        ? "THREAT"
        : n === "Receive Time"
          ? "2024/03/10 12:00:05"
          : n === "URL/Filename"
            ? '"evil.example/a,b"'
            : i === 0
              ? "1"
              : "",
    )
    .join(",");
  const t = parsePanos(threat) as PanosLog;
  assert.deepEqual([t.type, t.version, t.fields["URL/Filename"]], ["THREAT", "10.x", "evil.example/a,b"]);
  assert.deepEqual(parsePanos("hello"), { problem: "not-csv" });
  assert.deepEqual(parsePanos('1,2024/03/10 12:00:05,0,TRAFFIC,end,"open'), { problem: "unclosed-quote" });
  assert.deepEqual(parsePanos("a,b,c,d"), { problem: "not-panos" });
  assert.deepEqual(parsePanos("1,2024/03/10 12:00:05,0,SYSTEM,general,x"), { problem: "unsupported-type" });
  assert.deepEqual(parsePanos("1,2024/03/10 12:00:05,0,TRAFFIC,end,x,y"), { problem: "too-few-fields" });
});

test("panos features: CICFlowMeter's definitions from the session's counts; replayed logs give back the flow's features", () => {
  const f = panosFeatures(parsePanos(traffic10) as PanosLog) as Float32Array;
  const get = (name: string): number => f[panosFeatureNames.indexOf(name)];
  assert.equal(get("Destination Port"), 80);
  assert.equal(get("Flow Duration"), 3.5e6, "whole seconds → the midpoint, in µs");
  assert.equal(get("Total Fwd Packets"), 6);
  assert.equal(get("Total Length of Bwd Packets"), 4000);
  assert.equal(get("Fwd Packet Length Mean"), 200);
  assert.equal(get("Flow Bytes/s"), Math.fround(5200 / 3.5));
  assert.equal(get("Down/Up Ratio"), 1);
  assert.equal(get("Average Packet Size"), Math.fround(5200 / 14));
  // a CICIDS row → a PAN-OS log → the same counts back
  const row: Record<string, number> = {
    "Destination Port": 443,
    "Flow Duration": 7_250_000,
    "Total Fwd Packets": 9,
    "Total Backward Packets": 12,
    "Total Length of Fwd Packets": 900,
    "Total Length of Bwd Packets": 15000,
  };
  const line = trafficLogLine(row, 41, new Date(Date.UTC(2024, 2, 10, 12)));
  const parsed = parsePanos(line) as PanosLog;
  assert.equal(parsed.fields["Session ID"], "42");
  const back = panosFeatures(parsed) as Float32Array;
  assert.equal(back[panosFeatureNames.indexOf("Total Length of Bwd Packets")], 15000);
  assert.equal(back[panosFeatureNames.indexOf("Flow Duration")], 7.5e6, "7.25 s is logged as 7 s");
  assert.deepEqual(trafficFieldsFromFlow({ ...row, "Flow Duration": Number.NaN })["Elapsed Time"], "0");
  const wrapped = parseSyslog(syslogLine(line, "rfc3164", new Date(Date.UTC(2024, 2, 1))));
  assert.ok(!("problem" in wrapped) && wrapped.message === line);
  assert.deepEqual(panosFeatures({ ...parsed, fields: { ...parsed.fields, Bytes: "lots" } }), {
    problem: "bad-number",
    field: "Bytes",
  });
});

test("metrics: Prometheus text with counters by reason and a cumulative latency histogram", () => {
  const m = new ServiceMetrics();
  m.received = 5;
  m.count(m.malformed, "syslog-no-priority", 2);
  for (const ms of [0.5, 3, 30]) m.observe(ms);
  const text = prometheusText(m);
  assert.match(text, /^edgelab_messages_received_total 5$/m);
  assert.match(text, /^edgelab_messages_malformed_total\{reason="syslog-no-priority"\} 2$/m);
  assert.match(text, /^edgelab_latency_ms_bucket\{le="1"\} 1$/m);
  assert.match(text, /^edgelab_latency_ms_bucket\{le="50"\} 3$/m);
  assert.match(text, /^edgelab_latency_ms_count 3$/m);
  assert.equal(m.percentile(0.5), 3);
});

test("service options: one given as undefined keeps its default; a batch size of 0 is refused", () => {
  assert.doesNotThrow(() => new FirewallService({ model: "m.onnx", batchMax: undefined, batchWaitMs: undefined }));
  assert.throws(() => new FirewallService({ model: "m.onnx", batchMax: 0 }), /batchMax must be a positive integer/);
});
