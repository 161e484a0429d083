/**
 * The honest trace of a commitment (docs/dispute-game.md §1): every point of the `N = 2^(32 + d)`-step
 * trace of a commitment over slots `[firstSlot, lastSlot]`, computed from the TypeScript step machine.
 *
 * Construction runs every message once in step mode (like `Process.handleMessage`) and keeps, per
 * message, a copy of the process state at its start (memory bytes and globals), its halt step and its
 * final state. Boundary points (`B_j`), padding points and every step at or past a message's halt are
 * then answered without running anything. A step inside a message before its halt is answered by
 * re-running that one message from its start snapshot, in one pass for all the steps asked for at once;
 * the state hashes are cached, and the last replay machine is kept as a cursor so that asking for later
 * steps of the same message continues it instead of starting over. README.md has the cost model.
 */
import { getBytes, hexlify, keccak256, type TypedDataDomain } from "ethers";
import { ByteWriter, toHex } from "../../../machine/code/hash";
import type { ModuleFields as MachineModuleFields, ModuleImage } from "../../../machine/code/module";
import {
  Machine,
  processHash,
  stateHashOf,
  writeStateFields,
  type StateFields,
} from "../../../machine/interp/machine";
import { MachineMemory } from "../../../machine/interp/memory";
import { errorResultHash, type Value } from "../../../machine/interp/semantics";
import {
  MAX_MESSAGE_BYTES,
  Process,
  type InstanceOptions,
  type MessageResult,
} from "../../../machine/process";
import { proveStep } from "../../../machine/proof";
import { ERROR_BY_CODE, ERROR_CODE, LAYOUT, STATUS } from "../../../machine/spec";
import { assignmentHash, recoverAssignmentSigner, type Assignment } from "../assignments";
import { resultLeaf, resultNode } from "../results";
import { DisputeError } from "./errors";
import {
  bisectionPositions,
  boundaryPoint,
  LOG2_STEPS,
  resultsDepth,
  split,
  partsOf,
  stepPoint,
  LAST_STEP,
} from "./game";

const ZERO = "0x" + "00".repeat(32);
const PAGE_BYTES = LAYOUT.wasmPageBytes;
const MAX_SLOTS = 2 ** 32;

// ---------------------------------------------------------------------------------------------------
// Inputs and outputs

/** One slot of a commitment: its signed assignment and the message bytes it names. */
export interface SlotInput {
  assignment: Assignment;
  /** The scheduler's EIP-712 signature over the assignment (65 bytes, hex). */
  signature: string;
  /** The canonical message encoding (docs/process-abi.md); its keccak is `assignment.messageHash`. */
  message: Uint8Array;
}

export interface TraceOptions {
  /** The on-chain process id (bytes32 hex). */
  process: string;
  firstSlot: bigint;
  lastSlot: bigint;
  /** Slot `firstSlot + j` is `slots[j]`; every slot of the range must be there. */
  slots: readonly (SlotInput | undefined)[];
  /** The module's step limit (ProcessRegistry); above `2^32 − 1` it is clamped, as the machine does. */
  stepLimit: number | bigint;
  /** `A_0`: the parent's `lastAssignmentHash`, zero (the default) when the parent is the initial state. */
  prevAssignmentHash?: string;
  /** The EIP-712 domain of the ProcessRegistry (`assignmentDomain(chainId, registry)`). */
  domain: TypedDataDomain;
  /** The process's scheduler: every assignment signature must recover to it. */
  scheduler: string;
  /** When given, `P_0` (the process state given) must equal it: the parent's `stateHash`. */
  parentStateHash?: string;
  /**
   * When given, the process's module root must equal it: the ProcessRegistry's `moduleRoot` (the process
   * must be instantiated with the module's `memoryPages` as its memory limit, which the root commits to).
   */
  moduleRoot?: string;
}

/** What a commitment over the trace states, and its first and last points. */
export interface Claim {
  process: string;
  firstSlot: bigint;
  lastSlot: bigint;
  /** `P_n`. */
  stateHash: string;
  /** `T_n`. */
  resultsRoot: string;
  /** `A_n`. */
  lastAssignmentHash: string;
  /** `B_0`, which the contract computes from the parent. */
  startPoint: string;
  /** `B_N = B_n`, which the contract computes from the commitment's fields. */
  endPoint: string;
}

/** The values between messages `j − 1` and `j` (`0 ≤ j ≤ n`). */
export interface Boundary {
  /** `P_j` and its fields (the module root is the process's). */
  processHash: string;
  memoryRoot: string;
  memoryPages: number;
  globalsRoot: string;
  /** `T_j`. */
  resultsRoot: string;
  /** `A_j`. */
  assignmentHash: string;
  /** `B_j`. */
  point: string;
}

/** What message `j` (slot `firstSlot + j`) did. */
export interface MessageRecord {
  slot: bigint;
  assignment: Assignment;
  signature: string;
  message: Uint8Array;
  /** The trace step at which the machine stopped (Halted or Errored); every later step is a no-op. */
  haltStep: number;
  /** `S^j_0` and `S^j_{2^32}`. */
  startStateHash: string;
  finalStateHash: string;
  /** The final state's fields (the preimage of `finalStateHash`). */
  finalState: StateFields;
  /** `r_j`, the message's result hash, and the result it hashes. */
  resultHash: string;
  result: MessageResult;
}

/** What a leaf verifier needs to know besides the leaf: the game's view of the commitment. */
export interface LeafContext {
  process: string;
  firstSlot: bigint;
  lastSlot: bigint;
  /** The module root and step limit the ProcessRegistry holds for the process. */
  moduleRoot: string;
  stepLimit: number;
  domain: TypedDataDomain;
  scheduler: string;
}

/** How much machine work the trace did since it was built (see README.md, the cost model). */
export interface TraceStats {
  /** Replays started: machines rebuilt from a message's start snapshot. */
  replays: number;
  /** Machine steps executed by replays (construction's own run not included). */
  replayedSteps: number;
  /** Distinct memory pages held by the message-start snapshots (unchanged pages are shared). */
  snapshotPages: number;
}

/**
 * A trace the game can be played on: the honest {@link CommitmentTrace} or a liar built on it
 * (player.ts). `base` is the honest trace behind it, which builds the leaf proofs.
 */
export interface GameTrace {
  readonly base: CommitmentTrace;
  /** `n`, `d` and `N`. */
  readonly slots: number;
  readonly depth: number;
  readonly length: bigint;
  claim(): Claim;
  /** The point at position `p ∈ [0, N]`. */
  pointAt(p: bigint): string;
  /** The points at several positions, computed together (one replay per message involved). */
  pointsAt(ps: readonly bigint[]): string[];
  /** The `k + 1` points of a bisection of `[start, start + length]` at `degree` (§3). */
  points(start: bigint, length: bigint, degree: number): string[];
}

// ---------------------------------------------------------------------------------------------------
// The results tree as it fills up

/**
 * The results trees `T_0 … T_n` of one commitment (leaves `0 … j − 1` filled, the rest `bytes32(0)`),
 * and the siblings of leaf `j` in `T_j` that an end-step proof carries.
 */
export class ResultsChain {
  readonly roots: string[];
  private readonly levels: string[][];
  private readonly zeros: string[];

  constructor(
    readonly process: string,
    readonly firstSlot: bigint,
    readonly depth: number,
    readonly resultHashes: readonly string[],
  ) {
    this.zeros = [ZERO];
    for (let k = 0; k < depth; k++) this.zeros.push(resultNode(this.zeros[k], this.zeros[k]));
    this.levels = [];
    for (let k = 0; k <= depth; k++)
      this.levels.push(new Array<string>(2 ** (depth - k)).fill(this.zeros[k]));
    this.roots = [this.levels[depth][0]];
    for (const [i, r] of resultHashes.entries()) {
      let idx = i;
      this.levels[0][idx] = resultLeaf(process, firstSlot + BigInt(i), r);
      for (let k = 0; k < depth; k++) {
        const left = idx & ~1;
        idx >>= 1;
        this.levels[k + 1][idx] = resultNode(this.levels[k][left], this.levels[k][left + 1]);
      }
      this.roots.push(this.levels[depth][0]);
    }
  }

  /** The `d` siblings of leaf `j` in `T_j`, bottom-up: filled subtrees on its left, zero ones on its right. */
  siblings(j: number): string[] {
    const out: string[] = [];
    let idx = j;
    for (let k = 0; k < this.depth; k++) {
      out.push(idx % 2 === 1 ? this.levels[k][idx - 1] : this.zeros[k]);
      idx = Math.floor(idx / 2);
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------
// The honest trace

/**
 * The process state at a message start: enough to rebuild a machine there. The memory is kept page by
 * page, and a page equal to the previous snapshot's (or all zero) is shared, not copied: the snapshots of
 * a commitment hold only the pages its messages changed.
 */
interface Snapshot {
  pages: Uint8Array[];
  globals: Value[];
}

/** The ModuleFields of machine/code as they go on-chain. */
export interface ModuleFieldsHex {
  codeRoot: string;
  codeLength: number;
  tableRoot: string;
  tableLength: number;
  globalsCount: number;
  memoryMaxPages: number;
  handleEntryPc: number;
  handleLocals: number;
  dataRoot: string;
  dataCount: number;
}

function moduleFieldsHex(f: MachineModuleFields): ModuleFieldsHex {
  return {
    codeRoot: toHex(f.codeRoot),
    codeLength: f.codeLength,
    tableRoot: toHex(f.tableRoot),
    tableLength: f.tableLength,
    globalsCount: f.globalsCount,
    memoryMaxPages: f.memoryMaxPages,
    handleEntryPc: f.handleEntryPc,
    handleLocals: f.handleLocals,
    dataRoot: toHex(f.dataRoot),
    dataCount: f.dataCount,
  };
}

/** The 326 bytes of a state's fields (docs/machine.md §4, the preimage of its hash without the tag). */
export function stateFieldBytes(f: StateFields): Uint8Array {
  return writeStateFields(new ByteWriter(), f).finish();
}

/**
 * The one-step proof of a step of a Halted or Errored machine: the version and the pre-state's fields, no
 * module or instruction section (docs/machine.md §6) — what `proveStep` writes for such a machine.
 */
export function noOpProof(f: StateFields): Uint8Array {
  if (f.status === STATUS.Running) throw new Error("noOpProof: the machine is running");
  return writeStateFields(new ByteWriter().u8(LAYOUT.proofVersion), f).finish();
}

function clampStepLimit(limit: number | bigint): number {
  let v: bigint;
  try {
    v = BigInt(limit);
  } catch {
    throw new DisputeError("InvalidStepLimit", `step limit ${limit} is not an integer`);
  }
  if (v < 0n || v >= 1n << 64n)
    throw new DisputeError("InvalidStepLimit", `step limit ${limit} is not a uint64`);
  return Number(v < BigInt(LAYOUT.maxStepLimit) ? v : BigInt(LAYOUT.maxStepLimit));
}

/**
 * Puts `m` in the message-start state of `message` (docs/process-abi.md, the message boundary): what
 * `Process.beginMessage` does, on a machine rebuilt from a snapshot.
 */
function beginMessage(m: Machine, message: Uint8Array, messageHash: Uint8Array, stepLimit: number): void {
  const ctx = { messageHash, message, stepLimit };
  const f = m.image.fields;
  if (message.length > MAX_MESSAGE_BYTES) {
    m.beginErrored(ERROR_CODE.MessageTooLarge, ctx, errorResultHash(ERROR_CODE.MessageTooLarge));
  } else if (f.handleEntryPc === LAYOUT.noHandleEntryPc) {
    m.beginErrored(ERROR_CODE.NoHandle, ctx, errorResultHash(ERROR_CODE.NoHandle));
  } else {
    m.begin(f.handleEntryPc, f.handleLocals, [], ctx);
  }
}

const ZERO_PAGE = new Uint8Array(PAGE_BYTES);

function samePage(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** The machine's process state, sharing unchanged pages with `prev` (and zero pages with each other). */
function snapshotOf(m: Machine, prev: Snapshot | undefined): Snapshot {
  const pages: Uint8Array[] = [];
  for (let i = 0; i < m.memory.pages; i++) {
    const view = m.memory.buf.subarray(i * PAGE_BYTES, (i + 1) * PAGE_BYTES);
    const old = prev?.pages[i];
    if (old !== undefined && samePage(old, view)) pages.push(old);
    else if (samePage(ZERO_PAGE, view)) pages.push(ZERO_PAGE);
    else pages.push(view.slice());
  }
  return { pages, globals: m.globals.slice() };
}

function machineFrom(image: ModuleImage, s: Snapshot): Machine {
  const memory = new MachineMemory(s.pages.length, image.fields.memoryMaxPages);
  s.pages.forEach((page, i) => {
    if (page !== ZERO_PAGE) memory.write(i * PAGE_BYTES, page);
  });
  return new Machine(image, memory, s.globals.slice());
}

function sameHex(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export class CommitmentTrace implements GameTrace {
  readonly process: string;
  readonly firstSlot: bigint;
  readonly lastSlot: bigint;
  readonly slots: number;
  readonly depth: number;
  readonly length: bigint;
  readonly stepLimit: number;
  readonly domain: TypedDataDomain;
  readonly scheduler: string;
  readonly moduleRoot: string;
  readonly module: ModuleFieldsHex;
  readonly results: ResultsChain;
  readonly stats: TraceStats = { replays: 0, replayedSteps: 0, snapshotPages: 0 };

  private readonly image: ModuleImage;
  private readonly starts: Snapshot[] = [];
  private readonly messageHashes: Uint8Array[] = [];
  private readonly records: MessageRecord[] = [];
  private readonly boundaries: Boundary[] = [];
  /** Per message: state hash by step, for steps before the halt. */
  private readonly stateCache: Map<number, string>[] = [];
  /** The last replay machine and its message. */
  private cursor: { j: number; m: Machine } | undefined;

  /** The trace of a commitment from `process` in the parent's end state (the process is not changed). */
  static fromProcess(process: Process, options: TraceOptions): CommitmentTrace {
    return new CommitmentTrace(process, options);
  }

  /** The trace of a commitment from a process's initial state (parent 0). */
  static fromWasm(wasm: Uint8Array, instance: InstanceOptions, options: TraceOptions): CommitmentTrace {
    return new CommitmentTrace(Process.fromWasm(wasm, instance), options);
  }

  private constructor(proc: Process, o: TraceOptions) {
    if (o.lastSlot < o.firstSlot || o.firstSlot < 0n || o.lastSlot - o.firstSlot >= BigInt(MAX_SLOTS)) {
      throw new DisputeError("InvalidSlotRange", `slots [${o.firstSlot}, ${o.lastSlot}]`);
    }
    this.process = hexlify(o.process);
    this.firstSlot = o.firstSlot;
    this.lastSlot = o.lastSlot;
    this.slots = Number(o.lastSlot - o.firstSlot) + 1;
    this.depth = resultsDepth(this.slots);
    this.length = 1n << BigInt(LOG2_STEPS + this.depth);
    this.stepLimit = clampStepLimit(o.stepLimit);
    this.domain = o.domain;
    this.scheduler = o.scheduler;
    this.image = proc.instance.image;
    this.moduleRoot = toHex(this.image.moduleRoot);
    this.module = moduleFieldsHex(this.image.fields);
    if (o.moduleRoot !== undefined && !sameHex(o.moduleRoot, this.moduleRoot)) {
      throw new DisputeError(
        "ModuleRoot",
        `the process's module root is ${this.moduleRoot}, not the registered ${o.moduleRoot}`,
      );
    }

    const source = proc.machine;
    if (source.status === STATUS.Running) {
      throw new DisputeError("ProcessRunning", "the process is in the middle of a message; settle it first");
    }
    const assignments: string[] = [o.prevAssignmentHash === undefined ? ZERO : hexlify(o.prevAssignmentHash)];
    const inputs = this.checkSlots(o, assignments);

    // One step-mode run of every message, on a machine of our own (the caller's process is not touched).
    let snap = snapshotOf(source, undefined);
    const m = machineFrom(this.image, snap);
    const processStates: { hash: string; memoryRoot: string; pages: number; globalsRoot: string }[] = [];
    const resultHashes: string[] = [];
    const stateOf = () => {
      const memoryRoot = m.memory.root();
      const globalsRoot = m.globalsRoot();
      return {
        hash: toHex(processHash(this.image.moduleRoot, memoryRoot, m.memory.pages, globalsRoot)),
        memoryRoot: toHex(memoryRoot),
        pages: m.memory.pages,
        globalsRoot: toHex(globalsRoot),
      };
    };
    processStates.push(stateOf());
    if (o.parentStateHash !== undefined && !sameHex(o.parentStateHash, processStates[0].hash)) {
      throw new DisputeError(
        "ParentState",
        `the process's state ${processStates[0].hash} is not the parent's ${o.parentStateHash}`,
      );
    }
    for (const [j, input] of inputs.entries()) {
      this.starts.push(snap);
      const mh = getBytes(input.assignment.messageHash);
      this.messageHashes.push(mh);
      beginMessage(m, input.message, mh, this.stepLimit);
      const startStateHash = toHex(m.stateHash());
      m.run();
      const haltStep = m.trace;
      const finalState = m.fields();
      let result: MessageResult;
      if (m.status === STATUS.Halted) {
        result = { ok: true, items: m.items.map((i) => ({ kind: i.kind, bytes: i.bytes })) };
        m.commit();
      } else {
        result = { ok: false, error: m.error, errorName: ERROR_BY_CODE.get(m.error)?.name ?? "Unknown" };
      }
      const resultHash = toHex(m.resultHash);
      resultHashes.push(resultHash);
      this.records.push({
        slot: this.firstSlot + BigInt(j),
        assignment: input.assignment,
        signature: input.signature,
        message: input.message,
        haltStep,
        startStateHash,
        finalStateHash: toHex(stateHashOf(finalState)),
        finalState,
        resultHash,
        result,
      });
      this.stateCache.push(new Map(haltStep > 0 ? [[0, startStateHash]] : []));
      processStates.push(stateOf());
      if (j + 1 < inputs.length) snap = snapshotOf(m, snap);
    }

    this.stats.snapshotPages = new Set(
      this.starts.flatMap((st) => st.pages.filter((pg) => pg !== ZERO_PAGE)),
    ).size;
    this.results = new ResultsChain(this.process, this.firstSlot, this.depth, resultHashes);
    for (let j = 0; j <= this.slots; j++) {
      const s = processStates[j];
      const resultsRoot = this.results.roots[j];
      this.boundaries.push({
        processHash: s.hash,
        memoryRoot: s.memoryRoot,
        memoryPages: s.pages,
        globalsRoot: s.globalsRoot,
        resultsRoot,
        assignmentHash: assignments[j],
        point: boundaryPoint(s.hash, resultsRoot, assignments[j]),
      });
    }
  }

  /** Checks every slot's assignment, signature and message; fills `assignments` with `A_1 … A_n`. */
  private checkSlots(o: TraceOptions, assignments: string[]): SlotInput[] {
    const out: SlotInput[] = [];
    for (let j = 0; j < this.slots; j++) {
      const slot = this.firstSlot + BigInt(j);
      const input = o.slots[j];
      if (input === undefined || input.assignment === undefined) {
        throw new DisputeError("MissingAssignment", `slot ${slot} has no assignment`);
      }
      const a = input.assignment;
      if (!sameHex(hexlify(a.process), this.process)) {
        throw new DisputeError("AssignmentProcess", `slot ${slot}'s assignment names process ${a.process}`);
      }
      if (BigInt(a.slot) !== slot) {
        throw new DisputeError("AssignmentSlot", `the assignment at slot ${slot} names slot ${a.slot}`);
      }
      if (!sameHex(a.prevAssignmentHash, assignments[j])) {
        throw new DisputeError(
          "AssignmentChain",
          `slot ${slot}'s prevAssignmentHash ${a.prevAssignmentHash} is not ${assignments[j]}`,
        );
      }
      let signer: string;
      try {
        signer = recoverAssignmentSigner(this.domain, a, input.signature);
      } catch (e) {
        throw new DisputeError("AssignmentSigner", `slot ${slot}'s signature is malformed: ${String(e)}`);
      }
      if (!sameHex(signer, this.scheduler)) {
        throw new DisputeError(
          "AssignmentSigner",
          `slot ${slot} is signed by ${signer}, not ${this.scheduler}`,
        );
      }
      const mh = keccak256(input.message);
      if (!sameHex(mh, a.messageHash)) {
        throw new DisputeError(
          "MessageHash",
          `slot ${slot}'s message hashes to ${mh}, not to the assignment's ${a.messageHash}`,
        );
      }
      if (BigInt(input.message.length) !== BigInt(a.messageLength)) {
        throw new DisputeError(
          "MessageLength",
          `slot ${slot}'s message is ${input.message.length} bytes, not the assignment's ${a.messageLength}`,
        );
      }
      assignments.push(assignmentHash(this.domain, a));
      out.push(input);
    }
    return out;
  }

  get base(): CommitmentTrace {
    return this;
  }

  /** The commitment's fields and its first and last points. */
  claim(): Claim {
    const end = this.boundaries[this.slots];
    return {
      process: this.process,
      firstSlot: this.firstSlot,
      lastSlot: this.lastSlot,
      stateHash: end.processHash,
      resultsRoot: end.resultsRoot,
      lastAssignmentHash: end.assignmentHash,
      startPoint: this.boundaries[0].point,
      endPoint: end.point,
    };
  }

  /** What the leaf verifier needs (the on-chain view of this commitment's process). */
  leafContext(): LeafContext {
    return {
      process: this.process,
      firstSlot: this.firstSlot,
      lastSlot: this.lastSlot,
      moduleRoot: this.moduleRoot,
      stepLimit: this.stepLimit,
      domain: this.domain,
      scheduler: this.scheduler,
    };
  }

  /** `P_j`, `T_j`, `A_j`, `B_j` for `0 ≤ j ≤ n`. */
  boundary(j: number): Boundary {
    if (!Number.isInteger(j) || j < 0 || j > this.slots) {
      throw new DisputeError("PositionOutOfRange", `boundary ${j} is not in [0, ${this.slots}]`);
    }
    return this.boundaries[j];
  }

  /** What message `j` (`0 ≤ j < n`) did. */
  messageRecord(j: number): MessageRecord {
    if (!Number.isInteger(j) || j < 0 || j >= this.slots) {
      throw new DisputeError("PositionOutOfRange", `message ${j} is not in [0, ${this.slots})`);
    }
    return this.records[j];
  }

  /** The siblings of leaf `j` in `T_j`. */
  resultsSiblings(j: number): string[] {
    this.messageRecord(j);
    return this.results.siblings(j);
  }

  private checkPosition(p: bigint): void {
    if (typeof p !== "bigint" || p < 0n || p > this.length) {
      throw new DisputeError("PositionOutOfRange", `position ${p} is not in [0, ${this.length}]`);
    }
  }

  pointAt(p: bigint): string {
    return this.pointsAt([p])[0];
  }

  pointsAt(ps: readonly bigint[]): string[] {
    for (const p of ps) this.checkPosition(p);
    // Inner points need machine states: gather them per message, one replay each.
    const byMessage = new Map<number, number[]>();
    for (const p of ps) {
      const j = Number(p >> BigInt(LOG2_STEPS));
      const x = Number(p & LAST_STEP);
      if (j < this.slots && x > 0) {
        const xs = byMessage.get(j);
        if (xs) xs.push(x);
        else byMessage.set(j, [x]);
      }
    }
    const states = new Map<number, Map<number, string>>();
    for (const [j, xs] of byMessage) {
      const hs = this.machineHashes(j, xs);
      states.set(j, new Map(xs.map((x, i) => [x, hs[i]])));
    }
    return ps.map((p) => {
      const j = Number(p >> BigInt(LOG2_STEPS));
      const x = Number(p & LAST_STEP);
      if (j >= this.slots) return this.boundaries[this.slots].point;
      if (x === 0) return this.boundaries[j].point;
      return stepPoint(
        states.get(j)!.get(x)!,
        this.boundaries[j].resultsRoot,
        this.boundaries[j + 1].assignmentHash,
      );
    });
  }

  points(start: bigint, length: bigint, degree: number): string[] {
    this.checkPosition(start);
    partsOf(length, degree);
    this.checkPosition(start + length);
    return this.pointsAt(bisectionPositions(start, length, degree));
  }

  /** Part `index` of a bisection of `[start, start + length]` at `degree`. */
  subSegment(
    start: bigint,
    length: bigint,
    index: number,
    degree: number,
  ): { start: bigint; length: bigint } {
    this.checkPosition(start);
    this.checkPosition(start + length);
    return split(start, length, partsOf(length, degree), index);
  }

  /**
   * The machine-state hashes `S^j_x` of message `j` at the steps `xs` (any order, `0 ≤ x ≤ 2^32`).
   * Steps at or past the halt are the final state, without running; the others come from the cache
   * or from one replay of the message that visits the missing steps in increasing order.
   */
  machineHashes(j: number, xs: readonly number[]): string[] {
    const rec = this.messageRecord(j);
    const cache = this.stateCache[j];
    for (const x of xs) {
      if (!Number.isInteger(x) || x < 0 || x > 2 ** LOG2_STEPS) {
        throw new DisputeError("PositionOutOfRange", `step ${x} is not in [0, 2^${LOG2_STEPS}]`);
      }
    }
    const missing = [...new Set(xs.filter((x) => x < rec.haltStep && !cache.has(x)))].sort((a, b) => a - b);
    if (missing.length > 0) {
      const m = this.machineAt(j, missing[0]);
      for (const x of missing) {
        this.advance(m, x, rec.haltStep);
        cache.set(x, toHex(m.stateHash()));
      }
    }
    return xs.map((x) => (x >= rec.haltStep ? rec.finalStateHash : cache.get(x)!));
  }

  /**
   * The one-step proof (machine/proof `proveStep`) of step `x` of message `j`, from a machine replayed to
   * that step (the cursor, when it is not past it). A step at or past the halt is a no-op whose proof is
   * built from the recorded final state, without a replay.
   */
  stepProof(j: number, x: number): Uint8Array {
    const rec = this.messageRecord(j);
    if (!Number.isInteger(x) || x < 0 || x >= 2 ** LOG2_STEPS) {
      throw new DisputeError("PositionOutOfRange", `step ${x} is not in [0, 2^${LOG2_STEPS})`);
    }
    // A stopped machine's step is a no-op whose proof is the state alone (docs/machine.md §6): no replay.
    if (x >= rec.haltStep) return noOpProof(rec.finalState);
    const m = this.machineAt(j, x);
    this.advance(m, x, rec.haltStep);
    this.stats.replayedSteps += 1;
    return proveStep(m, x);
  }

  /** A machine of message `j` at a trace step at or before `x`: the cursor if it can get there. */
  private machineAt(j: number, x: number): Machine {
    const c = this.cursor;
    if (c !== undefined && c.j === j && c.m.trace <= x) return c.m;
    const m = machineFrom(this.image, this.starts[j]);
    beginMessage(m, this.records[j].message, this.messageHashes[j], this.stepLimit);
    this.stats.replays++;
    this.cursor = { j, m };
    return m;
  }

  private advance(m: Machine, x: number, halt: number): void {
    const from = Math.min(m.trace, halt);
    m.runTo(x);
    this.stats.replayedSteps += Math.min(x, halt) - from;
  }
}
