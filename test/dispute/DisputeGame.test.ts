import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { liarTrace, resultLiarTrace, traceLength, type GameTrace } from "../../sdk/ts/dispute";
import {
  GameStatus,
  OPERATOR_BOND,
  assignMessages,
  deployGameSystem,
  increaseTime,
  openGame,
  playGame,
  postClaim,
  stakeSolvent,
  tokenTotal,
  traceOf,
  type MessageSpec,
} from "../helpers/game";

const COUNTER_MESSAGES: MessageSpec[] = [
  {},
  { tags: { Action: "Increment", By: "5" } },
  { tags: { Action: "Increment" } },
  { tags: { Action: "Decrement", By: "99999999999999999999" } }, // an error result
  { tags: { Action: "Get" } },
];

/** A deterministic PRNG (mulberry32) so a failing random case can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function counterSystem() {
  const sys = await deployGameSystem("counter");
  const slots = await assignMessages(sys, 0n, COUNTER_MESSAGES);
  const honest = traceOf(sys, slots);
  return { sys, slots, honest };
}

describe("DisputeGame: full games on real traces", function () {
  this.timeout(600_000);

  it("a compute unit that lies at a random step loses to an honest watcher, and is slashed", async () => {
    const { sys, honest } = await loadFixture(counterSystem);
    const total = await tokenTotal(sys);
    const random = rng(0x5eed);
    const n = traceLength(COUNTER_MESSAGES.length);
    // A random step anywhere in the trace (most land after a message halted or in the padding slots),
    // plus one inside the first message's own steps.
    const haltStep = BigInt(honest.messageRecord(1).haltStep);
    for (const from of [BigInt(Math.floor(random() * Number(n))) + 1n, (1n << 32n) + haltStep / 2n]) {
      const liar = liarTrace(honest, { fromPosition: from, salt: `lie at ${from}` });
      const { commitment } = await postClaim(sys, sys.cu, liar);
      const g = await openGame(sys, commitment, sys.watcher);
      const payoutBefore = await sys.stake.payoutOf(sys.watcher.address);
      const bondedBefore = await sys.stake.bondedOf(sys.cu.address);
      const r = await playGame(
        sys,
        g,
        { signer: sys.cu, trace: liar },
        { signer: sys.watcher, trace: honest },
      );
      expect(r.status, `lie from ${from}`).to.equal(GameStatus.ChallengerWon);
      expect(await sys.results.statusOf(commitment)).to.equal(3n); // Rejected
      const taken = bondedBefore - (await sys.stake.bondedOf(sys.cu.address));
      expect(taken).to.equal(commitment.stake);
      expect((await sys.stake.payoutOf(sys.watcher.address)) - payoutBefore).to.equal(
        (commitment.stake * sys.P.slashRewardBps) / 10_000n,
      );
      expect(await sys.stake.lockedBy(await sys.game.getAddress(), sys.watcher.address)).to.equal(0n);
    }
    expect(await tokenTotal(sys)).to.equal(total);
    expect(await stakeSolvent(sys)).to.equal(true);
  });

  it("an honest compute unit beats a lying challenger, whose bond is slashed, and then finalizes", async () => {
    const { sys, honest } = await loadFixture(counterSystem);
    const { commitment } = await postClaim(sys, sys.cu, honest);
    const liar = liarTrace(honest, { fromPosition: (2n << 32n) + 7n, salt: "challenger" });
    const g = await openGame(sys, commitment, sys.watcher);
    const r = await playGame(sys, g, { signer: sys.cu, trace: honest }, { signer: sys.watcher, trace: liar });
    expect(r.status).to.equal(GameStatus.AsserterWon);
    expect(await sys.stake.bondedOf(sys.watcher.address)).to.equal(OPERATOR_BOND - sys.P.challengeBond);
    expect(await sys.stake.payoutOf(sys.cu.address)).to.equal(
      (sys.P.challengeBond * sys.P.slashRewardBps) / 10_000n,
    );
    await time.increaseTo((await time.latest()) + Number(sys.P.challengeWindow));
    await sys.results.finalize(commitment);
    expect(await sys.results.statusOf(commitment)).to.equal(2n); // Finalized
  });

  it("a lie in a result (right state, wrong results root) is caught at the end of its message", async () => {
    const { sys, honest } = await loadFixture(counterSystem);
    for (const index of [0, 3]) {
      const liar = resultLiarTrace(honest, { index });
      expect(liar.claim().stateHash).to.equal(honest.claim().stateHash);
      const { commitment } = await postClaim(sys, sys.cu, liar);
      const g = await openGame(sys, commitment, sys.watcher);
      const r = await playGame(
        sys,
        g,
        { signer: sys.cu, trace: liar },
        { signer: sys.watcher, trace: honest },
      );
      expect(r.status).to.equal(GameStatus.ChallengerWon);
    }
  });

  it("the asserter's timeout loses the game; so does the challenger's", async () => {
    const { sys, honest } = await loadFixture(counterSystem);
    const liar = liarTrace(honest, { fromPosition: 5n, salt: "t" });
    const { commitment } = await postClaim(sys, sys.cu, liar);
    const g = await openGame(sys, commitment, sys.watcher);
    const r = await playGame(
      sys,
      g,
      { signer: sys.cu, trace: liar, strategy: "stall" },
      { signer: sys.watcher, trace: honest },
    );
    expect(r.status).to.equal(GameStatus.ChallengerWon);
    expect(r.moves).to.deep.equal([0, 1]);

    const { commitment: good } = await postClaim(sys, sys.rest[0], honest);
    const g2 = await openGame(sys, good, sys.watcher);
    const r2 = await playGame(
      sys,
      g2,
      { signer: sys.rest[0], trace: honest },
      { signer: sys.watcher, trace: liar, strategy: "stall" },
    );
    expect(r2.status).to.equal(GameStatus.AsserterWon);
    expect(r2.moves).to.deep.equal([0, 0]);
  });

  it("twenty lying challengers against one honest commitment all lose; finality waits one game at most", async () => {
    const { sys, honest } = await loadFixture(counterSystem);
    const { commitment } = await postClaim(sys, sys.cu, honest);
    const posted = await time.latest();
    const challengers = [];
    for (let i = 0; i < 20; i++) {
      const w = ethers.Wallet.createRandom().connect(ethers.provider);
      await sys.admin.sendTransaction({ to: w.address, value: ethers.parseEther("10") });
      await sys.token.mint(w.address, 100n * 10n ** 18n);
      await sys.token.connect(w).approve(await sys.stake.getAddress(), ethers.MaxUint256);
      await sys.stake.connect(w).bond(20n * 10n ** 18n);
      challengers.push(w);
    }
    const random = rng(20);
    const games = [];
    for (const [i, w] of challengers.entries()) {
      const from = BigInt(Math.floor(random() * Number(traceLength(COUNTER_MESSAGES.length)))) + 1n;
      const liar: GameTrace = liarTrace(honest, { fromPosition: from, salt: `sybil ${i}` });
      const signer = await ethers.getImpersonatedSigner(w.address);
      games.push({ g: await openGame(sys, commitment, signer), liar, signer });
    }
    expect(
      (
        await sys.results.record(
          ethers.keccak256(
            ethers.AbiCoder.defaultAbiCoder().encode(
              ["tuple(bytes32,bytes32,uint64,uint64,bytes32,bytes32,bytes32,bytes32,address,uint96)"],
              [Object.values(commitment)],
            ),
          ),
        )
      ).openChallenges,
    ).to.equal(20n);
    for (const { g, liar, signer } of games) {
      const r = await playGame(sys, g, { signer: sys.cu, trace: honest }, { signer, trace: liar });
      expect(r.status).to.equal(GameStatus.AsserterWon);
    }
    const bound = posted + Number(sys.P.challengeWindow) + Number(await sys.game.maxDuration());
    if ((await time.latest()) < posted + Number(sys.P.challengeWindow)) {
      await time.increaseTo(posted + Number(sys.P.challengeWindow));
    }
    await sys.results.finalize(commitment);
    expect(await time.latest()).to.be.at.most(bound);
    expect(await sys.stake.payoutOf(sys.cu.address)).to.equal(
      (20n * sys.P.challengeBond * sys.P.slashRewardBps) / 10_000n,
    );
  });

  it("a start-step proof over an equivocated assignment is cancelled by the equivocation proof", async () => {
    const { sys, slots, honest } = await loadFixture(counterSystem);
    // The scheduler also signs a different assignment for slot 2 (same predecessor), and the log forks.
    const fork = await assignMessages(
      sys,
      2n,
      [{ tags: { Action: "Increment", By: "7" } }, ...COUNTER_MESSAGES.slice(3)],
      honest.boundary(2).assignmentHash,
    );
    const other = traceOf(sys, [...slots.slice(0, 2), ...fork]);
    const { commitment } = await postClaim(sys, sys.cu, honest);
    const g = await openGame(sys, commitment, sys.watcher);
    const bonded = [await sys.stake.bondedOf(sys.cu.address), await sys.stake.bondedOf(sys.watcher.address)];
    let proven = -1;
    const r = await playGame(
      sys,
      g,
      { signer: sys.cu, trace: honest },
      { signer: sys.watcher, trace: other },
      {
        onStartProven: async (winner) => {
          proven = winner;
          // During the grace, the side that lost the start step proves the equivocation.
          await sys.processes
            .connect(winner === 0 ? sys.watcher : sys.cu)
            .proveEquivocation(
              slots[2].assignment,
              slots[2].signature,
              fork[0].assignment,
              fork[0].signature,
            );
        },
      },
    );
    expect(proven).to.be.oneOf([0, 1]);
    expect(r.status).to.equal(GameStatus.Cancelled);
    // Nobody is slashed, the bond is unlocked, and the commitment (which crosses the freeze) can only be pruned.
    expect(await sys.stake.bondedOf(sys.cu.address)).to.equal(bonded[0]);
    expect(await sys.stake.bondedOf(sys.watcher.address)).to.equal(bonded[1]);
    expect(await sys.stake.lockedBy(await sys.game.getAddress(), sys.watcher.address)).to.equal(0n);
    expect(await sys.processes.frozenFromSlot(sys.process)).to.equal(2n);
    await increaseTime(sys.P.challengeWindow);
    await expect(sys.results.finalize(commitment)).to.be.revertedWithCustomError(
      sys.results,
      "ResultRegistrySlotBeyondFreeze",
    );
  });

  it("without an equivocation proof, a start-step win resolves after the grace", async () => {
    const { sys, honest } = await loadFixture(counterSystem);
    // A 2^35-step trace takes 9 bisections, the challenger's first: the asserter makes the proof. The
    // liar's first wrong point is step 1 of message 1, so the proof is of a start step.
    const { commitment } = await postClaim(sys, sys.cu, honest);
    const liar = liarTrace(honest, { fromPosition: (1n << 32n) + 1n, salt: "start" });
    const g = await openGame(sys, commitment, sys.watcher);
    let proven = -1;
    const r = await playGame(
      sys,
      g,
      { signer: sys.cu, trace: honest },
      { signer: sys.watcher, trace: liar },
      {
        onStartProven: async (winner) => {
          proven = winner;
          await expect(sys.game.resolve(g.ctx)).to.be.revertedWithCustomError(
            sys.game,
            "DisputeGameGraceNotOver",
          );
        },
      },
    );
    expect(proven).to.equal(0);
    expect(r.moves).to.deep.equal([5, 5]);
    expect(r.status).to.equal(GameStatus.AsserterWon);
  });
});
