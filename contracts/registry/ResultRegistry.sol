// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IProcessRegistry} from "../interfaces/IProcessRegistry.sol";
import {IResultRegistry} from "../interfaces/IResultRegistry.sol";
import {IStakeManager} from "../interfaces/IStakeManager.sol";
import {ResultsLib} from "../libraries/ResultsLib.sol";

/**
 * @title ResultRegistry
 * @notice Compute units' result commitments per process: posting with locked stake, the challenge
 * window, finalization, rejection (by the dispute game, and lazily down the tree), and the integrator
 * views (latest finalized state, Merkle proofs of per-slot results).
 *
 * @dev Shape. Commitments of a process form a tree: each names a parent (0 = the initial state) and
 * covers the slots right after it. Any number of Pending children may hang off one parent (so a
 * wrong commitment can never block an honest one), but at most one child per parent ever finalizes
 * ({finalizedChild}); the others are then pruned. The finalized commitments of a process are thus one
 * chain from slot 0, and a slot is covered by at most one of them.
 *
 *   Storage of one commitment (8 slots):
 *   ┌──────────┬────────────────────┬───────────┬─────────────┬────────────┐
 *   │ process  │ lastAssignmentHash │ stateHash │ resultsRoot │ arweaveRef │   one word each
 *   ├──────────┴──────┬─────────────┴──┬────────┴─────────┬───┴────────────┤
 *   │ poster (160)    │ firstSlot (64) │ openChallenges (32)               │
 *   │ parent (64)     │ lastSlot (64)  │ postedAt (64)    │ deadline (64)  │
 *   │ stake (96)      │ status (8)     │                                   │
 *   └─────────────────┴────────────────┴──────────────────┴────────────────┘
 *
 * Roles: `DEFAULT_ADMIN_ROLE` (governance) sets `commitmentStake`; `DISPUTE_GAME_ROLE` calls the two
 * game hooks. The registry needs `LOCKER_ROLE` on the StakeManager. The challenge window is read from
 * the StakeManager at posting time (one source for the unbonding floor) and fixed in the commitment.
 */
contract ResultRegistry is IResultRegistry, AccessControlDefaultAdminRules, ReentrancyGuardTransient {
    /// @notice Role of the dispute game contracts, which open and resolve challenges.
    bytes32 public constant DISPUTE_GAME_ROLE = keccak256("DISPUTE_GAME_ROLE");
    /// @notice Delay of a two-step transfer of the admin role.
    uint48 public constant ADMIN_TRANSFER_DELAY = 2 days;
    /// @notice Most slots one commitment may cover, so that its trace (`n · 2^32` steps) fits 2^64.
    uint64 public constant MAX_SLOTS_PER_COMMITMENT = 2 ** 32;

    IStakeManager private immutable _stakeManager;
    IProcessRegistry private immutable _processRegistry;

    /// @inheritdoc IResultRegistry
    uint256 public commitmentStake;

    uint64 private _count;
    mapping(uint256 id => Commitment) private _commitments;
    mapping(bytes32 process => mapping(uint256 parent => uint256 child)) private _finalizedChild;
    mapping(bytes32 process => uint256 id) private _latestFinalized;

    /**
     * @param stakeManager_ the StakeManager (must be a contract).
     * @param processRegistry_ the ProcessRegistry (must be a contract).
     * @param admin the governance account (DEFAULT_ADMIN_ROLE).
     * @param commitmentStake_ the stake locked per commitment while it is pending.
     */
    constructor(
        address stakeManager_,
        address processRegistry_,
        address admin,
        uint256 commitmentStake_
    ) AccessControlDefaultAdminRules(ADMIN_TRANSFER_DELAY, admin) {
        if (stakeManager_.code.length == 0) revert ResultRegistryZeroAddress("stakeManager");
        if (processRegistry_.code.length == 0) revert ResultRegistryZeroAddress("processRegistry");
        _stakeManager = IStakeManager(stakeManager_);
        _processRegistry = IProcessRegistry(processRegistry_);
        _setCommitmentStake(commitmentStake_);
    }

    // ─── Compute units and anyone ──────────────────────────────────────────────────────────────

    /**
     * @notice Posts a commitment for slots `[firstSlot, lastSlot]` of `process` after `parent` (0 for
     * the initial state), locking `commitmentStake` of the caller until it finalizes or is rejected.
     * @dev Requirements: the process exists and is not frozen at or before `lastSlot`; `parent` is 0
     * (then `firstSlot` is 0) or a non-rejected commitment of the same process (then `firstSlot` is its
     * `lastSlot + 1`); `parent` has no Finalized child yet; `1 ≤ lastSlot - firstSlot + 1 ≤ MAX_SLOTS_PER_COMMITMENT`; the three hashes are
     * non-zero; the caller has `commitmentStake` unlocked in the StakeManager.
     */
    function postCommitment(
        bytes32 process,
        uint256 parent,
        uint64 firstSlot,
        uint64 lastSlot,
        bytes32 lastAssignmentHash,
        bytes32 stateHash,
        bytes32 resultsRoot,
        bytes32 arweaveRef
    ) external nonReentrant returns (uint256 id) {
        _checkRange(process, parent, firstSlot, lastSlot);
        if (lastAssignmentHash == bytes32(0)) revert ResultRegistryZeroHash("lastAssignmentHash");
        if (stateHash == bytes32(0)) revert ResultRegistryZeroHash("stateHash");
        if (resultsRoot == bytes32(0)) revert ResultRegistryZeroHash("resultsRoot");
        uint256 stake = commitmentStake;
        uint256 available = _stakeManager.unlockedOf(msg.sender);
        if (available < stake) revert ResultRegistryInsufficientStake(msg.sender, available, stake);

        // Ids count up from 1 by one per call; 2^64 posts cannot happen.
        unchecked {
            id = ++_count;
        }
        Commitment storage c = _commitments[id];
        c.process = process;
        c.lastAssignmentHash = lastAssignmentHash;
        c.stateHash = stateHash;
        c.resultsRoot = resultsRoot;
        c.arweaveRef = arweaveRef;
        c.poster = msg.sender;
        c.firstSlot = firstSlot;
        // `parent` is an existing id (checked), so at most `_count`, a uint64; `stake ≤ type(uint96).max`.
        c.parent = uint64(parent);
        c.lastSlot = lastSlot;
        c.postedAt = uint64(block.timestamp);
        c.challengeDeadline = uint64(block.timestamp) + _stakeManager.challengeWindow();
        c.stake = uint96(stake);
        c.status = Status.Pending;
        _emitPosted(id, c);

        _stakeManager.lock(msg.sender, stake);
    }

    /**
     * @notice Finalizes commitment `id` and unlocks its stake. Anyone may call it.
     * @dev One commitment per call: a chain finalizes from its root, one call each.
     * Requirements: `id` is Pending; its window has closed; no game is open against it; its parent is
     * Finalized (or it has none); no sibling is Finalized; the process is not frozen at or before its
     * `lastSlot`.
     */
    function finalize(uint256 id) external nonReentrant {
        Commitment storage c = _pending(id);
        if (block.timestamp < c.challengeDeadline) {
            revert ResultRegistryWindowNotElapsed(id, c.challengeDeadline, uint64(block.timestamp));
        }
        if (c.openChallenges != 0) revert ResultRegistryChallengeOpen(id, c.openChallenges);
        uint256 parent = c.parent;
        if (parent != 0) {
            Status ps = _commitments[parent].status;
            if (ps != Status.Finalized) revert ResultRegistryParentNotFinalized(id, parent, ps);
        }
        bytes32 process = c.process;
        uint256 sibling = _finalizedChild[process][parent];
        if (sibling != 0) revert ResultRegistrySiblingFinalized(id, sibling);
        (, uint64 frozenFrom) = _processRegistry.processStatus(process);
        if (c.lastSlot >= frozenFrom) revert ResultRegistrySlotBeyondFreeze(process, c.lastSlot, frozenFrom);

        c.status = Status.Finalized;
        _finalizedChild[process][parent] = id;
        _latestFinalized[process] = id;
        emit CommitmentFinalized(id, process, c.lastSlot, c.stateHash);

        _stakeManager.unlock(c.poster, c.stake);
    }

    /**
     * @notice Rejects Pending commitment `id` if it can never finalize, and unlocks its stake (no
     * slash: the poster lost nothing to a game). Anyone may call it. This is how a rejection cascades
     * down the tree: one call per descendant, each O(1).
     * @dev Requirements: `id` is Pending, and its parent is Rejected, or a sibling is Finalized, or the
     * process is frozen at or before its `lastSlot`.
     */
    function prune(uint256 id) external nonReentrant returns (RejectReason reason) {
        Commitment storage c = _pending(id);
        bytes32 process = c.process;
        uint256 parent = c.parent;
        (, uint64 frozenFrom) = _processRegistry.processStatus(process);
        if (parent != 0 && _commitments[parent].status == Status.Rejected) {
            reason = RejectReason.ParentRejected;
        } else if (_finalizedChild[process][parent] != 0) {
            reason = RejectReason.SiblingFinalized;
        } else if (c.lastSlot >= frozenFrom) {
            reason = RejectReason.ProcessFrozen;
        } else {
            revert ResultRegistryNotPrunable(id);
        }
        _reject(id, c, reason);
    }

    // ─── Dispute game hooks ────────────────────────────────────────────────────────────────────

    /**
     * @notice Records that a game opened a challenge against `id`; `id` cannot finalize until every
     * such game is resolved.
     * @dev Requirements: the caller has DISPUTE_GAME_ROLE; `id` is Pending and its window is open.
     */
    function onChallengeOpened(uint256 id) external onlyRole(DISPUTE_GAME_ROLE) nonReentrant {
        Commitment storage c = _pending(id);
        if (block.timestamp >= c.challengeDeadline) {
            revert ResultRegistryWindowElapsed(id, c.challengeDeadline, uint64(block.timestamp));
        }
        uint32 open = c.openChallenges + 1;
        c.openChallenges = open;
        emit ChallengeOpened(id, msg.sender, open);
    }

    /**
     * @notice Records that a game against `id` ended. If the challenger won and `id` is still Pending,
     * it is rejected and its stake unlocked (the game slashes the poster itself). Never reverts for a
     * commitment pruned in the meantime, so a game can always resolve.
     * @dev Requirements: the caller has DISPUTE_GAME_ROLE; `id` exists and has an open game.
     */
    function onChallengeResolved(
        uint256 id,
        bool challengerWon
    ) external onlyRole(DISPUTE_GAME_ROLE) nonReentrant {
        Commitment storage c = _existing(id);
        uint32 open = c.openChallenges;
        if (open == 0) revert ResultRegistryNoOpenChallenge(id);
        // `open > 0` was just checked.
        unchecked {
            --open;
        }
        c.openChallenges = open;
        emit ChallengeResolved(id, msg.sender, challengerWon, open);
        if (challengerWon && c.status == Status.Pending) _reject(id, c, RejectReason.ChallengeLost);
    }

    // ─── Governance ────────────────────────────────────────────────────────────────────────────

    /**
     * @notice Sets the stake locked per new commitment; pending ones keep theirs.
     * @dev Requirements: the caller has DEFAULT_ADMIN_ROLE; `0 < amount ≤ type(uint96).max`.
     */
    function setCommitmentStake(uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setCommitmentStake(amount);
    }

    // ─── Views ─────────────────────────────────────────────────────────────────────────────────

    /// @notice Commitment `id`. Requirements: it exists.
    function commitment(uint256 id) external view returns (Commitment memory) {
        return _existing(id);
    }

    /**
     * @notice The latest finalized commitment of `process`: its id, last slot and state hash. When none
     * has finalized yet, `id` is 0, `lastSlot` 0 and `stateHash` the process's initial state hash.
     * Requirements: the process exists.
     */
    function latestFinalized(
        bytes32 process
    ) external view returns (uint256 id, uint64 lastSlot, bytes32 stateHash) {
        id = _latestFinalized[process];
        if (id == 0) return (0, 0, _processRegistry.getProcess(process).initialStateHash);
        Commitment storage c = _commitments[id];
        return (id, c.lastSlot, c.stateHash);
    }

    /**
     * @notice Whether `resultHash` is the result of `slot` of `process`, proven by `proof` under the
     * results root of the Finalized commitment `proof.commitmentId` that covers the slot (ResultsLib).
     * Never reverts: every mismatch is `false`.
     */
    function verifyResult(
        bytes32 process,
        uint64 slot,
        bytes32 resultHash,
        ResultProof calldata proof
    ) external view returns (bool) {
        Commitment storage c = _commitments[proof.commitmentId];
        if (c.status != Status.Finalized || c.process != process) return false;
        uint64 first = c.firstSlot;
        if (slot < first) return false;
        // `first ≤ slot` was just checked and `first ≤ lastSlot` holds for every commitment; a slot
        // after `lastSlot` gives an index ≥ the count, which `verify` refuses.
        unchecked {
            return
                ResultsLib.verify(
                    c.resultsRoot,
                    uint256(c.lastSlot - first) + 1,
                    slot - first,
                    ResultsLib.leaf(process, slot, resultHash),
                    proof.siblings
                );
        }
    }

    /// @notice The results-tree leaf of `slot`'s `resultHash` in `process` (ResultsLib).
    function resultLeaf(bytes32 process, uint64 slot, bytes32 resultHash) external pure returns (bytes32) {
        return ResultsLib.leaf(process, slot, resultHash);
    }

    /// @notice The Finalized child of `parent` (0: the initial state) in `process`, 0 if none.
    function finalizedChild(bytes32 process, uint256 parent) external view returns (uint256) {
        return _finalizedChild[process][parent];
    }

    /// @notice How many commitments were ever posted (the highest id).
    function commitmentCount() external view returns (uint256) {
        return _count;
    }

    /// @inheritdoc IResultRegistry
    function stakeManager() external view returns (address) {
        return address(_stakeManager);
    }

    /// @inheritdoc IResultRegistry
    function processRegistry() external view returns (address) {
        return address(_processRegistry);
    }

    // ─── Internals ─────────────────────────────────────────────────────────────────────────────

    /// @dev The checks of {postCommitment} on the process, the parent and the slot range.
    function _checkRange(bytes32 process, uint256 parent, uint64 firstSlot, uint64 lastSlot) private view {
        (bool exists, uint64 frozenFrom) = _processRegistry.processStatus(process);
        if (!exists) revert ResultRegistryUnknownProcess(process);
        uint64 expectedFirst = 0;
        if (parent != 0) {
            Commitment storage p = _existing(parent);
            if (p.process != process) revert ResultRegistryParentMismatch(parent, p.process, process);
            if (p.status == Status.Rejected) revert ResultRegistryParentRejected(parent);
            expectedFirst = p.lastSlot + 1;
        }
        uint256 child = _finalizedChild[process][parent];
        if (child != 0) revert ResultRegistryParentHasFinalizedChild(process, parent, child);
        if (firstSlot != expectedFirst) {
            revert ResultRegistryNonContiguousSlots(parent, expectedFirst, firstSlot);
        }
        if (lastSlot < firstSlot || lastSlot - firstSlot >= MAX_SLOTS_PER_COMMITMENT) {
            revert ResultRegistryInvalidSlotRange(firstSlot, lastSlot, MAX_SLOTS_PER_COMMITMENT);
        }
        if (lastSlot >= frozenFrom) revert ResultRegistrySlotBeyondFreeze(process, lastSlot, frozenFrom);
    }

    function _emitPosted(uint256 id, Commitment storage c) private {
        emit CommitmentPosted(
            id,
            c.process,
            c.poster,
            c.parent,
            c.firstSlot,
            c.lastSlot,
            c.lastAssignmentHash,
            c.stateHash,
            c.resultsRoot,
            c.arweaveRef,
            c.challengeDeadline,
            c.stake
        );
    }

    function _existing(uint256 id) private view returns (Commitment storage c) {
        c = _commitments[id];
        if (c.status == Status.None) revert ResultRegistryUnknownCommitment(id);
    }

    function _pending(uint256 id) private view returns (Commitment storage c) {
        c = _existing(id);
        if (c.status != Status.Pending) revert ResultRegistryNotPending(id, c.status);
    }

    /// @dev Effects before the interaction; called only on a Pending commitment, so once per stake.
    function _reject(uint256 id, Commitment storage c, RejectReason reason) private {
        c.status = Status.Rejected;
        emit CommitmentRejected(id, c.process, reason);
        _stakeManager.unlock(c.poster, c.stake);
    }

    function _setCommitmentStake(uint256 amount) private {
        if (amount == 0 || amount > type(uint96).max) {
            revert ResultRegistryInvalidCommitmentStake(amount, type(uint96).max);
        }
        commitmentStake = amount;
        emit CommitmentStakeSet(amount);
    }
}
