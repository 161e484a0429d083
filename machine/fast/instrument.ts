/**
 * Step metering injected into a process module (see README.md, "Cost model").
 *
 * The walker below follows `machine/flatten` instruction by instruction (same labels, same operand
 * heights, same dead-code rule), so for every original instruction it knows how many flattened
 * instructions — machine steps — it becomes, and where they execute. It writes a new module in which
 * straight-line runs charge their step cost to the i64 global `rem` (remaining steps) before they run.
 *
 * Two variants are produced from one walk:
 * - **fast**: one charge per run (runs end only at control flow: block ends, branches, loops), checks
 *   for `rem < 0` only at loop headers and at the entry of functions that call; calls to non-leaf
 *   functions count frames against a conservative cap. Any doubt (budget exhausted, a trap, a frame or
 *   value-stack cap) throws a "bail" and the message is re-run in the precise variant. The fast variant
 *   is therefore never wrong when it completes: its charges add up to exactly the machine's steps.
 * - **precise**: runs are split right after every instruction that can trap, and every run checks its
 *   charge before it executes, so at any trap `rem` is exact, and running out of steps is detected
 *   before the first instruction the machine would not execute. It counts every frame exactly and the
 *   value-stack base exactly (per call site), and traps with the machine's error codes.
 */
import type { FuncType, Instr, ValType, WasmModule } from "../wasm/types";
import { Op, OPCODES } from "../wasm/opcodes";
import { LAYOUT } from "../spec";
import {
  Bytes,
  valTypeByte,
  WASM_HEADER,
  writeConstExpr,
  writeFuncType,
  writeInstr,
  writeSection,
} from "./encode";

export type MeterMode = "fast" | "precise";

/** Reason codes passed to the `m.trap` import (machine error codes, plus NEED_STEP). */
export const REASON = {
  CallStackExhausted: 8,
  OutOfSteps: 10,
  /** Precise mode cannot decide exactly (value stack near its limit): run the message in step mode. */
  NeedStep: 100,
} as const;

/** Names of the meter imports (module `m`), in import order after the module's own imports. */
export const METER_IMPORTS = ["trap", "fill", "copy", "init", "drop", "ci"] as const;
export const METER_MODULE = "m";

/** Log2 of the size of a dirty-tracking granule (4 KiB): a store sets bit `(addr >> 12) & 63` of `mask`. */
export const GRANULE_SHIFT = 12;

export interface InstrumentOptions {
  mode: MeterMode;
  /** Maximum memory pages (the machine's `memoryMaxPages`), declared on the imported memory. */
  memoryMaxPages: number;
  /** Function index of `handle` in the original module. */
  handleIndex: number;
  /** Canonical type id of every type index (flatten's `typeIds`), for precise `call_indirect`. */
  typeIds: number[];
}

export interface Instrumented {
  bytes: Uint8Array;
  /** Peak operand height of each function (imports: their synthetic host stubs). */
  peaks: number[];
  /** Fast mode: frames allowed before a bail (so that frames × max peak ≤ value stack limit). */
  depthCap: number;
}

const VALUE_STACK_LIMIT = LAYOUT.valueStackLimit;
const CALL_DEPTH_LIMIT = LAYOUT.callDepthLimit;

/** Peak operand height of the synthetic body of each host function (local.gets, host op pushes). */
export const HOST_STUB_PEAK: Readonly<Record<string, number>> = {
  msg_len: 1,
  msg_read: 3,
  output: 3,
  send: 3,
  spawn: 3,
};

interface Label {
  kind: "block" | "loop" | "if" | "func";
  base: number;
  arity: number;
  nparams: number;
  nresults: number;
  dead: boolean;
}

/** A placeholder for the charge at the start of a run, filled in when the run closes. */
interface Charge {
  cost: number;
  check: boolean;
}

const STORE_I32 = new Set([0x36, 0x3a, 0x3b]);
const STORE_I64 = new Set([0x37, 0x3c, 0x3d, 0x3e]);
const DIV_REM = new Set([0x6d, 0x6e, 0x6f, 0x70, 0x7f, 0x80, 0x81, 0x82]);

function isLoad(op: number): boolean {
  return op >= 0x28 && op <= 0x35;
}

/** Does a function body contain any call (then it is not a leaf)? */
function callsAnything(body: Instr[]): boolean {
  return body.some((i) => i.op === Op.Call || i.op === Op.CallIndirect);
}

/** Builds the instrumented module (see the file comment). */
export function instrument(mod: WasmModule, opts: InstrumentOptions): Instrumented {
  const precise = opts.mode === "precise";
  for (const imp of mod.imports) {
    if (imp.desc.kind !== "func")
      throw new Error(`fast mode: import ${imp.module}.${imp.name} of a ${imp.desc.kind}`);
  }
  const nImp = mod.numImportedFuncs;
  const nMeter = METER_IMPORTS.length;
  const fidx = (i: number): number => (i < nImp ? i : i + nMeter);
  const TRAP = nImp;
  const FILL = nImp + 1;
  const COPY = nImp + 2;
  const INIT = nImp + 3;
  const DROP = nImp + 4;
  const CI = nImp + 5;
  const nG = mod.globals.length;
  const REM = nG;
  const DEPTH = nG + 1;
  const VBASE = nG + 2;
  const MASK = nG + 3;

  const leaf: boolean[] = [];
  const peaks: number[] = [];
  for (const imp of mod.imports) {
    leaf.push(true);
    peaks.push(HOST_STUB_PEAK[imp.name] ?? 3);
  }
  for (const fn of mod.funcs) leaf.push(!callsAnything(fn.body));

  const bodies: Bytes[] = [];
  // First pass computes the peaks (needed for the fast depth cap before emitting call sites).
  let depthCap = CALL_DEPTH_LIMIT;
  for (const fn of mod.funcs) peaks.push(walk(fn, true).peak);
  const maxPeak = Math.max(1, ...peaks);
  depthCap = Math.min(CALL_DEPTH_LIMIT, Math.floor(VALUE_STACK_LIMIT / maxPeak));
  for (const fn of mod.funcs) bodies.push(walk(fn, false).body);

  // ---- module assembly -----------------------------------------------------------------------
  const out = new Bytes().raw(WASM_HEADER);
  const nTypes = mod.types.length;
  const T_I = nTypes;
  const T_III = nTypes + 1;
  const T_IIII = nTypes + 2;
  const T_II = nTypes + 3;
  const types: FuncType[] = [
    ...mod.types,
    { params: ["i32"], results: [] },
    { params: ["i32", "i32", "i32"], results: [] },
    { params: ["i32", "i32", "i32", "i32"], results: [] },
    { params: ["i32", "i32"], results: [] },
  ];
  const sec = new Bytes().u32(types.length);
  for (const t of types) writeFuncType(sec, t);
  writeSection(out, 1, sec);

  const imports = new Bytes();
  const meterTypes = [T_I, T_III, T_III, T_IIII, T_I, T_II];
  const nImports = nImp + nMeter + (mod.memory ? 1 : 0);
  imports.u32(nImports);
  for (const imp of mod.imports) {
    imports.name(imp.module).name(imp.name).byte(0);
    imports.u32((imp.desc as { typeIndex: number }).typeIndex);
  }
  METER_IMPORTS.forEach((n, i) => imports.name(METER_MODULE).name(n).byte(0).u32(meterTypes[i]));
  if (mod.memory) {
    imports.name(METER_MODULE).name("memory").byte(2).byte(1).u32(0).u32(opts.memoryMaxPages);
  }
  writeSection(out, 2, imports);

  const funcs = new Bytes().u32(mod.funcs.length);
  for (const fn of mod.funcs) funcs.u32(fn.typeIndex);
  writeSection(out, 3, funcs);

  if (mod.tables.length > 0) {
    const t = mod.tables[0];
    const tb = new Bytes().u32(1).byte(0x70);
    if (t.limits.max === undefined) tb.byte(0).u32(t.limits.min);
    else tb.byte(1).u32(t.limits.min).u32(t.limits.max);
    writeSection(out, 4, tb);
  } else if (mod.table) {
    throw new Error("fast mode: imported tables are not supported");
  }

  const globals = new Bytes().u32(nG + 4);
  for (const g of mod.globals) {
    globals.byte(valTypeByte(g.type)).byte(g.mutable ? 1 : 0);
    writeConstExpr(globals, g.init, fidx);
  }
  for (const t of ["i64", "i32", "i32", "i64"] as ValType[]) {
    globals.byte(valTypeByte(t)).byte(1);
    if (t === "i64") globals.byte(0x42).s64(0n).byte(0x0b);
    else globals.byte(0x41).s32(0).byte(0x0b);
  }
  writeSection(out, 6, globals);

  const exps: [string, number, number][] = [
    ["h", 0, fidx(opts.handleIndex)],
    ["rem", 3, REM],
    ["depth", 3, DEPTH],
    ["vbase", 3, VBASE],
    ["mask", 3, MASK],
  ];
  for (let i = 0; i < nG; i++) exps.push([`g${i}`, 3, i]);
  const ex = new Bytes().u32(exps.length);
  for (const [name, kind, index] of exps) ex.name(name).byte(kind).u32(index);
  writeSection(out, 7, ex);

  const active = mod.elems.filter((e) => e.mode === "active");
  if (active.length > 0) {
    const el = new Bytes().u32(active.length);
    for (const e of active) {
      if (e.table !== 0 || !e.funcIndices) throw new Error("fast mode: unsupported element segment");
      el.byte(0x04);
      writeConstExpr(el, e.offsetExpr!, fidx);
      el.u32(e.funcIndices.length);
      for (const f of e.funcIndices) {
        if (f === null) el.byte(0xd0).byte(0x70).byte(0x0b);
        else el.byte(0xd2).u32(fidx(f)).byte(0x0b);
      }
    }
    writeSection(out, 9, el);
  }

  const code = new Bytes().u32(bodies.length);
  for (const b of bodies) code.sized(b);
  writeSection(out, 10, code);

  return { bytes: out.finish().slice(), peaks, depthCap };

  // ---- the walk --------------------------------------------------------------------------------
  function walk(fn: WasmModule["funcs"][number], dryRun: boolean): { body: Bytes; peak: number } {
    const type = mod.types[fn.typeIndex];
    const localTypes: ValType[] = [...type.params, ...fn.locals];
    const nOrig = localTypes.length;
    const T64 = nOrig;
    const TA = nOrig + 1;
    const TV32 = nOrig + 2;
    const TV64 = nOrig + 3;
    const TC = nOrig + 4;
    const parts: (Bytes | Charge)[] = [];
    let cur: Bytes = new Bytes();
    let charge: Charge | null = null;
    let height = 0;
    let peak = 0;
    const isLeaf = leaf[fn.index];
    const labels: Label[] = [
      {
        kind: "func",
        base: 0,
        arity: type.results.length,
        nparams: 0,
        nresults: type.results.length,
        dead: false,
      },
    ];

    const open = (check: boolean): void => {
      charge = { cost: 0, check: precise || check };
      parts.push(charge);
      cur = new Bytes();
      parts.push(cur);
    };
    const close = (): void => {
      charge = null;
      cur = new Bytes();
      parts.push(cur);
    };
    const add = (c: number): void => {
      if (charge === null) open(false);
      charge!.cost += c;
    };
    /** Precise mode: the instruction just added can trap, so the run ends after it. */
    const trapPoint = (): void => {
      if (precise) close();
    };
    const trapCall = (reason: number): void => {
      cur.byte(0x41).s32(reason).byte(0x10).u32(TRAP);
    };
    /** `rem -= <i64 on the stack>` (unchecked). */
    const subFromRem = (): void => {
      cur.byte(0x21).u32(T64).byte(0x23).u32(REM).byte(0x20).u32(T64).byte(0x7d).byte(0x24).u32(REM);
    };
    const depthEnter = (cap: number): void => {
      cur.byte(0x23).u32(DEPTH).byte(0x41).s32(1).byte(0x6a).byte(0x24).u32(DEPTH);
      cur.byte(0x23).u32(DEPTH).byte(0x41).s32(cap).byte(0x4b).byte(0x04).byte(0x40);
      trapCall(REASON.CallStackExhausted);
      cur.byte(0x0b);
    };
    const depthLeave = (): void => {
      cur.byte(0x23).u32(DEPTH).byte(0x41).s32(1).byte(0x6b).byte(0x24).u32(DEPTH);
    };
    const vbaseAdd = (h: number): void => {
      if (h === 0) return;
      cur.byte(0x23).u32(VBASE).byte(0x41).s32(h).byte(0x6a).byte(0x24).u32(VBASE);
    };
    const blockArity = (ins: Instr): [number, number] => {
      const bt = ins.blockType!;
      if (bt.kind === "empty") return [0, 0];
      if (bt.kind === "val") return [0, 1];
      const t = mod.types[bt.index];
      return [t.params.length, t.results.length];
    };
    const raw = (ins: Instr): void => writeInstr(cur, ins, fidx);
    const bump = (): void => {
      if (height > peak) peak = height;
    };
    /** Steps taken by a branch to `l` beyond its own jump/br_table step: the drops, and jump/return. */
    const branchExtra = (l: Label): number => {
      const d = height - l.base - l.arity;
      if (l.kind !== "func" && d === 0) return 0;
      return d + 1;
    };

    // Prologue: precise mode checks the value-stack base against this function's peak (computed by
    // the dry run; a function whose peak could cross the limit from this base is run in step mode).
    if (precise && !dryRun) {
      const p = peaks[fn.index];
      cur
        .byte(0x23)
        .u32(VBASE)
        .byte(0x41)
        .s32(VALUE_STACK_LIMIT - p)
        .byte(0x4a)
        .byte(0x04)
        .byte(0x40);
      trapCall(REASON.NeedStep);
      cur.byte(0x0b);
    }
    parts.push(cur);
    open(!isLeaf);

    const body = fn.body;
    for (let i = 0; i < body.length; i++) {
      const ins = body[i];
      const top = labels[labels.length - 1];
      if (top.dead && ins.op !== Op.Else && ins.op !== Op.End) {
        if (ins.op === Op.Block || ins.op === Op.Loop || ins.op === Op.If) i = ins.endIndex!;
        continue;
      }
      switch (ins.op) {
        case Op.Nop:
          break;
        case Op.Unreachable:
          add(1);
          raw(ins);
          top.dead = true;
          close();
          break;
        case Op.Block: {
          const [p, r] = blockArity(ins);
          labels.push({ kind: "block", base: height - p, arity: r, nparams: p, nresults: r, dead: false });
          raw(ins);
          break;
        }
        case Op.Loop: {
          const [p, r] = blockArity(ins);
          labels.push({ kind: "loop", base: height - p, arity: p, nparams: p, nresults: r, dead: false });
          close();
          raw(ins);
          open(true);
          break;
        }
        case Op.If: {
          const [p, r] = blockArity(ins);
          height--;
          add(1);
          close();
          labels.push({ kind: "if", base: height - p, arity: r, nparams: p, nresults: r, dead: false });
          raw(ins);
          open(false);
          break;
        }
        case Op.Else: {
          if (!top.dead) add(1);
          close();
          raw(ins);
          height = top.base + top.nparams;
          top.dead = false;
          open(false);
          break;
        }
        case Op.End: {
          const l = labels.pop()!;
          if (l.kind === "func") {
            if (!l.dead) add(1);
            close();
            raw(ins);
            height = l.nresults;
            break;
          }
          close();
          raw(ins);
          height = l.base + l.nresults;
          bump();
          open(false);
          break;
        }
        case Op.Br: {
          const l = labels[labels.length - 1 - ins.depth!];
          // Drops and the jump (or return): one step when nothing is dropped.
          add(Math.max(1, branchExtra(l)));
          close();
          raw(ins);
          top.dead = true;
          break;
        }
        case Op.BrIf: {
          height--;
          const l = labels[labels.length - 1 - ins.depth!];
          const extra = branchExtra(l);
          add(1);
          close();
          if (extra > 0) {
            // Taken: the drops and the jump (or return) after `jump_unless`. rem -= cond ? extra : 0.
            cur.byte(0x22).u32(TC);
            cur.byte(0x42).s64(BigInt(extra)).byte(0x42).s64(0n).byte(0x20).u32(TC).byte(0x1b);
            subFromRem();
          }
          raw(ins);
          open(false);
          break;
        }
        case Op.BrTable: {
          height--;
          const targets = [...ins.targets!, ins.defaultTarget!];
          const extras = targets.map((d) => branchExtra(labels[labels.length - 1 - d]));
          const dflt = extras[extras.length - 1];
          add(2);
          if (extras.every((e) => e === dflt)) {
            add(dflt);
            close();
          } else {
            close();
            // acc = extras[min(i, n)], built as a chain of selects over the index.
            cur.byte(0x22).u32(TC).byte(0x42).s64(BigInt(dflt));
            for (let k = 0; k < extras.length - 1; k++) {
              if (extras[k] === dflt) continue;
              cur.byte(0x21).u32(T64).byte(0x42).s64(BigInt(extras[k])).byte(0x20).u32(T64);
              cur.byte(0x20).u32(TC).byte(0x41).s32(k).byte(0x46).byte(0x1b);
            }
            subFromRem();
          }
          raw(ins);
          top.dead = true;
          break;
        }
        case Op.Return: {
          add(height - type.results.length + 1);
          close();
          raw(ins);
          top.dead = true;
          break;
        }
        case Op.Call: {
          const f = ins.index!;
          const t = mod.types[mod.funcTypeIndices[f]];
          const hsite = height - t.params.length;
          height += t.results.length - t.params.length;
          bump();
          add(1);
          if (precise) {
            close();
            vbaseAdd(hsite);
            depthEnter(CALL_DEPTH_LIMIT);
            raw(ins);
            vbaseAdd(-hsite);
            depthLeave();
          } else if (leaf[f]) {
            raw(ins);
          } else {
            depthEnter(depthCap - 1);
            raw(ins);
            depthLeave();
          }
          break;
        }
        case Op.CallIndirect: {
          const t = mod.types[ins.index!];
          const hsite = height - 1 - t.params.length;
          height += t.results.length - t.params.length - 1;
          bump();
          add(1);
          if (precise) {
            close();
            cur
              .byte(0x22)
              .u32(TC)
              .byte(0x20)
              .u32(TC)
              .byte(0x41)
              .s32(opts.typeIds[ins.index!])
              .byte(0x10)
              .u32(CI);
            vbaseAdd(hsite);
            depthEnter(CALL_DEPTH_LIMIT);
            raw(ins);
            vbaseAdd(-hsite);
            depthLeave();
          } else {
            depthEnter(depthCap - 1);
            raw(ins);
            depthLeave();
          }
          break;
        }
        case Op.Drop:
          height--;
          add(1);
          raw(ins);
          break;
        case Op.Select:
        case Op.SelectT:
          height -= 2;
          add(1);
          raw(ins);
          break;
        case Op.LocalGet:
        case Op.GlobalGet:
        case Op.I32Const:
        case Op.I64Const:
        case Op.MemorySize:
          height++;
          bump();
          add(1);
          raw(ins);
          break;
        case Op.LocalSet:
        case Op.GlobalSet:
          height--;
          add(1);
          raw(ins);
          break;
        case Op.LocalTee:
        case Op.MemoryGrow:
          add(1);
          raw(ins);
          break;
        case Op.MemoryFill:
        case Op.MemoryCopy: {
          height -= 3;
          const fill = ins.op === Op.MemoryFill;
          if (precise) {
            close();
            cur.byte(0x10).u32(fill ? FILL : COPY);
            break;
          }
          // Fast copy: charge the per-leaf sequence in wasm (docs/machine.md §5), flag the destination's
          // granules, then run the instruction natively. Out of bounds, V8 traps before writing
          // anything, which bails to the precise copy like every other trap.
          // Operands: d (TA), then v (fill) or s (copy) (TV32), then n (TC).
          cur.byte(0x21).u32(TC).byte(0x21).u32(TV32).byte(0x21).u32(TA);
          const lastLeafMinusFirst = (x: number) =>
            cur
              .byte(0x20)
              .u32(x)
              .byte(0x20)
              .u32(TC)
              .byte(0x6a)
              .byte(0x41)
              .s32(1)
              .byte(0x6b)
              .byte(0x41)
              .s32(5)
              .byte(0x76)
              .byte(0x20)
              .u32(x)
              .byte(0x41)
              .s32(5)
              .byte(0x76)
              .byte(0x6b);
          cur.byte(0x23).u32(REM);
          if (fill) {
            // leaves of [d, d+n) + 1 = lastLeaf(d) - firstLeaf(d) + 2
            lastLeafMinusFirst(TA);
          } else {
            // pieces + 1 = (lastLeaf(s) - firstLeaf(s)) + ((s ^ d) & 31 ? lastLeaf(d) - firstLeaf(d) : 0) + 2
            lastLeafMinusFirst(TV32);
            lastLeafMinusFirst(TA);
            cur.byte(0x41).s32(0).byte(0x20).u32(TV32).byte(0x20).u32(TA).byte(0x73).byte(0x41).s32(31);
            cur.byte(0x71).byte(0x1b).byte(0x6a);
          }
          cur.byte(0x41).s32(2).byte(0x6a);
          // n == 0 costs 1 step
          cur.byte(0x41).s32(1).byte(0x20).u32(TC).byte(0x1b);
          cur.byte(0xad).byte(0x7d).byte(0x22).u32(T64).byte(0x24).u32(REM);
          cur.byte(0x20).u32(T64).byte(0x42).s64(0n).byte(0x53);
          cur.byte(0x04).byte(0x40).byte(0x41).s32(REASON.OutOfSteps).byte(0x10).u32(TRAP).byte(0x0b);
          // mask |= count >= 64 ? ~0 : rotl((1 << count) - 1, d >> GRANULE_SHIFT), count = the granules
          // of [d, d+n) (0 when n = 0; huge when d + n - 1 wraps: harmless extra work)
          cur.byte(0x23).u32(MASK).byte(0x42).s64(-1n);
          cur.byte(0x42).s64(1n);
          cur.byte(0x20).u32(TA).byte(0x20).u32(TC).byte(0x6a).byte(0x41).s32(1).byte(0x6b);
          cur.byte(0x41).s32(GRANULE_SHIFT).byte(0x76);
          cur
            .byte(0x20)
            .u32(TA)
            .byte(0x41)
            .s32(GRANULE_SHIFT)
            .byte(0x76)
            .byte(0x6b)
            .byte(0x41)
            .s32(1)
            .byte(0x6a);
          cur.byte(0xad).byte(0x22).u32(T64).byte(0x86).byte(0x42).s64(1n).byte(0x7d);
          cur.byte(0x20).u32(TA).byte(0x41).s32(GRANULE_SHIFT).byte(0x76).byte(0xad).byte(0x89);
          cur.byte(0x20).u32(T64).byte(0x42).s64(64n).byte(0x5a).byte(0x1b);
          cur.byte(0x84).byte(0x24).u32(MASK);
          // the instruction itself: memory.fill 0 / memory.copy 0 0
          cur.byte(0x20).u32(TA).byte(0x20).u32(TV32).byte(0x20).u32(TC).byte(0xfc);
          if (fill) cur.u32(11).byte(0x00);
          else cur.u32(10).byte(0x00).byte(0x00);
          break;
        }
        case Op.MemoryInit:
          height -= 3;
          if (precise) close();
          cur.byte(0x41).s32(ins.index!).byte(0x10).u32(INIT);
          break;
        case Op.DataDrop:
          add(1);
          cur.byte(0x41).s32(ins.index!).byte(0x10).u32(DROP);
          break;
        default: {
          const info = OPCODES.get(ins.op);
          if (!info || !info.sig)
            throw new Error(`fast mode: instruction ${info?.name ?? ins.op} is outside the subset`);
          height += info.sig.results.length - info.sig.params.length;
          bump();
          add(1);
          if (STORE_I32.has(ins.op) || STORE_I64.has(ins.op)) {
            const tv = STORE_I32.has(ins.op) ? TV32 : TV64;
            cur.byte(0x21).u32(tv).byte(0x22).u32(TA).byte(0x20).u32(tv);
            raw(ins);
            // mask |= 1 << ((addr + offset) >> GRANULE_SHIFT)   (the shift count is taken mod 64)
            cur.byte(0x23).u32(MASK).byte(0x42).s64(1n).byte(0x20).u32(TA);
            if (ins.memOffset! !== 0)
              cur
                .byte(0x41)
                .s32(ins.memOffset! | 0)
                .byte(0x6a);
            cur
              .byte(0x41)
              .s32(GRANULE_SHIFT)
              .byte(0x76)
              .byte(0xad)
              .byte(0x86)
              .byte(0x84)
              .byte(0x24)
              .u32(MASK);
            trapPoint();
          } else {
            raw(ins);
            if (isLoad(ins.op) || DIV_REM.has(ins.op)) trapPoint();
          }
        }
      }
    }

    if (dryRun) return { body: new Bytes(), peak };
    const b = new Bytes();
    // Locals: the original ones (run-length encoded), then T64, TA, TV32, TV64, TC.
    const extra: ValType[] = ["i64", "i32", "i32", "i64", "i32"];
    const all = [...fn.locals, ...extra];
    const runs: [number, ValType][] = [];
    for (const t of all) {
      if (runs.length > 0 && runs[runs.length - 1][1] === t) runs[runs.length - 1][0]++;
      else runs.push([1, t]);
    }
    b.u32(runs.length);
    for (const [n, t] of runs) b.u32(n).byte(valTypeByte(t));
    for (const p of parts) {
      if (p instanceof Bytes) {
        b.raw(p.finish());
        continue;
      }
      writeCharge(b, p, T64);
    }
    return { body: b, peak };
  }

  function writeCharge(b: Bytes, c: Charge, T64: number): void {
    if (c.cost === 0 && (precise || !c.check)) return;
    if (c.cost === 0) {
      b.byte(0x23).u32(REM).byte(0x42).s64(0n).byte(0x53).byte(0x04).byte(0x40);
      b.byte(0x41).s32(REASON.OutOfSteps).byte(0x10).u32(TRAP).byte(0x0b);
      return;
    }
    b.byte(0x23).u32(REM).byte(0x42).s64(BigInt(c.cost)).byte(0x7d);
    if (!c.check) {
      b.byte(0x24).u32(REM);
      return;
    }
    b.byte(0x22).u32(T64).byte(0x24).u32(REM).byte(0x20).u32(T64).byte(0x42).s64(0n).byte(0x53);
    b.byte(0x04).byte(0x40).byte(0x41).s32(REASON.OutOfSteps).byte(0x10).u32(TRAP).byte(0x0b);
  }
}
