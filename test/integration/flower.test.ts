/**
 * Federated learning over Flower's `Join` protocol with real gRPC over real sockets: malformed
 * clients are refused without harming the round, a resumed server ends where a straight run ends,
 * TLS, real processes (a client killed mid-round), an emulated Pi cluster in network namespaces,
 * and interoperability with Flower itself in both directions when a Flower source tree is given.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { emulationUnavailable } from "../../lib/cluster";
import { debianFashionMnistDir } from "../../lib/data";
import { readNpz } from "../../lib/deploy";
import { runFederatedCluster } from "../../lib/experiments";
import {
  defaultJoinOptions,
  FedAvg,
  JoinClientTransport,
  JoinServerTransport,
  joinMethod,
  parseStrategy,
  runClient,
  serveFederated,
  type ClientApp,
  type FlatParameters,
  type ScalarMap,
} from "../../lib/federated";
import { edgelab } from "../helpers/cli";
import { repoRoot, tempDir } from "../helpers/paths";

const dir = tempDir("edgelab-flower-");
const shapes = [[3, 2], [2]];
const dataset = existsSync(debianFashionMnistDir) ? "fashion-mnist" : "synthetic-fashion";

/** A deterministic client: fit adds `step` to every value and reports `examples`; evaluate reports a loss of `step`. */
class ShiftApp implements ClientApp {
  constructor(
    private readonly step: number,
    private readonly examples: number,
    readonly shapes: number[][] | null = [[3, 2], [2]],
    private readonly replyShapes: number[][] = [[3, 2], [2]],
  ) {}
  async getParameters(): Promise<FlatParameters> {
    return { flat: new Float32Array(8), shapes: this.replyShapes };
  }
  async fit(p: FlatParameters): Promise<{ parameters: FlatParameters; numExamples: number; metrics: ScalarMap }> {
    const size = this.replyShapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
    const flat = Float32Array.from({ length: size }, (_, i) => (p.flat[i] ?? 0) + this.step);
    return { parameters: { flat, shapes: this.replyShapes }, numExamples: this.examples, metrics: {} };
  }
  async evaluate(): Promise<{ loss: number; numExamples: number; metrics: ScalarMap }> {
    return { loss: this.step, numExamples: this.examples, metrics: { accuracy: 0.5 } };
  }
}

const initial = (): FlatParameters => ({ flat: Float32Array.from({ length: 8 }, (_, i) => i), shapes });

async function serveWith(
  apps: ClientApp[],
  overrides: Parameters<typeof serveFederated>[1],
  options = defaultJoinOptions,
  clientOptions = defaultJoinOptions,
) {
  const transport = new JoinServerTransport("127.0.0.1:0", options);
  const logs: string[] = [];
  let resolveAddress: (a: string) => void = () => {};
  const address = new Promise<string>((r) => (resolveAddress = r));
  const server = serveFederated(transport, {
    waitSeconds: 20,
    ...overrides,
    log: (l) => (logs.push(l), /^listening on (.+)$/.exec(l) && resolveAddress(/^listening on (.+)$/.exec(l)![1])),
  });
  const at = await address;
  const clients = apps.map((app) =>
    runClient(new JoinClientTransport(at, clientOptions, 5000), app).catch((err: Error) => err),
  );
  return { result: await server, logs, clients: await Promise.all(clients) };
}

test("Join over gRPC: garbage bytes and a wrong tensor layout fail their own fit only, named in the log", async () => {
  const transport = new JoinServerTransport("127.0.0.1:0");
  const logs: string[] = [];
  let garbage: grpc.Client | null = null;
  const run = serveFederated(transport, {
    rounds: 1,
    strategy: new FedAvg({
      fractionFit: 1,
      minFitClients: 3,
      minAvailableClients: 3,
      fractionEvaluate: 0,
      minEvaluateClients: 3,
    }),
    initial: initial(),
    waitSeconds: 20,
    log: (line) => {
      logs.push(line);
      const at = /^listening on (.+)$/.exec(line)?.[1];
      if (!at) return;
      void runClient(new JoinClientTransport(at, defaultJoinOptions, 5000), new ShiftApp(1, 10));
      void runClient(
        new JoinClientTransport(at, defaultJoinOptions, 5000),
        new ShiftApp(1, 10, null, [[2, 3], [2]]),
      ).catch(() => {});
      garbage = new grpc.Client(at, grpc.credentials.createInsecure());
      const call = garbage.makeBidiStreamRequest<Buffer, Buffer>(
        joinMethod,
        (b) => b,
        (b) => b,
      );
      call.on("data", () =>
        call.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])),
      );
      call.on("error", () => {});
    },
  });
  const result = await run;
  (garbage as grpc.Client | null)?.close();
  assert.equal(result.rounds[0].fitClients, 1);
  assert.equal(result.rounds[0].fitFailures, 2);
  assert.ok(
    logs.some((l) => /fit: client \d \(.+\): rejected: tensor 0 has shape \[2, 3\], the model's is \[3, 2\]/.test(l)),
    logs.join("\n"),
  );
  assert.ok(
    logs.some((l) => /fit: client \d \(.+\): not a ClientMessage/.test(l)),
    logs.join("\n"),
  );
  assert.deepEqual(
    [...result.parameters.flat],
    [1, 2, 3, 4, 5, 6, 7, 8],
    "only the good client's result, FedAvg of one",
  );
});

test("Join over gRPC: FedAvg weights by num_examples; a resumed FedAdam server ends exactly where a straight run ends", async () => {
  const sampling = {
    fractionFit: 1,
    minFitClients: 2,
    minAvailableClients: 2,
    fractionEvaluate: 1,
    minEvaluateClients: 2,
  };
  const avg = await serveWith([new ShiftApp(1, 10), new ShiftApp(4, 30)], {
    rounds: 2,
    strategy: new FedAvg(sampling),
    initial: initial(),
  });
  // Each round adds (1·10 + 4·30) / 40 = 3.25 to every value.
  assert.deepEqual([...avg.result.parameters.flat], [6.5, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5, 13.5]);
  assert.equal(avg.result.rounds[1].evaluateLoss, 3.25, "Flower's weighted_loss_avg");
  assert.deepEqual(avg.clients, [1, 1], "each client left after one session");
  const straight = await serveWith([new ShiftApp(1, 10), new ShiftApp(4, 30)], {
    rounds: 3,
    strategy: parseStrategy("fedadam", sampling),
    initial: initial(),
    outDir: join(dir, "straight"),
  });
  await serveWith([new ShiftApp(1, 10), new ShiftApp(4, 30)], {
    rounds: 2,
    strategy: parseStrategy("fedadam", sampling),
    initial: initial(),
    outDir: join(dir, "resumed"),
  });
  const resumed = await serveWith([new ShiftApp(1, 10), new ShiftApp(4, 30)], {
    rounds: 3,
    strategy: parseStrategy("fedadam", sampling),
    initial: initial(),
    outDir: join(dir, "resumed"),
    resume: true,
  });
  assert.ok(resumed.logs.includes("resuming after round 2"), resumed.logs.join("\n"));
  assert.equal(resumed.result.rounds.length, 3);
  assert.deepEqual([...resumed.result.parameters.flat], [...straight.result.parameters.flat]);
  const npz = readNpz(join(dir, "resumed", "parameters.npz"));
  assert.deepEqual([...npz.get("arr_0")!.data], [...straight.result.parameters.flat.slice(0, 6)]);
  assert.deepEqual(npz.get("arr_1")!.shape, [2]);
  assert.equal(
    readFileSync(join(dir, "resumed", "history.csv"), "utf8")
      .trim()
      .split("\n").length,
    4,
  );
});

const openssl = spawnSync("openssl", ["version"], { encoding: "utf8" });
test(
  "Join over TLS: a client trusting the server's certificate trains; a plaintext client is turned away",
  { skip: openssl.status !== 0 && "openssl is not installed (Debian: openssl)" },
  async () => {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
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
    const tls = { ...defaultJoinOptions, tls: { certificate: readFileSync(cert), privateKey: readFileSync(key) } };
    const sampling = {
      fractionFit: 1,
      minFitClients: 1,
      minAvailableClients: 1,
      fractionEvaluate: 0,
      minEvaluateClients: 1,
    };
    const run = await serveWith(
      [new ShiftApp(2, 5)],
      { rounds: 1, strategy: new FedAvg(sampling), initial: initial() },
      tls,
      { ...defaultJoinOptions, rootCertificate: readFileSync(cert) },
    );
    assert.deepEqual([...run.result.parameters.flat], [2, 3, 4, 5, 6, 7, 8, 9]);
    const server = new JoinServerTransport("127.0.0.1:0", tls);
    const at = await server.listen(
      () => {},
      () => {},
    );
    await assert.rejects(
      new JoinClientTransport(at, defaultJoinOptions, 1500).session(async () => ({ kind: "disconnect", reason: 0 })),
      /cannot reach a server at 127\.0\.0\.1:\d+ within 1\.5 s/,
    );
    await server.close();
  },
);

const weightedMeanOf = (files: string[], weights: number[], key: string): Float32Array => {
  const arrays = files.map((f) => readNpz(f).get(key)!.data as Float32Array);
  const total = weights.reduce((a, b) => a + b, 0);
  return Float32Array.from(arrays[0], (_, i) => arrays.reduce((s, a, c) => s + a[i] * weights[c], 0) / total);
};

test("edgelab fl serve + 3 edgelab fl client processes: 3 rounds; a client killed in the middle of round 3 leaves that round to the other two", async (t) => {
  const out = join(dir, "processes");
  const run = await runFederatedCluster({
    outDir: out,
    dataset,
    bandwidthMbps: null,
    localEpochs: 2,
    onRoundStart: (round, clients) => round === 3 && clients[2].kill("SIGKILL"),
  });
  t.diagnostic(
    `links: ${run.links}; rounds: ${JSON.stringify(run.server.rounds.map((r) => [r.round, r.fitClients, r.fitFailures, r.centralAccuracy]))}`,
  );
  assert.deepEqual(
    run.server.rounds.map((r) => [r.fitClients, r.fitFailures]),
    [
      [3, 0],
      [3, 0],
      [2, 1],
    ],
  );
  assert.equal(run.clientCodes[2], null, "client 2 was killed");
  assert.ok(
    run.server.rounds[2].centralAccuracy! > 0.5,
    `accuracy after 3 rounds ${run.server.rounds[2].centralAccuracy}`,
  );
  // The global model after round 3 is FedAvg of the two surviving clients' round-3 parameters.
  const clients = [0, 1].map((c) => run.clients[c]!);
  const files = [0, 1].map((c) => join(out, `client-${c}`, "fit-3.npz"));
  const global = readNpz(join(out, "server", "parameters.npz"));
  for (const key of global.keys()) {
    const want = weightedMeanOf(
      files,
      clients.map((c) => c.fits[2].numExamples),
      key,
    );
    const got = global.get(key)!.data as Float32Array;
    want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-6, `${key}[${i}]: ${got[i]} vs ${w}`));
  }
});

const noEmulation = emulationUnavailable();
test(
  "an emulated Pi cluster: server and 3 clients in their own network namespaces, links shaped to 1 Gbit/s",
  { skip: noEmulation ?? false },
  async (t) => {
    const run = await runFederatedCluster({ outDir: join(dir, "emulated"), dataset, bandwidthMbps: 1000, rounds: 2 });
    assert.equal(run.links, "emulated");
    assert.deepEqual(
      run.server.rounds.map((r) => r.fitClients),
      [3, 3],
    );
    assert.ok(/^10\.77\./.test(run.server.address), run.server.address);
    const r = run.server.rounds[1];
    t.diagnostic(
      `round 2: ${r.seconds.toFixed(2)} s, fit ${r.fitSeconds.toFixed(2)} s (client training ≤ ${r.clientTrainSeconds?.toFixed(2)} s), ${(r.bytesDown / 1e6).toFixed(2)} MB down`,
    );
    assert.ok(
      r.fitSeconds >= (r.clientTrainSeconds ?? 0),
      "a fit round lasts at least as long as its slowest client's training",
    );
  },
);

// Flower 1.4.0 from its source: EDGELAB_FLOWER_SRC=…/flower/src/py (see docs/federated.md).
const flowerSrc = process.env.EDGELAB_FLOWER_SRC;
const python = process.env.EDGELAB_PYTHON ?? "/usr/bin/python3";
const peers = join(repoRoot, "bench", "peers", "flower");
const flowerEnv = { ...process.env, PYTHONPATH: [flowerSrc, peers].join(":") };
const noFlower = !flowerSrc
  ? "EDGELAB_FLOWER_SRC is not set (a Flower 1.x source tree's src/py; Flower cannot be installed offline)"
  : spawnSync(python, ["-c", "import flwr, grpc"], { env: flowerEnv }).status !== 0
    ? `flwr or grpcio does not import from ${flowerSrc} with ${python} (Debian: python3-grpcio python3-protobuf python3-numpy)`
    : null;

function runToEnd(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { env, cwd: repoRoot });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  return new Promise((resolve) =>
    child.on("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))),
  );
}

const port = (k: number): string => `127.0.0.1:${30000 + ((process.pid * 7 + k) % 20000)}`;
const cli = join(repoRoot, "build", "lib", "cli", "main.js");

test(
  "Flower's server (start_server, FedAvg) aggregates two edgelab clients exactly as FedAvg says",
  { skip: noFlower ?? false },
  async () => {
    const out = join(dir, "flower-server");
    const address = port(1);
    const server = runToEnd(
      python,
      [join(peers, "flower_server.py"), address, "2", "2", join(out, "server")],
      flowerEnv,
    );
    const clients = [0, 1].map((c) =>
      runToEnd(process.execPath, [
        cli,
        "fl",
        "client",
        "--server",
        address,
        "--dataset",
        dataset,
        "--subset",
        "1500",
        "--partition",
        "dirichlet:0.5",
        "--client-id",
        String(c),
        "--num-clients",
        "2",
        "--out",
        join(out, `c${c}`),
        "--json",
      ]),
    );
    const [s, ...cs] = await Promise.all([server, ...clients]);
    assert.equal(s.code, 0, s.stderr.slice(-2000));
    cs.forEach((c) => assert.equal(c.code, 0, c.stderr));
    const examples = cs.map((c) => (JSON.parse(c.stdout) as { fits: { numExamples: number }[] }).fits[1].numExamples);
    const flower = readNpz(join(out, "server", "round-2.npz"));
    for (const key of flower.keys()) {
      const want = weightedMeanOf(
        [0, 1].map((c) => join(out, `c${c}`, "fit-2.npz")),
        examples,
        key,
      );
      const got = flower.get(key)!.data as Float32Array;
      want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-6, `${key}[${i}]: Flower ${got[i]} vs FedAvg ${w}`));
    }
  },
);

test(
  "Flower NumPyClients (start_numpy_client) train with edgelab fl serve: initial parameters from a client, FedAvg and weighted loss as computed here",
  { skip: noFlower ?? false },
  async () => {
    const out = join(dir, "edgelab-server");
    const address = port(2);
    const server = runToEnd(process.execPath, [
      cli,
      "fl",
      "serve",
      "--address",
      address,
      "--rounds",
      "3",
      "--min-clients",
      "2",
      "--out",
      out,
      "--json",
    ]);
    await new Promise((r) => setTimeout(r, 1000));
    const clients = [0, 1].map((c) =>
      runToEnd(python, [join(peers, "flower_client.py"), address, String(c)], flowerEnv),
    );
    const [s, ...cs] = await Promise.all([server, ...clients]);
    assert.equal(s.code, 0, s.stderr);
    cs.forEach((c) => assert.equal(c.code, 0, c.stderr.slice(-2000)));
    // flower_client.py: identical start (NumPy seed 0); round r adds (cid + 1)·0.01·r over 10·(cid + 1) examples.
    const start = spawnSync(
      python,
      [
        "-c",
        "import numpy as np; r = np.random.default_rng(0); print([x for s in [(6,4),(4,),(4,3),(3,)] for x in r.standard_normal(s).astype(np.float32).ravel().tolist()])",
      ],
      { encoding: "utf8" },
    );
    let global = Float32Array.from(JSON.parse(start.stdout.replace(/'/g, '"')) as number[]);
    for (let round = 1; round <= 3; round++) {
      const shift = (1 * 10 * 0.01 * round + 2 * 20 * 0.01 * round) / 30;
      global = Float32Array.from(global, (v) => v + shift);
    }
    const got = [...readNpz(join(out, "parameters.npz")).values()].flatMap((a) => [...(a.data as Float32Array)]);
    assert.equal(got.length, global.length);
    global.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-5, `[${i}] ${got[i]} vs ${w}`));
    const rounds = (JSON.parse(s.stdout) as { rounds: { evaluateLoss: number; fitClients: number }[] }).rounds;
    assert.deepEqual(
      rounds.map((r) => r.fitClients),
      [2, 2, 2],
    );
    // evaluate: loss = mean(first tensor) + cid over 5·(cid + 1) examples → weighted mean adds (0·5 + 1·10)/15.
    const first = got.slice(0, 24).reduce((a, b) => a + b, 0) / 24;
    assert.ok(
      Math.abs(rounds[2].evaluateLoss - (first + 10 / 15)) < 1e-4,
      `${rounds[2].evaluateLoss} vs ${first + 10 / 15}`,
    );
  },
);

test("fl serve / fl client: bad flags are one line", () => {
  for (const [args, pattern] of [
    [["fl", "serve", "--rounds", "2"], /fl serve: --address HOST:PORT is required/],
    [
      ["fl", "serve", "--address", "127.0.0.1:0", "--min-clients", "0"],
      /fl serve: --min-clients \(a positive integer\) got "0"/,
    ],
    [["fl", "serve", "--address", "127.0.0.1:0", "--model", "mlp"], /fl serve: --model and --dataset go together/],
    [
      ["fl", "client", "--server", "127.0.0.1:1", "--dataset", dataset, "--client-id", "3", "--num-clients", "2"],
      /fl client: --client-id \(an integer in \[0, 2\)\) got "3"/,
    ],
    [
      ["fl", "serve", "--address", "127.0.0.1:0", "--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.pem"],
      /fl serve: --tls-cert \/nonexistent\.pem: ENOENT/,
    ],
  ] as const) {
    const run = edgelab(...args);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, pattern);
  }
});
