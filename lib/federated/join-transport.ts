/**
 * Flower's `Join` protocol over gRPC (@grpc/grpc-js): one bidirectional stream per client on which
 * the server writes a `ServerMessage` and the client answers with one `ClientMessage`. The server
 * side turns each stream into a {@link ClientProxy}; the client side runs a session. Messages are
 * decoded here, so a malformed one fails that request (naming the peer), never the process.
 */
import * as grpc from "@grpc/grpc-js";
import {
  decodeInstruction,
  decodeReply,
  encodeInstruction,
  encodeReply,
  joinMethod,
  ProtocolError,
} from "./join-codec";
import {
  DisconnectReason,
  type ClientProxy,
  type ClientTransport,
  type Instruction,
  type Reply,
  type ServerTransport,
} from "./protocol";

/** Connection settings shared by server and client. */
export interface JoinOptions {
  /** Largest message either way, bytes (Flower's default: 512 MiB). */
  maxMessageBytes: number;
  /** PEM files for TLS: the server's certificate chain and key; the client's trusted root. Null: plaintext. */
  tls: { certificate: Buffer; privateKey: Buffer } | null;
  rootCertificate: Buffer | null;
}

/** Flower's limits, plaintext. */
export const defaultJoinOptions: Readonly<JoinOptions> = Object.freeze({
  maxMessageBytes: 536_870_912,
  tls: null,
  rootCertificate: null,
});

const bytes = (b: Buffer): Buffer => b;
const channelOptions = (o: JoinOptions): grpc.ChannelOptions => ({
  "grpc.max_send_message_length": o.maxMessageBytes,
  "grpc.max_receive_message_length": o.maxMessageBytes,
});

// A round sends one instruction object to many clients: encode it once.
const encoded = new WeakMap<Instruction, Buffer>();
const encodeOnce = (ins: Instruction): Buffer => {
  let bytes = encoded.get(ins);
  if (!bytes) {
    const raw = encodeInstruction(ins);
    bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    encoded.set(ins, bytes);
  }
  return bytes;
};

class JoinClientProxy implements ClientProxy {
  private pending: { resolve(r: Reply): void; reject(e: Error): void; timer: NodeJS.Timeout | null } | null = null;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly call: grpc.ServerDuplexStream<Buffer, Buffer>,
  ) {
    call.on("data", (data: Buffer) => {
      const waiting = this.pending;
      this.pending = null;
      if (waiting?.timer) clearTimeout(waiting.timer);
      if (!waiting) return this.fail(new ProtocolError(`${id}: sent a message nobody asked for`));
      try {
        waiting.resolve(decodeReply(data));
      } catch (err) {
        waiting.reject(new ProtocolError(`${id}: ${(err as Error).message}`));
        this.close();
      }
    });
    call.on("error", (err) => this.fail(new Error(`${id}: ${err.message}`)));
    call.on("cancelled", () => this.fail(new Error(`${id}: disconnected`)));
    call.on("end", () => this.fail(new Error(`${id}: closed the stream`)));
  }

  /** Settles what is waiting with `err` and marks the connection dead. */
  fail(err: Error): void {
    this.closed = true;
    const waiting = this.pending;
    this.pending = null;
    if (waiting?.timer) clearTimeout(waiting.timer);
    waiting?.reject(err);
  }

  get alive(): boolean {
    return !this.closed;
  }

  request(instruction: Instruction, timeoutMs: number | null): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error(`${this.id}: disconnected`));
    if (this.pending) return Promise.reject(new Error(`${this.id}: a request is already in flight`));
    return new Promise<Reply>((resolve, reject) => {
      const timer =
        timeoutMs === null
          ? null
          : setTimeout(() => {
              this.fail(new Error(`${this.id}: no reply within ${(timeoutMs / 1000).toFixed(1)} s`));
              this.call.emit("error", {
                code: grpc.status.DEADLINE_EXCEEDED,
                details: `Timeout of ${timeoutMs / 1000}sec was exceeded.`,
              });
            }, timeoutMs);
      this.pending = { resolve, reject, timer };
      this.call.write(encodeOnce(instruction));
    });
  }

  close(): void {
    if (!this.closed) this.fail(new Error(`${this.id}: closed by the server`));
    this.call.end();
  }
}

/** A server of Flower's `Join` stream on `address` (HOST:PORT; port 0 picks a free one). */
export class JoinServerTransport implements ServerTransport {
  private server: grpc.Server | null = null;
  private readonly proxies = new Set<JoinClientProxy>();

  constructor(
    private readonly address: string,
    private readonly options: JoinOptions = defaultJoinOptions,
  ) {}

  listen(onJoin: (client: ClientProxy) => void, onLeave: (client: ClientProxy) => void): Promise<string> {
    const server = new grpc.Server(channelOptions(this.options));
    let count = 0;
    server.addService(
      {
        Join: {
          path: joinMethod,
          requestStream: true,
          responseStream: true,
          requestSerialize: bytes,
          requestDeserialize: bytes,
          responseSerialize: bytes,
          responseDeserialize: bytes,
        },
      },
      {
        Join: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
          const proxy = new JoinClientProxy(`client ${++count} (${call.getPeer()})`, call);
          this.proxies.add(proxy);
          let left = false;
          const leave = (): void => {
            if (left) return;
            left = true;
            this.proxies.delete(proxy);
            onLeave(proxy);
          };
          call.on("end", leave);
          call.on("error", leave);
          call.on("cancelled", leave);
          call.on("close", leave);
          onJoin(proxy);
        },
      },
    );
    const credentials = this.options.tls
      ? grpc.ServerCredentials.createSsl(
          null,
          [{ cert_chain: this.options.tls.certificate, private_key: this.options.tls.privateKey }],
          false,
        )
      : grpc.ServerCredentials.createInsecure();
    this.server = server;
    return new Promise((resolve, reject) =>
      server.bindAsync(this.address, credentials, (err, port) => {
        if (err) return reject(new Error(`cannot listen on ${this.address}: ${err.message}`));
        resolve(`${this.address.replace(/:\d+$/, "")}:${port}`);
      }),
    );
  }

  async close(): Promise<void> {
    for (const p of this.proxies) p.close();
    const server = this.server;
    this.server = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}

/** A client of Flower's `Join` stream at `address` (HOST:PORT). */
export class JoinClientTransport implements ClientTransport {
  constructor(
    private readonly address: string,
    private readonly options: JoinOptions = defaultJoinOptions,
    /** How long to wait for the server to come up, ms. */
    private readonly connectTimeoutMs = 60_000,
  ) {}

  async session(answer: (instruction: Instruction) => Promise<Reply>): Promise<number | null> {
    const credentials = this.options.rootCertificate
      ? grpc.credentials.createSsl(this.options.rootCertificate)
      : grpc.credentials.createInsecure();
    const client = new grpc.Client(this.address, credentials, channelOptions(this.options));
    try {
      await new Promise<void>((resolve, reject) =>
        client.waitForReady(Date.now() + this.connectTimeoutMs, (err) =>
          err
            ? reject(new Error(`cannot reach a server at ${this.address} within ${this.connectTimeoutMs / 1000} s`))
            : resolve(),
        ),
      );
      const call = client.makeBidiStreamRequest<Buffer, Buffer>(joinMethod, bytes, bytes);
      return await new Promise<number | null>((resolve, reject) => {
        let done = false;
        let queue = Promise.resolve();
        call.on("data", (data: Buffer) => {
          // One instruction at a time, in order, as the protocol is strictly request/reply.
          queue = queue.then(async () => {
            if (done) return;
            let instruction: Instruction;
            try {
              instruction = decodeInstruction(data);
            } catch (err) {
              done = true;
              call.cancel();
              return reject(new ProtocolError(`server at ${this.address}: ${(err as Error).message}`));
            }
            if (instruction.kind === "reconnect") {
              done = true;
              call.write(
                Buffer.from(
                  encodeReply({
                    kind: "disconnect",
                    reason: instruction.seconds === null ? DisconnectReason.Ack : DisconnectReason.Reconnect,
                  }),
                ),
              );
              call.end();
              return resolve(instruction.seconds);
            }
            try {
              call.write(Buffer.from(encodeReply(await answer(instruction))));
            } catch (err) {
              done = true;
              call.cancel();
              reject(err as Error);
            }
          });
        });
        call.on("error", (err: grpc.ServiceError) => {
          if (done) return;
          done = true;
          reject(new Error(`server at ${this.address}: ${err.details || err.message}`));
        });
        call.on("end", () => {
          if (done) return;
          done = true;
          resolve(null);
        });
      });
    } finally {
      client.close();
    }
  }
}
