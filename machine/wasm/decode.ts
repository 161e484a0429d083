/**
 * Decoder of the WebAssembly 2.0 binary format (without SIMD), written from the specification
 * (chapter 5, "Binary Format"). It checks everything that makes a binary *well-formed*: magic and
 * version, section ids, order and sizes, LEB128 encodings (no over-long or too-large integers),
 * UTF-8 names, vector lengths, reserved zero bytes, the function/code and data-count consistency.
 * It does not validate (types, indices…): that is `validate.ts`.
 *
 * Encodings of features outside WebAssembly 2.0 that a toolchain may emit (SIMD, threads, memory64,
 * exceptions, tail calls, GC and typed references) are refused with a {@link WasmSubsetError} that
 * names the feature, instead of a bare "malformed" error.
 */
import { WasmInvalidError, WasmMalformedError, WasmSubsetError } from "./errors";
import { Op, OPCODES, REFUSED_OPCODES, SINGLE_BYTE, type OpInfo } from "./opcodes";
import type {
  BlockType,
  ConstExpr,
  CustomSection,
  Data,
  Elem,
  Export,
  ExternKind,
  Func,
  FuncType,
  Global,
  GlobalType,
  Import,
  Instr,
  Limits,
  MemType,
  RefType,
  TableType,
  ValType,
  WasmModule,
} from "./types";

/**
 * Implementation limit on the number of declared locals of one function (the same as V8's). A
 * function with more is refused as a subset error (`too-many-locals`); more than 2^32 - 1 is
 * malformed, as the specification requires.
 */
export const MAX_LOCALS = 50_000;

/**
 * Problems the decoder finds that the specification classifies as *validation* errors (constant
 * expressions that are not a single constant instruction). The decoder cannot represent them in
 * the IR, so it records them here and `validateModule` reports them.
 */
export const deferredInvalid: WeakMap<WasmModule, WasmInvalidError[]> = new WeakMap();

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const SECTION_ORDER: Record<number, number> = {
  1: 1,
  2: 2,
  3: 3,
  4: 4,
  5: 5,
  6: 6,
  7: 7,
  8: 8,
  9: 9,
  12: 10,
  10: 11,
  11: 12,
};

/** Value type bytes the decoder knows only to refuse them, with the feature they belong to. */
function refusedTypeByte(b: number): { name: string; feature: string } | undefined {
  switch (b) {
    case 0x7b:
      return { name: "v128", feature: "simd" };
    case 0x64:
    case 0x63:
      return { name: "typed reference (ref ht)", feature: "typed-function-references" };
    case 0x69:
    case 0x74:
      return { name: "exnref", feature: "exception-handling" };
    case 0x6e:
    case 0x6d:
    case 0x6c:
    case 0x6b:
    case 0x6a:
    case 0x71:
    case 0x72:
    case 0x73:
      return { name: "GC reference type", feature: "gc" };
    case 0x5e:
    case 0x5f:
    case 0x4e:
    case 0x50:
    case 0x4f:
      return { name: "GC type definition", feature: "gc" };
    default:
      return undefined;
  }
}

class Reader {
  pos: number;
  end: number;
  /** The function whose body is being decoded, for error locations. */
  funcIndex: number | undefined;

  constructor(
    readonly bytes: Uint8Array,
    pos: number,
    end: number,
  ) {
    this.pos = pos;
    this.end = end;
    this.funcIndex = undefined;
  }

  fail(reason: string, at: number = this.pos, feature = "binary-format"): never {
    throw new WasmMalformedError(reason, { byteOffset: at, functionIndex: this.funcIndex, feature });
  }

  refuse(what: string, feature: string, at: number): never {
    throw new WasmSubsetError(what, feature, { byteOffset: at, functionIndex: this.funcIndex });
  }

  eof(): never {
    return this.fail(
      this.end < this.bytes.length ? "unexpected end of section or function" : "unexpected end",
      this.pos,
    );
  }

  u8(): number {
    if (this.pos >= this.end) this.eof();
    return this.bytes[this.pos++];
  }

  /** Unsigned LEB128, at most 32 bits (5 bytes, unused bits of the last byte zero). */
  u32(): number {
    const start = this.pos;
    let result = 0;
    for (let i = 0; i < 4; i++) {
      const b = this.u8();
      result |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) === 0) return result >>> 0;
    }
    const b = this.u8();
    if (b & 0x80) this.fail("integer representation too long", start, "leb128");
    if (b & 0x70) this.fail("integer too large", start, "leb128");
    return (result | (b << 28)) >>> 0;
  }

  /** Signed LEB128, at most 32 bits. */
  s32(): number {
    const start = this.pos;
    let result = 0;
    for (let i = 0; i < 4; i++) {
      const b = this.u8();
      result |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) === 0) {
        const shift = 7 * (i + 1);
        if (b & 0x40) result |= -1 << shift;
        return result | 0;
      }
    }
    const b = this.u8();
    if (b & 0x80) this.fail("integer representation too long", start, "leb128");
    const sign = b & 0x08 ? 0x70 : 0;
    if ((b & 0x70) !== sign) this.fail("integer too large", start, "leb128");
    return result | (b << 28) | 0;
  }

  /** Signed LEB128, at most 33 bits (block types); returned as a number. */
  s33(): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) {
        if (b & 0x40) result -= mul;
        return result;
      }
    }
    const b = this.u8();
    if (b & 0x80) this.fail("integer representation too long", start, "leb128");
    const sign = b & 0x10 ? 0x60 : 0;
    if ((b & 0x60) !== sign) this.fail("integer too large", start, "leb128");
    result += (b & 0x1f) * mul;
    if (b & 0x10) result -= 2 ** 33;
    return result;
  }

  /** Signed LEB128, at most 64 bits. */
  s64(): bigint {
    const start = this.pos;
    // Fast path: up to 4 bytes fits exactly in a 32-bit signed number.
    let small = 0;
    for (let i = 0; i < 4; i++) {
      const b = this.u8();
      small |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) === 0) {
        const shift = 7 * (i + 1);
        if (b & 0x40) small |= -1 << shift;
        return BigInt(small | 0);
      }
    }
    this.pos = start;
    let result = 0n;
    for (let i = 0; i < 9; i++) {
      const b = this.u8();
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) {
        const shift = 7 * (i + 1);
        if (b & 0x40) result -= 1n << BigInt(shift);
        return BigInt.asIntN(64, result);
      }
    }
    const b = this.u8();
    if (b & 0x80) this.fail("integer representation too long", start, "leb128");
    if (b !== 0 && b !== 0x7f) this.fail("integer too large", start, "leb128");
    result |= BigInt(b & 1) << 63n;
    return BigInt.asIntN(64, result);
  }

  /** Fixed-width little-endian unsigned 32-bit (f32 bits). */
  fixed32(): number {
    if (this.end - this.pos < 4) {
      this.pos = this.end;
      this.eof();
    }
    const p = this.pos;
    const b = this.bytes;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  /** Fixed-width little-endian unsigned 64-bit (f64 bits). */
  fixed64(): bigint {
    const lo = this.fixed32();
    const hi = this.fixed32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** A vector length; each element takes at least `minSize` bytes, so it must fit what is left. */
  count(minSize = 1): number {
    const n = this.u32();
    if (n * minSize > this.end - this.pos) {
      this.fail(this.end < this.bytes.length ? "unexpected end of section or function" : "unexpected end");
    }
    return n;
  }

  name(): string {
    const start = this.pos;
    const len = this.u32();
    if (len > this.end - this.pos) this.fail("length out of bounds", start);
    const bytes = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    try {
      return utf8.decode(bytes);
    } catch {
      return this.fail("malformed UTF-8 encoding", start, "utf8");
    }
  }

  valType(): ValType {
    const at = this.pos;
    const b = this.u8();
    switch (b) {
      case 0x7f:
        return "i32";
      case 0x7e:
        return "i64";
      case 0x7d:
        return "f32";
      case 0x7c:
        return "f64";
      case 0x70:
        return "funcref";
      case 0x6f:
        return "externref";
    }
    const refused = refusedTypeByte(b);
    if (refused) this.refuse(refused.name, refused.feature, at);
    return this.fail("malformed value type", at);
  }

  refType(): RefType {
    const at = this.pos;
    const b = this.u8();
    if (b === 0x70) return "funcref";
    if (b === 0x6f) return "externref";
    const refused = refusedTypeByte(b);
    if (refused) this.refuse(refused.name, refused.feature, at);
    return this.fail("malformed reference type", at);
  }

  limits(isMemory: boolean): Limits {
    const at = this.pos;
    const flags = this.u8();
    if (flags === 0x00) return { min: this.u32() };
    if (flags === 0x01) {
      const min = this.u32();
      const max = this.u32();
      return { min, max };
    }
    if (isMemory && (flags === 0x02 || flags === 0x03)) this.refuse("a shared memory", "threads", at);
    if (flags >= 0x04 && flags <= 0x07) {
      this.refuse(isMemory ? "a 64-bit memory" : "a 64-bit table", "memory64", at);
    }
    return this.fail("integer too large", at, "limits");
  }

  tableType(): TableType {
    const offset = this.pos;
    const refType = this.refType();
    return { refType, limits: this.limits(false), offset };
  }

  memType(): MemType {
    const offset = this.pos;
    return { limits: this.limits(true), offset };
  }

  globalType(): GlobalType {
    const type = this.valType();
    const at = this.pos;
    const m = this.u8();
    if (m > 1) this.fail("malformed mutability", at);
    return { type, mutable: m === 1 };
  }
}

interface DecodeState {
  r: Reader;
  /** Set when a body uses memory.init or data.drop (requires a data count section). */
  usesDataIndex: boolean;
  deferred: WasmInvalidError[];
}

/** Decodes `instr* end` (a function body or a constant expression); returns the instructions. */
function decodeInstrs(st: DecodeState): Instr[] {
  const r = st.r;
  const bytes = r.bytes;
  const body: Instr[] = [];
  const open: number[] = [];
  for (;;) {
    const offset = r.pos;
    if (offset >= r.end) r.eof();
    const b = bytes[r.pos++];
    let info: OpInfo | undefined = SINGLE_BYTE[b];
    let op = b;
    if (b === 0xfc) {
      const sub = r.u32();
      info = sub <= 0x11 ? OPCODES.get(0xfc00 | sub) : undefined;
      if (!info) r.fail(`illegal opcode 0xfc 0x${sub.toString(16)}`, offset, "opcode");
      op = 0xfc00 | sub;
    } else if (!info) {
      const refused = REFUSED_OPCODES.get(b);
      if (refused) r.refuse(refused.name, refused.feature, offset);
      r.fail(`illegal opcode 0x${b.toString(16)}`, offset, "opcode");
    }
    if (!info) return r.fail("illegal opcode", offset, "opcode");
    const ins: Instr = { op, offset };
    switch (info.imm) {
      case "none":
        break;
      case "block":
        ins.blockType = blockType(r);
        break;
      case "label":
        ins.depth = r.u32();
        break;
      case "br_table": {
        const n = r.count();
        const targets = new Array<number>(n);
        for (let i = 0; i < n; i++) targets[i] = r.u32();
        ins.targets = targets;
        ins.defaultTarget = r.u32();
        break;
      }
      case "func":
      case "local":
      case "global":
      case "table":
      case "elem":
        ins.index = r.u32();
        break;
      case "call_indirect":
        ins.index = r.u32();
        ins.table = r.u32();
        break;
      case "memarg": {
        const at = r.pos;
        const align = r.u32();
        if (align & 0x40) r.refuse("a memory index in a memory instruction", "multi-memory", at);
        ins.align = align;
        ins.memOffset = r.u32();
        break;
      }
      case "memory":
        zeroByte(r);
        break;
      case "memory_copy":
        zeroByte(r);
        zeroByte(r);
        break;
      case "data":
        ins.index = r.u32();
        if (op === Op.MemoryInit) zeroByte(r);
        st.usesDataIndex = true;
        break;
      case "i32":
        ins.value = r.s32();
        break;
      case "i64":
        ins.value = r.s64();
        break;
      case "f32":
        ins.value = r.fixed32();
        break;
      case "f64":
        ins.value = r.fixed64();
        break;
      case "select_t": {
        const n = r.count();
        const types = new Array<ValType>(n);
        for (let i = 0; i < n; i++) types[i] = r.valType();
        ins.types = types;
        break;
      }
      case "ref_null":
        ins.refType = r.refType();
        break;
      case "table_init":
        ins.index = r.u32();
        ins.table = r.u32();
        break;
      case "table_copy":
        ins.table = r.u32();
        ins.srcTable = r.u32();
        break;
    }
    const idx = body.length;
    body.push(ins);
    if (op === Op.Block || op === Op.Loop || op === Op.If) {
      open.push(idx);
    } else if (op === Op.Else) {
      const top = open.length > 0 ? body[open[open.length - 1]] : undefined;
      if (!top || top.op !== Op.If || top.elseIndex !== undefined) {
        return r.fail("else without matching if", offset, "structure");
      }
      top.elseIndex = idx;
    } else if (op === Op.End) {
      const o = open.pop();
      if (o === undefined) return body;
      body[o].endIndex = idx;
    }
  }
}

function zeroByte(r: Reader): void {
  const at = r.pos;
  if (r.u8() !== 0) r.fail("zero byte expected", at);
}

function blockType(r: Reader): BlockType {
  const at = r.pos;
  if (at >= r.end) r.eof();
  const b = r.bytes[at];
  if (b === 0x40) {
    r.pos++;
    return { kind: "empty" };
  }
  if (b === 0x7f || b === 0x7e || b === 0x7d || b === 0x7c || b === 0x70 || b === 0x6f) {
    return { kind: "val", type: r.valType() };
  }
  const refused = refusedTypeByte(b);
  if (refused) r.refuse(refused.name, refused.feature, at);
  const index = r.s33();
  if (index < 0) r.fail("malformed block type", at);
  return { kind: "type", index };
}

/** Decodes a constant expression and reduces it to its single instruction. */
function constExpr(st: DecodeState): ConstExpr {
  const offset = st.r.pos;
  const funcIndex = st.r.funcIndex;
  const instrs = decodeInstrs(st);
  const first = instrs[0];
  const e = toConst(first, offset);
  if (instrs.length !== 2 || e === undefined) {
    const bad = instrs.find((i) => i.op !== Op.End && toConst(i, i.offset) === undefined);
    st.deferred.push(
      new WasmInvalidError(bad ? "constant expression required" : "type mismatch", {
        byteOffset: bad ? bad.offset : offset,
        functionIndex: funcIndex,
        feature: "const-expr",
      }),
    );
    return e ?? { kind: "i32.const", value: 0, offset };
  }
  return e;
}

function toConst(i: Instr, offset: number): ConstExpr | undefined {
  switch (i.op) {
    case Op.I32Const:
      return { kind: "i32.const", value: i.value as number, offset };
    case Op.I64Const:
      return { kind: "i64.const", value: i.value as bigint, offset };
    case Op.F32Const:
      return { kind: "f32.const", bits: i.value as number, offset };
    case Op.F64Const:
      return { kind: "f64.const", bits: i.value as bigint, offset };
    case Op.GlobalGet:
      return { kind: "global.get", index: i.index as number, offset };
    case Op.RefNull:
      return { kind: "ref.null", refType: i.refType as RefType, offset };
    case Op.RefFunc:
      return { kind: "ref.func", index: i.index as number, offset };
    default:
      return undefined;
  }
}

function exportKind(r: Reader): ExternKind {
  const at = r.pos;
  const k = r.u8();
  switch (k) {
    case 0:
      return "func";
    case 1:
      return "table";
    case 2:
      return "memory";
    case 3:
      return "global";
    case 4:
      return r.refuse("a tag export", "exception-handling", at);
    default:
      return r.fail("malformed export kind", at);
  }
}

/**
 * Decodes a WebAssembly binary into the IR. Throws {@link WasmMalformedError} when the bytes are not
 * a well-formed WebAssembly 2.0 module, and {@link WasmSubsetError} for encodings of later features.
 * Does not validate: call `validateModule` (or use `loadWasm`).
 */
export function decodeModule(input: Uint8Array | ArrayBuffer): WasmModule {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const len = bytes.length;
  const r = new Reader(bytes, 0, len);
  const st: DecodeState = { r, usesDataIndex: false, deferred: [] };

  if (len < 4 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    if (len < 4 && [0x00, 0x61, 0x73, 0x6d].slice(0, len).every((v, i) => bytes[i] === v)) {
      r.fail("unexpected end", len, "header");
    }
    r.fail("magic header not detected", 0, "header");
  }
  if (len < 8) r.fail("unexpected end", len, "header");
  if (bytes[4] !== 0x01 || bytes[5] !== 0x00 || bytes[6] !== 0x00 || bytes[7] !== 0x00) {
    r.fail("unknown binary version", 4, "header");
  }
  r.pos = 8;

  const types: FuncType[] = [];
  const imports: Import[] = [];
  const funcTypeIdx: number[] = [];
  const funcDeclOffsets: number[] = [];
  const funcs: Func[] = [];
  const tables: TableType[] = [];
  const memories: MemType[] = [];
  const globals: Global[] = [];
  const exportList: Export[] = [];
  const elems: Elem[] = [];
  const datas: Data[] = [];
  const customSections: CustomSection[] = [];
  let start: number | undefined;
  let dataCount: number | undefined;
  let numImportedFuncs = 0;
  let numImportedTables = 0;
  let numImportedMemories = 0;
  let numImportedGlobals = 0;
  let sawCode = false;
  let sawData = false;
  let lastOrder = 0;

  while (r.pos < len) {
    const secOffset = r.pos;
    const id = r.u8();
    const size = r.u32();
    if (size > len - r.pos) r.fail("length out of bounds", secOffset, "section");
    const secEnd = r.pos + size;
    r.end = secEnd;
    if (id === 0) {
      const name = r.name();
      customSections.push({ name, offset: secOffset, size });
      r.pos = secEnd;
    } else {
      if (id === 13) r.refuse("a tag section", "exception-handling", secOffset);
      const order = SECTION_ORDER[id];
      if (order === undefined) r.fail("malformed section id", secOffset, "section");
      if (order <= lastOrder) r.fail("unexpected content after last section", secOffset, "section");
      lastOrder = order;
      switch (id) {
        case 1: {
          const n = r.count();
          for (let i = 0; i < n; i++) {
            const at = r.pos;
            const form = r.u8();
            if (form !== 0x60) {
              const refused = refusedTypeByte(form);
              if (refused) r.refuse(refused.name, refused.feature, at);
              r.fail("malformed function type", at, "type");
            }
            const np = r.count();
            const params = new Array<ValType>(np);
            for (let j = 0; j < np; j++) params[j] = r.valType();
            const nr = r.count();
            const results = new Array<ValType>(nr);
            for (let j = 0; j < nr; j++) results[j] = r.valType();
            types.push({ params, results, offset: at });
          }
          break;
        }
        case 2: {
          const n = r.count();
          for (let i = 0; i < n; i++) {
            const at = r.pos;
            const module = r.name();
            const name = r.name();
            const kAt = r.pos;
            const k = r.u8();
            let imp: Import;
            switch (k) {
              case 0:
                imp = { module, name, desc: { kind: "func", typeIndex: r.u32() }, offset: at };
                numImportedFuncs++;
                funcTypeIdx.push(imp.desc.kind === "func" ? imp.desc.typeIndex : 0);
                break;
              case 1:
                imp = { module, name, desc: { kind: "table", table: r.tableType() }, offset: at };
                numImportedTables++;
                break;
              case 2:
                imp = { module, name, desc: { kind: "memory", memory: r.memType() }, offset: at };
                numImportedMemories++;
                break;
              case 3:
                imp = { module, name, desc: { kind: "global", global: r.globalType() }, offset: at };
                numImportedGlobals++;
                break;
              case 4:
                return r.refuse("a tag import", "exception-handling", kAt);
              default:
                return r.fail("malformed import kind", kAt);
            }
            imports.push(imp);
          }
          break;
        }
        case 3: {
          const n = r.count();
          for (let i = 0; i < n; i++) {
            funcDeclOffsets.push(r.pos);
            funcTypeIdx.push(r.u32());
          }
          break;
        }
        case 4: {
          const n = r.count();
          for (let i = 0; i < n; i++) {
            if (r.pos < r.end && r.bytes[r.pos] === 0x40) {
              r.refuse("a table with an initialiser", "typed-function-references", r.pos);
            }
            tables.push(r.tableType());
          }
          break;
        }
        case 5: {
          const n = r.count();
          for (let i = 0; i < n; i++) memories.push(r.memType());
          break;
        }
        case 6: {
          const n = r.count();
          for (let i = 0; i < n; i++) {
            const at = r.pos;
            const gt = r.globalType();
            const init = constExpr(st);
            globals.push({ type: gt.type, mutable: gt.mutable, init, offset: at });
          }
          break;
        }
        case 7: {
          const n = r.count();
          for (let i = 0; i < n; i++) {
            const at = r.pos;
            const name = r.name();
            const kind = exportKind(r);
            exportList.push({ name, kind, index: r.u32(), offset: at });
          }
          break;
        }
        case 8:
          start = r.u32();
          break;
        case 9: {
          const n = r.count();
          for (let i = 0; i < n; i++) elems.push(elemSegment(st));
          break;
        }
        case 12:
          dataCount = r.u32();
          break;
        case 10: {
          sawCode = true;
          const n = r.count();
          if (n !== funcDeclOffsets.length) {
            r.fail("function and code section have inconsistent lengths", secOffset, "section");
          }
          for (let i = 0; i < n; i++) {
            const at = r.pos;
            const bodySize = r.u32();
            if (bodySize > r.end - r.pos) r.fail("unexpected end of section or function", at);
            const bodyEnd = r.pos + bodySize;
            const funcIndex = numImportedFuncs + i;
            r.funcIndex = funcIndex;
            r.end = bodyEnd;
            const ng = r.count(2);
            const counts = new Array<number>(ng);
            const groupTypes = new Array<ValType>(ng);
            const countAt = new Array<number>(ng);
            let total = 0;
            for (let g = 0; g < ng; g++) {
              countAt[g] = r.pos;
              counts[g] = r.u32();
              groupTypes[g] = r.valType();
              total += counts[g];
            }
            if (total > 0xffffffff) r.fail("too many locals", countAt[0], "locals");
            if (total > MAX_LOCALS) {
              r.refuse(`more than ${MAX_LOCALS} locals`, "too-many-locals", countAt[0]);
            }
            const locals = new Array<ValType>(total);
            let li = 0;
            for (let g = 0; g < ng; g++) for (let k = 0; k < counts[g]; k++) locals[li++] = groupTypes[g];
            const bodyOffset = r.pos;
            const body = decodeInstrs(st);
            if (r.pos !== bodyEnd) r.fail("section size mismatch", r.pos, "section");
            funcs.push({
              index: funcIndex,
              typeIndex: funcTypeIdx[funcIndex],
              locals,
              body,
              offset: at,
              bodyOffset,
              endOffset: bodyEnd,
            });
            r.funcIndex = undefined;
            r.end = secEnd;
          }
          break;
        }
        case 11: {
          sawData = true;
          const n = r.count();
          if (dataCount !== undefined && n !== dataCount) {
            r.fail("data count and data section have inconsistent lengths", secOffset, "section");
          }
          for (let i = 0; i < n; i++) datas.push(dataSegment(st));
          break;
        }
      }
      if (r.pos !== secEnd) r.fail("section size mismatch", r.pos, "section");
    }
    r.end = len;
  }

  if (!sawCode && funcDeclOffsets.length !== 0) {
    r.fail("function and code section have inconsistent lengths", len, "section");
  }
  if (!sawData && dataCount !== undefined && dataCount !== 0) {
    r.fail("data count and data section have inconsistent lengths", len, "section");
  }
  if (st.usesDataIndex && dataCount === undefined) {
    r.fail("data count section required", len, "section");
  }

  const globalTypes: GlobalType[] = [];
  let table: TableType | undefined;
  let memory: MemType | undefined;
  for (const imp of imports) {
    if (imp.desc.kind === "global") globalTypes.push(imp.desc.global);
    else if (imp.desc.kind === "table") table ??= imp.desc.table;
    else if (imp.desc.kind === "memory") memory ??= imp.desc.memory;
  }
  for (const g of globals) globalTypes.push({ type: g.type, mutable: g.mutable });
  table ??= tables[0];
  memory ??= memories[0];

  const m: WasmModule = {
    types,
    imports,
    funcs,
    tables,
    memories,
    globals,
    exports: exportList,
    elems,
    datas,
    customSections,
    numImportedFuncs,
    numImportedTables,
    numImportedMemories,
    numImportedGlobals,
    funcTypeIndices: funcTypeIdx,
    globalTypes,
    byteLength: len,
  };
  if (start !== undefined) m.start = start;
  if (dataCount !== undefined) m.dataCount = dataCount;
  if (table) m.table = table;
  if (memory) m.memory = memory;
  if (st.deferred.length > 0) deferredInvalid.set(m, st.deferred);
  return m;
}

function elemKind(r: Reader): RefType {
  const at = r.pos;
  if (r.u8() !== 0x00) r.fail("malformed element kind", at);
  return "funcref";
}

function elemSegment(st: DecodeState): Elem {
  const r = st.r;
  const offset = r.pos;
  const flags = r.u32();
  if (flags > 7) r.fail("malformed elements segment kind", offset, "elem");
  const mode: Elem["mode"] = (flags & 1) === 0 ? "active" : (flags & 2) === 0 ? "passive" : "declarative";
  let table = 0;
  let offsetExpr: ConstExpr | undefined;
  if (mode === "active") {
    if (flags & 2) table = r.u32();
    offsetExpr = constExpr(st);
  }
  let refType: RefType = "funcref";
  const usesExprs = (flags & 4) !== 0;
  if (flags & 3) refType = usesExprs ? r.refType() : elemKind(r);
  const n = r.count();
  const init: ConstExpr[] = new Array<ConstExpr>(n);
  for (let i = 0; i < n; i++) {
    if (usesExprs) init[i] = constExpr(st);
    else {
      const at = r.pos;
      init[i] = { kind: "ref.func", index: r.u32(), offset: at };
    }
  }
  const e: Elem = { mode, table, refType, init, offset };
  if (offsetExpr) e.offsetExpr = offsetExpr;
  if (init.every((x) => x.kind === "ref.func" || x.kind === "ref.null")) {
    e.funcIndices = init.map((x) => (x.kind === "ref.func" ? x.index : null));
  }
  return e;
}

function dataSegment(st: DecodeState): Data {
  const r = st.r;
  const offset = r.pos;
  const flags = r.u32();
  if (flags > 2) r.fail("malformed data segment kind", offset, "data");
  let memory = 0;
  let offsetExpr: ConstExpr | undefined;
  if (flags === 2) memory = r.u32();
  if (flags !== 1) offsetExpr = constExpr(st);
  const n = r.count();
  const bytesOffset = r.pos;
  const bytes = r.bytes.slice(r.pos, r.pos + n);
  r.pos += n;
  const d: Data = { mode: flags === 1 ? "passive" : "active", memory, bytes, offset, bytesOffset };
  if (offsetExpr) d.offsetExpr = offsetExpr;
  return d;
}
