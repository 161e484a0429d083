/**
 * Threat model (docs/threat-model.md), token rows: a token that blacklists accounts, a receiver that
 * refuses tokens, and the rounding of slash splits. Payouts are pulled, so none of them can block a
 * slash, and each only ever blocks its own account's transfer.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";

import type {
  ERC20Mock,
  BlacklistTokenMock,
  ReceiverHookTokenMock,
  RevertingReceiverMock,
} from "../../typechain-types";
import { ONE, STAKE_PARAMS, deployStakeManager } from "../helpers/stake";

const BURN = "0x000000000000000000000000000000000000dEaD";

async function overToken(name: "BlacklistTokenMock" | "ReceiverHookTokenMock") {
  const [admin, locker, slasher, , treasury, alice, bob, , watcher, stranger] = await ethers.getSigners();
  // Both mocks have ERC20Mock's interface (plus their own extras).
  const token = (await ethers.deployContract(name)) as unknown as ERC20Mock;
  const stake = await ethers.deployContract("StakeManager", [
    await token.getAddress(),
    admin.address,
    STAKE_PARAMS.challengeWindow,
    STAKE_PARAMS.maxGameDuration,
    STAKE_PARAMS.unbondingDelay,
    treasury.address,
    STAKE_PARAMS.slashRewardBps,
  ]);
  await stake.grantRole(await stake.LOCKER_ROLE(), locker.address);
  await stake.grantRole(await stake.SLASHER_ROLE(), slasher.address);
  for (const op of [alice, bob]) {
    await token.mint(op.address, 1_000n * ONE);
    await token.connect(op).approve(await stake.getAddress(), ethers.MaxUint256);
    await stake.connect(op).bond(100n * ONE);
  }
  return { token, stake, admin, locker, slasher, treasury, alice, bob, watcher, stranger };
}

async function blacklist() {
  const f = await overToken("BlacklistTokenMock");
  return { ...f, token: f.token as unknown as BlacklistTokenMock };
}

async function receiverHook() {
  const f = await overToken("ReceiverHookTokenMock");
  const receiver = (await ethers.deployContract(
    "RevertingReceiverMock",
    [],
    f.watcher,
  )) as unknown as RevertingReceiverMock;
  const token = f.token as unknown as ReceiverHookTokenMock;
  await token.setHooked(await receiver.getAddress(), true);
  return { ...f, token, receiver };
}

async function solvent(
  token: { balanceOf(a: string): Promise<bigint> },
  stake: {
    getAddress(): Promise<string>;
    totalBonded(): Promise<bigint>;
    totalUnbonding(): Promise<bigint>;
    totalPayouts(): Promise<bigint>;
  },
) {
  const balance = await token.balanceOf(await stake.getAddress());
  return (
    balance === (await stake.totalBonded()) + (await stake.totalUnbonding()) + (await stake.totalPayouts())
  );
}

describe("Adversarial: tokens, receivers and rounding", function () {
  describe("a blacklisting token", () => {
    it("test_slash_blacklistedBeneficiaryAndTreasury_slashSucceedsClaimsRedirect_succeeds", async () => {
      const { token, stake, slasher, treasury, alice, bob, watcher, stranger } = await loadFixture(blacklist);
      await token.setBlocked(watcher.address, true);
      await token.setBlocked(treasury.address, true);
      const reward = (10n * ONE * STAKE_PARAMS.slashRewardBps) / 10_000n;

      // The slash moves no token, so the blacklist cannot block it.
      await expect(stake.connect(slasher).slash(alice.address, 10n * ONE, watcher.address))
        .to.emit(stake, "Slashed")
        .withArgs(
          alice.address,
          slasher.address,
          watcher.address,
          10n * ONE,
          reward,
          treasury.address,
          10n * ONE - reward,
        );
      expect(await stake.payoutOf(watcher.address)).to.equal(reward);
      expect(await stake.payoutOf(treasury.address)).to.equal(10n * ONE - reward);

      // The blocked accounts' own claims fail, with the token's error, and change nothing.
      await expect(stake.connect(watcher).claimPayout(watcher.address))
        .to.be.revertedWithCustomError(token, "BlacklistTokenBlocked")
        .withArgs(watcher.address);
      await expect(stake.connect(treasury).claimPayout(treasury.address))
        .to.be.revertedWithCustomError(token, "BlacklistTokenBlocked")
        .withArgs(treasury.address);
      expect(await stake.payoutOf(watcher.address)).to.equal(reward);

      // Another beneficiary's claim is not affected.
      await stake.connect(slasher).slash(alice.address, 2n * ONE, bob.address);
      await expect(stake.connect(bob).claimPayout(bob.address)).to.changeTokenBalance(token, bob, ONE);

      // The blocked beneficiary is still paid, to another address of its choice.
      await expect(stake.connect(watcher).claimPayout(stranger.address)).to.changeTokenBalance(
        token,
        stranger,
        reward,
      );
      expect(await stake.payoutOf(watcher.address)).to.equal(0n);
      expect(await solvent(token, stake)).to.equal(true);
    });

    it("test_withdraw_blacklistedOperator_withdrawsToAnotherAddress_succeeds", async () => {
      const { token, stake, alice, stranger } = await loadFixture(blacklist);
      await stake.connect(alice).requestUnbond(40n * ONE);
      await time.increase(STAKE_PARAMS.unbondingDelay + 1n);
      await token.setBlocked(alice.address, true);
      await expect(stake.connect(alice).withdraw(alice.address))
        .to.be.revertedWithCustomError(token, "BlacklistTokenBlocked")
        .withArgs(alice.address);
      expect((await stake.stakeOf(alice.address)).unbonding).to.equal(40n * ONE);
      await expect(stake.connect(alice).withdraw(stranger.address)).to.changeTokenBalance(
        token,
        stranger,
        40n * ONE,
      );
      expect(await solvent(token, stake)).to.equal(true);
    });

    it("test_slash_stakeManagerItselfBlacklisted_gamesStillResolve_succeeds", async () => {
      // The trust assumption on the token: if it freezes the StakeManager, no token moves (bonds,
      // withdrawals, claims fail), but slashes, locks and unlocks still work, so games still resolve.
      const { token, stake, locker, slasher, alice, bob, watcher } = await loadFixture(blacklist);
      const sm = await stake.getAddress();
      await token.setBlocked(sm, true);
      await expect(stake.connect(bob).bond(ONE))
        .to.be.revertedWithCustomError(token, "BlacklistTokenBlocked")
        .withArgs(sm);
      await stake.connect(locker).lock(alice.address, 10n * ONE);
      await stake.connect(locker).unlock(alice.address, 10n * ONE);
      await expect(stake.connect(slasher).slash(alice.address, 10n * ONE, watcher.address)).to.emit(
        stake,
        "Slashed",
      );
      await expect(stake.connect(watcher).claimPayout(watcher.address))
        .to.be.revertedWithCustomError(token, "BlacklistTokenBlocked")
        .withArgs(sm);
      expect(await stake.bondedOf(alice.address)).to.equal(90n * ONE);
    });
  });

  describe("a receiver that refuses tokens", () => {
    it("test_slash_revertingBeneficiaryAndTreasury_neverBlocksSlashOrOthers_succeeds", async () => {
      const { token, stake, admin, slasher, alice, bob, watcher, receiver } = await loadFixture(receiverHook);
      const r = await receiver.getAddress();
      const sm = await stake.getAddress();
      // Both the beneficiary and the treasury are contracts that revert on receipt.
      await stake.connect(admin).setTreasury(r);
      await expect(stake.connect(slasher).slash(alice.address, 10n * ONE, r)).to.emit(stake, "Slashed");
      expect(await stake.payoutOf(r)).to.equal(10n * ONE);

      // Its own claim to itself fails with its own error...
      const claimToSelf = stake.interface.encodeFunctionData("claimPayout", [r]);
      await expect(receiver.connect(watcher).execute(sm, claimToSelf)).to.be.revertedWithCustomError(
        receiver,
        "RevertingReceiverRefused",
      );
      // ...the others are not affected...
      await stake.connect(admin).setTreasury(ethers.ZeroAddress);
      await stake.connect(slasher).slash(alice.address, 4n * ONE, bob.address);
      await expect(stake.connect(bob).claimPayout(bob.address)).to.changeTokenBalance(token, bob, 2n * ONE);
      await expect(stake.flushBurn()).to.changeTokenBalance(token, BURN, 2n * ONE);
      // ...and it can still be paid to an address that accepts.
      const claimToWatcher = stake.interface.encodeFunctionData("claimPayout", [watcher.address]);
      await expect(receiver.connect(watcher).execute(sm, claimToWatcher)).to.changeTokenBalance(
        token,
        watcher,
        10n * ONE,
      );
      expect(await solvent(token, stake)).to.equal(true);
    });

    it("test_withdraw_revertingOperatorContract_onlyItsOwnTransferFails_succeeds", async () => {
      const { token, stake, watcher, receiver } = await loadFixture(receiverHook);
      const r = await receiver.getAddress();
      const sm = await stake.getAddress();
      await token.mint(r, 50n * ONE);
      await receiver
        .connect(watcher)
        .execute(await token.getAddress(), token.interface.encodeFunctionData("approve", [sm, 50n * ONE]));
      await receiver.connect(watcher).execute(sm, stake.interface.encodeFunctionData("bond", [50n * ONE]));
      await receiver
        .connect(watcher)
        .execute(sm, stake.interface.encodeFunctionData("requestUnbond", [50n * ONE]));
      await time.increase(STAKE_PARAMS.unbondingDelay + 1n);
      await expect(
        receiver.connect(watcher).execute(sm, stake.interface.encodeFunctionData("withdraw", [r])),
      ).to.be.revertedWithCustomError(receiver, "RevertingReceiverRefused");
      await expect(
        receiver
          .connect(watcher)
          .execute(sm, stake.interface.encodeFunctionData("withdraw", [watcher.address])),
      ).to.changeTokenBalance(token, watcher, 50n * ONE);
      expect(await solvent(token, stake)).to.equal(true);
    });
  });

  describe("rounding of slash splits", () => {
    it("test_slash_randomAmountsAndShares_splitExactAndFloored_succeeds (fast-check)", async () => {
      const f = await loadFixture(deployStakeManager);
      const { stake, token, admin, slasher, treasury, alice, watcher } = f;
      await stake.connect(alice).bond(1_000n * ONE);
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.constantFrom(0, 1, 5_000, 9_999), fc.integer({ min: 0, max: 9_999 })),
          fc.oneof(fc.bigInt({ min: 1n, max: 1_000n }), fc.bigInt({ min: 1n, max: 10n * ONE })),
          async (bps, amount) => {
            await stake.connect(admin).setSlashRewardBps(bps);
            const slashable = await stake.slashableOf(alice.address);
            const before = [await stake.payoutOf(watcher.address), await stake.payoutOf(treasury.address)];
            await stake.connect(slasher).slash(alice.address, amount, watcher.address);
            const taken = amount < slashable ? amount : slashable;
            const reward = (await stake.payoutOf(watcher.address)) - before[0];
            const rest = (await stake.payoutOf(treasury.address)) - before[1];
            expect(reward).to.equal((taken * BigInt(bps)) / 10_000n);
            expect(reward + rest).to.equal(taken);
            expect(await stake.slashableOf(alice.address)).to.equal(slashable - taken);
          },
        ),
        { numRuns: 40 },
      );
      expect(await solvent(token, stake)).to.equal(true);
    });

    it("test_slash_oneWei_rewardRoundsToZero_remainderToTreasury_succeeds", async () => {
      const { stake, slasher, treasury, alice, watcher } = await loadFixture(deployStakeManager);
      await stake.connect(alice).bond(ONE);
      await expect(stake.connect(slasher).slash(alice.address, 1n, watcher.address))
        .to.emit(stake, "Slashed")
        .withArgs(alice.address, slasher.address, watcher.address, 1n, 0n, treasury.address, 1n);
      expect(await stake.payoutOf(watcher.address)).to.equal(0n);
      await expect(stake.connect(watcher).claimPayout(watcher.address))
        .to.be.revertedWithCustomError(stake, "StakeManagerNothingToClaim")
        .withArgs(watcher.address);
    });
  });
});
