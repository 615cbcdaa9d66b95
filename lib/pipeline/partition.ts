/**
 * Partitioners: which contiguous blocks of a model each device runs. Pure functions over measured
 * block costs, a device list and a link model.
 *
 * - `equal`: equal layer counts per stage (the seed's manual split).
 * - `pipeedge`: PipeEdge's dynamic programme (Hu et al., DSD 2022) — minimise the slowest stage,
 *   max(compute, transfer out), subject to each device's memory; heterogeneous devices are chosen
 *   and ordered by the DP as well.
 * - `latency`: minimise one micro-batch's end-to-end time (sum of compute and transfers); often
 *   "do not split", which the plan says.
 */

/** One block between cuts, measured on the profiling device at the profile's batch. */
export interface BlockCost {
  /** First and last compute positions (inclusive) of the block in the graph's topological order. */
  first: number;
  last: number;
  /** Milliseconds on the profiling device (speed 1). */
  computeMs: number;
  /** Bytes of the activation leaving the block (0 for the last block). */
  outBytes: number;
  paramBytes: number;
  /** The block's largest activation. */
  maxActivationBytes: number;
  layers: number;
}

/** A device of the cluster. */
export interface DeviceSpec {
  name: string;
  /** Relative speed: 1 = the device the blocks were profiled on, 0.5 = twice as slow. */
  speed: number;
  /** Memory available to the model, bytes. */
  memoryBytes: number;
}

/** Link between neighbouring stages. */
export interface LinkModel {
  bandwidthMbps: number;
  latencyMs: number;
}

/** A planning request. */
export interface PlanRequest {
  blocks: BlockCost[];
  stages: number;
  /** At least `stages` devices (planners that do not choose devices use the first `stages`). */
  devices: DeviceSpec[];
  link: LinkModel;
  /** Stage k runs on device k (a running pipeline's ranks cannot change places); default false. */
  fixedOrder?: boolean;
}

/** One stage of a plan. */
export interface StagePlan {
  /** Index into the request's devices. */
  device: number;
  firstBlock: number;
  lastBlock: number;
  /** First and last compute positions. */
  firstNode: number;
  lastNode: number;
  computeMs: number;
  /** Sending this stage's output to the next stage (0 for the last). */
  transferMs: number;
  memoryMB: number;
  layers: number;
}

/** A partition of the model across stages with its predicted cost. */
export interface Plan {
  partitioner: string;
  stages: StagePlan[];
  /** The slowest stage: max(compute, transfer) — what limits pipelined throughput. */
  bottleneckMs: number;
  /** One micro-batch through every stage and link. */
  endToEndMs: number;
  /** Micro-batches per second at the bottleneck (multiply by the batch for images/s). */
  predictedBatchesPerSec: number;
  notes: string[];
}

/** What each partitioner implements. */
export interface Partitioner {
  readonly name: string;
  plan(request: PlanRequest): Plan;
}

/** Milliseconds to send `bytes` over the link. */
export function transferMs(bytes: number, link: LinkModel): number {
  if (bytes <= 0) return 0;
  return link.latencyMs + (bytes * 8) / (link.bandwidthMbps * 1e3);
}

/** Cost of blocks `a..b` (inclusive) on `device`; `last` says whether its output leaves the pipeline. */
export function stageCost(request: PlanRequest, a: number, b: number, device: number, last: boolean): StagePlan {
  const blocks = request.blocks.slice(a, b + 1);
  const spec = request.devices[device];
  const compute = blocks.reduce((s, x) => s + x.computeMs, 0) / spec.speed;
  const params = blocks.reduce((s, x) => s + x.paramBytes, 0);
  const peak = Math.max(...blocks.map((x) => x.maxActivationBytes));
  return {
    device,
    firstBlock: a,
    lastBlock: b,
    firstNode: blocks[0].first,
    lastNode: blocks[blocks.length - 1].last,
    computeMs: compute,
    transferMs: last ? 0 : transferMs(blocks[blocks.length - 1].outBytes, request.link),
    // Weights plus an input and an output buffer of the largest activation: what the stage holds.
    memoryMB: (params + 2 * peak) / 2 ** 20,
    layers: blocks.reduce((s, x) => s + x.layers, 0),
  };
}

/** Assembles a plan's totals from its stages. */
export function finishPlan(partitioner: string, stages: StagePlan[], notes: string[] = []): Plan {
  const bottleneckMs = Math.max(...stages.map((s) => Math.max(s.computeMs, s.transferMs)));
  const endToEndMs = stages.reduce((t, s) => t + s.computeMs + s.transferMs, 0);
  return { partitioner, stages, bottleneckMs, endToEndMs, predictedBatchesPerSec: 1000 / bottleneckMs, notes };
}

function fits(request: PlanRequest, stage: StagePlan): boolean {
  return stage.memoryMB * 2 ** 20 <= request.devices[stage.device].memoryBytes;
}

function validate(request: PlanRequest): void {
  const { blocks, stages, devices } = request;
  if (!Number.isInteger(stages) || stages < 1) throw new Error(`stages must be a positive integer, got ${stages}`);
  if (stages > blocks.length)
    throw new Error(
      `the model has ${blocks.length} block(s) between valid cut points; ${stages} stages cannot be made`,
    );
  if (devices.length < stages)
    throw new Error(`${stages} stages need at least ${stages} devices, ${devices.length} given`);
  if (devices.some((d) => !(d.speed > 0))) throw new Error("every device needs a positive speed");
}

/** Equal layer counts: each stage boundary at the cut nearest to an equal share of the nodes. */
export const equalPartitioner: Partitioner = {
  name: "equal",
  plan(request) {
    validate(request);
    const { blocks, stages } = request;
    const total = blocks.reduce((s, b) => s + b.layers, 0);
    const ends: number[] = [];
    let done = 0;
    let from = 0;
    for (let s = 0; s < stages - 1; s++) {
      const target = (total * (s + 1)) / stages;
      let best = from;
      let acc = done + blocks[from].layers;
      let bestGap = Math.abs(acc - target);
      // Leave at least one block for each remaining stage.
      for (let b = from + 1; b <= blocks.length - (stages - s); b++) {
        acc += blocks[b].layers;
        const gap = Math.abs(acc - target);
        if (gap < bestGap) [best, bestGap] = [b, gap];
      }
      ends.push(best);
      for (let b = from; b <= best; b++) done += blocks[b].layers;
      from = best + 1;
    }
    ends.push(blocks.length - 1);
    let start = 0;
    const plan = ends.map((end, s) => {
      const stage = stageCost(request, start, end, s, s === stages - 1);
      start = end + 1;
      return stage;
    });
    const notes = plan
      .filter((s) => !fits(request, s))
      .map((s) => `stage on ${request.devices[s.device].name} needs ${s.memoryMB.toFixed(0)} MB, more than it has`);
    return finishPlan("equal", plan, notes);
  },
};

/** True when every device has the same speed and memory (the DP can then ignore device identity). */
function homogeneous(devices: DeviceSpec[]): boolean {
  return devices.every((d) => d.speed === devices[0].speed && d.memoryBytes === devices[0].memoryBytes);
}

/**
 * PipeEdge's DP. Homogeneous devices, or devices in a fixed order: best[k][j] = min over i of
 * max(best[k-1][i], cost(i..j-1 on device k-1)). Heterogeneous: the state also holds the set of
 * devices used and the last one, as in the paper.
 */
export const pipeedgePartitioner: Partitioner = {
  name: "pipeedge",
  plan(request) {
    validate(request);
    const { blocks, stages, devices } = request;
    const L = blocks.length;
    const stageTime = (s: StagePlan): number => (fits(request, s) ? Math.max(s.computeMs, s.transferMs) : Infinity);
    // Stage k on device k-1: the chain DP with max() as the combination.
    if (request.fixedOrder || homogeneous(devices))
      return finishPlan("pipeedge", chainDp(request, stageTime, Math.max));
    const D = devices.length;
    if (D > 16) throw new Error(`pipeedge plans over at most 16 heterogeneous devices (${D} given)`);
    // h[j][mask][u]: blocks 0..j-1 placed on the devices in mask, the last stage on device u.
    const key = (j: number, mask: number, u: number): number => (j * (1 << D) + mask) * D + u;
    const h = new Map<number, { t: number; prev: number }>();
    for (let j = 1; j <= L; j++) {
      for (let u = 0; u < D; u++) {
        const t = stageTime(stageCost(request, 0, j - 1, u, j === L));
        if (t < Infinity) h.set(key(j, 1 << u, u), { t, prev: -1 });
      }
    }
    for (let k = 2; k <= stages; k++) {
      for (const [code, entry] of [...h]) {
        const mask = Math.floor(code / D) % (1 << D);
        const i = Math.floor(code / D / (1 << D));
        if (popcount(mask) !== k - 1 || i >= L) continue;
        for (let v = 0; v < D; v++) {
          if (mask & (1 << v)) continue;
          for (let j = i + 1; j <= L; j++) {
            const t = Math.max(entry.t, stageTime(stageCost(request, i, j - 1, v, j === L)));
            const next = key(j, mask | (1 << v), v);
            if (t < (h.get(next)?.t ?? Infinity)) h.set(next, { t, prev: code });
          }
        }
      }
    }
    let bestCode = -1;
    let bestT = Infinity;
    for (const [code, entry] of h) {
      const mask = Math.floor(code / D) % (1 << D);
      const j = Math.floor(code / D / (1 << D));
      if (j === L && popcount(mask) === stages && entry.t < bestT) [bestCode, bestT] = [code, entry.t];
    }
    if (bestCode < 0) throw new Error(`no ${stages}-stage plan fits the devices' memory`);
    const chain: { j: number; u: number }[] = [];
    for (let code = bestCode; code >= 0; code = h.get(code)!.prev)
      chain.unshift({ j: Math.floor(code / D / (1 << D)), u: code % D });
    const plan = chain.map((c, s) => stageCost(request, s === 0 ? 0 : chain[s - 1].j, c.j - 1, c.u, s === stages - 1));
    return finishPlan("pipeedge", plan);
  },
};

function popcount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

/**
 * The DP over contiguous splits with stage k on device k-1: best[k][j] = min over i of
 * combine(best[k-1][i], value(blocks i..j-1)). Max gives the bottleneck, sum the latency.
 */
function chainDp(
  request: PlanRequest,
  value: (s: StagePlan) => number,
  combine: (a: number, b: number) => number,
): StagePlan[] {
  const { stages } = request;
  const L = request.blocks.length;
  const best = Array.from({ length: stages + 1 }, () => new Float64Array(L + 1).fill(Infinity));
  const from = Array.from({ length: stages + 1 }, () => new Int32Array(L + 1).fill(-1));
  best[0][0] = 0;
  for (let k = 1; k <= stages; k++) {
    for (let j = k; j <= L; j++) {
      for (let i = k - 1; i < j; i++) {
        if (best[k - 1][i] === Infinity) continue;
        const t = combine(best[k - 1][i], value(stageCost(request, i, j - 1, k - 1, j === L)));
        if (t < best[k][j]) [best[k][j], from[k][j]] = [t, i];
      }
    }
  }
  if (best[stages][L] === Infinity) throw new Error(`no ${stages}-stage plan fits the devices' memory`);
  const starts: number[] = [];
  for (let k = stages, j = L; k > 0; k--) {
    starts.unshift(from[k][j]);
    j = from[k][j];
  }
  return starts.map((i, s) => stageCost(request, i, (starts[s + 1] ?? L) - 1, s, s === stages - 1));
}

/** Minimum single-micro-batch latency with exactly `stages` stages on the devices in order. */
export const latencyPartitioner: Partitioner = {
  name: "latency",
  plan(request) {
    validate(request);
    const { blocks, stages } = request;
    const L = blocks.length;
    const cost = (s: StagePlan): number => (fits(request, s) ? s.computeMs + s.transferMs : Infinity);
    const plan = finishPlan(
      "latency",
      chainDp(request, cost, (a, b) => a + b),
    );
    const fastest = request.devices.reduce((b, d, i) => (d.speed > request.devices[b].speed ? i : b), 0);
    const whole = stageCost(request, 0, L - 1, fastest, true);
    if (stages > 1 && fits(request, whole) && whole.computeMs <= plan.endToEndMs) {
      plan.notes.push(
        `not splitting is faster for one micro-batch: ${whole.computeMs.toFixed(2)} ms on ${request.devices[fastest].name} ` +
          `versus ${plan.endToEndMs.toFixed(2)} ms over ${stages} stages; splitting pays off only in throughput or memory`,
      );
    }
    return plan;
  },
};

/** The partitioners by name. */
export const partitioners: Readonly<Record<string, Partitioner>> = Object.freeze({
  equal: equalPartitioner,
  pipeedge: pipeedgePartitioner,
  latency: latencyPartitioner,
});
