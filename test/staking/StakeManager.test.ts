import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { FeeOnTransferTokenMock, HookTokenMock, StakeManager } from "../../typechain-types";
import { deployStakeManager, deployStakeManagerOver, ONE, STAKE_PARAMS } from "../helpers/stake";

const BURN = "0x000000000000000000000000000000000000dEaD";
const DAY = 86_400n;

async function deployWith(
  overrides: Partial<{
    token: string;
    admin: string;
    window: bigint;
    maxGame: bigint;
    delay: bigint;
    treasury: string;
    bps: bigint;
  }>,
) {
  const { token, admin, treasury } = await loadFixture(deployStakeManager);
  const factory = await ethers.getContractFactory("StakeManager");
  return factory.deploy(
    overrides.token ?? (await token.getAddress()),
    overrides.admin ?? admin.address,
    overrides.window ?? STAKE_PARAMS.challengeWindow,
    overrides.maxGame ?? STAKE_PARAMS.maxGameDuration,
    overrides.delay ?? STAKE_PARAMS.unbondingDelay,
    overrides.treasury ?? treasury.address,
    overrides.bps ?? STAKE_PARAMS.slashRewardBps,
  );
}

async function deployFeeToken() {
  return deployStakeManagerOver("FeeOnTransferTokenMock", [100n]); // 1% fee
}

async function deployHookToken() {
  return deployStakeManagerOver("HookTokenMock");
}

describe("StakeManager", function () {
  describe("constructor", function () {
    it("test_constructor_setsParametersAndRoles_succeeds", async function () {
      const { stake, token, admin, treasury } = await loadFixture(deployStakeManager);
      expect(await stake.stakeToken()).to.equal(await token.getAddress());
      expect(await stake.challengeWindow()).to.equal(STAKE_PARAMS.challengeWindow);
      expect(await stake.maxGameDuration()).to.equal(STAKE_PARAMS.maxGameDuration);
      expect(await stake.unbondingDelay()).to.equal(STAKE_PARAMS.unbondingDelay);
      expect(await stake.unbondingFloor()).to.equal(
        STAKE_PARAMS.challengeWindow + STAKE_PARAMS.maxGameDuration,
      );
      expect(await stake.treasury()).to.equal(treasury.address);
      expect(await stake.slashRewardBps()).to.equal(STAKE_PARAMS.slashRewardBps);
      expect(await stake.hasRole(await stake.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await stake.defaultAdminDelay()).to.equal(2n * DAY);
    });

    it("test_constructor_emitsParameterEvents_succeeds", async function () {
      const stake = await deployWith({});
      const tx = stake.deploymentTransaction()!;
      await expect(tx)
        .to.emit(stake, "TimesSet")
        .withArgs(STAKE_PARAMS.challengeWindow, STAKE_PARAMS.maxGameDuration, STAKE_PARAMS.unbondingDelay);
      await expect(tx).to.emit(stake, "SlashRewardShareSet").withArgs(STAKE_PARAMS.slashRewardBps);
      await expect(tx).to.emit(stake, "TreasurySet");
    });

    it("test_constructor_tokenWithoutCode_reverts", async function () {
      const { stake, stranger } = await loadFixture(deployStakeManager);
      await expect(deployWith({ token: stranger.address }))
        .to.be.revertedWithCustomError(stake, "StakeManagerInvalidToken")
        .withArgs(stranger.address);
    });

    it("test_constructor_zeroAdmin_reverts", async function () {
      const { stake } = await loadFixture(deployStakeManager);
      await expect(deployWith({ admin: ethers.ZeroAddress }))
        .to.be.revertedWithCustomError(stake, "AccessControlInvalidDefaultAdmin")
        .withArgs(ethers.ZeroAddress);
    });

    it("test_constructor_delayBelowFloor_reverts", async function () {
      const { stake } = await loadFixture(deployStakeManager);
      const floor = STAKE_PARAMS.challengeWindow + STAKE_PARAMS.maxGameDuration;
      await expect(deployWith({ delay: floor - 1n }))
        .to.be.revertedWithCustomError(stake, "StakeManagerUnbondingDelayBelowFloor")
        .withArgs(floor - 1n, floor);
    });

    it("test_constructor_delayAtFloor_succeeds", async function () {
      const floor = STAKE_PARAMS.challengeWindow + STAKE_PARAMS.maxGameDuration;
      const stake = await deployWith({ delay: floor });
      expect(await stake.unbondingDelay()).to.equal(floor);
    });

    it("test_constructor_badTimes_reverts", async function () {
      const { stake } = await loadFixture(deployStakeManager);
      const max = 90n * DAY;
      await expect(deployWith({ window: 0n }))
        .to.be.revertedWithCustomError(stake, "StakeManagerInvalidDisputeTime")
        .withArgs("challengeWindow", 0n, max);
      await expect(deployWith({ maxGame: 0n }))
        .to.be.revertedWithCustomError(stake, "StakeManagerInvalidDisputeTime")
        .withArgs("maxGameDuration", 0n, max);
      await expect(deployWith({ window: max + 1n, delay: 200n * DAY }))
        .to.be.revertedWithCustomError(stake, "StakeManagerInvalidDisputeTime")
        .withArgs("challengeWindow", max + 1n, max);
      await expect(deployWith({ maxGame: max + 1n, delay: 200n * DAY }))
        .to.be.revertedWithCustomError(stake, "StakeManagerInvalidDisputeTime")
        .withArgs("maxGameDuration", max + 1n, max);
      await expect(deployWith({ delay: 366n * DAY }))
        .to.be.revertedWithCustomError(stake, "StakeManagerUnbondingDelayTooLong")
        .withArgs(366n * DAY, 365n * DAY);
    });

    it("test_constructor_rewardShareOfWhole_reverts", async function () {
      const { stake } = await loadFixture(deployStakeManager);
      await expect(deployWith({ bps: 10_000n }))
        .to.be.revertedWithCustomError(stake, "StakeManagerInvalidRewardShare")
        .withArgs(10_000n);
    });
  });

  describe("bond", function () {
    it("test_bond_creditsCallerAndTakesTokens_succeeds", async function () {
      const { stake, token, alice } = await loadFixture(deployStakeManager);
      const amount = 100n * ONE;
      const tx = await stake.connect(alice).bond(amount);
      await expect(tx).to.emit(stake, "Bonded").withArgs(alice.address, alice.address, amount, amount);
      await expect(tx).to.changeTokenBalances(token, [alice, stake], [-amount, amount]);
      expect(await stake.bondedOf(alice.address)).to.equal(amount);
      expect(await stake.totalBonded()).to.equal(amount);
      expect(await stake.unlockedOf(alice.address)).to.equal(amount);
      expect(await stake.slashableOf(alice.address)).to.equal(amount);
    });

    it("test_bond_accumulates_succeeds", async function () {
      const { stake, alice } = await loadFixture(deployStakeManager);
      await stake.connect(alice).bond(ONE);
      await expect(stake.connect(alice).bond(2n * ONE))
        .to.emit(stake, "Bonded")
        .withArgs(alice.address, alice.address, 2n * ONE, 3n * ONE);
    });

    it("test_bond_zeroAmount_reverts", async function () {
      const { stake, alice } = await loadFixture(deployStakeManager);
      await expect(stake.connect(alice).bond(0)).to.be.revertedWithCustomError(
        stake,
        "StakeManagerZeroAmount",
      );
    });

    it("test_bond_withoutAllowance_reverts", async function () {
      const { stake, token, stranger } = await loadFixture(deployStakeManager);
      await token.mint(stranger.address, ONE);
      await expect(stake.connect(stranger).bond(ONE))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(await stake.getAddress(), 0n, ONE);
    });

    it("test_bond_whenPaused_reverts", async function () {
      const { stake, pauser, alice } = await loadFixture(deployStakeManager);
      await stake.connect(pauser).pause();
      await expect(stake.connect(alice).bond(ONE)).to.be.revertedWithCustomError(stake, "EnforcedPause");
      await expect(stake.connect(alice).bondFor(alice.address, ONE)).to.be.revertedWithCustomError(
        stake,
        "EnforcedPause",
      );
      await stake.connect(pauser).unpause();
      await expect(stake.connect(alice).bond(ONE)).to.emit(stake, "Bonded");
    });
  });

  describe("bondFor", function () {
    it("test_bondFor_creditsOperatorNotFunder_succeeds", async function () {
      const { stake, token, alice, bob } = await loadFixture(deployStakeManager);
      const tx = await stake.connect(alice).bondFor(bob.address, ONE);
      await expect(tx).to.emit(stake, "Bonded").withArgs(bob.address, alice.address, ONE, ONE);
      await expect(tx).to.changeTokenBalance(token, alice, -ONE);
      expect(await stake.bondedOf(bob.address)).to.equal(ONE);
      expect(await stake.bondedOf(alice.address)).to.equal(0n);
    });

    it("test_bondFor_zeroOperator_reverts", async function () {
      const { stake, alice } = await loadFixture(deployStakeManager);
      await expect(stake.connect(alice).bondFor(ethers.ZeroAddress, ONE))
        .to.be.revertedWithCustomError(stake, "StakeManagerZeroAddress")
        .withArgs("operator");
    });
  });

  describe("fee-on-transfer token", function () {
    it("test_bond_feeOnTransfer_creditsReceivedAmount_succeeds", async function () {
      const { stake, token, alice } = await loadFixture(deployFeeToken);
      const amount = 100n * ONE;
      const received = amount - amount / 100n;
      await expect(stake.connect(alice).bond(amount))
        .to.emit(stake, "Bonded")
        .withArgs(alice.address, alice.address, received, received);
      expect(await stake.bondedOf(alice.address)).to.equal(received);
      expect(await token.balanceOf(await stake.getAddress())).to.equal(await stake.totalBonded());
    });

    it("test_bond_feeTakesEverything_reverts", async function () {
      const { stake, token, alice } = await loadFixture(deployFeeToken);
      await (token as unknown as FeeOnTransferTokenMock).setFeeBps(10_000n);
      await expect(stake.connect(alice).bond(ONE))
        .to.be.revertedWithCustomError(stake, "StakeManagerNothingReceived")
        .withArgs(ONE);
    });

    it("test_withdraw_feeOnTransfer_staysSolvent_succeeds", async function () {
      const { stake, token, alice } = await loadFixture(deployFeeToken);
      await stake.connect(alice).bond(100n * ONE);
      const bonded = await stake.bondedOf(alice.address);
      await stake.connect(alice).requestUnbond(bonded);
      await time.increase(STAKE_PARAMS.unbondingDelay + 1n);
      await expect(stake.connect(alice).withdraw(alice.address))
        .to.emit(stake, "Withdrawn")
        .withArgs(alice.address, alice.address, bonded);
      expect(await token.balanceOf(await stake.getAddress())).to.equal(0n);
    });
  });

  describe("requestUnbond", function () {
    it("test_requestUnbond_movesStakeAndSetsReadyAt_succeeds", async function () {
      const { stake, alice } = await loadFixture(deployStakeManager);
      await stake.connect(alice).bond(10n * ONE);
      const tx = await stake.connect(alice).requestUnbond(4n * ONE);
      const readyAt = BigInt(await time.latest()) + STAKE_PARAMS.unbondingDelay;
      await expect(tx)
        .to.emit(stake, "UnbondRequested")
        .withArgs(alice.address, 4n * ONE, 4n * ONE, readyAt);
      expect(await stake.bondedOf(alice.address)).to.equal(6n * ONE);
      expect(await stake.unbondingOf(alice.address)).to.deep.equal([4n * ONE, readyAt]);
      expect(await stake.slashableOf(alice.address)).to.equal(10n * ONE);
      expect(await stake.totalBonded()).to.equal(6n * ONE);
      expect(await stake.totalUnbonding()).to.equal(4n * ONE);
      const info = await stake.stakeOf(alice.address);
      expect([info.bonded, info.locked, info.unbonding, info.unbondReadyAt]).to.deep.equal([
        6n * ONE,
        0n,
        4n * ONE,
        readyAt,
      ]);
    });

    it("test_requestUnbond_secondRequestResetsReadyAt_succeeds", async function () {
      const { stake, alice } = await loadFixture(deployStakeManager);
      await stake.connect(alice).bond(10n * ONE);
      await stake.connect(alice).requestUnbond(ONE);
      await time.increase(1_000);
      await stake.connect(alice).requestUnbond(ONE);
      const readyAt = BigInt(await time.latest()) + STAKE_PARAMS.unbondingDelay;
      expect(await stake.unbondingOf(alice.address)).to.deep.equal([2n * ONE, readyAt]);
    });

    it("test_requestUnbond_zeroAmount_reverts", async function () {
      const { stake, alice } = await loadFixture(deployStakeManager);
      await expect(stake.connect(alice).requestUnbond(0)).to.be.revertedWithCustomError(
        stake,
        "StakeManagerZeroAmount",
      );
    });

    it("test_requestUnbond_moreThanUnlocked_reverts", async function () {
      const { stake, locker, alice } = await loadFixture(deployStakeManager);
      await stake.connect(alice).bond(10n * ONE);
      await stake.connect(locker).lock(alice.address, 7n * ONE);
      await expect(stake.connect(alice).requestUnbond(4n * ONE))
        .to.be.revertedWithCustomError(stake, "StakeManagerInsufficientUnlocked")
        .withArgs(alice.address, 3n * ONE, 4n * ONE);
      await expect(stake.connect(alice).requestUnbond(3n * ONE)).to.emit(stake, "UnbondRequested");
    });

    it("test_requestUnbond_whenPaused_succeeds", async function () {
      const { stake, pauser, alice } = await loadFixture(deployStakeManager);
      await stake.connect(alice).bond(ONE);
      await stake.connect(pauser).pause();
      await expect(stake.connect(alice).requestUnbond(ONE)).to.emit(stake, "UnbondRequested");
    });
  });

  describe("rebond", function () {
    it("test_rebond_movesUnbondingBack_succeeds", async function () {
      const { stake, alice } = await loadFixture(deployStakeManager);
      await stake.connect(alice).bond(10n * ONE);
      await stake.connect(alice).requestUnbond(4n * ONE);
      const [, readyAt] = await stake.unbondingOf(alice.address);
      await expect(stake.connect(alice).rebond(ONE))
        .to.emit(stake, "Rebonded")
        .withArgs(alice.address, ONE, 7n * ONE);
      expect(await stake.unbondingOf(alice.address)).to.deep.equal([3n * ONE, readyAt]);
      expect(await stake.totalBonded()).to.equal(7n * ONE);
      expect(await stake.totalUnbonding()).to.equal(3n * ONE);
    });

    it("test_rebond_zeroAmount_reverts", async function () {
      const { stake, alice } = await loadFixture(deployStakeManager);
      await expect(stake.connect(alice).rebond(0)).to.be.revertedWithCustomError(
        stake,
        "StakeManagerZeroAmount",
      );
    });

    it("test_rebond_moreThanUnbonding_reverts", async function () {
      const { stake, alice } = await loadFixture(deployStakeManager);
      await stake.connect(alice).bond(10n * ONE);
      await stake.connect(alice).requestUnbond(ONE);
      await expect(stake.connect(alice).rebond(2n * ONE))
        .to.be.revertedWithCustomError(stake, "StakeManagerInsufficientUnbonding")
        .withArgs(alice.address, ONE, 2n * ONE);
    });
    it("test_bond_and_rebond_aboveTheStoredWidth_revert", async function () {
      // Stakes are stored in 128 bits (bonded and locked share one word): larger totals are refused by name.
      const { stake, token, alice } = await loadFixture(deployStakeManager);
      const MAX = (1n << 128n) - 1n;
      await token.mint(alice.address, 2n * MAX);
      await stake.connect(alice).bond(MAX - 1000n * ONE);
      await expect(stake.connect(alice).bond(1001n * ONE))
        .to.be.revertedWithCustomError(stake, "StakeManagerStakeTooLarge")
        .withArgs(alice.address, MAX + ONE, MAX);
      await stake.connect(alice).requestUnbond(MAX - 1000n * ONE);
      await stake.connect(alice).bond(MAX - 1000n * ONE);
      await expect(stake.connect(alice).rebond(1001n * ONE))
        .to.be.revertedWithCustomError(stake, "StakeManagerStakeTooLarge")
        .withArgs(alice.address, MAX + ONE, MAX);
      await stake.connect(alice).rebond(1000n * ONE);
      expect(await stake.bondedOf(alice.address)).to.equal(MAX);
    });
  });

  describe("withdraw", function () {
    async function unbonding() {
      const f = await loadFixture(deployStakeManager);
      await f.stake.connect(f.alice).bond(10n * ONE);
      await f.stake.connect(f.alice).requestUnbond(4n * ONE);
      const [, readyAt] = await f.stake.unbondingOf(f.alice.address);
      return { ...f, readyAt };
    }

    it("test_withdraw_afterDelay_paysAll_succeeds", async function () {
      const { stake, token, alice, bob, readyAt } = await loadFixture(unbonding);
      await time.increaseTo(readyAt + 1n);
      const tx = await stake.connect(alice).withdraw(bob.address);
      await expect(tx)
        .to.emit(stake, "Withdrawn")
        .withArgs(alice.address, bob.address, 4n * ONE);
      await expect(tx).to.changeTokenBalances(token, [bob, stake], [4n * ONE, -4n * ONE]);
      expect(await stake.unbondingOf(alice.address)).to.deep.equal([0n, 0n]);
      expect(await stake.totalUnbonding()).to.equal(0n);
    });

    it("test_withdraw_atReadyAt_reverts", async function () {
      const { stake, alice, readyAt } = await loadFixture(unbonding);
      await time.setNextBlockTimestamp(readyAt);
      await expect(stake.connect(alice).withdraw(alice.address))
        .to.be.revertedWithCustomError(stake, "StakeManagerUnbondingNotReady")
        .withArgs(alice.address, readyAt, readyAt);
    });

    it("test_withdraw_nothingUnbonding_reverts", async function () {
      const { stake, bob } = await loadFixture(unbonding);
      await expect(stake.connect(bob).withdraw(bob.address))
        .to.be.revertedWithCustomError(stake, "StakeManagerNothingToWithdraw")
        .withArgs(bob.address);
    });

    it("test_withdraw_zeroRecipient_reverts", async function () {
      const { stake, alice } = await loadFixture(unbonding);
      await expect(stake.connect(alice).withdraw(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(stake, "StakeManagerZeroAddress")
        .withArgs("to");
    });

    it("test_withdraw_whenPaused_succeeds", async function () {
      const { stake, pauser, alice, readyAt } = await loadFixture(unbonding);
      await stake.connect(pauser).pause();
      await time.increaseTo(readyAt + 1n);
      await expect(stake.connect(alice).withdraw(alice.address)).to.emit(stake, "Withdrawn");
    });

    it("test_withdraw_cannotEscapeSlashByUnbondingFirst_succeeds", async function () {
      // The operator asserts something at t, requests an unbond of everything at t, and is slashed when a
      // game opened at the end of the window ends at t + window + maxGame: the stake is still there.
      const { stake, slasher, alice, watcher, treasury } = await loadFixture(deployStakeManager);
      await stake.connect(alice).bond(10n * ONE);
      await stake.connect(alice).requestUnbond(10n * ONE);
      const [, readyAt] = await stake.unbondingOf(alice.address);
      const requestedAt = BigInt(await time.latest());
      const gameEnd = requestedAt + STAKE_PARAMS.challengeWindow + STAKE_PARAMS.maxGameDuration;
      expect(readyAt).to.be.greaterThanOrEqual(gameEnd);
      await time.setNextBlockTimestamp(gameEnd - 1n);
      await expect(stake.connect(alice).withdraw(alice.address)).to.be.revertedWithCustomError(
        stake,
        "StakeManagerUnbondingNotReady",
      );
      await time.setNextBlockTimestamp(gameEnd);
      await expect(stake.connect(slasher).slash(alice.address, 10n * ONE, watcher.address))
        .to.emit(stake, "Slashed")
        .withArgs(
          alice.address,
          slasher.address,
          watcher.address,
          10n * ONE,
          5n * ONE,
          treasury.address,
          5n * ONE,
        );
      await time.increaseTo(readyAt + 1n);
      await expect(stake.connect(alice).withdraw(alice.address)).to.be.revertedWithCustomError(
        stake,
        "StakeManagerNothingToWithdraw",
      );
    });
  });

  describe("lock and unlock", function () {
    async function bonded() {
      const f = await loadFixture(deployStakeManager);
      await f.stake.connect(f.alice).bond(10n * ONE);
      return f;
    }

    it("test_lock_locksUnlockedStake_succeeds", async function () {
      const { stake, locker, alice } = await loadFixture(bonded);
      await expect(stake.connect(locker).lock(alice.address, 6n * ONE))
        .to.emit(stake, "StakeLocked")
        .withArgs(locker.address, alice.address, 6n * ONE, 6n * ONE);
      expect(await stake.lockedOf(alice.address)).to.equal(6n * ONE);
      expect(await stake.lockedBy(locker.address, alice.address)).to.equal(6n * ONE);
      expect(await stake.unlockedOf(alice.address)).to.equal(4n * ONE);
    });

    it("test_lock_byUnauthorized_reverts", async function () {
      const { stake, stranger, alice } = await loadFixture(bonded);
      await expect(stake.connect(stranger).lock(alice.address, ONE))
        .to.be.revertedWithCustomError(stake, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await stake.LOCKER_ROLE());
    });

    it("test_lock_zeroAmount_reverts", async function () {
      const { stake, locker, alice } = await loadFixture(bonded);
      await expect(stake.connect(locker).lock(alice.address, 0)).to.be.revertedWithCustomError(
        stake,
        "StakeManagerZeroAmount",
      );
    });

    it("test_lock_moreThanUnlocked_reverts", async function () {
      const { stake, locker, alice } = await loadFixture(bonded);
      await stake.connect(locker).lock(alice.address, 6n * ONE);
      await expect(stake.connect(locker).lock(alice.address, 5n * ONE))
        .to.be.revertedWithCustomError(stake, "StakeManagerInsufficientUnlocked")
        .withArgs(alice.address, 4n * ONE, 5n * ONE);
    });

    it("test_lock_whenPaused_succeeds", async function () {
      const { stake, pauser, locker, alice } = await loadFixture(bonded);
      await stake.connect(pauser).pause();
      await expect(stake.connect(locker).lock(alice.address, ONE)).to.emit(stake, "StakeLocked");
    });

    it("test_unlock_releasesOwnLock_succeeds", async function () {
      const { stake, locker, alice } = await loadFixture(bonded);
      await stake.connect(locker).lock(alice.address, 6n * ONE);
      await expect(stake.connect(locker).unlock(alice.address, 2n * ONE))
        .to.emit(stake, "StakeUnlocked")
        .withArgs(locker.address, alice.address, 2n * ONE, 4n * ONE);
      expect(await stake.lockedBy(locker.address, alice.address)).to.equal(4n * ONE);
      expect(await stake.unlockedOf(alice.address)).to.equal(6n * ONE);
    });

    it("test_unlock_anotherLockersLock_reverts", async function () {
      const { stake, admin, locker, stranger, alice } = await loadFixture(bonded);
      await stake.connect(admin).grantRole(await stake.LOCKER_ROLE(), stranger.address);
      await stake.connect(locker).lock(alice.address, 6n * ONE);
      await expect(stake.connect(stranger).unlock(alice.address, ONE))
        .to.be.revertedWithCustomError(stake, "StakeManagerUnlockExceedsLock")
        .withArgs(stranger.address, alice.address, 0n, ONE);
    });

    it("test_unlock_moreThanLocked_reverts", async function () {
      const { stake, locker, alice } = await loadFixture(bonded);
      await stake.connect(locker).lock(alice.address, ONE);
      await expect(stake.connect(locker).unlock(alice.address, 2n * ONE))
        .to.be.revertedWithCustomError(stake, "StakeManagerUnlockExceedsLock")
        .withArgs(locker.address, alice.address, ONE, 2n * ONE);
    });

    it("test_unlock_zeroAmount_reverts", async function () {
      const { stake, locker, alice } = await loadFixture(bonded);
      await expect(stake.connect(locker).unlock(alice.address, 0)).to.be.revertedWithCustomError(
        stake,
        "StakeManagerZeroAmount",
      );
    });

    it("test_unlock_afterRoleRevoked_succeeds", async function () {
      const { stake, admin, locker, alice } = await loadFixture(bonded);
      await stake.connect(locker).lock(alice.address, ONE);
      await stake.connect(admin).revokeRole(await stake.LOCKER_ROLE(), locker.address);
      await expect(stake.connect(locker).unlock(alice.address, ONE)).to.emit(stake, "StakeUnlocked");
      expect(await stake.lockedOf(alice.address)).to.equal(0n);
    });
  });

  describe("slash", function () {
    async function mixed() {
      const f = await loadFixture(deployStakeManager);
      await f.stake.connect(f.alice).bond(10n * ONE);
      await f.stake.connect(f.alice).requestUnbond(4n * ONE); // bonded 6, unbonding 4
      return f;
    }

    it("test_slash_takesUnbondingFirstThenBonded_succeeds", async function () {
      const { stake, slasher, alice, watcher, treasury } = await loadFixture(mixed);
      await expect(stake.connect(slasher).slash(alice.address, 5n * ONE, watcher.address))
        .to.emit(stake, "Slashed")
        .withArgs(
          alice.address,
          slasher.address,
          watcher.address,
          5n * ONE,
          (5n * ONE) / 2n,
          treasury.address,
          (5n * ONE) / 2n,
        );
      expect((await stake.unbondingOf(alice.address))[0]).to.equal(0n);
      expect(await stake.bondedOf(alice.address)).to.equal(5n * ONE);
      expect(await stake.payoutOf(watcher.address)).to.equal((5n * ONE) / 2n);
      expect(await stake.payoutOf(treasury.address)).to.equal((5n * ONE) / 2n);
      expect(await stake.totalPayouts()).to.equal(5n * ONE);
      expect(await stake.totalBonded()).to.equal(5n * ONE);
      expect(await stake.totalUnbonding()).to.equal(0n);
    });

    it("test_slash_onlyUnbonding_succeeds", async function () {
      const { stake, slasher, alice, watcher } = await loadFixture(mixed);
      await stake.connect(slasher).slash(alice.address, 3n * ONE, watcher.address);
      expect((await stake.unbondingOf(alice.address))[0]).to.equal(ONE);
      expect(await stake.bondedOf(alice.address)).to.equal(6n * ONE);
    });

    it("test_slash_neverMoreThanSlashable_succeeds", async function () {
      const { stake, slasher, alice, watcher } = await loadFixture(mixed);
      const taken = await stake.connect(slasher).slash.staticCall(alice.address, 100n * ONE, watcher.address);
      expect(taken).to.equal(10n * ONE);
      await stake.connect(slasher).slash(alice.address, 100n * ONE, watcher.address);
      expect(await stake.slashableOf(alice.address)).to.equal(0n);
      expect(await stake.totalPayouts()).to.equal(10n * ONE);
    });

    it("test_slash_nothingSlashable_takesZero_succeeds", async function () {
      const { stake, slasher, stranger, watcher, treasury } = await loadFixture(mixed);
      await expect(stake.connect(slasher).slash(stranger.address, ONE, watcher.address))
        .to.emit(stake, "Slashed")
        .withArgs(stranger.address, slasher.address, watcher.address, 0n, 0n, treasury.address, 0n);
      expect(await stake.totalPayouts()).to.equal(0n);
    });

    it("test_slash_roundsRewardDown_remainderToTreasury_succeeds", async function () {
      const { stake, admin, slasher, alice, watcher, treasury } = await loadFixture(mixed);
      await stake.connect(admin).setSlashRewardBps(3_333n);
      await stake.connect(slasher).slash(alice.address, 7n, watcher.address);
      // 7 * 3333 / 10000 = 2.3331 -> 2; the remainder 5 goes to the treasury; nothing is lost.
      expect(await stake.payoutOf(watcher.address)).to.equal(2n);
      expect(await stake.payoutOf(treasury.address)).to.equal(5n);
    });

    it("test_slash_noTreasury_owesBurn_succeeds", async function () {
      const { stake, admin, slasher, alice, watcher } = await loadFixture(mixed);
      await stake.connect(admin).setTreasury(ethers.ZeroAddress);
      await expect(stake.connect(slasher).slash(alice.address, 2n * ONE, watcher.address))
        .to.emit(stake, "Slashed")
        .withArgs(alice.address, slasher.address, watcher.address, 2n * ONE, ONE, BURN, ONE);
      expect(await stake.payoutOf(BURN)).to.equal(ONE);
    });

    it("test_slash_belowLocked_blocksUnbondUntilUnlock_succeeds", async function () {
      const { stake, locker, slasher, alice, watcher } = await loadFixture(mixed);
      await stake.connect(locker).lock(alice.address, 6n * ONE);
      await stake.connect(slasher).slash(alice.address, 8n * ONE, watcher.address); // unbonding 4, bonded 4
      expect(await stake.bondedOf(alice.address)).to.equal(2n * ONE);
      expect(await stake.lockedOf(alice.address)).to.equal(6n * ONE);
      expect(await stake.unlockedOf(alice.address)).to.equal(0n);
      await expect(stake.connect(alice).requestUnbond(1n))
        .to.be.revertedWithCustomError(stake, "StakeManagerInsufficientUnlocked")
        .withArgs(alice.address, 0n, 1n);
      await stake.connect(locker).unlock(alice.address, 6n * ONE);
      expect(await stake.unlockedOf(alice.address)).to.equal(2n * ONE);
    });

    it("test_slash_byUnauthorized_reverts", async function () {
      const { stake, locker, alice, watcher } = await loadFixture(mixed);
      await expect(stake.connect(locker).slash(alice.address, ONE, watcher.address))
        .to.be.revertedWithCustomError(stake, "AccessControlUnauthorizedAccount")
        .withArgs(locker.address, await stake.SLASHER_ROLE());
    });

    it("test_slash_zeroAmount_reverts", async function () {
      const { stake, slasher, alice, watcher } = await loadFixture(mixed);
      await expect(
        stake.connect(slasher).slash(alice.address, 0, watcher.address),
      ).to.be.revertedWithCustomError(stake, "StakeManagerZeroAmount");
    });

    it("test_slash_zeroBeneficiary_reverts", async function () {
      const { stake, slasher, alice } = await loadFixture(mixed);
      await expect(stake.connect(slasher).slash(alice.address, ONE, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(stake, "StakeManagerZeroAddress")
        .withArgs("beneficiary");
    });

    it("test_slash_whenPaused_succeeds", async function () {
      const { stake, pauser, slasher, alice, watcher } = await loadFixture(mixed);
      await stake.connect(pauser).pause();
      await expect(stake.connect(slasher).slash(alice.address, ONE, watcher.address)).to.emit(
        stake,
        "Slashed",
      );
    });
  });

  describe("payouts", function () {
    async function slashed() {
      const f = await loadFixture(deployStakeManager);
      await f.stake.connect(f.alice).bond(10n * ONE);
      await f.stake.connect(f.slasher).slash(f.alice.address, 4n * ONE, f.watcher.address);
      return f;
    }

    it("test_claimPayout_paysBeneficiary_succeeds", async function () {
      const { stake, token, watcher, stranger } = await loadFixture(slashed);
      const tx = await stake.connect(watcher).claimPayout(stranger.address);
      await expect(tx)
        .to.emit(stake, "PayoutClaimed")
        .withArgs(watcher.address, stranger.address, 2n * ONE);
      await expect(tx).to.changeTokenBalances(token, [stranger, stake], [2n * ONE, -2n * ONE]);
      expect(await stake.payoutOf(watcher.address)).to.equal(0n);
      expect(await stake.totalPayouts()).to.equal(2n * ONE);
    });

    it("test_claimPayout_treasuryClaims_succeeds", async function () {
      const { stake, token, treasury } = await loadFixture(slashed);
      await expect(stake.connect(treasury).claimPayout(treasury.address)).to.changeTokenBalance(
        token,
        treasury,
        2n * ONE,
      );
    });

    it("test_claimPayout_nothingOwed_reverts", async function () {
      const { stake, stranger } = await loadFixture(slashed);
      await expect(stake.connect(stranger).claimPayout(stranger.address))
        .to.be.revertedWithCustomError(stake, "StakeManagerNothingToClaim")
        .withArgs(stranger.address);
    });

    it("test_claimPayout_zeroRecipient_reverts", async function () {
      const { stake, watcher } = await loadFixture(slashed);
      await expect(stake.connect(watcher).claimPayout(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(stake, "StakeManagerZeroAddress")
        .withArgs("to");
    });

    it("test_claimPayout_whenPaused_succeeds", async function () {
      const { stake, pauser, watcher } = await loadFixture(slashed);
      await stake.connect(pauser).pause();
      await expect(stake.connect(watcher).claimPayout(watcher.address)).to.emit(stake, "PayoutClaimed");
    });

    it("test_flushBurn_sendsToBurnAddress_succeeds", async function () {
      const { stake, token, admin, slasher, alice, watcher, stranger } = await loadFixture(slashed);
      await stake.connect(admin).setTreasury(ethers.ZeroAddress);
      await stake.connect(slasher).slash(alice.address, 2n * ONE, watcher.address);
      const tx = await stake.connect(stranger).flushBurn();
      await expect(tx).to.emit(stake, "PayoutClaimed").withArgs(BURN, BURN, ONE);
      await expect(tx).to.changeTokenBalance(token, BURN, ONE);
      expect(await stake.payoutOf(BURN)).to.equal(0n);
    });

    it("test_flushBurn_nothingOwed_reverts", async function () {
      const { stake, stranger } = await loadFixture(slashed);
      await expect(stake.connect(stranger).flushBurn())
        .to.be.revertedWithCustomError(stake, "StakeManagerNothingToClaim")
        .withArgs(BURN);
    });
  });

  describe("governance", function () {
    it("test_setTimes_updatesAllThree_succeeds", async function () {
      const { stake, admin } = await loadFixture(deployStakeManager);
      await expect(stake.connect(admin).setTimes(7n * DAY, 14n * DAY, 22n * DAY))
        .to.emit(stake, "TimesSet")
        .withArgs(7n * DAY, 14n * DAY, 22n * DAY);
      expect(await stake.unbondingFloor()).to.equal(21n * DAY);
      expect(await stake.unbondingDelay()).to.equal(22n * DAY);
    });

    it("test_setTimes_belowFloor_reverts", async function () {
      const { stake, admin } = await loadFixture(deployStakeManager);
      await expect(stake.connect(admin).setTimes(7n * DAY, 14n * DAY, 20n * DAY))
        .to.be.revertedWithCustomError(stake, "StakeManagerUnbondingDelayBelowFloor")
        .withArgs(20n * DAY, 21n * DAY);
    });

    it("test_setTimes_keepsExistingReadyAt_succeeds", async function () {
      const { stake, admin, alice } = await loadFixture(deployStakeManager);
      await stake.connect(alice).bond(ONE);
      await stake.connect(alice).requestUnbond(ONE);
      const before = await stake.unbondingOf(alice.address);
      await stake.connect(admin).setTimes(7n * DAY, 14n * DAY, 22n * DAY);
      expect(await stake.unbondingOf(alice.address)).to.deep.equal(before);
    });

    it("test_governanceSetters_byNonAdmin_reverts", async function () {
      const { stake, stranger } = await loadFixture(deployStakeManager);
      const role = await stake.DEFAULT_ADMIN_ROLE();
      await expect(stake.connect(stranger).setTimes(1, 1, 2))
        .to.be.revertedWithCustomError(stake, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await expect(stake.connect(stranger).setTreasury(stranger.address))
        .to.be.revertedWithCustomError(stake, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await expect(stake.connect(stranger).setSlashRewardBps(1))
        .to.be.revertedWithCustomError(stake, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
    });

    it("test_setTreasury_updates_succeeds", async function () {
      const { stake, admin, stranger } = await loadFixture(deployStakeManager);
      await expect(stake.connect(admin).setTreasury(stranger.address))
        .to.emit(stake, "TreasurySet")
        .withArgs(stranger.address);
      expect(await stake.treasury()).to.equal(stranger.address);
    });

    it("test_setSlashRewardBps_updatesAndRejectsWhole_succeeds", async function () {
      const { stake, admin } = await loadFixture(deployStakeManager);
      await expect(stake.connect(admin).setSlashRewardBps(9_999n))
        .to.emit(stake, "SlashRewardShareSet")
        .withArgs(9_999n);
      await expect(stake.connect(admin).setSlashRewardBps(10_000n))
        .to.be.revertedWithCustomError(stake, "StakeManagerInvalidRewardShare")
        .withArgs(10_000n);
    });

    it("test_pause_byNonPauser_reverts", async function () {
      const { stake, admin, stranger } = await loadFixture(deployStakeManager);
      const role = await stake.PAUSER_ROLE();
      await expect(stake.connect(stranger).pause())
        .to.be.revertedWithCustomError(stake, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await expect(stake.connect(admin).unpause())
        .to.be.revertedWithCustomError(stake, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, role);
    });

    it("test_pause_emitsAndUnpause_succeeds", async function () {
      const { stake, pauser } = await loadFixture(deployStakeManager);
      await expect(stake.connect(pauser).pause()).to.emit(stake, "Paused").withArgs(pauser.address);
      await expect(stake.connect(pauser).pause()).to.be.revertedWithCustomError(stake, "EnforcedPause");
      await expect(stake.connect(pauser).unpause()).to.emit(stake, "Unpaused").withArgs(pauser.address);
      await expect(stake.connect(pauser).unpause()).to.be.revertedWithCustomError(stake, "ExpectedPause");
    });
  });

  describe("reentrancy through token hooks", function () {
    // Every mutating entry point refuses a re-entrant call made from inside a token transfer. The hook
    // token is given the locker and slasher roles so that the role check does not stop it first.
    const entryPoints: [string, (s: StakeManager, who: string) => string][] = [
      ["bond", (s) => s.interface.encodeFunctionData("bond", [1n])],
      ["bondFor", (s, who) => s.interface.encodeFunctionData("bondFor", [who, 1n])],
      ["requestUnbond", (s) => s.interface.encodeFunctionData("requestUnbond", [1n])],
      ["rebond", (s) => s.interface.encodeFunctionData("rebond", [1n])],
      ["withdraw", (s, who) => s.interface.encodeFunctionData("withdraw", [who])],
      ["claimPayout", (s, who) => s.interface.encodeFunctionData("claimPayout", [who])],
      ["flushBurn", (s) => s.interface.encodeFunctionData("flushBurn")],
      ["lock", (s, who) => s.interface.encodeFunctionData("lock", [who, 1n])],
      ["unlock", (s, who) => s.interface.encodeFunctionData("unlock", [who, 1n])],
      ["slash", (s, who) => s.interface.encodeFunctionData("slash", [who, 1n, who])],
    ];
    for (const [name, encode] of entryPoints) {
      it(`test_${name}_reenteredFromTokenHook_reverts`, async function () {
        const { stake, token, admin, alice } = await loadFixture(deployHookToken);
        const hook = token as unknown as HookTokenMock;
        const hookAddress = await hook.getAddress();
        await stake.connect(admin).grantRole(await stake.LOCKER_ROLE(), hookAddress);
        await stake.connect(admin).grantRole(await stake.SLASHER_ROLE(), hookAddress);
        await hook.setHook(await stake.getAddress(), encode(stake, alice.address));
        await expect(stake.connect(alice).bond(ONE)).to.emit(stake, "Bonded");
        expect(await hook.lastHookSucceeded()).to.equal(false);
        expect(await hook.lastHookReturn()).to.equal(
          stake.interface.getError("ReentrancyGuardReentrantCall")!.selector,
        );
      });
    }

    it("test_bond_hookReentersWithdraw_isRefused", async function () {
      const { stake, token, alice } = await loadFixture(deployHookToken);
      const hook = token as unknown as HookTokenMock;
      await stake.connect(alice).bond(10n * ONE);
      await stake.connect(alice).requestUnbond(5n * ONE);
      // During the next transfer, the token calls back into the StakeManager.
      await hook.setHook(await stake.getAddress(), stake.interface.encodeFunctionData("flushBurn"));
      await expect(stake.connect(alice).bond(ONE)).to.emit(stake, "Bonded");
      expect(await hook.lastHookSucceeded()).to.equal(false);
      const selector = stake.interface.getError("ReentrancyGuardReentrantCall")!.selector;
      expect(await hook.lastHookReturn()).to.equal(selector);
      expect(await stake.bondedOf(alice.address)).to.equal(6n * ONE);
    });

    it("test_withdraw_hookReentersRebond_isRefused", async function () {
      const { stake, token, alice } = await loadFixture(deployHookToken);
      const hook = token as unknown as HookTokenMock;
      await stake.connect(alice).bond(10n * ONE);
      await stake.connect(alice).requestUnbond(5n * ONE);
      await time.increase(STAKE_PARAMS.unbondingDelay + 1n);
      await hook.setHook(await stake.getAddress(), stake.interface.encodeFunctionData("rebond", [1n]));
      await expect(stake.connect(alice).withdraw(alice.address)).to.emit(stake, "Withdrawn");
      expect(await hook.lastHookSucceeded()).to.equal(false);
      expect(await hook.lastHookReturn()).to.equal(
        stake.interface.getError("ReentrancyGuardReentrantCall")!.selector,
      );
      const tokenBalance = await (token as unknown as HookTokenMock).balanceOf(await stake.getAddress());
      expect(tokenBalance).to.equal((await stake.totalBonded()) + (await stake.totalUnbonding()));
    });
  });
});
