/**
 * Small files that claimed huge memory (each reached 4–8 GB RSS before): a pickle re-encoding one
 * memoised string through REDUCE, a gzipped IDX whose stream or header is a bomb, a sparse "CSV"
 * with no line end, and a device instead of a file. Each now ends in one line naming the file,
 * with memory bounded.
 */
import assert from "node:assert/strict";
import { closeSync, ftruncateSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { decodeIdx, loadCicids2017, unpickle } from "../../lib/data";
import { edgelabWith, fails } from "../helpers/cli";
import { tempDir } from "../helpers/paths";

const dir = tempDir("edgelab-bombs-");
const rssMB = (): number => process.memoryUsage().rss / 2 ** 20;

test("pickle: _codecs.encode of one memoised 1 MB string, 1000 times, is refused as a memory bomb", () => {
  const text = Buffer.alloc(1 << 20, "a");
  const parts: Buffer[] = [
    Buffer.from([0x80, 0x02]),
    Buffer.from([0x58]),
    Buffer.alloc(4),
    text,
    Buffer.from([0x71, 0x00, 0x5d]),
  ];
  parts[2].writeUInt32LE(text.length);
  const call = Buffer.concat([
    Buffer.from("c_codecs\nencode\n", "latin1"),
    Buffer.from([0x68, 0x00, 0x58, 6, 0, 0, 0]),
    Buffer.from("latin1"),
    Buffer.from([0x86, 0x52, 0x61]),
  ]);
  const bomb = Buffer.concat([...parts, ...Array.from({ length: 1000 }, () => call), Buffer.from([0x2e])]);
  const before = rssMB();
  assert.throws(
    () => unpickle(bomb, "bomb.pkl"),
    /bomb\.pkl: the pickle would need more than \d+ MiB to decode \(at byte \d+\): refused as a memory bomb/,
  );
  assert.ok(rssMB() - before < 200, `RSS grew ${(rssMB() - before).toFixed(0)} MB`);
});

test("gzipped IDX: a header declaring more than the limit is refused before inflating; a stream longer than its header is cut off", () => {
  const header = Buffer.from([0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0x10, 0, 0, 0, 0x10, 0]); // [60000, 4096, 4096]: 1 TB
  const big = gzipSync(Buffer.concat([header, Buffer.alloc(1 << 20)]));
  assert.throws(
    () => decodeIdx(big, "huge.idx.gz"),
    /huge\.idx\.gz: the header declares [\d.]+ GiB of data, more than the input limit/,
  );
  const small = Buffer.from([0, 0, 8, 1, 0, 0, 0, 16]); // 16 bytes declared, then 64 MB of zeros
  const before = rssMB();
  assert.throws(
    () => decodeIdx(gzipSync(Buffer.concat([small, Buffer.alloc(64 << 20)])), "long.idx.gz"),
    /long\.idx\.gz: the gzip stream inflates to more than its IDX header declares/,
  );
  assert.ok(rssMB() - before < 200, `RSS grew ${(rssMB() - before).toFixed(0)} MB`);
  assert.deepEqual(decodeIdx(gzipSync(Buffer.concat([small, Buffer.alloc(16)])), "ok.idx.gz").shape, [16]);
});

test("a 2 GB sparse file as a CICIDS CSV stops at the first 8 MiB without a line end", () => {
  const sparse = join(dir, "sparse.csv");
  const fd = openSync(sparse, "w");
  ftruncateSync(fd, 2 * 2 ** 30);
  closeSync(fd);
  const before = rssMB();
  assert.throws(() => loadCicids2017(sparse), /sparse\.csv: line 1: more than 8 MiB without a line end: not a CSV row/);
  assert.ok(rssMB() - before < 200, `RSS grew ${(rssMB() - before).toFixed(0)} MB`);
});

test("devices and oversized files are refused before reading: data inspect /dev/zero, a file over EDGELAB_MAX_INPUT_MB", () => {
  fails(/\/dev\/zero: not a regular file/, "data", "inspect", "/dev/zero", "--format", "idx");
  const file = join(dir, "over.idx");
  writeFileSync(file, Buffer.alloc(3 << 20));
  const run = edgelabWith({ EDGELAB_MAX_INPUT_MB: "2" }, "data", "inspect", file, "--format", "idx");
  assert.notEqual(run.code, 0);
  assert.match(
    run.stderr.trim(),
    /over\.idx: 3 MiB is more than the input limit of 2 MiB \(set EDGELAB_MAX_INPUT_MB to raise it\)$/,
  );
});
