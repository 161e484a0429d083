/**
 * `FastProcess`: a Holoproof process evaluated on V8's own WebAssembly with injected step metering
 * (see README.md). Same answers as step mode (`machine/process` `Process`) at every message boundary:
 * step count, status, error code, result items and result hash, and the process-state hash.
 *
 * ```ts
 * const p = FastProcess.create(wasmBytes, { memoryLimitPages: 256 });
 * const out = p.evaluate(encodeMessage(msg), 50_000_000);
 * p.processStateHash(); // == Process#processHash() after the same messages
 * ```
 */
import { loadWasm, type WasmModule } from "../wasm";
import { HOST_IMPORTS, Instance, Process, resultHash as resultHashOf } from "../process";
import type { MessageResult, ResultItem } from "../process";
import { MemoryTree } from "../memory";
import { globalsRootOf, processHash } from "../interp/machine";
import { errorResultHash, type TableEntry, type Value } from "../interp/semantics";
import { ERROR_BY_CODE, ERROR_CODE, HOST_ABI, LAYOUT, STATUS } from "../spec";
import { Wasm, type WasmGlobal, type WasmMemory, type WasmModuleObject } from "./wasm-api";
import { GRANULE_SHIFT, HOST_STUB_PEAK, instrument, METER_MODULE, REASON } from "./instrument";

const PAGE = LAYOUT.wasmPageBytes;
const LEAF = LAYOUT.memoryLeafBytes;
const VALUE_STACK_LIMIT = LAYOUT.valueStackLimit;
const MAX_STEP_LIMIT = LAYOUT.maxStepLimit;
const PAIR = 64;
const GRANULE = 1 << GRANULE_SHIFT;
const OOS = ERROR_CODE.OutOfSteps;

const CKP_MAGIC = new TextEncoder().encode("HoloCkp1");

/** A checkpoint that cannot be restored (malformed, another module, or a state hash that does not match). */
export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
}

/** Thrown by the fast variant whenever it cannot finish exactly: the message is re-run precisely. */
class Bail {}
const BAIL = new Bail();
/** Thrown by the precise variant: a machine error with its code (`rem` is exact when thrown). */
class MeterTrap {
  constructor(readonly code: number) {}
}
/** Thrown by the precise variant when only step mode can decide (value stack near its limit). */
class NeedStep {}
const NEED_STEP = new NeedStep();

/** V8 trap messages → machine error codes (precise variant only; checked by the tests). */
const V8_TRAPS: ReadonlyMap<string, number> = new Map([
  ["unreachable", ERROR_CODE.Unreachable],
  ["divide by zero", ERROR_CODE.IntegerDivideByZero],
  ["remainder by zero", ERROR_CODE.IntegerDivideByZero],
  ["divide result unrepresentable", ERROR_CODE.IntegerOverflow],
  ["memory access out of bounds", ERROR_CODE.MemoryOutOfBounds],
  ["table index is out of bounds", ERROR_CODE.TableOutOfBounds],
]);

export interface FastOptions {
  /** The process memory limit in pages (default and maximum: 65,536), as for step mode. */
  memoryLimitPages?: number;
}

/** Which engine produced an outcome. */
export type FastPath = "fast" | "precise" | "step" | "boundary";

/** What one message did (the fields step mode's `MessageOutcome` has that need no hashing). */
export interface FastOutcome {
  result: MessageResult;
  resultHash: Uint8Array;
  steps: number;
  /** `STATUS.Halted` (1) or `STATUS.Errored` (2). */
  status: number;
  /** Error code (docs/machine.md §8), 0 when halted. */
  error: number;
  path: FastPath;
}

/** Counters of which engine ran each message. */
export interface FastStats {
  fast: number;
  precise: number;
  step: number;
  boundary: number;
}

interface Exports {
  h: () => void;
  rem: WasmGlobal;
  depth: WasmGlobal;
  vbase: WasmGlobal;
  mask: WasmGlobal;
  globals: WasmGlobal[];
}

type RunResult =
  | { kind: "ok"; steps: number }
  | { kind: "error"; code: number; steps: number }
  | { kind: "bail" }
  | { kind: "step" };

function leavesOf(d: number, n: number): number {
  return Math.floor((d + n - 1) / LEAF) - Math.floor(d / LEAF) + 1;
}

/** Chunks of a two-address sequence (memory.copy / memory.init): cut at either address's leaf boundary. */
function piecesOf(s: number, d: number, n: number): number {
  const a = Math.floor((s + n - 1) / LEAF) - Math.floor(s / LEAF);
  const b = Math.floor((d + n - 1) / LEAF) - Math.floor(d / LEAF);
  return 1 + a + (s % LEAF !== d % LEAF ? b : 0);
}

export class FastProcess {
  readonly stats: FastStats = { fast: 0, precise: 0, step: 0, boundary: 0 };
  readonly moduleRoot: Uint8Array;
  private readonly handle: number | undefined;
  private readonly table: (TableEntry | null)[];
  private readonly maxPages: number;
  private readonly hasMemory: boolean;
  private readonly nGlobals: number;
  private readonly mutableGlobals: number[];
  private readonly segments: Uint8Array[];
  private readonly dropped: number[];
  private readonly tree: MemoryTree;
  private readonly fastModule: WasmModuleObject | undefined;
  private preciseModule: WasmModuleObject | undefined;
  private mem: WasmMemory | undefined;
  private fast: Exports | undefined;
  private precise: Exports | undefined;
  /** The instance running now, and whether it is the precise one. */
  private active: Exports | undefined;
  private isPrecise = false;
  private msg: Uint8Array = new Uint8Array(0);
  private items: ResultItem[] = [];
  /** Byte ranges written by host functions in this run: [lo, hi) pairs. */
  private jsDirty: number[] = [];
  private view: Uint8Array = new Uint8Array(0);

  private constructor(
    private readonly module: WasmModule,
    private readonly opts: FastOptions,
  ) {
    // The initial state comes from step mode's instantiation (globals, data and element segments, a
    // start function), so it is the machine's by construction.
    const inst = new Instance(module, { memoryLimitPages: opts.memoryLimitPages });
    this.moduleRoot = inst.image.moduleRoot;
    this.handle = inst.exportedFunc(HOST_ABI.entryExport);
    this.table = inst.image.table;
    this.maxPages = inst.image.fields.memoryMaxPages;
    this.hasMemory = module.memory !== undefined;
    this.nGlobals = module.globals.length;
    this.mutableGlobals = module.globals.flatMap((g, i) => (g.mutable ? [i] : []));
    this.segments = module.datas.map((d) => d.bytes);
    const m = inst.machine;
    this.dropped = m.globals.slice(this.nGlobals).map((v) => Number(v));
    const pages = m.memory.pages;
    this.tree = new MemoryTree({ initialPages: pages, maxPages: Math.max(pages, this.maxPages) });
    if (pages > 0) this.tree.writeBytes(0, m.memory.buf.subarray(0, pages * PAGE));
    if (this.hasMemory) {
      this.mem = new Wasm.Memory({ initial: pages, maximum: this.maxPages });
      new Uint8Array(this.mem.buffer).set(m.memory.buf.subarray(0, pages * PAGE));
    }
    if (this.handle !== undefined) {
      const ins = instrument(module, {
        mode: "fast",
        memoryMaxPages: this.maxPages,
        handleIndex: this.handle,
        typeIds: inst.program.typeIds,
      });
      this.fastModule = new Wasm.Module(ins.bytes);
      this.fast = this.instantiate(this.fastModule, false);
      this.writeGlobals(this.fast, m.globals.slice(0, this.nGlobals));
    }
    this.typeIds = inst.program.typeIds;
  }

  private readonly typeIds: number[];

  /** Loads, checks (subset, host ABI) and instantiates a process module. */
  static create(wasm: Uint8Array, opts: FastOptions = {}): FastProcess {
    const mod = loadWasm(wasm, {
      allowedImports: HOST_IMPORTS,
      maxMemoryPages: opts.memoryLimitPages ?? LAYOUT.maxMemoryPages,
    });
    return new FastProcess(mod, opts);
  }

  // ---- public API -------------------------------------------------------------------------------

  /** Runs one message (its canonical encoding) with a step limit; commits on success, restores on error. */
  evaluate(message: Uint8Array, stepLimit: number = MAX_STEP_LIMIT): FastOutcome {
    const limit = Math.min(Math.max(0, Math.floor(stepLimit)), MAX_STEP_LIMIT);
    if (message.length > LAYOUT.maxMessageBytes) return this.boundaryError(ERROR_CODE.MessageTooLarge);
    if (this.handle === undefined || this.fast === undefined) return this.boundaryError(ERROR_CODE.NoHandle);
    this.msg = message;
    const snapGlobals = this.readGlobals(this.fast);
    const snapDropped = this.dropped.slice();
    const prePages = this.pages();

    const r = this.run(this.fast, false, limit);
    if (r.kind === "ok") {
      this.commit(this.fast);
      this.stats.fast++;
      return this.halted(r.steps, "fast");
    }
    this.restore(this.fast, prePages, snapGlobals, snapDropped);

    const p = this.ensurePrecise();
    this.writeGlobals(p, snapGlobals);
    const r2 = this.run(p, true, limit);
    if (r2.kind === "ok") {
      this.commit(p);
      this.writeGlobals(this.fast!, this.readGlobals(p));
      this.stats.precise++;
      return this.halted(r2.steps, "precise");
    }
    this.restore(p, prePages, snapGlobals, snapDropped);
    if (r2.kind === "error") {
      this.stats.precise++;
      return this.errored(r2.code, r2.steps, "precise");
    }
    return this.stepFallback(message, limit);
  }

  /** The process-state hash (module, memory root, pages, globals) between messages. */
  processStateHash(): Uint8Array {
    return processHash(this.moduleRoot, this.tree.root(), this.tree.pages, globalsRootOf(this.allGlobals()));
  }

  /** The memory's current bytes (a copy). */
  memoryBytes(): Uint8Array {
    return this.mem ? new Uint8Array(this.mem.buffer).slice() : new Uint8Array(0);
  }

  /** All machine globals: the module's, then the hidden data-segment dropped flags. */
  allGlobals(): Value[] {
    const g: Value[] = this.fast ? this.fast.globals.map((x) => x.value as Value) : [];
    return [...g, ...this.dropped];
  }

  /** Memory size in pages. */
  pages(): number {
    return this.mem ? this.mem.buffer.byteLength / PAGE : 0;
  }

  // ---- checkpoints ------------------------------------------------------------------------------

  /**
   * The process state between messages as bytes: enough for {@link FastProcess.restore} to rebuild a
   * process with the same `processStateHash()` that behaves identically afterwards. Layout (integers
   * little-endian):
   *
   * ```
   * magic "HoloCkp1" (8) · moduleRoot (32) · processStateHash (32) · pages u32 · globals u32
   * · per global: kind u8 (0: i32 as u32, 1: i64 as u64) and its value (4 or 8 bytes)
   * · non-zero pages u32 · per non-zero page: index u32 and its 65,536 bytes
   * ```
   *
   * The globals are all machine globals (the module's, then the data-segment dropped flags); pages that
   * are all zero are left out.
   */
  checkpoint(): Uint8Array {
    const globals = this.allGlobals();
    const pages = this.pages();
    const mem = this.mem ? new Uint8Array(this.mem.buffer) : new Uint8Array(0);
    const nonZero: number[] = [];
    for (let i = 0; i < pages; i++) {
      const page = mem.subarray(i * PAGE, (i + 1) * PAGE);
      if (page.some((b) => b !== 0)) nonZero.push(i);
    }
    let size = CKP_MAGIC.length + 64 + 8 + 4 + nonZero.length * (4 + PAGE);
    for (const g of globals) size += typeof g === "bigint" ? 9 : 5;
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    let at = 0;
    out.set(CKP_MAGIC, at);
    at += CKP_MAGIC.length;
    out.set(this.moduleRoot, at);
    out.set(this.processStateHash(), at + 32);
    at += 64;
    dv.setUint32(at, pages, true);
    dv.setUint32(at + 4, globals.length, true);
    at += 8;
    for (const g of globals) {
      if (typeof g === "bigint") {
        out[at] = 1;
        dv.setBigUint64(at + 1, BigInt.asUintN(64, g), true);
        at += 9;
      } else {
        out[at] = 0;
        dv.setUint32(at + 1, g >>> 0, true);
        at += 5;
      }
    }
    dv.setUint32(at, nonZero.length, true);
    at += 4;
    for (const i of nonZero) {
      dv.setUint32(at, i, true);
      out.set(mem.subarray(i * PAGE, (i + 1) * PAGE), at + 4);
      at += 4 + PAGE;
    }
    return out;
  }

  /**
   * A process of module `wasm` (with `opts`, as given to {@link FastProcess.create}) in the state of
   * `bytes` (a {@link FastProcess#checkpoint}). Throws a `CheckpointError` when the bytes are malformed,
   * belong to another module or limit, or do not rebuild the state hash they record.
   */
  static restore(wasm: Uint8Array, opts: FastOptions, bytes: Uint8Array): FastProcess {
    const p = FastProcess.create(wasm, opts);
    const bad = (why: string) => new CheckpointError(why);
    if (bytes.length < CKP_MAGIC.length + 76) throw bad("truncated header");
    if (!CKP_MAGIC.every((b, i) => bytes[i] === b)) throw bad("not a FastProcess checkpoint (magic)");
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = CKP_MAGIC.length;
    const root = bytes.subarray(at, at + 32);
    if (!root.every((b, i) => b === p.moduleRoot[i])) throw bad("the checkpoint is of another module");
    const stateHash = bytes.slice(at + 32, at + 64);
    at += 64;
    const pages = dv.getUint32(at, true);
    const nGlobals = dv.getUint32(at + 4, true);
    at += 8;
    if (pages > p.maxPages) throw bad(`${pages} pages, above the memory limit of ${p.maxPages}`);
    if (pages > 0 && !p.hasMemory) throw bad("memory pages for a module without memory");
    const expected = p.allGlobals().length;
    if (nGlobals !== expected) throw bad(`${nGlobals} globals, the process has ${expected}`);
    const globals: Value[] = [];
    for (let i = 0; i < nGlobals; i++) {
      if (at + 1 > bytes.length) throw bad("truncated globals");
      const kind = bytes[at];
      if (kind === 1 && at + 9 <= bytes.length) {
        globals.push(BigInt.asIntN(64, dv.getBigUint64(at + 1, true)));
        at += 9;
      } else if (kind === 0 && at + 5 <= bytes.length) {
        globals.push(dv.getUint32(at + 1, true) | 0);
        at += 5;
      } else throw bad(`global ${i}: kind ${kind} or truncated`);
    }
    if (at + 4 > bytes.length) throw bad("truncated page count");
    const count = dv.getUint32(at, true);
    at += 4;
    if (at + count * (4 + PAGE) !== bytes.length) throw bad("the page section's length is wrong");
    const full = new Uint8Array(pages * PAGE);
    let last = -1;
    for (let k = 0; k < count; k++) {
      const i = dv.getUint32(at, true);
      if (i >= pages || i <= last) throw bad(`page ${i} out of order or beyond ${pages} pages`);
      last = i;
      full.set(bytes.subarray(at + 4, at + 4 + PAGE), i * PAGE);
      at += 4 + PAGE;
    }
    if (p.mem) {
      const have = p.pages();
      if (pages < have) throw bad(`${pages} pages, fewer than the module's initial ${have}`);
      if (pages > have) p.mem.grow(pages - have);
      p.view = new Uint8Array(0);
      new Uint8Array(p.mem.buffer).set(full);
      const treePages = p.tree.pages;
      if (pages > treePages) p.tree.grow(pages - treePages);
      if (pages > 0) p.tree.writeBytes(0, full);
    }
    // allGlobals(): the module's (when instantiated), then the dropped flags.
    const base = nGlobals - p.dropped.length;
    if (p.fast) p.writeGlobals(p.fast, globals.slice(0, base));
    for (let i = 0; i < p.dropped.length; i++) p.dropped[i] = Number(globals[base + i]);
    const got = p.processStateHash();
    if (!got.every((b, i) => b === stateHash[i]))
      throw bad("the restored state does not hash to the checkpoint's state hash");
    return p;
  }

  // ---- running ----------------------------------------------------------------------------------

  private run(ex: Exports, precise: boolean, limit: number): RunResult {
    this.active = ex;
    this.isPrecise = precise;
    this.items = [];
    this.jsDirty = [];
    ex.mask.value = 0n;
    ex.rem.value = BigInt(limit);
    ex.depth.value = 1;
    ex.vbase.value = 0;
    try {
      ex.h();
    } catch (e) {
      if (!precise) {
        if (e instanceof Bail || e instanceof Wasm.RuntimeError || e instanceof RangeError)
          return { kind: "bail" };
        throw e;
      }
      if (e instanceof MeterTrap) {
        return { kind: "error", code: e.code, steps: e.code === OOS ? limit : limit - Number(ex.rem.value) };
      }
      if (e instanceof NeedStep || e instanceof RangeError) return { kind: "step" };
      if (e instanceof Wasm.RuntimeError) {
        const code = V8_TRAPS.get(e.message);
        if (code === undefined) return { kind: "step" };
        return { kind: "error", code, steps: limit - Number(ex.rem.value) };
      }
      throw e;
    }
    const rem = ex.rem.value as bigint;
    if (rem < 0n) return precise ? { kind: "error", code: OOS, steps: limit } : { kind: "bail" };
    return { kind: "ok", steps: limit - Number(rem) };
  }

  private halted(steps: number, path: FastPath): FastOutcome {
    const result: MessageResult = { ok: true, items: this.items };
    this.items = [];
    return { result, resultHash: resultHashOf(result), steps, status: STATUS.Halted, error: 0, path };
  }

  private errored(code: number, steps: number, path: FastPath): FastOutcome {
    const result: MessageResult = {
      ok: false,
      error: code,
      errorName: ERROR_BY_CODE.get(code)?.name ?? "Unknown",
    };
    this.items = [];
    return { result, resultHash: errorResultHash(code), steps, status: STATUS.Errored, error: code, path };
  }

  private boundaryError(code: number): FastOutcome {
    this.stats.boundary++;
    return this.errored(code, 0, "boundary");
  }

  /**
   * The last resort (README.md, "Fallbacks"): the message runs in step mode on a machine loaded with
   * the current process state. Used when V8's own stack overflows before the machine's call-depth
   * limit, or when the value stack comes within a function's peak of its limit.
   */
  private stepFallback(message: Uint8Array, limit: number): FastOutcome {
    this.stats.step++;
    const inst = new Instance(this.module, { memoryLimitPages: this.opts.memoryLimitPages });
    const m = inst.machine;
    const pages = this.pages();
    if (pages > m.memory.pages) m.memory.grow(pages);
    if (pages > 0) m.memory.write(0, new Uint8Array(this.mem!.buffer));
    m.globals = this.allGlobals();
    m.commit();
    const out = new Process(inst).handleMessage(message, { stepLimit: limit });
    if (!out.result.ok) return this.errored(out.result.error, out.steps, "step");
    const newPages = m.memory.pages;
    if (newPages > pages) {
      this.mem!.grow(newPages - pages);
      this.tree.grow(newPages - pages);
    }
    if (newPages > 0) {
      new Uint8Array(this.mem!.buffer).set(m.memory.buf.subarray(0, newPages * PAGE));
      this.syncTree(0, newPages * PAGE);
    }
    this.writeGlobals(this.fast!, m.globals.slice(0, this.nGlobals));
    for (let i = 0; i < this.dropped.length; i++) this.dropped[i] = Number(m.globals[this.nGlobals + i]);
    const result: MessageResult = { ok: true, items: out.result.items };
    return {
      result,
      resultHash: out.resultHash,
      steps: out.steps,
      status: STATUS.Halted,
      error: 0,
      path: "step",
    };
  }

  // ---- state: memory and globals ----------------------------------------------------------------

  /**
   * The live memory's bytes. Reading `memory.buffer` is slow in V8, so the view is kept until a
   * `memory.grow` detaches its buffer (a detached view has length 0, and so has an empty memory:
   * both re-read).
   */
  private u8(): Uint8Array {
    if (this.view.length === 0 && this.mem) this.view = new Uint8Array(this.mem.buffer);
    return this.view;
  }

  private memSize(): number {
    return this.mem ? this.u8().length : 0;
  }

  /** The byte ranges a run may have written: granules flagged in `mask`, and host-function writes. */
  private dirtyRanges(ex: Exports, size: number): number[] {
    const out: number[] = [];
    const mask = ex.mask.value as bigint;
    if (mask !== 0n) {
      const granules = Math.ceil(size / GRANULE);
      const words = [Number(mask & 0xffffffffn), Number(mask >> 32n)];
      for (let b = 0; b < 64; b++) {
        if (((words[b >> 5] >>> (b & 31)) & 1) === 0) continue;
        // A store may straddle into the next granule by up to 7 bytes: extend by one pair.
        for (let g = b; g < granules; g += 64)
          out.push(g * GRANULE, Math.min((g + 1) * GRANULE + PAIR, size));
      }
    }
    const js = this.jsDirty;
    for (let i = 0; i < js.length; i += 2) {
      const lo = Math.floor(js[i] / PAIR) * PAIR;
      const hi = Math.min(Math.ceil(js[i + 1] / PAIR) * PAIR, size);
      if (lo < hi) out.push(lo, hi);
    }
    return out;
  }

  /** After a successful run: the tree (the snapshot of the next message) takes the written bytes. */
  private commit(ex: Exports): void {
    const size = this.memSize();
    if (size === 0) return;
    const treePages = this.tree.pages;
    if (size / PAGE > treePages) this.tree.grow(size / PAGE - treePages);
    const ranges = this.dirtyRanges(ex, size);
    for (let i = 0; i < ranges.length; i += 2) this.syncTree(ranges[i], ranges[i + 1]);
  }

  /**
   * Copies [lo, hi) of the live memory into the tree and marks it dirty. Copying a whole flagged
   * granule is cheaper than finding the bytes that changed in it: marking is idempotent and the tree
   * rehashes each dirty leaf once, at the next root(), however often it was marked.
   */
  private syncTree(lo: number, hi: number): void {
    if (hi <= lo) return;
    this.tree.touch(lo, hi - lo);
    this.tree.unsafeView().set(this.u8().subarray(lo, hi), lo);
  }

  /** After a failed run: memory, globals and dropped flags return to the message start. */
  private restore(ex: Exports, prePages: number, globals: Value[], dropped: number[]): void {
    this.items = [];
    for (let i = 0; i < dropped.length; i++) this.dropped[i] = dropped[i];
    if (this.mem) {
      const shadow = this.tree.unsafeView();
      if (this.pages() > prePages) {
        // V8 memories cannot shrink: a new one, and new instances over it.
        this.mem = new Wasm.Memory({ initial: prePages, maximum: this.maxPages });
        this.view = new Uint8Array(0); // the old memory's view is not detached: drop it
        new Uint8Array(this.mem.buffer).set(shadow.subarray(0, prePages * PAGE));
        this.fast = this.instantiate(this.fastModule!, false);
        if (this.preciseModule) this.precise = this.instantiate(this.preciseModule, true);
      } else {
        const live = this.u8();
        const ranges = this.dirtyRanges(ex, live.length);
        for (let i = 0; i < ranges.length; i += 2)
          live.set(shadow.subarray(ranges[i], ranges[i + 1]), ranges[i]);
      }
    }
    this.writeGlobals(this.fast!, globals);
  }

  private readGlobals(ex: Exports): Value[] {
    return ex.globals.map((g) => g.value as Value);
  }

  private writeGlobals(ex: Exports, values: Value[]): void {
    for (const i of this.mutableGlobals) ex.globals[i].value = values[i];
  }

  private ensurePrecise(): Exports {
    if (!this.precise) {
      const ins = instrument(this.module, {
        mode: "precise",
        memoryMaxPages: this.maxPages,
        handleIndex: this.handle!,
        typeIds: this.typeIds,
      });
      this.preciseModule = new Wasm.Module(ins.bytes);
      this.precise = this.instantiate(this.preciseModule, true);
    }
    return this.precise;
  }

  // ---- instantiation and host functions ---------------------------------------------------------

  private instantiate(mod: WasmModuleObject, precise: boolean): Exports {
    const holo: Record<string, (...a: number[]) => number | void> = {};
    for (const f of HOST_ABI.functions) holo[f.name] = this.hostFunction(f.name, precise);
    const meter: Record<string, unknown> = {
      trap: (reason: number) => {
        if (!precise) throw BAIL;
        if (reason === REASON.NeedStep) throw NEED_STEP;
        throw new MeterTrap(reason);
      },
      fill: (d: number, v: number, n: number) => this.bulkFill(d >>> 0, v, n >>> 0),
      copy: (d: number, s: number, n: number) => this.bulkCopy(d >>> 0, s >>> 0, n >>> 0),
      init: (d: number, s: number, n: number, seg: number) => this.bulkInit(d >>> 0, s >>> 0, n >>> 0, seg),
      drop: (seg: number) => {
        this.dropped[seg] = 1;
      },
      ci: (idx: number, typeId: number) => {
        const i = idx >>> 0;
        if (i >= this.table.length) throw new MeterTrap(ERROR_CODE.TableOutOfBounds);
        const e = this.table[i];
        if (e === null) throw new MeterTrap(ERROR_CODE.NullFunction);
        if (e.typeId !== typeId) throw new MeterTrap(ERROR_CODE.IndirectCallTypeMismatch);
      },
    };
    if (this.mem) meter.memory = this.mem;
    const inst = new Wasm.Instance(mod, {
      [HOST_ABI.module]: holo,
      [METER_MODULE]: meter,
    } as Record<string, Record<string, unknown>>);
    const e = inst.exports as Record<string, unknown>;
    const globals: WasmGlobal[] = [];
    for (let i = 0; i < this.nGlobals; i++) globals.push(e[`g${i}`] as WasmGlobal);
    return {
      h: e.h as () => void,
      rem: e.rem as WasmGlobal,
      depth: e.depth as WasmGlobal,
      vbase: e.vbase as WasmGlobal,
      mask: e.mask as WasmGlobal,
      globals,
    };
  }

  /** Fast variant: charges `k` steps, bailing if the budget (already pre-charged) goes negative. */
  private fcharge(k: number): void {
    const g = this.active!.rem;
    const r = (g.value as bigint) - BigInt(k);
    g.value = r;
    if (r < 0n) throw BAIL;
  }

  /**
   * A host stub (process-abi.md): `n` local.gets, the host instruction's `k` steps of which the first
   * may trap with `trap` (0: no trap), then `return`. The precise variant is exact: it is entered right
   * after the `call` step was charged.
   */
  private hostSteps(n: number, trap: number, k: number, peak: number): void {
    if (!this.isPrecise) {
      if (trap !== 0) throw BAIL;
      this.fcharge(n + k + 1);
      return;
    }
    const ex = this.active!;
    let r = Number(ex.rem.value);
    if (r < 0) throw new MeterTrap(OOS);
    if ((ex.vbase.value as number) + peak > VALUE_STACK_LIMIT) throw NEED_STEP;
    if (r < n + 1) throw new MeterTrap(OOS);
    r -= n + 1;
    if (trap !== 0) {
      ex.rem.value = BigInt(r);
      throw new MeterTrap(trap);
    }
    if (r < k) throw new MeterTrap(OOS);
    ex.rem.value = BigInt(r - k);
  }

  /** A bulk-memory sequence of `k` steps whose first may trap (the instruction itself, no call). */
  private bulkSteps(trap: number, k: number): void {
    if (!this.isPrecise) {
      if (trap !== 0) throw BAIL;
      this.fcharge(k);
      return;
    }
    const ex = this.active!;
    let r = Number(ex.rem.value);
    if (r < 1) throw new MeterTrap(OOS);
    r -= 1;
    if (trap !== 0) {
      ex.rem.value = BigInt(r);
      throw new MeterTrap(trap);
    }
    if (r < k - 1) throw new MeterTrap(OOS);
    ex.rem.value = BigInt(r - (k - 1));
  }

  private bulkFill(d: number, v: number, n: number): void {
    const trap = d + n > this.memSize() ? ERROR_CODE.MemoryOutOfBounds : 0;
    this.bulkSteps(trap, n === 0 ? 1 : leavesOf(d, n) + 1);
    if (n === 0) return;
    this.u8().fill(v & 0xff, d, d + n);
    this.jsDirty.push(d, d + n);
  }

  private bulkCopy(d: number, s: number, n: number): void {
    const size = this.memSize();
    const trap = s + n > size || d + n > size ? ERROR_CODE.MemoryOutOfBounds : 0;
    this.bulkSteps(trap, n === 0 ? 1 : piecesOf(s, d, n) + 1);
    if (n === 0) return;
    this.u8().copyWithin(d, s, s + n);
    this.jsDirty.push(d, d + n);
  }

  private bulkInit(d: number, s: number, n: number, seg: number): void {
    const length = this.dropped[seg] !== 0 ? 0 : this.segments[seg].length;
    const trap = s + n > length || d + n > this.memSize() ? ERROR_CODE.MemoryOutOfBounds : 0;
    this.bulkSteps(trap, n === 0 ? 1 : piecesOf(s, d, n) + 1);
    if (n === 0) return;
    this.u8().set(this.segments[seg].subarray(s, s + n), d);
    this.jsDirty.push(d, d + n);
  }

  private hostFunction(name: string, precise: boolean): (...a: number[]) => number | void {
    void precise;
    const peak = HOST_STUB_PEAK[name];
    switch (name) {
      case "msg_len":
        return () => {
          this.hostSteps(0, 0, 1, peak);
          return this.msg.length;
        };
      case "msg_read":
        return (dst: number, off: number, len: number) => {
          dst >>>= 0;
          off >>>= 0;
          len >>>= 0;
          const trap =
            off + len > this.msg.length
              ? ERROR_CODE.MessageReadOutOfBounds
              : dst + len > this.memSize()
                ? ERROR_CODE.MemoryOutOfBounds
                : 0;
          this.hostSteps(3, trap, len === 0 ? 1 : leavesOf(dst, len) + 1, peak);
          if (len === 0) return;
          this.u8().set(this.msg.subarray(off, off + len), dst);
          this.jsDirty.push(dst, dst + len);
        };
      default: {
        const fn = HOST_ABI.functions.find((f) => f.name === name);
        const kindName = (fn as { kind?: string } | undefined)?.kind;
        if (kindName === undefined) throw new Error(`fast mode: unknown host function ${name}`);
        const kind = HOST_ABI.resultKinds[kindName as keyof typeof HOST_ABI.resultKinds];
        return (ptr: number, len: number) => {
          ptr >>>= 0;
          len >>>= 0;
          const trap = ptr + len > this.memSize() ? ERROR_CODE.MemoryOutOfBounds : 0;
          // emit_begin, then one emit_chunk per 32 bytes and the final one that folds the item.
          this.hostSteps(2, trap, 1 + Math.ceil(len / LEAF) + 1, peak);
          const bytes = len === 0 ? new Uint8Array(0) : this.u8().slice(ptr, ptr + len);
          this.items.push({ kind, bytes });
        };
      }
    }
  }
}
