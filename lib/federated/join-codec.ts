/**
 * The wire format of Flower's `flwr.proto.FlowerService/Join` stream: `ServerMessage` and
 * `ClientMessage` as protobuf, described here field by field (names and numbers as Flower 1.x
 * defines them in `transport.proto`) and encoded with protobufjs. Pure: bytes in, typed
 * {@link Instruction}/{@link Reply} out, and back.
 */
import * as protobuf from "protobufjs";
import type { Instruction, Reply, Scalar, ScalarMap, Status, WireParameters } from "./protocol";

/** A message that does not decode, or decodes to nothing this protocol knows. */
export class ProtocolError extends Error {}

const scalarMap = { keyType: "string", type: "Scalar" };
const descriptor = {
  nested: {
    flwr: {
      nested: {
        proto: {
          nested: {
            Code: {
              values: {
                OK: 0,
                GET_PROPERTIES_NOT_IMPLEMENTED: 1,
                GET_PARAMETERS_NOT_IMPLEMENTED: 2,
                FIT_NOT_IMPLEMENTED: 3,
                EVALUATE_NOT_IMPLEMENTED: 4,
              },
            },
            Reason: { values: { UNKNOWN: 0, RECONNECT: 1, POWER_DISCONNECTED: 2, WIFI_UNAVAILABLE: 3, ACK: 4 } },
            Status: { fields: { code: { type: "Code", id: 1 }, message: { type: "string", id: 2 } } },
            Parameters: {
              fields: { tensors: { rule: "repeated", type: "bytes", id: 1 }, tensorType: { type: "string", id: 2 } },
            },
            Scalar: {
              oneofs: { scalar: { oneof: ["double", "sint64", "bool", "string", "bytes"] } },
              fields: {
                double: { type: "double", id: 1 },
                sint64: { type: "sint64", id: 8 },
                bool: { type: "bool", id: 13 },
                string: { type: "string", id: 14 },
                bytes: { type: "bytes", id: 15 },
              },
            },
            ServerMessage: {
              oneofs: {
                msg: { oneof: ["reconnectIns", "getPropertiesIns", "getParametersIns", "fitIns", "evaluateIns"] },
              },
              fields: {
                reconnectIns: { type: "ReconnectIns", id: 1 },
                getPropertiesIns: { type: "GetPropertiesIns", id: 2 },
                getParametersIns: { type: "GetParametersIns", id: 3 },
                fitIns: { type: "FitIns", id: 4 },
                evaluateIns: { type: "EvaluateIns", id: 5 },
              },
              nested: {
                ReconnectIns: { fields: { seconds: { type: "int64", id: 1 } } },
                GetPropertiesIns: { fields: { config: { ...scalarMap, id: 1 } } },
                GetParametersIns: { fields: { config: { ...scalarMap, id: 1 } } },
                FitIns: { fields: { parameters: { type: "Parameters", id: 1 }, config: { ...scalarMap, id: 2 } } },
                EvaluateIns: { fields: { parameters: { type: "Parameters", id: 1 }, config: { ...scalarMap, id: 2 } } },
              },
            },
            ClientMessage: {
              oneofs: {
                msg: { oneof: ["disconnectRes", "getPropertiesRes", "getParametersRes", "fitRes", "evaluateRes"] },
              },
              fields: {
                disconnectRes: { type: "DisconnectRes", id: 1 },
                getPropertiesRes: { type: "GetPropertiesRes", id: 2 },
                getParametersRes: { type: "GetParametersRes", id: 3 },
                fitRes: { type: "FitRes", id: 4 },
                evaluateRes: { type: "EvaluateRes", id: 5 },
              },
              nested: {
                DisconnectRes: { fields: { reason: { type: "Reason", id: 1 } } },
                GetPropertiesRes: {
                  fields: { status: { type: "Status", id: 1 }, properties: { ...scalarMap, id: 2 } },
                },
                GetParametersRes: {
                  fields: { status: { type: "Status", id: 1 }, parameters: { type: "Parameters", id: 2 } },
                },
                FitRes: {
                  fields: {
                    status: { type: "Status", id: 1 },
                    parameters: { type: "Parameters", id: 2 },
                    numExamples: { type: "int64", id: 3 },
                    metrics: { ...scalarMap, id: 4 },
                  },
                },
                EvaluateRes: {
                  fields: {
                    status: { type: "Status", id: 1 },
                    loss: { type: "float", id: 2 },
                    numExamples: { type: "int64", id: 3 },
                    metrics: { ...scalarMap, id: 4 },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

let types: { server: protobuf.Type; client: protobuf.Type } | null = null;
function messageTypes(): { server: protobuf.Type; client: protobuf.Type } {
  if (!types) {
    const root = protobuf.Root.fromJSON(descriptor);
    types = {
      server: root.lookupType("flwr.proto.ServerMessage"),
      client: root.lookupType("flwr.proto.ClientMessage"),
    };
  }
  return types;
}

/** The gRPC method path of Flower's bidirectional stream. */
export const joinMethod = "/flwr.proto.FlowerService/Join";

// Integers travel as sint64 and everything else numeric as double, as Flower's Python side does
// for `int` and `float`; a JavaScript number cannot tell 1 from 1.0, so whole numbers are ints.
const toScalar = (value: Scalar): Record<string, unknown> =>
  typeof value === "boolean"
    ? { bool: value }
    : typeof value === "string"
      ? { string: value }
      : value instanceof Uint8Array
        ? { bytes: value }
        : Number.isSafeInteger(value)
          ? { sint64: value }
          : { double: value };

const toScalarMap = (map: ScalarMap): Record<string, unknown> =>
  Object.fromEntries(Object.entries(map).map(([k, v]) => [k, toScalar(v)]));

// protobufjs hands out Node Buffers; callers get plain Uint8Array views (no copy).
const view = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function fromScalarMap(map: unknown): ScalarMap {
  const out: ScalarMap = {};
  for (const [key, raw] of Object.entries((map ?? {}) as Record<string, Record<string, unknown>>)) {
    const kind = raw.scalar as string | undefined;
    if (kind === undefined) throw new ProtocolError(`scalar "${key}" carries no value`);
    const value = raw[kind] as Scalar;
    out[key] = value instanceof Uint8Array ? view(value) : value;
  }
  return out;
}

const toParameters = (p: WireParameters): Record<string, unknown> => ({ tensors: p.tensors, tensorType: p.tensorType });
const fromParameters = (p: unknown): WireParameters => {
  const raw = (p ?? {}) as { tensors?: Uint8Array[]; tensorType?: string };
  return { tensors: (raw.tensors ?? []).map(view), tensorType: raw.tensorType ?? "" };
};
const fromStatus = (s: unknown): Status => {
  const raw = (s ?? {}) as { code?: number; message?: string };
  return { code: raw.code ?? 0, message: raw.message ?? "" };
};

function decode(type: protobuf.Type, bytes: Uint8Array): Record<string, Record<string, unknown>> & { msg?: string } {
  try {
    return type.toObject(type.decode(bytes), { longs: Number, enums: Number, oneofs: true }) as Record<
      string,
      Record<string, unknown>
    > & { msg?: string };
  } catch (err) {
    throw new ProtocolError(`not a ${type.name} (${(err as Error).message})`);
  }
}

/** Encodes a server instruction as a `ServerMessage`. */
export function encodeInstruction(ins: Instruction): Uint8Array {
  const body =
    ins.kind === "reconnect"
      ? { reconnectIns: ins.seconds === null ? {} : { seconds: ins.seconds } }
      : ins.kind === "getProperties"
        ? { getPropertiesIns: { config: toScalarMap(ins.config) } }
        : ins.kind === "getParameters"
          ? { getParametersIns: { config: toScalarMap(ins.config) } }
          : ins.kind === "fit"
            ? { fitIns: { parameters: toParameters(ins.parameters), config: toScalarMap(ins.config) } }
            : { evaluateIns: { parameters: toParameters(ins.parameters), config: toScalarMap(ins.config) } };
  const { server } = messageTypes();
  return server.encode(server.fromObject(body)).finish();
}

/** Decodes a `ServerMessage`; throws {@link ProtocolError} on anything else. */
export function decodeInstruction(bytes: Uint8Array): Instruction {
  const m = decode(messageTypes().server, bytes);
  switch (m.msg) {
    case "reconnectIns":
      return { kind: "reconnect", seconds: m.reconnectIns.seconds ? Number(m.reconnectIns.seconds) : null };
    case "getPropertiesIns":
      return { kind: "getProperties", config: fromScalarMap(m.getPropertiesIns.config) };
    case "getParametersIns":
      return { kind: "getParameters", config: fromScalarMap(m.getParametersIns.config) };
    case "fitIns":
      return { kind: "fit", parameters: fromParameters(m.fitIns.parameters), config: fromScalarMap(m.fitIns.config) };
    case "evaluateIns":
      return {
        kind: "evaluate",
        parameters: fromParameters(m.evaluateIns.parameters),
        config: fromScalarMap(m.evaluateIns.config),
      };
    default:
      throw new ProtocolError("ServerMessage carries no instruction");
  }
}

/** Encodes a client reply as a `ClientMessage`. */
export function encodeReply(reply: Reply): Uint8Array {
  const body =
    reply.kind === "disconnect"
      ? { disconnectRes: { reason: reply.reason } }
      : reply.kind === "getProperties"
        ? { getPropertiesRes: { status: reply.status, properties: toScalarMap(reply.properties) } }
        : reply.kind === "getParameters"
          ? { getParametersRes: { status: reply.status, parameters: toParameters(reply.parameters) } }
          : reply.kind === "fit"
            ? {
                fitRes: {
                  status: reply.status,
                  parameters: toParameters(reply.parameters),
                  numExamples: reply.numExamples,
                  metrics: toScalarMap(reply.metrics),
                },
              }
            : {
                evaluateRes: {
                  status: reply.status,
                  loss: reply.loss,
                  numExamples: reply.numExamples,
                  metrics: toScalarMap(reply.metrics),
                },
              };
  const { client } = messageTypes();
  return client.encode(client.fromObject(body)).finish();
}

/** Decodes a `ClientMessage`; throws {@link ProtocolError} on anything else. */
export function decodeReply(bytes: Uint8Array): Reply {
  const m = decode(messageTypes().client, bytes);
  const count = (v: unknown): number => {
    const n = Number(v ?? 0);
    if (!Number.isSafeInteger(n) || n < 0) throw new ProtocolError(`num_examples ${String(v)} is not a count`);
    return n;
  };
  switch (m.msg) {
    case "disconnectRes":
      return { kind: "disconnect", reason: Number(m.disconnectRes.reason ?? 0) };
    case "getPropertiesRes":
      return {
        kind: "getProperties",
        status: fromStatus(m.getPropertiesRes.status),
        properties: fromScalarMap(m.getPropertiesRes.properties),
      };
    case "getParametersRes":
      return {
        kind: "getParameters",
        status: fromStatus(m.getParametersRes.status),
        parameters: fromParameters(m.getParametersRes.parameters),
      };
    case "fitRes":
      return {
        kind: "fit",
        status: fromStatus(m.fitRes.status),
        parameters: fromParameters(m.fitRes.parameters),
        numExamples: count(m.fitRes.numExamples),
        metrics: fromScalarMap(m.fitRes.metrics),
      };
    case "evaluateRes":
      return {
        kind: "evaluate",
        status: fromStatus(m.evaluateRes.status),
        loss: Number(m.evaluateRes.loss ?? 0),
        numExamples: count(m.evaluateRes.numExamples),
        metrics: fromScalarMap(m.evaluateRes.metrics),
      };
    default:
      throw new ProtocolError("ClientMessage carries no reply");
  }
}
