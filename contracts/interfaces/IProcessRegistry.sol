// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAssignments} from "./IAssignments.sol";

/**
 * @title IProcessRegistry
 * @notice The on-chain identity of Holoproof's modules and processes: what integrators trust.
 *
 * @dev A *module* is content: the machine's module root (docs/machine.md §3), the keccak256 of the
 * WebAssembly binary, its Arweave id and its limits. Anyone may register one; registering the same
 * content again returns the same id and changes nothing.
 *
 * A *process* is a module, a scheduler, an initial process-state hash (the `Holo:Process:` hash,
 * docs/machine.md §4), the Arweave id of its `Process` data item and an owner (the spawner). Its id is
 *
 *     keccak256(abi.encode(chainId, registry, moduleId, scheduler, initialStateHash, arweaveId, owner))
 *
 * so that it is unique to one deployment and cannot be squatted by anyone else. Spawning requires the
 * scheduler to have at least `minSchedulerStake` bonded in the StakeManager.
 *
 * Processes also carry the equivocation freeze ({IAssignments}).
 */
interface IProcessRegistry is IAssignments {
    /// @notice A registered module.
    struct Module {
        bytes32 moduleRoot;
        bytes32 wasmHash;
        bytes32 arweaveId;
        uint32 memoryPages;
        uint64 stepLimit;
        uint32 maxMessageBytes;
        address registrant;
        uint64 registeredAt;
    }

    /// @notice A spawned process. `frozen` with `frozenFromSlot` is the equivocation freeze.
    struct Process {
        bytes32 moduleId;
        bytes32 initialStateHash;
        bytes32 arweaveId;
        address scheduler;
        uint64 spawnedAt;
        address owner;
        uint64 frozenFromSlot;
        bool frozen;
    }

    // ─── Errors ────────────────────────────────────────────────────────────────────────────────
    /// @notice The zero address was given for `what`.
    error ProcessRegistryZeroAddress(string what);
    /// @notice The hash or id named `what` is zero.
    error ProcessRegistryZeroHash(string what);
    /// @notice The limit named `what` is `value`, not within `[1, max]`.
    error ProcessRegistryInvalidLimit(string what, uint256 value, uint256 max);
    /// @notice No module has id `moduleId`.
    error ProcessRegistryUnknownModule(bytes32 moduleId);
    /// @notice No process has id `process`.
    error ProcessRegistryUnknownProcess(bytes32 process);
    /// @notice A process with id `process` already exists.
    error ProcessRegistryProcessExists(bytes32 process);
    /// @notice `scheduler` has `bonded` stake, less than the `needed` minimum.
    error ProcessRegistrySchedulerStakeTooLow(address scheduler, uint256 bonded, uint256 needed);

    // ─── Events ────────────────────────────────────────────────────────────────────────────────
    /// @notice `registrant` registered the module `moduleId` (first registration of this content only).
    event ModuleRegistered(
        bytes32 indexed moduleId,
        bytes32 indexed moduleRoot,
        address indexed registrant,
        bytes32 wasmHash,
        bytes32 arweaveId,
        uint32 memoryPages,
        uint64 stepLimit,
        uint32 maxMessageBytes
    );
    /// @notice `owner` spawned `process` of module `moduleId`, scheduled by `scheduler`.
    event ProcessSpawned(
        bytes32 indexed process,
        bytes32 indexed moduleId,
        address indexed scheduler,
        address owner,
        bytes32 initialStateHash,
        bytes32 arweaveId
    );
    /// @notice The minimum bonded stake of a scheduler at spawn changed.
    event MinSchedulerStakeSet(uint256 amount);

    // ─── Functions ─────────────────────────────────────────────────────────────────────────────
    function registerModule(
        bytes32 moduleRoot,
        bytes32 wasmHash,
        bytes32 arweaveId,
        uint32 memoryPages,
        uint64 stepLimit,
        uint32 maxMessageBytes
    ) external returns (bytes32 moduleId);

    function spawn(
        bytes32 moduleId,
        address scheduler,
        bytes32 initialStateHash,
        bytes32 arweaveId
    ) external returns (bytes32 process);

    function setMinSchedulerStake(uint256 amount) external;

    // ─── Views ─────────────────────────────────────────────────────────────────────────────────
    function stakeManager() external view returns (address);

    function minSchedulerStake() external view returns (uint256);

    function computeModuleId(
        bytes32 moduleRoot,
        bytes32 wasmHash,
        bytes32 arweaveId,
        uint32 memoryPages,
        uint64 stepLimit,
        uint32 maxMessageBytes
    ) external pure returns (bytes32);

    function computeProcessId(
        bytes32 moduleId,
        address scheduler,
        bytes32 initialStateHash,
        bytes32 arweaveId,
        address owner
    ) external view returns (bytes32);

    function getModule(bytes32 moduleId) external view returns (Module memory);

    function getProcess(bytes32 process) external view returns (Process memory);

    function moduleExists(bytes32 moduleId) external view returns (bool);

    function processExists(bytes32 process) external view returns (bool);

    function schedulerOf(bytes32 process) external view returns (address);

    /// @notice The process's initial state hash (one storage read, for the dispute game's first point).
    function initialStateOf(bytes32 process) external view returns (bytes32);

    function processStatus(bytes32 process) external view returns (bool exists, uint64 frozenFrom);
}
