// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @title IResultRegistry
 * @notice Result commitments: per process, a tree of commitments whose finalized ones form one chain
 * from slot 0, each stating the process state and the results of a contiguous range of slots.
 *
 * @dev A commitment is identified by the hash of its content, `id = keccak256(abi.encode(c))`
 * ({Commitment}); the registry stores one word per commitment ({Record}) and callers pass the content
 * back (Arbitrum's assertions work the same way). Life of a commitment (docs/registries.md):
 *
 *            post                 finalize (window over, no open game, parent = the finalized tip)
 *   (none) ───────▶ Pending ──────────────────────────────────────────────────────▶ Finalized
 *                      │
 *                      ├── onChallengeResolved(c, challengerWon = true)  (DISPUTE_GAME_ROLE) ──▶ Rejected
 *                      └── prune(c), anyone: parent Rejected, or the finalized chain already covers
 *                          c.firstSlot, or the process frozen at or before lastSlot          ──▶ Rejected
 *
 * Stake: each compute unit keeps a reservation, a part of its stake this registry holds locked in the
 * StakeManager. A commitment takes `commitmentStake` of the reservation while it is Pending (posting
 * locks the shortfall when the free part is too small) and gives it back when it leaves Pending; the
 * compute unit releases free reservation with {release}. So the stake backing every Pending commitment
 * is always locked. Slashing is the dispute game's job, not this registry's.
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

    /**
     * @notice The content of a commitment; its id is `keccak256(abi.encode(c))`.
     * @param parent the id of the commitment this one continues, 0 for the process's initial state.
     * @param poster the compute unit that posted it; @param stake what it took from the reservation.
     */
    struct Commitment {
        bytes32 process;
        bytes32 parent;
        uint64 firstSlot;
        uint64 lastSlot;
        bytes32 lastAssignmentHash;
        bytes32 stateHash;
        bytes32 resultsRoot;
        bytes32 arweaveRef;
        address poster;
        uint96 stake;
    }

    /// @notice What the registry stores per commitment: one word.
    struct Record {
        Status status;
        uint32 openChallenges;
        uint64 lastSlot;
        uint64 deadline;
    }

    /// @notice A compute unit's reservation: `reserved` is locked in the StakeManager, `pending` of it
    /// backs Pending commitments (`pending <= reserved`).
    struct Reservation {
        uint128 reserved;
        uint128 pending;
    }

    /// @notice The proof of one slot's result: the finalized commitment that covers it and the siblings.
    struct ResultProof {
        Commitment commitment;
        bytes32[] siblings;
    }

    // ─── Errors ────────────────────────────────────────────────────────────────────────────────
    /// @notice The zero address was given for `what`.
    error ResultRegistryZeroAddress(string what);
    /// @notice The hash named `what` is zero.
    error ResultRegistryZeroHash(string what);
    /// @notice The amount named `what` is `amount`, zero or above `max`.
    error ResultRegistryInvalidAmount(string what, uint256 amount, uint256 max);
    /// @notice No process has id `process`.
    error ResultRegistryUnknownProcess(bytes32 process);
    /// @notice No commitment has id `id` (the content given does not hash to a posted commitment).
    error ResultRegistryUnknownCommitment(bytes32 id);
    /// @notice A commitment with this content (`id`) was already posted.
    error ResultRegistryCommitmentExists(bytes32 id);
    /// @notice The parent `parent` is a commitment of another process than `process`.
    error ResultRegistryParentMismatch(bytes32 parent, bytes32 process);
    /// @notice The parent `parent` was rejected.
    error ResultRegistryParentRejected(bytes32 parent);
    /// @notice After `parent`, the first slot must be `expected`, not `firstSlot`.
    error ResultRegistryNonContiguousSlots(bytes32 parent, uint64 expected, uint64 firstSlot);
    /// @notice The slot range `[firstSlot, lastSlot]` is empty or longer than `maxSlots`.
    error ResultRegistryInvalidSlotRange(uint64 firstSlot, uint64 lastSlot, uint64 maxSlots);
    /// @notice `process` is frozen from `frozenFromSlot`, at or before the commitment's `lastSlot`.
    error ResultRegistrySlotBeyondFreeze(bytes32 process, uint64 lastSlot, uint64 frozenFromSlot);
    /// @notice The scheduler `scheduler` of `process` exited at `exitAt`: no new commitment of the
    /// process can be posted (its later signatures must never feed one).
    error ResultRegistrySchedulerExited(bytes32 process, address scheduler, uint64 exitAt);
    /// @notice `poster` has `available` unlocked stake, less than the `needed` shortfall of its reservation.
    error ResultRegistryInsufficientStake(address poster, uint256 available, uint256 needed);
    /// @notice `cu` has `bonded` stake, less than its reservation `reserved` (slashes took the rest): it
    /// must bond more or release reservation before it posts from its reservation again.
    error ResultRegistryReservationUnbacked(address cu, uint256 bonded, uint256 reserved);
    /// @notice `cu` asked to release `amount`, more than the `free` part of its reservation.
    error ResultRegistryReservationInUse(address cu, uint256 free, uint256 amount);
    /// @notice Commitment `id` is `status`, not Pending.
    error ResultRegistryNotPending(bytes32 id, Status status);
    /// @notice Commitment `id`'s challenge window closes at `deadline`, after `nowTime`.
    error ResultRegistryWindowNotElapsed(bytes32 id, uint64 deadline, uint64 nowTime);
    /// @notice Commitment `id`'s challenge window closed at `deadline`, at or before `nowTime`.
    error ResultRegistryWindowElapsed(bytes32 id, uint64 deadline, uint64 nowTime);
    /// @notice Commitment `id` has `openChallenges` games still open.
    error ResultRegistryChallengeOpen(bytes32 id, uint32 openChallenges);
    /// @notice Commitment `id`'s parent `parent` is not the tip `tip` of the finalized chain.
    error ResultRegistryParentNotTip(bytes32 id, bytes32 parent, bytes32 tip);
    /// @notice Commitment `id` has no open game to resolve.
    error ResultRegistryNoOpenChallenge(bytes32 id);
    /// @notice Commitment `id` is Pending and may still finalize: it cannot be pruned.
    error ResultRegistryNotPrunable(bytes32 id);

    // ─── Events ────────────────────────────────────────────────────────────────────────────────
    /// @notice Commitment `id` was posted with content `c`; its window closes at `deadline`.
    event CommitmentPosted(
        bytes32 indexed id,
        bytes32 indexed process,
        address indexed poster,
        Commitment c,
        uint64 deadline
    );
    /// @notice Commitment `id` finalized: it is the new tip of `process`'s finalized chain.
    event CommitmentFinalized(
        bytes32 indexed id,
        bytes32 indexed process,
        uint64 lastSlot,
        bytes32 stateHash
    );
    /// @notice Commitment `id` was rejected for `reason`; its stake went back to the reservation.
    event CommitmentRejected(bytes32 indexed id, bytes32 indexed process, RejectReason reason);
    /// @notice `game` opened a challenge against `id`, which now has `openChallenges` open.
    event ChallengeOpened(bytes32 indexed id, address indexed game, uint32 openChallenges);
    /// @notice `game` resolved a challenge against `id`.
    event ChallengeResolved(
        bytes32 indexed id,
        address indexed game,
        bool challengerWon,
        uint32 openChallenges
    );
    /// @notice `cu`'s reservation is now `reserved` (changed by `reserve`, `release` or a post's shortfall).
    event ReservationChanged(address indexed cu, uint256 reserved, uint256 pending);
    /// @notice The stake taken per new commitment changed.
    event CommitmentStakeSet(uint256 amount);

    // ─── Compute units and anyone ──────────────────────────────────────────────────────────────
    function postCommitment(
        bytes32 process,
        bytes32 parent,
        uint64 firstSlot,
        uint64 lastSlot,
        bytes32 lastAssignmentHash,
        bytes32 stateHash,
        bytes32 resultsRoot,
        bytes32 arweaveRef
    ) external returns (bytes32 id);

    function finalize(Commitment calldata c) external;

    function prune(Commitment calldata c) external returns (RejectReason reason);

    function reserve(uint256 amount) external;

    function release(uint256 amount) external;

    // ─── Dispute game hooks ────────────────────────────────────────────────────────────────────
    /// @return deadline the commitment's challenge deadline.
    function onChallengeOpened(Commitment calldata c) external returns (uint64 deadline);

    function onChallengeResolved(Commitment calldata c, bool challengerWon) external;

    // ─── Governance ────────────────────────────────────────────────────────────────────────────
    function setCommitmentStake(uint256 amount) external;

    // ─── Views ─────────────────────────────────────────────────────────────────────────────────
    function commitmentId(Commitment calldata c) external pure returns (bytes32);

    function record(bytes32 id) external view returns (Record memory);

    function statusOf(Commitment calldata c) external view returns (Status);

    /// @return id the tip of the finalized chain (0 before the first); @return finalizedSlots the
    /// number of slots it covers from slot 0 (`tip.lastSlot + 1`, 0 before the first).
    function latestFinalized(bytes32 process) external view returns (bytes32 id, uint64 finalizedSlots);

    function verifyResult(
        bytes32 process,
        uint64 slot,
        bytes32 resultHash,
        ResultProof calldata proof
    ) external view returns (bool);

    function resultLeaf(bytes32 process, uint64 slot, bytes32 resultHash) external pure returns (bytes32);

    function reservationOf(address cu) external view returns (Reservation memory);

    function commitmentStake() external view returns (uint256);

    function stakeManager() external view returns (address);

    function processRegistry() external view returns (address);
}
