/**
 * oneDNN 2.x (Debian's `libdnnl2`, the library PyTorch's CPU convolutions run on) through koffi:
 * float32 convolutions — forward, data gradient and weight gradient, depthwise included — on NHWC
 * activations and tfjs' filter layouts, training-mode batch norm, SiLU and `sgemm`, reading and
 * writing the caller's typed arrays in place (the wasm heap). oneDNN chooses its own blocked
 * weight layout; the weights are reordered into it and the weight gradient back out of it on every
 * call (weights are small next to activations). Large dense convolutions also run on oneDNN's
 * blocked activation layout, their inputs and outputs reordered through two shared scratch buffers
 * ({@link blockedActivations}). Primitives are built once per shape and kept, the
 * least recently used destroyed past a bound. Loaded lazily; null when koffi or the library is
 * missing, or when oneDNN has no JIT kernels for this CPU (callers keep their own kernels). Its
 * OpenMP threads follow `OMP_NUM_THREADS` as it was when the library loaded (`runtime/threads`).
 * oneDNN 3 (`libdnnl.so.3`) changed this C API and is not bound.
 */
import { createRequire } from "node:module";
import { disabledLibrary, librarySonames, pinLibrary } from "./libraries";
import type { Sgemm } from "./openblas";
import { guarded } from "./signals";

const requireHere = createRequire(__filename);

/** One convolution's shape: NHWC activations; filter [fh, fw, in, out] or, depthwise, [fh, fw, C, multiplier]. */
export interface DnnlConvShape {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
  dilationHeight: number;
  dilationWidth: number;
  /** Groups = inChannels, outChannels = inChannels × multiplier. */
  depthwise: boolean;
}

/**
 * The three passes of one convolution shape; arrays are read and written in place. A gradient
 * pass returns false (writing nothing) when oneDNN has no JIT implementation for it.
 */
export interface DnnlConvolution {
  /** y = conv(x, w), no bias. */
  forward(x: Float32Array, w: Float32Array, y: Float32Array): boolean;
  /** dx = the input gradient from dy and w. */
  backwardData(dy: Float32Array, w: Float32Array, dx: Float32Array): boolean;
  /** dw (tfjs filter layout) from x and dy. */
  backwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array): boolean;
}

/** Batch normalisation in training mode over the channels of an NHWC tensor. */
export interface DnnlBatchNorm {
  /** y and the batch mean and biased variance. */
  forward(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
  ): void;
  /** dx, dγ and dβ from dy and the forward's x, γ and statistics. */
  backward(
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    dx: Float32Array,
    dGamma: Float32Array,
    dBeta: Float32Array,
  ): void;
}

/** An element-wise function and its gradient (from the input) over n values. */
export interface DnnlEltwise {
  forward(x: Float32Array, y: Float32Array): void;
  backward(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
}

/** The binding. */
export interface OneDnn {
  /** The soname that loaded. */
  library: string;
  /** The convolution for `shape` (built on first use, then cached), or null when oneDNN rejects it. */
  convolution(shape: DnnlConvShape): DnnlConvolution | null;
  /** Training-mode batch norm of `rows` × `channels` values (NHWC flattened), or null when rejected. */
  batchNorm(rows: number, channels: number, epsilon: number): DnnlBatchNorm | null;
  /**
   * C = α · op(A) · op(B) + β · C, row-major float32 (`dnnl_sgemm`): on the same OpenMP threads as
   * the convolutions, so a step that uses both never has two thread pools spinning against each other.
   */
  sgemm: Sgemm;
  /** SiLU (x·σ(x), oneDNN's swish with α = 1) over `n` values, or null when rejected. */
  silu(n: number): DnnlEltwise | null;
  /** oneDNN's implementation names of the passes built so far, e.g. `jit:avx2`, by shape key. */
  implementations(): Record<string, string>;
}

// dnnl_types.h (oneDNN 2.x)
const F32 = 3;
const FORMAT_ANY = 1;
const FORWARD_TRAINING = 64;
const CONVOLUTION_DIRECT = 1;
const CPU = 1;
const IN_ORDER = 1;
const QUERY_IMPL = 8;
const QUERY_SRC_MD = 129;
const QUERY_WEIGHTS_MD = 131;
const QUERY_DIFF_WEIGHTS_MD = 132;
const QUERY_DST_MD = 133;
const ARG_SRC = 1;
const ARG_DST = 17;
const ARG_WEIGHTS = 33;
const ARG_DIFF_SRC = 129;
const ARG_DIFF_DST = 145;
const ARG_DIFF_WEIGHTS = 161;
const ARG_MEAN = 49;
const ARG_VARIANCE = 50;
const BACKWARD = 128;
const ELTWISE_SWISH = 0xdf;
/**
 * `dnnl_use_scaleshift`: γ and β as one 2 × C tensor. oneDNN 2.6's separate scale and shift flags
 * fail to execute the backward pass on NHWC data (status 2), so the packed form is used.
 */
const USE_SCALE_SHIFT = 2;
/** Built convolutions (and, separately, batch norms and SiLUs) kept per shape, least recently used first out. */
const CACHE_LIMIT = 256;
/** sizeof(dnnl_memory_desc_t) and sizeof(dnnl_convolution_desc_t) in 2.6 (696, 5976), with room to spare. */
const MEMORY_DESC_BYTES = 1024;
const OP_DESC_BYTES = 8192;
/** DNNL_MEMORY_ALLOCATE, `(void *)-1`: the library allocates the buffer. */
const MEMORY_ALLOCATE = 0xffffffffffffffffn;

type Fn = (...args: unknown[]) => unknown;
interface KoffiLib {
  func(signature: string): Fn;
}
interface Koffi {
  load(path: string): KoffiLib;
  address(ptr: unknown): bigint;
  decode: { string(ptr: unknown): string };
}

/**
 * Whether a convolution runs on oneDNN's blocked activation layout (8 channels a block on AVX2),
 * reordering its NHWC input and output on every call. Measured per pass on AVX2 with filled
 * buffers (never-written ones read as the kernel's zero page and flatter NHWC): dense 3×3
 * convolutions with ≥ 64 input channels on activations of a million values or more, or with ≥ 128
 * input channels at any size, are 3–40 % faster so, reorders included (ResNet-18's layers at batch
 * 16: 64 channels at 56×56 take 70 instead of 94 ms for the three passes). With fewer channels
 * (SqueezeNet's expand layers, 16–64) or smaller maps, and for 1×1 and depthwise convolutions,
 * NHWC is as fast or faster.
 */
export function blockedActivations(c: DnnlConvShape): boolean {
  if (c.depthwise || c.filterHeight * c.filterWidth === 1) return false;
  if (c.inChannels % 8 !== 0 || c.outChannels % 8 !== 0) return false;
  const largest = c.batch * Math.max(c.inHeight * c.inWidth * c.inChannels, c.outHeight * c.outWidth * c.outChannels);
  return c.inChannels >= 128 || (c.inChannels >= 64 && largest >= 1 << 20);
}

let cached: OneDnn | null | undefined;
let failure: string | null = null;

/** Why {@link oneDnn} returned null (null when it loaded or was never tried). */
export function oneDnnFailure(): string | null {
  return failure;
}

/** The oneDNN binding, or null (with the reason in {@link oneDnnFailure}). */
export function oneDnn(): OneDnn | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (disabledLibrary("dnnl")) {
    failure = `disabled by EDGELAB_DISABLE=${process.env.EDGELAB_DISABLE}`;
    return cached;
  }
  let koffi: Koffi;
  try {
    koffi = requireHere("koffi") as Koffi;
  } catch {
    failure = "koffi (FFI) is not installed: run npm ci";
    return cached;
  }
  for (const soname of librarySonames.dnnl) {
    try {
      const lib = koffi.load(soname);
      pinLibrary(soname);
      cached = bind(koffi, lib, soname);
      failure = null;
      return cached;
    } catch (e) {
      failure = `${soname}: ${(e as Error).message}`;
    }
  }
  return cached;
}

/** 64-bit dims of up to 12 entries, as oneDNN's `dnnl_dims_t`. */
function dims(values: number[]): BigInt64Array {
  const out = new BigInt64Array(12);
  values.forEach((v, i) => (out[i] = BigInt(v)));
  return out;
}

function bind(koffi: Koffi, lib: KoffiLib, soname: string): OneDnn {
  const f = (sig: string): Fn => lib.func(sig);
  const engineCreate = f("int dnnl_engine_create(_Out_ void **engine, int kind, size_t index)");
  const streamCreate = f("int dnnl_stream_create(_Out_ void **stream, void *engine, unsigned int flags)");
  const mdByStrides = f(
    "int dnnl_memory_desc_init_by_strides(void *md, int ndims, const int64_t *dims, int dt, const int64_t *strides)",
  );
  const mdByTag = f("int dnnl_memory_desc_init_by_tag(void *md, int ndims, const int64_t *dims, int dt, int tag)");
  const mdEqual = f("int dnnl_memory_desc_equal(const void *a, const void *b)");
  const convForward = f(
    "int dnnl_dilated_convolution_forward_desc_init(void *desc, int prop, int alg, const void *src, const void *weights, const void *bias, const void *dst, const int64_t *strides, const int64_t *dilates, const int64_t *padl, const int64_t *padr)",
  );
  const convData = f(
    "int dnnl_dilated_convolution_backward_data_desc_init(void *desc, int alg, const void *diffSrc, const void *weights, const void *diffDst, const int64_t *strides, const int64_t *dilates, const int64_t *padl, const int64_t *padr)",
  );
  const convWeights = f(
    "int dnnl_dilated_convolution_backward_weights_desc_init(void *desc, int alg, const void *src, const void *diffWeights, const void *diffBias, const void *diffDst, const int64_t *strides, const int64_t *dilates, const int64_t *padl, const int64_t *padr)",
  );
  const pdCreate = f(
    "int dnnl_primitive_desc_create(_Out_ void **pd, const void *desc, void *attr, void *engine, void *hint)",
  );
  const reorderPd = f(
    "int dnnl_reorder_primitive_desc_create(_Out_ void **pd, const void *src, void *srcEngine, const void *dst, void *dstEngine, void *attr)",
  );
  const queryMd = f("void *dnnl_primitive_desc_query_md(void *pd, int what, int index)");
  const queryStr = f("int dnnl_primitive_desc_query(void *pd, int what, int index, _Out_ void **result)");
  const primitiveCreate = f("int dnnl_primitive_create(_Out_ void **primitive, void *pd)");
  const memoryCreate = f("int dnnl_memory_create(_Out_ void **memory, const void *md, void *engine, void *handle)");
  const setHandle = f("int dnnl_memory_set_data_handle(void *memory, void *handle)");
  const getHandle = f("int dnnl_memory_get_data_handle(void *memory, _Out_ void **handle)");
  const mdSize = f("size_t dnnl_memory_desc_get_size(const void *md)");
  // Every call that runs kernels is guarded: the GEMM-based ones clobber the stack pointer (./signals).
  const execute = guarded(f("int dnnl_primitive_execute(void *primitive, void *stream, int nargs, const void *args)"));
  const streamWait = f("int dnnl_stream_wait(void *stream)");
  const primitiveDestroy = f("int dnnl_primitive_destroy(void *primitive)");
  const memoryDestroy = f("int dnnl_memory_destroy(void *memory)");
  const pdDestroy = f("int dnnl_primitive_desc_destroy(void *pd)");
  const rawSgemm = guarded(
    f(
      "int dnnl_sgemm(char transa, char transb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, _Inout_ float *c, int64_t ldc)",
    ),
  );
  const [NO, YES] = [78, 84]; // 'N', 'T'
  const eltForward = f(
    "int dnnl_eltwise_forward_desc_init(void *desc, int prop, int alg, const void *data, float alpha, float beta)",
  );
  const eltBackward = f(
    "int dnnl_eltwise_backward_desc_init(void *desc, int alg, const void *diff, const void *data, float alpha, float beta)",
  );
  const bnForward = f(
    "int dnnl_batch_normalization_forward_desc_init(void *desc, int prop, const void *data, float epsilon, unsigned int flags)",
  );
  const bnBackward = f(
    "int dnnl_batch_normalization_backward_desc_init(void *desc, int prop, const void *diff, const void *data, float epsilon, unsigned int flags)",
  );

  const check = (status: unknown, call: string): void => {
    if (status !== 0) throw new Error(`oneDNN ${call} failed (status ${String(status)})`);
  };
  const out = (): unknown[] => [null];
  const e = out();
  check(engineCreate(e, CPU, 0), "dnnl_engine_create");
  const engine = e[0];
  const s = out();
  check(streamCreate(s, engine, IN_ORDER), "dnnl_stream_create");
  const stream = s[0];

  const md = (shape: number[], strides: number[] | null): Buffer => {
    const buffer = Buffer.alloc(MEMORY_DESC_BYTES);
    const status = strides
      ? mdByStrides(buffer, shape.length, dims(shape), F32, dims(strides))
      : mdByTag(buffer, shape.length, dims(shape), F32, FORMAT_ANY);
    check(status, "dnnl_memory_desc_init");
    return buffer;
  };
  /** What one cached entry created, destroyed together when the entry is evicted. */
  interface Owned {
    primitives: unknown[];
    memories: unknown[];
    descs: unknown[];
    keys: string[];
  }
  let current: Owned | null = null;
  /** Runs `make` with every handle it creates recorded in `own`. */
  const owning = <T>(own: Owned, make: () => T): T => {
    const previous = current;
    current = own;
    try {
      return make();
    } finally {
      current = previous;
    }
  };
  const destroy = (own: Owned): void => {
    for (const p of own.primitives) primitiveDestroy(p);
    for (const m of own.memories) memoryDestroy(m);
    for (const d of own.descs) pdDestroy(d);
    for (const k of own.keys) delete implementations[k];
  };
  /**
   * A least-recently-used cache of built objects, at most `limit` entries: an evicted entry's
   * primitives and oneDNN-allocated buffers (reordered weights) are destroyed, so a long notebook
   * session that meets many shapes (models, batch sizes) keeps its native memory bounded.
   */
  const lru = <T>(limit: number) => {
    const entries = new Map<string, { value: T | null; own: Owned }>();
    return (key: string, make: (own: Owned) => T | null): T | null => {
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
        return hit.value;
      }
      const own: Owned = { primitives: [], memories: [], descs: [], keys: [] };
      const value = owning(own, () => make(own));
      entries.set(key, { value, own });
      if (entries.size > limit) {
        const [oldest, evicted] = entries.entries().next().value as [string, { own: Owned }];
        entries.delete(oldest);
        destroy(evicted.own);
      }
      return value;
    };
  };
  const memory = (desc: unknown, allocate: boolean): unknown => {
    const m = out();
    check(memoryCreate(m, desc, engine, allocate ? MEMORY_ALLOCATE : null), "dnnl_memory_create");
    current?.memories.push(m[0]);
    return m[0];
  };
  const implementation = (pd: unknown): string => {
    const r = out();
    return queryStr(pd, QUERY_IMPL, 0, r) === 0 ? koffi.decode.string(r[0]) : "?";
  };
  /**
   * The primitive descriptor, or null when oneDNN has none or only a reference (scalar C++) one.
   * GEMM-based ones are fine: `execute` holds signals off while their kernels run (./signals).
   */
  const primitiveDesc = (desc: Buffer, hint: unknown): unknown => {
    const pd = out();
    if (pdCreate(pd, desc, null, engine, hint) !== 0) return null;
    current?.descs.push(pd[0]);
    const name = implementation(pd[0]);
    return name.startsWith("ref") ? null : pd[0];
  };
  const primitive = (pd: unknown): unknown => {
    const p = out();
    check(primitiveCreate(p, pd), "dnnl_primitive_create");
    current?.primitives.push(p[0]);
    return p[0];
  };
  /** dnnl_exec_arg_t[] ({int arg; dnnl_memory_t memory;}, 16 bytes each). */
  const execArgs = (pairs: [number, unknown][]): Buffer => {
    const b = Buffer.alloc(16 * pairs.length);
    pairs.forEach(([arg, m], i) => {
      b.writeInt32LE(arg, 16 * i);
      b.writeBigUInt64LE(typeof m === "bigint" ? m : koffi.address(m), 16 * i + 8);
    });
    return b;
  };
  const run = (prim: unknown, args: Buffer, n: number, what: string): void => {
    check(execute(prim, stream, n, args), `${what} execute`);
    check(streamWait(stream), "dnnl_stream_wait");
  };
  /**
   * A reorder between the user's weight layout and oneDNN's `chosen` one (user → oneDNN when
   * `toOneDnn`, else back), with a library-allocated buffer in the chosen layout; null when the
   * two layouts are the same.
   */
  const reorder = (user: unknown, chosen: unknown, toOneDnn: boolean): { prim: unknown; inner: unknown } | null => {
    if (mdEqual(user, chosen) === 1) return null;
    const pd = out();
    const [from, to] = toOneDnn ? [user, chosen] : [chosen, user];
    check(reorderPd(pd, from, engine, to, engine, null), "dnnl_reorder_primitive_desc_create");
    current?.descs.push(pd[0]);
    return { prim: primitive(pd[0]), inner: memory(chosen, true) };
  };

  /**
   * Two scratch buffers shared by every convolution (one for the source side, one for the
   * destination side): activations in oneDNN's blocked layout live there only for one call, so
   * native memory grows to two of the largest such activations, not one copy per shape.
   */
  const scratch: { memory: unknown; bytes: number; pointer: unknown }[] = [];
  const workspace = (slot: 0 | 1, bytes: number): unknown => {
    const held = scratch[slot];
    if (held && held.bytes >= bytes) return held.pointer;
    if (held) memoryDestroy(held.memory);
    const floats = Math.ceil(bytes / 4);
    const m = out();
    check(memoryCreate(m, md([floats], [1]), engine, MEMORY_ALLOCATE), "dnnl_memory_create");
    const pointer = out();
    check(getHandle(m[0], pointer), "dnnl_memory_get_data_handle");
    scratch[slot] = { memory: m[0], bytes: 4 * floats, pointer: pointer[0] };
    return pointer[0];
  };
  /** A built reorder and its arguments. */
  interface Reorder {
    prim: unknown;
    args: Buffer;
  }
  const reorderBetween = (from: unknown, to: unknown, fromMem: unknown, toMem: unknown): Reorder => {
    const pd = out();
    check(reorderPd(pd, from, engine, to, engine, null), "dnnl_reorder_primitive_desc_create");
    current?.descs.push(pd[0]);
    const args = execArgs([
      [ARG_SRC, fromMem],
      [ARG_DST, toMem],
    ]);
    return { prim: primitive(pd[0]), args };
  };
  /**
   * An activation a primitive reads or writes in oneDNN's layout, in a scratch slot, with the
   * reorders from and to the user's tensor.
   */
  interface Relaid {
    inner: unknown;
    bytes: number;
    slot: 0 | 1;
    fromUser: Reorder;
    toUser: Reorder;
  }
  /** The user's NHWC memory in layout `chosen`; null when the layouts are the same. */
  const relaid = (user: unknown, userMem: unknown, chosen: unknown, slot: 0 | 1): Relaid | null => {
    if (mdEqual(user, chosen) === 1) return null;
    const inner = memory(chosen, false);
    return {
      inner,
      bytes: Number(mdSize(chosen)),
      slot,
      fromUser: reorderBetween(user, chosen, userMem, inner),
      toUser: reorderBetween(chosen, user, inner, userMem),
    };
  };
  /** Points a relaid activation at its scratch slot (grown as needed); `fill` copies the user's tensor in. */
  const place = (a: Relaid | null, fill: boolean): void => {
    if (!a) return;
    setHandle(a.inner, workspace(a.slot, a.bytes));
    if (fill) run(a.fromUser.prim, a.fromUser.args, 2, "activation reorder");
  };
  /** Copies a relaid result back into the user's tensor. */
  const restore = (a: Relaid | null): void => {
    if (a) run(a.toUser.prim, a.toUser.args, 2, "activation reorder");
  };

  // Only where oneDNN has JIT kernels for this CPU (x86-64). Elsewhere (a Raspberry Pi's Cortex-A
  // has no SVE) it would run reference loops, far slower than OpenBLAS and edgelab's own kernels.
  const probe = md([1, 8, 8, 8], [512, 1, 64, 8]);
  const probeDesc = Buffer.alloc(OP_DESC_BYTES);
  const probeGeometry = [dims([1, 1]), dims([0, 0]), dims([1, 1]), dims([1, 1])];
  check(
    convForward(
      probeDesc,
      FORWARD_TRAINING,
      CONVOLUTION_DIRECT,
      probe,
      md([8, 8, 3, 3], null),
      null,
      probe,
      ...probeGeometry,
    ),
    "dnnl_dilated_convolution_forward_desc_init",
  );
  const probePd = out();
  const probeImpl = pdCreate(probePd, probeDesc, null, engine, null) === 0 ? implementation(probePd[0]) : "none";
  if (!probeImpl.includes("jit"))
    throw new Error(`oneDNN has no JIT kernels for this CPU (a 3×3 convolution would run "${probeImpl}")`);

  const convolutions = lru<DnnlConvolution>(CACHE_LIMIT);
  const implementations: Record<string, string> = {};
  const noteImplementation = (name: string, pd: unknown): void => {
    implementations[name] = implementation(pd);
    current?.keys.push(name);
  };

  const build = (c: DnnlConvShape, key: string, own: Owned): DnnlConvolution | null => {
    const { batch: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = c;
    const [kh, kw] = [c.filterHeight, c.filterWidth];
    const dh = c.dilationHeight;
    const dw = c.dilationWidth;
    // oneDNN wants the right/bottom padding that makes its output size formula exact.
    const padBottom = Math.max(0, (oh - 1) * c.strideHeight + (kh - 1) * dh + 1 - h - c.padTop);
    const padRight = Math.max(0, (ow - 1) * c.strideWidth + (kw - 1) * dw + 1 - w - c.padLeft);
    const fits = (i: number, k: number, d: number, s: number, a: number, b: number, o: number): boolean =>
      Math.floor((i + a + b - (k - 1) * d - 1) / s) + 1 === o;
    if (!fits(h, kh, dh, c.strideHeight, c.padTop, padBottom, oh)) return null;
    if (!fits(w, kw, dw, c.strideWidth, c.padLeft, padRight, ow)) return null;
    const src = md([n, ci, h, w], [h * w * ci, 1, w * ci, ci]);
    const dst = md([n, co, oh, ow], [oh * ow * co, 1, ow * co, co]);
    let weightDims: number[];
    let weightStrides: number[];
    if (c.depthwise) {
      const m = co / ci;
      // (groups, out per group, in per group, kh, kw) over tfjs' [kh, kw, C, multiplier]
      weightDims = [ci, m, 1, kh, kw];
      weightStrides = [m, 1, 1, kw * ci * m, ci * m];
    } else {
      weightDims = [co, ci, kh, kw];
      weightStrides = [1, co, kw * ci * co, ci * co];
    }
    const userWeights = md(weightDims, weightStrides);
    const anyWeights = md(weightDims, null);
    const geometry = [
      dims([c.strideHeight, c.strideWidth]),
      dims([dh - 1, dw - 1]),
      dims([c.padTop, c.padLeft]),
      dims([padBottom, padRight]),
    ];
    const blocked = blockedActivations(c);
    const convSrc = blocked ? md([n, ci, h, w], null) : src;
    const convDst = blocked ? md([n, co, oh, ow], null) : dst;
    const forwardDesc = Buffer.alloc(OP_DESC_BYTES);
    const ok = convForward(
      forwardDesc,
      FORWARD_TRAINING,
      CONVOLUTION_DIRECT,
      convSrc,
      anyWeights,
      null,
      convDst,
      ...geometry,
    );
    if (ok !== 0) return null;
    const forwardPd = primitiveDesc(forwardDesc, null);
    if (forwardPd === null) return null;
    const innerSrc = queryMd(forwardPd, QUERY_SRC_MD, 0);
    const innerDst = queryMd(forwardPd, QUERY_DST_MD, 0);

    const srcMem = memory(src, false);
    const dstMem = memory(dst, false);
    const userWeightsMem = memory(userWeights, false);
    const srcSide = relaid(src, srcMem, innerSrc, 0);
    const dstSide = relaid(dst, dstMem, innerDst, 1);
    const [srcArg, dstArg] = [srcSide?.inner ?? srcMem, dstSide?.inner ?? dstMem];

    interface Pass {
      prim: unknown;
      args: Buffer;
      n: number;
      weights: { prim: unknown; inner: unknown } | null;
      weightArgs: Buffer | null;
    }
    /** A pass whose (diff) weights oneDNN keeps in layout `query` of `pd`. */
    const pass = (name: string, pd: unknown, query: number, args: (weights: unknown) => [number, unknown][]): Pass => {
      noteImplementation(`${key} ${name}`, pd);
      if (srcSide || dstSide) implementations[`${key} ${name}`] += " (blocked activations)";
      const chosen = queryMd(pd, query, 0);
      const toOneDnn = query === QUERY_WEIGHTS_MD;
      const weights = reorder(userWeights, chosen, toOneDnn);
      const pairs = args(weights ? weights.inner : userWeightsMem);
      const ends: [unknown, unknown] = weights ? [userWeightsMem, weights.inner] : [null, null];
      if (!toOneDnn) ends.reverse();
      const weightArgs = weights
        ? execArgs([
            [ARG_SRC, ends[0]],
            [ARG_DST, ends[1]],
          ])
        : null;
      return { prim: primitive(pd), args: execArgs(pairs), n: pairs.length, weights, weightArgs };
    };
    const runWeightsReorder = (p: Pass): void => {
      if (p.weights) run(p.weights.prim, p.weightArgs!, 2, "reorder");
    };

    let forwardPass: Pass | null = null;
    let dataPass: Pass | null | undefined;
    let weightsPass: Pass | null | undefined;
    /** A gradient pass (hinted by the forward one), built on first use; null when oneDNN declines it. */
    const gradientPass = (
      name: string,
      init: (desc: Buffer) => unknown,
      query: number,
      args: (weights: unknown) => [number, unknown][],
    ): Pass | null =>
      owning(own, () => {
        const desc = Buffer.alloc(OP_DESC_BYTES);
        const pd = init(desc) === 0 ? primitiveDesc(desc, forwardPd) : null;
        return pd ? pass(name, pd, query, args) : null;
      });

    return {
      forward(x, wValues, y) {
        forwardPass ??= owning(own, () =>
          pass("forward", forwardPd, QUERY_WEIGHTS_MD, (weights) => [
            [ARG_SRC, srcArg],
            [ARG_WEIGHTS, weights],
            [ARG_DST, dstArg],
          ]),
        );
        setHandle(userWeightsMem, wValues);
        runWeightsReorder(forwardPass);
        setHandle(srcMem, x);
        setHandle(dstMem, y);
        place(srcSide, true);
        place(dstSide, false);
        run(forwardPass.prim, forwardPass.args, forwardPass.n, "convolution forward");
        restore(dstSide);
        return true;
      },
      backwardData(dy, wValues, dx) {
        if (dataPass === undefined)
          dataPass = gradientPass(
            "backward data",
            (d) => convData(d, CONVOLUTION_DIRECT, innerSrc, anyWeights, innerDst, ...geometry),
            QUERY_WEIGHTS_MD,
            (weights) => [
              [ARG_DIFF_DST, dstArg],
              [ARG_WEIGHTS, weights],
              [ARG_DIFF_SRC, srcArg],
            ],
          );
        if (!dataPass) return false;
        setHandle(userWeightsMem, wValues);
        runWeightsReorder(dataPass);
        setHandle(dstMem, dy);
        setHandle(srcMem, dx);
        place(dstSide, true);
        place(srcSide, false);
        run(dataPass.prim, dataPass.args, dataPass.n, "convolution backward data");
        restore(srcSide);
        return true;
      },
      backwardWeights(x, dy, dwValues) {
        if (weightsPass === undefined)
          weightsPass = gradientPass(
            "backward weights",
            (d) => convWeights(d, CONVOLUTION_DIRECT, innerSrc, anyWeights, null, innerDst, ...geometry),
            QUERY_DIFF_WEIGHTS_MD,
            (weights) => [
              [ARG_SRC, srcArg],
              [ARG_DIFF_DST, dstArg],
              [ARG_DIFF_WEIGHTS, weights],
            ],
          );
        if (!weightsPass) return false;
        setHandle(srcMem, x);
        setHandle(dstMem, dy);
        place(srcSide, true);
        place(dstSide, true);
        setHandle(userWeightsMem, dwValues);
        run(weightsPass.prim, weightsPass.args, weightsPass.n, "convolution backward weights");
        runWeightsReorder(weightsPass);
        return true;
      },
    };
  };

  const norms = lru<DnnlBatchNorm>(CACHE_LIMIT);
  const buildBatchNorm = (rows: number, channels: number, epsilon: number, key: string): DnnlBatchNorm | null => {
    // rows × channels as an NHWC tensor of rows × 1 × 1 (channels contiguous): the same statistics.
    const data = md([rows, channels, 1, 1], [channels, 1, channels, channels]);
    const stats = md([channels], [1]);
    const packed = md([2, channels], [channels, 1]);
    const forwardDesc = Buffer.alloc(OP_DESC_BYTES);
    if (bnForward(forwardDesc, FORWARD_TRAINING, data, epsilon, USE_SCALE_SHIFT) !== 0) return null;
    const forwardPd = primitiveDesc(forwardDesc, null);
    if (forwardPd === null) return null;
    const backwardDesc = Buffer.alloc(OP_DESC_BYTES);
    if (bnBackward(backwardDesc, BACKWARD, data, data, epsilon, USE_SCALE_SHIFT) !== 0) return null;
    const backwardPd = primitiveDesc(backwardDesc, forwardPd);
    if (backwardPd === null) return null;
    noteImplementation(`${key} forward`, forwardPd);
    noteImplementation(`${key} backward`, backwardPd);
    // γ|β and dγ|dβ live outside V8's heap (a pointer oneDNN keeps between calls must not move).
    const scaleShift = new Float32Array(Buffer.allocUnsafeSlow(8 * channels).buffer, 0, 2 * channels);
    const diffScaleShift = new Float32Array(Buffer.allocUnsafeSlow(8 * channels).buffer, 0, 2 * channels);
    const [src, dst, diffSrc, diffDst] = [data, data, data, data].map((d) => memory(d, false));
    const [meanMem, varianceMem] = [stats, stats].map((d) => memory(d, false));
    const scaleShiftMem = memory(packed, false);
    const diffScaleShiftMem = memory(packed, false);
    setHandle(scaleShiftMem, scaleShift);
    setHandle(diffScaleShiftMem, diffScaleShift);
    const forwardPrim = primitive(forwardPd);
    const backwardPrim = primitive(backwardPd);
    const forwardArgs = execArgs([
      [ARG_SRC, src],
      [ARG_DST, dst],
      [ARG_WEIGHTS, scaleShiftMem],
      [ARG_MEAN, meanMem],
      [ARG_VARIANCE, varianceMem],
    ]);
    const backwardArgs = execArgs([
      [ARG_SRC, src],
      [ARG_DIFF_DST, diffDst],
      [ARG_WEIGHTS, scaleShiftMem],
      [ARG_MEAN, meanMem],
      [ARG_VARIANCE, varianceMem],
      [ARG_DIFF_SRC, diffSrc],
      [ARG_DIFF_WEIGHTS, diffScaleShiftMem],
    ]);
    return {
      forward(x, gamma, beta, y, mean, variance) {
        scaleShift.set(gamma);
        scaleShift.set(beta, channels);
        setHandle(src, x);
        setHandle(dst, y);
        setHandle(meanMem, mean);
        setHandle(varianceMem, variance);
        run(forwardPrim, forwardArgs, 5, "batch norm forward");
      },
      backward(dy, x, gamma, mean, variance, dx, dGamma, dBeta) {
        scaleShift.set(gamma);
        setHandle(src, x);
        setHandle(diffDst, dy);
        setHandle(meanMem, mean);
        setHandle(varianceMem, variance);
        setHandle(diffSrc, dx);
        run(backwardPrim, backwardArgs, 7, "batch norm backward");
        dGamma.set(diffScaleShift.subarray(0, channels));
        dBeta.set(diffScaleShift.subarray(channels));
      },
    };
  };

  const eltwises = lru<DnnlEltwise>(CACHE_LIMIT);
  const buildEltwise = (alg: number, alpha: number, n: number, key: string): DnnlEltwise | null => {
    const data = md([n], [1]);
    const forwardDesc = Buffer.alloc(OP_DESC_BYTES);
    if (eltForward(forwardDesc, FORWARD_TRAINING, alg, data, alpha, 0) !== 0) return null;
    const forwardPd = primitiveDesc(forwardDesc, null);
    if (forwardPd === null) return null;
    const backwardDesc = Buffer.alloc(OP_DESC_BYTES);
    if (eltBackward(backwardDesc, alg, data, data, alpha, 0) !== 0) return null;
    const backwardPd = primitiveDesc(backwardDesc, forwardPd);
    if (backwardPd === null) return null;
    noteImplementation(`${key} forward`, forwardPd);
    noteImplementation(`${key} backward`, backwardPd);
    const [src, dst, diffDst, diffSrc] = [data, data, data, data].map((d) => memory(d, false));
    const [forwardPrim, backwardPrim] = [primitive(forwardPd), primitive(backwardPd)];
    const forwardArgs = execArgs([
      [ARG_SRC, src],
      [ARG_DST, dst],
    ]);
    const backwardArgs = execArgs([
      [ARG_SRC, src],
      [ARG_DIFF_DST, diffDst],
      [ARG_DIFF_SRC, diffSrc],
    ]);
    return {
      forward(x, y) {
        setHandle(src, x);
        setHandle(dst, y);
        run(forwardPrim, forwardArgs, 2, `${key} forward`);
      },
      backward(x, dy, dx) {
        setHandle(src, x);
        setHandle(diffDst, dy);
        setHandle(diffSrc, dx);
        run(backwardPrim, backwardArgs, 3, `${key} backward`);
      },
    };
  };

  return {
    library: soname,
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      check(rawSgemm(transA ? YES : NO, transB ? YES : NO, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), "dnnl_sgemm");
    },
    silu(n) {
      const key = `silu ${n}`;
      return eltwises(key, () => (n > 0 ? buildEltwise(ELTWISE_SWISH, 1, n, key) : null));
    },
    batchNorm(rows, channels, epsilon) {
      const key = `batchnorm ${rows}x${channels} eps ${epsilon}`;
      return norms(key, () => (rows > 0 && channels > 0 ? buildBatchNorm(rows, channels, epsilon, key) : null));
    },
    convolution(shape) {
      const key = JSON.stringify(shape);
      return convolutions(key, (own) => build(shape, key, own));
    },
    implementations: () => ({ ...implementations }),
  };
}
