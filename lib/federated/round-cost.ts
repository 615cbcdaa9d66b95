/**
 * What one federated round costs on a cluster of boards, projected from measured parts: each
 * client's local training (seconds per batch on that board × batches), the model crossing the
 * links down and up (every client's copy shares the server's link; each client has its own), and
 * the server's aggregation. Pure; a notebook feeds it measured numbers.
 */

/** The measured parts of a round. */
export interface RoundCostInputs {
  clients: number;
  /** Bytes of one model's parameters on the wire. */
  parameterBytes: number;
  /** Local training: seconds per batch on the client board, and batches per round. */
  secondsPerBatch: number;
  batchesPerRound: number;
  /** Link speeds, Mbit/s: each client's, and the server's (shared by all clients' transfers). */
  clientMbps: number;
  serverMbps: number;
  /** Server aggregation throughput, MB of client parameters per second. */
  aggregateMBps: number;
}

/** A projected round, seconds. */
export interface RoundCost {
  trainSeconds: number;
  /** Down and up together. */
  transferSeconds: number;
  aggregateSeconds: number;
  totalSeconds: number;
  /** (transfer + aggregation) / training. */
  overheadFraction: number;
}

/** Projects one synchronous round: clients train in parallel; transfers are limited by the slower of the two links. */
export function projectRound(i: RoundCostInputs): RoundCost {
  const bits = i.parameterBytes * 8;
  const oneWay = Math.max((i.clients * bits) / (i.serverMbps * 1e6), bits / (i.clientMbps * 1e6));
  const trainSeconds = i.secondsPerBatch * i.batchesPerRound;
  const transferSeconds = 2 * oneWay;
  const aggregateSeconds = (i.clients * i.parameterBytes) / (i.aggregateMBps * 1e6);
  return {
    trainSeconds,
    transferSeconds,
    aggregateSeconds,
    totalSeconds: trainSeconds + transferSeconds + aggregateSeconds,
    overheadFraction: (transferSeconds + aggregateSeconds) / trainSeconds,
  };
}
