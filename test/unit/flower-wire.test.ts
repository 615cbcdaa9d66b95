/**
 * Flower's `Join` wire format and parameter tensors: golden bytes made by Flower 1.4.0's own
 * `transport_pb2` decode to what Flower meant, everything edgelab encodes decodes back, and
 * malformed messages or tensors are refused with a message saying what is wrong. `.npz` archives
 * round-trip and, where NumPy exists, load in NumPy.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { deflateRawSync } from "node:zlib";
import { encodeNpy, encodeNpz, parseNpz, readNpz, writeNpz } from "../../lib/deploy";
import {
  decodeInstruction,
  decodeReply,
  encodeInstruction,
  encodeReply,
  fromWire,
  ProtocolError,
  toWire,
  type Instruction,
  type Reply,
} from "../../lib/federated";
import { tempDir } from "../helpers/paths";

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
// Made with Flower 1.4.0 (flwr.proto.transport_pb2, SerializeToString(deterministic=True)).
const flowerFitIns = hex(
  "225e0a180a0201020a03616263120d6e756d70792e6e646172726179120c0a0665706f63687312024003120a0a04666c616712026801120f0a026c721209099a9999999999b93f120b0a046e616d651203720178120a0a0372617712037a0107",
);
const flowerFitRes = hex(
  "22360a0912075375636365737312120a0109120d6e756d70792e6e6461727261791887ad4b22110a046c6f7373120909000000000000d03f",
);
const flowerEvaluateRes = hex("2a0f0a06080412026e6f150000c03f1803");
const flowerReconnect = hex("0a020805");

test("Flower's own bytes decode: FitIns with every Scalar kind, FitRes, EvaluateRes, ReconnectIns", () => {
  const fit = decodeInstruction(flowerFitIns);
  assert.equal(fit.kind, "fit");
  if (fit.kind !== "fit") return;
  assert.deepEqual(
    fit.parameters.tensors.map((t) => [...t]),
    [
      [1, 2],
      [97, 98, 99],
    ],
  );
  assert.equal(fit.parameters.tensorType, "numpy.ndarray");
  assert.deepEqual(
    { ...fit.config, raw: [...(fit.config.raw as Uint8Array)] },
    { lr: 0.1, epochs: -2, flag: true, name: "x", raw: [7] },
  );
  const res = decodeReply(flowerFitRes);
  assert.equal(res.kind, "fit");
  if (res.kind === "fit") {
    assert.equal(res.numExamples, 1234567);
    assert.equal(res.status.message, "Success");
    assert.deepEqual(res.metrics, { loss: 0.25 });
  }
  assert.deepEqual(decodeReply(flowerEvaluateRes), {
    kind: "evaluate",
    status: { code: 4, message: "no" },
    loss: 1.5,
    numExamples: 3,
    metrics: {},
  });
  assert.deepEqual(decodeInstruction(flowerReconnect), { kind: "reconnect", seconds: 5 });
});

test("what edgelab encodes decodes back, and integers stay sint64 while fractions are doubles", () => {
  const parameters = { tensors: [Uint8Array.from([1, 2, 3])], tensorType: "numpy.ndarray" };
  const instructions: Instruction[] = [
    { kind: "getParameters", config: {} },
    { kind: "fit", parameters, config: { proximal_mu: 0.01, local_epochs: 2, note: "x", on: false } },
    { kind: "evaluate", parameters, config: { server_round: 3 } },
    { kind: "reconnect", seconds: null },
    { kind: "reconnect", seconds: 30 },
  ];
  for (const ins of instructions) assert.deepEqual(decodeInstruction(encodeInstruction(ins)), ins);
  const replies: Reply[] = [
    { kind: "getParameters", status: { code: 0, message: "Success" }, parameters },
    {
      kind: "fit",
      status: { code: 0, message: "Success" },
      parameters,
      numExamples: 17,
      metrics: { train_loss: 0.5, train_seconds: 1.25 },
    },
    {
      kind: "evaluate",
      status: { code: 0, message: "Success" },
      loss: 0.75,
      numExamples: 9,
      metrics: { accuracy: 0.5 },
    },
    { kind: "disconnect", reason: 4 },
  ];
  for (const r of replies) assert.deepEqual(decodeReply(encodeReply(r)), r);
  // Flower's bytes for epochs = -2 are a zig-zag sint64 (field 8): the same bytes come out of edgelab.
  const ours = Buffer.from(
    encodeInstruction({ kind: "fit", parameters: { tensors: [], tensorType: "" }, config: { epochs: -2 } }),
  ).toString("hex");
  assert.match(ours, /4003/, "sint64 -2 is 0x40 0x03 on the wire");
});

test("garbage, empty and wrong-direction messages are a ProtocolError, never a crash", () => {
  assert.throws(() => decodeReply(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f])), ProtocolError);
  assert.throws(() => decodeReply(new Uint8Array(0)), /carries no reply/);
  assert.throws(() => decodeInstruction(Uint8Array.from([0x22, 0x10, 0x01])), ProtocolError);
  for (let seed = 1; seed <= 200; seed++) {
    const bytes = Uint8Array.from({ length: 1 + (seed % 40) }, (_, i) => (seed * 131 + i * 71) & 0xff);
    try {
      decodeReply(bytes);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `seed ${seed}: ${(err as Error).message}`);
    }
  }
});

test("parameters as .npy tensors: layout kept, float64 accepted, wrong count/shape/dtype/NaN refused", () => {
  const flat = Float32Array.from({ length: 10 }, (_, i) => i / 4);
  const wire = toWire({ flat, shapes: [[2, 3], [4]] });
  assert.deepEqual(fromWire(wire, [[2, 3], [4]]), { flat, shapes: [[2, 3], [4]] });
  const f64 = {
    tensors: [encodeNpy({ dtype: "float64", shape: [2], data: Float64Array.from([1.5, -2]) })],
    tensorType: "numpy.ndarray",
  };
  assert.deepEqual([...fromWire(f64, [[2]]).flat], [1.5, -2]);
  assert.throws(() => fromWire(wire, [[2, 3]]), /2 tensors, the model has 1/);
  assert.throws(() => fromWire(wire, [[3, 2], [4]]), /tensor 0 has shape \[2, 3\], the model's is \[3, 2\]/);
  const ints = {
    tensors: [encodeNpy({ dtype: "int32", shape: [1], data: Int32Array.from([1]) })],
    tensorType: "numpy.ndarray",
  };
  assert.throws(() => fromWire(ints), /dtype int32/);
  const nan = {
    tensors: [encodeNpy({ dtype: "float32", shape: [2], data: Float32Array.from([0, Number.NaN]) })],
    tensorType: "numpy.ndarray",
  };
  assert.throws(() => fromWire(nan), /value 1 is NaN/);
  assert.throws(
    () => fromWire({ tensors: [Uint8Array.from([1, 2, 3])], tensorType: "numpy.ndarray" }),
    /not a NumPy \.npy file/,
  );
  assert.throws(() => fromWire({ tensors: [], tensorType: "torch.Tensor" }), /tensor_type "torch.Tensor"/);
});

test(".npz: written as np.savez names it, read back stored or deflated, damage named", () => {
  const dir = tempDir("edgelab-npz-");
  const a = { dtype: "float32" as const, shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) };
  const b = { dtype: "int64" as const, shape: [3], data: BigInt64Array.from([1n, -2n, 3n]) };
  const path = join(dir, "p.npz");
  writeNpz(path, [a, b]);
  const back = readNpz(path);
  assert.deepEqual([...back.keys()], ["arr_0", "arr_1"]);
  assert.deepEqual(back.get("arr_0"), a);
  assert.deepEqual(back.get("arr_1"), b);
  // A deflated entry (np.savez_compressed): rewrite the stored archive's one entry with method 8.
  const stored = encodeNpz([["w", a]]);
  const npy = encodeNpy(a);
  const deflated = deflateRawSync(npy);
  const local = Buffer.from(stored.subarray(0, 30 + 5));
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(deflated.length, 18);
  const central = Buffer.from(stored.subarray(30 + 5 + npy.length, stored.length - 22));
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(deflated.length, 20);
  central.writeUInt32LE(0, 42);
  const end = Buffer.from(stored.subarray(stored.length - 22));
  end.writeUInt32LE(local.length + deflated.length, 16);
  assert.deepEqual(parseNpz(Buffer.concat([local, deflated, central, end])).get("w"), a);
  assert.throws(
    () => parseNpz(Buffer.from("not a zip at all, just text that is long enough")),
    /no ZIP end-of-directory/,
  );
  assert.throws(() => parseNpz(stored.subarray(0, stored.length - 40), "cut.npz"), /cut\.npz/);
  const numpy = spawnSync(
    "/usr/bin/python3",
    ["-c", `import numpy as np; z = np.load(${JSON.stringify(path)}); print(z["arr_0"].tolist(), z["arr_1"].tolist())`],
    { encoding: "utf8" },
  );
  if (numpy.status === 0) assert.equal(numpy.stdout.trim(), "[[1.0, 2.0], [3.0, 4.0]] [1, -2, 3]");
});
