/**
 * The firewall-log scoring service under load (one JSON object on stdout), as real processes on
 * loopback: `edgelab serve` with a panos MLP, fed by `edgelab replay`.
 *   1. sustained TCP throughput with zero loss: N logs as fast as the sender can, scored/s;
 *   2. receive-to-alert latency at a steady 10,000 logs/s (p50, p99; goal p99 < 50 ms);
 *   3. UDP above capacity: received + reported drops must equal sent, exactly.
 *     node build/bench/firewall.js [--count 200000] [--rate 10000] [--seconds 10]
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { projectRoot } from "../lib/runtime/paths";

const root = projectRoot();
const cli = join(root, "build", "lib", "cli", "main.js");

function edgelab(args: string[]): Record<string, unknown> {
  const run = spawnSync(process.execPath, [cli, ...args, "--json"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0) throw new Error(`edgelab ${args.join(" ")}: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
}

interface Server {
  child: ChildProcess;
  tcp: string;
  udp: string;
  metrics: string;
  out: () => string;
}

function serve(model: string, extra: string[] = []): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      cli,
      "serve",
      "--model",
      model,
      "--tcp",
      "127.0.0.1:0",
      "--udp",
      "127.0.0.1:0",
      "--metrics",
      "127.0.0.1:0",
      "--json",
      ...extra,
    ],
    { cwd: root },
  );
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /listening on udp ([\d.]+:\d+), tcp ([\d.]+:\d+), metrics (http:\S+)/.exec(err);
      if (m) resolve({ child, udp: m[1], tcp: m[2], metrics: m[3], out: () => out });
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

async function stop(s: Server): Promise<Record<string, number> & { peakRssMB: number }> {
  const status = readFileSync(`/proc/${s.child.pid}/status`, "utf8");
  const peakRssMB = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  const exited = new Promise((r) => s.child.once("exit", r));
  s.child.kill("SIGTERM");
  await exited;
  return { ...(JSON.parse(s.out().trim().split("\n").at(-1)!) as Record<string, number>), peakRssMB };
}

async function scored(s: Server): Promise<number> {
  const text = await (await fetch(s.metrics)).text();
  return Number(/^edgelab_logs_scored_total (\d+)$/m.exec(text)?.[1] ?? 0);
}

function replay(args: string[]): Promise<Record<string, number>> {
  const child = spawn(process.execPath, [cli, "replay", "synthetic-cicids", ...args, "--json"], { cwd: root });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) =>
    child.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out) as Record<string, number>) : reject(new Error(`replay exited ${code}`)),
    ),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { count: { type: "string" }, rate: { type: "string" }, seconds: { type: "string" } },
    strict: true,
  });
  const count = Number(values.count ?? 200_000);
  const rate = Number(values.rate ?? 10_000);
  const seconds = Number(values.seconds ?? 10);
  const dir = mkdtempSync(join(tmpdir(), "edgelab-firewall-bench-"));
  try {
    process.stderr.write("bench: training the panos MLP …\n");
    edgelab([
      "train",
      "--model",
      "mlp",
      "--dataset",
      "synthetic-cicids",
      "--features",
      "panos",
      "--subset",
      "8000",
      "--epochs",
      "3",
      "--out",
      join(dir, "run"),
    ]);
    const model = join(dir, "panos.onnx");
    edgelab(["export-onnx", join(dir, "run"), "--out", model]);

    process.stderr.write(`bench: TCP, ${count} logs as fast as possible …\n`);
    let s = await serve(model, ["--alerts", join(dir, "alerts.jsonl")]);
    const t0 = performance.now();
    const sent = await replay(["--to", `tcp://${s.tcp}`, "--rate", "0", "--count", String(count)]);
    while ((await scored(s)) < count) await new Promise((r) => setTimeout(r, 10));
    const tcpSeconds = (performance.now() - t0) / 1000;
    const tcp = await stop(s);

    process.stderr.write(`bench: TCP at ${rate} logs/s for ${seconds} s …\n`);
    s = await serve(model, ["--alerts", join(dir, "alerts-steady.jsonl")]);
    const steadySent = await replay(["--to", `tcp://${s.tcp}`, "--rate", String(rate), "--duration", String(seconds)]);
    while ((await scored(s)) < steadySent.sent) await new Promise((r) => setTimeout(r, 10));
    const steady = await stop(s);

    process.stderr.write("bench: UDP above capacity …\n");
    s = await serve(model, ["--queue-max", "2048"]);
    const udpSent = await replay(["--to", `udp://${s.udp}`, "--rate", "0", "--count", String(count)]);
    await new Promise((r) => setTimeout(r, 500));
    const udp = await stop(s);

    console.log(
      JSON.stringify({
        benchmark: "firewall-scoring",
        tcpZeroLoss: {
          sent: sent.sent,
          scored: tcp.scored,
          lost: sent.sent - tcp.scored,
          seconds: tcpSeconds,
          scoredPerSec: tcp.scored / tcpSeconds,
          senderPerSec: sent.ratePerSec,
          p50Ms: tcp.p50Ms,
          p99Ms: tcp.p99Ms,
          peakRssMB: tcp.peakRssMB,
          goal: "≥ 50,000 logs/s scored with zero loss",
        },
        steady: {
          rate,
          sent: steadySent.sent,
          scored: steady.scored,
          p50Ms: steady.p50Ms,
          p99Ms: steady.p99Ms,
          peakRssMB: steady.peakRssMB,
          goal: "p99 < 50 ms at 10,000 logs/s",
        },
        udpOverload: {
          sent: udpSent.sent,
          senderPerSec: udpSent.ratePerSec,
          received: udp.received,
          dropped: udp.dropped,
          droppedByWhere: udp.droppedByWhere,
          accountedFor: udp.received + udp.dropped === udpSent.sent,
          goal: "received + dropped = sent, exactly",
        },
        command: `node build/bench/firewall.js --count ${count} --rate ${rate} --seconds ${seconds}`,
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
