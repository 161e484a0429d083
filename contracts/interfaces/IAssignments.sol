// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @title IAssignments
 * @notice A scheduler unit's signed assignments and the on-chain proof of its equivocation.
 *
 * @dev An assignment places one message at one slot of one process. The process's scheduler signs it
 * with EIP-712 under the domain `{name: "Holoproof", version: "1", chainId, verifyingContract}`, where
 * `verifyingContract` is the {ProcessRegistry} that registered the process. The EIP-712 digest it signs
 * is the *assignment hash*; the next slot's assignment names it in `prevAssignmentHash`, so that the
 * assignments of a process form a hash chain (slot 0 names `bytes32(0)`).
 *
 * Two valid signatures of the scheduler over two different assignments for the same (process, slot)
 * are an equivocation: anyone can submit them ({proveEquivocation}); the scheduler's whole slashable
 * stake is slashed (the submitter gets the reward share) and the process is frozen from that slot.
 * Proofs are taken until the scheduler's exit delay ends (see {IProcessRegistry-exitScheduler}).
 */
interface IAssignments {
    /**
     * @notice One message placed at one slot of a process (AO's `Assignment`, `Nonce` = slot).
     * @param process the on-chain process id (see {IProcessRegistry-spawn}).
     * @param slot the position of the message in the process's log, from 0.
     * @param messageId the message's Arweave data-item id (32 raw bytes).
     * @param messageHash keccak256 of the message's canonical encoding (docs/process-abi.md).
     * @param messageLength the length in bytes of that canonical encoding: the dispute game's start step
     * reads it from here instead of carrying the message (see docs/dispute-game.md §9).
     * @param timestamp milliseconds since the epoch, as given to the process.
     * @param blockHeight the Arweave block height, as given to the process.
     * @param prevAssignmentHash the assignment hash (EIP-712 digest) of slot `slot - 1`, zero for slot 0.
     */
    struct Assignment {
        bytes32 process;
        uint64 slot;
        bytes32 messageId;
        bytes32 messageHash;
        uint32 messageLength;
        uint64 timestamp;
        uint64 blockHeight;
        bytes32 prevAssignmentHash;
    }

    // ─── Errors ────────────────────────────────────────────────────────────────────────────────
    /// @notice The two assignments of an equivocation proof name different processes.
    error ProcessRegistryProcessMismatch(bytes32 processA, bytes32 processB);
    /// @notice The two assignments of an equivocation proof name different slots.
    error ProcessRegistrySlotMismatch(uint64 slotA, uint64 slotB);
    /// @notice The two assignments of an equivocation proof are the same assignment (same hash).
    error ProcessRegistrySameAssignment(bytes32 assignmentHash);
    /// @notice The signature over `assignmentHash` recovers to `signer` (zero if malformed), not to the
    /// process's `scheduler`.
    error ProcessRegistryInvalidSignature(bytes32 assignmentHash, address signer, address scheduler);
    /// @notice `process` is already frozen from `frozenFromSlot`, at or before the proven `slot`.
    error ProcessRegistryAlreadyFrozen(bytes32 process, uint64 frozenFromSlot, uint64 slot);
    /// @notice `scheduler` exited and its exit delay ended at `releasableAt`, before `nowTime`: nothing
    /// can depend on its signatures any more, so its equivocations are no longer taken.
    error ProcessRegistryExitDelayElapsed(address scheduler, uint64 releasableAt, uint64 nowTime);

    // ─── Events ────────────────────────────────────────────────────────────────────────────────
    /**
     * @notice `prover` proved that `scheduler` signed two different assignments (hashes `assignmentA`
     * and `assignmentB`) for `slot` of `process`; `slashed` of its stake was taken (zero when it was
     * already slashed for an earlier proof on this process).
     */
    event EquivocationProven(
        bytes32 indexed process,
        address indexed scheduler,
        address indexed prover,
        uint64 slot,
        bytes32 assignmentA,
        bytes32 assignmentB,
        uint256 slashed
    );
    /// @notice `process` is frozen from `fromSlot` on: no commitment may cover that slot or a later one.
    event ProcessFrozen(bytes32 indexed process, uint64 fromSlot);

    // ─── Functions ─────────────────────────────────────────────────────────────────────────────
    function proveEquivocation(
        Assignment calldata a,
        bytes calldata signatureA,
        Assignment calldata b,
        bytes calldata signatureB
    ) external returns (uint256 slashed);

    function assignmentHash(Assignment calldata a) external view returns (bytes32);

    function assignmentSigner(
        Assignment calldata a,
        bytes calldata signature
    ) external view returns (address);

    function frozenFromSlot(bytes32 process) external view returns (uint64);

    function isFrozen(bytes32 process) external view returns (bool);
}
