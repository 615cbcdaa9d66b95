/**
 * Partitioning a labelled dataset over federated clients, with Flower Datasets' semantics and a
 * seed: IID, Dirichlet over classes (α, minimum partition size, self-balancing), pathological
 * (k classes per client) and shards (sorted by label, k shards per client, McMahan et al.). Pure:
 * labels in, index lists out.
 */
import { Rng } from "../random/rng";

/** A partitioning as typed on the command line. */
export type PartitionSpec =
  | { kind: "iid" }
  | { kind: "dirichlet"; alpha: number; minPartitionSize: number; selfBalancing: boolean }
  | { kind: "pathological"; classesPerClient: number }
  | { kind: "shard"; shardsPerClient: number };

/** `iid`, `dirichlet:ALPHA`, `pathological:K`, `shard:K`. */
export function parsePartition(spec: string): PartitionSpec {
  const [kind, arg] = spec.split(":");
  const num = (): number => {
    const v = Number(arg);
    if (arg === undefined || !(v > 0))
      throw new Error(`partition ${spec}: needs a positive number, e.g. ${kind}:${kind === "dirichlet" ? "0.3" : "2"}`);
    return v;
  };
  if (kind === "iid") return { kind };
  if (kind === "dirichlet") return { kind, alpha: num(), minPartitionSize: 10, selfBalancing: false };
  if (kind === "pathological") return { kind, classesPerClient: Math.round(num()) };
  if (kind === "shard") return { kind, shardsPerClient: Math.round(num()) };
  throw new Error(`unknown partition "${spec}"; choose iid, dirichlet:ALPHA, pathological:K, shard:K`);
}

function shuffled(indices: number[], rng: Rng): number[] {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [indices[i], indices[j]] = [indices[j], indices[i]];
  }
  return indices;
}

function byClass(labels: ArrayLike<number>): number[][] {
  const classes: number[][] = [];
  for (let i = 0; i < labels.length; i++) (classes[labels[i]] ??= []).push(i);
  return classes.map((c) => c ?? []);
}

/** Splits `items` into `parts` runs whose sizes follow `weights` (rounded down, remainder to the last). */
function splitByWeights(items: number[], weights: number[]): number[][] {
  const total = weights.reduce((a, b) => a + b, 0);
  const out: number[][] = [];
  let start = 0;
  weights.forEach((w, p) => {
    const end = p === weights.length - 1 ? items.length : start + Math.floor((items.length * w) / total);
    out.push(items.slice(start, end));
    start = end;
  });
  return out;
}

/** Client index lists (each sorted) for `clients` clients. */
export function partitionLabels(
  labels: ArrayLike<number>,
  clients: number,
  spec: PartitionSpec,
  seed = 0,
): Int32Array[] {
  if (!Number.isInteger(clients) || clients < 1) throw new Error(`clients must be a positive integer, got ${clients}`);
  if (labels.length < clients) throw new Error(`${labels.length} samples cannot fill ${clients} clients`);
  const rng = new Rng(seed);
  const parts: number[][] = Array.from({ length: clients }, () => []);
  const classes = byClass(labels);
  if (spec.kind === "iid") {
    const all = shuffled(
      Array.from({ length: labels.length }, (_, i) => i),
      rng,
    );
    all.forEach((idx, i) => parts[i % clients].push(idx));
  } else if (spec.kind === "dirichlet") {
    const fair = labels.length / clients;
    for (let attempt = 0; ; attempt++) {
      parts.forEach((p) => (p.length = 0));
      for (const members of classes) {
        if (members.length === 0) continue;
        const draws = parts.map(() => rng.gamma(spec.alpha));
        // Self-balancing (Flower Datasets): clients already above a fair share get no more.
        const weights = draws.map((d, p) => (spec.selfBalancing && parts[p].length >= fair ? 0 : d));
        const sum = weights.reduce((a, b) => a + b, 0);
        splitByWeights(shuffled([...members], rng), sum > 0 ? weights : draws).forEach((chunk, p) =>
          parts[p].push(...chunk),
        );
      }
      if (Math.min(...parts.map((p) => p.length)) >= Math.min(spec.minPartitionSize, Math.floor(fair))) break;
      if (attempt >= 50)
        throw new Error(
          `dirichlet:${spec.alpha}: no partition with ≥ ${spec.minPartitionSize} samples per client after 50 draws; raise α or lower the client count`,
        );
    }
  } else if (spec.kind === "pathological") {
    const C = classes.length;
    const k = Math.min(spec.classesPerClient, C);
    // Client i holds classes i, i+1, …, i+k−1 (mod C); each class is split among its holders.
    const holders: number[][] = Array.from({ length: C }, () => []);
    for (let i = 0; i < clients; i++) for (let j = 0; j < k; j++) holders[(i + j) % C].push(i);
    classes.forEach((members, c) => {
      if (holders[c].length === 0) return;
      splitByWeights(
        shuffled([...members], rng),
        holders[c].map(() => 1),
      ).forEach((chunk, h) => parts[holders[c][h]].push(...chunk));
    });
  } else {
    const sorted = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => labels[a] - labels[b] || a - b);
    const shards = splitByWeights(
      sorted,
      Array.from({ length: clients * spec.shardsPerClient }, () => 1),
    );
    shuffled(
      Array.from({ length: shards.length }, (_, i) => i),
      rng,
    ).forEach((s, i) => parts[i % clients].push(...shards[s]));
  }
  return parts.map((p) => Int32Array.from(p.sort((a, b) => a - b)));
}

/** Per-client label histogram: rows clients, columns classes. */
export function labelHistogram(labels: ArrayLike<number>, parts: readonly Int32Array[], classes: number): number[][] {
  return parts.map((p) => {
    const row = new Array<number>(classes).fill(0);
    for (const i of p) row[labels[i]]++;
    return row;
  });
}
