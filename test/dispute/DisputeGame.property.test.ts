import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";

import {
  liarTrace,
  resultLiarTrace,
  respond,
  split,
  traceLength,
  type GameTrace,
  type Move,
  type Segment,
} from "../../sdk/ts/dispute";
import {
  GameStatus,
  assignMessages,
  deployGameSystem,
  openGame,
  playGame,
  postClaim,
  stakeSolvent,
  tokenTotal,
  traceOf,
  type MessageSpec,
  type Strategy,
} from "../helpers/game";

const MESSAGES: MessageSpec[] = [
  {},
  { tags: { Action: "Increment", By: "3" } },
  { tags: { Action: "Decrement" } },
  { tags: { Action: "Increment", By: "x" } }, // an error result
];

async function system() {
  const sys = await deployGameSystem("counter");
  const slots = await assignMessages(sys, 0n, MESSAGES);
  const honest = traceOf(sys, slots);
  return { sys, honest };
}

/** What the dishonest side does on one of its turns. */
type Behaviour = "follow" | "random" | "stall";

/**
 * A dishonest strategy: on each turn it follows its own (lying) trace, posts random points from the
 * agreed start (the only kind of bisection the contract accepts), or stalls, as `plan` says (cycled).
 */
function dishonest(plan: readonly Behaviour[], degree: number, seed: number): Strategy {
  let turn = 0;
  let counter = seed;
  const randomHash = () => ethers.keccak256(ethers.toUtf8Bytes(`random ${seed} ${counter++}`));
  return (seg: Segment, trace: GameTrace): Move | "stall" => {
    let b = plan[turn++ % plan.length];
    if (b === "stall") return "stall";
    const parts = seg.points.length - 1;
    if (b === "follow") {
      try {
        return respond(trace, seg, degree);
      } catch {
        // Its own lie no longer matches the game (after a random move): it can only improvise.
        b = "random";
      }
    }
    if (b === "random") {
      const index = Math.floor((counter * 7919) % parts);
      const part = split(seg.start, seg.length, parts, index);
      if (part.length > 1n) {
        const k = part.length < BigInt(degree) ? Number(part.length) : degree;
        const points = [seg.points[index], ...Array.from({ length: k }, randomHash)];
        return { action: "bisect", index, start: part.start, length: part.length, points };
      }
    }
    // A one-step part: it tries the proof of its own trace (the contract refuses it) or gives up.
    try {
      return respond(trace, seg, degree);
    } catch {
      return "stall";
    }
  };
}

describe("DisputeGame: property — the honest side always wins, and tokens are conserved", function () {
  this.timeout(1_800_000);

  it("random dishonest strategies, lies and sides (fast-check)", async () => {
    const n = traceLength(MESSAGES.length);
    let played = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          honestAsserts: fc.boolean(),
          lie: fc.oneof(
            fc.record({ kind: fc.constant("state" as const), from: fc.bigInt({ min: 1n, max: n }) }),
            fc.record({ kind: fc.constant("result" as const), index: fc.nat({ max: MESSAGES.length - 1 }) }),
          ),
          plan: fc.array(fc.constantFrom<Behaviour>("follow", "follow", "random", "stall"), {
            minLength: 1,
            maxLength: 6,
          }),
          seed: fc.nat(),
        }),
        async ({ honestAsserts, lie, plan, seed }) => {
          const { sys, honest } = await loadFixture(system);
          const total = await tokenTotal(sys);
          const liar =
            lie.kind === "state"
              ? liarTrace(honest, { fromPosition: lie.from, salt: `p${seed}` })
              : resultLiarTrace(honest, { index: lie.index });
          const [asserterTrace, challengerTrace] = honestAsserts ? [honest, liar] : [liar, honest];
          const { commitment } = await postClaim(sys, sys.cu, asserterTrace);
          const g = await openGame(sys, commitment, sys.watcher);
          const strategy = dishonest(plan, sys.P.degree, seed);
          const r = await playGame(
            sys,
            g,
            { signer: sys.cu, trace: asserterTrace, strategy: honestAsserts ? "honest" : strategy },
            { signer: sys.watcher, trace: challengerTrace, strategy: honestAsserts ? strategy : "honest" },
          );
          played++;
          expect(r.status).to.equal(honestAsserts ? GameStatus.AsserterWon : GameStatus.ChallengerWon);
          // The honest side never had a move refused and never ran out of time.
          expect(r.refused[honestAsserts ? 0 : 1]).to.equal(0);
          expect(await tokenTotal(sys)).to.equal(total);
          expect(await stakeSolvent(sys)).to.equal(true);
          expect(await sys.stake.lockedBy(await sys.game.getAddress(), sys.watcher.address)).to.equal(0n);
        },
      ),
      { numRuns: Number(process.env.GAME_PROPERTY_RUNS ?? 50) },
    );
    expect(played).to.be.greaterThan(0);
  });
});
