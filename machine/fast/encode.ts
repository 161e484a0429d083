/**
 * A minimal WebAssembly binary writer for the instrumented modules of the fast mode: LEB128 numbers,
 * instruction bytes with their immediates, and the sections this package emits (type, import,
 * function, table, global, export, element, code). It encodes only what `instrument.ts` produces;
 * it is not a general-purpose encoder.
 */
import type { BlockType, ConstExpr, FuncType, Instr, ValType } from "../wasm/types";
import { OPCODES } from "../wasm/opcodes";

/** A growable byte buffer with LEB128 helpers. */
export class Bytes {
  private buf = new Uint8Array(256);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): this {
    this.ensure(1);
    this.buf[this.length++] = b & 0xff;
    return this;
  }

  raw(b: ArrayLike<number>): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  u32(v: number): this {
    let x = v >>> 0;
    do {
      let b = x & 0x7f;
      x >>>= 7;
      if (x !== 0) b |= 0x80;
      this.byte(b);
    } while (x !== 0);
    return this;
  }

  s32(v: number): this {
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return this;
      }
      this.byte(b | 0x80);
    }
  }

  s64(v: bigint): this {
    let x = BigInt.asIntN(64, v);
    for (;;) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      if ((x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0)) {
        this.byte(b);
        return this;
      }
      this.byte(b | 0x80);
    }
  }

  name(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u32(b.length).raw(b);
  }

  /** Appends a length-prefixed copy of another buffer. */
  sized(b: Bytes): this {
    return this.u32(b.length).raw(b.finish());
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

export function valTypeByte(t: ValType): number {
  switch (t) {
    case "i32":
      return 0x7f;
    case "i64":
      return 0x7e;
    case "f32":
      return 0x7d;
    case "f64":
      return 0x7c;
    case "funcref":
      return 0x70;
    default:
      return 0x6f;
  }
}

export function writeFuncType(b: Bytes, t: FuncType): void {
  b.byte(0x60).u32(t.params.length);
  for (const p of t.params) b.byte(valTypeByte(p));
  b.u32(t.results.length);
  for (const r of t.results) b.byte(valTypeByte(r));
}

export function writeBlockType(b: Bytes, bt: BlockType): void {
  if (bt.kind === "empty") b.byte(0x40);
  else if (bt.kind === "val") b.byte(valTypeByte(bt.type));
  else b.s32(bt.index);
}

/** Writes an opcode id (`0xFC00 | sub` for prefixed ones). */
export function writeOp(b: Bytes, op: number): void {
  if (op >= 0xfc00) b.byte(0xfc).u32(op & 0xff);
  else b.byte(op);
}

/**
 * Writes one decoded instruction with its immediates. `funcIndex` maps function indices of the
 * original module to those of the output module.
 */
export function writeInstr(b: Bytes, ins: Instr, funcIndex: (i: number) => number): void {
  const info = OPCODES.get(ins.op);
  if (!info) throw new Error(`encode: unknown opcode ${ins.op}`);
  writeOp(b, ins.op);
  switch (info.imm) {
    case "none":
      return;
    case "block":
      writeBlockType(b, ins.blockType!);
      return;
    case "label":
      b.u32(ins.depth!);
      return;
    case "br_table":
      b.u32(ins.targets!.length);
      for (const t of ins.targets!) b.u32(t);
      b.u32(ins.defaultTarget!);
      return;
    case "func":
      b.u32(funcIndex(ins.index!));
      return;
    case "call_indirect":
      b.u32(ins.index!).u32(ins.table ?? 0);
      return;
    case "local":
    case "global":
    case "data":
    case "elem":
    case "table":
      b.u32(ins.index!);
      return;
    case "memarg":
      b.u32(ins.align!).u32(ins.memOffset!);
      return;
    case "memory":
      b.byte(0);
      return;
    case "memory_copy":
      b.byte(0).byte(0);
      return;
    case "i32":
      b.s32(ins.value as number);
      return;
    case "i64":
      b.s64(ins.value as bigint);
      return;
    case "select_t":
      b.u32(ins.types!.length);
      for (const t of ins.types!) b.byte(valTypeByte(t));
      return;
    default:
      throw new Error(`encode: immediate kind ${info.imm} (${info.name}) is outside the machine subset`);
  }
}

/** Writes a constant expression (with its `end`). */
export function writeConstExpr(b: Bytes, e: ConstExpr, funcIndex: (i: number) => number): void {
  switch (e.kind) {
    case "i32.const":
      b.byte(0x41).s32(e.value);
      break;
    case "i64.const":
      b.byte(0x42).s64(e.value);
      break;
    case "global.get":
      b.byte(0x23).u32(e.index);
      break;
    case "ref.null":
      b.byte(0xd0).byte(valTypeByte(e.refType));
      break;
    case "ref.func":
      b.byte(0xd2).u32(funcIndex(e.index));
      break;
    default:
      throw new Error(`encode: constant expression ${e.kind} is outside the machine subset`);
  }
  b.byte(0x0b);
}

/** Appends section `id` with the given payload. */
export function writeSection(out: Bytes, id: number, payload: Bytes): void {
  out.byte(id).sized(payload);
}

export const WASM_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
