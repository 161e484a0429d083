/**
 * The step-mode interpreter: the machine state of docs/machine.md §4 held directly, the shared step
 * semantics (semantics.ts) run on it, and the state hash kept incrementally.
 */
import { ERROR_CODE, LAYOUT, STATUS } from "../spec";
import { ByteWriter, keccak, ZERO32 } from "../code/hash";
import { TAG } from "../code/tags";
import { buildLevels, pathFromLevels, rootWithPrefix, vectorRoot } from "../code/merkle";
import type { ModuleImage } from "../code/module";
import { MachineMemory } from "./memory";
import { step, Trap, type StepState, type TableEntry, type Value } from "./semantics";

const VALUE_STACK_LIMIT = LAYOUT.valueStackLimit;
const I32 = LAYOUT.valueTypes.i32;
const I64 = LAYOUT.valueTypes.i64;

/** The 9-byte encoding of a value: type byte, then the value as a big-endian u64. */
export function writeValue(w: ByteWriter, v: Value): ByteWriter {
  if (typeof v === "number")
    return w
      .u8(I32)
      .u32(0)
      .u32(v >>> 0);
  return w.u8(I64).u64(v);
}

/** A value as a 32-byte tree leaf (locals, globals): the u64 right-aligned, no type. */
export function valueLeaf(v: Value): Uint8Array {
  const out = new Uint8Array(32);
  if (typeof v === "number") {
    const u = v >>> 0;
    out[28] = u >>> 24;
    out[29] = (u >>> 16) & 0xff;
    out[30] = (u >>> 8) & 0xff;
    out[31] = u & 0xff;
  } else {
    let u = BigInt.asUintN(64, v);
    for (let i = 31; i >= 24; i--) {
      out[i] = Number(u & 0xffn);
      u >>= 8n;
    }
  }
  return out;
}

/** Reads a 32-byte leaf back as a value of `type` (0x7F / 0x7E). */
export function leafValue(leaf: Uint8Array, type: number): Value {
  let u = 0n;
  for (let i = 24; i < 32; i++) u = (u << 8n) | BigInt(leaf[i]);
  if (type === I32) return Number(BigInt.asIntN(32, u));
  return BigInt.asIntN(64, u);
}

/** `keccak("Holo:Value stack:" ‖ below ‖ enc9(v))`. */
export function valueStackPush(below: Uint8Array, v: Value): Uint8Array {
  return keccak(writeValue(new ByteWriter().bytes(TAG.valueStack).bytes(below), v).finish());
}

/** `keccak("Holo:Frame:" ‖ returnPc ‖ localsCount ‖ localsRoot)`. */
export function frameHash(returnPc: number, localsCount: number, localsRoot: Uint8Array): Uint8Array {
  return keccak(new ByteWriter().bytes(TAG.frame).u32(returnPc).u32(localsCount).bytes(localsRoot).finish());
}

/** `keccak("Holo:Frame stack:" ‖ below ‖ frameHash)`. */
export function frameStackPush(below: Uint8Array, fh: Uint8Array): Uint8Array {
  return keccak(new ByteWriter().bytes(TAG.frameStack).bytes(below).bytes(fh).finish());
}

/** `keccak("Holo:Process:" ‖ moduleRoot ‖ memoryRoot ‖ memoryPages ‖ globalsRoot)`. */
export function processHash(
  moduleRoot: Uint8Array,
  memoryRoot: Uint8Array,
  memoryPages: number,
  globalsRoot: Uint8Array,
): Uint8Array {
  return keccak(
    new ByteWriter()
      .bytes(TAG.process)
      .bytes(moduleRoot)
      .bytes(memoryRoot)
      .u32(memoryPages)
      .bytes(globalsRoot)
      .finish(),
  );
}

/** All fields of the machine state (docs/machine.md §4), in hashing order. */
export interface StateFields {
  status: number;
  error: number;
  pc: number;
  steps: number;
  stepLimit: number;
  valueStackHeight: number;
  valueStackHash: Uint8Array;
  frameDepth: number;
  frameStackHash: Uint8Array;
  globalsRoot: Uint8Array;
  memoryRoot: Uint8Array;
  memoryPages: number;
  moduleRoot: Uint8Array;
  messageHash: Uint8Array;
  messageLength: number;
  resultHash: Uint8Array;
  pendingHash: Uint8Array;
  snapshotHash: Uint8Array;
}

export function writeStateFields(w: ByteWriter, f: StateFields): ByteWriter {
  return w
    .u8(f.status)
    .u8(f.error)
    .u32(f.pc)
    .u64(f.steps)
    .u64(f.stepLimit)
    .u32(f.valueStackHeight)
    .bytes(f.valueStackHash)
    .u32(f.frameDepth)
    .bytes(f.frameStackHash)
    .bytes(f.globalsRoot)
    .bytes(f.memoryRoot)
    .u32(f.memoryPages)
    .bytes(f.moduleRoot)
    .bytes(f.messageHash)
    .u32(f.messageLength)
    .bytes(f.resultHash)
    .bytes(f.pendingHash)
    .bytes(f.snapshotHash);
}

export function stateHashOf(f: StateFields): Uint8Array {
  return keccak(writeStateFields(new ByteWriter().bytes(TAG.machine), f).finish());
}

export function globalsRootOf(globals: readonly Value[]): Uint8Array {
  return vectorRoot(TAG.globalsNode, globals.map(valueLeaf));
}

interface Frame {
  returnPc: number;
  locals: Value[];
  /** Cached locals root, null when a local changed since. */
  root: Uint8Array | null;
}

/** What a message (or a spec-suite invocation) brings to the machine. */
export interface MessageContext {
  messageHash: Uint8Array;
  message: Uint8Array;
  stepLimit: number;
}

export class Machine implements StepState {
  status: number = STATUS.Halted;
  error = 0;
  pc = 0;
  steps = 0;
  stepLimit = 0;
  messageLength = 0;
  messageHash: Uint8Array = ZERO32;
  message: Uint8Array = new Uint8Array(0);
  resultHash: Uint8Array = ZERO32;
  pendingHash: Uint8Array = ZERO32;
  snapshotHash: Uint8Array = ZERO32;
  op = 0;
  a = 0;
  b = 0;
  c = 0n;
  /** Result items emitted by this run (bytes kept for publishing; the state holds only their hash). */
  items: { kind: number; bytes: Uint8Array }[] = [];
  private itemChunks: Uint8Array[] = [];
  /** Trace steps taken since the run began, no-op steps of a stopped machine included. */
  trace = 0;

  private vals: Value[] = [];
  private vh = 0;
  private vhash: Uint8Array[] = [ZERO32];
  private vvalid = 0;
  private frames: Frame[] = [];
  private fhash: Uint8Array[] = [ZERO32];
  private fvalid = 0;
  private globalsDirty = true;
  private globalsRootCache: Uint8Array = ZERO32;
  private snapshotGlobals: Value[];
  private snapshotMemoryRoot: Uint8Array = ZERO32;
  private snapshotGlobalsRoot: Uint8Array = ZERO32;

  constructor(
    readonly image: ModuleImage,
    readonly memory: MachineMemory,
    public globals: Value[],
  ) {
    this.snapshotGlobals = globals.slice();
  }

  get memoryPages(): number {
    return this.memory.pages;
  }
  set memoryPages(p: number) {
    this.memory.grow(p);
  }
  get memoryMaxPages(): number {
    return this.image.fields.memoryMaxPages;
  }
  get valueHeight(): number {
    return this.vh;
  }
  get frameDepth(): number {
    return this.frames.length;
  }
  get tableLength(): number {
    return this.image.table.length;
  }

  /**
   * Starts a run: the process state as it is now becomes the snapshot, and the machine calls function
   * `entryPc` (with `nlocals` locals, the first ones `args`).
   */
  begin(entryPc: number, nlocals: number, args: Value[], ctx: MessageContext): void {
    this.memory.snapshot();
    this.snapshotGlobals = this.globals.slice();
    this.snapshotMemoryRoot = this.memory.root();
    this.snapshotGlobalsRoot = this.globalsRoot();
    this.snapshotHash = processHash(
      this.image.moduleRoot,
      this.snapshotMemoryRoot,
      this.memory.pages,
      this.snapshotGlobalsRoot,
    );
    this.status = STATUS.Running;
    this.error = 0;
    this.steps = 0;
    this.stepLimit = ctx.stepLimit;
    this.messageHash = ctx.messageHash;
    this.message = ctx.message;
    this.messageLength = ctx.message.length;
    this.resultHash = ZERO32;
    this.pendingHash = ZERO32;
    this.vh = 0;
    this.vvalid = 0;
    this.frames = [];
    this.fvalid = 0;
    this.pc = 0;
    this.trace = 0;
    this.items = [];
    this.itemChunks = [];
    this.pushFrame(0, nlocals, args);
    this.pc = entryPc;
  }

  /** Starts a run that is already over: Errored with `code` (MessageTooLarge, NoHandle). */
  beginErrored(code: number, ctx: MessageContext, resultHash: Uint8Array): void {
    this.begin(0, 0, [], ctx);
    this.restoreSnapshotAndClear();
    this.status = STATUS.Errored;
    this.error = code;
    this.pc = 0;
    this.resultHash = resultHash;
  }

  // ---- StepState ------------------------------------------------------------------------------

  fetch(): void {
    const pc = this.pc;
    const img = this.image;
    this.op = img.ops[pc];
    this.a = img.immA[pc];
    this.b = img.immB[pc];
    this.c = img.immC[pc];
  }

  pop(): Value {
    const h = --this.vh;
    if (this.vvalid > h) this.vvalid = h;
    return this.vals[h];
  }

  push(v: Value): void {
    if (this.vh >= VALUE_STACK_LIMIT) throw new Trap(ERROR_CODE.ValueStackExhausted);
    this.vals[this.vh++] = v;
  }

  getLocal(index: number, type: number): Value {
    const v = this.frames[this.frames.length - 1].locals[index];
    // Fresh locals are the number 0 whatever their type.
    return type === I64 && typeof v === "number" ? BigInt(v) : v;
  }

  setLocal(index: number, v: Value): void {
    const d = this.frames.length - 1;
    const f = this.frames[d];
    f.locals[index] = v;
    f.root = null;
    if (this.fvalid > d) this.fvalid = d;
  }

  getGlobal(index: number): Value {
    return this.globals[index];
  }

  setGlobal(index: number, v: Value): void {
    this.globals[index] = v;
    this.globalsDirty = true;
  }

  load(ea: number, width: number): number {
    const b = this.memory.buf;
    if (width === 1) return b[ea];
    if (width === 2) return b[ea] | (b[ea + 1] << 8);
    return (b[ea] | (b[ea + 1] << 8) | (b[ea + 2] << 16) | (b[ea + 3] << 24)) >>> 0;
  }

  load64(ea: number): bigint {
    return (BigInt(this.load(ea + 4, 4)) << 32n) | BigInt(this.load(ea, 4));
  }

  store(ea: number, width: number, v: number): void {
    this.memory.touch(ea, width);
    const b = this.memory.buf;
    b[ea] = v;
    if (width >= 2) b[ea + 1] = v >>> 8;
    if (width === 4) {
      b[ea + 2] = v >>> 16;
      b[ea + 3] = v >>> 24;
    }
  }

  store64(ea: number, width: number, v: bigint): void {
    if (width <= 4) {
      this.store(ea, width, Number(BigInt.asUintN(32, v)));
      return;
    }
    const u = BigInt.asUintN(64, v);
    this.store(ea, 4, Number(u & 0xffffffffn));
    this.store(ea + 4, 4, Number(u >> 32n));
  }

  readChunk(ea: number, len: number): Uint8Array {
    return this.memory.buf.slice(ea, ea + len);
  }

  writeChunk(ea: number, bytes: Uint8Array): void {
    this.memory.write(ea, bytes);
  }

  pushFrame(returnPc: number, nlocals: number, args: Value[]): void {
    const locals: Value[] = new Array(nlocals);
    for (let i = 0; i < args.length; i++) locals[i] = args[i];
    for (let i = args.length; i < nlocals; i++) locals[i] = 0;
    this.frames.push({ returnPc, locals, root: null });
  }

  popFrame(): number {
    const f = this.frames.pop()!;
    if (this.fvalid > this.frames.length) this.fvalid = this.frames.length;
    return f.returnPc;
  }

  tableEntry(index: number): TableEntry | null {
    return this.image.table[index];
  }

  dataSegment(index: number): { length: number; chunksRoot: Uint8Array } {
    return this.image.data[index].info;
  }

  dataChunk(index: number, chunk: number): Uint8Array {
    const out = new Uint8Array(32);
    out.set(this.image.data[index].bytes.subarray(chunk * 32, chunk * 32 + 32));
    return out;
  }

  messageSlice(off: number, len: number): Uint8Array {
    return this.message.slice(off, off + len);
  }

  noteItemChunk(bytes: Uint8Array): void {
    this.itemChunks.push(bytes);
  }

  noteItemEnd(kind: number): void {
    const total = this.itemChunks.reduce((n, c) => n + c.length, 0);
    const bytes = new Uint8Array(total);
    let off = 0;
    for (const c of this.itemChunks) {
      bytes.set(c, off);
      off += c.length;
    }
    this.items.push({ kind, bytes });
    this.itemChunks = [];
  }

  restoreSnapshotAndClear(): void {
    this.items = [];
    this.itemChunks = [];
    this.memory.restore();
    this.globals = this.snapshotGlobals.slice();
    this.globalsDirty = true;
    this.vh = 0;
    this.vvalid = 0;
    this.frames = [];
    this.fvalid = 0;
  }

  // ---- running --------------------------------------------------------------------------------

  /** Executes one step. */
  step(): void {
    step(this);
    this.trace++;
  }

  /** Executes up to `max` steps; stops early when the machine is no longer Running. Returns steps run. */
  run(max = Infinity): number {
    let n = 0;
    while (n < max && this.status === STATUS.Running) {
      step(this);
      n++;
    }
    this.trace += n;
    return n;
  }

  /** Advances to trace step `index` (no-op steps of a stopped machine cost nothing). */
  runTo(index: number): void {
    if (index < this.trace) throw new Error(`runTo: already at step ${this.trace}`);
    this.run(index - this.trace);
    this.trace = index;
  }

  /** The values on the stack, bottom first (results after a halt). */
  stackValues(): Value[] {
    return this.vals.slice(0, this.vh);
  }

  /** The process state persisted by this run (memory, globals) becomes the new snapshot base. */
  commit(): void {
    this.memory.snapshot();
    this.snapshotGlobals = this.globals.slice();
  }

  // ---- hashing --------------------------------------------------------------------------------

  /** Hash of the value stack prefix `[0, height)`. */
  valueStackHashAt(height: number): Uint8Array {
    while (this.vvalid < height) {
      this.vhash[this.vvalid + 1] = valueStackPush(this.vhash[this.vvalid], this.vals[this.vvalid]);
      this.vvalid++;
    }
    return this.vhash[height];
  }

  /** The value at stack index `index` (0 = bottom). */
  valueAt(index: number): Value {
    return this.vals[index];
  }

  /** The frame at `index` (0 = bottom): return pc, locals count and locals root. */
  frameInfo(index: number): { returnPc: number; localsCount: number; localsRoot: Uint8Array } {
    const f = this.frames[index];
    if (f.root === null) f.root = vectorRoot(TAG.localsNode, f.locals.map(valueLeaf));
    return { returnPc: f.returnPc, localsCount: f.locals.length, localsRoot: f.root };
  }

  /** Local `i` of the current frame as a leaf, with its path. */
  localProof(i: number): { leaf: Uint8Array; path: Uint8Array[] } {
    const f = this.frames[this.frames.length - 1];
    const levels = buildLevels(TAG.localsNode, f.locals.map(valueLeaf));
    return { leaf: valueLeaf(f.locals[i]), path: pathFromLevels(TAG.localsNode, levels, i) };
  }

  /** Global `i` as a leaf, with its path. */
  globalProof(i: number): { leaf: Uint8Array; path: Uint8Array[] } {
    const levels = buildLevels(TAG.globalsNode, this.globals.map(valueLeaf));
    return { leaf: valueLeaf(this.globals[i]), path: pathFromLevels(TAG.globalsNode, levels, i) };
  }

  /** Hash of the frame stack prefix `[0, depth)`. */
  frameStackHashAt(depth: number): Uint8Array {
    while (this.fvalid < depth) {
      const i = this.fvalid;
      const fi = this.frameInfo(i);
      this.fhash[i + 1] = frameStackPush(
        this.fhash[i],
        frameHash(fi.returnPc, fi.localsCount, fi.localsRoot),
      );
      this.fvalid++;
    }
    return this.fhash[depth];
  }

  globalsRoot(): Uint8Array {
    if (this.globalsDirty) {
      this.globalsRootCache = globalsRootOf(this.globals);
      this.globalsDirty = false;
    }
    return this.globalsRootCache;
  }

  /** The snapshot's preimage (restored on error). */
  snapshotFields(): { memoryRoot: Uint8Array; memoryPages: number; globalsRoot: Uint8Array } {
    return {
      memoryRoot: this.snapshotMemoryRoot,
      memoryPages: this.memory.pagesAtSnapshot,
      globalsRoot: this.snapshotGlobalsRoot,
    };
  }

  fields(): StateFields {
    return {
      status: this.status,
      error: this.error,
      pc: this.pc,
      steps: this.steps,
      stepLimit: this.stepLimit,
      valueStackHeight: this.vh,
      valueStackHash: this.valueStackHashAt(this.vh),
      frameDepth: this.frames.length,
      frameStackHash: this.frameStackHashAt(this.frames.length),
      globalsRoot: this.globalsRoot(),
      memoryRoot: this.memory.root(),
      memoryPages: this.memory.pages,
      moduleRoot: this.image.moduleRoot,
      messageHash: this.messageHash,
      messageLength: this.messageLength,
      resultHash: this.resultHash,
      pendingHash: this.pendingHash,
      snapshotHash: this.snapshotHash,
    };
  }

  /** The state hash (docs/machine.md §4). */
  stateHash(): Uint8Array {
    return stateHashOf(this.fields());
  }
}

/** Root of a fresh frame's locals (parameters, then zeros), without building the whole tree. */
export function freshLocalsRoot(nlocals: number, args: readonly Value[]): Uint8Array {
  return rootWithPrefix(TAG.localsNode, nlocals, args.map(valueLeaf));
}
