import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { test } from "node:test";
import { decodeCifarPickle, encodeCifarPickle, unpickle } from "../../lib/data";
import { fixture } from "../helpers/paths";

const expectedPixel = (i: number): number => i % 251;

test("reads a CIFAR batch pickled by real Python + NumPy (protocol 2 and 4)", () => {
  for (const name of ["cifar-py-numpy-protocol2.pkl", "cifar-py-numpy-protocol4.pkl"]) {
    const { chw, labels } = decodeCifarPickle(readFileSync(fixture(name)), name);
    assert.equal(labels.length, 12, name);
    assert.deepEqual(Array.from(labels), Array.from({ length: 12 }, (_, i) => i % 10));
    assert.equal(chw.length, 12 * 3072);
    for (const i of [0, 1, 250, 251, 3071, 3072, 36863]) assert.equal(chw[i], expectedPixel(i), `${name} byte ${i}`);
  }
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
  assert.throws(() => unpickle(readFileSync(fixture("evil-reduce.pkl")), "evil-reduce.pkl"), /evil-reduce\.pkl: unsupported pickle content: global "posix\.system" at byte \d+/);
  assert.throws(() => unpickle(readFileSync(fixture("evil-proto0.pkl")), "evil-proto0.pkl"), /unsupported pickle content: global "os\.system" at byte 0/);
  // protocol 4 STACK_GLOBAL of builtins.eval
  const stackGlobal = Buffer.concat([Buffer.from([0x80, 4, 0x8c, 8]), Buffer.from("builtins"), Buffer.from([0x8c, 4]), Buffer.from("eval"), Buffer.from([0x93, 0x2e])]);
  assert.throws(() => unpickle(stackGlobal, "sg.pkl"), /unsupported pickle content: global "builtins\.eval"/);
  assert.equal(existsSync("/tmp/edgelab-pwned"), false);
});

test("truncated and malformed pickles give clear errors", () => {
  const bytes = readFileSync(fixture("cifar-py-numpy-protocol2.pkl"));
  assert.throws(() => unpickle(bytes.subarray(0, 20000), "cut.pkl"), /cut\.pkl: truncated at byte 20000/);
  assert.throws(() => unpickle(Buffer.from([0x80, 2, 0x7d]), "nostop.pkl"), /pickle ended without STOP/);
  assert.throws(() => unpickle(Buffer.from([0x80, 2, 0x01, 0x2e]), "op.pkl"), /unsupported pickle content: opcode 0x01/);
});
