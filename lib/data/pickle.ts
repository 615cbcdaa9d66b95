/**
 * A restricted unpickler for data pickles such as CIFAR-10/100's (`cifar-10-batches-py`): dicts,
 * lists, tuples, strings, bytes, numbers and numpy arrays, at every pickle protocol (0–5) and in
 * NumPy 1.x's and 2.x's layouts (`numpy.core` / `numpy._core`; `_reconstruct` + BUILD, or at
 * protocol 5 `_frombuffer` over an in-band buffer). It never executes anything: the only globals
 * it accepts are the numpy array constructors and `_codecs.encode`, each implemented here as
 * plain data construction. Any other opcode or global is rejected with its byte offset.
 */
import { formatBytes, maxInputBytes } from "../runtime/limits";
import { DataFormatError, quoteForMessage } from "./errors";

/** A numpy array decoded from a pickle (C or Fortran order as recorded). */
export interface NdArray {
  kind: "ndarray";
  shape: number[];
  /** numpy dtype string, e.g. "|u1" or "<i8". */
  dtype: string;
  fortranOrder: boolean;
  /** The raw element bytes. */
  data: Uint8Array;
}

/** Values a restricted pickle can hold. */
export type PickleValue = null | boolean | number | bigint | string | Uint8Array | NdArray | PickleValue[] | PickleTuple | Map<PickleKey, PickleValue>;
/** Dict keys: strings, bytes (as latin1 strings) or numbers. */
export type PickleKey = string | number;
/** A tuple, kept distinct from a list. */
export interface PickleTuple {
  kind: "tuple";
  items: PickleValue[];
}

interface Global {
  kind: "global";
  name: string;
}
interface DtypeValue {
  kind: "dtype";
  code: string;
  order: string;
}
type StackItem = PickleValue | Global | DtypeValue | typeof MARK;
const MARK = Symbol("mark");

const allowedGlobals = new Set([
  "numpy.core.multiarray._reconstruct",
  "numpy._core.multiarray._reconstruct",
  "numpy.core.numeric._frombuffer",
  "numpy._core.numeric._frombuffer",
  "numpy.ndarray",
  "numpy.dtype",
  "_codecs.encode",
]);

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");

/**
 * Decodes a pickle restricted to data. `file` names the source in errors. The machine is bounded:
 * the byte copies REDUCE (`_codecs.encode`) and BUILD make beyond the input may not
 * exceed 4× the input plus 1 MiB, nor the input limit — a 4 MB pickle that re-encodes one memoised
 * string a thousand times is refused, not followed to 8 GB.
 * @throws DataFormatError "unsupported pickle content: …" for anything that could run code.
 */
export function unpickle(bytes: Uint8Array, file: string, limit = maxInputBytes()): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const memo = new Map<number, StackItem>();
  let pos = 0;

  const fail = (problem: string): never => {
    throw new DataFormatError(file, problem);
  };
  const budget = Math.min(limit, 4 * bytes.length + 2 ** 20);
  let spent = 0;
  const charge = (n: number, at: number): void => {
    spent += n;
    if (spent > budget) fail(`the pickle would need more than ${formatBytes(budget)} to decode (at byte ${at}): refused as a memory bomb`);
  };
  const need = (n: number): void => {
    if (pos + n > bytes.length) fail(`truncated at byte ${bytes.length}: pickle opcode at byte ${pos - 1} needs ${n} more bytes`);
  };
  const take = (n: number): Uint8Array => {
    // BINSTRING's length is a signed int32: a negative one would walk the cursor backwards.
    if (n < 0) fail(`negative length ${n} at byte ${pos - 4}`);
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const u8 = (): number => (need(1), bytes[pos++]);
  const u16 = (): number => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const i32 = (): number => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u32 = (): number => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} at byte ${pos - 8} is too large`);
    return Number(v);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail(`truncated at byte ${bytes.length}: unterminated text argument at byte ${pos}`);
    const text = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const pop = (): StackItem => (stack.length === 0 ? fail(`pickle stack underflow at byte ${pos - 1}`) : (stack.pop() as StackItem));
  const popMark = (): StackItem[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail(`pickle MARK missing at byte ${pos - 1}`);
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const asValue = (item: StackItem, what: string): PickleValue => {
    if (item === MARK || (typeof item === "object" && item !== null && "kind" in item && (item.kind === "global" || item.kind === "dtype"))) {
      return fail(`unsupported pickle content: ${what} at byte ${pos - 1}`);
    }
    return item as PickleValue;
  };
  const toKey = (item: StackItem): PickleKey => {
    if (typeof item === "string" || typeof item === "number") return item;
    if (item instanceof Uint8Array) return latin1.decode(item);
    return fail(`unsupported pickle content: dict key of type ${describe(item)} at byte ${pos - 1}`);
  };

  for (;;) {
    const at = pos;
    if (pos >= bytes.length) fail(`truncated at byte ${bytes.length}: pickle ended without STOP`);
    const op = bytes[pos++];
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail(`unsupported pickle protocol ${bytes[pos - 1]}`);
        break;
      // protocol 0 and 1: text arguments, one per line
      case 0x6c: // LIST
        stack.push(popMark().map((v) => asValue(v, "a non-data list item")));
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        if (items.length % 2 !== 0) fail(`pickle DICT malformed at byte ${at}`);
        const dict = new Map<PickleKey, PickleValue>();
        for (let i = 0; i < items.length; i += 2) dict.set(toKey(items[i]), asValue(items[i + 1], "a non-data dict value"));
        stack.push(dict);
        break;
      }
      case 0x49: {
        // INT: "01"/"00" are True/False (protocol 0's bools), else a decimal
        const text = line();
        stack.push(text === "01" ? true : text === "00" ? false : decimal(text, at, fail));
        break;
      }
      case 0x4c: // LONG: decimal with an optional trailing L
        stack.push(decimal(line().replace(/L$/, ""), at, fail));
        break;
      case 0x46: {
        // FLOAT: repr of a float
        const text = line().trim();
        const v = /^[+-]?inf$/i.test(text) ? (text.startsWith("-") ? -Infinity : Infinity) : /^nan$/i.test(text) ? NaN : Number(text);
        if (Number.isNaN(v) && !/^nan$/i.test(text)) fail(`pickle FLOAT ${quoteForMessage(text)} is not a number at byte ${at}`);
        stack.push(v);
        break;
      }
      case 0x53: // STRING: a quoted Python 2 str literal (bytes)
        stack.push(stringLiteral(line(), at, fail));
        break;
      case 0x56: // UNICODE: raw-unicode-escape text
        stack.push(rawUnicodeEscape(line()));
        break;
      case 0x70: // PUT
        memo.set(decimalIndex(line(), at, fail), stack[stack.length - 1]);
        break;
      case 0x67: {
        // GET
        const key = decimalIndex(line(), at, fail);
        if (!memo.has(key)) fail(`pickle memo key ${key} missing at byte ${at}`);
        stack.push(memo.get(key) as StackItem);
        break;
      }
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        if (stack.length === 0) fail(`pickle stack underflow at byte ${at}`);
        stack.push(stack[stack.length - 1]);
        break;
      case 0x8b: {
        // LONG4: little-endian two's complement, 4-byte length
        const raw = take(i32());
        stack.push(littleEndianInt(raw));
        break;
      }
      case 0x96: // BYTEARRAY8 (protocol 5: an in-band buffer, e.g. a NumPy array's data)
        stack.push(take(u64()));
        break;
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        fail(`unsupported pickle content: an out-of-band buffer at byte ${at} (its data is not in the file)`);
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`pickle STOP at byte ${at} with ${stack.length} items on the stack`);
        return asValue(stack[0], "a non-data value at the top level");
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push({ kind: "tuple", items: [] });
        break;
      case 0x74: // TUPLE
        stack.push({ kind: "tuple", items: popMark().map((v) => v as PickleValue) });
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const n = op - 0x84;
        if (stack.length < n) fail(`pickle stack underflow at byte ${at}`);
        stack.push({ kind: "tuple", items: stack.splice(stack.length - n).map((v) => v as PickleValue) });
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: // LONG1: little-endian two's complement
        stack.push(littleEndianInt(take(u8())));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x55: // SHORT_BINSTRING (python 2 str: bytes)
        stack.push(take(u8()));
        break;
      case 0x54: // BINSTRING
        stack.push(take(i32()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()));
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(take(u8())));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(take(u32())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(take(u64())));
        break;
      case 0x71: // BINPUT
        memo.set(u8(), stack[stack.length - 1]);
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), stack[stack.length - 1]);
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, stack[stack.length - 1]);
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) fail(`pickle memo key ${key} missing at byte ${at}`);
        stack.push(memo.get(key) as StackItem);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        const list = stack[stack.length - 1];
        if (!Array.isArray(list)) fail(`pickle APPEND to a non-list at byte ${at}`);
        (list as PickleValue[]).push(asValue(value, "a non-data list item"));
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = stack[stack.length - 1];
        if (!Array.isArray(list)) fail(`pickle APPENDS to a non-list at byte ${at}`);
        for (const item of items) (list as PickleValue[]).push(asValue(item, "a non-data list item"));
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        const dict = stack[stack.length - 1];
        if (!(dict instanceof Map)) fail(`pickle SETITEM on a non-dict at byte ${at}`);
        (dict as Map<PickleKey, PickleValue>).set(toKey(key), asValue(value, "a non-data dict value"));
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const dict = stack[stack.length - 1];
        if (!(dict instanceof Map) || items.length % 2 !== 0) fail(`pickle SETITEMS malformed at byte ${at}`);
        for (let i = 0; i < items.length; i += 2) (dict as Map<PickleKey, PickleValue>).set(toKey(items[i]), asValue(items[i + 1], "a non-data dict value"));
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const name = `${line()}.${line()}`;
        if (!allowedGlobals.has(name)) fail(`unsupported pickle content: global ${quoteForMessage(name)} at byte ${at} (only numpy arrays and plain data are accepted; nothing was executed)`);
        stack.push({ kind: "global", name });
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        const full = `${typeof module === "string" ? module : describe(module)}.${typeof name === "string" ? name : describe(name)}`;
        if (typeof name !== "string" || typeof module !== "string" || !allowedGlobals.has(full)) {
          fail(`unsupported pickle content: global ${quoteForMessage(full)} at byte ${at} (only numpy arrays and plain data are accepted; nothing was executed)`);
        }
        stack.push({ kind: "global", name: full });
        break;
      }
      case 0x52: {
        // REDUCE: callable(*args), for the allow-listed globals only
        const args = pop();
        const callable = pop();
        if (!isGlobal(callable) || !isTuple(args)) fail(`unsupported pickle content: REDUCE of ${describe(callable)} at byte ${at}`);
        const items = (args as PickleTuple).items;
        if ((callable as Global).name === "_codecs.encode" && typeof items[0] === "string") charge(items[0].length, at);
        stack.push(reduce((callable as Global).name, items, fail, at));
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state), for ndarray and dtype only
        const state = pop();
        const target = stack[stack.length - 1];
        const data = isTuple(state) ? state.items[4] : undefined;
        if (typeof data === "string") charge(data.length, at);
        build(target, state, fail, at);
        break;
      }
      default:
        fail(`unsupported pickle content: opcode 0x${op.toString(16).padStart(2, "0")} (${JSON.stringify(String.fromCharCode(op))}) at byte ${at}`);
    }
  }
}

/** A little-endian two's complement integer (LONG1, LONG4): a number when safe, else a bigint. */
function littleEndianInt(raw: Uint8Array): number | bigint {
  let v = 0n;
  for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]);
  if (raw.length > 0 && raw[raw.length - 1] & 0x80) v -= 1n << BigInt(8 * raw.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** A decimal integer argument (INT, LONG): a number when safe, else a bigint. */
function decimal(text: string, at: number, fail: (p: string) => never): number | bigint {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t) || t.length > 4300) fail(`pickle integer ${quoteForMessage(t)} is malformed at byte ${at}`);
  const v = BigInt(t);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** A memo index (PUT, GET). */
function decimalIndex(text: string, at: number, fail: (p: string) => never): number {
  const v = decimal(text, at, fail);
  if (typeof v !== "number" || v < 0) fail(`pickle memo index ${quoteForMessage(text)} is malformed at byte ${at}`);
  return v as number;
}

/** A Python 2 str literal as protocol 0 writes it ('…' or "…" with backslash escapes) → bytes. */
function stringLiteral(text: string, at: number, fail: (p: string) => never): Uint8Array {
  const q = text[0];
  if ((q !== "'" && q !== '"') || text.length < 2 || text[text.length - 1] !== q) fail(`pickle STRING ${quoteForMessage(text)} is not a quoted literal at byte ${at}`);
  const body = text.slice(1, -1);
  const out: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, "\\": 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11, "0": 0 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\") {
      out.push(body.charCodeAt(i) & 0xff);
      continue;
    }
    const e = body[++i];
    if (e === "x") {
      const hex = body.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail(`pickle STRING has a bad \\x escape at byte ${at}`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (e !== undefined && /[0-7]/.test(e)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out.push(parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
    } else if (e !== undefined && e in simple) out.push(simple[e]);
    else fail(`pickle STRING has an unknown escape at byte ${at}`);
  }
  return Uint8Array.from(out);
}

/** raw-unicode-escape (protocol 0's UNICODE): \\uXXXX and \\UXXXXXXXX escapes, other bytes latin-1. */
function rawUnicodeEscape(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u4: string | undefined, u8: string | undefined) => String.fromCodePoint(parseInt((u4 ?? u8)!, 16)));
}

function isGlobal(v: StackItem): v is Global {
  return typeof v === "object" && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v) && !(v instanceof Map) && "kind" in v && v.kind === "global";
}
function isTuple(v: StackItem): v is PickleTuple {
  return typeof v === "object" && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v) && !(v instanceof Map) && "kind" in v && v.kind === "tuple";
}
function describe(v: StackItem): string {
  if (v === MARK) return "MARK";
  if (v === null) return "None";
  if (v instanceof Uint8Array) return "bytes";
  if (Array.isArray(v)) return "list";
  if (v instanceof Map) return "dict";
  if (typeof v === "object") return v.kind === "global" ? `global ${v.name}` : v.kind;
  return typeof v;
}

function reduce(name: string, args: PickleValue[], fail: (p: string) => never, at: number): StackItem {
  if (name === "_codecs.encode") {
    // Python 3 pickles bytes at protocol 2 as _codecs.encode(str, "latin1").
    const [text, encoding] = args;
    if (typeof text !== "string" || (encoding !== "latin1" && encoding !== "latin-1")) fail(`unsupported pickle content: _codecs.encode with ${quoteForMessage(String(encoding))} at byte ${at}`);
    const out = new Uint8Array((text as string).length);
    for (let i = 0; i < out.length; i++) out[i] = (text as string).charCodeAt(i) & 0xff;
    return out;
  }
  if (name.endsWith("._reconstruct")) {
    const cls = args[0] as StackItem;
    if (!isGlobal(cls) || cls.name !== "numpy.ndarray") fail(`unsupported pickle content: _reconstruct of ${describe(cls)} at byte ${at}`);
    const empty: NdArray = { kind: "ndarray", shape: [], dtype: "", fortranOrder: false, data: new Uint8Array(0) };
    return empty;
  }
  if (name.endsWith("._frombuffer")) {
    // protocol 5: _frombuffer(buffer, dtype, shape, order) — the array in one step
    const [buffer, dtype, shape, order] = args as unknown as [StackItem, StackItem, StackItem, StackItem];
    if (!(buffer instanceof Uint8Array)) fail(`unsupported pickle content: _frombuffer of ${describe(buffer)} at byte ${at}`);
    if (typeof dtype !== "object" || dtype === null || (dtype as DtypeValue).kind !== "dtype") fail(`unsupported pickle content: _frombuffer dtype at byte ${at}`);
    if (!isTuple(shape) || !shape.items.every((d) => typeof d === "number")) fail(`unsupported pickle content: _frombuffer shape at byte ${at}`);
    const d = dtype as DtypeValue;
    const array: NdArray = { kind: "ndarray", shape: (shape as PickleTuple).items as number[], dtype: `${d.order === "=" ? "<" : d.order}${d.code}`, fortranOrder: order === "F", data: buffer as Uint8Array };
    return array;
  }
  if (name === "numpy.dtype") {
    const code = args[0];
    const spec = code instanceof Uint8Array ? latin1.decode(code) : code;
    if (typeof spec !== "string") fail(`unsupported pickle content: numpy.dtype of ${typeof spec} at byte ${at}`);
    const dtype: DtypeValue = { kind: "dtype", code: spec as string, order: "|" };
    return dtype as unknown as PickleValue;
  }
  return fail(`unsupported pickle content: REDUCE of ${name} at byte ${at}`);
}

function build(target: StackItem, state: StackItem, fail: (p: string) => never, at: number): void {
  if (typeof target !== "object" || target === null || target instanceof Uint8Array || Array.isArray(target) || target instanceof Map || !("kind" in target)) {
    fail(`unsupported pickle content: BUILD on ${describe(target)} at byte ${at}`);
  }
  const t = target as NdArray | DtypeValue;
  if (!isTuple(state)) fail(`unsupported pickle content: BUILD state of ${describe(state)} at byte ${at}`);
  const items = (state as PickleTuple).items;
  if (t.kind === "dtype") {
    // (version, byteorder, subdescr, names, fields, elsize, alignment, flags)
    if (typeof items[1] === "string") t.order = items[1];
    else if (items[1] instanceof Uint8Array) t.order = latin1.decode(items[1]);
    return;
  }
  if (t.kind === "ndarray") {
    // (version, shape, dtype, is_fortran, data)
    const [, shape, dtype, fortran, data] = items as unknown as [number, PickleTuple, DtypeValue, boolean, Uint8Array | string];
    if (!isTuple(shape as StackItem) || !shape.items.every((d) => typeof d === "number")) fail(`unsupported pickle content: ndarray shape at byte ${at}`);
    if (typeof dtype !== "object" || dtype === null || (dtype as DtypeValue).kind !== "dtype") fail(`unsupported pickle content: ndarray dtype at byte ${at}`);
    t.shape = shape.items as number[];
    const d = dtype as DtypeValue;
    t.dtype = `${d.order === "=" ? "<" : d.order}${d.code}`;
    t.fortranOrder = fortran === true;
    if (data instanceof Uint8Array) t.data = data;
    else if (typeof data === "string") t.data = Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff);
    else fail(`unsupported pickle content: ndarray data of ${describe(data as StackItem)} (object arrays are refused) at byte ${at}`);
    return;
  }
  fail(`unsupported pickle content: BUILD at byte ${at}`);
}

/** Looks a key up in a decoded pickle dict, accepting `b"key"` (python 2) or `"key"`. */
export function dictGet(dict: PickleValue, key: string): PickleValue | undefined {
  return dict instanceof Map ? dict.get(key) : undefined;
}
