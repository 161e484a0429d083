import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { buildResultsTree, resultLeaf, verifyResultProof } from "../../sdk/ts/results";
import { signAssignment } from "../../sdk/ts/assignments";
import {
  commitmentArgs,
  deployRegistries,
  INITIAL_STATE,
  makeAssignment,
  REGISTRY_PARAMS,
} from "../helpers/registry";
import { ONE, STAKE_PARAMS } from "../helpers/stake";

const Status = { None: 0n, Pending: 1n, Finalized: 2n, Rejected: 3n } as const;
const Reason = { ChallengeLost: 0n, ParentRejected: 1n, SiblingFinalized: 2n, ProcessFrozen: 3n } as const;
const MAX_U96 = 2n ** 96n - 1n;
const WINDOW = STAKE_PARAMS.challengeWindow;
type PostArgs = [string, bigint, bigint, bigint, string, string, string, string];

/** The fixture plus a genesis commitment [0, 9] by cu1 (id 1). */
async function withGenesis() {
  const f = await deployRegistries();
  await f.results.connect(f.cu1).postCommitment(...commitmentArgs(f.process, 0n, 0n, 9n, "g"));
  return f;
}

/** Genesis [0, 9] (id 1) finalized, and a child [10, 19] by cu2 (id 2) pending. */
async function withChain() {
  const f = await withGenesis();
  await time.increase(WINDOW);
  await f.results.finalize(1n);
  await f.results.connect(f.cu2).postCommitment(...commitmentArgs(f.process, 1n, 10n, 19n, "c"));
  return f;
}

/** Freeze the fixture's process from `slot` by an equivocation proof. */
async function freeze(f: Awaited<ReturnType<typeof deployRegistries>>, slot: bigint) {
  const a = makeAssignment(f.process, slot, "a");
  const b = makeAssignment(f.process, slot, "b");
  await f.processes
    .connect(f.watcher)
    .proveEquivocation(
      a,
      await signAssignment(f.scheduler, f.domain, a),
      b,
      await signAssignment(f.scheduler, f.domain, b),
    );
}

describe("ResultRegistry", function () {
  describe("constructor and governance", function () {
    it("test_constructor_setsParametersAndRoles_succeeds", async function () {
      const { results, stake, processes, admin, game } = await loadFixture(deployRegistries);
      expect(await results.stakeManager()).to.equal(await stake.getAddress());
      expect(await results.processRegistry()).to.equal(await processes.getAddress());
      expect(await results.commitmentStake()).to.equal(REGISTRY_PARAMS.commitmentStake);
      expect(await results.commitmentCount()).to.equal(0n);
      expect(await results.hasRole(await results.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await results.hasRole(await results.DISPUTE_GAME_ROLE(), game.address)).to.equal(true);
    });

    it("test_constructor_badAddressesOrStake_reverts", async function () {
      const { results, stake, processes, admin } = await loadFixture(deployRegistries);
      const factory = await ethers.getContractFactory("ResultRegistry");
      const s = await stake.getAddress();
      const p = await processes.getAddress();
      await expect(factory.deploy(admin.address, p, admin.address, 1n))
        .to.be.revertedWithCustomError(results, "ResultRegistryZeroAddress")
        .withArgs("stakeManager");
      await expect(factory.deploy(s, admin.address, admin.address, 1n))
        .to.be.revertedWithCustomError(results, "ResultRegistryZeroAddress")
        .withArgs("processRegistry");
      await expect(factory.deploy(s, p, admin.address, 0n))
        .to.be.revertedWithCustomError(results, "ResultRegistryInvalidCommitmentStake")
        .withArgs(0n, MAX_U96);
    });

    it("test_setCommitmentStake_admin_succeeds", async function () {
      const { results, admin } = await loadFixture(deployRegistries);
      await expect(results.connect(admin).setCommitmentStake(MAX_U96))
        .to.emit(results, "CommitmentStakeSet")
        .withArgs(MAX_U96);
      expect(await results.commitmentStake()).to.equal(MAX_U96);
    });

    it("test_setCommitmentStake_outOfRange_reverts", async function () {
      const { results, admin } = await loadFixture(deployRegistries);
      for (const bad of [0n, MAX_U96 + 1n]) {
        await expect(results.connect(admin).setCommitmentStake(bad))
          .to.be.revertedWithCustomError(results, "ResultRegistryInvalidCommitmentStake")
          .withArgs(bad, MAX_U96);
      }
    });

    it("test_setCommitmentStake_notAdmin_reverts", async function () {
      const { results, stranger } = await loadFixture(deployRegistries);
      await expect(results.connect(stranger).setCommitmentStake(1n))
        .to.be.revertedWithCustomError(results, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await results.DEFAULT_ADMIN_ROLE());
    });
  });

  describe("postCommitment", function () {
    it("test_postCommitment_genesis_succeeds", async function () {
      const { results, stake, process, cu1 } = await loadFixture(deployRegistries);
      const args = commitmentArgs(process, 0n, 0n, 9n, "g");
      const tx = results.connect(cu1).postCommitment(...args);
      await expect(tx)
        .to.emit(stake, "StakeLocked")
        .withArgs(await results.getAddress(), cu1.address, 10n * ONE, 10n * ONE);
      const receipt = await (await tx).wait();
      const postedAt = BigInt((await ethers.provider.getBlock(receipt!.blockNumber))!.timestamp);
      await expect(tx)
        .to.emit(results, "CommitmentPosted")
        .withArgs(
          1n,
          process,
          cu1.address,
          0n,
          0n,
          9n,
          args[4],
          args[5],
          args[6],
          args[7],
          postedAt + WINDOW,
          10n * ONE,
        );
      const c = await results.commitment(1n);
      expect(c.process).to.equal(process);
      expect(c.lastAssignmentHash).to.equal(args[4]);
      expect(c.stateHash).to.equal(args[5]);
      expect(c.resultsRoot).to.equal(args[6]);
      expect(c.arweaveRef).to.equal(args[7]);
      expect(c.poster).to.equal(cu1.address);
      expect([c.parent, c.firstSlot, c.lastSlot]).to.deep.equal([0n, 0n, 9n]);
      expect(c.postedAt).to.equal(postedAt);
      expect(c.challengeDeadline).to.equal(postedAt + WINDOW);
      expect(c.stake).to.equal(10n * ONE);
      expect(c.openChallenges).to.equal(0n);
      expect(c.status).to.equal(Status.Pending);
      expect(await results.commitmentCount()).to.equal(1n);
      expect(await stake.lockedBy(await results.getAddress(), cu1.address)).to.equal(10n * ONE);
    });

    it("test_postCommitment_childOfPendingAndSibling_succeeds", async function () {
      const { results, process, cu1, cu2 } = await loadFixture(withGenesis);
      await expect(
        results.connect(cu2).postCommitment(...commitmentArgs(process, 1n, 10n, 10n, "x")),
      ).to.emit(results, "CommitmentPosted");
      // A rival of the genesis commitment, and a longer rival of the child.
      await results.connect(cu2).postCommitment(...commitmentArgs(process, 0n, 0n, 3n, "r"));
      await results.connect(cu1).postCommitment(...commitmentArgs(process, 1n, 10n, 2n ** 32n + 9n, "y"));
      expect(await results.commitmentCount()).to.equal(4n);
    });

    it("test_postCommitment_windowReadFromStakeManager_succeeds", async function () {
      const { results, stake, admin, process, cu1 } = await loadFixture(deployRegistries);
      await stake.connect(admin).setTimes(100n, 200n, 300n);
      await results.connect(cu1).postCommitment(...commitmentArgs(process, 0n, 0n, 0n));
      const c = await results.commitment(1n);
      expect(c.challengeDeadline - c.postedAt).to.equal(100n);
    });

    it("test_postCommitment_unknownProcess_reverts", async function () {
      const { results, cu1 } = await loadFixture(deployRegistries);
      const unknown = ethers.id("unknown");
      await expect(results.connect(cu1).postCommitment(...commitmentArgs(unknown, 0n, 0n, 1n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryUnknownProcess")
        .withArgs(unknown);
    });

    it("test_postCommitment_unknownParent_reverts", async function () {
      const { results, process, cu1 } = await loadFixture(deployRegistries);
      await expect(results.connect(cu1).postCommitment(...commitmentArgs(process, 7n, 0n, 1n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
        .withArgs(7n);
    });

    it("test_postCommitment_parentOfOtherProcess_reverts", async function () {
      const { results, processes, moduleId, scheduler, stranger, process, cu2 } =
        await loadFixture(withGenesis);
      await processes.connect(stranger).spawn(moduleId, scheduler.address, INITIAL_STATE, ethers.id("p2"));
      const p2 = await processes.computeProcessId(
        moduleId,
        scheduler.address,
        INITIAL_STATE,
        ethers.id("p2"),
        stranger.address,
      );
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(p2, 1n, 10n, 11n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryParentMismatch")
        .withArgs(1n, process, p2);
    });

    it("test_postCommitment_parentRejected_reverts", async function () {
      const { results, game, process, cu2 } = await loadFixture(withGenesis);
      await results.connect(game).onChallengeOpened(1n);
      await results.connect(game).onChallengeResolved(1n, true);
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(process, 1n, 10n, 11n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryParentRejected")
        .withArgs(1n);
    });

    it("test_postCommitment_parentHasFinalizedChild_reverts", async function () {
      const { results, process, cu2 } = await loadFixture(withChain);
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(process, 0n, 0n, 4n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryParentHasFinalizedChild")
        .withArgs(process, 0n, 1n);
      await time.increase(WINDOW);
      await results.finalize(2n);
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(process, 1n, 10n, 12n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryParentHasFinalizedChild")
        .withArgs(process, 1n, 2n);
    });

    it("test_postCommitment_nonContiguousSlots_reverts", async function () {
      const { results, process, cu2 } = await loadFixture(withGenesis);
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(process, 0n, 1n, 4n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryNonContiguousSlots")
        .withArgs(0n, 0n, 1n);
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(process, 1n, 11n, 14n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryNonContiguousSlots")
        .withArgs(1n, 10n, 11n);
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(process, 1n, 9n, 14n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryNonContiguousSlots")
        .withArgs(1n, 10n, 9n);
    });

    it("test_postCommitment_invalidSlotRange_reverts", async function () {
      const { results, process, cu2 } = await loadFixture(withGenesis);
      const max = 2n ** 32n;
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(process, 1n, 10n, 9n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryInvalidSlotRange")
        .withArgs(10n, 9n, max);
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(process, 1n, 10n, 10n + max)))
        .to.be.revertedWithCustomError(results, "ResultRegistryInvalidSlotRange")
        .withArgs(10n, 10n + max, max);
    });

    for (const [index, what] of [
      [4, "lastAssignmentHash"],
      [5, "stateHash"],
      [6, "resultsRoot"],
    ] as const) {
      it(`test_postCommitment_zero_${what}_reverts`, async function () {
        const { results, process, cu1 } = await loadFixture(deployRegistries);
        const args: PostArgs = [...commitmentArgs(process, 0n, 0n, 1n)];
        args[index] = ethers.ZeroHash;
        await expect(results.connect(cu1).postCommitment(...args))
          .to.be.revertedWithCustomError(results, "ResultRegistryZeroHash")
          .withArgs(what);
      });
    }

    it("test_postCommitment_zeroArweaveRef_succeeds", async function () {
      const { results, process, cu1 } = await loadFixture(deployRegistries);
      const args: PostArgs = [...commitmentArgs(process, 0n, 0n, 1n)];
      args[7] = ethers.ZeroHash;
      await expect(results.connect(cu1).postCommitment(...args)).to.emit(results, "CommitmentPosted");
    });

    it("test_postCommitment_slotBeyondFreeze_reverts", async function () {
      const f = await loadFixture(withGenesis);
      await freeze(f, 12n);
      await expect(f.results.connect(f.cu2).postCommitment(...commitmentArgs(f.process, 1n, 10n, 12n)))
        .to.be.revertedWithCustomError(f.results, "ResultRegistrySlotBeyondFreeze")
        .withArgs(f.process, 12n, 12n);
      await expect(
        f.results.connect(f.cu2).postCommitment(...commitmentArgs(f.process, 1n, 10n, 11n)),
      ).to.emit(f.results, "CommitmentPosted");
    });

    it("test_postCommitment_insufficientStake_reverts", async function () {
      const { results, stake, process, cu1, stranger } = await loadFixture(deployRegistries);
      await expect(results.connect(stranger).postCommitment(...commitmentArgs(process, 0n, 0n, 1n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryInsufficientStake")
        .withArgs(stranger.address, 0n, 10n * ONE);
      await stake.connect(cu1).requestUnbond(95n * ONE);
      await expect(results.connect(cu1).postCommitment(...commitmentArgs(process, 0n, 0n, 1n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryInsufficientStake")
        .withArgs(cu1.address, 5n * ONE, 10n * ONE);
    });

    it("test_postCommitment_withoutLockerRole_reverts", async function () {
      const { results, stake, admin, process, cu1 } = await loadFixture(deployRegistries);
      await stake.connect(admin).revokeRole(await stake.LOCKER_ROLE(), await results.getAddress());
      await expect(results.connect(cu1).postCommitment(...commitmentArgs(process, 0n, 0n, 1n)))
        .to.be.revertedWithCustomError(stake, "AccessControlUnauthorizedAccount")
        .withArgs(await results.getAddress(), await stake.LOCKER_ROLE());
    });
  });

  describe("finalize", function () {
    it("test_finalize_afterWindow_succeeds", async function () {
      const { results, stake, process, cu1, stranger } = await loadFixture(withGenesis);
      const c = await results.commitment(1n);
      await time.setNextBlockTimestamp(c.challengeDeadline);
      const tx = results.connect(stranger).finalize(1n);
      await expect(tx).to.emit(results, "CommitmentFinalized").withArgs(1n, process, 9n, c.stateHash);
      await expect(tx)
        .to.emit(stake, "StakeUnlocked")
        .withArgs(await results.getAddress(), cu1.address, 10n * ONE, 0n);
      expect((await results.commitment(1n)).status).to.equal(Status.Finalized);
      expect(await results.latestFinalized(process)).to.deep.equal([1n, 9n, c.stateHash]);
      expect(await results.finalizedChild(process, 0n)).to.equal(1n);
    });

    it("test_finalize_chainInOrder_succeeds", async function () {
      const { results, process } = await loadFixture(withChain);
      await time.increase(WINDOW);
      await results.finalize(2n);
      const c = await results.commitment(2n);
      expect(await results.latestFinalized(process)).to.deep.equal([2n, 19n, c.stateHash]);
      expect(await results.finalizedChild(process, 1n)).to.equal(2n);
    });

    it("test_finalize_windowNotElapsed_reverts", async function () {
      const { results } = await loadFixture(withGenesis);
      const c = await results.commitment(1n);
      await time.setNextBlockTimestamp(c.challengeDeadline - 1n);
      await expect(results.finalize(1n))
        .to.be.revertedWithCustomError(results, "ResultRegistryWindowNotElapsed")
        .withArgs(1n, c.challengeDeadline, c.challengeDeadline - 1n);
    });

    it("test_finalize_challengeOpen_reverts", async function () {
      const { results, game } = await loadFixture(withGenesis);
      await results.connect(game).onChallengeOpened(1n);
      await results.connect(game).onChallengeOpened(1n);
      await time.increase(WINDOW);
      await expect(results.finalize(1n))
        .to.be.revertedWithCustomError(results, "ResultRegistryChallengeOpen")
        .withArgs(1n, 2n);
      await results.connect(game).onChallengeResolved(1n, false);
      await results.connect(game).onChallengeResolved(1n, false);
      await expect(results.finalize(1n)).to.emit(results, "CommitmentFinalized");
    });

    it("test_finalize_parentPending_reverts", async function () {
      const { results, process, cu2 } = await loadFixture(withGenesis);
      await results.connect(cu2).postCommitment(...commitmentArgs(process, 1n, 10n, 11n));
      await time.increase(2n * WINDOW);
      await expect(results.finalize(2n))
        .to.be.revertedWithCustomError(results, "ResultRegistryParentNotFinalized")
        .withArgs(2n, 1n, Status.Pending);
    });

    it("test_finalize_siblingFinalized_reverts", async function () {
      const { results, process, cu2 } = await loadFixture(withGenesis);
      await results.connect(cu2).postCommitment(...commitmentArgs(process, 0n, 0n, 3n, "rival"));
      await time.increase(WINDOW);
      await results.finalize(1n);
      await expect(results.finalize(2n))
        .to.be.revertedWithCustomError(results, "ResultRegistrySiblingFinalized")
        .withArgs(2n, 1n);
    });

    it("test_finalize_processFrozen_reverts", async function () {
      const f = await loadFixture(withGenesis);
      await freeze(f, 9n);
      await time.increase(WINDOW);
      await expect(f.results.finalize(1n))
        .to.be.revertedWithCustomError(f.results, "ResultRegistrySlotBeyondFreeze")
        .withArgs(f.process, 9n, 9n);
    });

    it("test_finalize_notPendingOrUnknown_reverts", async function () {
      const { results } = await loadFixture(withChain);
      await expect(results.finalize(1n))
        .to.be.revertedWithCustomError(results, "ResultRegistryNotPending")
        .withArgs(1n, Status.Finalized);
      await expect(results.finalize(3n))
        .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
        .withArgs(3n);
    });
  });

  describe("prune", function () {
    it("test_prune_parentRejected_succeeds", async function () {
      const { results, stake, game, process, cu2 } = await loadFixture(withGenesis);
      await results.connect(cu2).postCommitment(...commitmentArgs(process, 1n, 10n, 11n));
      await results.connect(cu2).postCommitment(...commitmentArgs(process, 2n, 12n, 13n));
      await results.connect(game).onChallengeOpened(1n);
      await expect(results.connect(game).onChallengeResolved(1n, true))
        .to.emit(results, "CommitmentRejected")
        .withArgs(1n, process, Reason.ChallengeLost);
      // The grandchild cannot be pruned before its parent.
      await expect(results.prune(3n))
        .to.be.revertedWithCustomError(results, "ResultRegistryNotPrunable")
        .withArgs(3n);
      expect(await results.prune.staticCall(2n)).to.equal(Reason.ParentRejected);
      await expect(results.prune(2n))
        .to.emit(results, "CommitmentRejected")
        .withArgs(2n, process, Reason.ParentRejected);
      await expect(results.prune(3n))
        .to.emit(results, "CommitmentRejected")
        .withArgs(3n, process, Reason.ParentRejected);
      expect(await stake.lockedBy(await results.getAddress(), cu2.address)).to.equal(0n);
    });

    it("test_prune_siblingFinalized_succeeds", async function () {
      const { results, process, cu2 } = await loadFixture(withGenesis);
      await results.connect(cu2).postCommitment(...commitmentArgs(process, 0n, 0n, 3n, "rival"));
      await time.increase(WINDOW);
      await results.finalize(1n);
      await expect(results.prune(2n))
        .to.emit(results, "CommitmentRejected")
        .withArgs(2n, process, Reason.SiblingFinalized);
    });

    it("test_prune_processFrozen_succeeds", async function () {
      const f = await loadFixture(withGenesis);
      await freeze(f, 3n);
      await expect(f.results.prune(1n))
        .to.emit(f.results, "CommitmentRejected")
        .withArgs(1n, f.process, Reason.ProcessFrozen);
    });

    it("test_prune_pendingThatMayFinalize_reverts", async function () {
      const { results } = await loadFixture(withChain);
      await expect(results.prune(2n))
        .to.be.revertedWithCustomError(results, "ResultRegistryNotPrunable")
        .withArgs(2n);
      await expect(results.prune(1n))
        .to.be.revertedWithCustomError(results, "ResultRegistryNotPending")
        .withArgs(1n, Status.Finalized);
      await expect(results.prune(9n))
        .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
        .withArgs(9n);
    });
  });

  describe("dispute game hooks", function () {
    it("test_onChallengeOpened_withinWindow_succeeds", async function () {
      const { results, game } = await loadFixture(withGenesis);
      const c = await results.commitment(1n);
      await time.setNextBlockTimestamp(c.challengeDeadline - 1n);
      await expect(results.connect(game).onChallengeOpened(1n))
        .to.emit(results, "ChallengeOpened")
        .withArgs(1n, game.address, 1n);
      expect((await results.commitment(1n)).openChallenges).to.equal(1n);
    });

    it("test_onChallengeOpened_windowElapsed_reverts", async function () {
      const { results, game } = await loadFixture(withGenesis);
      const c = await results.commitment(1n);
      await time.setNextBlockTimestamp(c.challengeDeadline);
      await expect(results.connect(game).onChallengeOpened(1n))
        .to.be.revertedWithCustomError(results, "ResultRegistryWindowElapsed")
        .withArgs(1n, c.challengeDeadline, c.challengeDeadline);
    });

    it("test_onChallengeOpened_notPendingOrUnknown_reverts", async function () {
      const { results, game } = await loadFixture(withChain);
      await expect(results.connect(game).onChallengeOpened(1n))
        .to.be.revertedWithCustomError(results, "ResultRegistryNotPending")
        .withArgs(1n, Status.Finalized);
      await expect(results.connect(game).onChallengeOpened(5n))
        .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
        .withArgs(5n);
    });

    it("test_onChallenge_notGame_reverts", async function () {
      const { results, stranger } = await loadFixture(withGenesis);
      const role = await results.DISPUTE_GAME_ROLE();
      await expect(results.connect(stranger).onChallengeOpened(1n))
        .to.be.revertedWithCustomError(results, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await expect(results.connect(stranger).onChallengeResolved(1n, true))
        .to.be.revertedWithCustomError(results, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
    });

    it("test_onChallengeResolved_challengerWins_succeeds", async function () {
      const { results, stake, game, process, cu1 } = await loadFixture(withGenesis);
      await results.connect(game).onChallengeOpened(1n);
      await results.connect(game).onChallengeOpened(1n);
      const tx = results.connect(game).onChallengeResolved(1n, true);
      await expect(tx).to.emit(results, "ChallengeResolved").withArgs(1n, game.address, true, 1n);
      await expect(tx).to.emit(results, "CommitmentRejected").withArgs(1n, process, Reason.ChallengeLost);
      await expect(tx)
        .to.emit(stake, "StakeUnlocked")
        .withArgs(await results.getAddress(), cu1.address, 10n * ONE, 0n);
      // The other game still resolves, without unlocking twice.
      const tx2 = results.connect(game).onChallengeResolved(1n, true);
      await expect(tx2).to.emit(results, "ChallengeResolved").withArgs(1n, game.address, true, 0n);
      await expect(tx2).not.to.emit(stake, "StakeUnlocked");
      expect((await results.commitment(1n)).status).to.equal(Status.Rejected);
    });

    it("test_onChallengeResolved_asserterWins_succeeds", async function () {
      const { results, game } = await loadFixture(withGenesis);
      await results.connect(game).onChallengeOpened(1n);
      await expect(results.connect(game).onChallengeResolved(1n, false)).not.to.emit(
        results,
        "CommitmentRejected",
      );
      expect((await results.commitment(1n)).status).to.equal(Status.Pending);
    });

    it("test_onChallengeResolved_afterPrune_succeeds", async function () {
      const f = await loadFixture(withGenesis);
      await f.results.connect(f.game).onChallengeOpened(1n);
      await freeze(f, 0n);
      await f.results.prune(1n);
      await expect(f.results.connect(f.game).onChallengeResolved(1n, false))
        .to.emit(f.results, "ChallengeResolved")
        .withArgs(1n, f.game.address, false, 0n);
    });

    it("test_onChallengeResolved_noOpenChallenge_reverts", async function () {
      const { results, game } = await loadFixture(withGenesis);
      await expect(results.connect(game).onChallengeResolved(1n, true))
        .to.be.revertedWithCustomError(results, "ResultRegistryNoOpenChallenge")
        .withArgs(1n);
      await expect(results.connect(game).onChallengeResolved(4n, true))
        .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
        .withArgs(4n);
    });
  });

  describe("integrator views", function () {
    it("test_latestFinalized_none_succeeds", async function () {
      const { results, process } = await loadFixture(withGenesis);
      expect(await results.latestFinalized(process)).to.deep.equal([0n, 0n, INITIAL_STATE]);
    });

    it("test_latestFinalized_unknownProcess_reverts", async function () {
      const { results, processes } = await loadFixture(deployRegistries);
      await expect(results.latestFinalized(ethers.id("nope")))
        .to.be.revertedWithCustomError(processes, "ProcessRegistryUnknownProcess")
        .withArgs(ethers.id("nope"));
    });

    it("test_commitment_unknown_reverts", async function () {
      const { results } = await loadFixture(deployRegistries);
      await expect(results.commitment(0n))
        .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
        .withArgs(0n);
    });

    it("test_resultLeaf_matchesTypeScript_succeeds", async function () {
      const { results, process } = await loadFixture(deployRegistries);
      for (const slot of [0n, 1n, 2n ** 64n - 1n]) {
        const r = ethers.id(`result ${slot}`);
        expect(await results.resultLeaf(process, slot, r)).to.equal(resultLeaf(process, slot, r));
      }
    });

    for (const count of [1, 2, 3, 5, 8, 13]) {
      it(`test_verifyResult_treeOf${count}_succeeds`, async function () {
        const { results, process, cu2 } = await loadFixture(withGenesis);
        const first = 10n;
        const hashes = Array.from({ length: count }, (_, i) => ethers.id(`r${i}`));
        const tree = buildResultsTree(process, first, hashes);
        const last = first + BigInt(count - 1);
        await results
          .connect(cu2)
          .postCommitment(
            process,
            1n,
            first,
            last,
            ethers.id("la"),
            ethers.id("st"),
            tree.root,
            ethers.ZeroHash,
          );
        // Not yet finalized: false.
        expect(
          await results.verifyResult(process, first, hashes[0], {
            commitmentId: 2n,
            siblings: tree.proof(first),
          }),
        ).to.equal(false);
        await time.increase(WINDOW);
        await results.finalize(1n);
        await results.finalize(2n);
        for (let i = 0; i < count; i++) {
          const slot = first + BigInt(i);
          const siblings = tree.proof(slot);
          expect(siblings.length).to.equal(tree.depth);
          expect(
            verifyResultProof(tree.root, count, i, resultLeaf(process, slot, hashes[i]), siblings),
          ).to.equal(true);
          expect(
            await results.verifyResult(process, slot, hashes[i], { commitmentId: 2n, siblings }),
          ).to.equal(true);
          // Wrong result, wrong slot, wrong proof length, wrong commitment, wrong process: false.
          expect(
            await results.verifyResult(process, slot, ethers.id("wrong"), { commitmentId: 2n, siblings }),
          ).to.equal(false);
          expect(
            await results.verifyResult(process, slot, hashes[i], {
              commitmentId: 2n,
              siblings: [...siblings, ethers.ZeroHash],
            }),
          ).to.equal(false);
          expect(
            await results.verifyResult(process, slot, hashes[i], { commitmentId: 1n, siblings }),
          ).to.equal(false);
          expect(
            await results.verifyResult(ethers.id("p"), slot, hashes[i], { commitmentId: 2n, siblings }),
          ).to.equal(false);
          if (count > 1) {
            const other = i === 0 ? 1 : 0;
            expect(
              await results.verifyResult(process, first + BigInt(other), hashes[i], {
                commitmentId: 2n,
                siblings,
              }),
            ).to.equal(false);
          }
        }
        expect(
          await results.verifyResult(process, first - 1n, hashes[0], {
            commitmentId: 2n,
            siblings: tree.proof(first),
          }),
        ).to.equal(false);
        expect(
          await results.verifyResult(process, last + 1n, hashes[0], {
            commitmentId: 2n,
            siblings: tree.proof(first),
          }),
        ).to.equal(false);
        expect(
          await results.verifyResult(process, first, hashes[0], { commitmentId: 99n, siblings: [] }),
        ).to.equal(false);
      });
    }
  });
});
