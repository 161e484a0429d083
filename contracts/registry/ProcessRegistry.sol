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
 * `minSchedulerStake`. The registry needs `SLASHER_ROLE` on the StakeManager for equivocation proofs.
 *
 * Equivocation. Two valid signatures of a process's scheduler over different assignments for the same
 * slot slash *all* of the scheduler's slashable stake (`bonded + unbonding`), the reward share going to
 * the prover, and freeze the process from that slot. A later proof for the same process:
 * - at a slot at or after the freeze reverts ({ProcessRegistryAlreadyFrozen}) and changes nothing;
 * - at an earlier slot moves the freeze earlier (the log is ambiguous from the earliest fork on) but
 *   does not slash again: the first proof already took everything the scheduler had.
 * The freeze never undoes a finalized commitment (ResultRegistry): finality is final.
 *
 * The scheduler's stake is checked at spawn only; it backs every process it schedules, and whatever is
 * left of it (unbonding included, which stays slashable for `unbondingDelay`) is what a proof takes.
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

    IStakeManager private immutable _stakeManager;

    /// @inheritdoc IProcessRegistry
    uint256 public minSchedulerStake;

    mapping(bytes32 moduleId => Module) private _modules;
    mapping(bytes32 process => Process) private _processes;

    /**
     * @param stakeManager_ the StakeManager holding the schedulers' stake (must be a contract).
     * @param admin the governance account (DEFAULT_ADMIN_ROLE).
     * @param minSchedulerStake_ the least bonded stake a scheduler needs to be named at spawn.
     */
    constructor(
        address stakeManager_,
        address admin,
        uint256 minSchedulerStake_
    ) AccessControlDefaultAdminRules(ADMIN_TRANSFER_DELAY, admin) EIP712("Holoproof", "1") {
        if (stakeManager_.code.length == 0) revert ProcessRegistryZeroAddress("stakeManager");
        _stakeManager = IStakeManager(stakeManager_);
        _setMinSchedulerStake(minSchedulerStake_);
    }

    // ─── Modules and processes ─────────────────────────────────────────────────────────────────

    /**
     * @notice Registers a module (anyone may) and returns its id. Idempotent: the same content returns
     * the same id, keeps the first registrant and emits nothing.
     * @dev Requirements: `moduleRoot`, `wasmHash`, `arweaveId` non-zero; `memoryPages` in
     * `[1, MAX_MEMORY_PAGES]`, `stepLimit` in `[1, MAX_STEP_LIMIT]`, `maxMessageBytes` in
     * `[1, MAX_MESSAGE_BYTES]`.
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
        _checkLimit("stepLimit", stepLimit, MAX_STEP_LIMIT);
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
     * @notice Spawns a process of module `moduleId_` scheduled by `scheduler`, owned by the caller.
     * @dev Requirements: the module exists; `scheduler` non-zero with at least `minSchedulerStake`
     * bonded; `initialStateHash` and `arweaveId` non-zero; the caller has not spawned the same process.
     */
    function spawn(
        bytes32 moduleId_,
        address scheduler,
        bytes32 initialStateHash,
        bytes32 arweaveId
    ) external nonReentrant returns (bytes32 process) {
        if (_modules[moduleId_].registeredAt == 0) revert ProcessRegistryUnknownModule(moduleId_);
        if (scheduler == address(0)) revert ProcessRegistryZeroAddress("scheduler");
        if (initialStateHash == bytes32(0)) revert ProcessRegistryZeroHash("initialStateHash");
        if (arweaveId == bytes32(0)) revert ProcessRegistryZeroHash("arweaveId");
        uint256 bonded = _stakeManager.bondedOf(scheduler);
        if (bonded < minSchedulerStake) {
            revert ProcessRegistrySchedulerStakeTooLow(scheduler, bonded, minSchedulerStake);
        }

        process = computeProcessId(moduleId_, scheduler, initialStateHash, arweaveId, msg.sender);
        if (_processes[process].spawnedAt != 0) revert ProcessRegistryProcessExists(process);
        _processes[process] = Process({
            moduleId: moduleId_,
            initialStateHash: initialStateHash,
            arweaveId: arweaveId,
            scheduler: scheduler,
            spawnedAt: uint64(block.timestamp),
            owner: msg.sender,
            frozenFromSlot: 0,
            frozen: false
        });
        emit ProcessSpawned(process, moduleId_, scheduler, msg.sender, initialStateHash, arweaveId);
    }

    // ─── Equivocation ──────────────────────────────────────────────────────────────────────────

    /**
     * @notice Proves that the scheduler of `a.process` signed two different assignments for the same
     * slot: slashes all its slashable stake (reward to the caller, per the StakeManager's split) on the
     * first proof for the process, and freezes the process from `a.slot`.
     * @dev Requirements: same process, which exists; same slot; different assignment hashes; both
     * signatures by the process's scheduler; the process not already frozen at or before the slot.
     */
    function proveEquivocation(
        Assignment calldata a,
        bytes calldata signatureA,
        Assignment calldata b,
        bytes calldata signatureB
    ) external nonReentrant returns (uint256 slashed) {
        if (a.process != b.process) revert ProcessRegistryProcessMismatch(a.process, b.process);
        if (a.slot != b.slot) revert ProcessRegistrySlotMismatch(a.slot, b.slot);
        Process storage p = _processes[a.process];
        if (p.spawnedAt == 0) revert ProcessRegistryUnknownProcess(a.process);
        bytes32 hashA = assignmentHash(a);
        bytes32 hashB = assignmentHash(b);
        if (hashA == hashB) revert ProcessRegistrySameAssignment(hashA);
        address scheduler = p.scheduler;
        _checkSigner(hashA, signatureA, scheduler);
        _checkSigner(hashB, signatureB, scheduler);
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
    function getProcess(bytes32 process) external view returns (Process memory p) {
        p = _processes[process];
        if (p.spawnedAt == 0) revert ProcessRegistryUnknownProcess(process);
    }

    /// @inheritdoc IProcessRegistry
    function moduleExists(bytes32 moduleId_) external view returns (bool) {
        return _modules[moduleId_].registeredAt != 0;
    }

    /// @inheritdoc IProcessRegistry
    function processExists(bytes32 process) external view returns (bool) {
        return _processes[process].spawnedAt != 0;
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
        Process storage p = _processes[process];
        return (p.spawnedAt != 0, p.frozen ? p.frozenFromSlot : type(uint64).max);
    }

    /**
     * @notice The first slot of `process` that no commitment may cover, `type(uint64).max` when the
     * process is not frozen. Requirements: the process exists.
     */
    function frozenFromSlot(bytes32 process) external view returns (uint64) {
        Process storage p = _processes[process];
        if (p.spawnedAt == 0) revert ProcessRegistryUnknownProcess(process);
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

    function _checkLimit(string memory what, uint256 value, uint256 max) private pure {
        if (value == 0 || value > max) revert ProcessRegistryInvalidLimit(what, value, max);
    }

    function _setMinSchedulerStake(uint256 amount) private {
        minSchedulerStake = amount;
        emit MinSchedulerStakeSet(amount);
    }
}
