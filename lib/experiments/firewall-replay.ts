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
export async function replayThroughService(options: { model: string; flows: TabularDataset; rate: number; count: number; transport?: "tcp" | "udp"; workDir: string; batchMax?: number }): Promise<ServiceReplay> {
  const alertsFile = join(options.workDir, "alerts.jsonl");
  rmSync(alertsFile, { force: true });
  const transport = options.transport ?? "tcp";
  const service = new FirewallService({ model: options.model, [transport]: { host: "127.0.0.1", port: 0 }, alerts: alertsFile, batchMax: options.batchMax });
  const bound = await service.start();
  const at = bound[transport]!;
  const truth = new Map<number, string>();
  const sent = await replayFlows(options.flows, { to: `${transport}://127.0.0.1:${at.port}`, rate: options.rate, count: options.count, onSent: (session, label) => truth.set(session, options.flows.classNames[label]) });
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
