import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import type { StakeManager, ERC20Mock } from "../../typechain-types";
import { assignmentDomain, assignmentHash, signAssignment } from "../../sdk/ts/assignments";
import { deployRegistries, INITIAL_STATE, makeAssignment } from "../helpers/registry";
import { ONE, STAKE_PARAMS } from "../helpers/stake";

async function expectSolvent(stake: StakeManager, token: ERC20Mock) {
  const balance = await token.balanceOf(await stake.getAddress());
  expect(balance).to.equal(
    (await stake.totalBonded()) + (await stake.totalUnbonding()) + (await stake.totalPayouts()),
  );
}

/** The fixture plus two conflicting signed assignments for slot 5. */
async function equivocation() {
  const f = await deployRegistries();
  const a = makeAssignment(f.process, 5n, "a");
  const b = makeAssignment(f.process, 5n, "b");
  const sigA = await signAssignment(f.scheduler, f.domain, a);
  const sigB = await signAssignment(f.scheduler, f.domain, b);
  return { ...f, a, b, sigA, sigB };
}

describe("ProcessRegistry: equivocation", function () {
  it("test_proveEquivocation_conflictingAssignments_succeeds", async function () {
    const { processes, stake, token, process, scheduler, watcher, treasury, domain, a, b, sigA, sigB } =
      await loadFixture(equivocation);
    const slashable = await stake.slashableOf(scheduler.address);
    expect(slashable).to.equal(200n * ONE);
    const reward = (slashable * STAKE_PARAMS.slashRewardBps) / 10_000n;

    expect(await processes.connect(watcher).proveEquivocation.staticCall(a, sigA, b, sigB)).to.equal(
      slashable,
    );
    const tx = processes.connect(watcher).proveEquivocation(a, sigA, b, sigB);
    await expect(tx).to.emit(processes, "ProcessFrozen").withArgs(process, 5n);
    await expect(tx)
      .to.emit(processes, "EquivocationProven")
      .withArgs(
        process,
        scheduler.address,
        watcher.address,
        5n,
        assignmentHash(domain, a),
        assignmentHash(domain, b),
        slashable,
      );
    await expect(tx)
      .to.emit(stake, "Slashed")
      .withArgs(
        scheduler.address,
        await processes.getAddress(),
        watcher.address,
        slashable,
        reward,
        treasury.address,
        slashable - reward,
      );

    expect(await stake.slashableOf(scheduler.address)).to.equal(0n);
    expect(await stake.payoutOf(watcher.address)).to.equal(reward);
    expect(await processes.isFrozen(process)).to.equal(true);
    expect(await processes.frozenFromSlot(process)).to.equal(5n);
    expect(await processes.processStatus(process)).to.deep.equal([true, 5n]);
    await expectSolvent(stake, token);

    // The prover pulls its reward; stake is still conserved.
    await expect(stake.connect(watcher).claimPayout(watcher.address)).to.changeTokenBalance(
      token,
      watcher,
      reward,
    );
    await expectSolvent(stake, token);
  });

  it("test_proveEquivocation_unbondingStakeIsSlashed_succeeds", async function () {
    const { processes, stake, token, scheduler, watcher, a, b, sigA, sigB } = await loadFixture(equivocation);
    // All it can: the other 100 are the registry's scheduler lock.
    await stake.connect(scheduler).requestUnbond(100n * ONE);
    expect((await stake.unbondingOf(scheduler.address))[0]).to.equal(100n * ONE);
    await processes.connect(watcher).proveEquivocation(a, sigA, b, sigB);
    expect(await stake.slashableOf(scheduler.address)).to.equal(0n);
    expect(await stake.unbondingOf(scheduler.address)).to.deep.equal([
      0n,
      (await stake.unbondingOf(scheduler.address))[1],
    ]);
    await expectSolvent(stake, token);
  });

  it("test_proveEquivocation_laterSlotWhenFrozen_reverts", async function () {
    const { processes, stake, process, scheduler, watcher, domain, a, b, sigA, sigB } =
      await loadFixture(equivocation);
    await processes.connect(watcher).proveEquivocation(a, sigA, b, sigB);
    for (const slot of [5n, 9n]) {
      const c = makeAssignment(process, slot, "c");
      const d = makeAssignment(process, slot, "d");
      const sigC = await signAssignment(scheduler, domain, c);
      const sigD = await signAssignment(scheduler, domain, d);
      await expect(processes.connect(watcher).proveEquivocation(c, sigC, d, sigD))
        .to.be.revertedWithCustomError(processes, "ProcessRegistryAlreadyFrozen")
        .withArgs(process, 5n, slot);
    }
    expect(await stake.slashableOf(scheduler.address)).to.equal(0n);
  });

  it("test_proveEquivocation_earlierSlotMovesFreezeWithoutSlash_succeeds", async function () {
    const { processes, stake, token, process, scheduler, watcher, stranger, domain, a, b, sigA, sigB } =
      await loadFixture(equivocation);
    await processes.connect(watcher).proveEquivocation(a, sigA, b, sigB);
    // The scheduler bonds again; a second proof on the same process must not take it.
    await stake.connect(scheduler).bond(30n * ONE);
    const c = makeAssignment(process, 2n, "c");
    const d = makeAssignment(process, 2n, "d");
    const sigC = await signAssignment(scheduler, domain, c);
    const sigD = await signAssignment(scheduler, domain, d);
    const tx = processes.connect(stranger).proveEquivocation(c, sigC, d, sigD);
    await expect(tx).to.emit(processes, "ProcessFrozen").withArgs(process, 2n);
    await expect(tx).to.emit(processes, "EquivocationProven");
    await expect(tx).not.to.emit(stake, "Slashed");
    expect(await processes.frozenFromSlot(process)).to.equal(2n);
    expect(await stake.slashableOf(scheduler.address)).to.equal(30n * ONE);
    await expectSolvent(stake, token);
  });

  it("test_proveEquivocation_otherProcessOfSameScheduler_succeeds", async function () {
    const { processes, stake, moduleId, scheduler, watcher, stranger, domain } =
      await loadFixture(equivocation);
    await processes.connect(stranger).spawn(moduleId, scheduler.address, INITIAL_STATE, ethers.id("p2"));
    const p2 = await processes.computeProcessId(
      moduleId,
      scheduler.address,
      INITIAL_STATE,
      ethers.id("p2"),
      stranger.address,
    );
    await stake.connect(scheduler).requestUnbond(100n * ONE); // leaving does not help (100 stay locked)
    const c = makeAssignment(p2, 0n, "c");
    const d = makeAssignment(p2, 0n, "d");
    await processes
      .connect(watcher)
      .proveEquivocation(
        c,
        await signAssignment(scheduler, domain, c),
        d,
        await signAssignment(scheduler, domain, d),
      );
    expect(await processes.frozenFromSlot(p2)).to.equal(0n);
    expect(await stake.slashableOf(scheduler.address)).to.equal(0n);
  });

  it("test_proveEquivocation_processMismatch_reverts", async function () {
    const { processes, a, b, sigA, sigB } = await loadFixture(equivocation);
    const other = { ...b, process: ethers.id("other") };
    await expect(processes.proveEquivocation(a, sigA, other, sigB))
      .to.be.revertedWithCustomError(processes, "ProcessRegistryProcessMismatch")
      .withArgs(a.process, other.process);
  });

  it("test_proveEquivocation_slotMismatch_reverts", async function () {
    const { processes, a, b, sigA, sigB } = await loadFixture(equivocation);
    await expect(processes.proveEquivocation(a, sigA, { ...b, slot: 6n }, sigB))
      .to.be.revertedWithCustomError(processes, "ProcessRegistrySlotMismatch")
      .withArgs(5n, 6n);
  });

  it("test_proveEquivocation_consecutiveSlotsNotChained_reverts", async function () {
    // A chain break is not an equivocation: two assignments at consecutive slots are refused.
    const { processes, process, scheduler, domain, a, sigA } = await loadFixture(equivocation);
    const next = makeAssignment(process, 6n, "n", ethers.id("not the hash of slot 5"));
    await expect(processes.proveEquivocation(a, sigA, next, await signAssignment(scheduler, domain, next)))
      .to.be.revertedWithCustomError(processes, "ProcessRegistrySlotMismatch")
      .withArgs(5n, 6n);
  });

  it("test_proveEquivocation_unknownProcess_reverts", async function () {
    const { processes, scheduler, domain } = await loadFixture(equivocation);
    const unknown = ethers.id("unknown");
    const c = makeAssignment(unknown, 1n, "c");
    const d = makeAssignment(unknown, 1n, "d");
    await expect(
      processes.proveEquivocation(
        c,
        await signAssignment(scheduler, domain, c),
        d,
        await signAssignment(scheduler, domain, d),
      ),
    )
      .to.be.revertedWithCustomError(processes, "ProcessRegistryUnknownProcess")
      .withArgs(unknown);
  });

  it("test_proveEquivocation_sameContent_reverts", async function () {
    const { processes, domain, a, sigA } = await loadFixture(equivocation);
    // Even with a second, different signature over the same content (high-s twin refused by ECDSA).
    await expect(processes.proveEquivocation(a, sigA, { ...a }, sigA))
      .to.be.revertedWithCustomError(processes, "ProcessRegistrySameAssignment")
      .withArgs(assignmentHash(domain, a));
  });

  it("test_proveEquivocation_signatureByOther_reverts", async function () {
    const { processes, scheduler, stranger, domain, a, b, sigA } = await loadFixture(equivocation);
    const forged = await signAssignment(stranger, domain, b);
    await expect(processes.proveEquivocation(a, sigA, b, forged))
      .to.be.revertedWithCustomError(processes, "ProcessRegistryInvalidSignature")
      .withArgs(assignmentHash(domain, b), stranger.address, scheduler.address);
    await expect(processes.proveEquivocation(b, forged, a, sigA))
      .to.be.revertedWithCustomError(processes, "ProcessRegistryInvalidSignature")
      .withArgs(assignmentHash(domain, b), stranger.address, scheduler.address);
  });

  it("test_proveEquivocation_malformedSignature_reverts", async function () {
    const { processes, scheduler, domain, a, b, sigA } = await loadFixture(equivocation);
    await expect(processes.proveEquivocation(a, sigA, b, "0x"))
      .to.be.revertedWithCustomError(processes, "ProcessRegistryInvalidSignature")
      .withArgs(assignmentHash(domain, b), ethers.ZeroAddress, scheduler.address);
  });

  it("test_proveEquivocation_replayFromOtherChain_reverts", async function () {
    const { processes, scheduler, a, b, sigA } = await loadFixture(equivocation);
    const foreign = assignmentDomain(1n, await processes.getAddress());
    const sigB = await signAssignment(scheduler, foreign, b);
    await expect(processes.proveEquivocation(a, sigA, b, sigB)).to.be.revertedWithCustomError(
      processes,
      "ProcessRegistryInvalidSignature",
    );
  });

  it("test_proveEquivocation_replayFromOtherRegistry_reverts", async function () {
    const { processes, stake, admin, scheduler, a, b, sigA } = await loadFixture(equivocation);
    const other = await ethers.deployContract("ProcessRegistry", [
      await stake.getAddress(),
      admin.address,
      0n,
      2n ** 32n - 1n,
    ]);
    const { chainId } = await ethers.provider.getNetwork();
    const sigB = await signAssignment(scheduler, assignmentDomain(chainId, await other.getAddress()), b);
    await expect(processes.proveEquivocation(a, sigA, b, sigB)).to.be.revertedWithCustomError(
      processes,
      "ProcessRegistryInvalidSignature",
    );
  });

  it("test_proveEquivocation_replayFromOtherProcess_reverts", async function () {
    // Signatures over process A's assignments, presented as assignments of process B of the same scheduler.
    const { processes, moduleId, scheduler, stranger, a, b, sigA, sigB } = await loadFixture(equivocation);
    await processes.connect(stranger).spawn(moduleId, scheduler.address, INITIAL_STATE, ethers.id("p2"));
    const p2 = await processes.computeProcessId(
      moduleId,
      scheduler.address,
      INITIAL_STATE,
      ethers.id("p2"),
      stranger.address,
    );
    await expect(
      processes.proveEquivocation({ ...a, process: p2 }, sigA, { ...b, process: p2 }, sigB),
    ).to.be.revertedWithCustomError(processes, "ProcessRegistryInvalidSignature");
  });

  it("test_proveEquivocation_withoutSlasherRole_reverts", async function () {
    const { processes, stake, admin, a, b, sigA, sigB } = await loadFixture(equivocation);
    await stake.connect(admin).revokeRole(await stake.SLASHER_ROLE(), await processes.getAddress());
    await expect(processes.proveEquivocation(a, sigA, b, sigB))
      .to.be.revertedWithCustomError(stake, "AccessControlUnauthorizedAccount")
      .withArgs(await processes.getAddress(), await stake.SLASHER_ROLE());
  });
});
