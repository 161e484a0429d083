/**
 * Leaf proofs (docs/dispute-game.md §2): the values of `IDisputeGame.StartLeaf`, `StepLeaf` and `EndLeaf`
 * for any step of an honest trace, and {@link nextPoint}, the TypeScript twin of what `DisputeGame`
 * computes from a leaf (`proveStart`, `proveInner`, `proveEnd`, `provePadding`): the point after the step,
 * or the contract's error name.
 *
 * The leaf objects are shaped like the Solidity structs (same field names, in order): `bigint` for
 * `uint64`, `number` for `uint32`, 0x-hex strings for `bytes` and `bytes32`, so ethers encodes them as
 * they are.
 */
import { getBytes, hexlify } from "ethers";
import { keccak, toHex } from "../../../machine/code/hash";
import { TAG } from "../../../machine/code/tags";
import { moduleRootOf, type ModuleFields as MachineModuleFields } from "../../../machine/code/module";
import { processHash } from "../../../machine/interp/machine";
import { messageStartHash } from "../../../machine/process";
import { verifyStep } from "../../../machine/proof";
import { LAYOUT } from "../../../machine/spec";
import { assignmentHash, recoverAssignmentSigner, type Assignment } from "../assignments";
import { resultLeaf } from "../results";
import { DisputeError, LeafError } from "./errors";
import {
  boundaryPoint,
  locate,
  resultsDepth,
  resultsRootFrom,
  sameHash,
  stepKind,
  StepKind,
  stepKindName,
  stepPoint,
  traceLength,
} from "./game";
import { stateFieldBytes, type CommitmentTrace, type LeafContext, type ModuleFieldsHex } from "./trace";

const ZERO = "0x" + "00".repeat(32);

/** `IAssignments.Assignment`. */
export interface AssignmentStruct {
  process: string;
  slot: bigint;
  messageId: string;
  messageHash: string;
  messageLength: number;
  timestamp: bigint;
  blockHeight: bigint;
  prevAssignmentHash: string;
}

/** `IDisputeGame.ModuleFields`. */
export type ModuleFieldsStruct = ModuleFieldsHex;

/** `IDisputeGame.StartLeaf`. */
export interface StartLeaf {
  memoryRoot: string;
  memoryPages: number;
  globalsRoot: string;
  resultsRoot: string;
  prevAssignmentHash: string;
  module: ModuleFieldsStruct;
  assignment: AssignmentStruct;
  signature: string;
  stepProof: string;
}

/** `IDisputeGame.StepLeaf`. */
export interface StepLeaf {
  machineHash: string;
  resultsRoot: string;
  assignment: AssignmentStruct;
  stepProof: string;
}

/** `IDisputeGame.EndLeaf`. */
export interface EndLeaf {
  step: StepLeaf;
  finalState: string;
  resultsSiblings: string[];
}

/** A leaf proof with its kind: what `provePadding` / `proveStart` / `proveInner` / `proveEnd` take. */
export type LeafProof =
  | { kind: typeof StepKind.Padding; leaf: null }
  | { kind: typeof StepKind.Start; leaf: StartLeaf }
  | { kind: typeof StepKind.Inner; leaf: StepLeaf }
  | { kind: typeof StepKind.End; leaf: EndLeaf };

/** An assignment as the contract's struct. */
export function assignmentStruct(a: Assignment): AssignmentStruct {
  return {
    process: hexlify(a.process),
    slot: BigInt(a.slot),
    messageId: hexlify(a.messageId),
    messageHash: hexlify(a.messageHash),
    messageLength: Number(a.messageLength),
    timestamp: BigInt(a.timestamp),
    blockHeight: BigInt(a.blockHeight),
    prevAssignmentHash: hexlify(a.prevAssignmentHash),
  };
}

function expectKind(trace: CommitmentTrace, p: bigint, kind: StepKind): { j: number; x: number } {
  if (typeof p !== "bigint" || p < 0n || p >= trace.length) {
    throw new DisputeError("PositionOutOfRange", `step ${p} is not in [0, ${trace.length})`);
  }
  const actual = stepKind(trace.slots, p);
  if (actual !== kind) {
    throw new DisputeError(
      "WrongLeafKind",
      `step ${p} is a ${stepKindName(actual)} step, not a ${stepKindName(kind)} step`,
    );
  }
  return locate(p);
}

/** The proof of the start step `p` (`x = 0`, `j < n`): `P_j`'s fields, `T_j`, `A_j`, the module, the signed
 * assignment of slot `firstSlot + j` and the one-step proof of step 0 (no message bytes: the start state takes
 * the message's hash and length from the assignment). */
export function startLeaf(trace: CommitmentTrace, p: bigint): StartLeaf {
  const { j } = expectKind(trace, p, StepKind.Start);
  const b = trace.boundary(j);
  const rec = trace.messageRecord(j);
  return {
    memoryRoot: b.memoryRoot,
    memoryPages: b.memoryPages,
    globalsRoot: b.globalsRoot,
    resultsRoot: b.resultsRoot,
    prevAssignmentHash: b.assignmentHash,
    module: { ...trace.module },
    assignment: assignmentStruct(rec.assignment),
    signature: hexlify(rec.signature),
    stepProof: hexlify(trace.stepProof(j, 0)),
  };
}

function stepLeaf(trace: CommitmentTrace, j: number, x: number): StepLeaf {
  const machineHash = trace.machineHashes(j, [x])[0];
  return {
    machineHash,
    resultsRoot: trace.boundary(j).resultsRoot,
    assignment: assignmentStruct(trace.messageRecord(j).assignment),
    stepProof: hexlify(trace.stepProof(j, x)),
  };
}

/** The proof of the inner step `p` (`0 < x < 2^32 − 1`): `S^j_x`, `T_j`, the assignment whose hash is
 * `A_{j+1}`, and the one-step proof of step `x`. */
export function innerLeaf(trace: CommitmentTrace, p: bigint): StepLeaf {
  const { j, x } = expectKind(trace, p, StepKind.Inner);
  return stepLeaf(trace, j, x);
}

/** The proof of the end step `p` (`x = 2^32 − 1`): as inner, plus the 326-byte fields of the final state
 * and the siblings of leaf `j` in `T_j`. */
export function endLeaf(trace: CommitmentTrace, p: bigint): EndLeaf {
  const { j, x } = expectKind(trace, p, StepKind.End);
  return {
    step: stepLeaf(trace, j, x),
    finalState: hexlify(stateFieldBytes(trace.messageRecord(j).finalState)),
    resultsSiblings: trace.resultsSiblings(j),
  };
}

/** The proof of step `p`, of whatever kind its position gives. */
export function leafAt(trace: CommitmentTrace, p: bigint): LeafProof {
  if (typeof p !== "bigint" || p < 0n || p >= trace.length) {
    throw new DisputeError("PositionOutOfRange", `step ${p} is not in [0, ${trace.length})`);
  }
  switch (stepKind(trace.slots, p)) {
    case StepKind.Padding:
      return { kind: StepKind.Padding, leaf: null };
    case StepKind.Start:
      return { kind: StepKind.Start, leaf: startLeaf(trace, p) };
    case StepKind.Inner:
      return { kind: StepKind.Inner, leaf: innerLeaf(trace, p) };
    default:
      return { kind: StepKind.End, leaf: endLeaf(trace, p) };
  }
}

// ---------------------------------------------------------------------------------------------------
// The verifier: what the contract computes

function machineModule(m: ModuleFieldsStruct): MachineModuleFields {
  return {
    codeRoot: getBytes(m.codeRoot),
    codeLength: m.codeLength,
    tableRoot: getBytes(m.tableRoot),
    tableLength: m.tableLength,
    globalsCount: m.globalsCount,
    memoryMaxPages: m.memoryMaxPages,
    handleEntryPc: m.handleEntryPc,
    handleLocals: m.handleLocals,
    dataRoot: getBytes(m.dataRoot),
    dataCount: m.dataCount,
  };
}

const FIELD_BYTES: Record<string, number> = { u8: 1, u32: 4, u64: 8, bytes32: 32 };
/** Byte offsets of the state fields in the 326-byte preimage, from machine-spec.json. */
const STATE_OFFSETS: Record<string, number> = {};
let STATE_BYTES = 0;
for (const [name, type] of LAYOUT.stateFields) {
  STATE_OFFSETS[name] = STATE_BYTES;
  STATE_BYTES += FIELD_BYTES[type];
}

/** The size of a state's field preimage (326). */
export const STATE_FIELD_BYTES = STATE_BYTES;

function fieldOf(st: Uint8Array, name: string, size: number): Uint8Array {
  return st.subarray(STATE_OFFSETS[name], STATE_OFFSETS[name] + size);
}

/** `assignment.process == process` and `assignment.slot == slot`, as `_machineStep`/`_signedAssignment`. */
function checkAssignment(ctx: LeafContext, slot: bigint, a: AssignmentStruct): void {
  if (!sameHash(a.process, ctx.process)) throw new LeafError("DisputeGameAssignment", "process");
  if (BigInt(a.slot) !== slot) throw new LeafError("DisputeGameAssignment", "slot");
}

function startNext(ctx: LeafContext, slot: bigint, pre: string, leaf: StartLeaf): string {
  // _startState: the module, the boundary's preimage; the message as the assignment signs it (hash, length).
  const module = machineModule(leaf.module);
  const revealedModule = toHex(moduleRootOf(module));
  if (!sameHash(revealedModule, ctx.moduleRoot)) {
    throw new LeafError("DisputeGameModuleMismatch", `expected ${ctx.moduleRoot}, got ${revealedModule}`);
  }
  const memoryRoot = getBytes(leaf.memoryRoot);
  const globalsRoot = getBytes(leaf.globalsRoot);
  const state = toHex(processHash(getBytes(ctx.moduleRoot), memoryRoot, leaf.memoryPages, globalsRoot));
  const revealed = boundaryPoint(state, leaf.resultsRoot, leaf.prevAssignmentHash);
  if (!sameHash(revealed, pre)) {
    throw new LeafError("DisputeGameLeafPreimage", `start: expected ${pre}, got ${revealed}`);
  }
  const s0 = messageStartHash(
    { module, memoryRoot, memoryPages: leaf.memoryPages, globalsRoot },
    getBytes(leaf.assignment.messageHash),
    Number(leaf.assignment.messageLength),
    ctx.stepLimit,
  );
  // _signedAssignment: this process and slot, chained to A_j, signed by the scheduler.
  const a = leaf.assignment;
  checkAssignment(ctx, slot, a);
  if (!sameHash(a.prevAssignmentHash, leaf.prevAssignmentHash)) {
    throw new LeafError("DisputeGameAssignment", "prevAssignmentHash");
  }
  let signer: string;
  try {
    signer = recoverAssignmentSigner(ctx.domain, a, leaf.signature);
  } catch {
    signer = "0x" + "00".repeat(20);
  }
  if (!sameHash(signer, ctx.scheduler)) {
    throw new LeafError("DisputeGameAssignmentSigner", `signer ${signer}, scheduler ${ctx.scheduler}`);
  }
  const assignment = assignmentHash(ctx.domain, a);
  const s1 = verifyStep(s0, getBytes(leaf.stepProof), {
    moduleRoot: getBytes(ctx.moduleRoot),
    messageHash: getBytes(a.messageHash),
  });
  return stepPoint(toHex(s1), leaf.resultsRoot, assignment);
}

/** `_machineStep`: the inner point's preimage and the one-step proof. Returns `S'` and `A_{j+1}`. */
function machineNext(
  ctx: LeafContext,
  slot: bigint,
  pre: string,
  leaf: StepLeaf,
  kind: StepKind,
): { next: string; assignment: string } {
  const a = leaf.assignment;
  checkAssignment(ctx, slot, a);
  const assignment = assignmentHash(ctx.domain, a);
  const revealed = stepPoint(leaf.machineHash, leaf.resultsRoot, assignment);
  if (!sameHash(revealed, pre)) {
    throw new LeafError("DisputeGameLeafPreimage", `${stepKindName(kind)}: expected ${pre}, got ${revealed}`);
  }
  const next = verifyStep(getBytes(leaf.machineHash), getBytes(leaf.stepProof), {
    moduleRoot: getBytes(ctx.moduleRoot),
    messageHash: getBytes(a.messageHash),
  });
  return { next: toHex(next), assignment };
}

function endNext(ctx: LeafContext, j: number, slot: bigint, pre: string, leaf: EndLeaf): string {
  const { next, assignment } = machineNext(ctx, slot, pre, leaf.step, StepKind.End);
  // _finalState: the preimage of S', its process state and its result hash.
  const st = getBytes(leaf.finalState);
  if (st.length !== STATE_FIELD_BYTES) throw new LeafError("DisputeGameFinalState", `${st.length} bytes`);
  const tagged = new Uint8Array(TAG.machine.length + st.length);
  tagged.set(TAG.machine);
  tagged.set(st, TAG.machine.length);
  const revealed = toHex(keccak(tagged));
  if (!sameHash(revealed, next)) {
    throw new LeafError("DisputeGameLeafPreimage", `end: expected ${next}, got ${revealed}`);
  }
  const pages = fieldOf(st, "memoryPages", 4);
  const state = toHex(
    processHash(
      fieldOf(st, "moduleRoot", 32),
      fieldOf(st, "memoryRoot", 32),
      ((pages[0] << 24) | (pages[1] << 16) | (pages[2] << 8) | pages[3]) >>> 0,
      fieldOf(st, "globalsRoot", 32),
    ),
  );
  const resultHash = toHex(fieldOf(st, "resultHash", 32));
  // _addResult: leaf j of T_j is zero; T_{j+1} has slot j's result there.
  const depth = resultsDepth(Number(ctx.lastSlot - ctx.firstSlot) + 1);
  if (leaf.resultsSiblings.length !== depth) throw new LeafError("DisputeGameResultsPath", `${j}`);
  if (!sameHash(resultsRootFrom(ZERO, j, leaf.resultsSiblings), leaf.step.resultsRoot)) {
    throw new LeafError("DisputeGameResultsPath", `${j}`);
  }
  const resultsRoot = resultsRootFrom(resultLeaf(ctx.process, slot, resultHash), j, leaf.resultsSiblings);
  return boundaryPoint(state, resultsRoot, assignment);
}

/**
 * `next(p, h_p)`: the point after step `position` that the contract computes from `proof`, given the
 * agreed point `pre = h_p` (docs/dispute-game.md §2). Throws {@link LeafError} with the contract's error
 * name when the contract would revert, or the machine's `ProofError` when the one-step proof is refused
 * (the contract bubbles the prover's errors up unchanged).
 */
export function nextPoint(ctx: LeafContext, position: bigint, pre: string, proof: LeafProof): string {
  const slots = Number(ctx.lastSlot - ctx.firstSlot) + 1;
  const length = traceLength(slots);
  if (typeof position !== "bigint" || position < 0n || position >= length) {
    throw new DisputeError("PositionOutOfRange", `step ${position} is not in [0, ${length})`);
  }
  const kind = stepKind(slots, position);
  if (kind !== proof.kind) {
    throw new LeafError(
      "DisputeGameWrongLeafKind",
      `step ${position} is a ${stepKindName(kind)} step, the proof is a ${stepKindName(proof.kind)} proof`,
    );
  }
  const { j } = locate(position);
  const slot = ctx.firstSlot + BigInt(j);
  switch (proof.kind) {
    case StepKind.Padding:
      return pre.toLowerCase();
    case StepKind.Start:
      return startNext(ctx, slot, pre, proof.leaf);
    case StepKind.Inner: {
      const { next, assignment } = machineNext(ctx, slot, pre, proof.leaf, StepKind.Inner);
      return stepPoint(next, proof.leaf.resultsRoot, assignment);
    }
    default:
      return endNext(ctx, j, slot, pre, proof.leaf);
  }
}
