import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import "../../lib/runtime/tfjs";
import { col2imAdd, im2col, jsGemm, patchSize, registerWasmKernels, type ConvGeometry } from "../../lib/kernels";
import { patchKernels } from "../../lib/kernels/patches-simd";
import { concatInto } from "../../lib/kernels/concat";
import { jsRowCopy } from "../../lib/kernels/row-copy";
import { sliceInto } from "../../lib/kernels/slice";
import { copyTensorsInto, tensorsFrom } from "../../lib/kernels/tensor-copy";
import { depthwiseKernels } from "../../lib/kernels/depthwise-simd";
import { depthwiseBackpropFilter, depthwiseBackpropInput } from "../../lib/kernels/depthwise";
import { buildSentinelNet, buildSqueezeNet, sentinelNetDebugConfig, visionZoo } from "../../lib/models";
import { conv2dForward } from "../../lib/kernels/conv2d";
import { conv2dOp } from "../../lib/kernels/conv-op";
import { conv2dBackpropFilter } from "../../lib/kernels/conv-backprop-filter";
import { conv2dBackpropInput } from "../../lib/kernels/conv-backprop-input";
import { oneDnn, oneDnnFailure } from "../../lib/native/onednn";
import { openBlas } from "../../lib/native/openblas";
import { Rng } from "../../lib/random";
import { useBackend } from "../../lib/runtime";

const rng = new Rng(99);
const random = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** dL/dW of sum(conv2d(x, w) * probe) on a backend. */
async function filterGrad(
  backend: "cpu" | "wasm",
  x: Float32Array,
  xShape: number[],
  w: Float32Array,
  wShape: number[],
  strides: number,
  pad: "same" | "valid",
): Promise<Float32Array> {
  await useBackend(backend);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, xShape as [number, number, number, number]);
    const g = tf.grad((wt: tf.Tensor) => {
      const y = tf.conv2d(xt, wt as tf.Tensor4D, strides, pad);
      return tf.sum(tf.mul(y, tf.sin(tf.range(0, y.size).reshape(y.shape))));
    });
    return g(tf.tensor4d(w, wShape as [number, number, number, number])).dataSync() as Float32Array;
  });
}

/** A square-filter convolution geometry (same stride, padding and dilation on both axes). */
function squareGeometry(g: {
  batch: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  f: number;
  s: number;
  pad: number;
  d: number;
}): ConvGeometry {
  const span = (g.f - 1) * g.d + 1;
  return {
    batch: g.batch,
    inHeight: g.h,
    inWidth: g.w,
    inChannels: g.ci,
    outChannels: g.co,
    filterHeight: g.f,
    filterWidth: g.f,
    strideHeight: g.s,
    strideWidth: g.s,
    padTop: g.pad,
    padLeft: g.pad,
    dilationHeight: g.d,
    dilationWidth: g.d,
    outHeight: Math.floor((g.h + 2 * g.pad - span) / g.s) + 1,
    outWidth: Math.floor((g.w + 2 * g.pad - span) / g.s) + 1,
  };
}

test("wasm Conv2DBackpropFilter matches tfjs' cpu kernel on random shapes", async () => {
  await useBackend("wasm");
  assert.ok(tf.getKernel("Conv2DBackpropFilter", "wasm"), "registered on wasm");
  const cases: { x: number[]; w: number[]; s: number; pad: "same" | "valid" }[] = [
    { x: [1, 7, 9, 3], w: [3, 3, 3, 5], s: 1, pad: "same" }, // batch 1, odd sizes
    { x: [2, 8, 8, 4], w: [3, 3, 4, 6], s: 2, pad: "same" },
    { x: [3, 9, 7, 2], w: [3, 2, 2, 4], s: 2, pad: "valid" }, // non-square filter, odd input, stride 2
    { x: [2, 5, 5, 8], w: [1, 1, 8, 3], s: 1, pad: "valid" }, // pointwise (no im2col)
    { x: [4, 1, 78, 1], w: [1, 3, 1, 16], s: 1, pad: "same" }, // SentinelNet's Conv1D as Conv2D
    { x: [2, 32, 32, 3], w: [3, 3, 3, 64], s: 2, pad: "same" }, // SqueezeNet conv1
    { x: [3, 5, 5, 128], w: [3, 3, 128, 8], s: 1, pad: "same" }, // oneDNN's blocked layout
    { x: [2, 7, 7, 128], w: [3, 3, 128, 16], s: 2, pad: "valid" },
  ];
  for (const c of cases) {
    const x = random(c.x.reduce((a, b) => a * b, 1));
    const w = random(c.w.reduce((a, b) => a * b, 1));
    const reference = await filterGrad("cpu", x, c.x, w, c.w, c.s, c.pad);
    const ours = await filterGrad("wasm", x, c.x, w, c.w, c.s, c.pad);
    const scale = Math.max(1, maxAbs(reference));
    assert.ok(
      maxAbsDiff(reference, ours) / scale < 1e-5,
      `${JSON.stringify(c)}: max diff ${maxAbsDiff(reference, ours)}`,
    );
  }
});

/** Runs `fn` on the cpu and the wasm backend and returns both results as flat arrays. */
async function onBoth(fn: () => tf.Tensor): Promise<[Float32Array, Float32Array]> {
  const out: Float32Array[] = [];
  for (const backend of ["cpu", "wasm"] as const) {
    await useBackend(backend);
    out.push(tf.tidy(() => fn().dataSync() as Float32Array));
  }
  return [out[0], out[1]];
}

const convCases: { x: number[]; w: number[]; s: number; pad: "same" | "valid"; d?: number }[] = [
  { x: [1, 7, 9, 3], w: [3, 3, 3, 5], s: 1, pad: "same" }, // batch 1, odd sizes
  { x: [2, 8, 8, 4], w: [3, 3, 4, 6], s: 2, pad: "same" },
  { x: [3, 9, 7, 2], w: [3, 2, 2, 4], s: 2, pad: "valid" }, // non-square filter, stride 2
  { x: [2, 5, 5, 8], w: [1, 1, 8, 3], s: 1, pad: "valid" }, // pointwise (no im2col)
  { x: [2, 6, 6, 8], w: [1, 1, 8, 3], s: 2, pad: "same" }, // strided 1×1
  { x: [4, 1, 78, 1], w: [1, 3, 1, 16], s: 1, pad: "same" }, // SentinelNet's Conv1D as Conv2D
  { x: [2, 32, 32, 3], w: [3, 3, 3, 64], s: 2, pad: "valid" }, // SqueezeNet conv1
  { x: [24, 7, 7, 16], w: [3, 3, 16, 64], s: 1, pad: "same" }, // SqueezeNet expand 3×3, batch 24
  { x: [2, 7, 7, 128], w: [3, 3, 128, 16], s: 2, pad: "same" }, // oneDNN's blocked layout, strided
];

test("wasm Conv2D (oneDNN, or im2col + GEMM) matches tfjs' cpu kernel, dilation included", async () => {
  for (const c of [
    ...convCases,
    { x: [2, 9, 9, 3], w: [3, 3, 3, 4], s: 1, pad: "same" as const, d: 2 },
    { x: [1, 11, 8, 2], w: [2, 3, 2, 3], s: 1, pad: "valid" as const, d: 3 },
  ]) {
    const x = random(c.x.reduce((a, b) => a * b, 1));
    const w = random(c.w.reduce((a, b) => a * b, 1));
    const [reference, ours] = await onBoth(() =>
      tf.conv2d(
        tf.tensor4d(x, c.x as [number, number, number, number]),
        tf.tensor4d(w, c.w as [number, number, number, number]),
        c.s,
        c.pad,
        "NHWC",
        c.d ?? 1,
      ),
    );
    assert.equal(ours.length, reference.length, JSON.stringify(c));
    assert.ok(
      maxAbsDiff(reference, ours) / Math.max(1, maxAbs(reference)) < 1e-5,
      `${JSON.stringify(c)}: max diff ${maxAbsDiff(reference, ours)}`,
    );
  }
});

test("wasm Conv2DBackpropInput (oneDNN, or GEMM + col2im) matches tfjs' cpu kernel", async () => {
  for (const c of convCases) {
    const x = random(c.x.reduce((a, b) => a * b, 1));
    const w = random(c.w.reduce((a, b) => a * b, 1));
    const [reference, ours] = await onBoth(() => {
      const wt = tf.tensor4d(w, c.w as [number, number, number, number]);
      return tf.grad((xt: tf.Tensor) => {
        const y = tf.conv2d(xt as tf.Tensor4D, wt, c.s, c.pad);
        return tf.sum(tf.mul(y, tf.sin(tf.range(0, y.size).reshape(y.shape))));
      })(tf.tensor4d(x, c.x as [number, number, number, number]));
    });
    assert.ok(
      maxAbsDiff(reference, ours) / Math.max(1, maxAbs(reference)) < 1e-5,
      `${JSON.stringify(c)}: max diff ${maxAbsDiff(reference, ours)}`,
    );
  }
});

test(
  "oneDNN convolutions (forward, data and weight gradients; depthwise with multiplier 1 and 2) equal the JS references: strides, asymmetric and no padding, dilation, 1×1",
  { skip: oneDnn() ? false : `oneDNN unavailable: ${oneDnnFailure()} (Debian: libdnnl2, npm run setup)` },
  () => {
    const dnnl = oneDnn()!;
    /** Depthwise forward, input gradient and filter gradient, naive loops ([fh, fw, C, M] filter). */
    const depthwiseForward = (x: Float32Array, w: Float32Array, g: ConvGeometry, y: Float32Array): void => {
      const m = g.outChannels / g.inChannels;
      y.fill(0);
      for (let b = 0; b < g.batch; b++)
        for (let oy = 0; oy < g.outHeight; oy++)
          for (let ox = 0; ox < g.outWidth; ox++)
            for (let fh = 0; fh < g.filterHeight; fh++)
              for (let fw = 0; fw < g.filterWidth; fw++) {
                const iy = oy * g.strideHeight - g.padTop + fh * (g.dilationHeight ?? 1);
                const ix = ox * g.strideWidth - g.padLeft + fw * (g.dilationWidth ?? 1);
                if (iy < 0 || ix < 0 || iy >= g.inHeight || ix >= g.inWidth) continue;
                for (let c = 0; c < g.outChannels; c++)
                  y[((b * g.outHeight + oy) * g.outWidth + ox) * g.outChannels + c] +=
                    x[((b * g.inHeight + iy) * g.inWidth + ix) * g.inChannels + Math.floor(c / m)] *
                    w[(fh * g.filterWidth + fw) * g.outChannels + c];
              }
    };
    const cases: (Parameters<typeof squareGeometry>[0] & { depthwise: boolean; padBottom?: number })[] = [
      { batch: 2, h: 9, w: 9, ci: 5, co: 7, f: 3, s: 2, pad: 1, d: 1, depthwise: false },
      { batch: 2, h: 8, w: 8, ci: 4, co: 6, f: 3, s: 2, pad: 0, d: 1, depthwise: false }, // tfjs "same": pad bottom only
      { batch: 1, h: 10, w: 10, ci: 3, co: 4, f: 3, s: 1, pad: 2, d: 2, depthwise: false },
      { batch: 3, h: 7, w: 7, ci: 6, co: 5, f: 1, s: 1, pad: 0, d: 1, depthwise: false },
      { batch: 2, h: 10, w: 10, ci: 6, co: 6, f: 3, s: 2, pad: 1, d: 1, depthwise: true },
      { batch: 2, h: 9, w: 9, ci: 4, co: 8, f: 5, s: 1, pad: 2, d: 1, depthwise: true },
      { batch: 1, h: 11, w: 11, ci: 4, co: 4, f: 3, s: 1, pad: 2, d: 2, depthwise: true },
    ];
    for (const c of cases) {
      const g = squareGeometry(c);
      if (c === cases[1]) [g.outHeight, g.outWidth] = [4, 4]; // (8 − 3 + 1) / 2 + 1 with one row of bottom padding
      const conv = dnnl.convolution({ ...g, dilationHeight: c.d, dilationWidth: c.d, depthwise: c.depthwise });
      assert.ok(conv, `oneDNN took ${JSON.stringify(c)}`);
      const x = random(g.batch * g.inHeight * g.inWidth * g.inChannels);
      const dy = random(g.batch * g.outHeight * g.outWidth * g.outChannels);
      const w = random(g.filterHeight * g.filterWidth * (c.depthwise ? g.outChannels : g.inChannels * g.outChannels));
      const [y, yRef] = [new Float32Array(dy.length), new Float32Array(dy.length)];
      const [dx, dxRef] = [new Float32Array(x.length), new Float32Array(x.length)];
      const [dw, dwRef] = [new Float32Array(w.length), new Float32Array(w.length)];
      // Dilated weight gradients run on oneDNN's GEMM-based implementation (signals held off).
      assert.ok(conv.forward(x, w, y) && conv.backwardData(dy, w, dx), JSON.stringify(c));
      assert.ok(conv.backwardWeights(x, dy, dw), `weight gradient of ${JSON.stringify(c)}`);
      if (c.depthwise) {
        depthwiseForward(x, w, g, yRef);
        depthwiseBackpropInput(dy, w, g, dxRef);
        depthwiseBackpropFilter(x, dy, g, dwRef);
      } else {
        conv2dForward(x, w, g, yRef, jsGemm);
        conv2dBackpropInput(dy, w, g, dxRef, jsGemm);
        conv2dBackpropFilter(x, dy, g, dwRef, jsGemm);
      }
      for (const [got, want, what] of [
        [y, yRef, "y"],
        [dx, dxRef, "dx"],
        [dw, dwRef, "dw"],
      ] as const)
        assert.ok(
          maxAbsDiff(got, want) / Math.max(1, maxAbs(want)) < 1e-5,
          `${what} ${JSON.stringify(c)}: max diff ${maxAbsDiff(got, want)}`,
        );
    }
    assert.equal(registerWasmKernels().convolutions, `onednn (${dnnl.library})`);
  },
);

test(
  "oneDNN's caches are bounded: past 256 shapes the least recently used convolutions are destroyed, and one asked for again is rebuilt and still right",
  { skip: oneDnn() ? false : `oneDNN unavailable: ${oneDnnFailure()}` },
  () => {
    const dnnl = oneDnn()!;
    const shape = (batch: number) => ({
      ...squareGeometry({ batch, h: 4, w: 4, ci: 2, co: 3, f: 3, s: 1, pad: 1, d: 1 }),
      dilationHeight: 1,
      dilationWidth: 1,
      depthwise: false,
    });
    const forward = (batch: number): Float32Array => {
      const g = shape(batch);
      const x = Float32Array.from({ length: batch * 32 }, (_, i) => Math.sin(i));
      const w = Float32Array.from({ length: 54 }, (_, i) => Math.cos(i));
      const y = new Float32Array(batch * 48);
      assert.ok(dnnl.convolution(g)!.forward(x, w, y));
      const reference = new Float32Array(batch * 48);
      conv2dForward(x, w, g, reference, jsGemm);
      assert.ok(maxAbsDiff(y, reference) < 1e-5, `batch ${batch}`);
      return y;
    };
    forward(1);
    for (let batch = 2; batch <= 300; batch++) forward(batch);
    const built = Object.keys(dnnl.implementations()).filter((k) =>
      k.includes('"inHeight":4,"inWidth":4,"inChannels":2'),
    );
    assert.ok(built.length <= 256, `${built.length} convolution passes still held`);
    assert.ok(!built.some((k) => k.startsWith('{"batch":1,')), "the oldest shape was evicted");
    forward(1); // rebuilt
  },
);

test(
  "oneDNN's blocked activation layout (dense k×k, 128 input channels): forward, data and weight gradients equal the JS reference, with the shared scratch grown by a larger shape and reused by a smaller one",
  { skip: oneDnn() ? false : `oneDNN unavailable: ${oneDnnFailure()}` },
  () => {
    const dnnl = oneDnn()!;
    /** `weights`: whether oneDNN has a JIT weight gradient for the shape (not when dilated: the GEMM path takes it). */
    const check = (g: ConvGeometry, weights = true): void => {
      const shape = {
        ...g,
        dilationHeight: g.dilationHeight ?? 1,
        dilationWidth: g.dilationWidth ?? 1,
        depthwise: false,
      };
      const conv = dnnl.convolution(shape)!;
      const x = random(g.batch * g.inHeight * g.inWidth * g.inChannels);
      const w = random(g.filterHeight * g.filterWidth * g.inChannels * g.outChannels);
      const dy = random(g.batch * g.outHeight * g.outWidth * g.outChannels);
      const [y, dx, dw] = [new Float32Array(dy.length), new Float32Array(x.length), new Float32Array(w.length)];
      const [yRef, dxRef, dwRef] = [
        new Float32Array(dy.length),
        new Float32Array(x.length),
        new Float32Array(w.length),
      ];
      assert.ok(conv.forward(x, w, y) && conv.backwardData(dy, w, dx));
      assert.equal(conv.backwardWeights(x, dy, dw), weights);
      conv2dForward(x, w, g, yRef, jsGemm);
      conv2dBackpropInput(dy, w, g, dxRef, jsGemm);
      conv2dBackpropFilter(x, dy, g, dwRef, jsGemm);
      for (const [name, ours, ref] of [
        ["y", y, yRef],
        ["dx", dx, dxRef],
        ...(weights ? [["dw", dw, dwRef] as const] : []),
      ] as const)
        assert.ok(maxAbsDiff(ours, ref) < 1e-4 * Math.max(1, maxAbs(ref)), `${name} ${JSON.stringify(g)}`);
      const passes = Object.entries(dnnl.implementations()).filter(([k]) => k.startsWith(JSON.stringify(shape)));
      assert.equal(passes.length, weights ? 3 : 2);
      for (const [k, impl] of passes) assert.match(impl, /blocked activations/, k);
    };
    check(squareGeometry({ batch: 2, h: 5, w: 5, ci: 128, co: 16, f: 3, s: 1, pad: 1, d: 1 }));
    check(squareGeometry({ batch: 3, h: 9, w: 9, ci: 128, co: 24, f: 3, s: 2, pad: 1, d: 1 })); // grows the scratch
    check(squareGeometry({ batch: 2, h: 9, w: 9, ci: 128, co: 8, f: 5, s: 1, pad: 2, d: 2 }), false); // dilated
    check(squareGeometry({ batch: 2, h: 5, w: 5, ci: 128, co: 16, f: 3, s: 1, pad: 1, d: 1 })); // again, smaller
  },
);

/**
 * A child process runs the native GEMM and oneDNN's convolutions while signals rain on it; it must
 * print "survived". oneDNN 2.x's JIT GEMM points the stack pointer into the heap, where the kernel
 * writes each signal's frame: unguarded, glibc aborted ("corrupted size vs. prev_size") or node
 * segfaulted within seconds (see native/signals). `prelude` runs first.
 */
function underSignals(prelude: string, sources: { profiler: boolean; flood: boolean }): ReturnType<typeof spawnSync> {
  const script = `
    const inspector = require("node:inspector");
    const { spawn } = require("node:child_process");
    const { kernelGemm } = require(${JSON.stringify(join(__dirname, "../../lib/kernels/wasm"))});
    const { oneDnn } = require(${JSON.stringify(join(__dirname, "../../lib/native/onednn"))});
    const { openBlas } = require(${JSON.stringify(join(__dirname, "../../lib/native/openblas"))});
    ${prelude}
    process.on("SIGUSR2", () => {});
    const flood = ${sources.flood}
      ? spawn("sh", ["-c", "while kill -USR2 " + process.pid + " 2>/dev/null; do :; done"], { stdio: "ignore" })
      : null;
    flood?.unref(); // libuv may drop its SIGCHLD message under the flood: never wait for it
    const work = () => {
      const { sgemm } = kernelGemm();
      const [m, n, k] = [16, 1000, 512];
      const a = new Float32Array(m * k).fill(0.5), b = new Float32Array(k * n).fill(0.25), c = new Float32Array(m * n);
      for (let i = 0; i < 1500; i++) { sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n); sgemm(true, false, k, n, m, 1, a, k, c, n, 0, b, n); }
      const dnnl = oneDnn();
      const g = { batch: 8, inHeight: 28, inWidth: 28, inChannels: 128, outChannels: 128, outHeight: 28, outWidth: 28,
        filterHeight: 3, filterWidth: 3, strideHeight: 1, strideWidth: 1, padTop: 1, padLeft: 1, dilationHeight: 1, dilationWidth: 1, depthwise: false };
      const conv = dnnl && dnnl.convolution(g);
      const x = new Float32Array(8 * 28 * 28 * 128).fill(0.1), w = new Float32Array(9 * 128 * 128).fill(0.01), y = new Float32Array(x.length);
      for (let i = 0; conv && i < 20; i++) { conv.forward(x, w, y); conv.backwardData(y, w, x); conv.backwardWeights(x, y, w); }
      flood?.kill();
    };
    if (${sources.profiler}) {
      const s = new inspector.Session();
      s.connect();
      s.post("Profiler.enable", () => s.post("Profiler.setSamplingInterval", { interval: 100 }, () =>
        s.post("Profiler.start", () => { work(); s.post("Profiler.stop", () => console.log("survived")); })));
    } else {
      work();
      console.log("survived");
    }
  `;
  return spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 240_000 });
}

function assertSurvived(run: ReturnType<typeof spawnSync>): void {
  const stderr = String(run.stderr).trim().split("\n").slice(-3).join(" | ");
  assert.equal(run.status, 0, `exit ${run.status ?? run.signal}: ${stderr}`);
  assert.match(String(run.stdout), /survived/);
}

test("the native GEMM and oneDNN's convolutions survive a sampling profiler's SIGPROF on the calling thread", () => {
  // V8's CPU profiler signals the main thread every 100 µs (crashed 3/3 unguarded).
  assertSurvived(underSignals("", { profiler: true, flood: false }));
});

test("the native GEMM and oneDNN's convolutions survive process-wide signals, with libgomp's workers created by an OpenBLAS call", () => {
  // A sibling process sends SIGUSR2 to the whole process without pause; the kernel hands each to
  // a thread that does not block it — an OpenMP worker unless the workers block signals too. The
  // pool is created by OpenBLAS here (the first OpenMP call): guarded, its workers inherit the
  // blocked mask. Created by an unguarded call, the same run segfaulted 3/3.
  const prelude = `
    const blas = openBlas();
    if (blas) { const n = 512, q = new Float32Array(n * n).fill(1), r = new Float32Array(n * n); blas.sgemm(false, false, n, n, n, 1, q, n, q, n, 0, r, n); }
  `;
  assertSurvived(underSignals(prelude, { profiler: false, flood: true }));
});

test("wasm MaxPoolGrad matches tfjs' cpu kernel (valid/same, strides, ties, −∞; SIMD and JS paths)", async () => {
  const cases: { x: number[]; size: number; s: number; pad: "same" | "valid"; ties?: boolean; negInf?: boolean }[] = [
    { x: [2, 15, 15, 8], size: 3, s: 2, pad: "valid" }, // SqueezeNet's pools (SIMD path: channels % 4 = 0)
    { x: [2, 6, 6, 4], size: 2, s: 2, pad: "valid", negInf: true }, // a −∞ window passes no gradient
    { x: [1, 7, 9, 3], size: 2, s: 2, pad: "same" },
    { x: [3, 6, 5, 4], size: 3, s: 1, pad: "same" }, // overlapping windows accumulate
    { x: [2, 6, 6, 2], size: 3, s: 2, pad: "valid", ties: true }, // equal values: the first maximum wins
  ];
  for (const c of cases) {
    const n = c.x.reduce((a, b) => a * b, 1);
    const x = c.ties ? Float32Array.from({ length: n }, (_, i) => i % 3) : random(n);
    if (c.negInf) for (let i = 0; i < n; i += 4) x[i] = -Infinity;
    const [reference, ours] = await onBoth(() =>
      tf.grad((xt: tf.Tensor) => {
        const y = tf.maxPool(xt as tf.Tensor4D, c.size, c.s, c.pad);
        return tf.sum(tf.mul(y, tf.cos(tf.range(0, y.size).reshape(y.shape))));
      })(tf.tensor4d(x, c.x as [number, number, number, number])),
    );
    assert.ok(maxAbsDiff(reference, ours) < 1e-5, `${JSON.stringify(c)}: max diff ${maxAbsDiff(reference, ours)}`);
  }
});

test("SIMD im2col/col2im on a wasm memory equal the JS reference (padding, strides, dilation, odd channels, chunks)", () => {
  const api = (
    globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }
  ).WebAssembly;
  const memory = new api.Memory({ initial: 256 });
  const kernels = patchKernels(memory);
  if (kernels instanceof Error) throw kernels;
  const geometry = (batch: number, h: number, w: number, ci: number, f: number, s: number, pad: number, d = 1) =>
    squareGeometry({ batch, h, w, ci, co: 4, f, s, pad, d });
  const cases = [
    geometry(3, 7, 7, 16, 3, 1, 1),
    geometry(2, 9, 7, 3, 3, 2, 1),
    geometry(2, 8, 8, 5, 3, 1, 0, 2),
    geometry(1, 5, 6, 7, 2, 1, 1),
    geometry(2, 4, 4, 32, 3, 1, 1),
  ];
  for (const g of cases) {
    let offset = 16;
    const heap = (n: number): Float32Array => {
      const a = new Float32Array(memory.buffer, offset, n);
      offset += n * 4 + 16;
      return a;
    };
    const x = heap(g.batch * g.inHeight * g.inWidth * g.inChannels);
    x.set(random(x.length));
    const n = g.batch * g.outHeight * g.outWidth * patchSize(g);
    const reference = new Float32Array(n);
    im2col(x, g, reference);
    const ours = heap(n);
    ours.fill(NaN);
    kernels.im2col(x, g, ours, 0, g.batch);
    assert.deepEqual(ours, reference, `im2col ${JSON.stringify(g)}`);
    const perImage = n / g.batch;
    const chunk = heap(n - perImage);
    kernels.im2col(x, g, chunk, 1, g.batch - 1);
    assert.deepEqual(chunk, reference.subarray(perImage), `im2col of images 1.. ${JSON.stringify(g)}`);
    const dxReference = new Float32Array(x.length).fill(0.5);
    col2imAdd(reference, g, dxReference);
    const dx = heap(x.length).fill(0.5);
    kernels.col2imAdd(ours, g, dx, 0, g.batch);
    assert.deepEqual(dx, dxReference, `col2im ${JSON.stringify(g)}`);
  }
  assert.throws(
    () => kernels.im2col(new Float32Array(4), cases[0], new Float32Array(4), 0, 1),
    /views on the wasm heap/,
  );
});

test("wasm Sum over leading axes (bias gradients) matches tfjs' cpu kernel; other reductions still work", async () => {
  const cases: { shape: number[]; axis: number | number[]; keepDims?: boolean }[] = [
    { shape: [24, 7, 7, 64], axis: [0, 1, 2] }, // a conv bias gradient
    { shape: [5, 3], axis: 0 },
    { shape: [2, 3, 4], axis: [1, 0], keepDims: true }, // unordered, keepDims
    { shape: [2, 3, 4], axis: [-3, -2] }, // negative axes
    { shape: [2, 3, 4], axis: [1, 2] }, // not leading: wasm's own kernel
    { shape: [2, 3, 4], axis: [0, 1, 2] }, // everything
    { shape: [4, 3], axis: null as unknown as number }, // no axis: everything
    { shape: [6], axis: 0 },
  ];
  for (const c of cases) {
    const x = random(c.shape.reduce((a, b) => a * b, 1));
    const shapes: number[][] = [];
    const [reference, ours] = await onBoth(() => {
      const s = tf.sum(tf.tensor(x, c.shape), c.axis, c.keepDims);
      shapes.push(s.shape);
      return s;
    });
    assert.deepEqual(shapes[1], shapes[0], JSON.stringify(c));
    assert.ok(
      maxAbsDiff(reference, ours) / Math.max(1, maxAbs(reference)) < 1e-5,
      `${JSON.stringify(c)}: max diff ${maxAbsDiff(reference, ours)}`,
    );
  }
  await useBackend("wasm");
  assert.deepEqual(tf.sum(tf.tensor([], [0, 3]), 0).dataSync(), new Float32Array(3));
  assert.deepEqual(
    tf
      .sum(
        tf.tensor2d(
          [
            [1, 2],
            [3, 4],
          ],
          [2, 2],
          "int32",
        ),
        0,
      )
      .dataSync(),
    new Int32Array([4, 6]),
  );
});

test("wasm Identity shares the buffer: a clone outlives its source and keeps its values", async () => {
  await useBackend("wasm");
  const before = tf.memory().numTensors;
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  x.dispose();
  assert.deepEqual(y.dataSync(), new Float32Array([1, 2, 3]));
  y.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test(
  "wasm BatchMatMul and _FusedMatMul (OpenBLAS) match tfjs' cpu kernels: transposes, batches, broadcasting, bias, activations, gradients",
  { skip: openBlas() === null && "libopenblas is not installed" },
  async () => {
    await useBackend("wasm");
    assert.ok(registerWasmKernels().replaced.includes("BatchMatMul"));
    const close = (reference: Float32Array, ours: Float32Array, what: string): void => {
      assert.equal(ours.length, reference.length, what);
      assert.ok(
        maxAbsDiff(reference, ours) / Math.max(1, maxAbs(reference)) < 1e-5,
        `${what}: max diff ${maxAbsDiff(reference, ours)}`,
      );
    };
    const products: { a: number[]; b: number[]; ta?: boolean; tb?: boolean }[] = [
      { a: [5, 3], b: [3, 7] },
      { a: [3, 5], b: [3, 7], ta: true },
      { a: [5, 3], b: [7, 3], tb: true },
      { a: [3, 5], b: [7, 3], ta: true, tb: true },
      { a: [1, 9], b: [9, 4] }, // one row
      { a: [3, 4, 5], b: [3, 5, 6] }, // batched
      { a: [2, 3, 4, 5], b: [2, 3, 6, 5], tb: true }, // rank 4
      { a: [2, 4, 5], b: [5, 6] }, // B broadcast: one stacked GEMM
      { a: [2, 5, 4], b: [5, 6], ta: true }, // B broadcast, A transposed
      { a: [4, 5], b: [3, 5, 6] }, // A broadcast
      { a: [2, 1, 4, 5], b: [1, 3, 5, 6] }, // broadcasting one loop cannot express: wasm's own kernel
      { a: [4, 0], b: [0, 3] }, // empty inner dimension
    ];
    for (const c of products) {
      const a = random(c.a.reduce((x, y) => x * y, 1));
      const b = random(c.b.reduce((x, y) => x * y, 1));
      const [reference, ours] = await onBoth(() => tf.matMul(tf.tensor(a, c.a), tf.tensor(b, c.b), c.ta, c.tb));
      close(reference, ours, JSON.stringify(c));
    }
    const fused: {
      bias?: number[];
      activation?: "linear" | "relu" | "relu6" | "sigmoid" | "elu" | "leakyrelu" | "prelu";
      alpha?: number;
    }[] = [
      { bias: [6] },
      { bias: [1] },
      { bias: [1, 6], activation: "relu" },
      { activation: "relu6" },
      { bias: [6], activation: "sigmoid" },
      { bias: [6], activation: "elu" },
      { bias: [6], activation: "leakyrelu", alpha: 0.1 },
      { bias: [6], activation: "prelu" },
      { activation: "prelu" },
      { bias: [4, 1], activation: "relu" },
    ];
    const a = random(2 * 4 * 5);
    const b = random(5 * 6);
    for (const f of fused) {
      const bias = f.bias && random(f.bias.reduce((x, y) => x * y, 1));
      const [reference, ours] = await onBoth(() =>
        tf.fused.matMul({
          a: tf.tensor(a, [2, 4, 5]),
          b: tf.tensor(b, [5, 6]),
          bias: bias && tf.tensor(bias, f.bias),
          activation: f.activation,
          leakyreluAlpha: f.alpha,
          preluActivationWeights: f.activation === "prelu" ? tf.tensor1d([0.3, 0.1, 0, -0.2, 1, 0.5]) : undefined,
        }),
      );
      close(reference, ours, JSON.stringify(f));
    }
    // Gradients go through BatchMatMul with transposes.
    const w = random(5 * 6);
    const bias = random(6);
    const [reference, ours] = await onBoth(() => {
      const grads = tf.grads((x: tf.Tensor, k: tf.Tensor, c: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.fused.matMul({ a: x as tf.Tensor2D, b: k as tf.Tensor2D, bias: c, activation: "relu" }),
            tf.sin(tf.range(0, 24).reshape([4, 6])),
          ),
        ),
      );
      return tf.concat(
        grads([tf.tensor(a.subarray(0, 20), [4, 5]), tf.tensor(w, [5, 6]), tf.tensor(bias, [6])]).map((g) =>
          g.flatten(),
        ),
      );
    });
    close(reference, ours, "gradients of relu(x·W + b)");
  },
);

test(
  "OpenBLAS sgemm agrees with the JS GEMM (all transpose combinations)",
  { skip: openBlas() === null && "libopenblas is not installed" },
  () => {
    const blas = openBlas()!;
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const [m, n, k] = [5, 7, 3];
      const a = random(m * k);
      const b = random(k * n);
      const c1 = random(m * n);
      const c2 = Float32Array.from(c1);
      jsGemm.sgemm(ta, tb, m, n, k, 0.5, a, ta ? m : k, b, tb ? k : n, 2, c1, n);
      blas.sgemm(ta, tb, m, n, k, 0.5, a, ta ? m : k, b, tb ? k : n, 2, c2, n);
      assert.ok(maxAbsDiff(c1, c2) < 1e-5, `trans ${ta}/${tb}`);
    }
    // subarray views are passed at their offset
    const big = random(40);
    const out = new Float32Array(4);
    blas.sgemm(false, false, 2, 2, 2, 1, big.subarray(10, 14), 2, big.subarray(20, 24), 2, 0, out, 2);
    const ref = new Float32Array(4);
    jsGemm.sgemm(false, false, 2, 2, 2, 1, big.subarray(10, 14), 2, big.subarray(20, 24), 2, 0, ref, 2);
    assert.ok(maxAbsDiff(out, ref) < 1e-6);
  },
);

test("whole-model gradients on wasm match the cpu backend (SqueezeNet, SentinelNet, MobileNetV3-Small, ShuffleNetV2)", async () => {
  const check = async (
    build: () => ReturnType<typeof buildSqueezeNet>,
    shape: number[],
    classes: number,
  ): Promise<void> => {
    const x = random(shape.reduce((a, b) => a * b, 1));
    const labels = Int32Array.from({ length: shape[0] }, (_, i) => i % classes);
    const grads: Float32Array[][] = [];
    for (const backend of ["cpu", "wasm"] as const) {
      await useBackend(backend);
      const model = build();
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { grads: g, value } = tf.variableGrads(
        () =>
          tf.losses.softmaxCrossEntropy(
            tf.oneHot(tf.tensor1d(labels, "int32"), classes),
            model.apply(tf.tensor(x, shape), { training: false }) as tf.Tensor,
          ) as tf.Scalar,
        vars,
      );
      grads.push(Object.values(g).map((t) => t.dataSync() as Float32Array));
      tf.dispose([value, ...Object.values(g)]);
      model.dispose();
    }
    grads[0].forEach((ref, i) => {
      const scale = Math.max(1e-3, maxAbs(ref));
      assert.ok(
        maxAbsDiff(ref, grads[1][i]) / scale < 1e-3,
        `tensor ${i}: ${maxAbsDiff(ref, grads[1][i])} (scale ${scale})`,
      );
    });
  };
  await check(() => buildSqueezeNet({ seed: 5 }), [2, 32, 32, 3], 10);
  await check(() => buildSentinelNet({ ...sentinelNetDebugConfig, seed: 5 }), [3, 78], 15);
  // Depthwise convolutions, hard-swish, squeeze-and-excitation, channel split and shuffle.
  for (const name of ["mobilenet_v3_small", "shufflenet_v2_x0_5"])
    await check(() => visionZoo[name].build({ inputShape: [32, 32, 3], classes: 10, seed: 5 }), [2, 32, 32, 3], 10);
});

test("wasm depthwise convolution (forward, input and filter gradients) matches tfjs' cpu kernels: strides, explicit and same padding, multiplier 2 (tfjs has no dilated depthwise gradient)", async () => {
  const cases: {
    x: number[];
    w: number[];
    s: number;
    pad: "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
    d: number;
  }[] = [
    { x: [2, 9, 9, 5], w: [3, 3, 5, 1], s: 1, pad: "same", d: 1 },
    { x: [2, 10, 10, 8], w: [3, 3, 8, 1], s: 2, pad: "valid", d: 1 },
    {
      x: [1, 11, 7, 3],
      w: [5, 5, 3, 1],
      s: 2,
      pad: [
        [0, 0],
        [2, 2],
        [2, 2],
        [0, 0],
      ],
      d: 1,
    },
    { x: [1, 8, 8, 3], w: [3, 3, 3, 2], s: 1, pad: "valid", d: 1 },
  ];
  for (const c of cases) {
    const x = random(c.x.reduce((a, b) => a * b, 1));
    const w = random(c.w.reduce((a, b) => a * b, 1));
    for (const wrt of ["forward", "input", "filter"] as const) {
      const [reference, ours] = await onBoth(() => {
        const xt = tf.tensor4d(x, c.x as [number, number, number, number]);
        const wt = tf.tensor4d(w, c.w as [number, number, number, number]);
        const forward = (a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
          tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad, "NHWC", c.d);
        const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => {
          const y = forward(a, b);
          return tf.sum(tf.mul(y, tf.sin(tf.range(0, y.size).reshape(y.shape))));
        };
        if (wrt === "forward") return forward(xt, wt);
        return wrt === "input"
          ? tf.grad((a: tf.Tensor) => loss(a, wt))(xt)
          : tf.grad((b: tf.Tensor) => loss(xt, b))(wt);
      });
      assert.ok(
        maxAbsDiff(reference, ours) / Math.max(1, maxAbs(reference)) < 1e-5,
        `${wrt} ${JSON.stringify(c)}: max diff ${maxAbsDiff(reference, ours)}`,
      );
    }
  }
});

test("SIMD depthwise gradients on a wasm memory equal the JS reference (padding, strides, dilation, odd channels); multiplier 2 is declined", () => {
  const api = (
    globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }
  ).WebAssembly;
  const memory = new api.Memory({ initial: 256 });
  const kernels = depthwiseKernels(memory);
  if (kernels instanceof Error) throw kernels;
  const geometry = (b: number, h: number, w: number, c: number, f: number, s: number, pad: number, d = 1) =>
    squareGeometry({ batch: b, h, w, ci: c, co: c, f, s, pad, d });
  const cases = [
    geometry(2, 9, 9, 37, 3, 1, 1),
    geometry(3, 10, 10, 16, 3, 2, 1),
    geometry(1, 11, 7, 3, 5, 2, 2),
    geometry(2, 8, 8, 6, 3, 1, 0, 2),
    geometry(1, 7, 7, 96, 5, 1, 2),
  ];
  let at = 0;
  const view = (n: number): Float32Array => {
    const v = new Float32Array(memory.buffer, at, n);
    at += 4 * n + 64;
    return v;
  };
  for (const g of cases) {
    at = 0;
    const xs = g.batch * g.inHeight * g.inWidth * g.inChannels;
    const ys = g.batch * g.outHeight * g.outWidth * g.inChannels;
    const fs = g.filterHeight * g.filterWidth * g.inChannels;
    const [x, dy, filter, dx, dFilter] = [view(xs), view(ys), view(fs), view(xs), view(fs)];
    x.set(random(xs));
    dy.set(random(ys));
    filter.set(random(fs));
    const [dxRef, dFilterRef] = [new Float32Array(xs), new Float32Array(fs)];
    depthwiseBackpropInput(dy, filter, g, dxRef);
    depthwiseBackpropFilter(x, dy, g, dFilterRef);
    dx.fill(NaN);
    dFilter.fill(NaN);
    assert.ok(kernels.backpropInput(dy, filter, g, dx));
    assert.ok(kernels.backpropFilter(x, dy, g, dFilter));
    const scale = (a: Float32Array): number => Math.max(1, maxAbs(a));
    assert.ok(maxAbsDiff(dx, dxRef) / scale(dxRef) < 1e-6, `input ${JSON.stringify(g)}: ${maxAbsDiff(dx, dxRef)}`);
    assert.ok(
      maxAbsDiff(dFilter, dFilterRef) / scale(dFilterRef) < 1e-6,
      `filter ${JSON.stringify(g)}: ${maxAbsDiff(dFilter, dFilterRef)}`,
    );
  }
  const twice = { ...geometry(1, 5, 5, 4, 3, 1, 1), outChannels: 8 };
  assert.equal(kernels.backpropInput(view(200), view(72), twice, view(100)), false);
  assert.throws(
    () => kernels.backpropInput(new Float32Array(4), new Float32Array(4), cases[0], new Float32Array(4)),
    /views on the wasm heap/,
  );
});

test("wasm Tile: whole-copy tiles (batch-norm gradients) and every other tile match tfjs' cpu kernel", async () => {
  const cases: [number[], number[]][] = [
    [
      [1, 1, 1, 5],
      [2, 3, 4, 1],
    ],
    [
      [1, 7],
      [9, 1],
    ],
    [[3], [4]],
    [
      [2, 1, 3],
      [1, 2, 1],
    ],
    [
      [1, 1, 2],
      [3, 2, 2],
    ],
    [
      [1, 4],
      [0, 1],
    ],
  ];
  for (const [shape, reps] of cases) {
    const x = random(shape.reduce((a, b) => a * b, 1));
    const [reference, ours] = await onBoth(() => tf.tile(tf.tensor(x, shape), reps));
    assert.deepEqual(Array.from(ours), Array.from(reference), `${JSON.stringify(shape)} × ${JSON.stringify(reps)}`);
  }
});

test("wasm Slice, SplitV and Unpack read the heap in place and match tfjs' cpu kernels (contiguous and strided boxes, int32, bool, empty)", async () => {
  const cases: { shape: number[]; begin: number[]; size: number[] }[] = [
    { shape: [39, 4, 8], begin: [7, 0, 0], size: [1, 4, 8] }, // one time step of a time-major tensor
    { shape: [4, 16], begin: [0, 4], size: [4, 4] }, // one gate of four
    { shape: [2, 5, 6, 3], begin: [1, 1, 2, 0], size: [1, 3, 3, 3] }, // PadV2's gradient
    { shape: [2, 5, 6, 3], begin: [0, 1, 1, 1], size: [2, 4, 4, 2] }, // innermost axis cut too
    { shape: [3, 4], begin: [1, 0], size: [-1, -1] }, // −1: to the end
    { shape: [6], begin: [2], size: [3] },
    { shape: [3, 4], begin: [1, 1], size: [0, 2] }, // empty
    { shape: [2, 5, 6, 8], begin: [0, 0, 0, 3], size: [2, 5, 6, 4] }, // channels of NHWC: one run per pixel
    { shape: [3, 4, 5, 6], begin: [1, 0, 0, 2], size: [2, 4, 5, 3] }, // rows merged over two axes, then an outer one
    { shape: [3, 4, 5, 6], begin: [0, 1, 2, 0], size: [3, 2, 3, 6] }, // rows not mergeable (axis 2 cut)
  ];
  for (const { shape, begin, size } of cases) {
    const x = random(shape.reduce((a, b) => a * b, 1));
    const [reference, ours] = await onBoth(() => tf.slice(tf.tensor(x, shape), begin, size));
    assert.deepEqual(Array.from(ours), Array.from(reference), `slice ${JSON.stringify({ shape, begin, size })}`);
    // The pure function with the JS row copy (what runs off the wasm heap).
    const whole = size.map((d, i) => (d === -1 ? shape[i] - begin[i] : d));
    const js = new Float32Array(whole.reduce((a, b) => a * b, 1));
    sliceInto(x, shape, begin, whole, js, jsRowCopy);
    assert.deepEqual(Array.from(js), Array.from(reference), `sliceInto ${JSON.stringify({ shape, begin, size })}`);
  }
  // Made in their dtype (wasm's cast to bool keeps non-zero values as they are).
  const ints = Int32Array.from(random(24), (v) => Math.round(v * 3));
  for (const dtype of ["int32", "bool"] as const) {
    const values = dtype === "bool" ? ints.map((v) => (v > 0 ? 1 : 0)) : ints;
    const [reference, ours] = await onBoth(() => tf.slice(tf.tensor(values, [2, 3, 4], dtype), [0, 1, 1], [2, 2, 2]));
    assert.deepEqual(Array.from(ours), Array.from(reference), dtype);
  }
  const x = random(2 * 6 * 5);
  for (const [splits, axis] of [
    [3, 1],
    [[1, 4], 2],
    [[2, -1, 1], 1],
  ] as const) {
    const [reference, ours] = await onBoth(() =>
      tf.concat(
        tf.split(tf.tensor(x, [2, 6, 5]), splits as number | number[], axis).map((t) => t.flatten()),
        0,
      ),
    );
    assert.deepEqual(Array.from(ours), Array.from(reference), `split ${JSON.stringify(splits)} on axis ${axis}`);
  }
  for (const axis of [0, 1, -1]) {
    const [reference, ours] = await onBoth(() =>
      tf.stack(tf.unstack(tf.tensor(x, [2, 6, 5]), axis).map((t, i) => tf.mul(t, i + 1))),
    );
    assert.deepEqual(Array.from(ours), Array.from(reference), `unstack on axis ${axis}`);
  }
});

test("wasm Concat writes the heap in place and matches tfjs' cpu kernel (every axis, uneven parts, empty parts, int32, bool)", async () => {
  await useBackend("wasm");
  assert.ok(registerWasmKernels().replaced.includes("Concat"));
  const parts = (shapes: number[][]): Float32Array[] => shapes.map((s) => random(s.reduce((a, b) => a * b, 1)));
  const cases: { shapes: number[][]; axis: number }[] = [
    {
      shapes: [
        [4, 7, 7, 16],
        [4, 7, 7, 16],
      ],
      axis: 3,
    }, // a fire module's expand outputs
    {
      shapes: [
        [2, 3, 4],
        [2, 3, 1],
        [2, 3, 5],
      ],
      axis: -1,
    },
    {
      shapes: [
        [2, 3, 4],
        [2, 1, 4],
      ],
      axis: 1,
    },
    {
      shapes: [
        [2, 3, 4],
        [5, 3, 4],
      ],
      axis: 0,
    },
    {
      shapes: [
        [2, 0, 4],
        [2, 3, 4],
      ],
      axis: 1,
    }, // an empty part
    { shapes: [[6], [2]], axis: 0 },
  ];
  for (const { shapes, axis } of cases) {
    const values = parts(shapes);
    const [reference, ours] = await onBoth(() =>
      tf.concat(
        values.map((v, i) => tf.tensor(v, shapes[i])),
        axis,
      ),
    );
    assert.deepEqual(Array.from(ours), Array.from(reference), `concat ${JSON.stringify({ shapes, axis })}`);
    const js = new Float32Array(reference.length);
    const along = axis < 0 ? axis + shapes[0].length : axis;
    concatInto(values, shapes, along, js, jsRowCopy);
    assert.deepEqual(Array.from(js), Array.from(reference), `concatInto ${JSON.stringify({ shapes, axis })}`);
  }
  const ints = Int32Array.from(random(24), (v) => Math.round(v * 3));
  for (const dtype of ["int32", "bool"] as const) {
    const values = dtype === "bool" ? ints.map((v) => (v > 0 ? 1 : 0)) : ints;
    const [reference, ours] = await onBoth(() =>
      tf.concat([tf.tensor(values.slice(0, 12), [2, 3, 2], dtype), tf.tensor(values.slice(12), [2, 3, 2], dtype)], 2),
    );
    assert.deepEqual(Array.from(ours), Array.from(reference), dtype);
  }
});

/** A convolution case: NHWC input and HWIO filter shapes, stride, padding, with or without bias. */
interface BiasConvCase {
  x: [number, number, number, number];
  w: [number, number, number, number];
  s: number;
  pad: "same" | "valid" | number;
  bias: boolean;
}

test("wasm FusedConv2D (the GEMM convolution, then bias and activation) matches tfjs' cpu kernel: padding kinds, strides, dilation, activations", async () => {
  const cases: (BiasConvCase & {
    d?: number;
    activation: "linear" | "relu" | "relu6" | "leakyrelu" | "prelu" | "sigmoid" | "elu";
  })[] = [
    { x: [2, 9, 9, 3], w: [3, 3, 3, 8], s: 2, pad: 1, activation: "linear", bias: false }, // the zoo's strided conv
    { x: [2, 8, 8, 4], w: [3, 3, 4, 6], s: 1, pad: "same", activation: "relu", bias: true },
    { x: [1, 11, 7, 5], w: [7, 7, 5, 4], s: 2, pad: 3, activation: "relu6", bias: true },
    { x: [2, 6, 6, 8], w: [1, 1, 8, 3], s: 1, pad: "valid", activation: "leakyrelu", bias: true }, // pointwise
    { x: [2, 9, 9, 2], w: [3, 3, 2, 5], s: 1, pad: "same", d: 2, activation: "prelu", bias: true },
    { x: [1, 5, 5, 3], w: [3, 3, 3, 2], s: 1, pad: "valid", activation: "sigmoid", bias: true },
    { x: [1, 5, 5, 3], w: [3, 3, 3, 2], s: 1, pad: "valid", activation: "elu", bias: false },
  ];
  for (const c of cases) {
    const x = random(c.x.reduce((a, b) => a * b, 1));
    const w = random(c.w.reduce((a, b) => a * b, 1));
    const bias = random(c.w[3]);
    const slopes = random(c.w[3]);
    const [reference, ours] = await onBoth(() =>
      tf.fused.conv2d({
        x: tf.tensor4d(x, c.x),
        filter: tf.tensor4d(w, c.w),
        strides: c.s,
        pad: c.pad,
        dilations: c.d ?? 1,
        bias: c.bias ? tf.tensor1d(bias) : undefined,
        activation: c.activation,
        leakyreluAlpha: 0.1,
        preluActivationWeights: c.activation === "prelu" ? tf.tensor1d(slopes) : undefined,
      }),
    );
    assert.equal(ours.length, reference.length);
    assert.ok(maxAbsDiff(ours, reference) < 1e-4 * Math.max(1, maxAbs(reference)), JSON.stringify(c));
  }
});

test("conv2dOp: x, filter and bias gradients equal tfjs' fused.conv2d on cpu and wasm, and a gradient no variable needs is never computed", async () => {
  const cases: BiasConvCase[] = [
    { x: [2, 9, 9, 3], w: [3, 3, 3, 8], s: 2, pad: 1, bias: false }, // the zoo's strided stem
    { x: [1, 11, 7, 5], w: [7, 7, 5, 4], s: 2, pad: 3, bias: true },
    { x: [2, 8, 8, 4], w: [3, 3, 4, 6], s: 1, pad: "same", bias: true },
    { x: [2, 6, 6, 8], w: [1, 1, 8, 3], s: 1, pad: "valid", bias: false },
  ];
  for (const backend of ["cpu", "wasm"] as const) {
    await useBackend(backend);
    for (const c of cases) {
      const x = tf.tensor4d(random(c.x.reduce((a, b) => a * b, 1)), c.x);
      const w = tf.tensor4d(random(c.w.reduce((a, b) => a * b, 1)), c.w);
      const b = tf.tensor1d(random(c.w[3]));
      const weights = tf.tensor4d(random(c.x[0] * c.w[3] * 16), [c.x[0], 4, 4, c.w[3]]).mean([1, 2]);
      // A loss that weights every output differently, so a transposed or shifted gradient shows.
      const loss = (y: tf.Tensor4D): tf.Scalar => tf.mul(tf.mean(y, [1, 2]), weights).sum();
      const bias = c.bias ? b : undefined;
      const inputs = c.bias ? [x, w, b] : [x, w];
      const strides: [number, number] = [c.s, c.s];
      const ours = tf.grads((...v: tf.Tensor[]) =>
        loss(conv2dOp(v[0] as tf.Tensor4D, v[1] as tf.Tensor4D, v[2] as tf.Tensor1D | undefined, strides, c.pad)),
      )(inputs);
      const reference = tf.grads((...v: tf.Tensor[]) =>
        loss(
          tf.fused.conv2d({
            x: v[0] as tf.Tensor4D,
            filter: v[1] as tf.Tensor4D,
            strides,
            pad: c.pad,
            bias: v[2] as tf.Tensor1D | undefined,
          }),
        ),
      )(inputs);
      const names = ["x", "filter", ...(bias ? ["bias"] : [])];
      names.forEach((name, i) => {
        const [r, o] = [reference[i].dataSync(), ours[i].dataSync()] as Float32Array[];
        assert.ok(maxAbsDiff(o, r) < 1e-4 * Math.max(1, maxAbs(r)), `${backend} ${name} ${JSON.stringify(c)}`);
      });
      // The filter alone: no input-gradient convolution runs (tfjs' fused.conv2d runs one).
      const kernels = async (op: (xs: tf.Tensor4D, ws: tf.Tensor4D) => tf.Tensor4D): Promise<string[]> =>
        (await tf.profile(() => tf.grad((ws: tf.Tensor) => loss(op(x, ws as tf.Tensor4D)))(w))).kernelNames;
      assert.ok(
        !(await kernels((xs, ws) => conv2dOp(xs, ws, bias, [c.s, c.s], c.pad))).includes("Conv2DBackpropInput"),
      );
      assert.ok(
        (await kernels((xs, ws) => tf.fused.conv2d({ x: xs, filter: ws, strides: c.s, pad: c.pad, bias }))).includes(
          "Conv2DBackpropInput",
        ),
      );
      tf.dispose([x, w, b, weights, ...ours, ...reference]);
    }
  }
});

test("copyTensorsInto and tensorsFrom: values to one buffer and back, in place only where a tensor owns its wasm data alone", async () => {
  for (const backend of ["wasm", "cpu"] as const) {
    await useBackend(backend);
    const a = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const b = tf.tensor1d([5, 6, 7]);
    const base = tf.tensor1d([8, 9]);
    const view = base.reshape([1, 2]); // shares base's data
    const like = [a, b, view, b]; // b listed twice
    const buf = new Float32Array(12);
    copyTensorsInto(like, buf);
    assert.deepEqual([...buf], [1, 2, 3, 4, 5, 6, 7, 8, 9, 5, 6, 7], backend);
    assert.throws(() => copyTensorsInto(like, new Float32Array(11)), /do not fit a buffer of 11/);
    const back = tensorsFrom(
      buf.map((v) => -v),
      like.slice(0, 3),
    );
    assert.deepEqual(
      back.map((t) => [...t.dataSync()]),
      [
        [-1, -2, -3, -4],
        [-5, -6, -7],
        [-8, -9],
      ],
      backend,
    );
    assert.deepEqual(back[0].shape, [2, 2]);
    // In place on wasm for a tensor that owns its data; never for the reshape, whose source must keep its values.
    assert.equal(back[0] === a, backend === "wasm", `${backend}: a in place`);
    assert.notEqual(back[2], view);
    assert.deepEqual([...base.dataSync()], [8, 9]);
    // A tensor listed twice is never overwritten in place (b holds what the call above left in it).
    const before = [...b.dataSync()];
    const twice = tensorsFrom(Float32Array.of(0, 0, 0, 1, 1, 1), [b, b]);
    assert.ok(twice[0] !== b && twice[1] !== b);
    assert.deepEqual([...b.dataSync()], before);
    assert.deepEqual(
      twice.map((t) => [...t.dataSync()]),
      [
        [0, 0, 0],
        [1, 1, 1],
      ],
    );
    tf.dispose([a, b, base, view, ...back, ...twice]);
  }
});
