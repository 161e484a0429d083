/**
 * One-step proofs (docs/machine.md §6).
 *
 * - {@link proveStep}: runs the machine's next step through a recorder that answers every question of
 *   the step semantics from the machine and writes the answer, with its authentication, to the proof.
 * - {@link verifyStep}: the reference verifier (the Solidity prover must match it). It re-executes the
 *   step from the pre-state hash and the proof alone — it never sees a machine — and returns the
 *   post-state hash, or throws a {@link ProofError} naming what did not check out.
 */
import { ByteReader, ByteWriter, bytesEqual, keccak, ZERO32 } from "../code/hash";
import { TAG } from "../code/tags";
import { rootFromPath, treeDepth } from "../code/merkle";
import {
  dataSegmentLeaf,
  type DataSegmentInfo,
  instructionLeaf,
  moduleRootOf,
  NULL_FUNC,
  tableEntryLeaf,
  writeModuleFields,
  type ModuleFields,
} from "../code/module";
import {
  frameHash,
  frameStackPush,
  freshLocalsRoot,
  leafValue,
  processHash,
  stateHashOf,
  valueLeaf,
  valueStackPush,
  writeStateFields,
  writeValue,
  type Machine,
  type StateFields,
} from "../interp/machine";
import { MEMORY_DEPTH, memoryRootFromPath } from "../interp/memory";
import { step, Trap, type StepState, type TableEntry, type Value } from "../interp/semantics";
import { ERROR_CODE, LAYOUT, STATUS } from "../spec";

const PROOF_VERSION = LAYOUT.proofVersion;
const LEAF = LAYOUT.memoryLeafBytes;
const VALUE_STACK_LIMIT = LAYOUT.valueStackLimit;
const I32 = LAYOUT.valueTypes.i32;
const I64 = LAYOUT.valueTypes.i64;

/** The named reasons a proof is refused. */
export type ProofErrorCode =
  | "ProofVersion"
  | "ProofTruncated"
  | "ProofTrailingBytes"
  | "ProofStateMismatch"
  | "ProofContextMismatch"
  | "ProofModule"
  | "ProofCodePath"
  | "ProofStackHash"
  | "ProofStackUnderflow"
  | "ProofFrameHash"
  | "ProofLocalsPath"
  | "ProofGlobalsPath"
  | "ProofMemoryPath"
  | "ProofTablePath"
  | "ProofDataPath"
  | "ProofSnapshot"
  | "ProofMessageHash";

export class ProofError extends Error {
  override name = "ProofError";
  constructor(
    readonly code: ProofErrorCode,
    detail = "",
  ) {
    super(`${code}${detail ? `: ${detail}` : ""}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Prover

/** Records the answers of one step, taken from the machine, and performs the step on the machine. */
class Recorder implements StepState {
  op = 0;
  a = 0;
  b = 0;
  c = 0n;
  private knownValues = 0;
  private knownFrames = 0;
  private messageSent = false;

  constructor(
    private readonly m: Machine,
    private readonly w: ByteWriter,
  ) {}

  get status(): number {
    return this.m.status;
  }
  set status(v: number) {
    this.m.status = v;
  }
  get error(): number {
    return this.m.error;
  }
  set error(v: number) {
    this.m.error = v;
  }
  get pc(): number {
    return this.m.pc;
  }
  set pc(v: number) {
    this.m.pc = v;
  }
  get steps(): number {
    return this.m.steps;
  }
  set steps(v: number) {
    this.m.steps = v;
  }
  get stepLimit(): number {
    return this.m.stepLimit;
  }
  get memoryPages(): number {
    return this.m.memoryPages;
  }
  set memoryPages(v: number) {
    this.m.memoryPages = v;
  }
  get memoryMaxPages(): number {
    return this.m.memoryMaxPages;
  }
  get messageLength(): number {
    return this.m.messageLength;
  }
  get valueHeight(): number {
    return this.m.valueHeight;
  }
  get frameDepth(): number {
    return this.m.frameDepth;
  }
  get tableLength(): number {
    return this.m.tableLength;
  }
  get resultHash(): Uint8Array {
    return this.m.resultHash;
  }
  set resultHash(v: Uint8Array) {
    this.m.resultHash = v;
  }
  get pendingHash(): Uint8Array {
    return this.m.pendingHash;
  }
  set pendingHash(v: Uint8Array) {
    this.m.pendingHash = v;
  }

  fetch(): void {
    const m = this.m;
    writeModuleFields(this.w, m.image.fields);
    const ins = m.image.program.code[m.pc];
    this.w.u16(ins.opcode).u64(ins.imm).u64(ins.imm2);
    for (const s of m.image.codePath(m.pc)) this.w.bytes(s);
    m.fetch();
    this.op = m.op;
    this.a = m.a;
    this.b = m.b;
    this.c = m.c;
  }

  pop(): Value {
    if (this.knownValues > 0) this.knownValues--;
    else {
      const h = this.m.valueHeight;
      writeValue(this.w, this.m.valueAt(h - 1));
      this.w.bytes(this.m.valueStackHashAt(h - 1));
    }
    return this.m.pop();
  }

  push(v: Value): void {
    this.m.push(v);
    this.knownValues++;
  }

  private topFrame(): void {
    if (this.knownFrames > 0) return;
    const d = this.m.frameDepth;
    const f = this.m.frameInfo(d - 1);
    this.w
      .u32(f.returnPc)
      .u32(f.localsCount)
      .bytes(f.localsRoot)
      .bytes(this.m.frameStackHashAt(d - 1));
    this.knownFrames = 1;
  }

  private writePath(leaf: Uint8Array, path: Uint8Array[]): void {
    this.w.bytes(leaf);
    for (const s of path) this.w.bytes(s);
  }

  getLocal(index: number, type: number): Value {
    this.topFrame();
    const p = this.m.localProof(index);
    this.writePath(p.leaf, p.path);
    return this.m.getLocal(index, type);
  }

  setLocal(index: number, v: Value): void {
    this.topFrame();
    const p = this.m.localProof(index);
    this.writePath(p.leaf, p.path);
    this.m.setLocal(index, v);
  }

  getGlobal(index: number): Value {
    const p = this.m.globalProof(index);
    this.writePath(p.leaf, p.path);
    return this.m.getGlobal(index);
  }

  setGlobal(index: number, v: Value): void {
    const p = this.m.globalProof(index);
    this.writePath(p.leaf, p.path);
    this.m.setGlobal(index, v);
  }

  private recordLeaves(ea: number, len: number): void {
    for (let l = Math.floor(ea / LEAF); l <= Math.floor((ea + len - 1) / LEAF); l++) {
      this.writePath(this.m.memory.leaf(l), this.m.memory.path(l));
    }
  }

  /** Writes `bytes` at `ea` leaf by leaf, recording each leaf against the root of the moment. */
  private writeLeaves(ea: number, bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) {
      const at = ea + off;
      const n = Math.min(bytes.length - off, LEAF - (at % LEAF));
      const l = Math.floor(at / LEAF);
      this.writePath(this.m.memory.leaf(l), this.m.memory.path(l));
      this.m.writeChunk(at, bytes.subarray(off, off + n));
      off += n;
    }
  }

  load(ea: number, width: number): number {
    this.recordLeaves(ea, width);
    return this.m.load(ea, width);
  }

  load64(ea: number): bigint {
    this.recordLeaves(ea, 8);
    return this.m.load64(ea);
  }

  store(ea: number, width: number, v: number): void {
    this.writeLeaves(ea, leBytes(BigInt(v >>> 0), width));
  }

  store64(ea: number, width: number, v: bigint): void {
    this.writeLeaves(ea, leBytes(v, width));
  }

  readChunk(ea: number, len: number): Uint8Array {
    this.recordLeaves(ea, len);
    return this.m.readChunk(ea, len);
  }

  writeChunk(ea: number, bytes: Uint8Array): void {
    this.writeLeaves(ea, bytes);
  }

  pushFrame(returnPc: number, nlocals: number, args: Value[]): void {
    this.m.pushFrame(returnPc, nlocals, args);
    this.knownFrames++;
  }

  popFrame(): number {
    this.topFrame();
    this.knownFrames--;
    return this.m.popFrame();
  }

  tableEntry(index: number): TableEntry | null {
    const e = this.m.tableEntry(index);
    if (e === null) this.w.u32(NULL_FUNC).u32(0).u32(0).u32(0).u32(0);
    else this.w.u32(e.funcIndex).u32(e.typeId).u32(e.entryPc).u32(e.nparams).u32(e.nlocals);
    for (const s of this.m.image.tablePath(index)) this.w.bytes(s);
    return e;
  }

  dataSegment(index: number): { length: number; chunksRoot: Uint8Array } {
    const info = this.m.dataSegment(index);
    this.w.u32(info.length).bytes(info.chunksRoot);
    for (const s of this.m.image.dataPath(index)) this.w.bytes(s);
    return info;
  }

  dataChunk(index: number, chunk: number): Uint8Array {
    const c = this.m.dataChunk(index, chunk);
    this.w.bytes(c);
    for (const s of this.m.image.data[index].chunkPath(chunk)) this.w.bytes(s);
    return c;
  }

  messageSlice(off: number, len: number): Uint8Array {
    if (!this.messageSent) {
      this.w.u32(this.m.message.length).bytes(this.m.message);
      this.messageSent = true;
    }
    return this.m.messageSlice(off, len);
  }

  noteItemChunk(bytes: Uint8Array): void {
    this.m.noteItemChunk(bytes);
  }

  noteItemEnd(kind: number): void {
    this.m.noteItemEnd(kind);
  }

  restoreSnapshotAndClear(): void {
    const s = this.m.snapshotFields();
    this.w.bytes(s.memoryRoot).u32(s.memoryPages).bytes(s.globalsRoot);
    this.m.restoreSnapshotAndClear();
  }
}

function leBytes(v: bigint, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let u = BigInt.asUintN(64, v);
  for (let i = 0; i < width; i++) {
    out[i] = Number(u & 0xffn);
    u >>= 8n;
  }
  return out;
}

/**
 * Proves a step and performs it: the machine's next step, or, with `stepIndex`, trace step `stepIndex`
 * of the run (the machine is first run forward to it; it must not be past it). Returns the proof; the
 * machine is left after the proven step. A machine that is not Running gets a proof of the no-op step.
 */
export function proveStep(m: Machine, stepIndex?: number): Uint8Array {
  if (stepIndex !== undefined) {
    if (m.trace > stepIndex)
      throw new Error(`proveStep: the machine is at step ${m.trace}, past ${stepIndex}`);
    m.runTo(stepIndex);
  }
  const w = new ByteWriter();
  w.u8(PROOF_VERSION);
  writeStateFields(w, m.fields());
  const rec = new Recorder(m, w);
  step(rec);
  m.trace++;
  return w.finish();
}

/**
 * Proves step `stepIndex` of the machine's message trace (0-based from the message start): runs the
 * machine forward to that step first. The machine must not be past it (replay from the message start
 * otherwise). Returns the proof; the machine is left after the proven step.
 */
export function proveStepAt(m: Machine, stepIndex: number): Uint8Array {
  return proveStep(m, stepIndex);
}

// ---------------------------------------------------------------------------------------------------
// Verifier

/** What the verifier knows independently of the proof (the game's view of the slot). */
export interface ProofContext {
  moduleRoot?: Uint8Array;
  messageHash?: Uint8Array;
}

interface KnownFrame {
  returnPc: number;
  localsCount: number;
  localsRoot: Uint8Array;
}

function readStateFields(r: ByteReader): StateFields {
  return {
    status: r.u8(),
    error: r.u8(),
    pc: r.u32(),
    steps: Number(r.u64()),
    stepLimit: Number(r.u64()),
    valueStackHeight: r.u32(),
    valueStackHash: r.bytes(32),
    frameDepth: r.u32(),
    frameStackHash: r.bytes(32),
    globalsRoot: r.bytes(32),
    memoryRoot: r.bytes(32),
    memoryPages: r.u32(),
    moduleRoot: r.bytes(32),
    messageHash: r.bytes(32),
    messageLength: r.u32(),
    resultHash: r.bytes(32),
    pendingHash: r.bytes(32),
    snapshotHash: r.bytes(32),
  };
}

/** Answers the step's questions from the proof tape, checking each against the state. */
class Verifier implements StepState {
  op = 0;
  a = 0;
  b = 0;
  c = 0n;
  status: number;
  error: number;
  pc: number;
  steps: number;
  readonly stepLimit: number;
  memoryPages: number;
  readonly messageLength: number;
  resultHash: Uint8Array;
  pendingHash: Uint8Array;
  private valuesBelow: Uint8Array;
  private known: Value[] = [];
  private height: number;
  private framesBelow: Uint8Array;
  private frames: KnownFrame[] = [];
  private depth: number;
  private globalsRoot: Uint8Array;
  private memoryRoot: Uint8Array;
  private module: ModuleFields | undefined;
  private message: Uint8Array | undefined;

  constructor(
    private readonly pre: StateFields,
    private readonly r: ByteReader,
  ) {
    this.status = pre.status;
    this.error = pre.error;
    this.pc = pre.pc;
    this.steps = pre.steps;
    this.stepLimit = pre.stepLimit;
    this.memoryPages = pre.memoryPages;
    this.messageLength = pre.messageLength;
    this.resultHash = pre.resultHash;
    this.pendingHash = pre.pendingHash;
    this.valuesBelow = pre.valueStackHash;
    this.height = pre.valueStackHeight;
    this.framesBelow = pre.frameStackHash;
    this.depth = pre.frameDepth;
    this.globalsRoot = pre.globalsRoot;
    this.memoryRoot = pre.memoryRoot;
  }

  private mod(): ModuleFields {
    if (!this.module) throw new ProofError("ProofModule", "no instruction fetched");
    return this.module;
  }

  get memoryMaxPages(): number {
    return this.mod().memoryMaxPages;
  }
  get valueHeight(): number {
    return this.height;
  }
  get frameDepth(): number {
    return this.depth;
  }
  get tableLength(): number {
    return this.mod().tableLength;
  }

  fetch(): void {
    const r = this.r;
    const f: ModuleFields = {
      codeRoot: r.bytes(32),
      codeLength: r.u32(),
      tableRoot: r.bytes(32),
      tableLength: r.u32(),
      globalsCount: r.u32(),
      memoryMaxPages: r.u32(),
      handleEntryPc: r.u32(),
      handleLocals: r.u32(),
      dataRoot: r.bytes(32),
      dataCount: r.u32(),
    };
    if (!bytesEqual(moduleRootOf(f), this.pre.moduleRoot)) throw new ProofError("ProofModule");
    this.module = f;
    const opcode = r.u16();
    const imm = r.u64();
    const imm2 = r.u64();
    const path = this.path(treeDepth(f.codeLength));
    if (this.pc >= f.codeLength) throw new ProofError("ProofCodePath", `pc ${this.pc} outside the code`);
    if (
      !bytesEqual(rootFromPath(TAG.codeNode, instructionLeaf(opcode, imm, imm2), this.pc, path), f.codeRoot)
    ) {
      throw new ProofError("ProofCodePath");
    }
    this.op = opcode;
    this.a = Number(imm);
    this.b = Number(imm2);
    this.c = imm;
  }

  private path(depth: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let k = 0; k < depth; k++) out.push(this.r.bytes(32));
    return out;
  }

  pop(): Value {
    if (this.known.length > 0) {
      this.height--;
      return this.known.pop()!;
    }
    if (this.height === 0) throw new ProofError("ProofStackUnderflow");
    const type = this.r.u8();
    const raw = this.r.u64();
    const rest = this.r.bytes(32);
    let v: Value;
    if (type === I32 && raw < 0x100000000n) v = Number(BigInt.asIntN(32, raw));
    else if (type === I64) v = BigInt.asIntN(64, raw);
    else throw new ProofError("ProofStackHash", "bad value encoding");
    if (!bytesEqual(valueStackPush(rest, v), this.valuesBelow)) throw new ProofError("ProofStackHash");
    this.valuesBelow = rest;
    this.height--;
    return v;
  }

  push(v: Value): void {
    if (this.height >= VALUE_STACK_LIMIT) throw new Trap(ERROR_CODE.ValueStackExhausted);
    this.known.push(v);
    this.height++;
  }

  private top(): KnownFrame {
    if (this.frames.length > 0) return this.frames[this.frames.length - 1];
    if (this.depth === 0) throw new ProofError("ProofFrameHash", "no frame");
    const f: KnownFrame = { returnPc: this.r.u32(), localsCount: this.r.u32(), localsRoot: this.r.bytes(32) };
    const below = this.r.bytes(32);
    if (
      !bytesEqual(frameStackPush(below, frameHash(f.returnPc, f.localsCount, f.localsRoot)), this.framesBelow)
    ) {
      throw new ProofError("ProofFrameHash");
    }
    this.framesBelow = below;
    this.frames.push(f);
    return f;
  }

  private leafAndPath(depth: number): { leaf: Uint8Array; path: Uint8Array[] } {
    const leaf = this.r.bytes(32);
    return { leaf, path: this.path(depth) };
  }

  getLocal(index: number, type: number): Value {
    const f = this.top();
    const { leaf, path } = this.leafAndPath(treeDepth(f.localsCount));
    if (
      index >= f.localsCount ||
      !bytesEqual(rootFromPath(TAG.localsNode, leaf, index, path), f.localsRoot)
    ) {
      throw new ProofError("ProofLocalsPath");
    }
    return leafValue(leaf, type);
  }

  setLocal(index: number, v: Value): void {
    const f = this.top();
    const { leaf, path } = this.leafAndPath(treeDepth(f.localsCount));
    if (
      index >= f.localsCount ||
      !bytesEqual(rootFromPath(TAG.localsNode, leaf, index, path), f.localsRoot)
    ) {
      throw new ProofError("ProofLocalsPath");
    }
    f.localsRoot = rootFromPath(TAG.localsNode, valueLeaf(v), index, path);
  }

  getGlobal(index: number, type: number): Value {
    const n = this.mod().globalsCount;
    const { leaf, path } = this.leafAndPath(treeDepth(n));
    if (index >= n || !bytesEqual(rootFromPath(TAG.globalsNode, leaf, index, path), this.globalsRoot)) {
      throw new ProofError("ProofGlobalsPath");
    }
    return leafValue(leaf, type);
  }

  setGlobal(index: number, v: Value): void {
    const n = this.mod().globalsCount;
    const { leaf, path } = this.leafAndPath(treeDepth(n));
    if (index >= n || !bytesEqual(rootFromPath(TAG.globalsNode, leaf, index, path), this.globalsRoot)) {
      throw new ProofError("ProofGlobalsPath");
    }
    this.globalsRoot = rootFromPath(TAG.globalsNode, valueLeaf(v), index, path);
  }

  /** Reads and checks one memory leaf against the current root. */
  private memLeaf(index: number): { leaf: Uint8Array; path: Uint8Array[] } {
    const p = this.leafAndPath(MEMORY_DEPTH);
    if (!bytesEqual(memoryRootFromPath(p.leaf, index, p.path), this.memoryRoot)) {
      throw new ProofError("ProofMemoryPath", `leaf ${index}`);
    }
    return p;
  }

  readChunk(ea: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let off = 0;
    while (off < len) {
      const at = ea + off;
      const n = Math.min(len - off, LEAF - (at % LEAF));
      const { leaf } = this.memLeaf(Math.floor(at / LEAF));
      out.set(leaf.subarray(at % LEAF, (at % LEAF) + n), off);
      off += n;
    }
    return out;
  }

  writeChunk(ea: number, bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) {
      const at = ea + off;
      const n = Math.min(bytes.length - off, LEAF - (at % LEAF));
      const index = Math.floor(at / LEAF);
      const { leaf, path } = this.memLeaf(index);
      leaf.set(bytes.subarray(off, off + n), at % LEAF);
      this.memoryRoot = memoryRootFromPath(leaf, index, path);
      off += n;
    }
  }

  load(ea: number, width: number): number {
    const b = this.readChunk(ea, width);
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + b[i];
    return v;
  }

  load64(ea: number): bigint {
    const b = this.readChunk(ea, 8);
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    return v;
  }

  store(ea: number, width: number, v: number): void {
    this.writeChunk(ea, leBytes(BigInt(v >>> 0), width));
  }

  store64(ea: number, width: number, v: bigint): void {
    this.writeChunk(ea, leBytes(v, width));
  }

  pushFrame(returnPc: number, nlocals: number, args: Value[]): void {
    this.frames.push({ returnPc, localsCount: nlocals, localsRoot: freshLocalsRoot(nlocals, args) });
    this.depth++;
  }

  popFrame(): number {
    const f = this.top();
    this.frames.pop();
    this.depth--;
    return f.returnPc;
  }

  tableEntry(index: number): TableEntry | null {
    const m = this.mod();
    const e: TableEntry = {
      funcIndex: this.r.u32(),
      typeId: this.r.u32(),
      entryPc: this.r.u32(),
      nparams: this.r.u32(),
      nlocals: this.r.u32(),
    };
    const isNull = e.funcIndex === NULL_FUNC;
    const path = this.path(treeDepth(m.tableLength));
    const leaf = tableEntryLeaf(isNull ? null : e);
    if (!bytesEqual(rootFromPath(TAG.tableNode, leaf, index, path), m.tableRoot))
      throw new ProofError("ProofTablePath");
    return isNull ? null : e;
  }

  private segments = new Map<number, DataSegmentInfo>();

  dataSegment(index: number): DataSegmentInfo {
    const m = this.mod();
    const info: DataSegmentInfo = { length: this.r.u32(), chunksRoot: this.r.bytes(32) };
    const path = this.path(treeDepth(m.dataCount));
    if (
      index >= m.dataCount ||
      !bytesEqual(rootFromPath(TAG.dataNode, dataSegmentLeaf(info), index, path), m.dataRoot)
    ) {
      throw new ProofError("ProofDataPath", `segment ${index}`);
    }
    this.segments.set(index, info);
    return info;
  }

  dataChunk(index: number, chunk: number): Uint8Array {
    const info = this.segments.get(index);
    if (!info) throw new ProofError("ProofDataPath", "chunk of an unproven segment");
    const c = this.r.bytes(32);
    const path = this.path(treeDepth(Math.ceil(info.length / 32)));
    if (!bytesEqual(rootFromPath(TAG.dataNode, c, chunk, path), info.chunksRoot)) {
      throw new ProofError("ProofDataPath", `chunk ${chunk}`);
    }
    return c;
  }

  messageSlice(off: number, len: number): Uint8Array {
    if (!this.message) {
      const n = this.r.u32();
      const bytes = this.r.bytes(n);
      if (n !== this.messageLength || !bytesEqual(keccak(bytes), this.pre.messageHash)) {
        throw new ProofError("ProofMessageHash");
      }
      this.message = bytes;
    }
    return this.message.slice(off, off + len);
  }

  restoreSnapshotAndClear(): void {
    const memoryRoot = this.r.bytes(32);
    const memoryPages = this.r.u32();
    const globalsRoot = this.r.bytes(32);
    if (
      !bytesEqual(
        processHash(this.pre.moduleRoot, memoryRoot, memoryPages, globalsRoot),
        this.pre.snapshotHash,
      )
    ) {
      throw new ProofError("ProofSnapshot");
    }
    this.memoryRoot = memoryRoot;
    this.memoryPages = memoryPages;
    this.globalsRoot = globalsRoot;
    this.known = [];
    this.valuesBelow = ZERO32;
    this.height = 0;
    this.frames = [];
    this.framesBelow = ZERO32;
    this.depth = 0;
  }

  post(): StateFields {
    let vh = this.valuesBelow;
    for (const v of this.known) vh = valueStackPush(vh, v);
    let fh = this.framesBelow;
    for (const f of this.frames) fh = frameStackPush(fh, frameHash(f.returnPc, f.localsCount, f.localsRoot));
    return {
      status: this.status,
      error: this.error,
      pc: this.pc,
      steps: this.steps,
      stepLimit: this.stepLimit,
      valueStackHeight: this.height,
      valueStackHash: vh,
      frameDepth: this.depth,
      frameStackHash: fh,
      globalsRoot: this.globalsRoot,
      memoryRoot: this.memoryRoot,
      memoryPages: this.memoryPages,
      moduleRoot: this.pre.moduleRoot,
      messageHash: this.pre.messageHash,
      messageLength: this.messageLength,
      resultHash: this.resultHash,
      pendingHash: this.pendingHash,
      snapshotHash: this.pre.snapshotHash,
    };
  }
}

/**
 * Verifies a one-step proof: checks it against `preStateHash` (and `context`, when given), re-executes
 * the step from the proof alone and returns the post-state hash. Throws {@link ProofError}.
 */
export function verifyStep(
  preStateHash: Uint8Array,
  proof: Uint8Array,
  context: ProofContext = {},
): Uint8Array {
  const r = new ByteReader(proof, () => new ProofError("ProofTruncated"));
  if (r.u8() !== PROOF_VERSION) throw new ProofError("ProofVersion");
  const pre = readStateFields(r);
  if (!bytesEqual(stateHashOf(pre), preStateHash)) throw new ProofError("ProofStateMismatch");
  if (context.moduleRoot && !bytesEqual(context.moduleRoot, pre.moduleRoot)) {
    throw new ProofError("ProofContextMismatch", "module root");
  }
  if (context.messageHash && !bytesEqual(context.messageHash, pre.messageHash)) {
    throw new ProofError("ProofContextMismatch", "message hash");
  }
  const v = new Verifier(pre, r);
  step(v);
  if (r.remaining !== 0) throw new ProofError("ProofTrailingBytes", `${r.remaining} bytes`);
  if (pre.status !== STATUS.Running) return preStateHash;
  return stateHashOf(v.post());
}
