import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  chwToNhwc,
  decodeCifarBinary,
  encodeCifarBinary,
  loadCifar10,
  nhwcToChw,
  syntheticCifar,
  writeCifarBinary,
  writeCifarPickle,
} from "../../lib/data";
import { tempDir } from "../helpers/paths";

test("CHW bytes become NHWC floats: pixel (y, x) channel c", () => {
  const chw = new Uint8Array(3072);
  chw[0 * 1024 + 5 * 32 + 7] = 255; // R at y=5, x=7
  chw[2 * 1024 + 31 * 32 + 31] = 51; // B at the last pixel
  const nhwc = chwToNhwc(chw, 1);
  assert.equal(nhwc[(5 * 32 + 7) * 3 + 0], 1);
  assert.ok(Math.abs(nhwc[(31 * 32 + 31) * 3 + 2] - 0.2) < 1e-7);
  assert.deepEqual(Array.from(nhwcToChw(nhwc, 1)), Array.from(chw));
});

test("binary records: round trip, truncation and bad labels", () => {
  const chw = Uint8Array.from({ length: 2 * 3072 }, (_, i) => i % 256);
  const bytes = encodeCifarBinary(chw, Uint8Array.from([1, 9]));
  const decoded = decodeCifarBinary(bytes, "b.bin");
  assert.deepEqual(Array.from(decoded.labels), [1, 9]);
  assert.throws(
    () => decodeCifarBinary(bytes.subarray(0, 5000), "b.bin"),
    /b\.bin: truncated at byte 5000: CIFAR-10 binary records are 3073 bytes \(1 whole records, 1927 bytes left over\)/,
  );
  const bad = Uint8Array.from(bytes);
  bad[3073] = 10;
  assert.throws(() => decodeCifarBinary(bad, "b.bin"), /record 1 \(byte 3073\) has label 10/);
});

test("loadCifar10 reads both official layouts with identical results", () => {
  const dir = tempDir();
  const ds = syntheticCifar({ count: 60, seed: 1 });
  const binDir = join(dir, "cifar-10-batches-bin");
  const pyDir = join(dir, "py", "cifar-10-batches-py");
  mkdirSync(binDir, { recursive: true });
  mkdirSync(pyDir, { recursive: true });
  const chw = nhwcToChw(ds.images, 60);
  for (let b = 0; b < 5; b++) {
    const part = chw.subarray(b * 10 * 3072, (b + 1) * 10 * 3072);
    const labels = ds.labels.subarray(b * 10, (b + 1) * 10);
    writeCifarBinary(join(binDir, `data_batch_${b + 1}.bin`), part, labels);
    writeCifarPickle(join(pyDir, `data_batch_${b + 1}`), part, labels);
  }
  writeCifarBinary(join(binDir, "test_batch.bin"), chw.subarray(50 * 3072), ds.labels.subarray(50));
  writeCifarPickle(join(pyDir, "test_batch"), chw.subarray(50 * 3072), ds.labels.subarray(50), "testing batch 1 of 1");
  const fromBin = loadCifar10({ dir, split: "train" });
  const fromPy = loadCifar10({ dir: join(dir, "py"), split: "train" });
  assert.deepEqual(fromBin.shape, [50, 32, 32, 3]);
  assert.deepEqual(Array.from(fromBin.labels), Array.from(ds.labels.subarray(0, 50)));
  assert.deepEqual(Buffer.from(fromBin.images.buffer), Buffer.from(fromPy.images.buffer));
  assert.equal(loadCifar10({ dir, split: "test" }).labels.length, 10);
  writeFileSync(join(binDir, "data_batch_3.bin"), Buffer.alloc(100));
  assert.throws(() => loadCifar10({ dir, split: "train" }), /data_batch_3\.bin: truncated at byte 100/);
});
