import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { Commitment } from "../../sdk/ts/results";
import { buildResultsTree, commitmentId, resultLeaf, verifyResultProof } from "../../sdk/ts/results";
import { signAssignment } from "../../sdk/ts/assignments";
import type { PostArgs } from "../helpers/registry";
import {
  commitmentArgs,
  commitmentOf,
  deployRegistries,
  INITIAL_STATE,
  makeAssignment,
  post,
  REGISTRY_PARAMS,
} from "../helpers/registry";
import { ONE, STAKE_PARAMS } from "../helpers/stake";

const Status = { None: 0n, Pending: 1n, Finalized: 2n, Rejected: 3n } as const;
const Reason = { ChallengeLost: 0n, ParentRejected: 1n, SiblingFinalized: 2n, ProcessFrozen: 3n } as const;
const MAX_U96 = 2n ** 96n - 1n;
const MAX_U128 = 2n ** 128n - 1n;
const WINDOW = STAKE_PARAMS.challengeWindow;
const STAKE = REGISTRY_PARAMS.commitmentStake;
const ZERO = ethers.ZeroHash;

type Fixture = Awaited<ReturnType<typeof deployRegistries>>;

/** A commitment's content as the tuple an event or a call carries, in field order. */
function tuple(c: Commitment) {
  return [
    c.process,
    c.parent,
    c.firstSlot,
    c.lastSlot,
    c.lastAssignmentHash,
    c.stateHash,
    c.resultsRoot,
    c.arweaveRef,
    c.poster,
    c.stake,
  ];
}

/** The fixture plus a genesis commitment [0, 9] by cu1. */
async function withGenesis() {
  const f = await deployRegistries();
  const g = await post(f.results, f.cu1, commitmentArgs(f.process, ZERO, 0n, 9n, "g"));
  return { ...f, g };
}

/** Genesis [0, 9] by cu1 finalized, and a child [10, 19] by cu2 pending. */
async function withChain() {
  const f = await withGenesis();
  await time.increase(WINDOW);
  await f.results.finalize(f.g.c);
  const child = await post(f.results, f.cu2, commitmentArgs(f.process, f.g.id, 10n, 19n, "c"));
  return { ...f, child };
}

/** Freeze the fixture's process from `slot` by an equivocation proof. */
async function freeze(f: Fixture, slot: bigint) {
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

/** Spawns a second process of the fixture's module (owned by `stranger`) and returns its id. */
async function spawnSecond(f: Fixture): Promise<string> {
  await f.processes
    .connect(f.stranger)
    .spawn(f.moduleId, f.scheduler.address, INITIAL_STATE, ethers.id("p2"));
  return f.processes.computeProcessId(
    f.moduleId,
    f.scheduler.address,
    INITIAL_STATE,
    ethers.id("p2"),
    f.stranger.address,
  );
}

async function reservation(f: Fixture, cu: string): Promise<[bigint, bigint]> {
  const r = await f.results.reservationOf(cu);
  expect(await f.stake.lockedBy(await f.results.getAddress(), cu), "lockedBy = reserved").to.equal(
    r.reserved,
  );
  return [r.reserved, r.pending];
}

describe("ResultRegistry", function () {
  describe("constructor and governance", function () {
    it("test_constructor_setsParametersAndRoles_succeeds", async function () {
      const { results, stake, processes, admin, game, cu1, process } = await loadFixture(deployRegistries);
      expect(await results.stakeManager()).to.equal(await stake.getAddress());
      expect(await results.processRegistry()).to.equal(await processes.getAddress());
      expect(await results.commitmentStake()).to.equal(STAKE);
      expect(await results.MAX_SLOTS_PER_COMMITMENT()).to.equal(2n ** 32n);
      expect(await results.reservationOf(cu1.address)).to.deep.equal([0n, 0n]);
      expect(await results.latestFinalized(process)).to.deep.equal([ZERO, 0n]);
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
        .to.be.revertedWithCustomError(results, "ResultRegistryInvalidAmount")
        .withArgs("commitmentStake", 0n, MAX_U96);
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
          .to.be.revertedWithCustomError(results, "ResultRegistryInvalidAmount")
          .withArgs("commitmentStake", bad, MAX_U96);
      }
    });

    it("test_setCommitmentStake_notAdmin_reverts", async function () {
      const { results, stranger } = await loadFixture(deployRegistries);
      await expect(results.connect(stranger).setCommitmentStake(1n))
        .to.be.revertedWithCustomError(results, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await results.DEFAULT_ADMIN_ROLE());
    });

    it("test_setCommitmentStake_pendingKeepTheirStake_succeeds", async function () {
      const f = await loadFixture(withGenesis);
      await f.results.connect(f.admin).setCommitmentStake(3n * ONE);
      const child = await post(f.results, f.cu1, commitmentArgs(f.process, f.g.id, 10n, 10n, "x"));
      expect(child.c.stake).to.equal(3n * ONE);
      // The free part was 0, so the new commitment locked its own 3 tokens.
      expect(await reservation(f, f.cu1.address)).to.deep.equal([13n * ONE, 13n * ONE]);
      await time.increase(WINDOW);
      await f.results.finalize(f.g.c);
      expect(await reservation(f, f.cu1.address)).to.deep.equal([13n * ONE, 3n * ONE]);
      await f.results.finalize(child.c);
      expect(await reservation(f, f.cu1.address)).to.deep.equal([13n * ONE, 0n]);
    });
  });

  describe("commitment ids", function () {
    it("test_commitmentId_matchesTypeScript_succeeds", async function () {
      const { results, process, cu1 } = await loadFixture(deployRegistries);
      const base = commitmentOf(commitmentArgs(process, ZERO, 0n, 9n, "g"), cu1.address, STAKE);
      const contents: Commitment[] = [
        base,
        { ...base, parent: ethers.id("parent"), firstSlot: 10n, lastSlot: 2n ** 64n - 1n },
        { ...base, arweaveRef: ZERO, stake: MAX_U96 },
        { ...base, poster: ethers.ZeroAddress, stake: 0n, firstSlot: 0n, lastSlot: 0n },
      ];
      for (const c of contents) {
        const id = commitmentId(c);
        expect(await results.commitmentId(c)).to.equal(id);
        expect(id).to.equal(
          ethers.keccak256(
            ethers.AbiCoder.defaultAbiCoder().encode(
              [
                "bytes32",
                "bytes32",
                "uint64",
                "uint64",
                "bytes32",
                "bytes32",
                "bytes32",
                "bytes32",
                "address",
                "uint96",
              ],
              tuple(c),
            ),
          ),
        );
      }
      // Every field is part of the id.
      const ids = new Set(
        Object.keys(base).map((key) => {
          const k = key as keyof Commitment;
          const v = base[k];
          const changed =
            typeof v === "bigint" ? v + 1n : k === "poster" ? ethers.ZeroAddress : ethers.id(`${k} changed`);
          return commitmentId({ ...base, [k]: changed });
        }),
      );
      expect(ids.size).to.equal(10);
      expect(ids.has(commitmentId(base))).to.equal(false);
    });

    it("test_postCommitment_returnsContentId_succeeds", async function () {
      const { results, process, cu1 } = await loadFixture(deployRegistries);
      const args = commitmentArgs(process, ZERO, 0n, 9n, "g");
      const id = commitmentId(commitmentOf(args, cu1.address, STAKE));
      expect(await results.connect(cu1).postCommitment.staticCall(...args)).to.equal(id);
      await expect(results.connect(cu1).postCommitment(...args))
        .to.emit(results, "CommitmentPosted")
        .withArgs(id, process, cu1.address, tuple(commitmentOf(args, cu1.address, STAKE)), anyDeadline);
    });

    it("test_finalize_wrongContent_reverts", async function () {
      const { results, g } = await loadFixture(withGenesis);
      await time.increase(WINDOW);
      for (const key of Object.keys(g.c) as (keyof Commitment)[]) {
        const v = g.c[key];
        const wrong: Commitment = {
          ...g.c,
          [key]: typeof v === "bigint" ? v + 1n : key === "poster" ? ethers.ZeroAddress : ethers.id("wrong"),
        };
        await expect(results.finalize(wrong))
          .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
          .withArgs(commitmentId(wrong));
        await expect(results.prune(wrong))
          .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
          .withArgs(commitmentId(wrong));
        expect(await results.statusOf(wrong)).to.equal(Status.None);
      }
      await expect(results.finalize(g.c)).to.emit(results, "CommitmentFinalized");
    });

    it("test_finalize_dirtyNarrowField_reverts", async function () {
      const { results, g, stranger } = await loadFixture(withGenesis);
      await time.increase(WINDOW);
      // The same content with a bit set above the 64 bits of `firstSlot`: abi.encode would refuse it,
      // and its raw words hash to an id no post created.
      const data = results.interface.encodeFunctionData("finalize", [g.c]);
      const words = data.slice(10);
      const dirtyFirst = "01" + words.slice(64 * 2 + 2, 64 * 3);
      const dirtyWords = words.slice(0, 64 * 2) + dirtyFirst + words.slice(64 * 3);
      const dirtyId = ethers.keccak256("0x" + dirtyWords);
      expect(dirtyId).to.not.equal(g.id);
      await expect(
        stranger.sendTransaction({ to: await results.getAddress(), data: data.slice(0, 10) + dirtyWords }),
      )
        .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
        .withArgs(dirtyId);
    });
  });

  describe("postCommitment", function () {
    it("test_postCommitment_genesis_succeeds", async function () {
      const { results, stake, process, cu1 } = await loadFixture(deployRegistries);
      const args = commitmentArgs(process, ZERO, 0n, 9n, "g");
      const c = commitmentOf(args, cu1.address, STAKE);
      const id = commitmentId(c);
      const tx = results.connect(cu1).postCommitment(...args);
      const receipt = await (await tx).wait();
      const postedAt = BigInt((await ethers.provider.getBlock(receipt!.blockNumber))!.timestamp);
      await expect(tx)
        .to.emit(results, "CommitmentPosted")
        .withArgs(id, process, cu1.address, tuple(c), postedAt + WINDOW);
      // No reservation yet: the post locks its whole stake.
      await expect(tx)
        .to.emit(stake, "StakeLocked")
        .withArgs(await results.getAddress(), cu1.address, STAKE, STAKE);
      await expect(tx).to.emit(results, "ReservationChanged").withArgs(cu1.address, STAKE, STAKE);
      expect(await results.record(id)).to.deep.equal([Status.Pending, 0n, 9n, postedAt + WINDOW]);
      expect(await results.statusOf(c)).to.equal(Status.Pending);
      expect(await results.reservationOf(cu1.address)).to.deep.equal([STAKE, STAKE]);
      expect(await stake.lockedBy(await results.getAddress(), cu1.address)).to.equal(STAKE);
    });

    it("test_postCommitment_childOfPendingAndSiblings_succeeds", async function () {
      const { results, process, cu1, cu2, g } = await loadFixture(withGenesis);
      const child = await post(results, cu2, commitmentArgs(process, g.id, 10n, 10n, "x"));
      expect(await results.record(child.id)).to.deep.equal([Status.Pending, 0n, 10n, child.deadline]);
      // A rival of the genesis commitment, and a longer rival of the child.
      await post(results, cu2, commitmentArgs(process, ZERO, 0n, 3n, "r"));
      await post(results, cu1, commitmentArgs(process, g.id, 10n, 2n ** 32n + 9n, "y"));
      // The same content by another poster is another commitment.
      await post(results, cu1, commitmentArgs(process, g.id, 10n, 10n, "x"));
    });

    it("test_postCommitment_sameContentTwice_reverts", async function () {
      const { results, process, cu1, g } = await loadFixture(withGenesis);
      await expect(results.connect(cu1).postCommitment(...commitmentArgs(process, ZERO, 0n, 9n, "g")))
        .to.be.revertedWithCustomError(results, "ResultRegistryCommitmentExists")
        .withArgs(g.id);
      // Even after it finalized.
      await time.increase(WINDOW);
      await results.finalize(g.c);
      await expect(results.connect(cu1).postCommitment(...commitmentArgs(process, ZERO, 0n, 9n, "g")))
        .to.be.revertedWithCustomError(results, "ResultRegistryCommitmentExists")
        .withArgs(g.id);
    });

    it("test_postCommitment_windowReadFromStakeManager_succeeds", async function () {
      const { results, stake, admin, process, cu1 } = await loadFixture(deployRegistries);
      await stake.connect(admin).setTimes(100n, 200n, 300n);
      const { id, receipt } = await post(results, cu1, commitmentArgs(process, ZERO, 0n, 0n));
      const postedAt = BigInt((await ethers.provider.getBlock(receipt.blockNumber))!.timestamp);
      expect((await results.record(id)).deadline).to.equal(postedAt + 100n);
    });

    it("test_postCommitment_unknownProcess_reverts", async function () {
      const { results, cu1 } = await loadFixture(deployRegistries);
      const unknown = ethers.id("unknown");
      await expect(results.connect(cu1).postCommitment(...commitmentArgs(unknown, ZERO, 0n, 1n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryUnknownProcess")
        .withArgs(unknown);
    });

    it("test_postCommitment_unknownParent_reverts", async function () {
      const { results, process, cu1 } = await loadFixture(deployRegistries);
      const parent = ethers.id("no such commitment");
      await expect(results.connect(cu1).postCommitment(...commitmentArgs(process, parent, 0n, 1n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
        .withArgs(parent);
    });

    it("test_postCommitment_parentOfOtherProcess_reverts", async function () {
      const f = await loadFixture(withGenesis);
      const p2 = await spawnSecond(f);
      await expect(f.results.connect(f.cu2).postCommitment(...commitmentArgs(p2, f.g.id, 10n, 11n)))
        .to.be.revertedWithCustomError(f.results, "ResultRegistryParentMismatch")
        .withArgs(f.g.id, p2);
      // An unspawned process named with a real parent is refused the same way (a child post learns
      // that its process exists from its parent).
      const fake = ethers.id("not spawned");
      await expect(f.results.connect(f.cu2).postCommitment(...commitmentArgs(fake, f.g.id, 10n, 11n)))
        .to.be.revertedWithCustomError(f.results, "ResultRegistryParentMismatch")
        .withArgs(f.g.id, fake);
      // A process whose id differs from the parent's in its last bit only.
      const near = ethers.toBeHex(BigInt(f.process) ^ 1n, 32);
      await expect(f.results.connect(f.cu2).postCommitment(...commitmentArgs(near, f.g.id, 10n, 11n)))
        .to.be.revertedWithCustomError(f.results, "ResultRegistryParentMismatch")
        .withArgs(f.g.id, near);
      // The same parent in its own process is fine, and p2 takes roots of its own.
      await post(f.results, f.cu2, commitmentArgs(f.process, f.g.id, 10n, 11n));
      const root = await post(f.results, f.cu2, commitmentArgs(p2, ZERO, 0n, 3n));
      await post(f.results, f.cu2, commitmentArgs(p2, root.id, 4n, 5n));
    });

    it("test_postCommitment_parentRejected_reverts", async function () {
      const { results, game, process, cu2, g } = await loadFixture(withGenesis);
      await results.connect(game).onChallengeOpened(g.c);
      await results.connect(game).onChallengeResolved(g.c, true);
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(process, g.id, 10n, 11n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryParentRejected")
        .withArgs(g.id);
    });

    it("test_postCommitment_besideFinalizedChain_prunableAtOnce_succeeds", async function () {
      const { results, process, cu2, g, child } = await loadFixture(withChain);
      // v1 refused a new child of a parent with a Finalized child; v2 accepts it, and it can be
      // pruned at once: the finalized chain already covers its first slot.
      const rival = await post(results, cu2, commitmentArgs(process, ZERO, 0n, 4n, "rival"));
      await expect(results.prune(rival.c))
        .to.emit(results, "CommitmentRejected")
        .withArgs(rival.id, process, Reason.SiblingFinalized);
      await time.increase(WINDOW);
      await results.finalize(child.c);
      const late = await post(results, cu2, commitmentArgs(process, g.id, 10n, 12n, "late"));
      await time.increase(WINDOW);
      await expect(results.finalize(late.c))
        .to.be.revertedWithCustomError(results, "ResultRegistryParentNotTip")
        .withArgs(late.id, g.id, child.id);
      await expect(results.prune(late.c))
        .to.emit(results, "CommitmentRejected")
        .withArgs(late.id, process, Reason.SiblingFinalized);
    });

    it("test_postCommitment_nonContiguousSlots_reverts", async function () {
      const { results, process, cu2, g } = await loadFixture(withGenesis);
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(process, ZERO, 1n, 4n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryNonContiguousSlots")
        .withArgs(ZERO, 0n, 1n);
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(process, g.id, 11n, 14n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryNonContiguousSlots")
        .withArgs(g.id, 10n, 11n);
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(process, g.id, 9n, 14n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryNonContiguousSlots")
        .withArgs(g.id, 10n, 9n);
    });

    it("test_postCommitment_invalidSlotRange_reverts", async function () {
      const { results, process, cu2, g } = await loadFixture(withGenesis);
      const max = 2n ** 32n;
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(process, g.id, 10n, 9n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryInvalidSlotRange")
        .withArgs(10n, 9n, max);
      await expect(results.connect(cu2).postCommitment(...commitmentArgs(process, g.id, 10n, 10n + max)))
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
        const args: [...PostArgs] = [...commitmentArgs(process, ZERO, 0n, 1n)];
        args[index] = ZERO;
        await expect(results.connect(cu1).postCommitment(...args))
          .to.be.revertedWithCustomError(results, "ResultRegistryZeroHash")
          .withArgs(what);
      });
    }

    it("test_postCommitment_zeroArweaveRef_succeeds", async function () {
      const { results, process, cu1 } = await loadFixture(deployRegistries);
      const args: [...PostArgs] = [...commitmentArgs(process, ZERO, 0n, 1n)];
      args[7] = ZERO;
      const { c } = await post(results, cu1, args);
      expect(c.arweaveRef).to.equal(ZERO);
      expect(await results.statusOf(c)).to.equal(Status.Pending);
    });

    it("test_postCommitment_slotBeyondFreeze_reverts", async function () {
      const f = await loadFixture(withGenesis);
      await freeze(f, 12n);
      await expect(f.results.connect(f.cu2).postCommitment(...commitmentArgs(f.process, f.g.id, 10n, 12n)))
        .to.be.revertedWithCustomError(f.results, "ResultRegistrySlotBeyondFreeze")
        .withArgs(f.process, 12n, 12n);
      await post(f.results, f.cu2, commitmentArgs(f.process, f.g.id, 10n, 11n));
    });

    it("test_postCommitment_insufficientStake_reverts", async function () {
      const { results, stake, process, cu1, stranger } = await loadFixture(deployRegistries);
      await expect(results.connect(stranger).postCommitment(...commitmentArgs(process, ZERO, 0n, 1n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryInsufficientStake")
        .withArgs(stranger.address, 0n, STAKE);
      await stake.connect(cu1).requestUnbond(95n * ONE);
      await expect(results.connect(cu1).postCommitment(...commitmentArgs(process, ZERO, 0n, 1n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryInsufficientStake")
        .withArgs(cu1.address, 5n * ONE, STAKE);
    });

    it("test_postCommitment_partOfStakeReserved_reverts", async function () {
      const { results, stake, process, cu1 } = await loadFixture(deployRegistries);
      // 4 reserved, 91 unbonding: 5 unlocked, and the post needs a shortfall of 6.
      await results.connect(cu1).reserve(4n * ONE);
      await stake.connect(cu1).requestUnbond(91n * ONE);
      await expect(results.connect(cu1).postCommitment(...commitmentArgs(process, ZERO, 0n, 1n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryInsufficientStake")
        .withArgs(cu1.address, 5n * ONE, 6n * ONE);
      await stake.connect(cu1).rebond(ONE);
      await post(results, cu1, commitmentArgs(process, ZERO, 0n, 1n));
    });

    it("test_postCommitment_withoutLockerRole_reverts", async function () {
      const { results, stake, admin, process, cu1 } = await loadFixture(deployRegistries);
      await stake.connect(admin).revokeRole(await stake.LOCKER_ROLE(), await results.getAddress());
      await expect(results.connect(cu1).postCommitment(...commitmentArgs(process, ZERO, 0n, 1n)))
        .to.be.revertedWithCustomError(stake, "AccessControlUnauthorizedAccount")
        .withArgs(await results.getAddress(), await stake.LOCKER_ROLE());
    });
  });

  describe("reservations", function () {
    it("test_postCommitment_fromFreeReservation_locksNothing_succeeds", async function () {
      const f = await loadFixture(deployRegistries);
      const { results, stake, process, cu1 } = f;
      const registry = await results.getAddress();
      await expect(results.connect(cu1).reserve(25n * ONE))
        .to.emit(results, "ReservationChanged")
        .withArgs(cu1.address, 25n * ONE, 0n)
        .and.to.emit(stake, "StakeLocked")
        .withArgs(registry, cu1.address, 25n * ONE, 25n * ONE);
      // Two posts from the free part: no lock, no reservation change.
      const g = await post(results, cu1, commitmentArgs(process, ZERO, 0n, 0n, "g0"));
      expect(await reservation(f, cu1.address)).to.deep.equal([25n * ONE, 10n * ONE]);
      const args1 = commitmentArgs(process, g.id, 1n, 1n, "g1");
      const tx1 = results.connect(cu1).postCommitment(...args1);
      await expect(tx1).not.to.emit(stake, "StakeLocked");
      await expect(tx1).not.to.emit(results, "ReservationChanged");
      expect(await reservation(f, cu1.address)).to.deep.equal([25n * ONE, 20n * ONE]);
      // The third finds 5 free and locks the shortfall of 5.
      const parent = commitmentId(commitmentOf(args1, cu1.address, STAKE));
      const tx2 = results.connect(cu1).postCommitment(...commitmentArgs(process, parent, 2n, 2n, "g2"));
      await expect(tx2)
        .to.emit(stake, "StakeLocked")
        .withArgs(registry, cu1.address, 5n * ONE, 30n * ONE);
      await expect(tx2)
        .to.emit(results, "ReservationChanged")
        .withArgs(cu1.address, 30n * ONE, 30n * ONE);
      expect(await reservation(f, cu1.address)).to.deep.equal([30n * ONE, 30n * ONE]);
    });

    it("test_leavingPending_returnsStakeToFreePart_unlocksNothing_succeeds", async function () {
      const f = await loadFixture(withGenesis);
      const { results, stake, game, process, cu1, g } = f;
      const a = await post(results, cu1, commitmentArgs(process, g.id, 10n, 10n, "a"));
      const b = await post(results, cu1, commitmentArgs(process, a.id, 11n, 11n, "b"));
      const rival = await post(results, cu1, commitmentArgs(process, ZERO, 0n, 0n, "rival"));
      expect(await reservation(f, cu1.address)).to.deep.equal([40n * ONE, 40n * ONE]);
      // Rejection by a game.
      await results.connect(game).onChallengeOpened(b.c);
      await expect(results.connect(game).onChallengeResolved(b.c, true)).not.to.emit(stake, "StakeUnlocked");
      expect(await reservation(f, cu1.address)).to.deep.equal([40n * ONE, 30n * ONE]);
      // Finalization.
      await time.increase(WINDOW);
      await expect(results.finalize(g.c)).not.to.emit(stake, "StakeUnlocked");
      expect(await reservation(f, cu1.address)).to.deep.equal([40n * ONE, 20n * ONE]);
      // Pruning.
      await expect(results.prune(rival.c)).not.to.emit(stake, "StakeUnlocked");
      expect(await reservation(f, cu1.address)).to.deep.equal([40n * ONE, 10n * ONE]);
      await results.finalize(a.c);
      expect(await reservation(f, cu1.address)).to.deep.equal([40n * ONE, 0n]);
      // The free reservation backs the next posts.
      const next = results.connect(cu1).postCommitment(...commitmentArgs(process, a.id, 11n, 11n, "next"));
      await expect(next).not.to.emit(stake, "StakeLocked");
      expect(await reservation(f, cu1.address)).to.deep.equal([40n * ONE, 10n * ONE]);
    });

    it("test_release_freePart_succeeds", async function () {
      const f = await loadFixture(withGenesis);
      const { results, stake, cu1 } = f;
      await results.connect(cu1).reserve(15n * ONE);
      expect(await reservation(f, cu1.address)).to.deep.equal([25n * ONE, 10n * ONE]);
      await expect(results.connect(cu1).release(15n * ONE))
        .to.emit(results, "ReservationChanged")
        .withArgs(cu1.address, 10n * ONE, 10n * ONE)
        .and.to.emit(stake, "StakeUnlocked")
        .withArgs(await results.getAddress(), cu1.address, 15n * ONE, 10n * ONE);
      expect(await reservation(f, cu1.address)).to.deep.equal([10n * ONE, 10n * ONE]);
      expect(await stake.unlockedOf(cu1.address)).to.equal(90n * ONE);
      await time.increase(WINDOW);
      await results.finalize(f.g.c);
      await results.connect(cu1).release(10n * ONE);
      expect(await reservation(f, cu1.address)).to.deep.equal([0n, 0n]);
      expect(await stake.lockedOf(cu1.address)).to.equal(0n);
    });

    it("test_release_inUseOrZero_reverts", async function () {
      const { results, cu1, cu2 } = await loadFixture(withGenesis);
      await results.connect(cu1).reserve(5n * ONE);
      await expect(results.connect(cu1).release(5n * ONE + 1n))
        .to.be.revertedWithCustomError(results, "ResultRegistryReservationInUse")
        .withArgs(cu1.address, 5n * ONE, 5n * ONE + 1n);
      await expect(results.connect(cu1).release(0n))
        .to.be.revertedWithCustomError(results, "ResultRegistryInvalidAmount")
        .withArgs("amount", 0n, 5n * ONE);
      await expect(results.connect(cu2).release(1n))
        .to.be.revertedWithCustomError(results, "ResultRegistryReservationInUse")
        .withArgs(cu2.address, 0n, 1n);
    });

    it("test_reserve_badAmountOrStake_reverts", async function () {
      const { results, stake, cu1, stranger } = await loadFixture(deployRegistries);
      await expect(results.connect(cu1).reserve(0n))
        .to.be.revertedWithCustomError(results, "ResultRegistryInvalidAmount")
        .withArgs("amount", 0n, MAX_U128);
      await expect(results.connect(cu1).reserve(MAX_U128 + 1n))
        .to.be.revertedWithCustomError(results, "ResultRegistryInvalidAmount")
        .withArgs("amount", MAX_U128 + 1n, MAX_U128);
      await results.connect(cu1).reserve(ONE);
      await expect(results.connect(cu1).reserve(MAX_U128))
        .to.be.revertedWithCustomError(results, "ResultRegistryInvalidAmount")
        .withArgs("amount", MAX_U128, MAX_U128 - ONE);
      await expect(results.connect(cu1).reserve(100n * ONE))
        .to.be.revertedWithCustomError(results, "ResultRegistryInsufficientStake")
        .withArgs(cu1.address, 99n * ONE, 100n * ONE);
      await expect(results.connect(stranger).reserve(1n))
        .to.be.revertedWithCustomError(results, "ResultRegistryInsufficientStake")
        .withArgs(stranger.address, 0n, 1n);
      expect(await stake.unlockedOf(cu1.address)).to.equal(99n * ONE);
    });

    it("test_reserve_withoutLockerRole_reverts", async function () {
      const { results, stake, admin, cu1 } = await loadFixture(deployRegistries);
      await stake.connect(admin).revokeRole(await stake.LOCKER_ROLE(), await results.getAddress());
      await expect(results.connect(cu1).reserve(ONE))
        .to.be.revertedWithCustomError(stake, "AccessControlUnauthorizedAccount")
        .withArgs(await results.getAddress(), await stake.LOCKER_ROLE());
    });

    it("test_reservation_withoutLockerRole_postsAndReleases_succeeds", async function () {
      const f = await loadFixture(deployRegistries);
      const { results, stake, admin, process, cu1 } = f;
      await results.connect(cu1).reserve(20n * ONE);
      await stake.connect(admin).revokeRole(await stake.LOCKER_ROLE(), await results.getAddress());
      // A post from the free part calls nothing on the StakeManager; a release needs no role.
      const g = await post(results, cu1, commitmentArgs(process, ZERO, 0n, 0n));
      await results.connect(cu1).release(10n * ONE);
      expect(await reservation(f, cu1.address)).to.deep.equal([10n * ONE, 10n * ONE]);
      await time.increase(WINDOW);
      await results.finalize(g.c);
      await results.connect(cu1).release(10n * ONE);
      expect(await reservation(f, cu1.address)).to.deep.equal([0n, 0n]);
    });

    it("test_reservation_afterSlash_stillReleases_succeeds", async function () {
      const f = await loadFixture(withGenesis);
      const { results, stake, admin, cu1, watcher } = f;
      // The dispute game slashes the poster itself; the lock stays and is released as usual.
      await stake.connect(admin).grantRole(await stake.SLASHER_ROLE(), admin.address);
      await stake.connect(admin).slash(cu1.address, 95n * ONE, watcher.address);
      expect(await stake.bondedOf(cu1.address)).to.equal(5n * ONE);
      expect(await reservation(f, cu1.address)).to.deep.equal([STAKE, STAKE]);
      await time.increase(WINDOW);
      await results.finalize(f.g.c);
      await results.connect(cu1).release(STAKE);
      expect(await reservation(f, cu1.address)).to.deep.equal([0n, 0n]);
      expect(await stake.lockedOf(cu1.address)).to.equal(0n);
    });
  });

  describe("reservations and slashes", function () {
    it("test_postCommitment_reservationUnbackedAfterSlash_reverts", async function () {
      const f = await loadFixture(deployRegistries);
      const { results, stake, admin, token, process, cu1, watcher } = f;
      await stake.connect(admin).grantRole(await stake.SLASHER_ROLE(), admin.address);
      await results.connect(cu1).reserve(30n * ONE);
      const g = await post(results, cu1, commitmentArgs(process, ZERO, 0n, 0n, "g"));
      // Slashed to 5: the 20 free in the reservation are no longer backed.
      await stake.connect(admin).slash(cu1.address, 95n * ONE, watcher.address);
      await expect(results.connect(cu1).postCommitment(...commitmentArgs(process, g.id, 1n, 1n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryReservationUnbacked")
        .withArgs(cu1.address, 5n * ONE, 30n * ONE);
      // Releasing the free part leaves nothing free, and nothing unlocked to lock.
      await results.connect(cu1).release(20n * ONE);
      await expect(results.connect(cu1).postCommitment(...commitmentArgs(process, g.id, 1n, 1n)))
        .to.be.revertedWithCustomError(results, "ResultRegistryInsufficientStake")
        .withArgs(cu1.address, 0n, STAKE);
      // Bonding again restores it.
      await token.connect(cu1).approve(await stake.getAddress(), ethers.MaxUint256);
      await stake.connect(cu1).bond(100n * ONE);
      await post(results, cu1, commitmentArgs(process, g.id, 1n, 1n));
      expect(await reservation(f, cu1.address)).to.deep.equal([20n * ONE, 20n * ONE]);
    });

    it("test_postCommitment_afterLostGame_needsBackedReservation_succeeds", async function () {
      const f = await loadFixture(deployRegistries);
      const { results, stake, admin, game, process, cu1, watcher } = f;
      await stake.connect(admin).grantRole(await stake.SLASHER_ROLE(), admin.address);
      // All 100 reserved; a commitment loses its game and the game slashes its stake.
      await results.connect(cu1).reserve(100n * ONE);
      const bad = await post(results, cu1, commitmentArgs(process, ZERO, 0n, 0n, "bad"));
      await results.connect(game).onChallengeOpened(bad.c);
      await results.connect(game).onChallengeResolved(bad.c, true);
      await stake.connect(admin).slash(cu1.address, bad.c.stake, watcher.address);
      expect(await reservation(f, cu1.address)).to.deep.equal([100n * ONE, 0n]);
      // The stake the lost commitment gave back to the free part was slashed: no post from it.
      await expect(results.connect(cu1).postCommitment(...commitmentArgs(process, ZERO, 0n, 0n, "next")))
        .to.be.revertedWithCustomError(results, "ResultRegistryReservationUnbacked")
        .withArgs(cu1.address, 90n * ONE, 100n * ONE);
      await results.connect(cu1).release(10n * ONE);
      await post(results, cu1, commitmentArgs(process, ZERO, 0n, 0n, "next"));
      expect(await reservation(f, cu1.address)).to.deep.equal([90n * ONE, 10n * ONE]);
    });
  });

  describe("finalize", function () {
    it("test_finalize_afterWindow_succeeds", async function () {
      const f = await loadFixture(withGenesis);
      const { results, stake, process, cu1, stranger, g } = f;
      await time.setNextBlockTimestamp(g.deadline);
      const tx = results.connect(stranger).finalize(g.c);
      await expect(tx).to.emit(results, "CommitmentFinalized").withArgs(g.id, process, 9n, g.c.stateHash);
      await expect(tx).not.to.emit(stake, "StakeUnlocked");
      expect(await results.record(g.id)).to.deep.equal([Status.Finalized, 0n, 9n, g.deadline]);
      expect(await results.statusOf(g.c)).to.equal(Status.Finalized);
      expect(await results.latestFinalized(process)).to.deep.equal([g.id, 10n]);
      expect(await reservation(f, cu1.address)).to.deep.equal([STAKE, 0n]);
    });

    it("test_finalize_chainInOrder_succeeds", async function () {
      const { results, process, child } = await loadFixture(withChain);
      await time.increase(WINDOW);
      await expect(results.finalize(child.c))
        .to.emit(results, "CommitmentFinalized")
        .withArgs(child.id, process, 19n, child.c.stateHash);
      expect(await results.latestFinalized(process)).to.deep.equal([child.id, 20n]);
    });

    it("test_finalize_windowNotElapsed_reverts", async function () {
      const { results, g } = await loadFixture(withGenesis);
      await time.setNextBlockTimestamp(g.deadline - 1n);
      await expect(results.finalize(g.c))
        .to.be.revertedWithCustomError(results, "ResultRegistryWindowNotElapsed")
        .withArgs(g.id, g.deadline, g.deadline - 1n);
    });

    it("test_finalize_challengeOpen_reverts", async function () {
      const { results, game, g } = await loadFixture(withGenesis);
      await results.connect(game).onChallengeOpened(g.c);
      await results.connect(game).onChallengeOpened(g.c);
      await time.increase(WINDOW);
      await expect(results.finalize(g.c))
        .to.be.revertedWithCustomError(results, "ResultRegistryChallengeOpen")
        .withArgs(g.id, 2n);
      await results.connect(game).onChallengeResolved(g.c, false);
      await expect(results.finalize(g.c))
        .to.be.revertedWithCustomError(results, "ResultRegistryChallengeOpen")
        .withArgs(g.id, 1n);
      await results.connect(game).onChallengeResolved(g.c, false);
      await expect(results.finalize(g.c)).to.emit(results, "CommitmentFinalized");
    });

    it("test_finalize_parentPending_reverts", async function () {
      const { results, process, cu2, g } = await loadFixture(withGenesis);
      const child = await post(results, cu2, commitmentArgs(process, g.id, 10n, 11n));
      await time.increase(2n * WINDOW);
      await expect(results.finalize(child.c))
        .to.be.revertedWithCustomError(results, "ResultRegistryParentNotTip")
        .withArgs(child.id, g.id, ZERO);
    });

    it("test_finalize_siblingFinalized_reverts", async function () {
      const { results, process, cu2, g } = await loadFixture(withGenesis);
      const rival = await post(results, cu2, commitmentArgs(process, ZERO, 0n, 3n, "rival"));
      await time.increase(WINDOW);
      await results.finalize(g.c);
      await expect(results.finalize(rival.c))
        .to.be.revertedWithCustomError(results, "ResultRegistryParentNotTip")
        .withArgs(rival.id, ZERO, g.id);
    });

    it("test_finalize_processFrozen_reverts", async function () {
      const f = await loadFixture(withGenesis);
      await freeze(f, 9n);
      await time.increase(WINDOW);
      await expect(f.results.finalize(f.g.c))
        .to.be.revertedWithCustomError(f.results, "ResultRegistrySlotBeyondFreeze")
        .withArgs(f.process, 9n, 9n);
    });

    it("test_finalize_frozenAfterLastSlot_succeeds", async function () {
      const f = await loadFixture(withGenesis);
      await freeze(f, 10n);
      await time.increase(WINDOW);
      await expect(f.results.finalize(f.g.c)).to.emit(f.results, "CommitmentFinalized");
    });

    it("test_finalize_notPendingOrUnknown_reverts", async function () {
      const { results, game, process, cu2, g, child } = await loadFixture(withChain);
      await expect(results.finalize(g.c))
        .to.be.revertedWithCustomError(results, "ResultRegistryNotPending")
        .withArgs(g.id, Status.Finalized);
      await results.connect(game).onChallengeOpened(child.c);
      await results.connect(game).onChallengeResolved(child.c, true);
      await expect(results.finalize(child.c))
        .to.be.revertedWithCustomError(results, "ResultRegistryNotPending")
        .withArgs(child.id, Status.Rejected);
      const unposted = commitmentOf(commitmentArgs(process, g.id, 10n, 19n, "never"), cu2.address, STAKE);
      await expect(results.finalize(unposted))
        .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
        .withArgs(commitmentId(unposted));
    });
  });

  describe("prune", function () {
    it("test_prune_parentRejected_cascades_succeeds", async function () {
      const f = await loadFixture(withGenesis);
      const { results, game, process, cu2, g } = f;
      const a = await post(results, cu2, commitmentArgs(process, g.id, 10n, 11n));
      const b = await post(results, cu2, commitmentArgs(process, a.id, 12n, 13n));
      await results.connect(game).onChallengeOpened(g.c);
      await expect(results.connect(game).onChallengeResolved(g.c, true))
        .to.emit(results, "CommitmentRejected")
        .withArgs(g.id, process, Reason.ChallengeLost);
      // The grandchild cannot be pruned before its parent.
      await expect(results.prune(b.c))
        .to.be.revertedWithCustomError(results, "ResultRegistryNotPrunable")
        .withArgs(b.id);
      expect(await results.prune.staticCall(a.c)).to.equal(Reason.ParentRejected);
      await expect(results.prune(a.c))
        .to.emit(results, "CommitmentRejected")
        .withArgs(a.id, process, Reason.ParentRejected);
      await expect(results.prune(b.c))
        .to.emit(results, "CommitmentRejected")
        .withArgs(b.id, process, Reason.ParentRejected);
      expect(await reservation(f, cu2.address)).to.deep.equal([20n * ONE, 0n]);
      expect(await results.statusOf(b.c)).to.equal(Status.Rejected);
    });

    it("test_prune_siblingFinalized_succeeds", async function () {
      const { results, process, cu2, g } = await loadFixture(withGenesis);
      const rival = await post(results, cu2, commitmentArgs(process, ZERO, 0n, 3n, "rival"));
      const nephew = await post(results, cu2, commitmentArgs(process, rival.id, 4n, 12n, "nephew"));
      await time.increase(WINDOW);
      await results.finalize(g.c);
      expect(await results.prune.staticCall(rival.c)).to.equal(Reason.SiblingFinalized);
      await expect(results.prune(rival.c))
        .to.emit(results, "CommitmentRejected")
        .withArgs(rival.id, process, Reason.SiblingFinalized);
      // The rival's child starts at slot 4, which the finalized chain covers too.
      await expect(results.prune(nephew.c))
        .to.emit(results, "CommitmentRejected")
        .withArgs(nephew.id, process, Reason.ParentRejected);
    });

    it("test_prune_chainCoversFirstSlotOnly_succeeds", async function () {
      const { results, process, cu2, g } = await loadFixture(withGenesis);
      // A rival chain [0, 3] ← [4, 12]: once [0, 9] finalizes, the child (first slot 4 ≤ 9) can be
      // pruned even while its parent is still Pending.
      const rival = await post(results, cu2, commitmentArgs(process, ZERO, 0n, 3n, "rival"));
      const nephew = await post(results, cu2, commitmentArgs(process, rival.id, 4n, 12n, "nephew"));
      await time.increase(WINDOW);
      await results.finalize(g.c);
      await expect(results.prune(nephew.c))
        .to.emit(results, "CommitmentRejected")
        .withArgs(nephew.id, process, Reason.SiblingFinalized);
      // A rival child past the tip's last slot is not prunable.
      const rival2 = await post(results, cu2, commitmentArgs(process, rival.id, 4n, 4n, "r2"));
      const far = await post(results, cu2, commitmentArgs(process, rival2.id, 5n, 5n, "far"));
      const farther = await post(results, cu2, commitmentArgs(process, far.id, 6n, 11n, "farther"));
      const beyond = await post(results, cu2, commitmentArgs(process, farther.id, 12n, 12n, "beyond"));
      await expect(results.prune(beyond.c))
        .to.be.revertedWithCustomError(results, "ResultRegistryNotPrunable")
        .withArgs(beyond.id);
    });

    it("test_prune_processFrozen_succeeds", async function () {
      const f = await loadFixture(withGenesis);
      await freeze(f, 3n);
      expect(await f.results.prune.staticCall(f.g.c)).to.equal(Reason.ProcessFrozen);
      await expect(f.results.prune(f.g.c))
        .to.emit(f.results, "CommitmentRejected")
        .withArgs(f.g.id, f.process, Reason.ProcessFrozen);
    });

    it("test_prune_frozenAfterLastSlot_reverts", async function () {
      const f = await loadFixture(withGenesis);
      await freeze(f, 10n);
      await expect(f.results.prune(f.g.c))
        .to.be.revertedWithCustomError(f.results, "ResultRegistryNotPrunable")
        .withArgs(f.g.id);
    });

    it("test_prune_pendingThatMayFinalize_reverts", async function () {
      const { results, process, cu1, g, child } = await loadFixture(withChain);
      await expect(results.prune(child.c))
        .to.be.revertedWithCustomError(results, "ResultRegistryNotPrunable")
        .withArgs(child.id);
      await expect(results.prune(g.c))
        .to.be.revertedWithCustomError(results, "ResultRegistryNotPending")
        .withArgs(g.id, Status.Finalized);
      const unposted = commitmentOf(commitmentArgs(process, ZERO, 0n, 1n, "never"), cu1.address, STAKE);
      await expect(results.prune(unposted))
        .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
        .withArgs(commitmentId(unposted));
    });
  });

  describe("dispute game hooks", function () {
    it("test_onChallengeOpened_withinWindow_succeeds", async function () {
      const { results, game, g } = await loadFixture(withGenesis);
      expect(await results.connect(game).onChallengeOpened.staticCall(g.c)).to.equal(g.deadline);
      await time.setNextBlockTimestamp(g.deadline - 1n);
      await expect(results.connect(game).onChallengeOpened(g.c))
        .to.emit(results, "ChallengeOpened")
        .withArgs(g.id, game.address, 1n);
      expect(await results.record(g.id)).to.deep.equal([Status.Pending, 1n, 9n, g.deadline]);
    });

    it("test_onChallengeOpened_windowElapsed_reverts", async function () {
      const { results, game, g } = await loadFixture(withGenesis);
      await time.setNextBlockTimestamp(g.deadline);
      await expect(results.connect(game).onChallengeOpened(g.c))
        .to.be.revertedWithCustomError(results, "ResultRegistryWindowElapsed")
        .withArgs(g.id, g.deadline, g.deadline);
    });

    it("test_onChallengeOpened_notPendingOrUnknown_reverts", async function () {
      const { results, game, g, child } = await loadFixture(withChain);
      await expect(results.connect(game).onChallengeOpened(g.c))
        .to.be.revertedWithCustomError(results, "ResultRegistryNotPending")
        .withArgs(g.id, Status.Finalized);
      const wrong = { ...child.c, stake: child.c.stake - 1n };
      await expect(results.connect(game).onChallengeOpened(wrong))
        .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
        .withArgs(commitmentId(wrong));
    });

    it("test_onChallenge_notGame_reverts", async function () {
      const { results, stranger, g } = await loadFixture(withGenesis);
      const role = await results.DISPUTE_GAME_ROLE();
      await expect(results.connect(stranger).onChallengeOpened(g.c))
        .to.be.revertedWithCustomError(results, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
      await expect(results.connect(stranger).onChallengeResolved(g.c, true))
        .to.be.revertedWithCustomError(results, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, role);
    });

    it("test_onChallengeResolved_challengerWins_succeeds", async function () {
      const f = await loadFixture(withGenesis);
      const { results, stake, game, process, cu1, g } = f;
      await results.connect(game).onChallengeOpened(g.c);
      await results.connect(game).onChallengeOpened(g.c);
      const tx = results.connect(game).onChallengeResolved(g.c, true);
      await expect(tx).to.emit(results, "ChallengeResolved").withArgs(g.id, game.address, true, 1n);
      await expect(tx).to.emit(results, "CommitmentRejected").withArgs(g.id, process, Reason.ChallengeLost);
      await expect(tx).not.to.emit(stake, "StakeUnlocked");
      expect(await reservation(f, cu1.address)).to.deep.equal([STAKE, 0n]);
      // The other game still resolves, without returning the stake twice.
      const tx2 = results.connect(game).onChallengeResolved(g.c, true);
      await expect(tx2).to.emit(results, "ChallengeResolved").withArgs(g.id, game.address, true, 0n);
      await expect(tx2).not.to.emit(results, "CommitmentRejected");
      expect(await reservation(f, cu1.address)).to.deep.equal([STAKE, 0n]);
      expect(await results.record(g.id)).to.deep.equal([Status.Rejected, 0n, 9n, g.deadline]);
    });

    it("test_onChallengeResolved_asserterWins_succeeds", async function () {
      const { results, game, g } = await loadFixture(withGenesis);
      await results.connect(game).onChallengeOpened(g.c);
      await expect(results.connect(game).onChallengeResolved(g.c, false)).not.to.emit(
        results,
        "CommitmentRejected",
      );
      expect(await results.statusOf(g.c)).to.equal(Status.Pending);
    });

    it("test_onChallengeResolved_afterPrune_succeeds", async function () {
      const f = await loadFixture(withGenesis);
      await f.results.connect(f.game).onChallengeOpened(f.g.c);
      await freeze(f, 0n);
      await f.results.prune(f.g.c);
      const tx = f.results.connect(f.game).onChallengeResolved(f.g.c, true);
      await expect(tx).to.emit(f.results, "ChallengeResolved").withArgs(f.g.id, f.game.address, true, 0n);
      await expect(tx).not.to.emit(f.results, "CommitmentRejected");
      expect(await reservation(f, f.cu1.address)).to.deep.equal([STAKE, 0n]);
    });

    it("test_onChallengeResolved_noOpenChallenge_reverts", async function () {
      const { results, game, g } = await loadFixture(withGenesis);
      await expect(results.connect(game).onChallengeResolved(g.c, true))
        .to.be.revertedWithCustomError(results, "ResultRegistryNoOpenChallenge")
        .withArgs(g.id);
      const wrong = { ...g.c, lastSlot: 8n };
      await expect(results.connect(game).onChallengeResolved(wrong, true))
        .to.be.revertedWithCustomError(results, "ResultRegistryUnknownCommitment")
        .withArgs(commitmentId(wrong));
    });
  });

  describe("integrator views", function () {
    it("test_latestFinalized_noneOrUnknownProcess_succeeds", async function () {
      const { results, process } = await loadFixture(withGenesis);
      expect(await results.latestFinalized(process)).to.deep.equal([ZERO, 0n]);
      expect(await results.latestFinalized(ethers.id("nope"))).to.deep.equal([ZERO, 0n]);
    });

    it("test_record_unknown_isZero_succeeds", async function () {
      const { results } = await loadFixture(deployRegistries);
      expect(await results.record(ethers.id("nope"))).to.deep.equal([Status.None, 0n, 0n, 0n]);
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
        const { results, process, cu2, g } = await loadFixture(withGenesis);
        const first = 10n;
        const hashes = Array.from({ length: count }, (_, i) => ethers.id(`r${i}`));
        const tree = buildResultsTree(process, first, hashes);
        const last = first + BigInt(count - 1);
        const { c } = await post(results, cu2, [
          process,
          g.id,
          first,
          last,
          ethers.id("la"),
          ethers.id("st"),
          tree.root,
          ZERO,
        ]);
        // Not yet finalized: false.
        expect(
          await results.verifyResult(process, first, hashes[0], {
            commitment: c,
            siblings: tree.proof(first),
          }),
        ).to.equal(false);
        await time.increase(WINDOW);
        await results.finalize(g.c);
        await results.finalize(c);
        // A forged content: the same commitment claiming another results root (one that proves a
        // forged result) is not a posted commitment.
        const forgedHashes = [ethers.id("forged"), ...hashes.slice(1)];
        const forgedTree = buildResultsTree(process, first, forgedHashes);
        const forged = { ...c, resultsRoot: forgedTree.root };
        expect(
          await results.verifyResult(process, first, forgedHashes[0], {
            commitment: forged,
            siblings: forgedTree.proof(first),
          }),
        ).to.equal(false);
        for (let i = 0; i < count; i++) {
          const slot = first + BigInt(i);
          const siblings = tree.proof(slot);
          expect(siblings.length).to.equal(tree.depth);
          expect(
            verifyResultProof(tree.root, count, i, resultLeaf(process, slot, hashes[i]), siblings),
          ).to.equal(true);
          expect(await results.verifyResult(process, slot, hashes[i], { commitment: c, siblings })).to.equal(
            true,
          );
          // Wrong result, wrong proof length, wrong commitment, wrong process: false.
          expect(
            await results.verifyResult(process, slot, ethers.id("wrong"), { commitment: c, siblings }),
          ).to.equal(false);
          expect(
            await results.verifyResult(process, slot, hashes[i], {
              commitment: c,
              siblings: [...siblings, ZERO],
            }),
          ).to.equal(false);
          expect(
            await results.verifyResult(process, slot, hashes[i], { commitment: g.c, siblings }),
          ).to.equal(false);
          expect(
            await results.verifyResult(ethers.id("p"), slot, hashes[i], { commitment: c, siblings }),
          ).to.equal(false);
          if (count > 1) {
            const other = i === 0 ? 1 : 0;
            expect(
              await results.verifyResult(process, first + BigInt(other), hashes[i], {
                commitment: c,
                siblings,
              }),
            ).to.equal(false);
          }
        }
        expect(
          await results.verifyResult(process, first - 1n, hashes[0], {
            commitment: c,
            siblings: tree.proof(first),
          }),
        ).to.equal(false);
        expect(
          await results.verifyResult(process, last + 1n, hashes[0], {
            commitment: c,
            siblings: tree.proof(first),
          }),
        ).to.equal(false);
      });
    }

    it("test_verifyResult_otherProcessContent_isFalse_succeeds", async function () {
      const f = await loadFixture(withGenesis);
      const p2 = await spawnSecond(f);
      const tree = buildResultsTree(p2, 0n, [ethers.id("r")]);
      const { c } = await post(f.results, f.cu2, [
        p2,
        ZERO,
        0n,
        0n,
        ethers.id("la"),
        ethers.id("st"),
        tree.root,
        ZERO,
      ]);
      await time.increase(WINDOW);
      await f.results.finalize(c);
      expect(await f.results.verifyResult(p2, 0n, ethers.id("r"), { commitment: c, siblings: [] })).to.equal(
        true,
      );
      // The same content presented for the first process: refused before anything else.
      expect(
        await f.results.verifyResult(f.process, 0n, ethers.id("r"), { commitment: c, siblings: [] }),
      ).to.equal(false);
    });
  });
});

/** Any deadline (a withArgs predicate). */
function anyDeadline(value: unknown): boolean {
  return typeof value === "bigint" && value > 0n;
}
