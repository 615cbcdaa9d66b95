import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { test } from "node:test";
import {
  decodeCifarPickle,
  dictGet,
  encodeCifarPickle,
  unpickle,
  type NdArray,
  type PickleValue,
} from "../../lib/data";
import { fixture } from "../helpers/paths";

const expectedPixel = (i: number): number => i % 251;

test("reads a CIFAR batch pickled by real Python + NumPy (protocol 2 and 4)", () => {
  for (const name of ["cifar-py-numpy-protocol2.pkl", "cifar-py-numpy-protocol4.pkl"]) {
    const { chw, labels } = decodeCifarPickle(readFileSync(fixture(name)), name);
    assert.equal(labels.length, 12, name);
    assert.deepEqual(
      Array.from(labels),
      Array.from({ length: 12 }, (_, i) => i % 10),
    );
    assert.equal(chw.length, 12 * 3072);
    for (const i of [0, 1, 250, 251, 3071, 3072, 36863]) assert.equal(chw[i], expectedPixel(i), `${name} byte ${i}`);
  }
});

test("every pickle protocol 0–5 and NumPy 1.x and 2.x array layouts read the same (fixtures made by test/fixtures/pickle/make.py)", () => {
  const names = [0, 1, 2, 3, 4, 5]
    .map((p) => `numpy1-protocol${p}.pkl`)
    .concat(["numpy2-protocol2.pkl", "numpy2-protocol5.pkl"]);
  const int16 = (a: NdArray): number[] => Array.from(new Int16Array(Uint8Array.from(a.data).buffer));
  for (const name of names) {
    const value = unpickle(readFileSync(fixture("pickle", name)), name);
    assert.ok(value instanceof Map, name);
    const get = (key: string): PickleValue | undefined => dictGet(value, key);
    const data = get("data") as NdArray;
    assert.deepEqual(
      [data.kind, data.dtype, data.shape, data.fortranOrder],
      ["ndarray", "|u1", [2, 3, 4], false],
      name,
    );
    assert.deepEqual(
      Array.from(data.data),
      Array.from({ length: 24 }, (_, i) => (i * 10) & 0xff),
      name,
    );
    const weights = get("weights") as NdArray;
    assert.deepEqual([weights.dtype, weights.shape], ["<f4", [2, 2]], name);
    assert.deepEqual(
      Array.from(new Float32Array(Uint8Array.from(weights.data).buffer)),
      [1.5, -2.25, 3, Math.fround(1e-3)],
      name,
    );
    const fortran = get("fortran") as NdArray;
    assert.deepEqual([fortran.dtype, fortran.shape, fortran.fortranOrder], ["<i2", [2, 3], true], name);
    assert.deepEqual(int16(fortran), [0, 3, 1, 4, 2, 5], `${name}: column-major bytes`);
    assert.deepEqual(get("labels"), [0, 7, 255, 70000, -3], name);
    assert.equal(get("name"), "batch 1 of 5 — naïve", name);
    assert.deepEqual(Array.from(get("raw") as Uint8Array), [0, 255, 10, 97, 98, 99], name);
    assert.deepEqual([get("ratio"), get("flag"), get("nothing"), get("big")], [0.1, true, null, 2n ** 70n], name);
  }
});

test("protocol 5's out-of-band buffers are refused: their data is not in the file", () => {
  const outOfBand = Buffer.from([0x80, 5, 0x97, 0x2e]);
  assert.throws(
    () => unpickle(outOfBand, "oob.pkl"),
    /oob\.pkl: unsupported pickle content: an out-of-band buffer at byte 2/,
  );
  assert.throws(
    () => unpickle(Buffer.from("I12x\n.", "latin1"), "int.pkl"),
    /int\.pkl: pickle integer "12x" is malformed at byte 0/,
  );
  assert.throws(
    () => unpickle(Buffer.from("S'abc\n.", "latin1"), "str.pkl"),
    /str\.pkl: pickle STRING "'abc" is not a quoted literal/,
  );
});

test("the python-2 style writer round-trips through the reader", () => {
  const chw = Uint8Array.from({ length: 2 * 3072 }, (_, i) => (i * 7) % 256);
  const labels = Uint8Array.from([3, 8]);
  const decoded = decodeCifarPickle(encodeCifarPickle(chw, labels, "training batch 1 of 5"), "mem");
  assert.deepEqual(Array.from(decoded.labels), [3, 8]);
  assert.deepEqual(Buffer.from(decoded.chw), Buffer.from(chw));
});

test("pickles that would run code are refused and nothing runs", () => {
  rmSync("/tmp/edgelab-pwned", { force: true });
  assert.throws(
    () => unpickle(readFileSync(fixture("evil-reduce.pkl")), "evil-reduce.pkl"),
    /evil-reduce\.pkl: unsupported pickle content: global "posix\.system" at byte \d+/,
  );
  assert.throws(
    () => unpickle(readFileSync(fixture("evil-proto0.pkl")), "evil-proto0.pkl"),
    /unsupported pickle content: global "os\.system" at byte 0/,
  );
  // protocol 4 STACK_GLOBAL of builtins.eval
  const stackGlobal = Buffer.concat([
    Buffer.from([0x80, 4, 0x8c, 8]),
    Buffer.from("builtins"),
    Buffer.from([0x8c, 4]),
    Buffer.from("eval"),
    Buffer.from([0x93, 0x2e]),
  ]);
  assert.throws(() => unpickle(stackGlobal, "sg.pkl"), /unsupported pickle content: global "builtins\.eval"/);
  assert.equal(existsSync("/tmp/edgelab-pwned"), false);
});

test("truncated and malformed pickles give clear errors", () => {
  const bytes = readFileSync(fixture("cifar-py-numpy-protocol2.pkl"));
  assert.throws(() => unpickle(bytes.subarray(0, 20000), "cut.pkl"), /cut\.pkl: truncated at byte 20000/);
  assert.throws(() => unpickle(Buffer.from([0x80, 2, 0x7d]), "nostop.pkl"), /pickle ended without STOP/);
  assert.throws(
    () => unpickle(Buffer.from([0x80, 2, 0x01, 0x2e]), "op.pkl"),
    /unsupported pickle content: opcode 0x01/,
  );
});
