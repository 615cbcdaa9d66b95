/**
 * The point-to-point links between pipeline stages: MPI ranks under mpiexec (the training
 * communicator's blocking `MPI_Send`/`MPI_Recv` of whole typed arrays, each under the job's
 * watchdog so a dead neighbour ends the job with one line), or a world of one stage that never sends.
 */
import { MpiCommunicator } from "../parallel/communicator";
import { launchedByMpi } from "../native/mpi";

/** Buffers a link carries. */
export type LinkBuffer = Float32Array | Float64Array | Int32Array;

/** What a stage needs from its transport. */
export interface StageLink {
  readonly rank: number;
  readonly size: number;
  readonly kind: string;
  send(buf: LinkBuffer, dest: number, tag: number): void;
  recv(buf: LinkBuffer, source: number, tag: number): void;
  /** Whether a message from `source` with `tag` is waiting (never blocks). */
  iprobe(source: number, tag: number): boolean;
  finalize(): void;
  /** Ends every rank of the job at once (a failed stage must not leave its neighbours waiting). */
  abort(code: number): never;
}

/** One stage, no neighbours. */
export class SoloLink implements StageLink {
  readonly rank = 0;
  readonly size = 1;
  readonly kind = "self";
  send(): void {
    throw new Error("a one-stage pipeline has no neighbour to send to");
  }
  recv(): void {
    throw new Error("a one-stage pipeline has no neighbour to receive from");
  }
  iprobe(): boolean {
    return false;
  }
  finalize(): void {}
  abort(code: number): never {
    process.exit(code);
  }
}

/** MPI when launched by mpiexec, else one stage. */
export function stageLink(): StageLink {
  // The training communicator already binds MPI under a watchdog; it speaks point to point too.
  return launchedByMpi() ? new MpiCommunicator() : new SoloLink();
}

/** Sends a JSON value as a length then Int32 words of UTF-8. */
export function sendJson(link: StageLink, value: unknown, dest: number, tag: number): void {
  const bytes = Buffer.from(JSON.stringify(value), "utf8");
  const words = new Int32Array(Math.ceil(bytes.length / 4));
  new Uint8Array(words.buffer).set(bytes);
  link.send(Int32Array.of(bytes.length), dest, tag);
  link.send(words, dest, tag + 1);
}

/** Receives what {@link sendJson} sent. */
export function recvJson<T>(link: StageLink, source: number, tag: number): T {
  const length = new Int32Array(1);
  link.recv(length, source, tag);
  const words = new Int32Array(Math.ceil(length[0] / 4));
  link.recv(words, source, tag + 1);
  return JSON.parse(Buffer.from(words.buffer, 0, length[0]).toString("utf8")) as T;
}
