/**
 * A minimal WebAssembly binary writer for small SIMD kernels that run on tfjs' wasm heap.
 *
 * tfjs-backend-wasm exports its `WebAssembly.Memory`; a module that imports that memory can read
 * and write tensors in place, with no copies through JS. Such kernels are a few dozen
 * instructions, so edgelab emits their bytes here rather than depend on a C→wasm toolchain
 * (which neither Debian's nor Pi OS's defaults ship). Only what those kernels use is encoded:
 * one imported memory, functions with i32/f32/v128 parameters and locals, and the instructions
 * in {@link op}. `WebAssembly.Module` validates the result, so an encoding mistake fails loudly
 * at load time, never silently at run time.
 */

/** Value types. */
export const valType = { i32: 0x7f, f32: 0x7d, v128: 0x7b } as const;
type ValType = (typeof valType)[keyof typeof valType];

/** Unsigned LEB128. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (32-bit). */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const simd = (code: number): number[] => [0xfd, ...uleb(code)];

/** Instruction encoders (bytes). Memory accesses take a byte offset immediate. */
export const op = {
  localGet: (i: number): number[] => [0x20, ...uleb(i)],
  localSet: (i: number): number[] => [0x21, ...uleb(i)],
  localTee: (i: number): number[] => [0x22, ...uleb(i)],
  i32Const: (v: number): number[] => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i32GeS: [0x4e],
  i32LtU: [0x49],
  i32And: [0x71],
  f32Const: (value: number): number[] => {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return [0x43, ...bytes];
  },
  f32Load: (offset = 0): number[] => [0x2a, 2, ...uleb(offset)],
  f32Store: (offset = 0): number[] => [0x38, 2, ...uleb(offset)],
  /** memory.copy (bulk memory): pops destination, source and byte count. */
  memoryCopy: [0xfc, 0x0a, 0x00, 0x00],
  f32Sqrt: [0x91],
  f32Add: [0x92],
  f32Mul: [0x94],
  f32Div: [0x95],
  /** Block / loop with no result; `end` closes either. */
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (depth: number): number[] => [0x0c, ...uleb(depth)],
  brIf: (depth: number): number[] => [0x0d, ...uleb(depth)],
  v128Load: (offset = 0): number[] => [...simd(0x00), 0, ...uleb(offset)],
  v128Store: (offset = 0): number[] => [...simd(0x0b), 0, ...uleb(offset)],
  v128And: simd(0x4e),
  v128AndNot: simd(0x4f),
  v128Or: simd(0x50),
  v128Bitselect: simd(0x52),
  f32x4Eq: simd(0x41),
  f32x4Lt: simd(0x43),
  f32x4Gt: simd(0x44),
  f32x4Ge: simd(0x46),
  f32x4Min: simd(0xe8),
  f32x4Max: simd(0xe9),
  f32x4Splat: simd(0x13),
  f32x4Sqrt: simd(0xe3),
  f32x4Add: simd(0xe4),
  f32x4Mul: simd(0xe6),
  f32x4Div: simd(0xe7),
  /** Loads 8 bytes into the low half, zeroing the rest (two float32s). */
  v128Load64Zero: (offset = 0): number[] => [...simd(0x5d), 3, ...uleb(offset)],
  /** Stores the low 8 bytes (lane 0 of i64x2). */
  v128Store64Lane: (offset = 0): number[] => [...simd(0x5b), 3, ...uleb(offset), 0],
  f64x2PromoteLowF32x4: simd(0x5f),
  f32x4DemoteF64x2Zero: simd(0x5e),
  f64x2Add: simd(0xf0),
  f64x2Sub: simd(0xf1),
  f64x2Mul: simd(0xf2),
};

/**
 * `for (i = start; i < end; i += step) body` with signed bounds; `start` and `end` are
 * instruction sequences that each leave one i32 on the stack.
 */
export function forLoop(i: number, start: number[][], end: number[][], step: number, body: number[][]): number[][] {
  return [
    ...start,
    op.localSet(i),
    op.block,
    op.loop,
    op.localGet(i),
    ...end,
    op.i32GeS,
    op.brIf(1),
    ...body,
    op.localGet(i),
    op.i32Const(step),
    op.i32Add,
    op.localSet(i),
    op.br(0),
    op.end,
    op.end,
  ];
}

/** `if (cond) then else otherwise`; `cond` leaves one i32 on the stack. */
export function ifElse(cond: number[][], then: number[][], otherwise: number[][] = []): number[][] {
  return [...cond, op.if, ...then, ...(otherwise.length ? [op.else, ...otherwise] : []), op.end];
}

/** One exported function: parameter and local types, and its body (without the final `end`). */
export interface FunctionSpec {
  name: string;
  params: ValType[];
  locals: ValType[];
  body: number[][];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...Buffer.from(text, "utf8")];
  return [...uleb(bytes.length), ...bytes];
}

/**
 * Encodes a module that imports `env.memory` (any size) and exports `functions`
 * (each returns nothing).
 */
export function encodeModule(functions: FunctionSpec[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), 0]);
  const imports = vector([[...name("env"), ...name("memory"), 0x02, 0x00, 0x00]]);
  const funcs = vector(functions.map((_, i) => uleb(i)));
  const exported = vector(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const bodies = functions.map((f) => {
    const locals = vector(f.locals.map((t) => [1, t]));
    const code = [...locals, ...f.body.flat(), ...op.end];
    return [...uleb(code.length), ...code];
  });
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vector(types)),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exported),
    ...section(10, vector(bodies)),
  ]);
}

/** The parts of the WebAssembly JS API used here (the project compiles without DOM typings). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** Compiles `bytes` against `memory`: the module's exports, or the reason it cannot (e.g. no wasm SIMD). */
export function instantiate(bytes: Uint8Array, memory: WasmMemory): Record<string, unknown> | Error {
  const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm) return new Error("this runtime has no WebAssembly");
  try {
    return new wasm.Instance(new wasm.Module(bytes), { env: { memory } }).exports;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * `make` cached per wasm memory (one instance of a kernel module per heap): what it returned,
 * including the Error that says why it could not load.
 */
export function perMemory<T>(make: (memory: WasmMemory) => T | Error): (memory: WasmMemory) => T | Error {
  const instances = new WeakMap<WasmMemory, T | Error>();
  return (memory) => {
    if (!instances.has(memory)) instances.set(memory, make(memory));
    return instances.get(memory)!;
  };
}
