/**
 * A federated server with Flower's round semantics over any {@link ServerTransport}: wait for
 * enough clients, take the initial parameters (given, or from one client as Flower does), then per
 * round sample clients, send fit, aggregate what came back with the strategy (failed, late or
 * malformed results are counted and left out; the round proceeds), sample again for federated
 * evaluation, and optionally evaluate centrally. Rows go to `history.csv`, each round is
 * checkpointed, and the final global parameters are written as `parameters.npz`.
 */
import { join } from "node:path";
import { writeNpz } from "../deploy/npz";
import { Rng } from "../random/rng";
import { writeCsv } from "../report/table";
import { loadRoundCheckpoint, saveRoundCheckpoint } from "./checkpoint";
import {
  StatusCode,
  type ClientProxy,
  type Instruction,
  type Reply,
  type ScalarMap,
  type ServerTransport,
} from "./protocol";
import { sampleSize, type FederatedStrategy, type FitResult } from "./strategies";
import { fromWire, splitTensors, toWire, wireBytes, type FlatParameters } from "./tensors";

/** A server run. */
export interface ServerConfig {
  rounds: number;
  strategy: FederatedStrategy;
  /** Seconds a round waits for fit and evaluate results (Flower's `round_timeout`); null waits for all. */
  roundTimeoutSeconds: number | null;
  /** Seconds to wait for enough clients before giving up. */
  waitSeconds: number;
  /** Entries added to every fit config (e.g. `local_epochs`); the strategy's own entries win. */
  fitConfig: ScalarMap;
  /** Initial global parameters; null asks one client, as Flower's server does. */
  initial: FlatParameters | null;
  /** Central evaluation of the global parameters after each round; null skips it. */
  centralEvaluate: ((parameters: Float32Array) => { loss: number; accuracy: number }) | null;
  /** Folder for history.csv, parameters.npz and the checkpoint; null keeps nothing. */
  outDir: string | null;
  resume: boolean;
  seed: number;
  /** Progress lines (one per event), e.g. to stderr. */
  log: (line: string) => void;
}

/** Defaults: no timeout, 5 minutes to gather clients, nothing on disk. */
export const defaultServerConfig: Readonly<Omit<ServerConfig, "rounds" | "strategy">> = Object.freeze({
  roundTimeoutSeconds: null,
  waitSeconds: 300,
  fitConfig: {},
  initial: null,
  centralEvaluate: null,
  outDir: null,
  resume: false,
  seed: 0,
  log: () => {},
});

/** One round's record (what `edgelab fl serve --json` prints per round). */
export interface ServerRound {
  round: number;
  /** Clients whose fit result was aggregated. */
  fitClients: number;
  /** Sampled clients that failed, timed out or sent something malformed. */
  fitFailures: number;
  /** Example-weighted mean of the clients' evaluation losses (Flower's `weighted_loss_avg`); null without results. */
  evaluateLoss: number | null;
  evaluateAccuracy: number | null;
  evaluateClients: number;
  evaluateFailures: number;
  centralLoss: number | null;
  centralAccuracy: number | null;
  seconds: number;
  /** Sending fit, local training and receiving results (the slowest client). */
  fitSeconds: number;
  aggregateSeconds: number;
  evaluateSeconds: number;
  bytesDown: number;
  bytesUp: number;
  /** The clients' own training seconds (their `train_seconds` metric), slowest; null if none reported. */
  clientTrainSeconds: number | null;
}

/** The clients currently connected, and waiting for enough of them. */
class ClientPool {
  readonly clients: ClientProxy[] = [];
  private waiters: { n: number; resolve(): void }[] = [];

  join(c: ClientProxy): void {
    this.clients.push(c);
    this.waiters = this.waiters.filter((w) => (this.clients.length >= w.n ? (w.resolve(), false) : true));
  }

  leave(c: ClientProxy): void {
    const i = this.clients.indexOf(c);
    if (i >= 0) this.clients.splice(i, 1);
  }

  async waitFor(n: number, seconds: number): Promise<void> {
    if (this.clients.length >= n) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.waiters.push({ n, resolve })),
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(
            () => reject(new Error(`${this.clients.length} of the ${n} clients needed joined within ${seconds} s`)),
            seconds * 1000,
          )),
      ),
    ]).finally(() => clearTimeout(timer));
  }
}

const describe = (reason: unknown): string => (reason instanceof Error ? reason.message : String(reason));

/** Asks `clients` the same thing at once (one instruction object, so a transport may encode it once); splits replies of the expected kind with OK status from failures. */
async function ask<K extends Reply["kind"]>(
  clients: readonly ClientProxy[],
  kind: K,
  instruction: Instruction,
  timeoutMs: number | null,
  log: (l: string) => void,
): Promise<{ replies: { client: ClientProxy; reply: Extract<Reply, { kind: K }> }[]; failures: number }> {
  const settled = await Promise.allSettled(clients.map((c) => c.request(instruction, timeoutMs)));
  const replies: { client: ClientProxy; reply: Extract<Reply, { kind: K }> }[] = [];
  let failures = 0;
  settled.forEach((s, i) => {
    const client = clients[i];
    if (s.status === "rejected") {
      failures++;
      log(`${kind}: ${describe(s.reason)}`);
    } else if (s.value.kind !== kind) {
      failures++;
      log(`${kind}: ${client.id}: answered with ${s.value.kind}`);
    } else if ("status" in s.value && s.value.status.code !== StatusCode.Ok) {
      failures++;
      log(`${kind}: ${client.id}: status ${s.value.status.code} (${s.value.status.message})`);
    } else replies.push({ client, reply: s.value as Extract<Reply, { kind: K }> });
  });
  return { replies, failures };
}

/**
 * Serves `config.rounds` rounds through `transport`; resolves with the rows and final parameters
 * once every client has been told to disconnect.
 */
export async function serveFederated(
  transport: ServerTransport,
  overrides: Partial<ServerConfig> & Pick<ServerConfig, "rounds" | "strategy">,
  onRound?: (row: ServerRound) => void,
): Promise<{ address: string; rounds: ServerRound[]; parameters: FlatParameters }> {
  const cfg: ServerConfig = { ...defaultServerConfig, ...overrides };
  const { strategy, log } = cfg;
  const pool = new ClientPool();
  const address = await transport.listen(
    (c) => {
      pool.join(c);
      log(`${c.id} joined (${pool.clients.length} connected)`);
    },
    (c) => {
      pool.leave(c);
      log(`${c.id} left (${pool.clients.length} connected)`);
    },
  );
  log(`listening on ${address}`);
  const timeoutMs = cfg.roundTimeoutSeconds === null ? null : cfg.roundTimeoutSeconds * 1000;
  const rows: ServerRound[] = [];
  const checkpoint = cfg.outDir ? join(cfg.outDir, "checkpoint") : null;
  try {
    let global: FlatParameters | null = cfg.initial;
    const saved =
      checkpoint && cfg.resume
        ? loadRoundCheckpoint<ServerRound>(checkpoint, strategy, global ? global.flat.length : null)
        : null;
    if (saved) {
      if (!saved.shapes) throw new Error(`${checkpoint}: the checkpoint has no tensor shapes`);
      global = { flat: saved.parameters, shapes: saved.shapes };
      rows.push(...saved.rows);
      log(`resuming after round ${rows.length}`);
    }
    const { minAvailableClients, minFitClients, fractionFit, fractionEvaluate, minEvaluateClients } = strategy.sampling;
    await pool.waitFor(Math.max(minAvailableClients, 1), cfg.waitSeconds);
    if (!global) {
      const from = pool.clients[Math.floor(new Rng(cfg.seed).next() * pool.clients.length)];
      const reply = await from.request({ kind: "getParameters", config: {} }, timeoutMs);
      if (reply.kind !== "getParameters" || reply.status.code !== StatusCode.Ok)
        throw new Error(`${from.id}: no initial parameters (answered ${reply.kind})`);
      try {
        global = fromWire(reply.parameters);
      } catch (err) {
        throw new Error(`${from.id}: initial parameters: ${describe(err)}`);
      }
      log(`initial parameters from ${from.id}: ${global.shapes.length} tensors, ${global.flat.length} values`);
    }
    for (let round = rows.length + 1; round <= cfg.rounds; round++) {
      const t0 = performance.now();
      const rng = new Rng(cfg.seed * 1000 + round);
      await pool.waitFor(Math.max(minAvailableClients, minFitClients), cfg.waitSeconds);
      const available = [...pool.clients];
      const fitSample = rng
        .shuffle(available)
        .slice(0, Math.min(available.length, sampleSize(available.length, fractionFit, minFitClients)));
      const current: FlatParameters = global;
      const wire = toWire(current);
      const config = { ...cfg.fitConfig, ...strategy.fitConfig(round), server_round: round };
      log(`round ${round}: fit sent to ${fitSample.length} clients`);
      const fit = await ask(fitSample, "fit", { kind: "fit", parameters: wire, config }, timeoutMs, log);
      const t1 = performance.now();
      const results: FitResult[] = [];
      let fitFailures = fit.failures;
      let bytesUp = 0;
      let clientTrainSeconds: number | null = null;
      for (const { client, reply } of fit.replies) {
        bytesUp += wireBytes(reply.parameters);
        try {
          results.push({ parameters: fromWire(reply.parameters, current.shapes).flat, numExamples: reply.numExamples });
          const seconds = reply.metrics.train_seconds;
          if (typeof seconds === "number") clientTrainSeconds = Math.max(clientTrainSeconds ?? 0, seconds);
        } catch (err) {
          fitFailures++;
          log(`fit: ${client.id}: rejected: ${describe(err)}`);
        }
      }
      if (results.length > 0)
        global = { flat: strategy.aggregateFit(current.flat, results, round), shapes: current.shapes };
      const t2 = performance.now();
      const evalWire = toWire(global);
      const evalPool = [...pool.clients];
      const evalCount =
        fractionEvaluate > 0 && evalPool.length >= minEvaluateClients
          ? Math.min(evalPool.length, sampleSize(evalPool.length, fractionEvaluate, minEvaluateClients))
          : 0;
      const evaluation = await ask(
        rng.shuffle(evalPool).slice(0, evalCount),
        "evaluate",
        { kind: "evaluate", parameters: evalWire, config: { server_round: round } },
        timeoutMs,
        log,
      );
      const examples = evaluation.replies.reduce((n, r) => n + r.reply.numExamples, 0);
      const weighted = (value: (r: Extract<Reply, { kind: "evaluate" }>) => number | null): number | null => {
        if (examples === 0) return null;
        let sum = 0;
        for (const { reply } of evaluation.replies) {
          const v = value(reply);
          if (v === null) return null;
          sum += v * reply.numExamples;
        }
        return sum / examples;
      };
      const central = cfg.centralEvaluate?.(global.flat) ?? null;
      const t3 = performance.now();
      const row: ServerRound = {
        round,
        fitClients: results.length,
        fitFailures,
        evaluateLoss: weighted((r) => r.loss),
        evaluateAccuracy: weighted((r) => (typeof r.metrics.accuracy === "number" ? r.metrics.accuracy : null)),
        evaluateClients: evaluation.replies.length,
        evaluateFailures: evaluation.failures,
        centralLoss: central?.loss ?? null,
        centralAccuracy: central?.accuracy ?? null,
        seconds: (t3 - t0) / 1000,
        fitSeconds: (t1 - t0) / 1000,
        aggregateSeconds: (t2 - t1) / 1000,
        evaluateSeconds: (t3 - t2) / 1000,
        bytesDown: fitSample.length * wireBytes(wire),
        bytesUp,
        clientTrainSeconds,
      };
      rows.push(row);
      log(
        `round ${round}: ${row.fitClients} fit results, ${row.fitFailures} failures, evaluate loss ${row.evaluateLoss?.toFixed(4) ?? "-"}, ${row.seconds.toFixed(2)} s`,
      );
      onRound?.(row);
      if (cfg.outDir && checkpoint) {
        saveRoundCheckpoint(checkpoint, { rows, parameters: global.flat, shapes: global.shapes }, strategy);
        writeCsv(join(cfg.outDir, "history.csv"), rows as unknown as Record<string, number>[]);
      }
    }
    if (!global) throw new Error("no parameters");
    if (cfg.outDir) writeNpz(join(cfg.outDir, "parameters.npz"), splitTensors(global));
    // Flower ends a run by asking every client to disconnect (ReconnectIns without seconds).
    await Promise.allSettled(pool.clients.map((c) => c.request({ kind: "reconnect", seconds: null }, 5000)));
    return { address, rounds: rows, parameters: global };
  } finally {
    await transport.close();
  }
}
