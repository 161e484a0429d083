/**
 * The scheduler lock and exit (docs/registries.md, "The scheduler lock and exit"): one lock of
 * `minSchedulerStake` per scheduler, taken by the first spawn naming it; `exitScheduler` ends new
 * spawns and new commitments; the lock is released, and equivocation proofs are refused, only strictly
 * after `exitAt + unbondingDelay`.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { ERC20Mock, ProcessRegistry, StakeManager } from "../../typechain-types";
import {
  commitmentArgs,
  deployRegistries,
  INITIAL_STATE,
  makeAssignment,
  post,
  REGISTRY_PARAMS,
  signAssignment,
} from "../helpers/registry";
import { ONE, STAKE_PARAMS } from "../helpers/stake";

const MIN = REGISTRY_PARAMS.minSchedulerStake;

async function expectSolvent(stake: StakeManager, token: ERC20Mock) {
  expect(await token.balanceOf(await stake.getAddress())).to.equal(
    (await stake.totalBonded()) + (await stake.totalUnbonding()) + (await stake.totalPayouts()),
  );
}

/** The registry's lock on `who`, checked against the StakeManager's record of it. */
async function lockOf(processes: ProcessRegistry, stake: StakeManager, who: string) {
  const info = await processes.schedulerInfo(who);
  expect(await stake.lockedBy(await processes.getAddress(), who)).to.equal(info.locked);
  return info.locked;
}

/** The fixture, plus a fresh scheduler (`newcomer`, the `stranger` account) with 150 bonded. */
async function withNewcomer() {
  const f = await deployRegistries();
  const newcomer = f.stranger;
  await f.token.mint(newcomer.address, 1_000n * ONE);
  await f.token.connect(newcomer).approve(await f.stake.getAddress(), ethers.MaxUint256);
  await f.stake.connect(newcomer).bond(150n * ONE);
  return { ...f, newcomer };
}

/** The fixture with the scheduler exited (one commitment posted just before the exit). */
async function exited() {
  const f = await deployRegistries();
  const before = await post(f.results, f.cu1, commitmentArgs(f.process, ethers.ZeroHash, 0n, 0n, "before"));
  await f.processes.connect(f.scheduler).exitScheduler();
  const info = await f.processes.schedulerInfo(f.scheduler.address);
  return { ...f, before, exitAt: info.exitAt, releasableAt: info.releasableAt };
}

describe("ProcessRegistry: scheduler lock and exit", function () {
  describe("the lock", function () {
    it("test_spawn_firstProcessOfScheduler_locksMinSchedulerStake_succeeds", async function () {
      const { processes, stake, moduleId, newcomer, owner } = await loadFixture(withNewcomer);
      expect(await lockOf(processes, stake, newcomer.address)).to.equal(0n);
      const tx = processes.connect(owner).spawn(moduleId, newcomer.address, INITIAL_STATE, ethers.id("n1"));
      await expect(tx).to.emit(processes, "SchedulerLocked").withArgs(newcomer.address, MIN, MIN);
      await expect(tx)
        .to.emit(stake, "StakeLocked")
        .withArgs(await processes.getAddress(), newcomer.address, MIN, MIN);
      expect(await lockOf(processes, stake, newcomer.address)).to.equal(MIN);
      expect(await stake.unlockedOf(newcomer.address)).to.equal(150n * ONE - MIN);
    });

    it("test_spawn_laterProcessOfScheduler_locksNothingMore_succeeds", async function () {
      const { processes, stake, moduleId, scheduler, owner } = await loadFixture(deployRegistries);
      // The fixture's spawn locked the scheduler; a second one only reads the lock.
      expect(await lockOf(processes, stake, scheduler.address)).to.equal(MIN);
      const tx = processes.connect(owner).spawn(moduleId, scheduler.address, INITIAL_STATE, ethers.id("p2"));
      await expect(tx).to.emit(processes, "ProcessSpawned");
      await expect(tx).not.to.emit(processes, "SchedulerLocked");
      await expect(tx).not.to.emit(stake, "StakeLocked");
      expect(await lockOf(processes, stake, scheduler.address)).to.equal(MIN);
    });

    it("test_spawn_minimumRaised_topsUpLock_succeeds", async function () {
      const { processes, stake, moduleId, scheduler, admin, owner } = await loadFixture(deployRegistries);
      await processes.connect(admin).setMinSchedulerStake(130n * ONE);
      await expect(
        processes.connect(owner).spawn(moduleId, scheduler.address, INITIAL_STATE, ethers.id("p2")),
      )
        .to.emit(processes, "SchedulerLocked")
        .withArgs(scheduler.address, 30n * ONE, 130n * ONE);
      expect(await lockOf(processes, stake, scheduler.address)).to.equal(130n * ONE);
    });

    it("test_spawn_minimumLowered_keepsLock_succeeds", async function () {
      const { processes, stake, moduleId, scheduler, admin, owner } = await loadFixture(deployRegistries);
      await processes.connect(admin).setMinSchedulerStake(10n * ONE);
      await expect(
        processes.connect(owner).spawn(moduleId, scheduler.address, INITIAL_STATE, ethers.id("p2")),
      ).not.to.emit(processes, "SchedulerLocked");
      expect(await lockOf(processes, stake, scheduler.address)).to.equal(MIN);
    });

    it("test_spawn_zeroMinimum_locksNothing_succeeds", async function () {
      const { processes, stake, moduleId, admin, owner, newcomer } = await loadFixture(withNewcomer);
      await processes.connect(admin).setMinSchedulerStake(0n);
      await expect(
        processes.connect(owner).spawn(moduleId, newcomer.address, INITIAL_STATE, ethers.id("n1")),
      ).not.to.emit(processes, "SchedulerLocked");
      expect(await lockOf(processes, stake, newcomer.address)).to.equal(0n);
    });

    it("test_spawn_lockShortfallNotUnlocked_reverts", async function () {
      // The newcomer is also a compute unit: 80 of its 150 are its result reservation.
      const { processes, results, stake, moduleId, owner, newcomer } = await loadFixture(withNewcomer);
      await results.connect(newcomer).reserve(80n * ONE);
      expect(await stake.bondedOf(newcomer.address)).to.be.at.least(MIN);
      await expect(processes.connect(owner).spawn(moduleId, newcomer.address, INITIAL_STATE, ethers.id("n1")))
        .to.be.revertedWithCustomError(processes, "ProcessRegistrySchedulerStakeUnavailable")
        .withArgs(newcomer.address, 70n * ONE, MIN);
    });

    it("test_spawn_registryWithoutLockerRole_reverts", async function () {
      const { processes, stake, moduleId, admin, owner, newcomer } = await loadFixture(withNewcomer);
      const role = await stake.LOCKER_ROLE();
      await stake.connect(admin).revokeRole(role, await processes.getAddress());
      await expect(processes.connect(owner).spawn(moduleId, newcomer.address, INITIAL_STATE, ethers.id("n1")))
        .to.be.revertedWithCustomError(stake, "AccessControlUnauthorizedAccount")
        .withArgs(await processes.getAddress(), role);
    });

    it("test_requestUnbond_belowSchedulerLock_reverts", async function () {
      const { stake, scheduler } = await loadFixture(deployRegistries);
      await expect(stake.connect(scheduler).requestUnbond(200n * ONE))
        .to.be.revertedWithCustomError(stake, "StakeManagerInsufficientUnlocked")
        .withArgs(scheduler.address, 200n * ONE - MIN, 200n * ONE);
      await stake.connect(scheduler).requestUnbond(200n * ONE - MIN);
      expect(await stake.bondedOf(scheduler.address)).to.equal(MIN);
    });
  });

  describe("exitScheduler", function () {
    it("test_exitScheduler_recordsExitAndReleaseTime_succeeds", async function () {
      const { processes, scheduler } = await loadFixture(deployRegistries);
      const at = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(at);
      await expect(processes.connect(scheduler).exitScheduler())
        .to.emit(processes, "SchedulerExited")
        .withArgs(scheduler.address, at, BigInt(at) + STAKE_PARAMS.unbondingDelay, MIN);
      const info = await processes.schedulerInfo(scheduler.address);
      expect(info.locked).to.equal(MIN);
      expect(info.exitAt).to.equal(at);
      expect(info.releasableAt).to.equal(BigInt(at) + STAKE_PARAMS.unbondingDelay);
    });

    it("test_exitScheduler_twice_reverts", async function () {
      const { processes, scheduler, exitAt } = await loadFixture(exited);
      await expect(processes.connect(scheduler).exitScheduler())
        .to.be.revertedWithCustomError(processes, "ProcessRegistrySchedulerExited")
        .withArgs(scheduler.address, exitAt);
    });

    it("test_spawn_exitedScheduler_reverts", async function () {
      const { processes, moduleId, scheduler, stranger, exitAt } = await loadFixture(exited);
      await expect(
        processes.connect(stranger).spawn(moduleId, scheduler.address, INITIAL_STATE, ethers.id("p2")),
      )
        .to.be.revertedWithCustomError(processes, "ProcessRegistrySchedulerExited")
        .withArgs(scheduler.address, exitAt);
    });

    it("test_postCommitment_afterSchedulerExit_reverts", async function () {
      const { results, process, scheduler, cu1, cu2, before, exitAt } = await loadFixture(exited);
      // A root and a child of the commitment posted before the exit: both refused.
      for (const args of [
        commitmentArgs(process, ethers.ZeroHash, 0n, 0n, "after"),
        commitmentArgs(process, before.id, 1n, 3n, "after"),
      ]) {
        for (const cu of [cu1, cu2]) {
          await expect(results.connect(cu).postCommitment(...args))
            .to.be.revertedWithCustomError(results, "ResultRegistrySchedulerExited")
            .withArgs(process, scheduler.address, exitAt);
        }
      }
    });

    it("test_commitmentPostedBeforeExit_gamesAndFinalize_succeeds", async function () {
      const { results, game, watcher, before } = await loadFixture(exited);
      await results.connect(game).onChallengeOpened(before.c);
      await results.connect(game).onChallengeResolved(before.c, false);
      await time.increaseTo(before.deadline);
      await expect(results.connect(watcher).finalize(before.c)).to.emit(results, "CommitmentFinalized");
    });

    it("test_postStatus_reportsSchedulerExit_succeeds", async function () {
      const { processes, process, scheduler, exitAt } = await loadFixture(exited);
      expect(await processes.postStatus(process)).to.deep.equal([scheduler.address, 2n ** 64n - 1n, exitAt]);
      expect(await processes.postStatus(ethers.id("nothing"))).to.deep.equal([
        ethers.ZeroAddress,
        2n ** 64n - 1n,
        0n,
      ]);
    });

    it("test_exitScheduler_neverNamed_succeeds", async function () {
      const { processes, moduleId, stranger, owner } = await loadFixture(deployRegistries);
      await expect(processes.connect(stranger).exitScheduler()).to.emit(processes, "SchedulerExited");
      await expect(
        processes.connect(owner).spawn(moduleId, stranger.address, INITIAL_STATE, ethers.id("s")),
      ).to.be.revertedWithCustomError(processes, "ProcessRegistrySchedulerExited");
      await time.increase(STAKE_PARAMS.unbondingDelay + 1n);
      await expect(processes.releaseSchedulerLock(stranger.address))
        .to.be.revertedWithCustomError(processes, "ProcessRegistryNothingLocked")
        .withArgs(stranger.address);
    });
  });

  describe("releaseSchedulerLock", function () {
    it("test_releaseSchedulerLock_activeScheduler_reverts", async function () {
      const { processes, scheduler } = await loadFixture(deployRegistries);
      await expect(processes.releaseSchedulerLock(scheduler.address))
        .to.be.revertedWithCustomError(processes, "ProcessRegistrySchedulerActive")
        .withArgs(scheduler.address);
    });

    it("test_releaseSchedulerLock_atExitPlusDelay_reverts", async function () {
      const { processes, stranger, scheduler, releasableAt, exitAt } = await loadFixture(exited);
      expect(releasableAt - exitAt).to.equal(await processes.schedulerExitDelay());
      await time.setNextBlockTimestamp(releasableAt);
      await expect(processes.connect(stranger).releaseSchedulerLock(scheduler.address))
        .to.be.revertedWithCustomError(processes, "ProcessRegistrySchedulerLockNotReleasable")
        .withArgs(scheduler.address, releasableAt, releasableAt);
    });

    it("test_releaseSchedulerLock_afterExitPlusDelay_unlocks_succeeds", async function () {
      const { processes, stake, token, stranger, scheduler, releasableAt } = await loadFixture(exited);
      await time.setNextBlockTimestamp(releasableAt + 1n);
      const tx = processes.connect(stranger).releaseSchedulerLock(scheduler.address);
      await expect(tx).to.emit(processes, "SchedulerLockReleased").withArgs(scheduler.address, MIN);
      await expect(tx)
        .to.emit(stake, "StakeUnlocked")
        .withArgs(await processes.getAddress(), scheduler.address, MIN, 0n);
      expect(await lockOf(processes, stake, scheduler.address)).to.equal(0n);
      await expect(processes.releaseSchedulerLock(scheduler.address))
        .to.be.revertedWithCustomError(processes, "ProcessRegistryNothingLocked")
        .withArgs(scheduler.address);
      // The scheduler leaves with all of it.
      await stake.connect(scheduler).requestUnbond(200n * ONE);
      await time.increase(STAKE_PARAMS.unbondingDelay + 1n);
      await expect(stake.connect(scheduler).withdraw(scheduler.address)).to.changeTokenBalance(
        token,
        scheduler,
        200n * ONE,
      );
      await expectSolvent(stake, token);
    });

    it("test_releaseSchedulerLock_afterLockerRoleRevoked_succeeds", async function () {
      const { processes, stake, admin, scheduler, releasableAt } = await loadFixture(exited);
      await stake.connect(admin).revokeRole(await stake.LOCKER_ROLE(), await processes.getAddress());
      await time.increaseTo(releasableAt + 1n);
      await expect(processes.releaseSchedulerLock(scheduler.address))
        .to.emit(processes, "SchedulerLockReleased")
        .withArgs(scheduler.address, MIN);
    });

    it("test_schedulerExitDelay_coversWindowAndLongestGame_succeeds", async function () {
      const { processes, stake } = await loadFixture(deployRegistries);
      const delay = await processes.schedulerExitDelay();
      expect(delay).to.equal(await stake.unbondingDelay());
      expect(delay).to.be.at.least((await stake.challengeWindow()) + (await stake.maxGameDuration()));
    });
  });

  describe("equivocation around the exit", function () {
    async function conflicting(f: Awaited<ReturnType<typeof exited>>, slot: bigint) {
      const a = makeAssignment(f.process, slot, "a");
      const b = makeAssignment(f.process, slot, "b");
      return [
        a,
        await signAssignment(f.scheduler, f.domain, a),
        b,
        await signAssignment(f.scheduler, f.domain, b),
      ] as const;
    }

    it("test_proveEquivocation_afterExitWithinDelay_slashesLock_succeeds", async function () {
      const f = await loadFixture(exited);
      const { processes, stake, token, scheduler, watcher, releasableAt } = f;
      // The scheduler unbonds what it can and signs a fork after its exit.
      await stake.connect(scheduler).requestUnbond(200n * ONE - MIN);
      const proof = await conflicting(f, 1n);
      await time.setNextBlockTimestamp(releasableAt);
      await expect(processes.connect(watcher).proveEquivocation(...proof))
        .to.emit(processes, "EquivocationProven")
        .withArgs(f.process, scheduler.address, watcher.address, 1n, anyHash(), anyHash(), 200n * ONE);
      await expectSolvent(stake, token);
    });

    it("test_proveEquivocation_afterExitDelay_reverts", async function () {
      const f = await loadFixture(exited);
      const { processes, scheduler, watcher, releasableAt } = f;
      const proof = await conflicting(f, 1n);
      // Refused strictly after releasableAt, released or not.
      await time.setNextBlockTimestamp(releasableAt + 1n);
      await expect(processes.connect(watcher).proveEquivocation(...proof))
        .to.be.revertedWithCustomError(processes, "ProcessRegistryExitDelayElapsed")
        .withArgs(scheduler.address, releasableAt, releasableAt + 1n);
      await processes.releaseSchedulerLock(scheduler.address);
      await expect(processes.connect(watcher).proveEquivocation(...proof)).to.be.revertedWithCustomError(
        processes,
        "ProcessRegistryExitDelayElapsed",
      );
      expect(await processes.isFrozen(f.process)).to.equal(false);
    });
  });

  it("property: locks match the StakeManager and stake is conserved across lock, slash and release", async function () {
    type Cmd =
      | { kind: "spawn"; who: number; label: number }
      | { kind: "min"; amount: bigint }
      | { kind: "unbond"; who: number; amount: bigint }
      | { kind: "bond"; who: number; amount: bigint }
      | { kind: "equivocate"; who: number }
      | { kind: "exit"; who: number }
      | { kind: "release"; who: number }
      | { kind: "wait"; seconds: bigint };
    const who = fc.integer({ min: 0, max: 2 });
    const amount = fc.bigInt({ min: 1n, max: 200n }).map((x) => x * ONE);
    const cmd: fc.Arbitrary<Cmd> = fc.oneof(
      fc.record({ kind: fc.constant("spawn" as const), who, label: fc.integer({ min: 0, max: 1_000_000 }) }),
      fc.record({
        kind: fc.constant("min" as const),
        amount: fc.bigInt({ min: 0n, max: 150n }).map((x) => x * ONE),
      }),
      fc.record({ kind: fc.constant("unbond" as const), who, amount }),
      fc.record({ kind: fc.constant("bond" as const), who, amount }),
      fc.record({ kind: fc.constant("equivocate" as const), who }),
      fc.record({ kind: fc.constant("exit" as const), who }),
      fc.record({ kind: fc.constant("release" as const), who }),
      fc.record({
        kind: fc.constant("wait" as const),
        seconds: fc.constantFrom(1n, STAKE_PARAMS.unbondingDelay / 2n, STAKE_PARAMS.unbondingDelay + 1n),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 5, maxLength: 20 }), async (cmds) => {
        const f = await loadFixture(withNewcomer);
        const { processes, stake, token, moduleId, owner, watcher, domain } = f;
        const ops = [f.scheduler, f.scheduler2, f.newcomer];
        const spawned: Record<number, string[]> = { 0: [f.process], 1: [], 2: [] };
        let maxMin = MIN;
        const slashed = [false, false, false];
        for (const c of cmds) {
          const op = "who" in c ? ops[c.who] : undefined;
          // Every command may be refused by a named error; what matters is the state after it.
          try {
            if (c.kind === "spawn") {
              const label = ethers.id(`p${c.label}`);
              await processes.connect(owner).spawn(moduleId, op!.address, INITIAL_STATE, label);
              spawned[c.who].push(
                await processes.computeProcessId(moduleId, op!.address, INITIAL_STATE, label, owner.address),
              );
            } else if (c.kind === "min") {
              await processes.connect(f.admin).setMinSchedulerStake(c.amount);
              if (c.amount > maxMin) maxMin = c.amount;
            } else if (c.kind === "unbond") {
              await stake.connect(op!).requestUnbond(c.amount);
            } else if (c.kind === "bond") {
              await stake.connect(op!).bond(c.amount);
            } else if (c.kind === "equivocate") {
              const p = spawned[c.who][0];
              if (p === undefined) continue;
              const a = makeAssignment(p, 0n, "x");
              const b = makeAssignment(p, 0n, "y");
              const info = await processes.schedulerInfo(op!.address);
              const before = await stake.slashableOf(op!.address);
              const expired = info.exitAt !== 0n && BigInt(await time.latest()) + 1n > info.releasableAt;
              const frozen = await processes.isFrozen(p);
              const tx = processes
                .connect(watcher)
                .proveEquivocation(
                  a,
                  await signAssignment(op!, domain, a),
                  b,
                  await signAssignment(op!, domain, b),
                );
              if (expired) {
                await expect(tx).to.be.revertedWithCustomError(processes, "ProcessRegistryExitDelayElapsed");
              } else if (!frozen) {
                // The first proof of a process takes everything: at least the lock, unless an earlier
                // slash took part of it.
                await expect(tx)
                  .to.emit(processes, "EquivocationProven")
                  .withArgs(p, op!.address, watcher.address, 0n, anyHash(), anyHash(), before);
                if (!slashed[c.who]) expect(before).to.be.at.least(info.locked);
                slashed[c.who] = true;
                expect(await stake.slashableOf(op!.address)).to.equal(0n);
              } else {
                await expect(tx).to.be.revertedWithCustomError(processes, "ProcessRegistryAlreadyFrozen");
              }
            } else if (c.kind === "exit") {
              await processes.connect(op!).exitScheduler();
            } else if (c.kind === "release") {
              await processes.releaseSchedulerLock(op!.address);
            } else {
              await time.increase(c.seconds);
            }
          } catch (e) {
            const message = String(e);
            if (!/reverted with custom error '(ProcessRegistry|StakeManager)\w+\(/.test(message)) throw e;
          }
          // Invariants after every command.
          let locked = 0n;
          for (const [i, o] of ops.entries()) {
            const info = await processes.schedulerInfo(o.address);
            // The lock holds: a scheduler never slashed keeps at least its lock bonded.
            if (!slashed[i]) expect(await stake.bondedOf(o.address)).to.be.at.least(info.locked);
            expect(await stake.lockedBy(await processes.getAddress(), o.address)).to.equal(info.locked);
            expect(info.locked).to.be.at.most(maxMin);
            if (info.exitAt === 0n) expect(info.releasableAt).to.equal(0n);
            locked += info.locked;
          }
          expect(locked).to.be.at.most(3n * maxMin);
          await expectSolvent(stake, token);
        }
        // Drain: everyone exits, waits out the delay and releases; nothing stays locked.
        for (const o of ops) {
          if ((await processes.schedulerInfo(o.address)).exitAt === 0n)
            await processes.connect(o).exitScheduler();
        }
        await time.increase(STAKE_PARAMS.unbondingDelay + 1n);
        for (const o of ops) {
          if ((await processes.schedulerInfo(o.address)).locked !== 0n)
            await processes.releaseSchedulerLock(o.address);
          expect(await stake.lockedBy(await processes.getAddress(), o.address)).to.equal(0n);
        }
        await expectSolvent(stake, token);
      }),
      { numRuns: 25 },
    );
  });
});

/** A chai `withArgs` predicate for any 32-byte hash. */
function anyHash() {
  return (v: unknown) => typeof v === "string" && /^0x[0-9a-f]{64}$/.test(v);
}
