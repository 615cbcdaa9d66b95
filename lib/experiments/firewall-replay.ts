/**
 * A replay through the live service, end to end (notebook 08, the benchmark): an in-process
 * `FirewallService` on loopback scores CICIDS2017 flows sent as PAN-OS syslog at a set rate; the
 * alerts are joined with each message's ground-truth label.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { TabularDataset } from "../data/dataset";
import { FirewallService, type Alert, type ServiceSummary } from "../firewall/service";
import { replayFlows, type ReplaySummary } from "../firewall/replay";

/** What {@link replayThroughService} measured. */
export interface ServiceReplay {
  sent: ReplaySummary;
  summary: ServiceSummary;
  alerts: Alert[];
  /** Ground truth by session ID (the replayed row's label). */
  truth: Map<number, string>;
  /** Receive-to-alert-written latency of every scored log (or a uniform sample), ms. */
  latenciesMs: number[];
}

/** Replays `flows` (their `count` first, cyclically) into a service running `model` over TCP or UDP. */
export async function replayThroughService(options: {
  model: string;
  flows: TabularDataset;
  rate: number;
  count: number;
  transport?: "tcp" | "udp";
  workDir: string;
  batchMax?: number;
}): Promise<ServiceReplay> {
  const alertsFile = join(options.workDir, "alerts.jsonl");
  rmSync(alertsFile, { force: true });
  const transport = options.transport ?? "tcp";
  const service = new FirewallService({
    model: options.model,
    [transport]: { host: "127.0.0.1", port: 0 },
    alerts: alertsFile,
    batchMax: options.batchMax,
  });
  const bound = await service.start();
  const at = bound[transport]!;
  const truth = new Map<number, string>();
  const sent = await replayFlows(options.flows, {
    to: `${transport}://127.0.0.1:${at.port}`,
    rate: options.rate,
    count: options.count,
    onSent: (session, label) => truth.set(session, options.flows.classNames[label]),
  });
  // wait until what arrived is scored (UDP: what the kernel did not drop)
  const t0 = performance.now();
  const arrived = (): number => {
    const s = service.summary();
    return s.received + s.dropped;
  };
  while (arrived() < sent.sent && performance.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
  await service.drained();
  const latenciesMs = service.metrics.latencies();
  const summary = await service.stop();
  const text = readFileSync(alertsFile, "utf8").trim();
  const alerts = text ? text.split("\n").map((l) => JSON.parse(l) as Alert) : [];
  return { sent, summary, alerts, truth, latenciesMs };
}

/** How well the alerts match the ground truth of the replayed sessions. */
export interface AlertQuality {
  attacks: number;
  benign: number;
  /** Attack sessions alerted on. */
  detected: number;
  /** Benign sessions alerted on. */
  falseAlerts: number;
  /** Alerts whose predicted class is the session's true class. */
  rightClass: number;
  precision: number;
  recall: number;
  /** Per true class: sessions and how many were alerted on. */
  perClass: { className: string; sessions: number; alerted: number; recall: number }[];
}

/** Joins alerts with the ground truth (`benign` names the class that should not alert). */
export function alertQuality(replay: Pick<ServiceReplay, "alerts" | "truth">, benign = "BENIGN"): AlertQuality {
  const alerted = new Map(replay.alerts.map((a) => [Number(a.session), a.predicted]));
  const perClass = new Map<string, { sessions: number; alerted: number }>();
  let attacks = 0;
  let detected = 0;
  let falseAlerts = 0;
  let rightClass = 0;
  for (const [session, label] of replay.truth) {
    const c = perClass.get(label) ?? { sessions: 0, alerted: 0 };
    c.sessions++;
    const predicted = alerted.get(session);
    if (predicted !== undefined) c.alerted++;
    perClass.set(label, c);
    const attack = label.toLowerCase() !== benign.toLowerCase();
    if (attack) attacks++;
    if (attack && predicted !== undefined) detected++;
    if (!attack && predicted !== undefined) falseAlerts++;
    if (predicted === label) rightClass++;
  }
  const alerts = detected + falseAlerts;
  return {
    attacks,
    benign: replay.truth.size - attacks,
    detected,
    falseAlerts,
    rightClass,
    precision: alerts > 0 ? detected / alerts : 0,
    recall: attacks > 0 ? detected / attacks : 0,
    perClass: [...perClass]
      .map(([className, c]) => ({
        className,
        sessions: c.sessions,
        alerted: c.alerted,
        recall: c.sessions ? c.alerted / c.sessions : 0,
      }))
      .sort((a, b) => b.sessions - a.sessions),
  };
}

/** Alerts per time bucket (seconds since the first log was received) and predicted class. */
export function alertsOverTime(
  alerts: readonly Alert[],
  bucketSeconds = 0.5,
): { classes: string[]; buckets: number[]; counts: Record<string, number[]> } {
  if (alerts.length === 0) return { classes: [], buckets: [], counts: {} };
  const times = alerts.map((a) => Date.parse(a.receivedAt));
  const t0 = Math.min(...times);
  const n = Math.floor((Math.max(...times) - t0) / 1000 / bucketSeconds) + 1;
  const classes = [...new Set(alerts.map((a) => a.predicted))].sort();
  const counts: Record<string, number[]> = Object.fromEntries(classes.map((c) => [c, new Array<number>(n).fill(0)]));
  alerts.forEach((a, i) => counts[a.predicted][Math.floor((times[i] - t0) / 1000 / bucketSeconds)]++);
  return { classes, buckets: Array.from({ length: n }, (_, i) => i * bucketSeconds), counts };
}
