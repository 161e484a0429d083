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
 * scheduler to have at least `minSchedulerStake` bonded in the StakeManager, and locks
 * `minSchedulerStake` of it the first time a process names it: one lock per scheduler, whatever the
 * number of its processes. The scheduler leaves with {exitScheduler} (final for the address: it can no
 * longer be named, and no new commitment of its processes can be posted); the lock is released by
 * {releaseSchedulerLock} strictly after `exitAt + unbondingDelay` ({schedulerExitDelay}), when every
 * commitment posted before the exit and every game against one has ended (docs/registries.md).
 *
 * Step limits (docs/registries.md, "The step-limit cap"). A module's `stepLimit` is at most
 * `maxStepLimit`, a governance parameter in `[1, stepLimitCeiling]`; `stepLimitCeiling` is fixed at
 * construction (at most `2^32 − 1`) and is what every `DisputeGame` using this registry checks its
 * `clockExtension` against, so that re-executing a whole message of any process, past or future, fits
 * in half of the game's clock extension (docs/dispute-game.md §9, docs/threat-model.md row 29).
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

    /**
     * @notice A scheduler's lock and exit. `locked` is what the registry holds locked in the StakeManager
     * for it; `exitAt` the block time of its exit (0 while active); `releasableAt` the time strictly
     * after which the lock can be released and equivocation proofs are refused (0 while active).
     */
    struct SchedulerInfo {
        uint128 locked;
        uint64 exitAt;
        uint64 releasableAt;
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
    /// @notice `scheduler` has `unlocked` stake, less than the `needed` the registry must lock to bring
    /// its scheduler lock up to `minSchedulerStake`.
    error ProcessRegistrySchedulerStakeUnavailable(address scheduler, uint256 unlocked, uint256 needed);
    /// @notice `scheduler` exited at `exitAt`: it cannot be named by a new process nor exit again.
    error ProcessRegistrySchedulerExited(address scheduler, uint64 exitAt);
    /// @notice `scheduler` has not exited, so its lock cannot be released.
    error ProcessRegistrySchedulerActive(address scheduler);
    /// @notice `scheduler`'s lock can be released strictly after `releasableAt`, not at `nowTime`.
    error ProcessRegistrySchedulerLockNotReleasable(address scheduler, uint64 releasableAt, uint64 nowTime);
    /// @notice The registry holds nothing locked for `scheduler` (never locked, or already released).
    error ProcessRegistryNothingLocked(address scheduler);
    /// @notice `value` is not a valid `maxStepLimit`: it must be in `[1, max]` (`max` is
    /// `MAX_STEP_LIMIT` at construction, then `stepLimitCeiling`).
    error ProcessRegistryInvalidMaxStepLimit(uint256 value, uint256 max);

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
    /// @notice The largest step limit a module may be registered, or a process spawned, with changed.
    event MaxStepLimitSet(uint64 maxStepLimit);
    /// @notice A spawn locked `amount` more of `scheduler`'s stake; the registry now holds `locked`.
    event SchedulerLocked(address indexed scheduler, uint256 amount, uint256 locked);
    /// @notice `scheduler` exited at `exitAt`; its lock `locked` can be released strictly after
    /// `releasableAt`.
    event SchedulerExited(address indexed scheduler, uint64 exitAt, uint64 releasableAt, uint256 locked);
    /// @notice The registry released its lock of `amount` on `scheduler`'s stake.
    event SchedulerLockReleased(address indexed scheduler, uint256 amount);

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

    function exitScheduler() external;

    function releaseSchedulerLock(address scheduler) external returns (uint256 amount);

    function setMinSchedulerStake(uint256 amount) external;

    function setMaxStepLimit(uint64 limit) external;

    // ─── Views ─────────────────────────────────────────────────────────────────────────────────
    function stakeManager() external view returns (address);

    function minSchedulerStake() external view returns (uint256);

    /// @notice The largest `stepLimit` {registerModule} accepts and {spawn} accepts of a module:
    /// governance's, in `[1, stepLimitCeiling]`.
    function maxStepLimit() external view returns (uint64);

    /// @notice The largest `maxStepLimit` can ever be, fixed at construction: no process of this
    /// registry has a larger step limit. A `DisputeGame` refuses to be deployed against the registry
    /// unless it can re-execute this many steps in half of its `clockExtension`.
    function stepLimitCeiling() external view returns (uint64);

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

    /// @notice What a commitment post checks, in one call: the process's scheduler (zero when the
    /// process does not exist), its freeze (`type(uint64).max` when not frozen) and the scheduler's exit
    /// time (0 while active).
    function postStatus(
        bytes32 process
    ) external view returns (address scheduler, uint64 frozenFrom, uint64 schedulerExitAt);

    function schedulerInfo(address scheduler) external view returns (SchedulerInfo memory);

    /// @notice How long after its exit a scheduler's lock stays: the StakeManager's `unbondingDelay`
    /// (at least `challengeWindow + maxGameDuration`), read at the exit.
    function schedulerExitDelay() external view returns (uint64);
}
