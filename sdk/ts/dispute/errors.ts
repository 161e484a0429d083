/**
 * The named errors of `sdk/ts/dispute`. Every refusal is a {@link DisputeError} whose `code` says what was
 * wrong; the leaf verifier ({@link nextPoint} in leaf.ts) uses the contract's own error names instead
 * ({@link LeafError}), so a test can expect the same name on both sides.
 */

/** What a trace, a split or the player refused. */
export type DisputeErrorCode =
  /** A trace position outside `[0, N]`, or a segment that does not fit in it. */
  | "PositionOutOfRange"
  /** A segment of length 0, a part index outside the segment, or points that do not match the parts. */
  | "InvalidSegment"
  /** A bisection degree that is not a power of two in [2, 256]. */
  | "InvalidDegree"
  /** An empty or reversed slot range, or a commitment too long for a trace (more than 2^32 slots). */
  | "InvalidSlotRange"
  /** A slot of the commitment with no assignment. */
  | "MissingAssignment"
  /** An assignment naming another process. */
  | "AssignmentProcess"
  /** An assignment naming another slot than its position in the commitment. */
  | "AssignmentSlot"
  /** An assignment whose `prevAssignmentHash` is not the previous slot's assignment hash (`A_j`). */
  | "AssignmentChain"
  /** An assignment signature that does not recover to the process's scheduler. */
  | "AssignmentSigner"
  /** Message bytes whose keccak is not the assignment's `messageHash`. */
  | "MessageHash"
  /** Message bytes whose length is not the assignment's `messageLength`. */
  | "MessageLength"
  /** The process given is not in the parent's end state (`P_0` differs from `parentStateHash`). */
  | "ParentState"
  /** The process given runs another module than the registered one (e.g. another memory limit). */
  | "ModuleRoot"
  /** The process given is in the middle of a message. */
  | "ProcessRunning"
  /** A step limit that is not an integer in [0, 2^64). */
  | "InvalidStepLimit"
  /** A leaf asked of a step of another kind (e.g. `startLeaf` of an inner step). */
  | "WrongLeafKind"
  /** A liar's parameters that cannot describe a lie (e.g. lying about point 0, which the contract fixes). */
  | "InvalidLie"
  /** The opponent's segment starts at a point that differs from ours: the game's invariant is broken. */
  | "InvariantBroken"
  /** Every point of the opponent's segment agrees with ours: there is nothing to dispute. */
  | "NoDisagreement";

export class DisputeError extends Error {
  override name = "DisputeError";
  constructor(
    readonly code: DisputeErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

/**
 * A leaf proof refused by {@link nextPoint}: `code` is the name of the `IDisputeGame` error the contract
 * reverts with (`DisputeGameLeafPreimage`, `DisputeGameAssignment`, …). A refused one-step proof is not a
 * LeafError: the machine's own `ProofError` is thrown unchanged, as the contract bubbles up the prover's.
 */
export class LeafError extends Error {
  override name = "LeafError";
  constructor(
    readonly code:
      | "DisputeGameLeafPreimage"
      | "DisputeGameAssignment"
      | "DisputeGameAssignmentSigner"
      | "DisputeGameModuleMismatch"
      | "DisputeGameFinalState"
      | "DisputeGameResultsPath"
      | "DisputeGameWrongLeafKind",
    detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}
