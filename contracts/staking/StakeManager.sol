// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IStakeManager} from "../interfaces/IStakeManager.sol";

/**
 * @title StakeManager
 * @notice Holds the ERC-20 stake of Holoproof's node operators (schedulers and compute units), lets
 * authorized contracts lock it for obligations and slash it, and pays slash proceeds by pull.
 *
 * @dev Roles:
 * - `DEFAULT_ADMIN_ROLE` (governance, transferred in two steps after {ADMIN_TRANSFER_DELAY}): sets the
 *   time parameters, the treasury and the reward share, and grants the other roles.
 * - `PAUSER_ROLE`: pauses new bonds only. Nothing an honest operator needs — unbonding, withdrawing
 *   unlocked stake, claiming payouts, and every lock, unlock and slash a dispute needs to defend
 *   itself — can be paused.
 * - `LOCKER_ROLE`: contracts that lock stake for obligations (the result registry, the dispute game).
 *   A locker can only release what it locked itself, and can always release it, even after its role
 *   is revoked.
 * - `SLASHER_ROLE`: contracts that slash (the dispute game, the equivocation check).
 *
 * The unbonding floor. Every obligation an operator takes on is challengeable for `challengeWindow`
 * after it is taken, and a dispute opened at the last moment of that window resolves (and slashes)
 * at most `maxGameDuration` later. An operator who requests an unbond at time `t` can have taken an
 * obligation at `t` at the latest, so the last slash it can owe lands by `t + challengeWindow +
 * maxGameDuration`. Unbonding stake stays slashable until withdrawn and can be withdrawn only strictly
 * after `t + unbondingDelay`, so requiring
 *
 *     unbondingDelay >= challengeWindow + maxGameDuration            (the floor)
 *
 * means every slash an operator owes lands before it can withdraw. A new request resets the whole
 * unbonding amount's `readyAt` to `now + unbondingDelay`, so the bound holds for every token.
 * The floor is enforced at deployment and by {setTimes}, which changes the three values atomically.
 *
 * Slashing order: unbonding stake first, then bonded stake, so that as much as possible of the
 * backing of the operator's other open obligations survives. A slash never takes more than
 * `bonded + unbonding`. Locks are obligations, not segregated funds: a slash may leave `locked`
 * above `bonded`, in which case nothing can be unbonded until the lockers release their locks.
 *
 * Tokens: the amount credited on a bond is what the contract actually received, so a token that takes
 * a fee on transfer is accounted for; a token whose fee takes everything is refused. Every external
 * mutating function is `nonReentrant`, so a token with transfer hooks cannot re-enter. Proceeds of a
 * slash are owed, not pushed: a reverting or blacklisted receiver can never block a slash.
 */
contract StakeManager is IStakeManager, AccessControlDefaultAdminRules, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Role that may pause and unpause new bonds.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @notice Role of the contracts that lock stake for obligations.
    bytes32 public constant LOCKER_ROLE = keccak256("LOCKER_ROLE");
    /// @notice Role of the contracts that slash stake.
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");

    /// @notice Where the burned share of slashes goes when no treasury is set.
    address public constant BURN_ADDRESS = 0x000000000000000000000000000000000000dEaD;
    /// @notice Basis points in one whole.
    uint16 public constant BPS = 10_000;
    /// @notice Delay of a two-step transfer of the admin role.
    uint48 public constant ADMIN_TRANSFER_DELAY = 2 days;
    /// @notice Ceiling on the challenge window and on the longest game.
    uint64 public constant MAX_DISPUTE_TIME = 90 days;
    /// @notice Ceiling on the unbonding delay, so that governance can never trap stake for good.
    uint64 public constant MAX_UNBONDING_DELAY = 365 days;

    /// @dev Two words: `bonded` and `locked` share one, so a first lock writes no fresh slot.
    struct Stake {
        uint128 bonded;
        uint128 locked;
        uint192 unbonding;
        uint64 unbondReadyAt;
    }

    IERC20 private immutable _token;

    /// @inheritdoc IStakeManager
    uint64 public challengeWindow;
    /// @inheritdoc IStakeManager
    uint64 public maxGameDuration;
    /// @inheritdoc IStakeManager
    uint64 public unbondingDelay;
    /// @inheritdoc IStakeManager
    uint16 public slashRewardBps;
    /// @inheritdoc IStakeManager
    address public treasury;

    /// @inheritdoc IStakeManager
    uint256 public totalBonded;
    /// @inheritdoc IStakeManager
    uint256 public totalUnbonding;
    /// @inheritdoc IStakeManager
    uint256 public totalPayouts;

    mapping(address operator => Stake) private _stakes;
    mapping(address locker => mapping(address operator => uint256)) private _lockedBy;
    mapping(address account => uint256) private _payouts;

    /**
     * @param token_ the ERC-20 stake token (must be a contract).
     * @param admin the governance account (DEFAULT_ADMIN_ROLE).
     * @param challengeWindow_ seconds an obligation stays challengeable.
     * @param maxGameDuration_ seconds the longest dispute game can last.
     * @param unbondingDelay_ seconds between an unbond request and its withdrawal; at least the floor.
     * @param treasury_ receiver of the non-reward share of slashes; zero burns it.
     * @param slashRewardBps_ the beneficiary's share of a slash, in basis points, below 10,000.
     */
    constructor(
        address token_,
        address admin,
        uint64 challengeWindow_,
        uint64 maxGameDuration_,
        uint64 unbondingDelay_,
        address treasury_,
        uint16 slashRewardBps_
    ) AccessControlDefaultAdminRules(ADMIN_TRANSFER_DELAY, admin) {
        if (token_.code.length == 0) revert StakeManagerInvalidToken(token_);
        _token = IERC20(token_);
        _setTimes(challengeWindow_, maxGameDuration_, unbondingDelay_);
        _setTreasury(treasury_);
        _setSlashRewardBps(slashRewardBps_);
    }

    // ─── Operators ─────────────────────────────────────────────────────────────────────────────

    /**
     * @notice Bonds `amount` of the caller's tokens as the caller's stake.
     * @dev Requirements: not paused; `amount` > 0; the caller approved `amount`.
     */
    function bond(uint256 amount) external {
        _bond(msg.sender, amount);
    }

    /**
     * @notice Bonds `amount` of the caller's tokens as `operator`'s stake. Only `operator` can get
     * them back.
     * @dev Requirements: not paused; `operator` non-zero; `amount` > 0; the caller approved `amount`.
     */
    function bondFor(address operator, uint256 amount) external {
        if (operator == address(0)) revert StakeManagerZeroAddress("operator");
        _bond(operator, amount);
    }

    /**
     * @notice Moves `amount` of the caller's unlocked bonded stake to unbonding. The whole unbonding
     * amount becomes withdrawable strictly after `now + unbondingDelay` (a new request resets it).
     * @dev Requirements: `amount` > 0 and at most the caller's unlocked bonded stake.
     */
    function requestUnbond(uint256 amount) external nonReentrant {
        if (amount == 0) revert StakeManagerZeroAmount();
        Stake storage s = _stakes[msg.sender];
        uint256 available = _unlocked(s);
        if (amount > available) revert StakeManagerInsufficientUnlocked(msg.sender, available, amount);

        uint64 readyAt = uint64(block.timestamp) + unbondingDelay;
        // `amount <= bonded - locked < 2^128`, and `unbonding + amount <= total supply < 2^192`.
        s.bonded -= uint128(amount);
        s.unbonding += uint192(amount);
        s.unbondReadyAt = readyAt;
        totalBonded -= amount;
        totalUnbonding += amount;
        emit UnbondRequested(msg.sender, amount, s.unbonding, readyAt);
    }

    /**
     * @notice Moves `amount` of the caller's unbonding stake back to bonded. The rest keeps its
     * `readyAt`.
     * @dev Requirements: `amount` > 0 and at most the caller's unbonding stake.
     */
    function rebond(uint256 amount) external nonReentrant {
        if (amount == 0) revert StakeManagerZeroAmount();
        Stake storage s = _stakes[msg.sender];
        if (amount > s.unbonding) revert StakeManagerInsufficientUnbonding(msg.sender, s.unbonding, amount);

        s.unbonding -= uint192(amount);
        s.bonded = _bondedPlus(msg.sender, s.bonded, amount);
        totalUnbonding -= amount;
        totalBonded += amount;
        emit Rebonded(msg.sender, amount, s.bonded);
    }

    /**
     * @notice Withdraws all of the caller's unbonding stake to `to`, once its delay has passed.
     * Never paused.
     * @dev Requirements: `to` non-zero; something is unbonding; `block.timestamp > readyAt`.
     */
    function withdraw(address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert StakeManagerZeroAddress("to");
        Stake storage s = _stakes[msg.sender];
        amount = s.unbonding;
        if (amount == 0) revert StakeManagerNothingToWithdraw(msg.sender);
        if (block.timestamp <= s.unbondReadyAt) {
            revert StakeManagerUnbondingNotReady(msg.sender, s.unbondReadyAt, uint64(block.timestamp));
        }

        s.unbonding = 0;
        s.unbondReadyAt = 0;
        totalUnbonding -= amount;
        emit Withdrawn(msg.sender, to, amount);

        _token.safeTransfer(to, amount);
    }

    /**
     * @notice Pays the caller's slash proceeds to `to`. Never paused.
     * @dev Requirements: `to` non-zero; the caller is owed something.
     */
    function claimPayout(address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert StakeManagerZeroAddress("to");
        amount = _payouts[msg.sender];
        if (amount == 0) revert StakeManagerNothingToClaim(msg.sender);

        _payouts[msg.sender] = 0;
        totalPayouts -= amount;
        emit PayoutClaimed(msg.sender, to, amount);

        _token.safeTransfer(to, amount);
    }

    /**
     * @notice Sends the burned share of past slashes to {BURN_ADDRESS}. Anyone may call it.
     * @dev Requirements: something is owed to the burn address.
     */
    function flushBurn() external nonReentrant returns (uint256 amount) {
        amount = _payouts[BURN_ADDRESS];
        if (amount == 0) revert StakeManagerNothingToClaim(BURN_ADDRESS);

        _payouts[BURN_ADDRESS] = 0;
        totalPayouts -= amount;
        emit PayoutClaimed(BURN_ADDRESS, BURN_ADDRESS, amount);

        _token.safeTransfer(BURN_ADDRESS, amount);
    }

    // ─── Authorized contracts ──────────────────────────────────────────────────────────────────

    /**
     * @notice Locks `amount` of `operator`'s unlocked bonded stake for an obligation of the caller.
     * @dev Never paused, so that obligations (and so defences) can always be entered into.
     * Requirements: the caller has LOCKER_ROLE; `amount` > 0 and at most the operator's unlocked stake.
     */
    function lock(address operator, uint256 amount) external onlyRole(LOCKER_ROLE) nonReentrant {
        if (amount == 0) revert StakeManagerZeroAmount();
        Stake storage s = _stakes[operator];
        uint256 available = _unlocked(s);
        if (amount > available) revert StakeManagerInsufficientUnlocked(operator, available, amount);

        // `amount <= bonded - locked`, so the sum stays below `bonded < 2^128`.
        s.locked += uint128(amount);
        _lockedBy[msg.sender][operator] += amount;
        emit StakeLocked(msg.sender, operator, amount, s.locked);
    }

    /**
     * @notice Releases `amount` of the stake the caller locked for `operator`.
     * @dev No role is checked: a caller can only release what it locked itself, and must be able to do
     * so even after its role is revoked. Requirements: `amount` > 0 and at most the caller's lock.
     */
    function unlock(address operator, uint256 amount) external nonReentrant {
        if (amount == 0) revert StakeManagerZeroAmount();
        uint256 held = _lockedBy[msg.sender][operator];
        if (amount > held) revert StakeManagerUnlockExceedsLock(msg.sender, operator, held, amount);

        Stake storage s = _stakes[operator];
        // The sum of all lockers' locks is `s.locked`, and `amount <= held <= s.locked`.
        unchecked {
            _lockedBy[msg.sender][operator] = held - amount;
            s.locked -= uint128(amount);
        }
        emit StakeUnlocked(msg.sender, operator, amount, s.locked);
    }

    /**
     * @notice Takes up to `amount` of `operator`'s slashable stake (unbonding first, then bonded). The
     * share `slashRewardBps` of what was taken (rounded down) is owed to `beneficiary`, the rest to the
     * treasury, or to the burn when no treasury is set. Returns what was taken, which is less than
     * `amount` only when the operator has less.
     * @dev Never paused and never reverts for lack of stake, so a game can always resolve.
     * Requirements: the caller has SLASHER_ROLE; `amount` > 0; `beneficiary` non-zero.
     */
    function slash(
        address operator,
        uint256 amount,
        address beneficiary
    ) external onlyRole(SLASHER_ROLE) nonReentrant returns (uint256 taken) {
        if (amount == 0) revert StakeManagerZeroAmount();
        if (beneficiary == address(0)) revert StakeManagerZeroAddress("beneficiary");
        Stake storage s = _stakes[operator];

        uint256 fromUnbonding = _min(amount, s.unbonding);
        uint256 fromBonded = _min(amount - fromUnbonding, s.bonded);
        taken = fromUnbonding + fromBonded;
        // Each part is at most the bucket it is taken from, and the totals are sums of the buckets.
        unchecked {
            s.unbonding -= uint192(fromUnbonding);
            s.bonded -= uint128(fromBonded);
            totalUnbonding -= fromUnbonding;
            totalBonded -= fromBonded;
        }

        // `taken` is at most the tokens held, far below 2^256 / BPS, so the product cannot overflow;
        // `reward <= taken` because slashRewardBps < BPS.
        uint256 reward = (taken * slashRewardBps) / BPS;
        uint256 remainder = taken - reward;
        address sink = treasury == address(0) ? BURN_ADDRESS : treasury;
        _payouts[beneficiary] += reward;
        _payouts[sink] += remainder;
        totalPayouts += taken;
        emit Slashed(operator, msg.sender, beneficiary, taken, reward, sink, remainder);
    }

    // ─── Governance ────────────────────────────────────────────────────────────────────────────

    /**
     * @notice Sets the challenge window, the longest game and the unbonding delay together, so that the
     * floor `unbondingDelay >= challengeWindow + maxGameDuration` holds at every moment. Requests
     * already made keep the `readyAt` they were given.
     * @dev Requirements: the caller has DEFAULT_ADMIN_ROLE; both times non-zero and at most
     * {MAX_DISPUTE_TIME}; the delay at least the floor and at most {MAX_UNBONDING_DELAY}.
     */
    function setTimes(
        uint64 challengeWindow_,
        uint64 maxGameDuration_,
        uint64 unbondingDelay_
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTimes(challengeWindow_, maxGameDuration_, unbondingDelay_);
    }

    /**
     * @notice Sets the receiver of the non-reward share of slashes; zero burns it. Proceeds already
     * owed to the previous treasury stay claimable by it.
     * @dev Requirements: the caller has DEFAULT_ADMIN_ROLE.
     */
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(treasury_);
    }

    /**
     * @notice Sets the beneficiary's share of each slash, in basis points.
     * @dev Requirements: the caller has DEFAULT_ADMIN_ROLE; `bps` < 10,000.
     */
    function setSlashRewardBps(uint16 bps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSlashRewardBps(bps);
    }

    /// @notice Stops new bonds. Requirements: the caller has PAUSER_ROLE.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Allows new bonds again. Requirements: the caller has PAUSER_ROLE.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ─── Views ─────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IStakeManager
    function stakeToken() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IStakeManager
    function stakeOf(address operator) external view returns (StakeInfo memory) {
        Stake storage s = _stakes[operator];
        return StakeInfo(s.bonded, s.locked, s.unbonding, s.unbondReadyAt);
    }

    /// @inheritdoc IStakeManager
    function bondedOf(address operator) external view returns (uint256) {
        return _stakes[operator].bonded;
    }

    /// @inheritdoc IStakeManager
    function lockedOf(address operator) external view returns (uint256) {
        return _stakes[operator].locked;
    }

    /// @inheritdoc IStakeManager
    function lockedBy(address locker, address operator) external view returns (uint256) {
        return _lockedBy[locker][operator];
    }

    /// @inheritdoc IStakeManager
    function unlockedOf(address operator) external view returns (uint256) {
        return _unlocked(_stakes[operator]);
    }

    /// @inheritdoc IStakeManager
    function unbondingOf(address operator) external view returns (uint256 amount, uint64 readyAt) {
        Stake storage s = _stakes[operator];
        return (s.unbonding, s.unbondReadyAt);
    }

    /// @inheritdoc IStakeManager
    function slashableOf(address operator) external view returns (uint256) {
        Stake storage s = _stakes[operator];
        return s.bonded + s.unbonding;
    }

    /// @inheritdoc IStakeManager
    function payoutOf(address account) external view returns (uint256) {
        return _payouts[account];
    }

    /// @inheritdoc IStakeManager
    function unbondingFloor() public view returns (uint64) {
        return challengeWindow + maxGameDuration;
    }

    // ─── Internals ─────────────────────────────────────────────────────────────────────────────

    function _bond(address operator, uint256 amount) private whenNotPaused nonReentrant {
        if (amount == 0) revert StakeManagerZeroAmount();

        uint256 balanceBefore = _token.balanceOf(address(this));
        _token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _token.balanceOf(address(this)) - balanceBefore;
        if (received == 0) revert StakeManagerNothingReceived(amount);

        Stake storage s = _stakes[operator];
        s.bonded = _bondedPlus(operator, s.bonded, received);
        totalBonded += received;
        emit Bonded(operator, msg.sender, received, s.bonded);
    }

    /// @dev `bonded + amount`, refused with a named error above 2^128 − 1 (the packed width).
    function _bondedPlus(address operator, uint128 bonded, uint256 amount) private pure returns (uint128) {
        uint256 sum = uint256(bonded) + amount;
        if (sum > type(uint128).max) revert StakeManagerStakeTooLarge(operator, sum, type(uint128).max);
        return uint128(sum);
    }

    function _setTimes(uint64 window, uint64 maxGame, uint64 delay) private {
        if (window == 0 || window > MAX_DISPUTE_TIME) {
            revert StakeManagerInvalidDisputeTime("challengeWindow", window, MAX_DISPUTE_TIME);
        }
        if (maxGame == 0 || maxGame > MAX_DISPUTE_TIME) {
            revert StakeManagerInvalidDisputeTime("maxGameDuration", maxGame, MAX_DISPUTE_TIME);
        }
        // Both are at most MAX_DISPUTE_TIME, so the sum cannot overflow a uint64.
        uint64 floor = window + maxGame;
        if (delay < floor) revert StakeManagerUnbondingDelayBelowFloor(delay, floor);
        if (delay > MAX_UNBONDING_DELAY) revert StakeManagerUnbondingDelayTooLong(delay, MAX_UNBONDING_DELAY);

        challengeWindow = window;
        maxGameDuration = maxGame;
        unbondingDelay = delay;
        emit TimesSet(window, maxGame, delay);
    }

    function _setTreasury(address treasury_) private {
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    function _setSlashRewardBps(uint16 bps) private {
        if (bps >= BPS) revert StakeManagerInvalidRewardShare(bps);
        slashRewardBps = bps;
        emit SlashRewardShareSet(bps);
    }

    function _unlocked(Stake storage s) private view returns (uint256) {
        return s.bonded > s.locked ? s.bonded - s.locked : 0;
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
