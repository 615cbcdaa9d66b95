/**
 * A federated client over any {@link ClientTransport}: a {@link ClientApp} (what training means)
 * answers the server's instructions; parameters cross the wire as `.npy` tensors and are checked
 * against the app's layout before the app sees them. When the server asks the client to come back
 * later (reconnect with seconds), it waits and joins again, as Flower's clients do.
 */
import { type ClientTransport, type Instruction, ok, type Reply, type ScalarMap, StatusCode } from "./protocol";
import { fromWire, toWire, type FlatParameters } from "./tensors";

/** What a federated client does; edgelab's is {@link ModelClientApp}, a test's may be tiny. */
export interface ClientApp {
  /** The current local parameters. */
  getParameters(config: ScalarMap): Promise<FlatParameters>;
  /** Trains from `parameters`; returns the new parameters, the examples used and metrics. */
  fit(
    parameters: FlatParameters,
    config: ScalarMap,
  ): Promise<{ parameters: FlatParameters; numExamples: number; metrics: ScalarMap }>;
  /** Evaluates `parameters` on local data. */
  evaluate(
    parameters: FlatParameters,
    config: ScalarMap,
  ): Promise<{ loss: number; numExamples: number; metrics: ScalarMap }>;
  /** The tensor shapes the app accepts; null accepts any. */
  readonly shapes: number[][] | null;
}

/** Turns instructions into replies through `app`; a failure becomes a non-OK status, not a crash. */
export function answerWith(
  app: ClientApp,
  log: (line: string) => void = () => {},
): (instruction: Instruction) => Promise<Reply> {
  return async (ins) => {
    try {
      switch (ins.kind) {
        case "getProperties":
          return {
            kind: "getProperties",
            status: { code: StatusCode.GetPropertiesNotImplemented, message: "edgelab clients have no properties" },
            properties: {},
          };
        case "getParameters":
          return { kind: "getParameters", status: ok, parameters: toWire(await app.getParameters(ins.config)) };
        case "fit": {
          const out = await app.fit(fromWire(ins.parameters, app.shapes ?? undefined), ins.config);
          return {
            kind: "fit",
            status: ok,
            parameters: toWire(out.parameters),
            numExamples: out.numExamples,
            metrics: out.metrics,
          };
        }
        case "evaluate": {
          const out = await app.evaluate(fromWire(ins.parameters, app.shapes ?? undefined), ins.config);
          return { kind: "evaluate", status: ok, loss: out.loss, numExamples: out.numExamples, metrics: out.metrics };
        }
        case "reconnect":
          throw new Error("reconnect is handled by the transport");
      }
    } catch (err) {
      const message = (err as Error).message;
      log(`${ins.kind} failed: ${message}`);
      const status = {
        code: ins.kind === "fit" ? StatusCode.FitNotImplemented : StatusCode.EvaluateNotImplemented,
        message,
      };
      if (ins.kind === "fit")
        return { kind: "fit", status, parameters: { tensors: [], tensorType: "" }, numExamples: 0, metrics: {} };
      if (ins.kind === "getParameters")
        return {
          kind: "getParameters",
          status: { code: StatusCode.GetParametersNotImplemented, message },
          parameters: { tensors: [], tensorType: "" },
        };
      return { kind: "evaluate", status, loss: 0, numExamples: 0, metrics: {} };
    }
  };
}

/**
 * Runs sessions until the server says goodbye (reconnect without seconds) or `maxSessions` ran.
 * Resolves with the number of sessions.
 */
export async function runClient(
  transport: ClientTransport,
  app: ClientApp,
  options: { log?: (line: string) => void; maxSessions?: number } = {},
): Promise<number> {
  const log = options.log ?? (() => {});
  const answer = answerWith(app, log);
  for (let session = 1; ; session++) {
    const seconds = await transport.session(answer);
    if (seconds === null || session >= (options.maxSessions ?? Number.POSITIVE_INFINITY)) return session;
    log(`server asked to reconnect in ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
}
