/**
 * The pure rules of the dispute game that both the trace and the contract apply (docs/dispute-game.md):
 * trace geometry (§1), the kind of a step (§2), the split of a segment (§3) and the point hashes.
 * Nothing here runs the machine.
 */
import { concat, keccak256 } from "ethers";
import { domainTagBytes, LAYOUT } from "../../../machine/spec";
import { resultNode, treeDepth } from "../results";
import { DisputeError } from "./errors";

/** `K`: a message's trace is `2^K` steps (docs/machine.md §9). */
export const LOG2_STEPS = LAYOUT.traceLog2Steps;
/** `2^K`, the steps of one message. */
export const MESSAGE_STEPS = 1n << BigInt(LOG2_STEPS);
/** The last step of a message, `2^K − 1` (the end kind). */
export const LAST_STEP = MESSAGE_STEPS - 1n;
/** The largest degree the contract accepts (`DisputeGame.MAX_DEGREE`). */
export const MAX_DEGREE = 256;

const ZERO = "0x" + "00".repeat(32);
const BOUNDARY_TAG = domainTagBytes("gameBoundary");
const STEP_TAG = domainTagBytes("gameStep");

/** `IDisputeGame.StepKind`, with the Solidity enum's numbering. */
export const StepKind = { Padding: 0, Start: 1, Inner: 2, End: 3 } as const;
export type StepKind = (typeof StepKind)[keyof typeof StepKind];

/** The name of a step kind, for messages. */
export function stepKindName(kind: StepKind): string {
  return ["padding", "start", "inner", "end"][kind];
}

/** `d = ceil(log2 n)`: the depth of the results tree of a commitment over `slots` slots. */
export function resultsDepth(slots: number): number {
  if (!Number.isSafeInteger(slots) || slots < 1) {
    throw new DisputeError("InvalidSlotRange", `a commitment covers at least one slot, not ${slots}`);
  }
  return treeDepth(slots);
}

/** `N = 2^(K + d)`: the number of steps of the trace of a commitment over `slots` slots. */
export function traceLength(slots: number): bigint {
  return 1n << BigInt(LOG2_STEPS + resultsDepth(slots));
}

/** The message `j = ⌊p / 2^K⌋` and the step `x = p mod 2^K` of position `p`. */
export function locate(p: bigint): { j: number; x: number } {
  return { j: Number(p >> BigInt(LOG2_STEPS)), x: Number(p & LAST_STEP) };
}

/** The kind of step `position` (from point `position` to `position + 1`) of a trace over `slots` slots. */
export function stepKind(slots: number, position: bigint): StepKind {
  if (position < 0n) throw new DisputeError("PositionOutOfRange", `step ${position} is negative`);
  if (position >> BigInt(LOG2_STEPS) >= BigInt(slots)) return StepKind.Padding;
  const x = position & LAST_STEP;
  if (x === 0n) return StepKind.Start;
  if (x === LAST_STEP) return StepKind.End;
  return StepKind.Inner;
}

/** Throws unless `degree` is a power of two in [2, 256], as the contract's constructor requires. */
export function checkDegree(degree: number): void {
  if (!Number.isInteger(degree) || degree < 2 || degree > MAX_DEGREE || (degree & (degree - 1)) !== 0) {
    throw new DisputeError("InvalidDegree", `degree ${degree} is not a power of two in [2, ${MAX_DEGREE}]`);
  }
}

/**
 * Part `index` of the segment `[start, start + length]` split in `parts` parts of `⌊length / parts⌋`
 * steps, the first part taking the remainder (docs/dispute-game.md §3; `DisputeGame._split`).
 */
export function split(
  start: bigint,
  length: bigint,
  parts: number,
  index: number,
): { start: bigint; length: bigint } {
  if (length < 1n) throw new DisputeError("InvalidSegment", `a segment of length ${length}`);
  if (!Number.isSafeInteger(parts) || parts < 1 || BigInt(parts) > length) {
    throw new DisputeError("InvalidSegment", `${parts} parts of a segment of length ${length}`);
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= parts) {
    throw new DisputeError("InvalidSegment", `part ${index} of ${parts}`);
  }
  const k = BigInt(parts);
  const base = length / k;
  const rem = length % k;
  if (index === 0) return { start, length: base + rem };
  return { start: start + BigInt(index) * base + rem, length: base };
}

/** The number of parts a bisection of a segment of `length` steps makes: `min(degree, length)`. */
export function partsOf(length: bigint, degree: number): number {
  checkDegree(degree);
  if (length < 1n) throw new DisputeError("InvalidSegment", `a segment of length ${length}`);
  return length < BigInt(degree) ? Number(length) : degree;
}

/** Part `index` of a bisection of `[start, start + length]` at `degree` (`IDisputeGame.subSegment`). */
export function subSegment(
  start: bigint,
  length: bigint,
  index: number,
  degree: number,
): { start: bigint; length: bigint } {
  return split(start, length, partsOf(length, degree), index);
}

/** The `k + 1` positions of the points of a bisection of `[start, start + length]` at `degree`. */
export function bisectionPositions(start: bigint, length: bigint, degree: number): bigint[] {
  const parts = partsOf(length, degree);
  const out: bigint[] = [start];
  for (let i = 0; i < parts; i++) {
    const s = split(start, length, parts, i);
    out.push(s.start + s.length);
  }
  return out;
}

/** `B = keccak("Holo:Boundary:" ‖ processState ‖ resultsRoot ‖ assignmentHash)`. */
export function boundaryPoint(processState: string, resultsRoot: string, assignmentHash: string): string {
  return keccak256(concat([BOUNDARY_TAG, processState, resultsRoot, assignmentHash]));
}

/** `I = keccak("Holo:Step:" ‖ machineState ‖ resultsRoot ‖ assignmentHash)`. */
export function stepPoint(machineState: string, resultsRoot: string, assignmentHash: string): string {
  return keccak256(concat([STEP_TAG, machineState, resultsRoot, assignmentHash]));
}

/** The root of the all-zero results tree of depth `depth` (`T_0`; `GameHash.zeroResultsRoot`). */
export function zeroResultsRoot(depth: number): string {
  let h = ZERO;
  for (let k = 0; k < depth; k++) h = resultNode(h, h);
  return h;
}

/** The root of a results tree with `leaf` at `index` and the bottom-up `siblings` (`GameHash.resultsRootFrom`). */
export function resultsRootFrom(leaf: string, index: number, siblings: readonly string[]): string {
  let h = leaf;
  for (const [k, s] of siblings.entries()) {
    h = Math.floor(index / 2 ** k) % 2 === 0 ? resultNode(h, s) : resultNode(s, h);
  }
  return h;
}

/** Lower-case hex, for comparing points from any source. */
export function sameHash(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
