import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { DataFormatError, decodeIdx, encodeIdx, loadMnistLike, readIdx, writeIdx } from "../../lib/data";
import { tempDir } from "../helpers/paths";

const images = { shape: [3, 2, 2], data: Uint8Array.from([0, 255, 128, 1, 2, 3, 4, 5, 6, 7, 8, 9]) };

test("IDX round-trips plain and gzipped", () => {
  for (const gzip of [false, true]) {
    const decoded = decodeIdx(encodeIdx(images, gzip), "mem");
    assert.deepEqual(decoded.shape, [3, 2, 2]);
    assert.deepEqual(Array.from(decoded.data), Array.from(images.data));
  }
});

test("IDX errors name the file and the problem", () => {
  const bytes = encodeIdx(images);
  assert.throws(
    () => decodeIdx(bytes.subarray(0, bytes.length - 1), "f.idx"),
    (e: DataFormatError) => e instanceof DataFormatError && /^f\.idx: truncated at byte 27/.test(e.message),
  );
  assert.throws(
    () => decodeIdx(bytes.subarray(0, 6), "f.idx"),
    /truncated at byte 6: the header declares 3 dimensions/,
  );
  assert.throws(() => decodeIdx(Uint8Array.from([1, 2, 3, 4, 5]), "f.idx"), /bad magic 01 02 03 04/);
  assert.throws(() => decodeIdx(Uint8Array.from([...bytes, 0]), "f.idx"), /1 trailing bytes/);
  const gz = encodeIdx(images, true);
  assert.throws(
    () => decodeIdx(gz.subarray(0, gz.length - 8), "f.gz"),
    /f\.gz: truncated at byte \d+: the gzip stream ends early/,
  );
  assert.throws(() => readIdx("/nonexistent/file"), /\/nonexistent\/file: cannot read: ENOENT/);
});

test("loadMnistLike reads a generated train/test pair in [0, 1] NHWC", () => {
  const dir = tempDir();
  writeIdx(join(dir, "train-images-idx3-ubyte.gz"), images, true);
  writeIdx(join(dir, "train-labels-idx1-ubyte.gz"), { shape: [3], data: Uint8Array.from([9, 0, 3]) }, true);
  const ds = loadMnistLike({ dir, split: "train" });
  assert.deepEqual(ds.shape, [3, 2, 2, 1]);
  assert.deepEqual(Array.from(ds.labels), [9, 0, 3]);
  assert.equal(ds.images[1], 1);
  assert.ok(Math.abs(ds.images[2] - 128 / 255) < 1e-7);
  assert.equal(ds.source.synthetic, false);
  writeFileSync(join(dir, "t10k-images-idx3-ubyte"), encodeIdx(images));
  writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), encodeIdx({ shape: [2], data: Uint8Array.from([1, 2]) }));
  assert.throws(() => loadMnistLike({ dir, split: "test" }), /2 labels for 3 images/);
});
