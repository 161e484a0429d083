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
 * @notice Compute units' result commitments per process: posting against a stake reservation, the
 * challenge window, finalization along one chain, rejection (by the dispute game, and lazily down the
 * tree), and the integrator views (the finalized tip, Merkle proofs of per-slot results).
 *
 * @dev Shape. Commitments of a process form a tree: each names a parent (0 = the initial state) and
 * covers the slots right after it. Any number of Pending children may hang off one parent, so a wrong
 * commitment can never block an honest one. The finalized commitments form one chain from slot 0, and
 * only its tip is stored: a commitment finalizes only if its parent is the tip, which proves both that
 * the parent is Finalized and that no sibling finalized before it.
 *
 * Storage (docs/registries.md). A commitment is identified by the hash of its content
 * (`id = keccak256(abi.encode(c))`) and stores one word; callers pass the content back:
 *
 *   _records[id]      │ status 8 │ openChallenges 32 │ lastSlot 64 │ deadline 64 │ processTag 88 │
 *   _tips[process]    │ the id of the tip of the finalized chain (0 before the first)           │
 *   _reservations[cu] │ reserved 128                     │ pending 128                          │
 *
 * Stake. `reserved` is what this registry holds locked for the compute unit in the StakeManager
 * (always equal to `StakeManager.lockedBy(this, cu)`), `pending` the sum of the stakes of its Pending
 * commitments (`pending ≤ reserved`). A post moves `commitmentStake` into `pending`, locking only the
 * shortfall of the free part `reserved − pending`; leaving Pending moves it back to the free part.
 * So in the steady state a post makes no StakeManager write, and the stake backing every Pending
 * commitment is locked at every moment. A post from the free part also checks that the compute
 * unit's bonded stake still covers its reservation, since slashes leave locks in place.
 *
 * Roles: `DEFAULT_ADMIN_ROLE` (governance) sets `commitmentStake`; `DISPUTE_GAME_ROLE` calls the two
 * game hooks. The registry needs `LOCKER_ROLE` on the StakeManager. The challenge window is read from
 * the StakeManager at posting time (one source for the unbonding floor) and fixed in the record.
 *
 * Schedulers. No commitment of a process is posted after its scheduler exited
 * ({IProcessRegistry-exitScheduler}); commitments posted before run their windows and games, all of
 * which end before the ProcessRegistry releases the scheduler's lock.
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

    /// @dev A {Record} as stored: the interface's fields plus a tag of the commitment's process in the
    /// 88 spare bits of the word, so that a child post checks its parent's process for free.
    struct Entry {
        Status status;
        uint32 openChallenges;
        uint64 lastSlot;
        uint64 deadline;
        uint88 processTag;
    }

    mapping(bytes32 id => Entry) private _records;
    mapping(bytes32 process => bytes32 tip) private _tips;
    mapping(address cu => Reservation) private _reservations;

    /**
     * @param stakeManager_ the StakeManager (must be a contract).
     * @param processRegistry_ the ProcessRegistry (must be a contract).
     * @param admin the governance account (DEFAULT_ADMIN_ROLE).
     * @param commitmentStake_ the stake each new commitment takes from its poster's reservation.
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
     * the initial state). It takes `commitmentStake` of the caller's reservation until it leaves
     * Pending; when the free part of the reservation is smaller, the shortfall is locked first.
     * @dev Requirements: the process exists, its scheduler has not exited, and it is not frozen at or
     * before `lastSlot`; `parent` is 0 (then `firstSlot` is 0) or a posted, non-rejected commitment of
     * the same process (then `firstSlot` is its `lastSlot + 1`); `1 ≤ lastSlot - firstSlot + 1 ≤ MAX_SLOTS_PER_COMMITMENT`; the
     * three hashes are non-zero; the same content was not posted before; the caller has the shortfall
     * unlocked, or, when the free part suffices, bonded stake covering its whole reservation.
     * A child of a Finalized commitment that is no longer the tip is accepted: it can never finalize
     * and can be pruned at once (`SiblingFinalized`).
     * @return id `keccak256(abi.encode(c))` of the commitment's content `c`.
     */
    function postCommitment(
        bytes32 process,
        bytes32 parent,
        uint64 firstSlot,
        uint64 lastSlot,
        bytes32 lastAssignmentHash,
        bytes32 stateHash,
        bytes32 resultsRoot,
        bytes32 arweaveRef
    ) external nonReentrant returns (bytes32 id) {
        uint256 stake = commitmentStake;
        // `commitmentStake ≤ type(uint96).max` (checked when set).
        Commitment memory c = Commitment({
            process: process,
            parent: parent,
            firstSlot: firstSlot,
            lastSlot: lastSlot,
            lastAssignmentHash: lastAssignmentHash,
            stateHash: stateHash,
            resultsRoot: resultsRoot,
            arweaveRef: arweaveRef,
            poster: msg.sender,
            stake: uint96(stake)
        });
        uint88 tag = _checkPost(c);
        id = _hash(c);
        Entry storage r = _records[id];
        if (r.status != Status.None) revert ResultRegistryCommitmentExists(id);

        uint64 deadline = uint64(block.timestamp) + _stakeManager.challengeWindow();
        _records[id] = Entry({
            status: Status.Pending,
            openChallenges: 0,
            lastSlot: lastSlot,
            deadline: deadline,
            processTag: tag
        });
        _emitPosted(id, c, deadline);
        _take(msg.sender, stake);
    }

    /**
     * @notice Finalizes commitment `c`: it becomes the tip of its process's finalized chain and its
     * stake returns to the free part of its poster's reservation. Anyone may call it.
     * @dev One commitment per call: a chain finalizes from its root, one call each.
     * Requirements: `c` is Pending; its window has closed; no game is open against it; its parent is
     * the tip of the finalized chain (0 before the first), which shows at once that the parent is
     * Finalized and that no sibling finalized; the process is not frozen at or before `c.lastSlot`.
     */
    function finalize(Commitment calldata c) external nonReentrant {
        bytes32 id = _hashCalldata(c);
        Entry storage r = _records[id];
        Entry memory rec = r;
        _requirePending(id, rec.status);
        if (block.timestamp < rec.deadline) {
            revert ResultRegistryWindowNotElapsed(id, rec.deadline, uint64(block.timestamp));
        }
        if (rec.openChallenges != 0) revert ResultRegistryChallengeOpen(id, rec.openChallenges);
        bytes32 process = c.process;
        bytes32 tip = _tips[process];
        if (c.parent != tip) revert ResultRegistryParentNotTip(id, c.parent, tip);
        uint64 frozenFrom = _frozenFrom(process);
        if (rec.lastSlot >= frozenFrom) {
            revert ResultRegistrySlotBeyondFreeze(process, rec.lastSlot, frozenFrom);
        }

        r.status = Status.Finalized;
        _tips[process] = id;
        _giveBack(c.poster, c.stake);
        emit CommitmentFinalized(id, process, rec.lastSlot, c.stateHash);
    }

    /**
     * @notice Rejects Pending commitment `c` if it can never finalize; its stake returns to the free
     * part of its poster's reservation (no slash: the poster lost nothing to a game). Anyone may call
     * it. This is how a rejection cascades down the tree: one call per descendant, each O(1).
     * @dev Requirements: `c` is Pending, and its parent is Rejected (`ParentRejected`), or the finalized
     * chain already covers `c.firstSlot` (`SiblingFinalized`: the tip can never become `c`'s parent
     * again), or the process is frozen at or before `c.lastSlot` (`ProcessFrozen`).
     */
    function prune(Commitment calldata c) external nonReentrant returns (RejectReason reason) {
        bytes32 id = _hashCalldata(c);
        Entry storage r = _records[id];
        _requirePending(id, r.status);
        bytes32 parent = c.parent;
        bytes32 process = c.process;
        bytes32 tip = _tips[process];
        if (parent != bytes32(0) && _records[parent].status == Status.Rejected) {
            reason = RejectReason.ParentRejected;
        } else if (tip != bytes32(0) && _records[tip].lastSlot >= c.firstSlot) {
            reason = RejectReason.SiblingFinalized;
        } else {
            if (r.lastSlot < _frozenFrom(process)) revert ResultRegistryNotPrunable(id);
            reason = RejectReason.ProcessFrozen;
        }
        _reject(id, r, c, reason);
    }

    /**
     * @notice Locks `amount` more of the caller's stake into its reservation, so that later posts need
     * no lock of their own.
     * @dev Requirements: `0 < amount ≤ type(uint128).max − reserved`; the caller has `amount` unlocked
     * in the StakeManager.
     */
    function reserve(uint256 amount) external nonReentrant {
        Reservation memory res = _reservations[msg.sender];
        uint256 max = type(uint128).max - res.reserved;
        if (amount == 0 || amount > max) revert ResultRegistryInvalidAmount("amount", amount, max);
        uint256 available = _stakeManager.unlockedOf(msg.sender);
        if (available < amount) revert ResultRegistryInsufficientStake(msg.sender, available, amount);
        // `amount ≤ max` was just checked.
        res.reserved += uint128(amount);
        _reservations[msg.sender] = res;
        emit ReservationChanged(msg.sender, res.reserved, res.pending);

        _stakeManager.lock(msg.sender, amount);
    }

    /**
     * @notice Unlocks `amount` of the free part of the caller's reservation in the StakeManager.
     * @dev Requirements: `0 < amount ≤ reserved − pending` (the part no Pending commitment uses).
     */
    function release(uint256 amount) external nonReentrant {
        Reservation memory res = _reservations[msg.sender];
        uint256 free = res.reserved - res.pending;
        if (amount == 0) revert ResultRegistryInvalidAmount("amount", amount, free);
        if (amount > free) revert ResultRegistryReservationInUse(msg.sender, free, amount);
        // `amount ≤ free ≤ reserved` was just checked.
        res.reserved -= uint128(amount);
        _reservations[msg.sender] = res;
        emit ReservationChanged(msg.sender, res.reserved, res.pending);

        _stakeManager.unlock(msg.sender, amount);
    }

    // ─── Dispute game hooks ────────────────────────────────────────────────────────────────────

    /**
     * @notice Records that a game opened a challenge against `c`; `c` cannot finalize until every such
     * game is resolved.
     * @dev Requirements: the caller has DISPUTE_GAME_ROLE; `c` is Pending and its window is open.
     * @return deadline the commitment's challenge deadline.
     */
    function onChallengeOpened(
        Commitment calldata c
    ) external onlyRole(DISPUTE_GAME_ROLE) nonReentrant returns (uint64 deadline) {
        bytes32 id = _hashCalldata(c);
        Entry storage r = _records[id];
        _requirePending(id, r.status);
        deadline = r.deadline;
        if (block.timestamp >= deadline) {
            revert ResultRegistryWindowElapsed(id, deadline, uint64(block.timestamp));
        }
        uint32 open = r.openChallenges + 1;
        r.openChallenges = open;
        emit ChallengeOpened(id, msg.sender, open);
    }

    /**
     * @notice Records that a game against `c` ended. If the challenger won and `c` is still Pending, it
     * is rejected and its stake returns to the free part of the reservation (the game slashes the
     * poster itself). Never reverts for a commitment pruned or rejected in the meantime, so a game can
     * always resolve.
     * @dev Requirements: the caller has DISPUTE_GAME_ROLE; `c` was posted and has an open game.
     */
    function onChallengeResolved(
        Commitment calldata c,
        bool challengerWon
    ) external onlyRole(DISPUTE_GAME_ROLE) nonReentrant {
        bytes32 id = _hashCalldata(c);
        Entry storage r = _records[id];
        Status status = r.status;
        if (status == Status.None) revert ResultRegistryUnknownCommitment(id);
        uint32 open = r.openChallenges;
        if (open == 0) revert ResultRegistryNoOpenChallenge(id);
        // `open > 0` was just checked.
        unchecked {
            --open;
        }
        r.openChallenges = open;
        emit ChallengeResolved(id, msg.sender, challengerWon, open);
        if (challengerWon && status == Status.Pending) _reject(id, r, c, RejectReason.ChallengeLost);
    }

    // ─── Governance ────────────────────────────────────────────────────────────────────────────

    /**
     * @notice Sets the stake taken per new commitment; pending ones keep theirs (it is in their content).
     * @dev Requirements: the caller has DEFAULT_ADMIN_ROLE; `0 < amount ≤ type(uint96).max`.
     */
    function setCommitmentStake(uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setCommitmentStake(amount);
    }

    // ─── Views ─────────────────────────────────────────────────────────────────────────────────

    /// @notice The id of a commitment with content `c`: `keccak256(abi.encode(c))`.
    function commitmentId(Commitment calldata c) external pure returns (bytes32) {
        return keccak256(abi.encode(c));
    }

    /// @notice The stored record of commitment `id`; all zero (status None) when no such commitment.
    function record(bytes32 id) external view returns (Record memory) {
        Entry storage e = _records[id];
        return Record(e.status, e.openChallenges, e.lastSlot, e.deadline);
    }

    /// @notice The status of the commitment with content `c` (None when it was never posted).
    function statusOf(Commitment calldata c) external view returns (Status) {
        return _records[_hashCalldata(c)].status;
    }

    /**
     * @notice The tip of `process`'s finalized chain and the number of slots the chain covers from
     * slot 0 (`tip.lastSlot + 1`); `(0, 0)` before the first finalization (or for an unknown process).
     * The tip's state hash is in its content (the `CommitmentPosted` event).
     */
    function latestFinalized(bytes32 process) external view returns (bytes32 id, uint64 finalizedSlots) {
        id = _tips[process];
        if (id == bytes32(0)) return (id, 0);
        // A finalized `lastSlot` is below the freeze slot, so at most `2^64 − 2`.
        unchecked {
            finalizedSlots = _records[id].lastSlot + 1;
        }
    }

    /**
     * @notice Whether `resultHash` is the result of `slot` of `process`, proven by `proof.siblings`
     * under the results root of `proof.commitment`, which must be Finalized, belong to `process` and
     * cover `slot` (ResultsLib). Never reverts: every mismatch is `false`.
     */
    function verifyResult(
        bytes32 process,
        uint64 slot,
        bytes32 resultHash,
        ResultProof calldata proof
    ) external view returns (bool) {
        Commitment calldata c = proof.commitment;
        if (c.process != process) return false;
        if (_records[_hashCalldata(c)].status != Status.Finalized) return false;
        uint64 first = c.firstSlot;
        if (slot < first) return false;
        // `first ≤ slot` was just checked and every posted commitment has `first ≤ lastSlot`; a slot
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

    /// @notice `cu`'s reservation: `reserved` (locked in the StakeManager) and `pending` (in use).
    function reservationOf(address cu) external view returns (Reservation memory) {
        return _reservations[cu];
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

    /**
     * @dev The checks of {postCommitment} on the process, its scheduler, the parent, the slot range and
     * the hashes; returns the process's tag. One call, `postStatus` (two storage slots there: the
     * process's scheduler and freeze, and the scheduler's exit), tells whether the process exists, where
     * it is frozen and whether its scheduler exited: after the exit no new commitment is taken, so a
     * signature the scheduler makes after its exit never feeds one. A child post also learns that the
     * process exists from its parent, whose record carries the tag of the process it was posted for.
     */
    function _checkPost(Commitment memory c) private view returns (uint88 tag) {
        tag = _tag(c.process);
        uint64 expected;
        (address scheduler, uint64 frozenFrom, uint64 exitAt) = _processRegistry.postStatus(c.process);
        if (c.parent == bytes32(0)) {
            if (scheduler == address(0)) revert ResultRegistryUnknownProcess(c.process);
        } else {
            Entry storage p = _records[c.parent];
            Status ps = p.status;
            if (ps == Status.None) revert ResultRegistryUnknownCommitment(c.parent);
            if (p.processTag != tag) revert ResultRegistryParentMismatch(c.parent, c.process);
            if (ps == Status.Rejected) revert ResultRegistryParentRejected(c.parent);
            // A posted `lastSlot` is below the freeze slot, so at most `2^64 − 2`.
            unchecked {
                expected = p.lastSlot + 1;
            }
        }
        if (exitAt != 0) revert ResultRegistrySchedulerExited(c.process, scheduler, exitAt);
        if (c.firstSlot != expected) revert ResultRegistryNonContiguousSlots(c.parent, expected, c.firstSlot);
        if (c.lastSlot < c.firstSlot || c.lastSlot - c.firstSlot >= MAX_SLOTS_PER_COMMITMENT) {
            revert ResultRegistryInvalidSlotRange(c.firstSlot, c.lastSlot, MAX_SLOTS_PER_COMMITMENT);
        }
        if (c.lastSlot >= frozenFrom)
            revert ResultRegistrySlotBeyondFreeze(c.process, c.lastSlot, frozenFrom);
        if (c.lastAssignmentHash == bytes32(0)) revert ResultRegistryZeroHash("lastAssignmentHash");
        if (c.stateHash == bytes32(0)) revert ResultRegistryZeroHash("stateHash");
        if (c.resultsRoot == bytes32(0)) revert ResultRegistryZeroHash("resultsRoot");
    }

    /**
     * @dev The tag of `process` kept in its commitments' records: 88 bits of `keccak256(process)`. A
     * hash rather than the id's own bits, so that naming another (unspawned) process with a parent's
     * tag would take a second preimage of 88 bits.
     */
    function _tag(bytes32 process) private pure returns (uint88 t) {
        assembly ("memory-safe") {
            mstore(0x00, process)
            t := and(keccak256(0x00, 0x20), 0xffffffffffffffffffffff)
        }
    }

    /**
     * @dev The first slot of `process` no commitment may cover (`type(uint64).max` when not frozen), for
     * a process known to exist. `isFrozen` reads one storage slot of the ProcessRegistry where
     * `processStatus` reads two, and a process is rarely frozen: this saves a cold SLOAD per call.
     */
    function _frozenFrom(bytes32 process) private view returns (uint64) {
        if (!_processRegistry.isFrozen(process)) return type(uint64).max;
        return _processRegistry.frozenFromSlot(process);
    }

    /**
     * @dev Moves `stake` of `cu`'s reservation into `pending`, locking the shortfall first when the free
     * part is too small. Effects before the interaction.
     *
     * A post from the free part alone checks that `cu`'s bonded stake still covers its reservation. The
     * StakeManager does not tell lockers about slashes, and a slash (a lost game takes `c.stake` after
     * the commitment's stake went back to the free part) leaves the lock in place: without this check a
     * compute unit slashed to nothing could keep posting from its reservation with no stake behind it.
     * A post that locks a shortfall needs none: `unlockedOf ≥ shortfall > 0` means bonded > locked.
     */
    function _take(address cu, uint256 stake) private {
        Reservation memory res = _reservations[cu];
        // `pending ≤ reserved` always.
        uint256 free = res.reserved - res.pending;
        // Pending stakes sum to at most the stake token's supply (each is locked), far below 2^128.
        res.pending += uint128(stake);
        if (free >= stake) {
            uint256 bonded = _stakeManager.bondedOf(cu);
            if (bonded < res.reserved) revert ResultRegistryReservationUnbacked(cu, bonded, res.reserved);
            _reservations[cu] = res;
            return;
        }
        uint256 shortfall = stake - free;
        uint256 available = _stakeManager.unlockedOf(cu);
        if (available < shortfall) revert ResultRegistryInsufficientStake(cu, available, shortfall);
        // `reserved + shortfall = pending`, which fits.
        res.reserved = res.pending;
        _reservations[cu] = res;
        emit ReservationChanged(cu, res.reserved, res.pending);

        _stakeManager.lock(cu, shortfall);
    }

    /**
     * @dev `emit CommitmentPosted(id, c.process, c.poster, c, deadline)`, with the data copied in one
     * `mcopy`: a memory commitment is already its own ABI encoding (ten clean words).
     */
    function _emitPosted(bytes32 id, Commitment memory c, uint64 deadline) private {
        bytes32 topic = CommitmentPosted.selector;
        bytes32 process = c.process;
        address poster = c.poster;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mcopy(p, c, 320)
            mstore(add(p, 320), deadline)
            log4(p, 352, topic, id, process, poster)
        }
    }

    /// @dev Returns `stake` from `cu`'s `pending` to the free part of its reservation (nothing unlocked).
    function _giveBack(address cu, uint96 stake) private {
        _reservations[cu].pending -= stake;
    }

    /// @dev Rejects a Pending commitment; called only on a Pending one, so once per commitment.
    function _reject(bytes32 id, Entry storage r, Commitment calldata c, RejectReason reason) private {
        r.status = Status.Rejected;
        _giveBack(c.poster, c.stake);
        emit CommitmentRejected(id, c.process, reason);
    }

    function _requirePending(bytes32 id, Status status) private pure {
        if (status == Status.Pending) return;
        if (status == Status.None) revert ResultRegistryUnknownCommitment(id);
        revert ResultRegistryNotPending(id, status);
    }

    function _setCommitmentStake(uint256 amount) private {
        if (amount == 0 || amount > type(uint96).max) {
            revert ResultRegistryInvalidAmount("commitmentStake", amount, type(uint96).max);
        }
        commitmentStake = amount;
        emit CommitmentStakeSet(amount);
    }

    /// @dev `keccak256(abi.encode(c))` of a memory commitment: a static struct is laid out in memory as
    /// its ABI encoding (ten words, each value cleaned), so the hash is taken in place.
    function _hash(Commitment memory c) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            h := keccak256(c, 320)
        }
    }

    /**
     * @dev `keccak256(abi.encode(c))` of a calldata commitment: a static struct is passed as its ten
     * ABI words, hashed as they are. Content with dirty bits in a narrow field (which `abi.encode`
     * would refuse) hashes to an id no post ever created, so every entry point then refuses it as
     * unknown, and {commitmentId} validates before hashing.
     */
    function _hashCalldata(Commitment calldata c) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, c, 320)
            h := keccak256(p, 320)
        }
    }
}
