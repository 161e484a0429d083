/**
 * THE step semantics of the Holoproof machine (docs/machine.md §5), written once against the abstract
 * {@link StepState}. Three classes implement it: the interpreter (`Machine`, direct state), the prover's
 * recorder (answers from the machine, writes them to the proof tape) and the verifier (answers read
 * from the proof tape and authenticated against the pre-state hash).
 *
 * Values: an i32 is a JS number holding the signed 32-bit value; an i64 is a bigint holding the signed
 * 64-bit value. The type of a value is therefore `typeof v`.
 */
import { ERROR_CODE, LAYOUT, OPCODE, STATUS } from "../spec";
import { ByteWriter, keccak, ZERO32 } from "../code/hash";
import { TAG } from "../code/tags";

export type Value = number | bigint;

/** A table entry as the machine and the proofs see it (docs/machine.md §2). */
export interface TableEntry {
  funcIndex: number;
  typeId: number;
  entryPc: number;
  nparams: number;
  nlocals: number;
}

/** The operations the step semantics performs on a machine state. */
export interface StepState {
  status: number;
  error: number;
  pc: number;
  steps: number;
  readonly stepLimit: number;
  memoryPages: number;
  readonly memoryMaxPages: number;
  readonly messageLength: number;
  readonly valueHeight: number;
  readonly frameDepth: number;
  readonly tableLength: number;
  resultHash: Uint8Array;
  pendingHash: Uint8Array;

  /** Loads the instruction at `pc` into `op`, `a` (imm as a number), `b` (imm2 as a number), `c` (imm as bigint). */
  fetch(): void;
  op: number;
  a: number;
  b: number;
  c: bigint;

  pop(): Value;
  push(v: Value): void;
  getLocal(index: number, type: number): Value;
  setLocal(index: number, v: Value): void;
  getGlobal(index: number, type: number): Value;
  setGlobal(index: number, v: Value): void;
  /** Unsigned little-endian load of 1, 2 or 4 bytes at an in-bounds address. */
  load(ea: number, width: number): number;
  /** Unsigned little-endian load of 8 bytes. */
  load64(ea: number): bigint;
  /** Little-endian store of the low `width` (1, 2, 4) bytes of `v`. */
  store(ea: number, width: number, v: number): void;
  /** Little-endian store of the low `width` (1, 2, 4, 8) bytes of `v`. */
  store64(ea: number, width: number, v: bigint): void;
  /** Bytes `[ea, ea + len)`, `len ≤ 32`, spanning at most two leaves. */
  readChunk(ea: number, len: number): Uint8Array;
  /** Writes `bytes` (≤ 32, within one leaf) at `ea`. */
  writeChunk(ea: number, bytes: Uint8Array): void;
  /** Pushes a frame: `args` become the first locals, the rest of `nlocals` are zero. */
  pushFrame(returnPc: number, nlocals: number, args: Value[]): void;
  /** Pops the current frame and returns its return pc. */
  popFrame(): number;
  /** Length and chunk root of data segment `index` (a valid index). */
  dataSegment(index: number): { length: number; chunksRoot: Uint8Array };
  /** Chunk `chunk` (32 bytes, zero-padded) of data segment `index`. */
  dataChunk(index: number, chunk: number): Uint8Array;
  /** Entry `index < tableLength` of the module's table, or null for a null entry. */
  tableEntry(index: number): TableEntry | null;
  /** Message bytes `[off, off + len)` (in bounds). */
  messageSlice(off: number, len: number): Uint8Array;
  /** Restores memory and globals from the snapshot and clears both stacks (the error transition). */
  restoreSnapshotAndClear(): void;
  /** Optional observers of result items (the interpreter collects the bytes; proofs ignore them). */
  noteItemChunk?(bytes: Uint8Array): void;
  noteItemEnd?(kind: number): void;
}

/** A WebAssembly trap or a resource error, raised inside a step and turned into the Errored status. */
export class Trap extends Error {
  override name = "Trap";
  constructor(readonly code: number) {
    super(`trap ${code}`);
  }
}

const RUNNING = STATUS.Running;
const HALTED = STATUS.Halted;
const ERRORED = STATUS.Errored;
const E = {
  Unreachable: ERROR_CODE.Unreachable,
  DivZero: ERROR_CODE.IntegerDivideByZero,
  Overflow: ERROR_CODE.IntegerOverflow,
  MemOOB: ERROR_CODE.MemoryOutOfBounds,
  TableOOB: ERROR_CODE.TableOutOfBounds,
  Null: ERROR_CODE.NullFunction,
  Sig: ERROR_CODE.IndirectCallTypeMismatch,
  CallStack: ERROR_CODE.CallStackExhausted,
  OutOfSteps: ERROR_CODE.OutOfSteps,
  MsgOOB: ERROR_CODE.MessageReadOutOfBounds,
};
const PAGE = LAYOUT.wasmPageBytes;
const LEAF = LAYOUT.memoryLeafBytes;
const CALL_DEPTH_LIMIT = LAYOUT.callDepthLimit;
const TWO32 = 0x100000000;

/** The error result hash `keccak("Holo:Result error:" ‖ code u8)`. */
export function errorResultHash(code: number): Uint8Array {
  return keccak(new ByteWriter().bytes(TAG.resultError).u8(code).finish());
}

/** One result item folded into the accumulator. */
export function resultItemHash(
  prev: Uint8Array,
  kind: number,
  length: number,
  itemHash: Uint8Array,
): Uint8Array {
  return keccak(
    new ByteWriter().bytes(TAG.resultItem).bytes(prev).u8(kind).u32(length).bytes(itemHash).finish(),
  );
}

/** One ≤32-byte chunk of a result item folded into the item hash (zero-padded to 32 bytes). */
export function resultChunkHash(prev: Uint8Array, chunk: Uint8Array): Uint8Array {
  const padded = new Uint8Array(32);
  padded.set(chunk);
  return keccak(new ByteWriter().bytes(TAG.resultChunk).bytes(prev).bytes(padded).finish());
}

/** Sets the Errored status with `code` (docs/machine.md §5, errors). */
export function fail(s: StepState, code: number): void {
  s.restoreSnapshotAndClear();
  s.status = ERRORED;
  s.error = code;
  s.pc = 0;
  s.pendingHash = ZERO32;
  s.resultHash = errorResultHash(code);
}

/** Executes one step of `s` (a no-op unless Running). */
export function step(s: StepState): void {
  if (s.status !== RUNNING) return;
  if (s.steps >= s.stepLimit) {
    fail(s, E.OutOfSteps);
    return;
  }
  s.fetch();
  s.steps++;
  try {
    execute(s, s.op, s.a, s.b, s.c);
  } catch (e) {
    if (e instanceof Trap) fail(s, e.code);
    else throw e;
  }
}

function memCheck(s: StepState, ea: number, width: number): void {
  if (ea + width > s.memoryPages * PAGE) throw new Trap(E.MemOOB);
}

function u32(v: Value): number {
  return (v as number) >>> 0;
}

function clz32(x: number): number {
  return Math.clz32(x);
}

function ctz32(x: number): number {
  if (x === 0) return 32;
  return 31 - Math.clz32(x & -x);
}

function popcnt32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

const M64 = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);

function i64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

function u64(v: bigint): bigint {
  return v & M64;
}

function clz64(v: bigint): number {
  const u = u64(v);
  const hi = Number(u >> 32n);
  if (hi !== 0) return Math.clz32(hi);
  return 32 + Math.clz32(Number(u & 0xffffffffn));
}

function ctz64(v: bigint): number {
  const u = u64(v);
  const lo = Number(u & 0xffffffffn);
  if (lo !== 0) return ctz32(lo);
  return 32 + ctz32(Number(u >> 32n));
}

function popcnt64(v: bigint): number {
  const u = u64(v);
  return popcnt32(Number(u & 0xffffffffn)) + popcnt32(Number(u >> 32n));
}

const O = {
  unreachable: OPCODE["unreachable"],
  return: OPCODE["return"],
  call: OPCODE["call"],
  call_indirect: OPCODE["call_indirect"],
  drop: OPCODE["drop"],
  select: OPCODE["select"],
  local_get: OPCODE["local.get"],
  local_set: OPCODE["local.set"],
  local_tee: OPCODE["local.tee"],
  global_get: OPCODE["global.get"],
  global_set: OPCODE["global.set"],
  jump: OPCODE["jump"],
  jump_if: OPCODE["jump_if"],
  jump_unless: OPCODE["jump_unless"],
  br_table: OPCODE["br_table"],
  drop_under: OPCODE["drop_under"],
  memory_size: OPCODE["memory.size"],
  memory_grow: OPCODE["memory.grow"],
  memory_copy: OPCODE["memory.copy"],
  memory_fill: OPCODE["memory.fill"],
  memory_init: OPCODE["memory.init"],
  data_drop: OPCODE["data.drop"],
  msg_len: OPCODE["msg_len"],
  msg_read: OPCODE["msg_read"],
  emit_begin: OPCODE["emit_begin"],
  emit_chunk: OPCODE["emit_chunk"],
};

/**
 * Executes the instruction `op` with immediates `a`/`b` (numbers) and `c` (imm as bigint) on `s`.
 * Throws {@link Trap} on a trap; the caller turns it into the Errored status.
 */
export function execute(s: StepState, op: number, a: number, b: number, c: bigint): void {
  let next = s.pc + 1;
  switch (op) {
    // ---- control -------------------------------------------------------------------------------
    case O.unreachable:
      throw new Trap(E.Unreachable);
    case O.jump:
      next = a;
      break;
    case O.jump_if:
      if ((s.pop() as number) !== 0) next = a;
      break;
    case O.jump_unless:
      if ((s.pop() as number) === 0) next = a;
      break;
    case O.br_table: {
      const i = u32(s.pop());
      next = a + (i < b ? i : b);
      break;
    }
    case O.drop:
      s.pop();
      break;
    case O.drop_under: {
      const keep: Value[] = [];
      for (let k = 0; k < a; k++) keep.push(s.pop());
      s.pop();
      for (let k = a - 1; k >= 0; k--) s.push(keep[k]);
      break;
    }
    case O.select: {
      const cond = s.pop() as number;
      const y = s.pop();
      const x = s.pop();
      s.push(cond !== 0 ? x : y);
      break;
    }
    case O.local_get:
      s.push(s.getLocal(a, b));
      break;
    case O.local_set:
      s.setLocal(a, s.pop());
      break;
    case O.local_tee: {
      const v = s.pop();
      s.setLocal(a, v);
      s.push(v);
      break;
    }
    case O.global_get:
      s.push(s.getGlobal(a, b));
      break;
    case O.global_set:
      s.setGlobal(a, s.pop());
      break;
    case O.call: {
      const nparams = Math.floor(b / TWO32);
      const nlocals = b % TWO32;
      doCall(s, a, nparams, nlocals);
      return;
    }
    case O.call_indirect: {
      const i = u32(s.pop());
      if (i >= s.tableLength) throw new Trap(E.TableOOB);
      const entry = s.tableEntry(i);
      if (entry === null) throw new Trap(E.Null);
      if (entry.typeId !== a) throw new Trap(E.Sig);
      doCall(s, entry.entryPc, entry.nparams, entry.nlocals);
      return;
    }
    case O.return: {
      const ret = s.popFrame();
      if (s.frameDepth === 0) {
        s.status = HALTED;
        s.pc = 0;
        return;
      }
      next = ret;
      break;
    }
    // ---- memory --------------------------------------------------------------------------------
    case 0x28: {
      const ea = u32(s.pop()) + a;
      memCheck(s, ea, 4);
      s.push(s.load(ea, 4) | 0);
      break;
    }
    case 0x29: {
      const ea = u32(s.pop()) + a;
      memCheck(s, ea, 8);
      s.push(i64(s.load64(ea)));
      break;
    }
    case 0x2c:
    case 0x2d:
    case 0x2e:
    case 0x2f: {
      const w = op <= 0x2d ? 1 : 2;
      const ea = u32(s.pop()) + a;
      memCheck(s, ea, w);
      const v = s.load(ea, w);
      const signed = op === 0x2c || op === 0x2e;
      s.push(signed ? (w === 1 ? (v << 24) >> 24 : (v << 16) >> 16) : v);
      break;
    }
    case 0x30:
    case 0x31:
    case 0x32:
    case 0x33:
    case 0x34:
    case 0x35: {
      const w = op <= 0x31 ? 1 : op <= 0x33 ? 2 : 4;
      const ea = u32(s.pop()) + a;
      memCheck(s, ea, w);
      const v = s.load(ea, w);
      const signed = (op & 1) === 0;
      let r: number;
      if (!signed) r = v;
      else if (w === 1) r = (v << 24) >> 24;
      else if (w === 2) r = (v << 16) >> 16;
      else r = v | 0;
      s.push(BigInt(r));
      break;
    }
    case 0x36:
    case 0x3a:
    case 0x3b: {
      const v = s.pop() as number;
      const w = op === 0x36 ? 4 : op === 0x3a ? 1 : 2;
      const ea = u32(s.pop()) + a;
      memCheck(s, ea, w);
      s.store(ea, w, v);
      break;
    }
    case 0x37:
    case 0x3c:
    case 0x3d:
    case 0x3e: {
      const v = s.pop() as bigint;
      const w = op === 0x37 ? 8 : op === 0x3c ? 1 : op === 0x3d ? 2 : 4;
      const ea = u32(s.pop()) + a;
      memCheck(s, ea, w);
      s.store64(ea, w, v);
      break;
    }
    case O.memory_size:
      s.push(s.memoryPages | 0);
      break;
    case O.memory_grow: {
      const n = u32(s.pop());
      const old = s.memoryPages;
      if (old + n > s.memoryMaxPages) s.push(-1);
      else {
        s.memoryPages = old + n;
        s.push(old | 0);
      }
      break;
    }
    case O.memory_fill: {
      const n = u32(s.pop());
      const v = (s.pop() as number) & 0xff;
      const d = u32(s.pop());
      memCheck(s, d, n);
      if (n === 0) break;
      const cnt = Math.min(n, LEAF - (d % LEAF));
      s.writeChunk(d, new Uint8Array(cnt).fill(v));
      s.push((d + cnt) | 0);
      s.push(v);
      s.push((n - cnt) | 0);
      return;
    }
    case O.memory_copy: {
      const n = u32(s.pop());
      const src = u32(s.pop());
      const d = u32(s.pop());
      memCheck(s, src, n);
      memCheck(s, d, n);
      if (n === 0) break;
      if (d <= src) {
        const cnt = Math.min(n, LEAF - (src % LEAF), LEAF - (d % LEAF));
        const bytes = s.readChunk(src, cnt);
        s.writeChunk(d, bytes);
        s.push((d + cnt) | 0);
        s.push((src + cnt) | 0);
        s.push((n - cnt) | 0);
      } else {
        const se = src + n;
        const de = d + n;
        const cnt = Math.min(n, ((se - 1) % LEAF) + 1, ((de - 1) % LEAF) + 1);
        const bytes = s.readChunk(se - cnt, cnt);
        s.writeChunk(de - cnt, bytes);
        s.push(d | 0);
        s.push(src | 0);
        s.push((n - cnt) | 0);
      }
      return;
    }
    case O.memory_init: {
      const n = u32(s.pop());
      const src = u32(s.pop());
      const d = u32(s.pop());
      const dropped = (s.getGlobal(b, 0x7f) as number) !== 0;
      const seg = s.dataSegment(a);
      const length = dropped ? 0 : seg.length;
      if (src + n > length) throw new Trap(E.MemOOB);
      memCheck(s, d, n);
      if (n === 0) break;
      const cnt = Math.min(n, LEAF - (src % LEAF), LEAF - (d % LEAF));
      const chunk = s.dataChunk(a, Math.floor(src / LEAF));
      s.writeChunk(d, chunk.slice(src % LEAF, (src % LEAF) + cnt));
      s.push((d + cnt) | 0);
      s.push((src + cnt) | 0);
      s.push((n - cnt) | 0);
      return;
    }
    case O.data_drop:
      s.setGlobal(a, 1);
      break;
    // ---- hostio --------------------------------------------------------------------------------
    case O.msg_len:
      s.push(s.messageLength | 0);
      break;
    case O.msg_read: {
      const len = u32(s.pop());
      const off = u32(s.pop());
      const dst = u32(s.pop());
      if (off + len > s.messageLength) throw new Trap(E.MsgOOB);
      memCheck(s, dst, len);
      if (len === 0) break;
      const cnt = Math.min(len, LEAF - (dst % LEAF));
      s.writeChunk(dst, s.messageSlice(off, cnt));
      s.push((dst + cnt) | 0);
      s.push((off + cnt) | 0);
      s.push((len - cnt) | 0);
      return;
    }
    case O.emit_begin: {
      const len = u32(s.pop());
      const ptr = u32(s.pop());
      memCheck(s, ptr, len);
      s.pendingHash = ZERO32;
      s.push(ptr | 0);
      s.push(len | 0);
      s.push(0);
      break;
    }
    case O.emit_chunk: {
      const done = u32(s.pop());
      const len = u32(s.pop());
      const ptr = u32(s.pop());
      if (done >= len) {
        s.resultHash = resultItemHash(s.resultHash, a, len, s.pendingHash);
        s.pendingHash = ZERO32;
        s.noteItemEnd?.(a);
        break;
      }
      const cnt = Math.min(LEAF, len - done);
      const chunk = s.readChunk(ptr + done, cnt);
      s.pendingHash = resultChunkHash(s.pendingHash, chunk);
      s.noteItemChunk?.(chunk);
      s.push(ptr | 0);
      s.push(len | 0);
      s.push((done + cnt) | 0);
      return;
    }
    default:
      if (op >= 0x41 && op <= 0xc4) {
        mathOp(s, op, c);
        break;
      }
      throw new Error(`machine: opcode ${op} has no semantics`);
  }
  s.pc = next;
}

function doCall(s: StepState, entryPc: number, nparams: number, nlocals: number): void {
  if (s.frameDepth >= CALL_DEPTH_LIMIT) throw new Trap(E.CallStack);
  const args: Value[] = new Array(nparams);
  for (let i = nparams - 1; i >= 0; i--) args[i] = s.pop();
  s.pushFrame(s.pc + 1, nlocals, args);
  s.pc = entryPc;
}

function mathOp(s: StepState, op: number, c: bigint): void {
  if (op === 0x41) {
    s.push(Number(c) | 0);
    return;
  }
  if (op === 0x42) {
    s.push(i64(c));
    return;
  }
  if (op === 0x45) {
    s.push((s.pop() as number) === 0 ? 1 : 0);
    return;
  }
  if (op === 0x50) {
    s.push((s.pop() as bigint) === 0n ? 1 : 0);
    return;
  }
  if (op >= 0x46 && op <= 0x4f) {
    const y = s.pop() as number;
    const x = s.pop() as number;
    let r: boolean;
    switch (op) {
      case 0x46: r = x === y; break; // prettier-ignore
      case 0x47: r = x !== y; break; // prettier-ignore
      case 0x48: r = x < y; break; // prettier-ignore
      case 0x49: r = x >>> 0 < y >>> 0; break; // prettier-ignore
      case 0x4a: r = x > y; break; // prettier-ignore
      case 0x4b: r = x >>> 0 > y >>> 0; break; // prettier-ignore
      case 0x4c: r = x <= y; break; // prettier-ignore
      case 0x4d: r = x >>> 0 <= y >>> 0; break; // prettier-ignore
      case 0x4e: r = x >= y; break; // prettier-ignore
      default: r = x >>> 0 >= y >>> 0; // prettier-ignore
    }
    s.push(r ? 1 : 0);
    return;
  }
  if (op >= 0x51 && op <= 0x5a) {
    const y = s.pop() as bigint;
    const x = s.pop() as bigint;
    let r: boolean;
    switch (op) {
      case 0x51: r = x === y; break; // prettier-ignore
      case 0x52: r = x !== y; break; // prettier-ignore
      case 0x53: r = x < y; break; // prettier-ignore
      case 0x54: r = u64(x) < u64(y); break; // prettier-ignore
      case 0x55: r = x > y; break; // prettier-ignore
      case 0x56: r = u64(x) > u64(y); break; // prettier-ignore
      case 0x57: r = x <= y; break; // prettier-ignore
      case 0x58: r = u64(x) <= u64(y); break; // prettier-ignore
      case 0x59: r = x >= y; break; // prettier-ignore
      default: r = u64(x) >= u64(y); // prettier-ignore
    }
    s.push(r ? 1 : 0);
    return;
  }
  if (op >= 0x67 && op <= 0x69) {
    const x = s.pop() as number;
    s.push(op === 0x67 ? clz32(x) : op === 0x68 ? ctz32(x) : popcnt32(x));
    return;
  }
  if (op >= 0x6a && op <= 0x78) {
    const y = s.pop() as number;
    const x = s.pop() as number;
    s.push(i32Binary(op, x, y));
    return;
  }
  if (op >= 0x79 && op <= 0x7b) {
    const x = s.pop() as bigint;
    s.push(BigInt(op === 0x79 ? clz64(x) : op === 0x7a ? ctz64(x) : popcnt64(x)));
    return;
  }
  if (op >= 0x7c && op <= 0x8a) {
    const y = s.pop() as bigint;
    const x = s.pop() as bigint;
    s.push(i64Binary(op, x, y));
    return;
  }
  switch (op) {
    case 0xa7:
      s.push(Number(BigInt.asIntN(32, s.pop() as bigint)));
      return;
    case 0xac:
      s.push(BigInt(s.pop() as number));
      return;
    case 0xad:
      s.push(BigInt((s.pop() as number) >>> 0));
      return;
    case 0xc0:
      s.push(((s.pop() as number) << 24) >> 24);
      return;
    case 0xc1:
      s.push(((s.pop() as number) << 16) >> 16);
      return;
    case 0xc2:
      s.push(BigInt.asIntN(8, s.pop() as bigint));
      return;
    case 0xc3:
      s.push(BigInt.asIntN(16, s.pop() as bigint));
      return;
    case 0xc4:
      s.push(BigInt.asIntN(32, s.pop() as bigint));
      return;
  }
  throw new Error(`machine: opcode ${op} has no semantics`);
}

function i32Binary(op: number, x: number, y: number): number {
  switch (op) {
    case 0x6a:
      return (x + y) | 0;
    case 0x6b:
      return (x - y) | 0;
    case 0x6c:
      return Math.imul(x, y);
    case 0x6d:
      if (y === 0) throw new Trap(E.DivZero);
      if (x === -0x80000000 && y === -1) throw new Trap(E.Overflow);
      return (x / y) | 0;
    case 0x6e:
      if (y === 0) throw new Trap(E.DivZero);
      return ((x >>> 0) / (y >>> 0)) | 0;
    case 0x6f:
      if (y === 0) throw new Trap(E.DivZero);
      if (y === -1) return 0;
      return (x % y) | 0;
    case 0x70:
      if (y === 0) throw new Trap(E.DivZero);
      return ((x >>> 0) % (y >>> 0)) | 0;
    case 0x71:
      return x & y;
    case 0x72:
      return x | y;
    case 0x73:
      return x ^ y;
    case 0x74:
      return x << (y & 31);
    case 0x75:
      return x >> (y & 31);
    case 0x76:
      return (x >>> (y & 31)) | 0;
    case 0x77: {
      const k = y & 31;
      return k === 0 ? x : (x << k) | (x >>> (32 - k));
    }
    default: {
      const k = y & 31;
      return k === 0 ? x : (x >>> k) | (x << (32 - k));
    }
  }
}

function i64Binary(op: number, x: bigint, y: bigint): bigint {
  switch (op) {
    case 0x7c:
      return i64(x + y);
    case 0x7d:
      return i64(x - y);
    case 0x7e:
      return i64(x * y);
    case 0x7f:
      if (y === 0n) throw new Trap(E.DivZero);
      if (x === I64_MIN && y === -1n) throw new Trap(E.Overflow);
      return i64(x / y);
    case 0x80:
      if (y === 0n) throw new Trap(E.DivZero);
      return i64(u64(x) / u64(y));
    case 0x81:
      if (y === 0n) throw new Trap(E.DivZero);
      return i64(x % y);
    case 0x82:
      if (y === 0n) throw new Trap(E.DivZero);
      return i64(u64(x) % u64(y));
    case 0x83:
      return x & y;
    case 0x84:
      return x | y;
    case 0x85:
      return x ^ y;
    case 0x86:
      return i64(x << (y & 63n));
    case 0x87:
      return x >> (y & 63n);
    case 0x88:
      return i64(u64(x) >> (y & 63n));
    case 0x89: {
      const k = y & 63n;
      const u = u64(x);
      return i64((u << k) | (u >> ((64n - k) & 63n)));
    }
    default: {
      const k = y & 63n;
      const u = u64(x);
      return i64((u >> k) | (u << ((64n - k) & 63n)));
    }
  }
}
