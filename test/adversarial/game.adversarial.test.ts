/**
 * Threat model (docs/threat-model.md), dispute-game rows, on real traces of the `counter` process:
 * escaping a slash by unbonding, self-challenges, freeloading and last-moment moves, lies at the last
 * step of a message and about the halt, the honest side's gas, domain separation at the start step, and
 * the freeze that cancels a game (a residual risk). Each test states the attack and asserts the outcome:
 * statuses, exact balances and payouts, and exact custom errors.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { hexlify } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { ERROR_CODE } from "../../machine/spec";
import { errorResultHash } from "../../machine/interp/semantics";

import { assignmentDomain, assignmentHash, signAssignment } from "../../sdk/ts/assignments";
import type { Commitment } from "../../sdk/ts/results";
import {
  StepKind,
  liarTrace,
  nextPoint,
  respond,
  type GameTrace,
  type Move,
  type ProveMove,
  type Segment,
} from "../../sdk/ts/dispute";
import {
  GameStatus,
  OPERATOR_BOND,
  Side,
  assignMessages,
  deployGameSystem,
  increaseTime,
  openGame,
  playGame,
  postClaim,
  sendMove,
  stakeSolvent,
  tokenTotal,
  traceOf,
  commitmentId,
  type GameSystem,
  type MessageSpec,
  type OpenGame,
  type Player,
} from "../helpers/game";

const COUNTER_MESSAGES: MessageSpec[] = [
  {},
  { tags: { Action: "Increment", By: "5" } },
  { tags: { Action: "Increment" } },
  { tags: { Action: "Decrement", By: "99999999999999999999" } },
  { tags: { Action: "Get" } },
];
const MSG = 1n << 32n;
/** What a start step may cost, whatever the size of the signed message (docs/dispute-game.md §9). */
const START_STEP_GAS_BOUND = 400_000n;
const Status = { Pending: 1n, Finalized: 2n, Rejected: 3n } as const;

async function counterSystem() {
  const sys = await deployGameSystem("counter");
  const slots = await assignMessages(sys, 0n, COUNTER_MESSAGES);
  const honest = traceOf(sys, slots);
  return { sys, slots, honest };
}

/** The reward share of `amount` and the rest. */
function split(sys: GameSystem, amount: bigint): [bigint, bigint] {
  const reward = (amount * sys.P.slashRewardBps) / 10_000n;
  return [reward, amount - reward];
}

/** The StepProven events of game `id`. */
async function proofsOf(sys: GameSystem, id: string) {
  return sys.game.queryFilter(sys.game.filters.StepProven(id), 0, "latest");
}

/** Plays both sides honestly by their traces until the side to move would send a proof; returns it unsent. */
async function playUntilProof(sys: GameSystem, g: OpenGame, players: readonly [Player, Player]) {
  let seg: Segment = g.seg;
  for (let n = 0; n < 64; n++) {
    const state = await sys.game.game(g.id);
    const side = Number(state.turn);
    const move: Move = respond(players[side].trace, seg, sys.P.degree);
    if (move.action === "prove") return { seg, move: move as ProveMove, side, mover: players[side].signer };
    await sendMove(sys, g, seg, move, players[side]);
    seg = { start: move.start, length: move.length, points: move.points };
  }
  throw new Error("no proof within 64 moves");
}

describe("Adversarial: the dispute game", function () {
  this.timeout(600_000);

  describe("escaping a slash", () => {
    it("test_escape_liarUnbondsAfterPosting_gameAtLastSecond_slashTakesUnbonding_succeeds", async () => {
      const { sys, honest } = await loadFixture(counterSystem);
      const liar = liarTrace(honest, { fromPosition: MSG + 3n, salt: "escape" });
      const { commitment } = await postClaim(sys, sys.cu, liar);
      const postedAt = BigInt(await time.latest());
      const stake = commitment.stake;

      // The commitment's stake is locked: the liar cannot unbond it, only the rest.
      await expect(sys.stake.connect(sys.cu).requestUnbond(OPERATOR_BOND))
        .to.be.revertedWithCustomError(sys.stake, "StakeManagerInsufficientUnlocked")
        .withArgs(sys.cu.address, OPERATOR_BOND - stake, OPERATOR_BOND);
      await sys.stake.connect(sys.cu).requestUnbond(OPERATOR_BOND - stake);
      const [, readyAt] = await sys.stake.unbondingOf(sys.cu.address);
      // The floor: the latest game against the commitment ends before the liar can withdraw.
      expect(readyAt).to.be.greaterThan(postedAt + sys.P.challengeWindow + (await sys.game.maxDuration()));

      // The watcher opens at the last second of the window; the liar plays its lie to the end.
      await time.setNextBlockTimestamp(postedAt + sys.P.challengeWindow - 1n);
      const g = await openGame(sys, commitment, sys.watcher);
      // The challenger's bond is locked too.
      await expect(sys.stake.connect(sys.watcher).requestUnbond(OPERATOR_BOND))
        .to.be.revertedWithCustomError(sys.stake, "StakeManagerInsufficientUnlocked")
        .withArgs(sys.watcher.address, OPERATOR_BOND - sys.P.challengeBond, OPERATOR_BOND);
      const r = await playGame(
        sys,
        g,
        { signer: sys.cu, trace: liar },
        { signer: sys.watcher, trace: honest },
      );
      expect(r.status).to.equal(GameStatus.ChallengerWon);
      const now = BigInt(await time.latest());
      expect(now).to.be.lessThan(readyAt);
      await expect(sys.stake.connect(sys.cu).withdraw(sys.cu.address))
        .to.be.revertedWithCustomError(sys.stake, "StakeManagerUnbondingNotReady")
        .withArgs(sys.cu.address, readyAt, now + 1n);

      // The slash took the unbonding stake first; the bonded (locked) part is intact.
      const s = await sys.stake.stakeOf(sys.cu.address);
      expect(s.unbonding).to.equal(OPERATOR_BOND - 2n * stake);
      expect(s.bonded).to.equal(stake);
      const [reward] = split(sys, stake);
      expect(await sys.stake.payoutOf(sys.watcher.address)).to.equal(reward);
      expect(await sys.results.statusOf(commitment)).to.equal(Status.Rejected);
      await time.increaseTo(readyAt + 1n);
      await expect(sys.stake.connect(sys.cu).withdraw(sys.cu.address)).to.changeTokenBalance(
        sys.token,
        sys.cu,
        OPERATOR_BOND - 2n * stake,
      );
      expect(await stakeSolvent(sys)).to.equal(true);
    });
  });

  describe("self-challenge", () => {
    it("test_selfChallenge_honestAsserterViaSock_delaysWithinBoundAndCostsBond_succeeds", async () => {
      const { sys, honest } = await loadFixture(counterSystem);
      const sock = sys.rest[0];
      const total = await tokenTotal(sys);
      const { commitment } = await postClaim(sys, sys.cu, honest);
      const postedAt = BigInt(await time.latest());
      await expect(
        sys.game.connect(sys.cu).openChallenge(commitment, { ...commitment, poster: ethers.ZeroAddress }),
      )
        .to.be.revertedWithCustomError(sys.game, "DisputeGameSelfChallenge")
        .withArgs(sys.cu.address);
      // From another address: the sock opens at the last second of the window and stalls.
      await time.setNextBlockTimestamp(postedAt + sys.P.challengeWindow - 1n);
      const g = await openGame(sys, commitment, sock);
      const r = await playGame(
        sys,
        g,
        { signer: sys.cu, trace: honest },
        { signer: sock, trace: honest, strategy: "stall" },
      );
      expect(r.status).to.equal(GameStatus.AsserterWon);
      await sys.results.finalize(commitment);
      expect(await sys.results.statusOf(commitment)).to.equal(Status.Finalized);
      expect(BigInt(await time.latest())).to.be.at.most(
        postedAt + sys.P.challengeWindow + (await sys.game.maxDuration()),
      );
      // The pair lost the treasury's share of the bond.
      const [reward, rest] = split(sys, sys.P.challengeBond);
      expect(await sys.stake.bondedOf(sock.address)).to.equal(OPERATOR_BOND - sys.P.challengeBond);
      expect(await sys.stake.payoutOf(sys.cu.address)).to.equal(reward);
      expect(await sys.stake.payoutOf(sys.treasury.address)).to.equal(rest);
      expect(rest).to.be.greaterThan(0n);
      expect(await tokenTotal(sys)).to.equal(total);
    });

    it("test_selfChallenge_liarWinsAgainstItselfFirst_honestWatcherStillWinsAndSlashesAgain_succeeds", async () => {
      const { sys, honest } = await loadFixture(counterSystem);
      const sock = sys.rest[0];
      const liar = liarTrace(honest, { fromPosition: 2n * MSG + 9n, salt: "self" });
      const { commitment } = await postClaim(sys, sys.cu, liar);
      const gSock = await openGame(sys, commitment, sock);
      const gWatcher = await openGame(sys, commitment, sys.watcher);
      // The watcher makes its first move at once; the games then run side by side.
      const first = respond(honest, gWatcher.seg, sys.P.degree);
      if (first.action !== "bisect") throw new Error("expected a bisection");
      await sendMove(sys, gWatcher, gWatcher.seg, first, { signer: sys.watcher, trace: honest });
      // The sock "wins" at once (it plays the true trace; the liar plays its lie to the end).
      const r1 = await playGame(sys, gSock, { signer: sys.cu, trace: liar }, { signer: sock, trace: honest });
      expect(r1.status).to.equal(GameStatus.ChallengerWon);
      expect(await sys.results.statusOf(commitment)).to.equal(Status.Rejected);
      // The honest watcher's game is not pre-empted: it continues and slashes the liar a second time (the
      // liar's clock in it ran while it played the sock, so it loses this one on time; by proof otherwise).
      const r2 = await playGame(
        sys,
        { ...gWatcher, seg: { start: first.start, length: first.length, points: first.points } },
        { signer: sys.cu, trace: liar },
        { signer: sys.watcher, trace: honest },
      );
      expect(r2.status).to.equal(GameStatus.ChallengerWon);
      const [reward, rest] = split(sys, commitment.stake);
      expect(await sys.stake.slashableOf(sys.cu.address)).to.equal(OPERATOR_BOND - 2n * commitment.stake);
      expect(await sys.stake.payoutOf(sock.address)).to.equal(reward);
      expect(await sys.stake.payoutOf(sys.watcher.address)).to.equal(reward);
      expect(await sys.stake.payoutOf(sys.treasury.address)).to.equal(2n * rest);
      expect(await sys.stake.lockedBy(await sys.game.getAddress(), sys.watcher.address)).to.equal(0n);
    });
  });

  describe("self-challenge: draining one's own stake (residual)", () => {
    it("test_selfChallenge_socksDrainTheLiarsStake_honestWinnerPaidZeroButLosesNothing_succeeds", async () => {
      const { sys, honest } = await loadFixture(counterSystem);
      const liar = liarTrace(honest, { fromPosition: MSG + 21n, salt: "drain" });
      const { commitment } = await postClaim(sys, sys.cu, liar);
      const gWatcher = await openGame(sys, commitment, sys.watcher);
      const first = respond(honest, gWatcher.seg, sys.P.degree);
      if (first.action !== "bisect") throw new Error("expected a bisection");
      await sendMove(sys, gWatcher, gWatcher.seg, first, { signer: sys.watcher, trace: honest });
      // Ten socks of the liar open ten games and bisect; the liar lets them all win on time, first.
      const socks = sys.rest.slice(0, Number(OPERATOR_BOND / commitment.stake));
      const games = [];
      for (const sock of socks) {
        const g = await openGame(sys, commitment, sock);
        const m = respond(honest, g.seg, sys.P.degree);
        await sendMove(sys, g, g.seg, m, { signer: sock, trace: honest });
        games.push({ sock, g });
      }
      await increaseTime(sys.P.clockTime);
      for (const { sock, g } of games) await sys.game.connect(sock).timeout(g.ctx);
      expect(await sys.stake.slashableOf(sys.cu.address)).to.equal(0n);
      // The honest watcher still wins, but there is nothing left to pay it; its bond is returned whole.
      await expect(sys.game.connect(sys.watcher).timeout(gWatcher.ctx))
        .to.emit(sys.game, "GameResolved")
        .withArgs(gWatcher.id, commitmentId(commitment), GameStatus.ChallengerWon, 0n);
      expect(await sys.stake.payoutOf(sys.watcher.address)).to.equal(0n);
      expect(await sys.stake.bondedOf(sys.watcher.address)).to.equal(OPERATOR_BOND);
      expect(await sys.stake.lockedOf(sys.watcher.address)).to.equal(0n);
      // The liar's net loss is its whole stake less the socks' reward shares.
      const [reward] = split(sys, commitment.stake);
      let recovered = 0n;
      for (const sock of socks) recovered += await sys.stake.payoutOf(sock.address);
      expect(recovered).to.equal(BigInt(socks.length) * reward);
      expect(await stakeSolvent(sys)).to.equal(true);
    });
  });

  describe("clock games", () => {
    it("test_clock_liarMovesAtLastSecond_honestLiftedToExtension_answersAndWins_succeeds", async () => {
      const { sys, honest } = await loadFixture(counterSystem);
      const liar = liarTrace(honest, { fromPosition: MSG + 11n, salt: "last moment" });
      const { commitment } = await postClaim(sys, sys.cu, liar);
      const g = await openGame(sys, commitment, sys.watcher);
      const players: [Player, Player] = [
        { signer: sys.cu, trace: liar },
        { signer: sys.watcher, trace: honest },
      ];
      // The honest watcher is slow: it spends all but 10 s of its clock on its first move.
      let seg = g.seg;
      const first = respond(honest, seg, sys.P.degree);
      if (first.action !== "bisect") throw new Error("expected a bisection");
      await time.setNextBlockTimestamp(BigInt(await time.latest()) + sys.P.clockTime - 10n);
      await sendMove(sys, g, seg, first, players[1]);
      seg = { start: first.start, length: first.length, points: first.points };
      expect((await sys.game.game(g.id)).challengerLeft).to.equal(10n);
      // The liar answers at the last second of its own clock, hoping to leave the watcher 10 s.
      const answer = respond(liar, seg, sys.P.degree);
      if (answer.action !== "bisect") throw new Error("expected a bisection");
      const at = BigInt(await time.latest()) + sys.P.clockTime - 1n;
      await time.setNextBlockTimestamp(at);
      await sendMove(sys, g, seg, answer, players[0]);
      seg = { start: answer.start, length: answer.length, points: answer.points };
      const state = await sys.game.game(g.id);
      expect(state.asserterLeft).to.equal(1n);
      expect(state.challengerLeft).to.equal(sys.P.clockExtension);
      // The watcher cannot be timed out before the extension is used...
      await time.setNextBlockTimestamp(at + sys.P.clockExtension - 2n);
      await expect(sys.game.connect(sys.cu).timeout(g.ctx))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameClockNotExpired")
        .withArgs(g.id, Side.Challenger, 2n);
      // ...and answers at its last second, then wins: the liar, with 1 s left, is timed out or loses the proof.
      const next = respond(honest, seg, sys.P.degree);
      await time.setNextBlockTimestamp(at + sys.P.clockExtension - 1n);
      await sendMove(sys, g, seg, next, players[1]);
      const r = await playGame(
        sys,
        { ...g, seg: next.action === "bisect" ? next : seg },
        players[0],
        players[1],
      );
      expect(r.status).to.equal(GameStatus.ChallengerWon);
    });

    it("test_freeloader_copycatChallengerWhoDoesNotPlay_losesItsBond_succeeds", async () => {
      const { sys, honest } = await loadFixture(counterSystem);
      const freeloader = sys.rest[1];
      const liar = liarTrace(honest, { fromPosition: 3n * MSG + 2n, salt: "freeloaded" });
      const { commitment } = await postClaim(sys, sys.cu, liar);
      const postedAt = BigInt(await time.latest());
      await time.setNextBlockTimestamp(postedAt + sys.P.challengeWindow - 2n);
      const gWatcher = await openGame(sys, commitment, sys.watcher);
      // The freeloader copies the honest watcher's challenge at the last second and never moves.
      const gFree = await openGame(sys, commitment, freeloader);
      // A stranger (even the honest watcher) cannot move in the freeloader's game.
      const first = respond(honest, gFree.seg, sys.P.degree);
      if (first.action !== "bisect") throw new Error("expected a bisection");
      await expect(
        sys.game
          .connect(sys.watcher)
          .bisect(gFree.ctx, { ...gFree.seg, points: [...gFree.seg.points] }, first.index, first.points),
      )
        .to.be.revertedWithCustomError(sys.game, "DisputeGameNotYourTurn")
        .withArgs(gFree.id, sys.watcher.address, freeloader.address);
      const r1 = await playGame(
        sys,
        gWatcher,
        { signer: sys.cu, trace: liar },
        { signer: sys.watcher, trace: honest },
      );
      expect(r1.status).to.equal(GameStatus.ChallengerWon);
      const r2 = await playGame(
        sys,
        gFree,
        { signer: sys.cu, trace: liar },
        { signer: freeloader, trace: honest, strategy: "stall" },
      );
      // The freeloader's own game is lost on time, even though the commitment is a lie: it pays the liar.
      expect(r2.status).to.equal(GameStatus.AsserterWon);
      const [cuReward] = split(sys, commitment.stake);
      const [bondReward] = split(sys, sys.P.challengeBond);
      expect(await sys.stake.bondedOf(freeloader.address)).to.equal(OPERATOR_BOND - sys.P.challengeBond);
      expect(await sys.stake.payoutOf(sys.cu.address)).to.equal(bondReward);
      expect(await sys.stake.payoutOf(sys.watcher.address)).to.equal(cuReward);
      expect(await sys.results.statusOf(commitment)).to.equal(Status.Rejected);
    });
  });

  describe("lies the trace covers", () => {
    /**
     * A lie from point `from` on: (a) posted by a lying CU, it loses to the honest watcher (at degree 16 a
     * 2^35-step game leaves the one step to the asserter, whose proof of its lie the contract refuses, so
     * it runs out of time); (b) played by a lying challenger against an honest commitment, the honest
     * asserter proves the step `from − 1` of the expected kind and wins at once.
     */
    async function lieFrom(
      fixture: Awaited<ReturnType<typeof counterSystem>>,
      from: bigint,
      kind: StepKind,
      salt: string,
    ) {
      const { sys, honest } = fixture;
      const liar = liarTrace(honest, { fromPosition: from, salt });
      const { commitment: lie } = await postClaim(sys, sys.cu, liar);
      const g1 = await openGame(sys, lie, sys.watcher);
      const r1 = await playGame(
        sys,
        g1,
        { signer: sys.cu, trace: liar },
        { signer: sys.watcher, trace: honest },
      );
      expect(r1.status, salt).to.equal(GameStatus.ChallengerWon);
      expect(r1.refused[Side.Asserter], salt).to.be.greaterThan(0);
      expect(await sys.results.statusOf(lie), salt).to.equal(Status.Rejected);

      const { commitment: truth } = await postClaim(
        sys,
        sys.rest[0],
        honest,
        ethers.ZeroHash,
        ethers.id(salt),
      );
      const challenger = sys.rest[1];
      const g2 = await openGame(sys, truth, challenger);
      const r2 = await playGame(
        sys,
        g2,
        { signer: sys.rest[0], trace: honest },
        { signer: challenger, trace: liar },
      );
      expect(r2.status, salt).to.equal(GameStatus.AsserterWon);
      const [ev] = await proofsOf(sys, g2.id);
      expect(ev.args.mover, salt).to.equal(BigInt(Side.Asserter));
      expect(ev.args.position, salt).to.equal(from - 1n);
      expect(ev.args.kind, salt).to.equal(BigInt(kind));
      expect(ev.args.post, salt).to.equal(honest.pointAt(from));
    }

    it("test_lie_lastStepOfMessage_refutedByEndProof_succeeds", async () => {
      const f = await loadFixture(counterSystem);
      // True through every step of message 2, false from its boundary B_3: the lie is in the end step.
      await lieFrom(f, 3n * MSG, StepKind.End, "last step");
    });

    it("test_lie_aboutTheHalt_refutedAtTheHaltingStep_succeeds", async () => {
      const f = await loadFixture(counterSystem);
      const halt = BigInt(f.honest.messageRecord(1).haltStep);
      await lieFrom(f, MSG + halt, StepKind.Inner, "halt");
    });

    it("test_lie_aboutTheStepCount_runningPastTheHalt_refutedAtAHaltedStep_succeeds", async () => {
      const f = await loadFixture(counterSystem);
      const halt = BigInt(f.honest.messageRecord(1).haltStep);
      await lieFrom(f, MSG + halt + 1n, StepKind.Inner, "after halt");
    });
  });

  describe("exhausting the honest side", () => {
    it("test_gas_honestSidePerGameBounded_andPaidByTheLiarsBond_succeeds", async () => {
      const { sys, honest } = await loadFixture(counterSystem);
      const { commitment } = await postClaim(sys, sys.cu, honest);
      let most = 0n;
      for (const [i, from] of [1n, MSG + 5n, 2n * MSG, 4n * MSG + 17n, 7n * MSG + 3n].entries()) {
        const challenger = sys.rest[i];
        const liar: GameTrace = liarTrace(honest, { fromPosition: from, salt: `exhaust ${i}` });
        const g = await openGame(sys, commitment, challenger);
        const r = await playGame(
          sys,
          g,
          { signer: sys.cu, trace: honest },
          { signer: challenger, trace: liar },
        );
        expect(r.status).to.equal(GameStatus.AsserterWon);
        if (r.gas[Side.Asserter] > most) most = r.gas[Side.Asserter];
      }
      // docs/gas.md: honestGameTotal ≤ 2,500,000 gas, whatever the liar does.
      expect(most).to.be.lessThan(2_500_000n);
      const [reward] = split(sys, sys.P.challengeBond);
      expect(await sys.stake.payoutOf(sys.cu.address)).to.equal(5n * reward);
    });
  });

  describe("a process designed to make proving expensive", () => {
    const KB = 1024;
    const MB = 1024 * KB;
    /** Messages 1–4 carry 1 KB, 60 KB, 100 KB and 2 MB of data: the last two are over the machine's 64 KiB. */
    async function longMessages() {
      const sys = await deployGameSystem("counter");
      const slots = await assignMessages(sys, 0n, [
        {},
        { tags: { Action: "Increment" }, data: "a".repeat(KB) },
        { tags: { Action: "Increment" }, data: "b".repeat(60 * KB) },
        { tags: { Action: "Increment" }, data: "c".repeat(100 * KB) },
        { tags: { Action: "Increment" }, data: "d".repeat(2 * MB) },
        { tags: { Action: "Get" } },
      ]);
      return { sys, slots, honest: traceOf(sys, slots) };
    }

    /** The honest asserter proves the start step of message `j` against a liar; returns its gas and post. */
    async function proveStartOf(
      f: Awaited<ReturnType<typeof longMessages>>,
      commitment: Commitment,
      j: bigint,
      challenger: GameSystem["rest"][number],
    ) {
      const { sys, honest } = f;
      const liar = liarTrace(honest, { fromPosition: j * MSG + 1n, salt: `long ${j}` });
      const g = await openGame(sys, commitment, challenger);
      const { seg, move, mover } = await playUntilProof(sys, g, [
        { signer: sys.cu, trace: honest },
        { signer: challenger, trace: liar },
      ]);
      expect(move.kind).to.equal(StepKind.Start);
      expect(mover.address).to.equal(sys.cu.address);
      if (move.kind !== StepKind.Start) throw new Error("not a start step");
      // No message bytes at the start step: only the signed assignment's hash and length.
      expect(move.leaf).to.not.have.property("message");
      const position = seg.start + BigInt(move.index);
      const tsPost = nextPoint(honest.leafContext(), position, seg.points[move.index], move);
      const calldata = ethers.getBytes(
        sys.game.interface.encodeFunctionData("proveStart", [
          g.ctx,
          { start: seg.start, length: seg.length, points: [...seg.points] },
          move.index,
          move.leaf,
        ]),
      ).length;
      const gas = await sendMove(sys, g, seg, move, { signer: sys.cu, trace: honest });
      const [ev] = await proofsOf(sys, g.id);
      expect(ev.args.kind).to.equal(BigInt(StepKind.Start));
      expect(ev.args.position).to.equal(j * MSG);
      await increaseTime(sys.P.startGrace);
      await sys.game.resolve(g.ctx);
      expect((await sys.game.game(g.id)).status).to.equal(BigInt(GameStatus.AsserterWon));
      return { gas, post: ev.args.post as string, tsPost, move, calldata };
    }

    it("test_expensive_twoMegabyteMessageSignedWithItsLength_startStepProvedWithoutBytes_succeeds", async () => {
      const f = await loadFixture(longMessages);
      const { sys, slots, honest } = f;
      const huge = slots[4];
      expect(ethers.getBytes(huge.message).length).to.be.greaterThan(2 * MB);
      // The scheduler signed the message's true length.
      expect(BigInt(huge.assignment.messageLength)).to.equal(BigInt(ethers.getBytes(huge.message).length));
      const { gas, post, tsPost, move, calldata } = await proveStartOf(
        f,
        (await postClaim(sys, sys.cu, honest)).commitment,
        4n,
        sys.rest[0],
      );
      // TypeScript (leaf verifier, honest trace) and Solidity agree on the post-state ...
      expect(post).to.equal(tsPost);
      expect(post).to.equal(honest.pointAt(4n * MSG + 1n));
      // ... which is the MessageTooLarge error result, from the signed length alone.
      const tooLarge = hexlify(errorResultHash(ERROR_CODE.MessageTooLarge));
      expect(honest.messageRecord(4).resultHash).to.equal(tooLarge);
      expect(honest.messageRecord(3).resultHash).to.equal(tooLarge);
      expect(honest.messageRecord(2).resultHash).to.not.equal(tooLarge);
      // The transaction's calldata is a few kilobytes, not megabytes.
      expect(move.leaf.assignment.messageLength).to.equal(ethers.getBytes(huge.message).length);
      expect(calldata).to.be.lessThan(8 * KB);
      expect(gas).to.be.lessThan(START_STEP_GAS_BOUND);
    });

    it("test_expensive_startStepGas_independentOfMessageSize_succeeds", async () => {
      const f = await loadFixture(longMessages);
      const { commitment } = await postClaim(f.sys, f.sys.cu, f.honest);
      const gas: bigint[] = [];
      for (const [i, j] of [1n, 2n, 3n, 4n].entries()) {
        const r = await proveStartOf(f, commitment, j, f.sys.rest[i]);
        expect(r.post).to.equal(r.tsPost);
        gas.push(r.gas);
      }
      const [kb1, kb60, kb100, mb2] = gas;
      console.log(`      proveStart gas: 1 KB ${kb1}, 60 KB ${kb60}, 100 KB ${kb100}, 2 MB ${mb2}`);
      for (const g of gas) expect(g).to.be.lessThan(START_STEP_GAS_BOUND);
      // Within the machine's limit the step runs the handler's first instruction; over it, the state is an
      // error from the start: the gas depends on which side of 64 KiB the signed length is, not on the size.
      const near = (a: bigint, b: bigint) => (a > b ? a - b : b - a) <= 500n;
      expect(near(kb1, kb60), `${kb1} vs ${kb60}`).to.equal(true);
      expect(near(kb100, mb2), `${kb100} vs ${mb2}`).to.equal(true);
    });
  });

  describe("assignments at the start step", () => {
    it("test_replay_assignmentSignedForOtherChainOrRegistry_refusedAtStartStep_succeeds", async () => {
      const { sys, honest } = await loadFixture(counterSystem);
      const { commitment } = await postClaim(sys, sys.cu, honest);
      const liar = liarTrace(honest, { fromPosition: 2n * MSG + 1n, salt: "replay" });
      const g = await openGame(sys, commitment, sys.watcher);
      const { seg, move, mover } = await playUntilProof(sys, g, [
        { signer: sys.cu, trace: honest },
        { signer: sys.watcher, trace: liar },
      ]);
      expect(move.kind).to.equal(StepKind.Start);
      if (move.kind !== StepKind.Start) return;
      const { chainId } = await ethers.provider.getNetwork();
      const assignment = move.leaf.assignment;
      const plain = {
        process: assignment.process,
        slot: assignment.slot,
        messageId: assignment.messageId,
        messageHash: assignment.messageHash,
        messageLength: assignment.messageLength,
        timestamp: assignment.timestamp,
        blockHeight: assignment.blockHeight,
        prevAssignmentHash: assignment.prevAssignmentHash,
      };
      const here = assignmentHash(sys.domain, plain);
      for (const domain of [
        assignmentDomain(chainId + 1n, await sys.processes.getAddress()),
        assignmentDomain(chainId, ethers.Wallet.createRandom().address),
      ]) {
        // The scheduler's real signature of the same assignment, under another domain.
        const signature = await signAssignment(sys.scheduler, domain, plain);
        const recovered = ethers.recoverAddress(here, signature);
        expect(recovered).to.not.equal(sys.scheduler.address);
        await expect(
          sys.game
            .connect(mover)
            .proveStart(
              g.ctx,
              { start: seg.start, length: seg.length, points: [...seg.points] },
              move.index,
              {
                ...move.leaf,
                signature,
              },
            ),
        )
          .to.be.revertedWithCustomError(sys.game, "DisputeGameAssignmentSigner")
          .withArgs(recovered, sys.scheduler.address);
      }
      // The right domain's signature proves the step.
      await expect(
        sys.game
          .connect(mover)
          .proveStart(
            g.ctx,
            { start: seg.start, length: seg.length, points: [...seg.points] },
            move.index,
            move.leaf,
          ),
      ).to.emit(sys.game, "StepProven");
    });
  });

  describe("a freeze cancels games (residual risk)", () => {
    it("test_freeze_colludingSchedulerEquivocates_liarGameCancelled_liarUnslashed_schedulerPays_succeeds", async () => {
      const { sys, slots, honest } = await loadFixture(counterSystem);
      const liar = liarTrace(honest, { fromPosition: MSG + 3n, salt: "collusion" });
      const { commitment } = await postClaim(sys, sys.cu, liar);
      const g = await openGame(sys, commitment, sys.watcher);
      const first = respond(honest, g.seg, sys.P.degree);
      await sendMove(sys, g, g.seg, first, { signer: sys.watcher, trace: honest });
      // The liar's accomplice scheduler signs a second assignment of slot 3, and the liar proves it.
      const fork = await assignMessages(
        sys,
        3n,
        [{ tags: { Action: "Get" } }],
        honest.boundary(3).assignmentHash,
      );
      const schedulerStake = await sys.stake.slashableOf(sys.scheduler.address);
      await sys.processes
        .connect(sys.cu)
        .proveEquivocation(slots[3].assignment, slots[3].signature, fork[0].assignment, fork[0].signature);
      await increaseTime(sys.P.clockTime);
      await expect(sys.game.connect(sys.watcher).timeout(g.ctx)).to.emit(sys.game, "GameResolved");
      expect((await sys.game.game(g.id)).status).to.equal(BigInt(GameStatus.Cancelled));
      // The lying CU keeps its stake (less nothing) and earns the equivocation reward; the lie can never finalize.
      const [reward, rest] = split(sys, schedulerStake);
      expect(await sys.stake.bondedOf(sys.cu.address)).to.equal(OPERATOR_BOND);
      expect(await sys.stake.payoutOf(sys.cu.address)).to.equal(reward);
      expect(await sys.stake.payoutOf(sys.treasury.address)).to.equal(rest);
      expect(await sys.stake.bondedOf(sys.watcher.address)).to.equal(OPERATOR_BOND);
      expect(await sys.stake.lockedBy(await sys.game.getAddress(), sys.watcher.address)).to.equal(0n);
      await increaseTime(sys.P.challengeWindow);
      await expect(sys.results.finalize(commitment))
        .to.be.revertedWithCustomError(sys.results, "ResultRegistrySlotBeyondFreeze")
        .withArgs(sys.process, commitment.lastSlot, 3n);
    });
  });
});
