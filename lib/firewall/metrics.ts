/**
 * The scoring service's counters and latency distribution, and their Prometheus text exposition
 * (format 0.0.4). Pure: the service increments, `prometheusText` renders.
 */

/** Latency histogram bucket upper bounds, ms. */
export const latencyBucketsMs: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];

/** Everything the service counts (counts of log messages). */
export class ServiceMetrics {
  /** Messages taken in (not counting those dropped). */
  received = 0;
  /** PAN-OS TRAFFIC/THREAT logs parsed. */
  parsed = 0;
  /** Malformed messages by reason (syslog framing or header, PAN-OS CSV, feature values). */
  readonly malformed = new Map<string, number>();
  /** Valid logs that are not scored, by reason (e.g. a TRAFFIC "start" log has no final counts). */
  readonly skipped = new Map<string, number>();
  scored = 0;
  alerts = 0;
  /** Messages lost: UDP datagrams the kernel dropped plus any the full queue refused. */
  droppedQueue = 0;
  droppedKernel = 0;
  queueDepth = 0;
  readonly buckets = new Array<number>(latencyBucketsMs.length + 1).fill(0);
  latencySumMs = 0;
  /** A bounded reservoir of latencies for percentiles (uniform sample once full). */
  private readonly reservoir: number[] = [];
  private seen = 0;

  constructor(private readonly reservoirSize = 200_000) {}

  count(map: Map<string, number>, reason: string, n = 1): void {
    map.set(reason, (map.get(reason) ?? 0) + n);
  }

  get malformedTotal(): number {
    return [...this.malformed.values()].reduce((a, b) => a + b, 0);
  }

  get dropped(): number {
    return this.droppedQueue + this.droppedKernel;
  }

  /** Records one message's receive-to-alert-written latency. */
  observe(ms: number, random: () => number = Math.random): void {
    let b = 0;
    while (b < latencyBucketsMs.length && ms > latencyBucketsMs[b]) b++;
    this.buckets[b]++;
    this.latencySumMs += ms;
    this.seen++;
    if (this.reservoir.length < this.reservoirSize) this.reservoir.push(ms);
    else {
      const j = Math.floor(random() * this.seen);
      if (j < this.reservoirSize) this.reservoir[j] = ms;
    }
  }

  /** A copy of the latency sample (all latencies while fewer than the reservoir size). */
  latencies(): number[] {
    return [...this.reservoir];
  }

  /** The q-quantile (0–1) of observed latencies, ms (0 before any). */
  percentile(q: number): number {
    if (this.reservoir.length === 0) return 0;
    const sorted = [...this.reservoir].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }
}

/** The metrics in Prometheus' text format. */
export function prometheusText(m: ServiceMetrics): string {
  const lines: string[] = [];
  const counter = (name: string, help: string, value: number): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${value}`);
  };
  const labelled = (name: string, help: string, map: Map<string, number>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const [reason, n] of map) lines.push(`${name}{reason="${reason.replace(/["\\\n]/g, "_")}"} ${n}`);
  };
  counter("edgelab_messages_received_total", "Syslog messages received.", m.received);
  counter("edgelab_logs_parsed_total", "PAN-OS TRAFFIC and THREAT logs parsed.", m.parsed);
  labelled("edgelab_messages_malformed_total", "Messages that could not be parsed, by reason.", m.malformed);
  labelled("edgelab_logs_skipped_total", "Valid logs not scored, by reason.", m.skipped);
  counter("edgelab_logs_scored_total", "TRAFFIC logs scored by the model.", m.scored);
  counter("edgelab_alerts_total", "Alerts written.", m.alerts);
  lines.push(
    "# HELP edgelab_messages_dropped_total Messages lost before parsing, by where.",
    "# TYPE edgelab_messages_dropped_total counter",
  );
  lines.push(
    `edgelab_messages_dropped_total{where="kernel"} ${m.droppedKernel}`,
    `edgelab_messages_dropped_total{where="queue"} ${m.droppedQueue}`,
  );
  lines.push(
    "# HELP edgelab_queue_depth Logs waiting to be scored.",
    "# TYPE edgelab_queue_depth gauge",
    `edgelab_queue_depth ${m.queueDepth}`,
  );
  lines.push(
    "# HELP edgelab_latency_ms Receive to alert written, milliseconds.",
    "# TYPE edgelab_latency_ms histogram",
  );
  let cumulative = 0;
  latencyBucketsMs.forEach((le, i) => {
    cumulative += m.buckets[i];
    lines.push(`edgelab_latency_ms_bucket{le="${le}"} ${cumulative}`);
  });
  cumulative += m.buckets[latencyBucketsMs.length];
  lines.push(
    `edgelab_latency_ms_bucket{le="+Inf"} ${cumulative}`,
    `edgelab_latency_ms_sum ${m.latencySumMs}`,
    `edgelab_latency_ms_count ${cumulative}`,
  );
  return `${lines.join("\n")}\n`;
}
