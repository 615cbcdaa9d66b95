/**
 * Writers for both CIFAR-10 layouts, so subsets (and synthetic CIFAR-shaped data) can be saved
 * in the exact official formats: binary records, and python-2 protocol-2 pickles laid out the
 * way numpy writes them (what `cifar-10-batches-py` contains).
 */
import { writeFileSync } from "node:fs";

/** Encodes CHW uint8 images + labels as CIFAR-10 binary records. */
export function encodeCifarBinary(chw: Uint8Array, labels: Uint8Array): Uint8Array {
  const out = new Uint8Array(labels.length * 3073);
  for (let i = 0; i < labels.length; i++) {
    out[i * 3073] = labels[i];
    out.set(chw.subarray(i * 3072, (i + 1) * 3072), i * 3073 + 1);
  }
  return out;
}

/** NHWC float32 [0, 1] → CHW uint8, the order both CIFAR layouts store. */
export function nhwcToChw(images: Float32Array, n: number): Uint8Array {
  const chw = new Uint8Array(n * 3072);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < 1024; p++) {
      for (let c = 0; c < 3; c++) chw[i * 3072 + c * 1024 + p] = Math.max(0, Math.min(255, Math.round(images[i * 3072 + p * 3 + c] * 255)));
    }
  }
  return chw;
}

class PickleWriter {
  private parts: Uint8Array[] = [];
  private memo = 0;
  op(...bytes: number[]): this {
    this.parts.push(Uint8Array.from(bytes));
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.parts.push(bytes);
    return this;
  }
  /** Python 2 str (bytes): SHORT_BINSTRING or BINSTRING. */
  str(value: string | Uint8Array): this {
    const bytes = typeof value === "string" ? Buffer.from(value, "latin1") : value;
    if (bytes.length < 256) this.op(0x55, bytes.length);
    else this.op(0x54, ...u32(bytes.length));
    return this.raw(bytes).put();
  }
  int(v: number): this {
    if (v >= 0 && v < 256) return this.op(0x4b, v);
    if (v >= 0 && v < 65536) return this.op(0x4d, v & 0xff, v >> 8);
    return this.op(0x4a, ...u32(v >>> 0));
  }
  global(module: string, name: string): this {
    return this.raw(Buffer.from(`c${module}\n${name}\n`, "latin1")).put();
  }
  put(): this {
    const id = this.memo++;
    return id < 256 ? this.op(0x71, id) : this.op(0x72, ...u32(id));
  }
  bytes(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/**
 * Encodes a python-layout batch: `{batch_label, labels, data, filenames}` with `data` a numpy
 * uint8 array of shape [n, 3072], as python 2 `cPickle.dump(d, f, 2)` wrote the originals.
 */
export function encodeCifarPickle(chw: Uint8Array, labels: Uint8Array, batchLabel: string): Uint8Array {
  const n = labels.length;
  const w = new PickleWriter();
  w.op(0x80, 2, 0x7d).put().op(0x28);
  w.str("batch_label").str(batchLabel);
  w.str("labels").op(0x5d).put().op(0x28);
  for (const label of labels) w.int(label);
  w.op(0x65);
  w.str("data");
  w.global("numpy.core.multiarray", "_reconstruct").global("numpy", "ndarray").int(0).op(0x85).put().str("b").op(0x87).put().op(0x52).put();
  w.op(0x28).int(1).int(n).int(3072).op(0x86).put();
  w.global("numpy", "dtype").str("u1").int(0).int(1).op(0x87).put().op(0x52).put();
  w.op(0x28).int(3).str("|").op(0x4e, 0x4e, 0x4e).op(0x4a, ...u32(0xffffffff)).op(0x4a, ...u32(0xffffffff)).int(0).op(0x74).put().op(0x62);
  w.op(0x89).str(chw.subarray(0, n * 3072)).op(0x74).put().op(0x62);
  w.str("filenames").op(0x5d).put().op(0x28);
  for (let i = 0; i < n; i++) w.str(`synthetic_${i}.png`);
  w.op(0x65);
  w.op(0x75, 0x2e);
  return w.bytes();
}

/** Writes one binary batch file. */
export function writeCifarBinary(path: string, chw: Uint8Array, labels: Uint8Array): void {
  writeFileSync(path, encodeCifarBinary(chw, labels));
}

/** Writes one python-layout batch file. */
export function writeCifarPickle(path: string, chw: Uint8Array, labels: Uint8Array, batchLabel = "training batch 1 of 5"): void {
  writeFileSync(path, encodeCifarPickle(chw, labels, batchLabel));
}
