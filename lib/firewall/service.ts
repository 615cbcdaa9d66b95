/**
 * Live scoring of PAN-OS firewall logs: syslog over UDP, TCP or TLS in; each TRAFFIC "end" log's
 * `panos` features scored by an ONNX model in micro-batches; alerts out as JSON lines; counters
 * as Prometheus metrics. Nothing is lost silently: over TCP a full queue pauses reading (the
 * sender waits), over UDP the datagrams the kernel or the queue dropped are counted exactly (the
 * kernel's own per-socket drop counter). Stopping drains: every message already received is
 * scored and the alerts file is flushed and synced before `stop()` resolves.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { panosFeatureNames } from "../data/feature-sets";
import { DeployedModel } from "../deploy/session";
import { panosFeatures } from "./features";
import { ServiceMetrics, prometheusText } from "./metrics";
import { parsePanos, type PanosLog } from "./panos";
import { SyslogStreamFramer, parseSyslog } from "./syslog";

/** Where to listen: "HOST:PORT" (port 0 picks a free one). */
export interface Endpoint {
  host: string;
  port: number;
}

/** Settings of {@link FirewallService}. */
export interface ServiceOptions {
  /** The ONNX model (its metadata's feature names must be the `panos` set, when present). */
  model: string;
  udp?: Endpoint;
  tcp?: Endpoint;
  /** TLS on the TCP listener (PEM files). */
  tls?: { cert: string; key: string };
  /** Alerts as JSON lines, appended; null: none written (alerts still counted). */
  alerts?: string | null;
  /** Serve /metrics here. */
  metrics?: Endpoint;
  /** Score up to this many logs at once (default 256)… */
  batchMax?: number;
  /** …or whatever is queued after this many ms (default 2). */
  batchWaitMs?: number;
  /** Logs waiting to be scored before TCP reading pauses and UDP datagrams are dropped (default 20,000). */
  queueMax?: number;
  /** Alert when the predicted class is not `benign` and its probability ≥ the class's threshold (default 0.5). */
  thresholds?: Record<string, number>;
  /** The class that never alerts (default "BENIGN", matched case-insensitively). */
  benign?: string;
  /** Longest syslog message accepted over TCP (default 64 KiB). */
  maxMessageBytes?: number;
  /** Called once per malformed message with its reason (e.g. to sample them to a log). */
  onMalformed?: (reason: string, message: string) => void;
}

/**
 * What `--json` prints at exit (counts of log messages). `received` counts messages taken in;
 * `dropped` those lost (over UDP: by the kernel or refused by a full queue), so over UDP
 * received + dropped = sent.
 */
export interface ServiceSummary {
  received: number;
  parsed: number;
  malformed: number;
  scored: number;
  alerts: number;
  dropped: number;
  p50Ms: number;
  p99Ms: number;
  skipped: number;
  malformedByReason: Record<string, number>;
  skippedByReason: Record<string, number>;
  droppedByWhere: { kernel: number; queue: number };
  seconds: number;
}

/** One alert line. */
export interface Alert {
  time: string;
  receivedAt: string;
  session: string;
  source: string;
  destination: string;
  sourcePort: number;
  destinationPort: number;
  application: string;
  predicted: string;
  score: number;
  device: string;
}

interface Pending {
  features: Float32Array;
  log: PanosLog;
  hostname: string;
  receivedAt: number;
}

/** The kernel's count of datagrams dropped on the UDP socket bound to `port` (/proc/net/udp{,6}), or 0. */
function kernelUdpDrops(port: number): number {
  let drops = 0;
  for (const file of ["/proc/net/udp", "/proc/net/udp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13) continue;
      if (Number.parseInt(cols[1].split(":")[1] ?? "", 16) === port) drops += Number(cols[cols.length - 1]) || 0;
    }
  }
  return drops;
}

/** Starts a TCP or HTTP server on `at`; resolves with the address bound (port 0 picks one). */
function listenOn(server: TcpServer | HttpServer, at: Endpoint): Promise<Endpoint> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(at.port, at.host, () => {
      const a = server.address() as AddressInfo;
      resolve({ host: a.address, port: a.port });
    });
  });
}

/** The running service. */
export class FirewallService {
  readonly metrics = new ServiceMetrics();
  private model: DeployedModel | null = null;
  private labels: string[] = [];
  private benignIndex = -1;
  private queue: Pending[] = [];
  private scoring = false;
  private timer: NodeJS.Timeout | null = null;
  private alertsFd: number | null = null;
  private udp: UdpSocket | null = null;
  private tcp: TcpServer | null = null;
  private http: HttpServer | null = null;
  private readonly sockets = new Set<Socket>();
  private paused = false;
  private udpPort = 0;
  private kernelDropsAtStart = 0;
  private startedAt = 0;
  private idle: (() => void)[] = [];
  private stopping = false;
  private readonly o: Required<
    Omit<ServiceOptions, "udp" | "tcp" | "tls" | "metrics" | "alerts" | "onMalformed" | "thresholds">
  > &
    ServiceOptions;

  constructor(options: ServiceOptions) {
    // an option given as undefined keeps its default
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ServiceOptions;
    this.o = {
      batchMax: 256,
      batchWaitMs: 2,
      queueMax: 20_000,
      benign: "BENIGN",
      maxMessageBytes: 64 * 1024,
      ...given,
    };
    if (!(Number.isInteger(this.o.batchMax) && this.o.batchMax > 0))
      throw new Error(`serve: batchMax must be a positive integer, got ${this.o.batchMax}`);
  }

  /** Loads the model, opens the alerts file and starts listening; resolves with the bound addresses. */
  async start(): Promise<{ udp: Endpoint | null; tcp: Endpoint | null; metrics: Endpoint | null }> {
    this.model = await DeployedModel.load(this.o.model);
    const names = this.model.preprocessing.featureNames;
    if (names && names.join("\u0000") !== panosFeatureNames.join("\u0000")) {
      throw new Error(
        `${this.o.model}: the model takes ${names.length} features (${names.slice(0, 3).join(", ")}, …), not the ${panosFeatureNames.length} a firewall log supplies: train it with --features panos`,
      );
    }
    const width = this.model.input.shape[1];
    if (typeof width === "number" && width !== panosFeatureNames.length)
      throw new Error(
        `${this.o.model}: the model takes ${width} features per row, the panos set has ${panosFeatureNames.length}`,
      );
    this.labels = this.model.labels ?? [];
    this.benignIndex = this.labels.findIndex((l) => l.toLowerCase() === this.o.benign.toLowerCase());
    await this.model.warmUp(1, 2);
    if (this.o.alerts) this.alertsFd = openSync(this.o.alerts, "a");
    this.startedAt = performance.now();
    const result: { udp: Endpoint | null; tcp: Endpoint | null; metrics: Endpoint | null } = {
      udp: null,
      tcp: null,
      metrics: null,
    };
    if (this.o.udp) result.udp = await this.listenUdp(this.o.udp);
    if (this.o.tcp) result.tcp = await this.listenTcp(this.o.tcp);
    if (this.o.metrics) result.metrics = await this.listenMetrics(this.o.metrics);
    return result;
  }

  private listenUdp(at: Endpoint): Promise<Endpoint> {
    const socket = createSocket({ type: at.host.includes(":") ? "udp6" : "udp4", recvBufferSize: 8 << 20 });
    this.udp = socket;
    socket.on("message", (msg) => {
      if (this.queue.length >= this.o.queueMax) {
        this.metrics.droppedQueue++; // read, but refused: counted as dropped, not received
        return;
      }
      this.receive(msg.toString("utf8"));
    });
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(at.port, at.host, () => {
        const a = socket.address();
        this.udpPort = a.port;
        this.kernelDropsAtStart = kernelUdpDrops(a.port);
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  private listenTcp(at: Endpoint): Promise<Endpoint> {
    const onConnection = (socket: Socket): void => {
      this.sockets.add(socket);
      const framer = new SyslogStreamFramer(this.o.maxMessageBytes);
      if (this.paused) socket.pause();
      socket.on("data", (chunk: Buffer) => {
        const { messages, problems } = framer.push(chunk);
        for (const p of problems) {
          this.metrics.received++;
          this.metrics.count(this.metrics.malformed, `framing-${p}`);
        }
        for (const m of messages) this.receive(m);
        this.applyBackpressure();
      });
      socket.on("error", () => socket.destroy());
      socket.on("close", () => this.sockets.delete(socket));
    };
    const server = this.o.tls
      ? createTlsServer({ cert: readFileSync(this.o.tls.cert), key: readFileSync(this.o.tls.key) }, onConnection)
      : createTcpServer(onConnection);
    this.tcp = server;
    return listenOn(server, at);
  }

  private listenMetrics(at: Endpoint): Promise<Endpoint> {
    const server = createHttpServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end("see /metrics\n");
        return;
      }
      this.refreshKernelDrops();
      this.metrics.queueDepth = this.queue.length;
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(prometheusText(this.metrics));
    });
    this.http = server;
    return listenOn(server, at);
  }

  private refreshKernelDrops(): void {
    if (this.udp) this.metrics.droppedKernel = Math.max(0, kernelUdpDrops(this.udpPort) - this.kernelDropsAtStart);
  }

  /** Parses one syslog message and queues what can be scored. */
  private receive(text: string): void {
    const m = this.metrics;
    m.received++;
    const receivedAt = performance.now();
    const syslog = parseSyslog(text);
    if ("problem" in syslog) return this.malformed(`syslog-${syslog.problem}`, text);
    const log = parsePanos(syslog.message);
    if ("problem" in log) {
      if (log.problem === "unsupported-type") m.count(m.skipped, "not-traffic-or-threat");
      else this.malformed(`panos-${log.problem}`, text);
      return;
    }
    m.parsed++;
    if (log.type === "THREAT") return m.count(m.skipped, "threat-log");
    if (log.subtype !== "end") return m.count(m.skipped, `traffic-${log.subtype || "no-subtype"}`);
    const features = panosFeatures(log);
    if (!(features instanceof Float32Array)) return this.malformed(`feature-${features.problem}`, text);
    this.queue.push({ features, log, hostname: syslog.hostname, receivedAt });
    if (this.queue.length >= this.o.batchMax) this.kick(0);
    else this.kick(this.o.batchWaitMs);
  }

  private malformed(reason: string, text: string): void {
    this.metrics.count(this.metrics.malformed, reason);
    this.o.onMalformed?.(reason, text);
  }

  private applyBackpressure(): void {
    if (!this.paused && this.queue.length >= this.o.queueMax) {
      this.paused = true;
      for (const s of this.sockets) s.pause();
    }
  }

  private releaseBackpressure(): void {
    if (this.paused && this.queue.length < this.o.queueMax / 2 && !this.stopping) {
      this.paused = false;
      for (const s of this.sockets) s.resume();
    }
  }

  /** Schedules a scoring pass in `ms` (0: now); one pass runs at a time. */
  private kick(ms: number): void {
    if (this.scoring) return;
    if (ms === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      void this.scoreLoop();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.scoreLoop();
      }, ms);
    }
  }

  private async scoreLoop(): Promise<void> {
    if (this.scoring || !this.model) return;
    this.scoring = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.o.batchMax);
        this.metrics.queueDepth = this.queue.length;
        this.releaseBackpressure();
        await this.scoreBatch(batch);
      }
    } finally {
      this.scoring = false;
      this.metrics.queueDepth = this.queue.length;
      this.releaseBackpressure();
      if (this.queue.length > 0) this.kick(0);
      else for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async scoreBatch(batch: Pending[]): Promise<void> {
    const d = panosFeatureNames.length;
    const x = new Float32Array(batch.length * d);
    batch.forEach((p, i) => x.set(p.features, i * d));
    const out = await this.model!.run(x, [batch.length, d]);
    const classes = out.shape[1] ?? out.data.length / batch.length;
    const lines: string[] = [];
    batch.forEach((p, i) => {
      const logits = out.data.subarray(i * classes, (i + 1) * classes);
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[c] > logits[best]) best = c;
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(logits[c] - logits[best]);
      const score = 1 / sum;
      const label = this.labels[best] ?? String(best);
      const threshold = this.o.thresholds?.[label] ?? 0.5;
      if (best !== this.benignIndex && score >= threshold) {
        const f = p.log.fields;
        const alert: Alert = {
          time: f["Generated Time"] ?? "",
          receivedAt: new Date(performance.timeOrigin + p.receivedAt).toISOString(),
          session: f["Session ID"] ?? "",
          source: f["Source Address"] ?? "",
          destination: f["Destination Address"] ?? "",
          sourcePort: Number(f["Source Port"]) || 0,
          destinationPort: Number(f["Destination Port"]) || 0,
          application: f["Application"] ?? "",
          predicted: label,
          score: Math.round(score * 1e4) / 1e4,
          device: f["Device Name"] || p.hostname,
        };
        lines.push(JSON.stringify(alert));
      }
    });
    // written (and counted) before the batch counts as scored: an alert that was acknowledged is in the file
    if (lines.length > 0 && this.alertsFd !== null) writeSync(this.alertsFd, `${lines.join("\n")}\n`);
    this.metrics.alerts += lines.length;
    this.metrics.scored += batch.length;
    const now = performance.now();
    for (const p of batch) this.metrics.observe(now - p.receivedAt);
  }

  /** Resolves when every queued log has been scored. */
  drained(): Promise<void> {
    if (!this.scoring && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /**
   * Stops: no new connections or datagrams; what was received is scored; alerts flushed and
   * synced to disk; then the summary.
   */
  async stop(): Promise<ServiceSummary> {
    this.stopping = true;
    this.udp?.removeAllListeners("message");
    const closed: Promise<unknown>[] = [];
    if (this.tcp) {
      for (const s of this.sockets) s.pause();
      closed.push(new Promise((r) => this.tcp!.close(r)));
      for (const s of this.sockets) s.destroy();
    }
    this.kick(0);
    await this.drained();
    this.refreshKernelDrops();
    const summary = this.summary();
    if (this.udp) closed.push(new Promise((r) => this.udp!.close(() => r(undefined))));
    if (this.http) closed.push(new Promise((r) => this.http!.close(r)));
    await Promise.all(closed);
    if (this.alertsFd !== null) {
      fsyncSync(this.alertsFd);
      closeSync(this.alertsFd);
      this.alertsFd = null;
    }
    await this.model?.release();
    this.model = null;
    return { ...summary, seconds: (performance.now() - this.startedAt) / 1000 };
  }

  /** The counts so far (the kernel's UDP drop count read now). */
  summary(): ServiceSummary {
    if (this.udp) this.refreshKernelDrops();
    const m = this.metrics;
    const total = (map: Map<string, number>): number => [...map.values()].reduce((a, b) => a + b, 0);
    return {
      received: m.received,
      parsed: m.parsed,
      malformed: m.malformedTotal,
      scored: m.scored,
      alerts: m.alerts,
      dropped: m.dropped,
      p50Ms: m.percentile(0.5),
      p99Ms: m.percentile(0.99),
      skipped: total(m.skipped),
      malformedByReason: Object.fromEntries(m.malformed),
      skippedByReason: Object.fromEntries(m.skipped),
      droppedByWhere: { kernel: m.droppedKernel, queue: m.droppedQueue },
      seconds: (performance.now() - this.startedAt) / 1000,
    };
  }
}
