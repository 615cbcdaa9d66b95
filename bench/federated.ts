/**
 * Federated round cost (one JSON object on stdout):
 *   - one round of 8 `edgelab fl client` processes training a ≈2.66 M-parameter model, with the
 *     server, on an emulated 1 Gbit/s Pi cluster (loopback where namespaces cannot be made):
 *     protocol overhead (serialisation, transfer, aggregation: the round's fit + aggregate time
 *     beyond the slowest client's own training) as a fraction of that training;
 *   - server FedAvg throughput (MB of client parameters per second) beside NumPy doing the same
 *     weighted sum, alternating, in one run.
 *     node build/bench/federated.js [ROUNDS] [CLIENTS] [SUBSET]
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { median } from "../lib/bench/paired";
import { debianFashionMnistDir } from "../lib/data/mnist";
import { runFederatedCluster } from "../lib/experiments";
import { weightedMean } from "../lib/federated";
import { Rng } from "../lib/random/rng";
import { projectRoot } from "../lib/runtime/paths";
import { pythonHasModule, systemPython } from "../lib/runtime/python";

function edgelabFedAvg(clients: number, parameters: number, repeats: number): number {
  const rng = new Rng(0);
  const buffers = Array.from({ length: clients }, () => Float32Array.from({ length: parameters }, () => rng.normal()));
  const weights = buffers.map((_, c) => 100 + c);
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    weightedMean(buffers, weights);
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const clients = Number(process.argv[3] ?? 8);
  const subset = Number(process.argv[4] ?? 8000);
  const dataset = existsSync(debianFashionMnistDir) ? "fashion-mnist" : "synthetic-fashion";
  // Round 1 includes each client's start-up (tfjs, data); round 2 onward is the steady state.
  const run = await runFederatedCluster({
    clients,
    rounds: 2,
    model: "mlp-wide",
    dataset,
    subset,
    bandwidthMbps: 1000,
    localEpochs: 1,
    batchSize: 32,
  });
  const r = run.server.rounds[1];
  const train = r.clientTrainSeconds ?? Number.NaN;
  const overhead = r.fitSeconds + r.aggregateSeconds - train;
  // Every client's parameters cross the server's one link, down then up: the round cannot beat this.
  const linkSeconds = run.bandwidthMbps ? ((r.bytesDown + r.bytesUp) * 8) / (run.bandwidthMbps * 1e6) : 0;
  const roundCost = {
    links: run.links,
    why: run.why,
    bandwidthMbps: run.bandwidthMbps,
    clients,
    model: "mlp-wide",
    parameters: run.server.parameters,
    dataset,
    samplesPerClient: subset / clients,
    round: r,
    slowestClientTrainSeconds: train,
    overheadSeconds: overhead,
    overheadFraction: overhead / train,
    serverLinkSeconds: linkSeconds,
    overheadBeyondLinkFraction: (overhead - linkSeconds) / train,
    note: "all clients share this machine's cores, so their training is slower than on one Pi each; overhead is what the round adds beyond the slowest client's training",
  };
  const parameters = 2_660_000;
  const mb = (clients * parameters * 4) / 1e6;
  const python = systemPython();
  const hasNumpy = pythonHasModule("numpy");
  const pairs: { edgelab: number; numpy: number | null }[] = [];
  for (let i = 0; i < rounds; i++) {
    const edgelab = edgelabFedAvg(clients, parameters, 5);
    let numpy: number | null = null;
    if (hasNumpy) {
      const run = spawnSync(
        python,
        [join(projectRoot(), "bench", "peers", "numpy_fedavg.py"), String(clients), String(parameters), "5"],
        { encoding: "utf8" },
      );
      numpy = run.status === 0 ? (JSON.parse(run.stdout) as { seconds: number }).seconds : null;
    }
    pairs.push({ edgelab, numpy });
  }
  const edgelabSeconds = median(pairs.map((p) => p.edgelab));
  const numpySeconds = hasNumpy ? median(pairs.map((p) => p.numpy ?? Number.NaN)) : null;
  console.log(
    JSON.stringify({
      benchmark: "federated-round",
      roundCost,
      aggregation: {
        clients,
        parameters,
        megabytes: mb,
        rounds,
        edgelabSeconds,
        edgelabMBps: mb / edgelabSeconds,
        numpySeconds,
        numpyMBps: numpySeconds ? mb / numpySeconds : null,
        ratio: numpySeconds ? numpySeconds / edgelabSeconds : null,
        pairs,
      },
      goal: "overheadFraction ≤ 0.05 of local training",
      command: "npm run bench -- --only federated",
    }),
  );
}

void main();
