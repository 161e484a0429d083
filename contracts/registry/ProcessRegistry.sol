// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {IAssignments} from "../interfaces/IAssignments.sol";
import {IProcessRegistry} from "../interfaces/IProcessRegistry.sol";
import {IStakeManager} from "../interfaces/IStakeManager.sol";
import {AssignmentLib} from "../libraries/AssignmentLib.sol";

/**
 * @title ProcessRegistry
 * @notice Modules, processes and their schedulers; the EIP-712 domain of assignments; the proof of a
 * scheduler's equivocation, which slashes it and freezes the process.
 *
 * @dev Roles: `DEFAULT_ADMIN_ROLE` (governance, two-step transfer after {ADMIN_TRANSFER_DELAY}) sets
 * `minSchedulerStake` and `maxStepLimit`. The registry needs `SLASHER_ROLE` on the StakeManager for
 * equivocation proofs and `LOCKER_ROLE` for the scheduler locks.
 *
 * Equivocation. Two valid signatures of a process's scheduler over different assignments for the same
 * slot slash *all* of the scheduler's slashable stake (`bonded + unbonding`), the reward share going to
 * the prover, and freeze the process from that slot. A later proof for the same process:
 * - at a slot at or after the freeze reverts ({ProcessRegistryAlreadyFrozen}) and changes nothing;
 * - at an earlier slot moves the freeze earlier (the log is ambiguous from the earliest fork on) but
 *   does not slash again: the first proof already took everything the scheduler had.
 * The freeze never undoes a finalized commitment (ResultRegistry): finality is final.
 *
 * The scheduler lock (docs/registries.md). The first spawn naming a scheduler locks `minSchedulerStake`
 * of its stake in the StakeManager (a later spawn tops the lock up if governance raised the minimum):
 * one lock per scheduler, never one per process, so naming a scheduler cannot lock more of its stake.
 * While the lock is held the scheduler cannot withdraw below it, so a proof takes at least the lock
 * (unless another slash took it first). {exitScheduler} (the scheduler, one call) records the exit:
 * no process can name the scheduler again and the ResultRegistry refuses new commitments of its
 * processes ({postStatus}). Strictly after `exitAt + unbondingDelay` (read at the exit), when every
 * commitment posted before the exit and every game against one have ended (`unbondingDelay ≥
 * challengeWindow + maxGameDuration ≥ challengeWindow + DisputeGame.maxDuration()`), anyone may
 * release the lock ({releaseSchedulerLock}), and proofs of the scheduler's equivocations are refused:
 * nothing depends on its signatures any more, and a freeze could only block a late finalization.
 *
 * The step-limit cap (docs/registries.md, docs/threat-model.md row 29). Proving the end step of a
 * message that ran out of steps needs its whole re-execution, which must fit in the game's clock
 * extension. {registerModule} refuses a `stepLimit` above `maxStepLimit` and {spawn} refuses a module
 * whose stored `stepLimit` is above it (registered under an earlier, higher cap). Governance may move
 * `maxStepLimit` down and back up, but never above `stepLimitCeiling`, fixed at construction (its
 * first value): every `DisputeGame` checks its clock against the ceiling, not the current cap, so a
 * game deployed after the cap was lowered still covers the processes spawned before.
 *
 * Storage: a process is kept in five words, with the scheduler and the freeze in one of them, so the
 * ResultRegistry's checks on a post ({postStatus}: the process, its freeze and its scheduler's exit)
 * read two words, the process's and its scheduler's.
 */
contract ProcessRegistry is
    IProcessRegistry,
    AccessControlDefaultAdminRules,
    ReentrancyGuardTransient,
    EIP712
{
    /// @notice Delay of a two-step transfer of the admin role.
    uint48 public constant ADMIN_TRANSFER_DELAY = 2 days;
    /// @notice Ceiling on a module's memory, in 64 KiB pages (the whole 32-bit address space).
    uint32 public constant MAX_MEMORY_PAGES = 65_536;
    /// @notice Ceiling on a module's step limit per message (docs/machine.md §7).
    uint64 public constant MAX_STEP_LIMIT = type(uint32).max;
    /// @notice Ceiling on a message's canonical encoding, in bytes (docs/process-abi.md).
    uint32 public constant MAX_MESSAGE_BYTES = 65_536;
    /// @notice The EIP-712 type hash of `Assignment` (checked against `sdk/ts/assignments.ts` by a test).
    bytes32 public constant ASSIGNMENT_TYPEHASH = AssignmentLib.ASSIGNMENT_TYPEHASH;

    /// @dev A {Process} as stored: the scheduler shares a word with the freeze (what a post reads),
    /// the owner with the spawn time. A spawned process has a non-zero scheduler.
    struct StoredProcess {
        bytes32 moduleId;
        bytes32 initialStateHash;
        bytes32 arweaveId;
        address scheduler;
        uint64 frozenFromSlot;
        bool frozen;
        address owner;
        uint64 spawnedAt;
    }

    IStakeManager private immutable _stakeManager;

    /// @inheritdoc IProcessRegistry
    uint64 public immutable stepLimitCeiling;

    /// @inheritdoc IProcessRegistry
    uint256 public minSchedulerStake;

    /// @inheritdoc IProcessRegistry
    uint64 public maxStepLimit;

    mapping(bytes32 moduleId => Module) private _modules;
    mapping(bytes32 process => StoredProcess) private _processes;
    mapping(address scheduler => SchedulerInfo) private _schedulers;

    /**
     * @param stakeManager_ the StakeManager holding the schedulers' stake (must be a contract).
     * @param admin the governance account (DEFAULT_ADMIN_ROLE).
     * @param minSchedulerStake_ the least bonded stake a scheduler needs to be named at spawn.
     * @param maxStepLimit_ the first `maxStepLimit` and, for good, `stepLimitCeiling`: in
     * `[1, MAX_STEP_LIMIT]` ({ProcessRegistryInvalidMaxStepLimit}).
     */
    constructor(
        address stakeManager_,
        address admin,
        uint256 minSchedulerStake_,
        uint64 maxStepLimit_
    ) AccessControlDefaultAdminRules(ADMIN_TRANSFER_DELAY, admin) EIP712("Holoproof", "1") {
        if (stakeManager_.code.length == 0) revert ProcessRegistryZeroAddress("stakeManager");
        if (maxStepLimit_ == 0 || maxStepLimit_ > MAX_STEP_LIMIT) {
            revert ProcessRegistryInvalidMaxStepLimit(maxStepLimit_, MAX_STEP_LIMIT);
        }
        _stakeManager = IStakeManager(stakeManager_);
        stepLimitCeiling = maxStepLimit_;
        _setMinSchedulerStake(minSchedulerStake_);
        maxStepLimit = maxStepLimit_;
        emit MaxStepLimitSet(maxStepLimit_);
    }

    // ─── Modules and processes ─────────────────────────────────────────────────────────────────

    /**
     * @notice Registers a module (anyone may) and returns its id. Idempotent: the same content returns
     * the same id, keeps the first registrant and emits nothing.
     * @dev Requirements: `moduleRoot`, `wasmHash`, `arweaveId` non-zero; `memoryPages` in
     * `[1, MAX_MEMORY_PAGES]`, `stepLimit` in `[1, maxStepLimit]` (governance's cap, at most
     * `MAX_STEP_LIMIT`), `maxMessageBytes` in `[1, MAX_MESSAGE_BYTES]`.
     */
    function registerModule(
        bytes32 moduleRoot,
        bytes32 wasmHash,
        bytes32 arweaveId,
        uint32 memoryPages,
        uint64 stepLimit,
        uint32 maxMessageBytes
    ) external nonReentrant returns (bytes32 id) {
        if (moduleRoot == bytes32(0)) revert ProcessRegistryZeroHash("moduleRoot");
        if (wasmHash == bytes32(0)) revert ProcessRegistryZeroHash("wasmHash");
        if (arweaveId == bytes32(0)) revert ProcessRegistryZeroHash("arweaveId");
        _checkLimit("memoryPages", memoryPages, MAX_MEMORY_PAGES);
        _checkLimit("stepLimit", stepLimit, maxStepLimit);
        _checkLimit("maxMessageBytes", maxMessageBytes, MAX_MESSAGE_BYTES);

        id = computeModuleId(moduleRoot, wasmHash, arweaveId, memoryPages, stepLimit, maxMessageBytes);
        if (_modules[id].registeredAt != 0) return id;
        _modules[id] = Module({
            moduleRoot: moduleRoot,
            wasmHash: wasmHash,
            arweaveId: arweaveId,
            memoryPages: memoryPages,
            stepLimit: stepLimit,
            maxMessageBytes: maxMessageBytes,
            registrant: msg.sender,
            registeredAt: uint64(block.timestamp)
        });
        emit ModuleRegistered(
            id,
            moduleRoot,
            msg.sender,
            wasmHash,
            arweaveId,
            memoryPages,
            stepLimit,
            maxMessageBytes
        );
    }

    /**
     * @notice Spawns a process of module `moduleId_` scheduled by `scheduler`, owned by the caller. When
     * the registry holds less than `minSchedulerStake` of the scheduler's stake locked (its first
     * process), it locks the difference: one lock per scheduler, however many processes name it.
     * @dev Requirements: the module exists and its `stepLimit` is at most `maxStepLimit` (a module
     * registered under an earlier, higher cap cannot spawn); `scheduler` non-zero, not exited, with at
     * least `minSchedulerStake` bonded and, when its lock must grow, the difference unlocked;
     * `initialStateHash` and `arweaveId` non-zero; the caller has not spawned the same process.
     */
    function spawn(
        bytes32 moduleId_,
        address scheduler,
        bytes32 initialStateHash,
        bytes32 arweaveId
    ) external nonReentrant returns (bytes32 process) {
        Module storage m = _modules[moduleId_];
        if (m.registeredAt == 0) revert ProcessRegistryUnknownModule(moduleId_);
        _checkLimit("stepLimit", m.stepLimit, maxStepLimit);
        if (scheduler == address(0)) revert ProcessRegistryZeroAddress("scheduler");
        if (initialStateHash == bytes32(0)) revert ProcessRegistryZeroHash("initialStateHash");
        if (arweaveId == bytes32(0)) revert ProcessRegistryZeroHash("arweaveId");
        SchedulerInfo memory info = _schedulers[scheduler];
        if (info.exitAt != 0) revert ProcessRegistrySchedulerExited(scheduler, info.exitAt);
        uint256 minStake = minSchedulerStake;
        uint256 bonded = _stakeManager.bondedOf(scheduler);
        if (bonded < minStake) revert ProcessRegistrySchedulerStakeTooLow(scheduler, bonded, minStake);
        uint256 shortfall;
        if (info.locked < minStake) {
            shortfall = minStake - info.locked;
            uint256 unlocked = _stakeManager.unlockedOf(scheduler);
            if (unlocked < shortfall)
                revert ProcessRegistrySchedulerStakeUnavailable(scheduler, unlocked, shortfall);
        }

        process = computeProcessId(moduleId_, scheduler, initialStateHash, arweaveId, msg.sender);
        if (_processes[process].scheduler != address(0)) revert ProcessRegistryProcessExists(process);
        _processes[process] = StoredProcess({
            moduleId: moduleId_,
            initialStateHash: initialStateHash,
            arweaveId: arweaveId,
            scheduler: scheduler,
            frozenFromSlot: 0,
            frozen: false,
            owner: msg.sender,
            spawnedAt: uint64(block.timestamp)
        });
        emit ProcessSpawned(process, moduleId_, scheduler, msg.sender, initialStateHash, arweaveId);
        if (shortfall != 0) {
            // `minStake ≤ bonded < 2^128` (the StakeManager's packed width).
            _schedulers[scheduler].locked = uint128(minStake);
            emit SchedulerLocked(scheduler, shortfall, minStake);
            _stakeManager.lock(scheduler, shortfall);
        }
    }

    // ─── Scheduler exit ────────────────────────────────────────────────────────────────────────

    /**
     * @notice The caller stops being a scheduler, for good: no new process can name it, and no new
     * commitment of its processes can be posted (ResultRegistry). Commitments posted before run their
     * windows and games; the lock is released by {releaseSchedulerLock} strictly after `releasableAt`
     * = now + the StakeManager's `unbondingDelay` (fixed now). One call, whatever the number of
     * processes. Requirements: the caller has not exited before.
     */
    function exitScheduler() external nonReentrant {
        SchedulerInfo storage info = _schedulers[msg.sender];
        uint64 exitAt = info.exitAt;
        if (exitAt != 0) revert ProcessRegistrySchedulerExited(msg.sender, exitAt);
        exitAt = uint64(block.timestamp);
        // Both are far below 2^63 (the delay is at most 365 days).
        uint64 releasableAt = exitAt + _stakeManager.unbondingDelay();
        info.exitAt = exitAt;
        info.releasableAt = releasableAt;
        emit SchedulerExited(msg.sender, exitAt, releasableAt, info.locked);
    }

    /**
     * @notice Releases the registry's lock on an exited scheduler's stake once its exit delay has
     * passed. Anyone may call it.
     * @dev Requirements: `scheduler` exited; `block.timestamp > releasableAt`; something is locked.
     * @return amount what was unlocked.
     */
    function releaseSchedulerLock(address scheduler) external nonReentrant returns (uint256 amount) {
        SchedulerInfo storage info = _schedulers[scheduler];
        if (info.exitAt == 0) revert ProcessRegistrySchedulerActive(scheduler);
        uint64 releasableAt = info.releasableAt;
        if (block.timestamp <= releasableAt) {
            revert ProcessRegistrySchedulerLockNotReleasable(
                scheduler,
                releasableAt,
                uint64(block.timestamp)
            );
        }
        amount = info.locked;
        if (amount == 0) revert ProcessRegistryNothingLocked(scheduler);

        info.locked = 0;
        emit SchedulerLockReleased(scheduler, amount);
        _stakeManager.unlock(scheduler, amount);
    }

    // ─── Equivocation ──────────────────────────────────────────────────────────────────────────

    /**
     * @notice Proves that the scheduler of `a.process` signed two different assignments for the same
     * slot: slashes all its slashable stake (reward to the caller, per the StakeManager's split) on the
     * first proof for the process, and freezes the process from `a.slot`.
     * @dev Requirements: same process, which exists; same slot; different assignment hashes; both
     * signatures by the process's scheduler; the scheduler's exit delay (if it exited) not over; the
     * process not already frozen at or before the slot.
     */
    function proveEquivocation(
        Assignment calldata a,
        bytes calldata signatureA,
        Assignment calldata b,
        bytes calldata signatureB
    ) external nonReentrant returns (uint256 slashed) {
        if (a.process != b.process) revert ProcessRegistryProcessMismatch(a.process, b.process);
        if (a.slot != b.slot) revert ProcessRegistrySlotMismatch(a.slot, b.slot);
        StoredProcess storage p = _processes[a.process];
        address scheduler = p.scheduler;
        if (scheduler == address(0)) revert ProcessRegistryUnknownProcess(a.process);
        bytes32 hashA = assignmentHash(a);
        bytes32 hashB = assignmentHash(b);
        if (hashA == hashB) revert ProcessRegistrySameAssignment(hashA);
        _checkSigner(hashA, signatureA, scheduler);
        _checkSigner(hashB, signatureB, scheduler);
        _checkEvidenceWindow(scheduler);
        bool wasFrozen = p.frozen;
        if (wasFrozen && a.slot >= p.frozenFromSlot) {
            revert ProcessRegistryAlreadyFrozen(a.process, p.frozenFromSlot, a.slot);
        }

        p.frozen = true;
        p.frozenFromSlot = a.slot;
        emit ProcessFrozen(a.process, a.slot);
        if (!wasFrozen) {
            slashed = _stakeManager.slash(scheduler, type(uint256).max, msg.sender);
        }
        emit EquivocationProven(a.process, scheduler, msg.sender, a.slot, hashA, hashB, slashed);
    }

    // ─── Governance ────────────────────────────────────────────────────────────────────────────

    /**
     * @notice Sets the least bonded stake a scheduler needs at spawn (zero allows any scheduler).
     * Processes already spawned are not affected. Requirements: the caller has DEFAULT_ADMIN_ROLE.
     */
    function setMinSchedulerStake(uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMinSchedulerStake(amount);
    }

    /**
     * @notice Sets the largest step limit of a newly registered module and of a newly spawned process's
     * module. Lowering it stops modules above it from spawning; processes already spawned keep their
     * module's limit, and stay covered by every game because games check `stepLimitCeiling`.
     * Requirements: the caller has DEFAULT_ADMIN_ROLE; `limit` in `[1, stepLimitCeiling]`
     * ({ProcessRegistryInvalidMaxStepLimit}).
     */
    function setMaxStepLimit(uint64 limit) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint64 ceiling = stepLimitCeiling;
        if (limit == 0 || limit > ceiling) revert ProcessRegistryInvalidMaxStepLimit(limit, ceiling);
        maxStepLimit = limit;
        emit MaxStepLimitSet(limit);
    }

    // ─── Views ─────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IProcessRegistry
    function stakeManager() external view returns (address) {
        return address(_stakeManager);
    }

    /// @notice The module id of the given content: keccak256 of its ABI encoding.
    function computeModuleId(
        bytes32 moduleRoot,
        bytes32 wasmHash,
        bytes32 arweaveId,
        uint32 memoryPages,
        uint64 stepLimit,
        uint32 maxMessageBytes
    ) public pure returns (bytes32) {
        return
            keccak256(abi.encode(moduleRoot, wasmHash, arweaveId, memoryPages, stepLimit, maxMessageBytes));
    }

    /// @notice The id of a process: unique to this chain, this registry and its owner.
    function computeProcessId(
        bytes32 moduleId_,
        address scheduler,
        bytes32 initialStateHash,
        bytes32 arweaveId,
        address owner
    ) public view returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    block.chainid,
                    address(this),
                    moduleId_,
                    scheduler,
                    initialStateHash,
                    arweaveId,
                    owner
                )
            );
    }

    /// @inheritdoc IProcessRegistry
    function getModule(bytes32 moduleId_) external view returns (Module memory m) {
        m = _modules[moduleId_];
        if (m.registeredAt == 0) revert ProcessRegistryUnknownModule(moduleId_);
    }

    /// @inheritdoc IProcessRegistry
    function getProcess(bytes32 process) external view returns (Process memory) {
        StoredProcess storage p = _processes[process];
        if (p.scheduler == address(0)) revert ProcessRegistryUnknownProcess(process);
        return
            Process({
                moduleId: p.moduleId,
                initialStateHash: p.initialStateHash,
                arweaveId: p.arweaveId,
                scheduler: p.scheduler,
                spawnedAt: p.spawnedAt,
                owner: p.owner,
                frozenFromSlot: p.frozenFromSlot,
                frozen: p.frozen
            });
    }

    /// @inheritdoc IProcessRegistry
    function moduleExists(bytes32 moduleId_) external view returns (bool) {
        return _modules[moduleId_].registeredAt != 0;
    }

    /// @inheritdoc IProcessRegistry
    function processExists(bytes32 process) external view returns (bool) {
        return _processes[process].scheduler != address(0);
    }

    /// @inheritdoc IProcessRegistry
    function schedulerOf(bytes32 process) external view returns (address scheduler) {
        scheduler = _processes[process].scheduler;
        if (scheduler == address(0)) revert ProcessRegistryUnknownProcess(process);
    }

    /// @inheritdoc IProcessRegistry
    function initialStateOf(bytes32 process) external view returns (bytes32 stateHash) {
        stateHash = _processes[process].initialStateHash;
        if (stateHash == bytes32(0)) revert ProcessRegistryUnknownProcess(process);
    }

    /**
     * @notice Whether `process` exists, and the first slot no commitment may cover
     * (`type(uint64).max` when not frozen). One call for the ResultRegistry's checks.
     */
    function processStatus(bytes32 process) external view returns (bool exists, uint64 frozenFrom) {
        StoredProcess storage p = _processes[process];
        return (p.scheduler != address(0), p.frozen ? p.frozenFromSlot : type(uint64).max);
    }

    /// @inheritdoc IProcessRegistry
    function postStatus(
        bytes32 process
    ) external view returns (address scheduler, uint64 frozenFrom, uint64 schedulerExitAt) {
        StoredProcess storage p = _processes[process];
        scheduler = p.scheduler;
        frozenFrom = p.frozen ? p.frozenFromSlot : type(uint64).max;
        if (scheduler != address(0)) schedulerExitAt = _schedulers[scheduler].exitAt;
    }

    /// @inheritdoc IProcessRegistry
    function schedulerInfo(address scheduler) external view returns (SchedulerInfo memory) {
        return _schedulers[scheduler];
    }

    /// @inheritdoc IProcessRegistry
    function schedulerExitDelay() external view returns (uint64) {
        return _stakeManager.unbondingDelay();
    }

    /**
     * @notice The first slot of `process` that no commitment may cover, `type(uint64).max` when the
     * process is not frozen. Requirements: the process exists.
     */
    function frozenFromSlot(bytes32 process) external view returns (uint64) {
        StoredProcess storage p = _processes[process];
        if (p.scheduler == address(0)) revert ProcessRegistryUnknownProcess(process);
        return p.frozen ? p.frozenFromSlot : type(uint64).max;
    }

    /// @inheritdoc IAssignments
    function isFrozen(bytes32 process) external view returns (bool) {
        return _processes[process].frozen;
    }

    /// @notice The assignment hash of `a`: the EIP-712 digest its scheduler signs under this domain.
    function assignmentHash(Assignment calldata a) public view returns (bytes32) {
        return _hashTypedDataV4(AssignmentLib.hash(a));
    }

    /// @notice The signer of `signature` over `a` (zero when the signature is malformed).
    function assignmentSigner(
        Assignment calldata a,
        bytes calldata signature
    ) external view returns (address) {
        (address signer, , ) = ECDSA.tryRecover(assignmentHash(a), signature);
        return signer;
    }

    // ─── Internals ─────────────────────────────────────────────────────────────────────────────

    function _checkSigner(bytes32 digest, bytes calldata signature, address scheduler) private pure {
        (address signer, , ) = ECDSA.tryRecover(digest, signature);
        if (signer != scheduler) revert ProcessRegistryInvalidSignature(digest, signer, scheduler);
    }

    /// @dev Refuses evidence against a scheduler whose exit delay is over (docs/registries.md).
    function _checkEvidenceWindow(address scheduler) private view {
        SchedulerInfo storage info = _schedulers[scheduler];
        if (info.exitAt != 0 && block.timestamp > info.releasableAt) {
            revert ProcessRegistryExitDelayElapsed(scheduler, info.releasableAt, uint64(block.timestamp));
        }
    }

    function _checkLimit(string memory what, uint256 value, uint256 max) private pure {
        if (value == 0 || value > max) revert ProcessRegistryInvalidLimit(what, value, max);
    }

    function _setMinSchedulerStake(uint256 amount) private {
        minSchedulerStake = amount;
        emit MinSchedulerStakeSet(amount);
    }
}
