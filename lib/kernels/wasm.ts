/**
 * Kernels edgelab adds to tfjs' wasm backend. It lacks `Conv2DBackpropFilter` (so it cannot train
 * convolutions) and its own `Conv2D`, `Conv2DBackpropInput` and `MaxPoolGrad` are single-threaded
 * and, for the last two, naive: profiling one SqueezeNet-32 training step put 65 % of the time in
 * them. Where oneDNN has JIT kernels for the CPU, convolutions of at least 10 MFLOP and every
 * depthwise pass run on it (./dnnl-conv); the rest, and everything without oneDNN, run as im2col +
 * multi-threaded `sgemm` (oneDNN's, so one OpenMP pool serves both, else OpenBLAS'), the patch
 * transforms (im2col/col2im) running as wasm SIMD loops on the heap. Without either library only
 * the missing kernel is added (on the JS GEMM) and wasm keeps its own convolutions, which beat a JS
 * GEMM. Either way `MaxPoolGrad` is a SIMD loop (JS where SIMD is missing), and Identity and
 * bias-gradient Sum are replaced: tfjs' training loop calls them on every saved tensor and bias.
 * With a native GEMM, `BatchMatMul` and `_FusedMatMul` go to it too: wasm's run a transposed
 * operand (every dense and LSTM gradient) ~16× slower than a plain one. `Slice`, `SplitV` and
 * `Unpack` are replaced everywhere (wasm's copy the whole input out of the heap for every part), and
 * `Concat` (wasm's copies one run at a time in JS): their runs go to a SIMD row copy on the heap.
 *
 * Kernels read inputs straight from the wasm heap and write into heap memory the backend
 * allocates: no copies through JS arrays.
 */
import * as tf from "@tensorflow/tfjs-core";
import { oneDnn } from "../native/onednn";
import { openBlas } from "../native/openblas";
import { jsBatchNormLoops } from "./batch-norm";
import { wasmLoops } from "./batch-norm-op";
import { columnSums, reducesLeadingAxes } from "./column-sum";
import { conv2dForward } from "./conv2d";
import { conv2dBackpropFilter } from "./conv-backprop-filter";
import { conv2dBackpropInput } from "./conv-backprop-input";
import { depthwiseBackpropFilter, depthwiseBackpropInput } from "./depthwise";
import { depthwiseKernels, type DepthwiseKernels } from "./depthwise-simd";
import { dnnlConvolution, dnnlName, type DnnlConvolution } from "./dnnl-conv";
import { jsGemm, type Gemm } from "./gemm";
import { concatInto } from "./concat";
import { jsRowCopy, type RowCopy } from "./row-copy";
import { rowCopyKernel } from "./row-copy-wasm";
import { sliceInto, type TensorValues } from "./slice";
import { repeatWhole, wholeCopies } from "./tile";
import {
  geometryFromInfo,
  imagesPerChunk,
  isPointwise,
  jsPatchOps,
  patchSize,
  type ConvGeometry,
  type PatchOps,
} from "./im2col";
import {
  batchMatMul,
  broadcastTo,
  fusedEpilogue,
  isFusedActivation,
  matMulGeometry,
  type MatMulGeometry,
} from "./matmul";
import { maxPoolGrad, type PoolGeometry } from "./max-pool-grad";
import { patchKernels, type PatchKernels } from "./patches-simd";
import { activeWasmHeap, type WasmHeap } from "./wasm-heap";
import { perMemory } from "./wasm-module";

interface HeapTensorInfo {
  dataId: object;
  shape: number[];
  dtype: string;
}
interface WasmBackend {
  makeOutput(shape: number[], dtype: string): HeapTensorInfo;
  typedArrayFromHeap(t: HeapTensorInfo): Float32Array;
  incRef(dataId: object): void;
}
type Shape4 = [number, number, number, number];
type Pad = "valid" | "same" | number;
type Rounding = "floor" | "round" | "ceil" | undefined;

/** What was registered, and with which GEMM. */
export interface WasmKernelReport {
  /** Kernels wasm lacked, now provided. */
  registered: string[];
  /** wasm's own kernels replaced by faster ones. */
  replaced: string[];
  gemm: string;
  /** What runs the convolutions: oneDNN, or im2col + the GEMM. */
  convolutions: string;
}

let report: WasmKernelReport | null = null;

/**
 * The GEMM the native kernels use: oneDNN's `dnnl_sgemm` where oneDNN runs the convolutions (the
 * same OpenMP threads, and 10–130 % faster than OpenBLAS on the small products of a SqueezeNet-32
 * step), else OpenBLAS, else JS. oneDNN's JIT GEMM points the stack pointer into the heap while it
 * runs, so the binding holds signals off around it (`native/signals`).
 */
export function kernelGemm(): Gemm {
  const dnnl = oneDnn();
  if (dnnl) return { name: `onednn (${dnnl.library})`, sgemm: dnnl.sgemm };
  const blas = openBlas();
  return blas ? { name: `openblas (${blas.library})`, sgemm: blas.sgemm } : jsGemm;
}

let simdPatches: PatchKernels | Error | undefined;

/** The heap and its SIMD patch kernels, or null when they cannot load (JS is used then). */
function simd(): { heap: WasmHeap; kernels: PatchKernels } | null {
  const heap = activeWasmHeap();
  if (!heap) return null;
  simdPatches ??= patchKernels(heap.memory);
  return simdPatches instanceof Error ? null : { heap, kernels: simdPatches };
}

const heapRowCopy = perMemory(rowCopyKernel);

/** The SIMD row copy on the active wasm heap, else the JS one. Pass heap views only. */
function rowCopy(): RowCopy {
  const heap = activeWasmHeap();
  const kernel = heap ? heapRowCopy(heap.memory) : null;
  return kernel === null || kernel instanceof Error ? jsRowCopy : kernel;
}

let simdDepthwise: DepthwiseKernels | Error | undefined;

/** The SIMD depthwise gradients on the heap, or null when they cannot load (JS is used then). */
function depthwiseSimd(): DepthwiseKernels | null {
  const heap = activeWasmHeap();
  if (!heap) return null;
  simdDepthwise ??= depthwiseKernels(heap.memory);
  return simdDepthwise instanceof Error ? null : simdDepthwise;
}

/**
 * The patch transforms for geometry `g`: SIMD on the heap when they load, else JS. Call before
 * taking heap views: reserving the heap scratch may grow (and so detach) the heap.
 */
function patchOps(g: ConvGeometry): PatchOps {
  const s = isPointwise(g) ? null : simd();
  if (!s) return jsPatchOps;
  const pointer = s.heap.reserveScratch(imagesPerChunk(g) * g.outHeight * g.outWidth * patchSize(g) * 4);
  return { ...s.kernels, scratch: (n) => new Float32Array(s.heap.memory.buffer, pointer, n) };
}

/** The three passes of a convolution, in the argument order both implementations share. */
type ConvPass = "forward" | "backwardData" | "backwardWeights";

/** A GEMM convolution kernel over two heap inputs: conv2dForward, …BackpropInput, …BackpropFilter. */
type GemmConv = (
  a: Float32Array,
  b: Float32Array,
  g: ConvGeometry,
  out: Float32Array,
  gemm: Gemm,
  patches: PatchOps,
) => void;

const gemmConv: Record<ConvPass, GemmConv> = {
  forward: conv2dForward,
  backwardData: conv2dBackpropInput,
  backwardWeights: conv2dBackpropFilter,
};

/**
 * Runs convolution pass `pass` on heap tensors `a` and `b` into a new output of `outShape`: on
 * oneDNN when it takes the shape, else as im2col/col2im + GEMM. The output and the patch scratch
 * are allocated before any view is taken: allocating may grow (and so detach) the heap.
 */
function runConv(
  backend: WasmBackend,
  pass: ConvPass,
  a: HeapTensorInfo,
  b: HeapTensorInfo,
  g: ConvGeometry,
  outShape: number[],
  gemm: Gemm,
): tf.TensorInfo {
  const out = backend.makeOutput(outShape, "float32");
  const dnnl = dnnlConvolution(g, false);
  const patches = patchOps(g);
  const [va, vb, vout] = [a, b, out].map((t) => backend.typedArrayFromHeap(t));
  if (!dnnl?.[pass](va, vb, vout)) gemmConv[pass](va, vb, g, vout, gemm, patches);
  return out as unknown as tf.TensorInfo;
}

/** `a · b` on heap tensors into a new output (allocated before the views are taken). */
function runMatMul(
  backend: WasmBackend,
  a: HeapTensorInfo,
  b: HeapTensorInfo,
  g: MatMulGeometry,
  gemm: Gemm,
): tf.TensorInfo {
  const out = backend.makeOutput(g.outShape, "float32");
  if (g.k === 0) backend.typedArrayFromHeap(out).fill(0);
  else if (g.m > 0 && g.n > 0 && g.batch > 0)
    batchMatMul(backend.typedArrayFromHeap(a), backend.typedArrayFromHeap(b), g, backend.typedArrayFromHeap(out), gemm);
  return out as unknown as tf.TensorInfo;
}

/** True when `shape` is n values along the last axis (every other axis 1). */
function isRowVector(shape: number[], n: number): boolean {
  return shape.length > 0 && shape[shape.length - 1] === n && shape.slice(0, -1).every((d) => d === 1);
}

function noNchw(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat === "NCHW") throw new Error(`${kernel} on wasm: NCHW is not supported (edgelab models are NHWC)`);
}

function install(kernelName: string, kernelFunc: tf.KernelFunc, replace: boolean): boolean {
  if (tf.getKernel(kernelName, "wasm")) {
    if (!replace) return false;
    tf.unregisterKernel(kernelName, "wasm");
  }
  tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc });
  return true;
}

/**
 * Registers edgelab's kernels on the wasm backend (once per process), after
 * `@tensorflow/tfjs-backend-wasm` has registered its own (`runtime/backends`' `useBackend("wasm")`
 * does both); called earlier it throws, rather than quietly replacing nothing.
 * Views on the heap are taken after `makeOutput`: allocating may grow (and so detach) the heap.
 */
export function registerWasmKernels(): WasmKernelReport {
  if (report) return report;
  if (!tf.findBackendFactory("wasm"))
    throw new Error("registerWasmKernels: load @tensorflow/tfjs-backend-wasm first (useBackend('wasm') does)");
  const gemm = kernelGemm();
  const convolutions = dnnlName();
  // A native GEMM or oneDNN: either beats wasm's own single-threaded convolutions.
  const nativeGemm = gemm !== jsGemm;
  const native = nativeGemm || convolutions !== null;
  const registered: string[] = [];
  const replaced: string[] = [];
  const note = (name: string, hadIt: boolean, installed: boolean): void => {
    if (installed) (hadIt ? replaced : registered).push(name);
  };

  const filterGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as unknown as { x: HeapTensorInfo; dy: HeapTensorInfo };
    const a = attrs as unknown as {
      strides: [number, number] | number;
      pad: Pad;
      dataFormat: "NHWC" | "NCHW";
      dimRoundingMode?: Rounding;
      filterShape: Shape4;
    };
    noNchw("Conv2DBackpropFilter", a.dataFormat);
    const g = geometryFromInfo(
      tf.backend_util.computeConv2DInfo(
        x.shape as Shape4,
        a.filterShape,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
        false,
        "channelsLast",
      ),
    );
    return runConv(backend as unknown as WasmBackend, "backwardWeights", x, dy, g, a.filterShape, gemm);
  };
  let had = tf.getKernel("Conv2DBackpropFilter", "wasm") !== undefined;
  note("Conv2DBackpropFilter", had, install("Conv2DBackpropFilter", filterGrad, false));

  if (native) {
    /** A forward convolution's attributes (Conv2D's; FusedConv2D adds its activation). */
    interface ForwardAttrs {
      strides: [number, number] | number;
      pad: Pad;
      dataFormat: "NHWC" | "NCHW";
      dilations: [number, number] | number;
      dimRoundingMode?: Rounding;
    }
    /** The im2col + GEMM convolution of heap tensors `x` and `filter` into a new output. */
    const gemmForward = (backend: WasmBackend, x: HeapTensorInfo, filter: HeapTensorInfo, a: ForwardAttrs) => {
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as Shape4,
        filter.shape as Shape4,
        a.strides,
        a.dilations,
        a.pad,
        a.dimRoundingMode,
        false,
        "channelsLast",
      );
      return runConv(backend, "forward", x, filter, geometryFromInfo(info), info.outShape, gemm);
    };
    const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
      const { x, filter } = inputs as unknown as { x: HeapTensorInfo; filter: HeapTensorInfo };
      const a = attrs as unknown as ForwardAttrs;
      noNchw("Conv2D", a.dataFormat);
      return gemmForward(backend as unknown as WasmBackend, x, filter, a);
    };
    had = tf.getKernel("Conv2D", "wasm") !== undefined;
    note("Conv2D", had, install("Conv2D", forward, true));

    // tfjs-layers runs every convolution through FusedConv2D (with a linear activation when there
    // is nothing to fuse), and wasm's is single-threaded: ResNet-18's forward convolutions ran at
    // ~17 GFLOP/s there. The same GEMM convolution as Conv2D, then bias and activation in place.
    const wasmFusedConv = tf.getKernel("FusedConv2D", "wasm");
    if (wasmFusedConv) {
      const fusedConv: tf.KernelFunc = (args) => {
        const { x, filter, bias, preluActivationWeights } = args.inputs as unknown as {
          x: HeapTensorInfo;
          filter: HeapTensorInfo;
          bias?: HeapTensorInfo;
          preluActivationWeights?: HeapTensorInfo;
        };
        const a = args.attrs as unknown as ForwardAttrs & { activation?: string; leakyreluAlpha?: number };
        const channels = filter.shape[3];
        const perChannel = (t?: HeapTensorInfo): boolean =>
          !t || (t.dtype === "float32" && (isRowVector(t.shape, channels) || t.shape.every((d) => d === 1)));
        if (
          a.dataFormat === "NCHW" ||
          x.dtype !== "float32" ||
          !perChannel(bias) ||
          !perChannel(preluActivationWeights) ||
          !isFusedActivation(a.activation)
        )
          return wasmFusedConv.kernelFunc(args);
        const wasm = args.backend as unknown as WasmBackend;
        const out = gemmForward(wasm, x, filter, a);
        const view = (t?: HeapTensorInfo): Float32Array | null => (t ? wasm.typedArrayFromHeap(t) : null);
        fusedEpilogue(
          wasm.typedArrayFromHeap(out as unknown as HeapTensorInfo),
          channels,
          view(bias),
          a.activation,
          a.leakyreluAlpha,
          view(preluActivationWeights),
        );
        return out;
      };
      note("FusedConv2D", true, install("FusedConv2D", fusedConv, true));
    }

    const inputGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as unknown as { dy: HeapTensorInfo; filter: HeapTensorInfo };
      const a = attrs as unknown as {
        strides: [number, number] | number;
        pad: Pad;
        dataFormat: "NHWC" | "NCHW";
        dimRoundingMode?: Rounding;
        inputShape: Shape4;
      };
      noNchw("Conv2DBackpropInput", a.dataFormat);
      const info = tf.backend_util.computeConv2DInfo(
        a.inputShape,
        filter.shape as Shape4,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
        false,
        "channelsLast",
      );
      return runConv(
        backend as unknown as WasmBackend,
        "backwardData",
        dy,
        filter,
        geometryFromInfo(info),
        a.inputShape,
        gemm,
      );
    };
    had = tf.getKernel("Conv2DBackpropInput", "wasm") !== undefined;
    note("Conv2DBackpropInput", had, install("Conv2DBackpropInput", inputGrad, true));
  }

  const poolGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, input, output } = inputs as unknown as {
      dy: HeapTensorInfo;
      input: HeapTensorInfo;
      output: HeapTensorInfo;
    };
    const a = attrs as unknown as {
      filterSize: [number, number] | number;
      strides: [number, number] | number;
      pad: Pad;
      dimRoundingMode?: Rounding;
    };
    const info = tf.backend_util.computePool2DInfo(
      input.shape as Shape4,
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const wasm = backend as unknown as WasmBackend;
    const out = wasm.makeOutput(input.shape, "float32");
    const g: PoolGeometry = {
      batch: info.batchSize,
      inHeight: info.inHeight,
      inWidth: info.inWidth,
      channels: info.inChannels,
      outHeight: info.outHeight,
      outWidth: info.outWidth,
      filterHeight: info.filterHeight,
      filterWidth: info.filterWidth,
      strideHeight: info.strideHeight,
      strideWidth: info.strideWidth,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
    };
    const s = simd();
    const done = s ? s.heap.reserveScratch(g.channels * 4) : 0; // before the views below
    const [dyView, xView, yView, dxView] = [dy, input, output, out].map((t) => wasm.typedArrayFromHeap(t));
    if (
      !s?.kernels.maxPoolGrad(dyView, xView, yView, g, dxView, new Float32Array(s.heap.memory.buffer, done, g.channels))
    ) {
      maxPoolGrad(dyView, xView, yView, g, dxView);
    }
    return out as unknown as tf.TensorInfo;
  };
  had = tf.getKernel("MaxPoolGrad", "wasm") !== undefined;
  note("MaxPoolGrad", had, install("MaxPoolGrad", poolGrad, true));

  // tfjs clones every tensor it saves for the backward pass through Identity, which on wasm
  // copies the data; tensors are immutable, so sharing the buffer (as cpu does) is enough.
  const wasmIdentity = tf.getKernel("Identity", "wasm");
  if (wasmIdentity) {
    const identity: tf.KernelFunc = (args) => {
      const { x } = args.inputs as unknown as { x: HeapTensorInfo };
      if (x.dtype === "string") return wasmIdentity.kernelFunc(args);
      (args.backend as unknown as WasmBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype } as tf.TensorInfo;
    };
    note("Identity", true, install("Identity", identity, true));
  }

  // Sum over all axes but the last (bias gradients) as batch norm's SIMD column sums (float64
  // accumulators; memory-bound, so one thread keeps up), else as a GEMM with a ones vector;
  // anything else goes to wasm's own. OpenBLAS' OpenMP build took 0.1–0.4 ms a call for these
  // M = 1 products inside a training step (SqueezeNet-32, batch 24: 3–11 ms of a ~20 ms step).
  const wasmSum = tf.getKernel("Sum", "wasm");
  if (wasmSum) {
    const sum: tf.KernelFunc = (args) => {
      const { x } = args.inputs as unknown as { x: HeapTensorInfo };
      const { axis, keepDims } = args.attrs as unknown as { axis: number | number[] | null; keepDims: boolean };
      // A null axis means every axis.
      const axes = axis === null || axis === undefined ? x.shape.map((_, i) => i) : Array.isArray(axis) ? axis : [axis];
      if (x.dtype !== "float32" || !reducesLeadingAxes(axes, x.shape.length)) return wasmSum.kernelFunc(args);
      const cols = x.shape[x.shape.length - 1];
      const rows = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const wasm = args.backend as unknown as WasmBackend;
      const loops = cols > 0 ? wasmLoops(cols) : jsBatchNormLoops; // before any view: it may grow the heap
      const out = wasm.makeOutput(keepDims ? [...x.shape.slice(0, -1).map(() => 1), cols] : [cols], "float32");
      // An empty reduction is 0 (wasm's own kernel leaves such outputs uninitialised).
      if (rows === 0) wasm.typedArrayFromHeap(out).fill(0);
      else if (cols > 0 && loops !== jsBatchNormLoops) {
        const acc = new Float64Array(cols);
        loops.columnSums(wasm.typedArrayFromHeap(x), acc);
        wasm.typedArrayFromHeap(out).set(acc);
      } else if (cols > 0) columnSums(wasm.typedArrayFromHeap(x), rows, cols, wasm.typedArrayFromHeap(out), gemm);
      return out as unknown as tf.TensorInfo;
    };
    note("Sum", true, install("Sum", sum, true));
  }

  // Matrix products on the native GEMM, transposes handled by it: wasm's own kernels run a
  // transposed operand ~16× slower, and every dense/LSTM gradient has one.
  const wasmBatchMatMul = tf.getKernel("BatchMatMul", "wasm");
  const wasmFusedMatMul = tf.getKernel("_FusedMatMul", "wasm");
  if (nativeGemm && wasmBatchMatMul) {
    const batchMatMulKernel: tf.KernelFunc = (args) => {
      const { a, b } = args.inputs as unknown as { a: HeapTensorInfo; b: HeapTensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const g =
        a.dtype === "float32" && b.dtype === "float32"
          ? matMulGeometry(a.shape, b.shape, transposeA, transposeB)
          : null;
      if (!g) return wasmBatchMatMul.kernelFunc(args);
      return runMatMul(args.backend as unknown as WasmBackend, a, b, g, gemm);
    };
    note("BatchMatMul", true, install("BatchMatMul", batchMatMulKernel, true));
  }
  if (nativeGemm && wasmFusedMatMul) {
    const fusedMatMulKernel: tf.KernelFunc = (args) => {
      const { a, b, bias, preluActivationWeights } = args.inputs as unknown as {
        a: HeapTensorInfo;
        b: HeapTensorInfo;
        bias?: HeapTensorInfo;
        preluActivationWeights?: HeapTensorInfo;
      };
      const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as {
        transposeA: boolean;
        transposeB: boolean;
        activation?: string;
        leakyreluAlpha?: number;
      };
      const g =
        a.dtype === "float32" && b.dtype === "float32"
          ? matMulGeometry(a.shape, b.shape, transposeA, transposeB)
          : null;
      const perColumn = (t?: HeapTensorInfo): boolean =>
        !t || (t.dtype === "float32" && (isRowVector(t.shape, g?.n ?? -1) || t.shape.every((d) => d === 1)));
      if (
        !g ||
        (bias && bias.dtype !== "float32") ||
        !perColumn(preluActivationWeights) ||
        !isFusedActivation(activation)
      )
        return wasmFusedMatMul.kernelFunc(args);
      const wasm = args.backend as unknown as WasmBackend;
      const out = runMatMul(wasm, a, b, g, gemm) as unknown as HeapTensorInfo;
      const view = (t?: HeapTensorInfo): Float32Array | null => (t ? wasm.typedArrayFromHeap(t) : null);
      // A bias that is not one value per column (wasm's own kernel rejects those) is broadcast first.
      const biasValues =
        bias && !perColumn(bias) ? broadcastTo(wasm.typedArrayFromHeap(bias), bias.shape, g.outShape) : view(bias);
      fusedEpilogue(
        wasm.typedArrayFromHeap(out),
        g.n,
        biasValues,
        activation,
        leakyreluAlpha,
        view(preluActivationWeights),
      );
      return out as unknown as tf.TensorInfo;
    };
    note("_FusedMatMul", true, install("_FusedMatMul", fusedMatMulKernel, true));
  }

  // Depthwise convolution's gradients (MobileNet, EfficientNet, MNASNet, ShuffleNet): wasm has
  // only the forward kernel.
  const depthwiseGrad =
    (which: "input" | "filter"): tf.KernelFunc =>
    ({ inputs, backend, attrs }) => {
      const a = attrs as unknown as {
        strides: [number, number] | number;
        pad: Pad;
        dilations: [number, number] | number;
        dimRoundingMode?: Rounding;
        inputShape?: Shape4;
        filterShape?: Shape4;
      };
      const { x, dy, filter } = inputs as unknown as {
        x?: HeapTensorInfo;
        dy: HeapTensorInfo;
        filter?: HeapTensorInfo;
      };
      const xShape = which === "input" ? (a.inputShape as Shape4) : (x!.shape as Shape4);
      const fShape = which === "input" ? (filter!.shape as Shape4) : (a.filterShape as Shape4);
      const info = tf.backend_util.computeConv2DInfo(
        xShape,
        fShape,
        a.strides,
        a.dilations,
        a.pad,
        a.dimRoundingMode,
        true,
        "channelsLast",
      );
      const wasm = backend as unknown as WasmBackend;
      const out = wasm.makeOutput(which === "input" ? xShape : fShape, "float32");
      const g = geometryFromInfo(info);
      const heap = wasm.typedArrayFromHeap.bind(wasm);
      const dnnl = dnnlConvolution(g, true);
      const done =
        which === "input"
          ? dnnl?.backwardData(heap(dy), heap(filter!), heap(out))
          : dnnl?.backwardWeights(heap(x!), heap(dy), heap(out));
      if (done) return out as unknown as tf.TensorInfo;
      const fast = depthwiseSimd();
      if (which === "input") {
        const [dyValues, filterValues, dx] = [heap(dy), heap(filter!), heap(out)];
        if (!fast?.backpropInput(dyValues, filterValues, g, dx)) depthwiseBackpropInput(dyValues, filterValues, g, dx);
      } else {
        const [xValues, dyValues, dFilter] = [heap(x!), heap(dy), heap(out)];
        if (!fast?.backpropFilter(xValues, dyValues, g, dFilter))
          depthwiseBackpropFilter(xValues, dyValues, g, dFilter);
      }
      return out as unknown as tf.TensorInfo;
    };
  for (const [name, which] of [
    ["DepthwiseConv2dNativeBackpropInput", "input"],
    ["DepthwiseConv2dNativeBackpropFilter", "filter"],
  ] as const) {
    had = tf.getKernel(name, "wasm") !== undefined;
    note(name, had, install(name, depthwiseGrad(which), false));
  }

  // The depthwise forward on oneDNN: wasm's own is single-threaded.
  const wasmDepthwise = tf.getKernel("DepthwiseConv2dNative", "wasm");
  if (convolutions !== null && wasmDepthwise) {
    const depthwise: tf.KernelFunc = (args) => {
      const { x, filter } = args.inputs as unknown as { x: HeapTensorInfo; filter: HeapTensorInfo };
      const a = args.attrs as unknown as {
        strides: [number, number] | number;
        pad: Pad;
        dataFormat: "NHWC" | "NCHW";
        dilations?: [number, number] | number | null;
        dimRoundingMode?: Rounding;
      };
      if (a.dataFormat === "NCHW" || x.dtype !== "float32") return wasmDepthwise.kernelFunc(args);
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as Shape4,
        filter.shape as Shape4,
        a.strides,
        a.dilations ?? 1,
        a.pad,
        a.dimRoundingMode,
        true,
        "channelsLast",
      );
      const dnnl: DnnlConvolution | null = dnnlConvolution(geometryFromInfo(info), true);
      if (!dnnl) return wasmDepthwise.kernelFunc(args);
      const wasm = args.backend as unknown as WasmBackend;
      const out = wasm.makeOutput(info.outShape, "float32");
      dnnl.forward(wasm.typedArrayFromHeap(x), wasm.typedArrayFromHeap(filter), wasm.typedArrayFromHeap(out));
      return out as unknown as tf.TensorInfo;
    };
    note("DepthwiseConv2dNative", true, install("DepthwiseConv2dNative", depthwise, true));
  }

  // Tile of whole copies (batch-norm gradients) as doubling copies; any other tile goes to wasm's own.
  const wasmTile = tf.getKernel("Tile", "wasm");
  if (wasmTile) {
    const tile: tf.KernelFunc = (args) => {
      const { x } = args.inputs as unknown as { x: HeapTensorInfo };
      const { reps } = args.attrs as unknown as { reps: number[] };
      const copies = x.dtype === "float32" ? wholeCopies(x.shape, reps) : null;
      if (copies === null) return wasmTile.kernelFunc(args);
      const wasm = args.backend as unknown as WasmBackend;
      const out = wasm.makeOutput(
        x.shape.map((d, i) => d * reps[i]),
        x.dtype,
      );
      repeatWhole(wasm.typedArrayFromHeap(x), copies, wasm.typedArrayFromHeap(out));
      return out as unknown as tf.TensorInfo;
    };
    note("Tile", true, install("Tile", tile, true));
  }

  // Slice, SplitV and Unpack reading the heap in place: wasm's own copy the whole input out of the
  // heap for every part (an LSTM's per-step slices of a [steps, batch, 4·units] tensor, PadV2's
  // gradient, the split into gates).
  const wasmSlice = tf.getKernel("Slice", "wasm");
  if (wasmSlice) {
    /** The box `begin`/`size` of `x` as a new tensor of `outShape` (default `size`). */
    const copyBox = (wasm: WasmBackend, x: HeapTensorInfo, begin: number[], size: number[], outShape = size) => {
      const out = wasm.makeOutput(outShape, x.dtype);
      const values = (t: HeapTensorInfo): TensorValues => wasm.typedArrayFromHeap(t) as unknown as TensorValues;
      sliceInto(values(x), x.shape, begin, size, values(out), rowCopy());
      return out as unknown as tf.TensorInfo;
    };
    const slice: tf.KernelFunc = (args) => {
      const { x } = args.inputs as unknown as { x: HeapTensorInfo };
      if (x.dtype === "string") return wasmSlice.kernelFunc(args);
      const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
      const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, begin, size);
      return copyBox(args.backend as unknown as WasmBackend, x, b, s);
    };
    note("Slice", true, install("Slice", slice, true));
    const wasmSplit = tf.getKernel("SplitV", "wasm");
    if (wasmSplit) {
      const split: tf.KernelFunc = (args) => {
        const { x } = args.inputs as unknown as { x: HeapTensorInfo };
        if (x.dtype === "string") return wasmSplit.kernelFunc(args);
        const a = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
        const axis = tf.util.parseAxisParam(a.axis, x.shape)[0];
        const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.TensorInfo, a.numOrSizeSplits, axis);
        const begin = x.shape.map(() => 0);
        return sizes.map((part) => {
          const size = x.shape.map((d, i) => (i === axis ? part : d));
          const out = copyBox(args.backend as unknown as WasmBackend, x, [...begin], size);
          begin[axis] += part;
          return out;
        });
      };
      note("SplitV", true, install("SplitV", split, true));
    }
    const wasmUnpack = tf.getKernel("Unpack", "wasm");
    if (wasmUnpack) {
      const unpack: tf.KernelFunc = (args) => {
        const { value } = args.inputs as unknown as { value: HeapTensorInfo };
        if (value.dtype === "string") return wasmUnpack.kernelFunc(args);
        const raw = (args.attrs as unknown as { axis: number }).axis;
        const axis = raw < 0 ? raw + value.shape.length : raw;
        const size = value.shape.map((d, i) => (i === axis ? 1 : d));
        const outShape = value.shape.filter((_, i) => i !== axis);
        return Array.from({ length: value.shape[axis] }, (_, k) =>
          copyBox(
            args.backend as unknown as WasmBackend,
            value,
            value.shape.map((_, i) => (i === axis ? k : 0)),
            size,
            outShape,
          ),
        );
      };
      note("Unpack", true, install("Unpack", unpack, true));
    }
  }

  // Concat in place on the heap through the SIMD row copy: wasm's own does a TypedArray.set per
  // run in JS (a fire module's channel concat: one per pixel per input).
  const wasmConcat = tf.getKernel("Concat", "wasm");
  if (wasmConcat) {
    const concat: tf.KernelFunc = (args) => {
      const inputs = args.inputs as unknown as HeapTensorInfo[];
      if (inputs.length === 0 || inputs[0].dtype === "string") return wasmConcat.kernelFunc(args);
      const { axis } = args.attrs as unknown as { axis: number | number[] };
      const shapes = inputs.map((t) => t.shape);
      const along = tf.util.parseAxisParam(axis, shapes[0])[0];
      tf.backend_util.assertParamsConsistent(shapes, along);
      const wasm = args.backend as unknown as WasmBackend;
      const out = wasm.makeOutput(tf.backend_util.computeOutShape(shapes, along), inputs[0].dtype);
      const values = (t: HeapTensorInfo): TensorValues => wasm.typedArrayFromHeap(t) as unknown as TensorValues;
      concatInto(inputs.map(values), shapes, along, values(out), rowCopy());
      return out as unknown as tf.TensorInfo;
    };
    note("Concat", true, install("Concat", concat, true));
  }

  report = { registered, replaced, gemm: gemm.name, convolutions: convolutions ?? `im2col + ${gemm.name}` };
  return report;
}
