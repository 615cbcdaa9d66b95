/**
 * The firewall-log scoring service on loopback, as real processes: `edgelab serve` with a model
 * trained on the `panos` features, fed by `edgelab replay` over TCP and UDP and by raw sockets.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { syslogLine, trafficLogLine } from "../../lib/firewall/replay";
import { join } from "node:path";
import { test } from "node:test";
import { json } from "../helpers/cli";
import { repoRoot, tempDir } from "../helpers/paths";

const cli = join(repoRoot, "build", "lib", "cli", "main.js");
const dir = tempDir();
let model = "";

interface Server {
  child: ChildProcess;
  tcp: string;
  udp: string;
  metrics: string;
  stdout: () => string;
}

function startServer(args: string[]): Promise<Server> {
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
      ...args,
    ],
    { cwd: repoRoot },
  );
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on udp ([\d.]+:\d+), tcp ([\d.]+:\d+), metrics (http:\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ child, udp: m[1], tcp: m[2], metrics: m[3], stdout: () => stdout });
      }
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

async function stopServer(s: Server): Promise<Record<string, number>> {
  const exited = new Promise((r) => s.child.once("exit", r));
  s.child.kill("SIGTERM");
  await exited;
  return JSON.parse(s.stdout().trim().split("\n").at(-1)!) as Record<string, number>;
}

function replay(to: string, args: string[]): Record<string, number> {
  const run = spawnSync(process.execPath, [cli, "replay", "synthetic-cicids", "--to", to, ...args, "--json"], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, number>;
}

async function metric(s: Server, name: string): Promise<number> {
  const text = await (await fetch(s.metrics)).text();
  return Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > 60_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a panos model for the service: trained on the CICIDS features a firewall log supplies, exported to ONNX", () => {
  const run = json(
    "train",
    "--model",
    "mlp",
    "--dataset",
    "synthetic-cicids",
    "--features",
    "panos",
    "--subset",
    "4000",
    "--epochs",
    "2",
    "--out",
    join(dir, "panos-run"),
  );
  assert.ok(run.testAccuracy > 0.8, `accuracy ${run.testAccuracy}`);
  model = join(dir, "panos.onnx");
  json("export-onnx", join(dir, "panos-run"), "--out", model);
});

test("TCP loses nothing: N logs replayed give N scored; UDP: received + reported drops = sent; malformed lines counted by reason", async () => {
  const alerts = join(dir, "alerts.jsonl");
  const s = await startServer(["--alerts", alerts, "--queue-max", "512"]);
  const n = 6000;
  const sent = replay(`tcp://${s.tcp}`, ["--rate", "0", "--count", String(n)]);
  assert.equal(sent.sent, n);
  await until(async () => (await metric(s, "edgelab_logs_scored_total")) === n, `${n} scored`);
  // raw lines: two malformed, one SYSTEM log (valid, not scored), over newline framing
  await new Promise<void>((resolve) => {
    const socket = connect(Number(s.tcp.split(":")[1]), "127.0.0.1", () => {
      socket.end(
        "garbage without priority\n<14>1 2024-01-01T00:00:00Z fw - - - - not,a,panos,log\n<14>1 2024-01-01T00:00:00Z fw - - - - 1,2024/01/01 00:00:00,0,SYSTEM,general,x\n",
        () => resolve(),
      );
    });
  });
  await until(async () => (await metric(s, "edgelab_messages_received_total")) === n + 3, "the raw lines");
  // UDP above what a small queue takes: every datagram is either received or reported dropped
  const udpSent = replay(`udp://${s.udp}`, ["--rate", "0", "--count", "20000"]);
  await new Promise((r) => setTimeout(r, 500));
  const summary = await stopServer(s);
  const udpReceived = summary.received - n - 3;
  assert.equal(
    udpReceived + summary.dropped,
    udpSent.sent,
    `UDP: ${udpReceived} received + ${summary.dropped} dropped = ${udpSent.sent} sent`,
  );
  assert.equal(summary.scored, n + udpReceived, "every received TRAFFIC end log is scored");
  assert.deepEqual(summary.malformedByReason, { "syslog-no-priority": 1, "panos-not-panos": 1 });
  assert.deepEqual(summary.skippedByReason, { "not-traffic-or-threat": 1 });
  assert.equal(
    readFileSync(alerts, "utf8").trim().split("\n").filter(Boolean).length,
    summary.alerts,
    "one line per alert",
  );
  for (const key of ["received", "parsed", "malformed", "scored", "alerts", "dropped", "p50Ms", "p99Ms"])
    assert.ok(key in summary, key);
});

test("SIGTERM under load: everything received is scored and every counted alert is in the file", async () => {
  const alerts = join(dir, "alerts-load.jsonl");
  const s = await startServer(["--alerts", alerts]);
  const sender = spawn(
    process.execPath,
    [cli, "replay", "synthetic-cicids", "--to", `tcp://${s.tcp}`, "--rate", "0", "--count", "400000"],
    { cwd: repoRoot, stdio: "ignore" },
  );
  await until(async () => (await metric(s, "edgelab_logs_scored_total")) > 2000, "scoring under way");
  const summary = await stopServer(s);
  sender.kill();
  assert.ok(summary.received > 2000 && summary.received < 400000, `stopped mid-stream after ${summary.received}`);
  assert.equal(summary.scored, summary.received, "nothing received was left unscored");
  assert.equal(readFileSync(alerts, "utf8").trim().split("\n").filter(Boolean).length, summary.alerts);
});

const openssl = spawnSync("openssl", ["version"], { encoding: "utf8" });
test(
  "syslog over TLS: a client trusting the service's certificate is scored; a plaintext client is not",
  { skip: openssl.status !== 0 && "openssl is not installed (Debian: openssl)" },
  async () => {
    const key = join(dir, "fw-key.pem");
    const cert = join(dir, "fw-cert.pem");
    const made = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { encoding: "utf8" },
    );
    assert.equal(made.status, 0, made.stderr);
    const s = await startServer(["--tls-cert", cert, "--tls-key", key]);
    const port = Number(s.tcp.split(":")[1]);
    const when = new Date();
    const row = {
      "Destination Port": 22,
      "Flow Duration": 3e6,
      "Total Fwd Packets": 10,
      "Total Backward Packets": 12,
      "Total Length of Fwd Packets": 1500,
      "Total Length of Bwd Packets": 2500,
    };
    const lines = [0, 1, 2].map((i) => syslogLine(trafficLogLine(row, i, when), "rfc3164", when)).join("\n") + "\n";
    await new Promise<void>((resolve, reject) => {
      const socket: TLSSocket = tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(cert) }, () =>
        socket.end(lines, () => resolve()),
      );
      socket.once("error", reject);
    });
    await until(async () => (await metric(s, "edgelab_logs_scored_total")) === 3, "3 logs over TLS");
    // plaintext to the TLS port: the handshake fails, nothing is received
    await new Promise<void>((resolve) => {
      const plain: Socket = connect(port, "127.0.0.1", () => plain.end(lines));
      plain.on("error", () => resolve());
      plain.on("close", () => resolve());
    });
    await new Promise((r) => setTimeout(r, 200));
    const summary = await stopServer(s);
    assert.equal(summary.received, 3);
    assert.equal(summary.scored, 3);
  },
);
