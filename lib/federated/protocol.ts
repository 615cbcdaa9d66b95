/**
 * Flower's client/server conversation, independent of the wire: the server instructs
 * (get parameters, fit, evaluate, reconnect) and the client replies. `Join` over gRPC is one
 * transport of it ({@link ./join-transport}); a second protocol (Flower's node-based Fleet API)
 * would be a second adapter implementing {@link ServerTransport} and {@link ClientTransport},
 * while the server's rounds and the client's training never see a socket.
 */

/** A value in a config or metrics map: Flower's `Scalar` (double, sint64, bool, string, bytes). */
export type Scalar = number | boolean | string | Uint8Array;

/** Flower's `Config` / `Metrics`: a map of scalars. */
export type ScalarMap = Record<string, Scalar>;

/** Flower's `Parameters`: one serialised tensor per entry; `numpy.ndarray` means `.npy` bytes. */
export interface WireParameters {
  tensors: Uint8Array[];
  tensorType: string;
}

/** Flower's status codes. */
export enum StatusCode {
  Ok = 0,
  GetPropertiesNotImplemented = 1,
  GetParametersNotImplemented = 2,
  FitNotImplemented = 3,
  EvaluateNotImplemented = 4,
}

/** A reply's status. */
export interface Status {
  code: StatusCode;
  message: string;
}

/** Why a client disconnects (Flower's `Reason`). */
export enum DisconnectReason {
  Unknown = 0,
  Reconnect = 1,
  PowerDisconnected = 2,
  WifiUnavailable = 3,
  Ack = 4,
}

/** What the server asks of a client. */
export type Instruction =
  | { kind: "getProperties"; config: ScalarMap }
  | { kind: "getParameters"; config: ScalarMap }
  | { kind: "fit"; parameters: WireParameters; config: ScalarMap }
  | { kind: "evaluate"; parameters: WireParameters; config: ScalarMap }
  /** Come back after `seconds`, or (null) leave for good. */
  | { kind: "reconnect"; seconds: number | null };

/** What a client answers. */
export type Reply =
  | { kind: "getProperties"; status: Status; properties: ScalarMap }
  | { kind: "getParameters"; status: Status; parameters: WireParameters }
  | { kind: "fit"; status: Status; parameters: WireParameters; numExamples: number; metrics: ScalarMap }
  | { kind: "evaluate"; status: Status; loss: number; numExamples: number; metrics: ScalarMap }
  | { kind: "disconnect"; reason: DisconnectReason };

/** The OK status. */
export const ok: Readonly<Status> = Object.freeze({ code: StatusCode.Ok, message: "Success" });

/** The server's handle on one connected client. */
export interface ClientProxy {
  /** A stable name for logs (the peer address). */
  readonly id: string;
  /**
   * Sends one instruction and resolves with the client's reply; rejects when the client goes away,
   * sends something malformed, or `timeoutMs` passes (null: no limit).
   */
  request(instruction: Instruction, timeoutMs: number | null): Promise<Reply>;
  /** Ends the connection without a reply. */
  close(): void;
}

/** Accepts clients for a server. */
export interface ServerTransport {
  /** Starts listening; `onJoin`/`onLeave` follow clients as they connect and go. Resolves with the bound address. */
  listen(onJoin: (client: ClientProxy) => void, onLeave: (client: ClientProxy) => void): Promise<string>;
  /** Stops accepting and closes every connection. */
  close(): Promise<void>;
}

/** Connects a client to a server. */
export interface ClientTransport {
  /**
   * Runs one session: every instruction goes to `answer`, whose reply is sent back. Resolves when
   * the server ends the session (a `reconnect` instruction) with the seconds it asked to wait.
   */
  session(answer: (instruction: Instruction) => Promise<Reply>): Promise<number | null>;
}
