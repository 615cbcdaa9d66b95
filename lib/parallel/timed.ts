/**
 * A Communicator wrapper that measures the time spent inside collectives — communication plus
 * waiting for slower ranks — for the per-step compute/communication breakdown.
 */
import type { Communicator } from "./communicator";

/** Wraps `inner`, accumulating seconds and calls. */
export class TimedCommunicator implements Communicator {
  seconds = 0;
  calls = 0;

  constructor(private readonly inner: Communicator) {}

  get rank(): number {
    return this.inner.rank;
  }
  get size(): number {
    return this.inner.size;
  }
  get kind(): string {
    return this.inner.kind;
  }

  private async time<T>(fn: () => T | Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.seconds += (performance.now() - t0) / 1000;
      this.calls++;
    }
  }

  allreduceSum(buf: Float32Array): Promise<void> {
    return this.time(() => this.inner.allreduceSum(buf));
  }
  allreduceMean(buf: Float32Array): Promise<void> {
    return this.time(() => this.inner.allreduceMean(buf));
  }
  allreduceMax(buf: Float64Array): Promise<void> {
    return this.time(() => this.inner.allreduceMax(buf));
  }
  bcast(buf: Float32Array | Int32Array, root?: number): Promise<void> {
    return this.time(() => this.inner.bcast(buf, root));
  }
  gather(send: Float32Array, root?: number): Promise<Float32Array | null> {
    return this.time(() => this.inner.gather(send, root));
  }
  barrier(): Promise<void> {
    return this.time(() => this.inner.barrier());
  }
  finalize(): void {
    this.inner.finalize();
  }
}
