/**
 * Threat model (docs/threat-model.md), scheduler rows: how long a scheduler's signature is backed by
 * stake (issue 8: the scheduler lock and exit). Replays across processes, registries and chains, reused slots and gaps are covered by
 * test/registry/ProcessRegistry.equivocation.test.ts and, at the start step of a game, by
 * test/dispute/DisputeGame.reverts.test.ts and test/adversarial/game.adversarial.test.ts.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { signAssignment } from "../../sdk/ts/assignments";
import {
  INITIAL_STATE,
  REGISTRY_PARAMS,
  commitmentArgs,
  deployRegistries,
  makeAssignment,
  post,
} from "../helpers/registry";
import { ONE, STAKE_PARAMS } from "../helpers/stake";

/** The scheduler signs two assignments of slot 0 (an equivocation) and keeps them to itself. */
async function equivocated() {
  const f = await deployRegistries();
  const a = makeAssignment(f.process, 0n, "a");
  const b = makeAssignment(f.process, 0n, "b");
  const sigA = await signAssignment(f.scheduler, f.domain, a);
  const sigB = await signAssignment(f.scheduler, f.domain, b);
  return { ...f, a, b, sigA, sigB };
}

describe("Adversarial: schedulers and their assignments", function () {
  it("test_equivocation_provenWithinUnbondingDelay_slashesUnbondingStake_succeeds", async () => {
    const { processes, stake, scheduler, watcher, a, b, sigA, sigB } = await loadFixture(equivocated);
    // The scheduler tries to leave right after equivocating: its stake stays slashable for the delay
    // (and the part above the scheduler lock is all it can unbond).
    await stake.connect(scheduler).requestUnbond(200n * ONE - REGISTRY_PARAMS.minSchedulerStake);
    await time.increase(STAKE_PARAMS.unbondingDelay - 10n);
    await expect(processes.connect(watcher).proveEquivocation(a, sigA, b, sigB))
      .to.emit(processes, "EquivocationProven")
      .withArgs(
        a.process,
        scheduler.address,
        watcher.address,
        0n,
        await processes.assignmentHash(a),
        await processes.assignmentHash(b),
        200n * ONE,
      );
    expect(await stake.payoutOf(watcher.address)).to.equal(
      (200n * ONE * STAKE_PARAMS.slashRewardBps) / 10_000n,
    );
    await time.increase(20n);
    await expect(stake.connect(scheduler).withdraw(scheduler.address))
      .to.be.revertedWithCustomError(stake, "StakeManagerNothingToWithdraw")
      .withArgs(scheduler.address);
  });

  // Issue 8 (fixed): a scheduler's signatures stay evidence long after the spawn, so the ProcessRegistry
  // locks `minSchedulerStake` of its stake at the first spawn naming it (one lock per scheduler) and
  // keeps it until `exitAt + unbondingDelay` after an `exitScheduler()`, which stops new spawns and new
  // commitments (docs/registries.md, "The scheduler lock and exit").
  it("test_scheduler_withdrawBelowLockWhileActive_reverts", async () => {
    const { stake, token, scheduler } = await loadFixture(equivocated);
    await expect(stake.connect(scheduler).requestUnbond(200n * ONE))
      .to.be.revertedWithCustomError(stake, "StakeManagerInsufficientUnlocked")
      .withArgs(scheduler.address, 200n * ONE - REGISTRY_PARAMS.minSchedulerStake, 200n * ONE);
    // It leaves with everything above the lock; the lock stays, however long it waits.
    await stake.connect(scheduler).requestUnbond(200n * ONE - REGISTRY_PARAMS.minSchedulerStake);
    await time.increase(STAKE_PARAMS.unbondingDelay + 1n);
    await expect(stake.connect(scheduler).withdraw(scheduler.address)).to.changeTokenBalance(
      token,
      scheduler,
      200n * ONE - REGISTRY_PARAMS.minSchedulerStake,
    );
    expect(await stake.bondedOf(scheduler.address)).to.equal(REGISTRY_PARAMS.minSchedulerStake);
    await expect(stake.connect(scheduler).requestUnbond(1n)).to.be.revertedWithCustomError(
      stake,
      "StakeManagerInsufficientUnlocked",
    );
  });

  it("test_equivocation_afterSchedulerWithdrewUnlocked_stillSlashesMinSchedulerStake_succeeds", async () => {
    const { processes, stake, scheduler, watcher, a, b, sigA, sigB } = await loadFixture(equivocated);
    await stake.connect(scheduler).requestUnbond(200n * ONE - REGISTRY_PARAMS.minSchedulerStake);
    await time.increase(STAKE_PARAMS.unbondingDelay + 1n);
    await stake.connect(scheduler).withdraw(scheduler.address);
    // The process still names the scheduler, with the lock behind it.
    expect(await stake.slashableOf(scheduler.address)).to.equal(REGISTRY_PARAMS.minSchedulerStake);
    const slashed = await processes.connect(watcher).proveEquivocation.staticCall(a, sigA, b, sigB);
    expect(slashed).to.be.at.least(REGISTRY_PARAMS.minSchedulerStake);
    await expect(processes.connect(watcher).proveEquivocation(a, sigA, b, sigB))
      .to.emit(stake, "Slashed")
      .withArgs(
        scheduler.address,
        await processes.getAddress(),
        watcher.address,
        REGISTRY_PARAMS.minSchedulerStake,
        (REGISTRY_PARAMS.minSchedulerStake * STAKE_PARAMS.slashRewardBps) / 10_000n,
        anyValue,
        anyValue,
      );
  });

  it("test_equivocation_afterUnbondRequest_slashesAtLeastMinSchedulerStake_succeeds", async () => {
    const { processes, stake, scheduler, watcher, a, b, sigA, sigB } = await loadFixture(equivocated);
    await stake.connect(scheduler).requestUnbond(200n * ONE - REGISTRY_PARAMS.minSchedulerStake);
    await time.increase(STAKE_PARAMS.unbondingDelay - 10n);
    const slashed = await processes.connect(watcher).proveEquivocation.staticCall(a, sigA, b, sigB);
    expect(slashed).to.equal(200n * ONE);
    expect(slashed).to.be.at.least(REGISTRY_PARAMS.minSchedulerStake);
  });

  it("test_exit_refusesSpawnAndNewCommitments_releasesOnlyAfterDelay_thenWithdraws_succeeds", async () => {
    const { processes, results, stake, token, moduleId, process, scheduler, cu1, stranger } =
      await loadFixture(equivocated);
    const before = await post(results, cu1, commitmentArgs(process, ethers.ZeroHash, 0n, 0n, "before"));
    await processes.connect(scheduler).exitScheduler();
    const { exitAt, releasableAt } = await processes.schedulerInfo(scheduler.address);
    expect(releasableAt).to.equal(exitAt + STAKE_PARAMS.unbondingDelay);

    await expect(
      processes.connect(stranger).spawn(moduleId, scheduler.address, INITIAL_STATE, ethers.id("late")),
    )
      .to.be.revertedWithCustomError(processes, "ProcessRegistrySchedulerExited")
      .withArgs(scheduler.address, exitAt);
    // A signature made after the exit can feed no new commitment, root or child.
    for (const args of [
      commitmentArgs(process, ethers.ZeroHash, 0n, 0n, "after"),
      commitmentArgs(process, before.id, 1n, 1n, "after"),
    ]) {
      await expect(results.connect(cu1).postCommitment(...args))
        .to.be.revertedWithCustomError(results, "ResultRegistrySchedulerExited")
        .withArgs(process, scheduler.address, exitAt);
    }

    await time.setNextBlockTimestamp(releasableAt);
    await expect(processes.connect(stranger).releaseSchedulerLock(scheduler.address))
      .to.be.revertedWithCustomError(processes, "ProcessRegistrySchedulerLockNotReleasable")
      .withArgs(scheduler.address, releasableAt, releasableAt);
    await expect(processes.connect(stranger).releaseSchedulerLock(scheduler.address))
      .to.emit(processes, "SchedulerLockReleased")
      .withArgs(scheduler.address, REGISTRY_PARAMS.minSchedulerStake);

    await stake.connect(scheduler).requestUnbond(200n * ONE);
    await time.increase(STAKE_PARAMS.unbondingDelay + 1n);
    await expect(stake.connect(scheduler).withdraw(scheduler.address)).to.changeTokenBalance(
      token,
      scheduler,
      200n * ONE,
    );
  });

  it("test_griefing_twentyProcessesNamingScheduler_lockOnce_exitInOneTx_succeeds", async () => {
    const { processes, stake, moduleId, scheduler, stranger } = await loadFixture(equivocated);
    const registry = await processes.getAddress();
    for (let i = 0; i < 20; i++) {
      const tx = processes
        .connect(stranger)
        .spawn(moduleId, scheduler.address, INITIAL_STATE, ethers.id(`grief ${i}`));
      await expect(tx).not.to.emit(stake, "StakeLocked");
    }
    expect(await stake.lockedBy(registry, scheduler.address)).to.equal(REGISTRY_PARAMS.minSchedulerStake);
    expect(await stake.unlockedOf(scheduler.address)).to.equal(
      200n * ONE - REGISTRY_PARAMS.minSchedulerStake,
    );
    // One transaction, whatever the number of processes (no loop over them).
    const receipt = await (await processes.connect(scheduler).exitScheduler()).wait();
    expect(receipt!.gasUsed).to.be.below(60_000n);
    await time.increase(STAKE_PARAMS.unbondingDelay + 1n);
    await processes.releaseSchedulerLock(scheduler.address);
    expect(await stake.lockedBy(registry, scheduler.address)).to.equal(0n);
  });
});
