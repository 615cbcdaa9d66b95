/**
 * Live scoring of firewall logs (seed 000, step 3):
 *   edgelab serve --model M.onnx [--udp HOST:PORT] [--tcp HOST:PORT] [--tls-cert PEM --tls-key PEM]
 *       [--alerts FILE.jsonl] [--metrics HOST:PORT] [--batch-max N --batch-wait-ms T] [--json]
 *   edgelab replay SOURCE --to udp://HOST:PORT|tcp://HOST:PORT [--rate N] [--count N | --duration S] [--json]
 */
import { appendFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadDataset } from "../data/registry";
import { FirewallService, type Endpoint } from "../firewall/service";
import { replayFlows, type SyslogFormat } from "../firewall/replay";
import { numberFlag, parse, positiveInteger, UsageError } from "./args";

/** `edgelab serve --help`. */
export const serveUsage = `usage: edgelab serve --model M.onnx [--udp HOST:PORT] [--tcp HOST:PORT] [options] [--json]
  --model M.onnx          a model trained with --features panos (edgelab train … --features panos; export-onnx)
  --udp HOST:PORT         syslog over UDP (RFC 5424 or 3164; port 0 picks a free port)
  --tcp HOST:PORT         syslog over TCP (octet-counted or newline-framed)
  --tls-cert PEM --tls-key PEM   TLS on the TCP listener
  --alerts FILE.jsonl     append alerts as JSON lines (default: none written, only counted)
  --metrics HOST:PORT     Prometheus metrics at http://HOST:PORT/metrics
  --batch-max N           score up to N logs at once (default 256)
  --batch-wait-ms T       or what is queued after T ms (default 2)
  --queue-max N           logs waiting before TCP reading pauses / UDP drops (default 20000)
  --threshold CLASS=P     alert on CLASS only when its probability ≥ P (repeatable; default 0.5)
  --malformed-log FILE    the first 20 malformed messages per reason, for inspection
  runs until SIGTERM or SIGINT, then scores what it received, syncs the alerts file and prints
  the counts (--json: {received, parsed, malformed, scored, alerts, dropped, p50Ms, p99Ms, …})`;

/** `edgelab replay --help`. */
export const replayUsage = `usage: edgelab replay SOURCE --to udp://HOST:PORT|tcp://HOST:PORT [options] [--json]
  SOURCE                  synthetic-cicids, or CICIDS2017 CSVs (a file or the MachineLearningCVE folder):
                          its test split (seed 0, as edgelab train splits it) is sent, as PAN-OS TRAFFIC logs
  --rate N                messages per second (default 1000; 0: as fast as possible)
  --count N               messages to send (rows reused cyclically; default: every row once)
  --duration S            or send for S seconds at --rate
  --format rfc5424|rfc3164   syslog flavour (default rfc5424; TCP: octet counting / newlines)
  --labels FILE.jsonl     write {session, label} per message (the ground truth of each alert)`;

function endpoint(value: string | undefined, flag: string): Endpoint | undefined {
  if (value === undefined) return undefined;
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`serve: ${flag} must be HOST:PORT, got "${value}"`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}

/** Runs `edgelab serve`. */
export async function serveCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    () =>
      parseArgs({
        args: argv,
        options: {
          model: { type: "string" },
          udp: { type: "string" },
          tcp: { type: "string" },
          "tls-cert": { type: "string" },
          "tls-key": { type: "string" },
          alerts: { type: "string" },
          metrics: { type: "string" },
          "batch-max": { type: "string" },
          "batch-wait-ms": { type: "string" },
          "queue-max": { type: "string" },
          threshold: { type: "string", multiple: true },
          "malformed-log": { type: "string" },
          json: { type: "boolean" },
        },
        allowPositionals: true,
        strict: true,
      }),
    "serve",
  );
  if (positionals.length) throw new UsageError(`serve: unexpected argument "${positionals[0]}"`);
  if (!values.model) throw new UsageError("serve: --model M.onnx is required (edgelab serve --help)");
  if (!values.udp && !values.tcp) throw new UsageError("serve: give --udp HOST:PORT and/or --tcp HOST:PORT");
  if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined))
    throw new UsageError("serve: --tls-cert and --tls-key go together");
  const thresholds: Record<string, number> = {};
  for (const t of values.threshold ?? []) {
    const m = /^(.+)=([0-9.]+)$/.exec(t);
    if (!m || !(Number(m[2]) >= 0 && Number(m[2]) <= 1))
      throw new UsageError(`serve: --threshold must be CLASS=P with P in [0, 1], got "${t}"`);
    thresholds[m[1]] = Number(m[2]);
  }
  const samples = new Map<string, number>();
  const malformedLog = values["malformed-log"];
  const service = new FirewallService({
    model: values.model,
    udp: endpoint(values.udp, "--udp"),
    tcp: endpoint(values.tcp, "--tcp"),
    tls: values["tls-cert"] ? { cert: values["tls-cert"], key: values["tls-key"]! } : undefined,
    alerts: values.alerts ?? null,
    metrics: endpoint(values.metrics, "--metrics"),
    batchMax: numberFlag("serve", values["batch-max"], "--batch-max (a positive integer)", 256, positiveInteger),
    batchWaitMs: numberFlag(
      "serve",
      values["batch-wait-ms"],
      "--batch-wait-ms (≥ 0)",
      2,
      (n) => n >= 0 && Number.isFinite(n),
    ),
    queueMax: numberFlag("serve", values["queue-max"], "--queue-max (a positive integer)", 20_000, positiveInteger),
    thresholds,
    onMalformed: malformedLog
      ? (reason, message) => {
          const n = samples.get(reason) ?? 0;
          if (n >= 20) return;
          samples.set(reason, n + 1);
          appendFileSync(malformedLog, `${JSON.stringify({ reason, message: message.slice(0, 2000) })}\n`);
        }
      : undefined,
  });
  const bound = await service.start();
  const where = [
    bound.udp && `udp ${bound.udp.host}:${bound.udp.port}`,
    bound.tcp && `tcp ${bound.tcp.host}:${bound.tcp.port}`,
    bound.metrics && `metrics http://${bound.metrics.host}:${bound.metrics.port}/metrics`,
  ].filter(Boolean);
  process.stderr.write(`edgelab serve: listening on ${where.join(", ")}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  const summary = await service.stop();
  if (values.json) console.log(JSON.stringify(summary));
  else {
    console.log(
      `received ${summary.received}, parsed ${summary.parsed}, malformed ${summary.malformed}, skipped ${summary.skipped}, scored ${summary.scored}, alerts ${summary.alerts}, dropped ${summary.dropped}; latency p50 ${summary.p50Ms.toFixed(2)} ms, p99 ${summary.p99Ms.toFixed(2)} ms`,
    );
  }
}

/** Runs `edgelab replay`. */
export async function replayCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    () =>
      parseArgs({
        args: argv,
        options: {
          to: { type: "string" },
          rate: { type: "string" },
          count: { type: "string" },
          duration: { type: "string" },
          format: { type: "string" },
          labels: { type: "string" },
          data: { type: "string" },
          json: { type: "boolean" },
        },
        allowPositionals: true,
        strict: true,
      }),
    "replay",
  );
  if (positionals.length !== 1)
    throw new UsageError("replay: give one SOURCE (synthetic-cicids or CICIDS2017 CSVs); edgelab replay --help");
  if (!values.to) throw new UsageError("replay: --to udp://HOST:PORT or tcp://HOST:PORT is required");
  if (values.format && values.format !== "rfc5424" && values.format !== "rfc3164")
    throw new UsageError(`replay: --format must be rfc5424 or rfc3164, got "${values.format}"`);
  if (values.count !== undefined && values.duration !== undefined)
    throw new UsageError("replay: give --count or --duration, not both");
  const rate = numberFlag("replay", values.rate, "--rate (≥ 0)", 1000, (n) => n >= 0 && Number.isFinite(n));
  const count =
    values.count === undefined
      ? undefined
      : numberFlag("replay", values.count, "--count (a positive integer)", 1, positiveInteger);
  const duration =
    values.duration === undefined ? undefined : numberFlag("replay", values.duration, "--duration (seconds > 0)", 1);
  if (duration !== undefined && rate === 0) throw new UsageError("replay: --duration needs a --rate above 0");
  const loaded = loadDataset(positionals[0], { dataDir: values.data, seed: 0 });
  if (loaded.kind !== "tabular") throw new UsageError(`replay: ${positionals[0]} holds images, not flows`);
  const labelsFile = values.labels;
  const lines: string[] = [];
  const flushLabels = (): void => {
    if (labelsFile && lines.length) appendFileSync(labelsFile, lines.splice(0).join(""));
  };
  const summary = await replayFlows(loaded.test, {
    to: values.to,
    rate,
    count,
    duration,
    format: (values.format as SyslogFormat | undefined) ?? "rfc5424",
    onSent: labelsFile
      ? (session, label) => {
          lines.push(`${JSON.stringify({ session, label: loaded.test.classNames[label] })}\n`);
          if (lines.length >= 4096) flushLabels();
        }
      : undefined,
  });
  flushLabels();
  if (values.json) console.log(JSON.stringify({ ...summary, source: loaded.name, synthetic: loaded.synthetic }));
  else
    console.log(
      `sent ${summary.sent} ${summary.transport} messages in ${summary.seconds.toFixed(2)} s (${summary.ratePerSec.toFixed(0)}/s) from ${loaded.name}${loaded.synthetic ? " (SYNTHETIC)" : ""}`,
    );
}
