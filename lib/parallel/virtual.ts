/**
 * N virtual ranks in one process, for the statistical half of a scaling study (accuracy versus
 * np up to 48 without 48 cores). Each rank's collectives return promises that settle when every
 * rank has made the same call; ranks must call collectives in the same order, as under MPI, and a
 * mismatch is an error naming both calls. Ranks run as concurrent `train()` calls in one event loop.
 */
import type { Communicator } from "./communicator";

type Op = "sum" | "mean" | "max" | "bcast" | "gather" | "barrier";
interface Arrival {
  op: Op;
  buf: Float32Array | Float64Array | Int32Array | null;
  root: number;
  resolve: (value: Float32Array | null) => void;
}

class VirtualWorld {
  private readonly rounds = new Map<number, Arrival[]>();
  private readonly calls: number[];
  constructor(readonly size: number) {
    this.calls = new Array<number>(size).fill(0);
  }

  arrive(rank: number, op: Op, buf: Arrival["buf"], root = 0): Promise<Float32Array | null> {
    const round = this.calls[rank]++;
    return new Promise((resolve) => {
      const arrivals = this.rounds.get(round) ?? [];
      this.rounds.set(round, arrivals);
      arrivals[rank] = { op, buf, root, resolve };
      if (arrivals.filter(Boolean).length === this.size) {
        this.rounds.delete(round);
        this.complete(round, arrivals);
      }
    });
  }

  private complete(round: number, a: Arrival[]): void {
    const op = a[0].op;
    const odd = a.findIndex((x) => x.op !== op || (x.buf?.length ?? 0) !== (a[0].buf?.length ?? 0));
    if (odd >= 0)
      throw new Error(
        `virtual ranks disagree at collective #${round}: rank 0 called ${op}(${a[0].buf?.length ?? 0}), rank ${odd} called ${a[odd].op}(${a[odd].buf?.length ?? 0})`,
      );
    if (op === "sum" || op === "mean" || op === "max") {
      const n = a[0].buf!.length;
      const acc = new Float64Array(n);
      if (op === "max") acc.fill(-Infinity);
      for (const x of a)
        for (let i = 0; i < n; i++) acc[i] = op === "max" ? Math.max(acc[i], x.buf![i]) : acc[i] + x.buf![i];
      if (op === "mean") for (let i = 0; i < n; i++) acc[i] /= this.size;
      for (const x of a) x.buf!.set(acc);
      a.forEach((x) => x.resolve(null));
    } else if (op === "bcast") {
      const src = a[a[0].root].buf!;
      a.forEach((x) => {
        if (x.buf !== src) x.buf!.set(src);
        x.resolve(null);
      });
    } else if (op === "gather") {
      const n = a[0].buf!.length;
      const all = new Float32Array(n * this.size);
      a.forEach((x, r) => all.set(x.buf!, r * n));
      a.forEach((x, r) => x.resolve(r === a[0].root ? all : null));
    } else {
      a.forEach((x) => x.resolve(null));
    }
  }
}

/** One virtual rank's communicator. */
class VirtualCommunicator implements Communicator {
  readonly kind = "virtual";
  constructor(
    private readonly world: VirtualWorld,
    readonly rank: number,
  ) {}
  get size(): number {
    return this.world.size;
  }
  async allreduceSum(buf: Float32Array): Promise<void> {
    await this.world.arrive(this.rank, "sum", buf);
  }
  async allreduceMean(buf: Float32Array): Promise<void> {
    await this.world.arrive(this.rank, "mean", buf);
  }
  async allreduceMax(buf: Float64Array): Promise<void> {
    await this.world.arrive(this.rank, "max", buf);
  }
  async bcast(buf: Float32Array | Int32Array, root = 0): Promise<void> {
    await this.world.arrive(this.rank, "bcast", buf, root);
  }
  gather(send: Float32Array, root = 0): Promise<Float32Array | null> {
    return this.world.arrive(this.rank, "gather", send, root);
  }
  async barrier(): Promise<void> {
    await this.world.arrive(this.rank, "barrier", null);
  }
  finalize(): void {}
}

/** Communicators for `size` virtual ranks sharing one world. */
export function virtualWorld(size: number): Communicator[] {
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`virtual world size must be a positive integer, got ${size}`);
  const world = new VirtualWorld(size);
  return Array.from({ length: size }, (_, r) => new VirtualCommunicator(world, r));
}
