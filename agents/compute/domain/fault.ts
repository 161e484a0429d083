/**
 * Fault injection (devnet and tests only): a compute unit configured with a {@link Fault} claims a wrong
 * state or a wrong result from slot `fromSlot` on, in every commitment it posts over such slots, and stands
 * by the same lie in a game (the liar traces of sdk/ts/dispute). Everything here is a pure function of the
 * honest values and the fault, so a restart lies exactly as before.
 *
 * - `state`: the claimed `stateHash` of a commitment with `lastSlot ≥ fromSlot` is
 *   `keccak(trueStateHash ‖ keccak(salt))` (sdk `liarTrace` semantics; salt {@link faultSalt}). The trace's
 *   points agree with the truth up to the first step of slot `fromSlot`; in a commitment whose parent
 *   already lied, point 0 is the contract's start point (built from the parent's lying state).
 * - `result`: the claimed result hash of slot `max(fromSlot, firstSlot)` is `keccak(r ‖ "liar")`
 *   (sdk `resultLiarTrace`), so `resultsRoot` is wrong and `stateHash` right.
 */
import { concat, keccak256, toUtf8Bytes } from "ethers";

import {
  bisectionPositions,
  boundaryPoint,
  liarTrace,
  LOG2_STEPS,
  partsOf,
  resultLiarTrace,
  type CommitmentTrace,
  type GameTrace,
} from "../../../sdk/ts/dispute";

export interface Fault {
  kind: "state" | "result";
  /** The first slot whose claim is wrong. */
  fromSlot: bigint;
}

/** The liar's salt (sdk `LieOptions.salt`): fixed per fault, so lies are the same across restarts. */
export function faultSalt(fault: Fault): string {
  return `holo-cu fault ${fault.kind} from slot ${fault.fromSlot}`;
}

/** The wrong state hash claimed instead of `stateHash` (the `liarTrace` formula). */
export function lyingStateHash(fault: Fault, stateHash: string): string {
  return keccak256(concat([stateHash, keccak256(toUtf8Bytes(faultSalt(fault)))]));
}

/** The wrong result hash claimed instead of `resultHash` (the `resultLiarTrace` default). */
export function lyingResultHash(resultHash: string): string {
  return keccak256(concat([resultHash, toUtf8Bytes("liar")]));
}

/** What a CU with `fault` (or none) claims for slots `[firstSlot, lastSlot]` given the true hashes. */
export function claimedHashes(
  fault: Fault | undefined,
  firstSlot: bigint,
  lastSlot: bigint,
  resultHashes: readonly string[],
  stateHash: string,
): { resultHashes: string[]; stateHash: string } {
  if (fault === undefined || lastSlot < fault.fromSlot) return { resultHashes: [...resultHashes], stateHash };
  if (fault.kind === "state")
    return { resultHashes: [...resultHashes], stateHash: lyingStateHash(fault, stateHash) };
  const k = Number((fault.fromSlot > firstSlot ? fault.fromSlot : firstSlot) - firstSlot);
  return {
    resultHashes: resultHashes.map((r, i) => (i === k ? lyingResultHash(r) : r)),
    stateHash,
  };
}

/**
 * The trace a CU with `fault` stands by for the commitment over `honest`'s range: `honest` itself when
 * the fault does not reach the range. `parentStateHash` is the true state before `firstSlot` (needed when
 * the parent commitment already lied about it).
 */
export function faultTrace(
  fault: Fault | undefined,
  honest: CommitmentTrace,
  parentStateHash: string,
): GameTrace {
  if (fault === undefined || honest.lastSlot < fault.fromSlot) return honest;
  if (fault.kind === "result") {
    const k = Number(
      (fault.fromSlot > honest.firstSlot ? fault.fromSlot : honest.firstSlot) - honest.firstSlot,
    );
    return resultLiarTrace(honest, {
      index: k,
      resultHash: lyingResultHash(honest.messageRecord(k).resultHash),
    });
  }
  const salt = faultSalt(fault);
  if (fault.fromSlot >= honest.firstSlot) {
    const k = fault.fromSlot - honest.firstSlot;
    return liarTrace(honest, { fromPosition: (k << BigInt(LOG2_STEPS)) + 1n, salt });
  }
  // The parent lied too: the game starts from the contract's start point, built from the parent's claim.
  const inner = liarTrace(honest, { fromPosition: 1n, salt });
  const b0 = honest.boundary(0);
  const start = boundaryPoint(lyingStateHash(fault, parentStateHash), b0.resultsRoot, b0.assignmentHash);
  const trace: GameTrace = {
    base: honest,
    slots: honest.slots,
    depth: honest.depth,
    length: honest.length,
    claim: () => ({ ...inner.claim(), startPoint: start }),
    pointAt: (p) => trace.pointsAt([p])[0],
    pointsAt: (ps) => {
      const values = inner.pointsAt(ps);
      return ps.map((p, i) => (p === 0n ? start : values[i]));
    },
    points: (s, length, degree) => {
      partsOf(length, degree);
      return trace.pointsAt(bisectionPositions(s, length, degree));
    },
  };
  return trace;
}
