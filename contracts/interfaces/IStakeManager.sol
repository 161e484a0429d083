// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @title IStakeManager
 * @notice The operators' stake: ERC-20 bonds that back every obligation a node operator takes on
 * (a pending result commitment, an open dispute game, a scheduler's signatures).
 *
 * @dev Per operator, the stake is split into three buckets:
 *
 *   ┌──────────────────────── slashable ─────────────────────────┐
 *   │          bonded                     │      unbonding       │
 *   │  locked (obligations) │   unlocked  │ (waits `readyAt`)    │
 *   └─────────────────────────────────────────────────────────────┘
 *
 * - `bonded` is active stake. `locked` is the part of it that authorized contracts (LOCKER_ROLE)
 *   hold for open obligations; only the unlocked part can be unbonded.
 * - `unbonding` left `bonded` through {requestUnbond} and can be withdrawn once `readyAt` is reached.
 *   It stays slashable until withdrawn, so an operator can never escape a slash by unbonding first.
 * - `payouts` are slash proceeds owed to beneficiaries and to the treasury (or to the burn), paid
 *   by pull ({claimPayout}, {flushBurn}) so that no failing receiver can block a slash.
 *
 * Invariant (checked by the stateful model test): the contract's token balance is at least
 * `totalBonded + totalUnbonding + totalPayouts`, with equality for tokens without rebasing.
 */
interface IStakeManager {
    /// @notice Snapshot of one operator's stake.
    struct StakeInfo {
        uint256 bonded;
        uint256 locked;
        uint256 unbonding;
        uint64 unbondReadyAt;
    }

    // ─── Errors ────────────────────────────────────────────────────────────────────────────────
    /// @notice An amount of zero was given where a positive amount is required.
    error StakeManagerZeroAmount();
    /// @notice The zero address was given for `what` (e.g. "operator", "to", "admin").
    error StakeManagerZeroAddress(string what);
    /// @notice `token` has no code and cannot be the stake token.
    error StakeManagerInvalidToken(address token);
    /// @notice `operator` has `available` unlocked bonded stake, less than `needed`.
    error StakeManagerInsufficientUnlocked(address operator, uint256 available, uint256 needed);
    /// @notice `operator`'s bonded stake would become `amount`, above the largest one held, `max` (2^128 − 1).
    error StakeManagerStakeTooLarge(address operator, uint256 amount, uint256 max);
    /// @notice `operator` has `available` unbonding stake, less than `needed`.
    error StakeManagerInsufficientUnbonding(address operator, uint256 available, uint256 needed);
    /// @notice `operator` has nothing unbonding to withdraw.
    error StakeManagerNothingToWithdraw(address operator);
    /// @notice `operator`'s unbonding stake is withdrawable at `readyAt`, after `nowTime`.
    error StakeManagerUnbondingNotReady(address operator, uint64 readyAt, uint64 nowTime);
    /// @notice `locker` holds only `locked` of `operator`'s stake, less than the `needed` it tried to unlock.
    error StakeManagerUnlockExceedsLock(address locker, address operator, uint256 locked, uint256 needed);
    /// @notice The unbonding delay `delay` is below the floor `floor` = challenge window + longest game.
    error StakeManagerUnbondingDelayBelowFloor(uint64 delay, uint64 floor);
    /// @notice The unbonding delay `delay` is above the ceiling `max`.
    error StakeManagerUnbondingDelayTooLong(uint64 delay, uint64 max);
    /// @notice The time parameter named `what` is zero or above its ceiling `max`.
    error StakeManagerInvalidDisputeTime(string what, uint64 value, uint64 max);
    /// @notice The slash reward share `bps` is not below 10,000 (some of every slash must be burned or
    /// sent to the treasury, so that challenging oneself is never free).
    error StakeManagerInvalidRewardShare(uint16 bps);
    /// @notice `account` has no payout to claim.
    error StakeManagerNothingToClaim(address account);
    /// @notice A transfer of `sent` tokens credited nothing to the contract (a token whose fee takes it all).
    error StakeManagerNothingReceived(uint256 sent);

    // ─── Events ────────────────────────────────────────────────────────────────────────────────
    /// @notice `funder` bonded `amount` (as received, after any transfer fee) for `operator`.
    event Bonded(address indexed operator, address indexed funder, uint256 amount, uint256 bonded);
    /// @notice `operator` moved `amount` from bonded to unbonding; all of it is withdrawable at `readyAt`.
    event UnbondRequested(address indexed operator, uint256 amount, uint256 unbonding, uint64 readyAt);
    /// @notice `operator` moved `amount` from unbonding back to bonded.
    event Rebonded(address indexed operator, uint256 amount, uint256 bonded);
    /// @notice `operator` withdrew `amount` of unbonded stake to `to`.
    event Withdrawn(address indexed operator, address indexed to, uint256 amount);
    /// @notice `locker` locked `amount` of `operator`'s bonded stake for an obligation.
    event StakeLocked(address indexed locker, address indexed operator, uint256 amount, uint256 locked);
    /// @notice `locker` released `amount` of `operator`'s locked stake.
    event StakeUnlocked(address indexed locker, address indexed operator, uint256 amount, uint256 locked);
    /// @notice `slasher` took `amount` of `operator`'s stake: `reward` owed to `beneficiary`, `remainder`
    /// owed to `treasury` (the burn address when no treasury is set).
    event Slashed(
        address indexed operator,
        address indexed slasher,
        address indexed beneficiary,
        uint256 amount,
        uint256 reward,
        address treasury,
        uint256 remainder
    );
    /// @notice `account` claimed `amount` of payouts to `to`.
    event PayoutClaimed(address indexed account, address indexed to, uint256 amount);
    /// @notice The challenge window, the longest game duration and the unbonding delay changed.
    event TimesSet(uint64 challengeWindow, uint64 maxGameDuration, uint64 unbondingDelay);
    /// @notice The treasury changed (zero means the remainder of each slash is burned).
    event TreasurySet(address treasury);
    /// @notice The beneficiary's share of each slash changed.
    event SlashRewardShareSet(uint16 bps);

    // ─── Operators ─────────────────────────────────────────────────────────────────────────────
    function bond(uint256 amount) external;

    function bondFor(address operator, uint256 amount) external;

    function requestUnbond(uint256 amount) external;

    function rebond(uint256 amount) external;

    function withdraw(address to) external returns (uint256 amount);

    function claimPayout(address to) external returns (uint256 amount);

    function flushBurn() external returns (uint256 amount);

    // ─── Authorized contracts ──────────────────────────────────────────────────────────────────
    function lock(address operator, uint256 amount) external;

    function unlock(address operator, uint256 amount) external;

    function slash(address operator, uint256 amount, address beneficiary) external returns (uint256 taken);

    // ─── Views ─────────────────────────────────────────────────────────────────────────────────
    function stakeOf(address operator) external view returns (StakeInfo memory);

    function bondedOf(address operator) external view returns (uint256);

    function lockedOf(address operator) external view returns (uint256);

    function lockedBy(address locker, address operator) external view returns (uint256);

    function unlockedOf(address operator) external view returns (uint256);

    function unbondingOf(address operator) external view returns (uint256 amount, uint64 readyAt);

    function slashableOf(address operator) external view returns (uint256);

    function payoutOf(address account) external view returns (uint256);

    function unbondingFloor() external view returns (uint64);

    function stakeToken() external view returns (address);

    function challengeWindow() external view returns (uint64);

    function maxGameDuration() external view returns (uint64);

    function unbondingDelay() external view returns (uint64);

    function treasury() external view returns (address);

    function slashRewardBps() external view returns (uint16);

    function totalBonded() external view returns (uint256);

    function totalUnbonding() external view returns (uint256);

    function totalPayouts() external view returns (uint256);
}
