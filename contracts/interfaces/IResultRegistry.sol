// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @title IResultRegistry
 * @notice Result commitments: per process, a tree of commitments whose finalized ones form one chain
 * from slot 0, each stating the process state and the results of a contiguous range of slots.
 *
 * @dev Life of a commitment (docs/registries.md):
 *
 *            post                 finalize (window over, no open game, parent Finalized)
 *   (none) ───────▶ Pending ──────────────────────────────────────────────────────▶ Finalized
 *                      │
 *                      ├── onChallengeResolved(id, challengerWon = true)  (DISPUTE_GAME_ROLE) ──▶ Rejected
 *                      └── prune(id), anyone: parent Rejected, or a sibling Finalized,
 *                          or the process frozen at or before lastSlot                     ──▶ Rejected
 *
 * Posting locks `commitmentStake` of the poster in the StakeManager; it is unlocked exactly once, when
 * the commitment leaves Pending. Slashing is the dispute game's job, not this registry's.
 * Every call is O(1): rejection cascades to descendants lazily, one {prune} per commitment.
 */
interface IResultRegistry {
    /// @notice Where a commitment is in its life.
    enum Status {
        None,
        Pending,
        Finalized,
        Rejected
    }

    /// @notice Why a commitment was rejected.
    enum RejectReason {
        ChallengeLost,
        ParentRejected,
        SiblingFinalized,
        ProcessFrozen
    }

    /// @notice A commitment (ids start at 1; parent 0 means the process's initial state).
    struct Commitment {
        bytes32 process;
        bytes32 lastAssignmentHash;
        bytes32 stateHash;
        bytes32 resultsRoot;
        bytes32 arweaveRef;
        address poster;
        uint64 firstSlot;
        uint32 openChallenges;
        uint64 parent;
        uint64 lastSlot;
        uint64 postedAt;
        uint64 challengeDeadline;
        uint96 stake;
        Status status;
    }

    /// @notice The proof of one slot's result: the finalized commitment that covers it and the siblings.
    struct ResultProof {
        uint256 commitmentId;
        bytes32[] siblings;
    }

    // ─── Errors ────────────────────────────────────────────────────────────────────────────────
    /// @notice The zero address was given for `what`.
    error ResultRegistryZeroAddress(string what);
    /// @notice The hash named `what` is zero.
    error ResultRegistryZeroHash(string what);
    /// @notice The commitment stake `amount` is zero or above `max`.
    error ResultRegistryInvalidCommitmentStake(uint256 amount, uint256 max);
    /// @notice No process has id `process`.
    error ResultRegistryUnknownProcess(bytes32 process);
    /// @notice No commitment has id `id`.
    error ResultRegistryUnknownCommitment(uint256 id);
    /// @notice The parent `parent` belongs to `parentProcess`, not to `process`.
    error ResultRegistryParentMismatch(uint256 parent, bytes32 parentProcess, bytes32 process);
    /// @notice The parent `parent` was rejected.
    error ResultRegistryParentRejected(uint256 parent);
    /// @notice After `parent`, the first slot must be `expected`, not `firstSlot`.
    error ResultRegistryNonContiguousSlots(uint256 parent, uint64 expected, uint64 firstSlot);
    /// @notice The slot range `[firstSlot, lastSlot]` is empty or longer than `maxSlots`.
    error ResultRegistryInvalidSlotRange(uint64 firstSlot, uint64 lastSlot, uint64 maxSlots);
    /// @notice `process` is frozen from `frozenFromSlot`, at or before the commitment's `lastSlot`.
    error ResultRegistrySlotBeyondFreeze(bytes32 process, uint64 lastSlot, uint64 frozenFromSlot);
    /// @notice `poster` has `available` unlocked stake, less than the `needed` commitment stake.
    error ResultRegistryInsufficientStake(address poster, uint256 available, uint256 needed);
    /// @notice Commitment `id` is `status`, not Pending.
    error ResultRegistryNotPending(uint256 id, Status status);
    /// @notice Commitment `id`'s challenge window closes at `deadline`, after `nowTime`.
    error ResultRegistryWindowNotElapsed(uint256 id, uint64 deadline, uint64 nowTime);
    /// @notice Commitment `id`'s challenge window closed at `deadline`, at or before `nowTime`.
    error ResultRegistryWindowElapsed(uint256 id, uint64 deadline, uint64 nowTime);
    /// @notice Commitment `id` has `openChallenges` games still open.
    error ResultRegistryChallengeOpen(uint256 id, uint32 openChallenges);
    /// @notice Commitment `id`'s parent `parent` is `status`, not Finalized.
    error ResultRegistryParentNotFinalized(uint256 id, uint256 parent, Status status);
    /// @notice Commitment `id`'s sibling `sibling` (same parent) is already Finalized.
    error ResultRegistrySiblingFinalized(uint256 id, uint256 sibling);
    /// @notice `parent` (0: the initial state) of `process` already has the Finalized child `child`, so a
    /// new child could never finalize.
    error ResultRegistryParentHasFinalizedChild(bytes32 process, uint256 parent, uint256 child);
    /// @notice Commitment `id` has no open game to resolve.
    error ResultRegistryNoOpenChallenge(uint256 id);
    /// @notice Commitment `id` is Pending and may still finalize: it cannot be pruned.
    error ResultRegistryNotPrunable(uint256 id);

    // ─── Events ────────────────────────────────────────────────────────────────────────────────
    /// @notice `poster` posted commitment `id` for `process`, locking `stake`.
    event CommitmentPosted(
        uint256 indexed id,
        bytes32 indexed process,
        address indexed poster,
        uint256 parent,
        uint64 firstSlot,
        uint64 lastSlot,
        bytes32 lastAssignmentHash,
        bytes32 stateHash,
        bytes32 resultsRoot,
        bytes32 arweaveRef,
        uint64 challengeDeadline,
        uint256 stake
    );
    /// @notice Commitment `id` finalized: `process`'s state after `lastSlot` is `stateHash`.
    event CommitmentFinalized(
        uint256 indexed id,
        bytes32 indexed process,
        uint64 lastSlot,
        bytes32 stateHash
    );
    /// @notice Commitment `id` was rejected for `reason`; its stake was unlocked.
    event CommitmentRejected(uint256 indexed id, bytes32 indexed process, RejectReason reason);
    /// @notice `game` opened a challenge against `id`, which now has `openChallenges` open.
    event ChallengeOpened(uint256 indexed id, address indexed game, uint32 openChallenges);
    /// @notice `game` resolved a challenge against `id`.
    event ChallengeResolved(
        uint256 indexed id,
        address indexed game,
        bool challengerWon,
        uint32 openChallenges
    );
    /// @notice The stake locked per new commitment changed.
    event CommitmentStakeSet(uint256 amount);

    // ─── Compute units and anyone ──────────────────────────────────────────────────────────────
    function postCommitment(
        bytes32 process,
        uint256 parent,
        uint64 firstSlot,
        uint64 lastSlot,
        bytes32 lastAssignmentHash,
        bytes32 stateHash,
        bytes32 resultsRoot,
        bytes32 arweaveRef
    ) external returns (uint256 id);

    function finalize(uint256 id) external;

    function prune(uint256 id) external returns (RejectReason reason);

    // ─── Dispute game hooks ────────────────────────────────────────────────────────────────────
    function onChallengeOpened(uint256 id) external;

    function onChallengeResolved(uint256 id, bool challengerWon) external;

    // ─── Governance ────────────────────────────────────────────────────────────────────────────
    function setCommitmentStake(uint256 amount) external;

    // ─── Views ─────────────────────────────────────────────────────────────────────────────────
    function commitment(uint256 id) external view returns (Commitment memory);

    function latestFinalized(
        bytes32 process
    ) external view returns (uint256 id, uint64 lastSlot, bytes32 stateHash);

    function verifyResult(
        bytes32 process,
        uint64 slot,
        bytes32 resultHash,
        ResultProof calldata proof
    ) external view returns (bool);

    function resultLeaf(bytes32 process, uint64 slot, bytes32 resultHash) external pure returns (bytes32);

    function finalizedChild(bytes32 process, uint256 parent) external view returns (uint256);

    function commitmentCount() external view returns (uint256);

    function commitmentStake() external view returns (uint256);

    function stakeManager() external view returns (address);

    function processRegistry() external view returns (address);
}
