/**
 * sdk/ts/dispute/player.ts: the honest strategy and the liars. A referee written from
 * docs/dispute-game.md §3 (the contract's checks of `bisect` and of the `prove*` moves, with
 * `nextPoint` as the leaf verifier) plays the honest player against each liar, on both sides, at degrees
 * 2, 16 and 64, and against random adversaries (fast-check): the honest side always wins by proving the
 * first wrong step, within `ceil((32 + d) / log2 degree)` bisections.
 */
import { expect } from "chai";
import fc from "fast-check";
import { hexlify, keccak256, randomBytes, solidityPackedKeccak256 } from "ethers";
import {
  bisectionRounds,
  chooseIndex,
  LAST_STEP,
  leafAt,
  liarTrace,
  nextPoint,
  openingSegment,
  partsOf,
  respond,
  resultLiarTrace,
  sameHash,
  segmentPositions,
  split,
  stepKind,
  StepKind,
  type CommitmentTrace,
  type GameTrace,
  type Move,
  type Segment,
} from "../../../sdk/ts/dispute";
import { expectDisputeError, fixture, type Fixture } from "./fixtures";

type Side = "asserter" | "challenger";

interface Outcome {
  winner: "honest" | "liar";
  /** How the game ended: the honest proof, or the liar unable to make a move the contract accepts. */
  end: "honest proof" | "liar refused";
  bisections: number;
  /** The one step the game narrowed down to. */
  position: bigint;
}

/**
 * Plays a game as the contract referees it: the asserter claims `[0, N]` with `(B_0, endPoint)`, the
 * challenger moves first; a bisection must pick a part of the current segment, start at its first point,
 * post `min(degree, length) + 1` points and end elsewhere than its last; a proof must be of a one-step
 * part, of its kind, and `next` must differ from the opponent's point. A liar whose move is refused (or
 * who cannot find one) loses, as it would on time; an honest move that is refused fails the test.
 */
function play(
  honest: CommitmentTrace,
  liar: GameTrace,
  honestSide: Side,
  degree: number,
  adversary: (seg: Segment) => Move = (seg) => respond(liar, seg, degree),
): Outcome {
  const ctx = honest.leafContext();
  const claim = honestSide === "asserter" ? honest.claim() : liar.claim();
  let seg = openingSegment(honest.length, honest.claim().startPoint, claim.endPoint);
  let mover: "honest" | "liar" = honestSide === "challenger" ? "honest" : "liar";
  let bisections = 0;
  for (;;) {
    let move: Move;
    if (mover === "honest") move = respond(honest, seg, degree);
    else {
      try {
        move = adversary(seg);
      } catch {
        return { winner: "honest", end: "liar refused", bisections, position: seg.start };
      }
    }
    const parts = seg.points.length - 1;
    const valid = Number.isInteger(move.index) && move.index >= 0 && move.index < parts;
    const part = split(seg.start, seg.length, parts, valid ? move.index : 0);
    const refused = (why: string): Outcome => {
      if (mover === "honest") throw new Error(`the honest ${move.action} was refused: ${why}`);
      return { winner: "honest", end: "liar refused", bisections, position: part.start };
    };
    if (!valid) return refused("index");
    if (move.action === "bisect") {
      if (part.length <= 1n) return refused("one step");
      if (move.start !== part.start || move.length !== part.length) return refused("part");
      if (move.points.length !== partsOf(part.length, degree) + 1) return refused("point count");
      if (!sameHash(move.points[0], seg.points[move.index])) return refused("start mismatch");
      if (sameHash(move.points[move.points.length - 1], seg.points[move.index + 1]))
        return refused("end agrees");
      seg = { start: part.start, length: part.length, points: move.points };
      bisections++;
      mover = mover === "honest" ? "liar" : "honest";
    } else {
      if (part.length !== 1n || move.position !== part.start) return refused("not one step");
      if (move.kind !== stepKind(honest.slots, part.start)) return refused("leaf kind");
      let next: string;
      try {
        next = nextPoint(ctx, part.start, seg.points[move.index], move);
      } catch (e) {
        return refused(String(e));
      }
      if (sameHash(next, seg.points[move.index + 1])) return refused("step agrees");
      if (mover === "liar") throw new Error(`the liar won by proving step ${part.start}`);
      return { winner: "honest", end: "honest proof", bisections, position: part.start };
    }
  }
}

/** `ceil((32 + d) / log2 degree)`. */
function bound(t: CommitmentTrace, degree: number): number {
  return Math.ceil((32 + t.depth) / Math.log2(degree));
}

/** The honest leaf of step `p` wins against `liar`: `next` is the true point, which is not the liar's. */
function expectHonestLeafWins(honest: CommitmentTrace, liar: GameTrace, p: bigint): void {
  const next = nextPoint(honest.leafContext(), p, honest.pointAt(p), leafAt(honest, p));
  expect(next).to.equal(honest.pointAt(p + 1n));
  expect(sameHash(next, liar.pointAt(p + 1n))).to.equal(false);
  expect(liar.pointAt(p)).to.equal(honest.pointAt(p));
}

interface Lie {
  name: string;
  liar: GameTrace;
  /** The first step whose end point is wrong. */
  step: bigint;
  kind: StepKind;
}

/** Liars whose first wrong step is of every kind: salted from chosen positions, and each result lie. */
function lies(f: Fixture): Lie[] {
  const t = f.trace;
  const n = t.slots;
  const out: Lie[] = [];
  const salted = (name: string, from: bigint): void => {
    out.push({
      name: `${name} (points from ${from} wrong)`,
      liar: liarTrace(t, { fromPosition: from, salt: name }),
      step: from - 1n,
      kind: stepKind(n, from - 1n),
    });
  };
  const last = BigInt(n - 1) << 32n;
  const halt0 = BigInt(t.messageRecord(0).haltStep);
  const haltLast = BigInt(t.messageRecord(n - 1).haltStep);
  salted("first step", 1n);
  salted("start of the last message", last + 1n);
  salted("middle of message 0", halt0 / 2n + 1n);
  salted("the halting step", last + haltLast);
  salted("after the halt", last + haltLast + 2n);
  salted("end of message 0", 1n << 32n);
  salted("only the claim", t.length);
  if (BigInt(n) << 32n < t.length) salted("padding", (BigInt(n) << 32n) + 1n);
  for (let k = 0; k < n; k++) {
    out.push({
      name: `result of message ${k}`,
      liar: resultLiarTrace(t, { index: k }),
      step: (BigInt(k + 1) << 32n) - 1n,
      kind: StepKind.End,
    });
  }
  return out;
}

for (const name of ["counter-1", "counter-2", "token-3", "token-5"]) {
  describe(`dispute player: ${name}`, () => {
    let f: Fixture;
    before(async () => {
      f = await fixture(name);
    });

    it("the honest player proves the first wrong step of every liar, on both sides, at degree 16", () => {
      const t = f.trace;
      const kinds = new Set<number>();
      for (const lie of lies(f)) {
        kinds.add(lie.kind);
        for (const side of ["challenger", "asserter"] as const) {
          const o = play(t, lie.liar, side, 16);
          const what = `${lie.name}, honest ${side}`;
          expect(o.winner, what).to.equal("honest");
          expect(o.position, what).to.equal(lie.step);
          expect(o.bisections, what).to.equal(bound(t, 16));
          expect(o.bisections).to.equal(bisectionRounds(t.length, 16));
          // Whoever had to answer the last segment, the honest leaf of that step wins.
          expectHonestLeafWins(t, lie.liar, lie.step);
          // The honest player proves when the one-step segment is its to answer.
          const honestAnswers = (o.bisections % 2 === 0) === (side === "challenger");
          expect(o.end, what).to.equal(honestAnswers ? "honest proof" : "liar refused");
        }
      }
      expect(kinds.has(StepKind.Start) && kinds.has(StepKind.Inner) && kinds.has(StepKind.End)).to.equal(
        true,
      );
      expect(kinds.has(StepKind.Padding)).to.equal(BigInt(t.slots) << 32n < t.length);
    });
  });
}

describe("dispute player: degrees 2 and 64", () => {
  it("every fixture, every kind of lie, both sides, within ceil((32 + d) / log2 degree) bisections", async () => {
    for (const name of ["counter-1", "counter-2", "token-3", "token-5"]) {
      const f = await fixture(name);
      const t = f.trace;
      for (const lie of lies(f)) {
        for (const degree of [2, 64]) {
          for (const side of ["challenger", "asserter"] as const) {
            const o = play(t, lie.liar, side, degree);
            const what = `${name}: ${lie.name}, honest ${side}, degree ${degree}`;
            expect(o.winner, what).to.equal("honest");
            expect(o.position, what).to.equal(lie.step);
            expect(o.bisections, what).to.equal(bound(t, degree));
          }
        }
      }
    }
  });
});

/** A small deterministic generator for the random adversary. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * An adversary that follows only the contract's rules: any part, points that start where they must and
 * end elsewhere, each other point either true or random; at one step, the only proof there is (the honest
 * leaf), which the contract refuses.
 */
function randomAdversary(honest: CommitmentTrace, degree: number, seed: number): (seg: Segment) => Move {
  const r = rng(seed);
  return (seg) => {
    const parts = seg.points.length - 1;
    const index = Math.floor(r() * parts);
    const part = split(seg.start, seg.length, parts, index);
    if (part.length === 1n)
      return { action: "prove", index, position: part.start, ...leafAt(honest, part.start) };
    const k = partsOf(part.length, degree);
    const truth = honest.points(part.start, part.length, degree);
    const points = truth.map((h, i) => {
      if (i === 0) return seg.points[index];
      if (i === k) {
        const lie = r() < 0.5 ? hexlify(randomBytes(32)) : honest.pointAt(BigInt(Math.floor(r() * 1000)));
        return sameHash(lie, seg.points[index + 1]) ? keccak256(lie) : lie;
      }
      return r() < 0.5 ? h : hexlify(randomBytes(32));
    });
    return { action: "bisect", index, start: part.start, length: part.length, points };
  };
}

describe("dispute player: random adversaries (fast-check)", () => {
  it("the honest player never breaks and always wins, on both sides", async () => {
    const f = await fixture("token-3");
    const t = f.trace;
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.constantFrom<Side>("challenger", "asserter"),
        fc.constantFrom(2, 16, 64),
        async (seed, side, degree) => {
          // The adversary's claim when it is the asserter: any wrong end point.
          const liar = liarTrace(t, { fromPosition: t.length, salt: `seed ${seed}` });
          const o = play(t, liar, side, degree, randomAdversary(t, degree, seed));
          expect(o.winner).to.equal("honest");
          expect(o.bisections).to.be.at.most(bound(t, degree));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("dispute player: the strategy", () => {
  let t: CommitmentTrace;
  before(async () => {
    t = (await fixture("token-3")).trace;
  });

  it("disputes the first part whose end point differs, bisecting it with its own points", () => {
    const seg: Segment = { start: 0n, length: t.length, points: t.points(0n, t.length, 16) };
    for (const wrong of [1, 5, 16]) {
      const points = seg.points.map((p, i) => (i >= wrong ? keccak256(p) : p));
      const lying = { ...seg, points };
      expect(chooseIndex(t, lying)).to.equal(wrong - 1);
      const move = respond(t, lying, 16);
      const part = split(0n, t.length, 16, wrong - 1);
      expect(move).to.deep.equal({
        action: "bisect",
        index: wrong - 1,
        start: part.start,
        length: part.length,
        points: t.points(part.start, part.length, 16),
      });
      expect(segmentPositions(lying)).to.have.length(17);
    }
  });

  it("proves a one-step part with the leaf of its kind", () => {
    const p = (1n << 32n) + LAST_STEP - 2n;
    const seg: Segment = { start: p - 2n, length: 4n, points: t.points(p - 2n, 4n, 16) };
    const lying = { ...seg, points: [...seg.points.slice(0, 3), keccak256(seg.points[3]), seg.points[4]] };
    const move = respond(t, lying, 16);
    expect(move.action).to.equal("prove");
    if (move.action !== "prove") return;
    expect(move.index).to.equal(2);
    expect(move.position).to.equal(p);
    expect(move.kind).to.equal(StepKind.Inner);
    expect(move.leaf).to.deep.equal(leafAt(t, p).leaf);
  });

  it("names a broken invariant, an agreement, a bad segment and a bad degree", () => {
    const seg: Segment = { start: 0n, length: t.length, points: t.points(0n, t.length, 16) };
    expectDisputeError(
      () => chooseIndex(t, { ...seg, points: [keccak256(seg.points[0]), ...seg.points.slice(1)] }),
      "InvariantBroken",
    );
    expectDisputeError(() => chooseIndex(t, seg), "NoDisagreement");
    expectDisputeError(() => respond(t, seg, 16), "NoDisagreement");
    expectDisputeError(() => chooseIndex(t, { ...seg, points: [seg.points[0]] }), "InvalidSegment");
    expectDisputeError(
      () => chooseIndex(t, { start: 0n, length: 2n, points: t.pointsAt([0n, 1n, 2n, 3n]) }),
      "InvalidSegment",
    );
    expectDisputeError(
      () => chooseIndex(t, { start: 1n, length: t.length, points: seg.points }),
      "PositionOutOfRange",
    );
    const lying = { ...seg, points: [...seg.points.slice(0, 16), keccak256(seg.points[16])] };
    expectDisputeError(() => respond(t, lying, 3), "InvalidDegree");
    expectDisputeError(() => respond(t, lying, 512), "InvalidDegree");
  });
});

describe("dispute player: the liars", () => {
  let t: CommitmentTrace;
  before(async () => {
    t = (await fixture("token-5")).trace;
  });

  it("liarTrace: true before fromPosition, wrong from it, and a claim whose boundary is its last point", () => {
    const from = (2n << 32n) + 7n;
    const liar = liarTrace(t, { fromPosition: from, salt: "x" });
    for (const p of [0n, 1n, from - 1n, 1n << 32n, from - 7n])
      expect(liar.pointAt(p), `${p}`).to.equal(t.pointAt(p));
    for (const p of [from, from + 1n, 3n << 32n, t.length - 1n, t.length]) {
      expect(sameHash(liar.pointAt(p), t.pointAt(p)), `${p}`).to.equal(false);
    }
    const c = liar.claim();
    const truth = t.claim();
    expect(c.startPoint).to.equal(truth.startPoint);
    expect(c.resultsRoot).to.equal(truth.resultsRoot);
    expect(c.lastAssignmentHash).to.equal(truth.lastAssignmentHash);
    expect(c.stateHash).to.not.equal(truth.stateHash);
    expect(c.endPoint).to.equal(
      solidityPackedKeccak256(
        ["string", "bytes32", "bytes32", "bytes32"],
        ["Holo:Boundary:", c.stateHash, c.resultsRoot, c.lastAssignmentHash],
      ),
    );
    expect(liar.pointAt(t.length)).to.equal(c.endPoint);
    expect(liar.points(0n, t.length, 16)).to.deep.equal(
      liar.pointsAt(segmentPositions({ start: 0n, length: t.length, points: new Array(17).fill("") })),
    );
    // Different salts, different lies.
    expect(liarTrace(t, { fromPosition: from, salt: "y" }).pointAt(from)).to.not.equal(liar.pointAt(from));
  });

  it("resultLiarTrace: right states, a wrong r_k: the points differ from boundary k + 1 on, the claim in resultsRoot only", () => {
    const k = 1;
    const liar = resultLiarTrace(t, { index: k });
    const bk = BigInt(k) << 32n;
    for (const p of [0n, bk, bk + 1n, bk + 500n, bk + LAST_STEP])
      expect(liar.pointAt(p), `${p}`).to.equal(t.pointAt(p));
    for (const p of [bk + (1n << 32n), bk + (1n << 32n) + 3n, 4n << 32n, (5n << 32n) + 9n, t.length]) {
      expect(sameHash(liar.pointAt(p), t.pointAt(p)), `${p}`).to.equal(false);
    }
    const c = liar.claim();
    const truth = t.claim();
    expect(c.stateHash).to.equal(truth.stateHash);
    expect(c.lastAssignmentHash).to.equal(truth.lastAssignmentHash);
    expect(c.resultsRoot).to.not.equal(truth.resultsRoot);
    expect(c.endPoint).to.equal(liar.pointAt(t.length));
    // A lie in the last message's result changes only the boundaries after it.
    const lastLie = resultLiarTrace(t, { index: t.slots - 1, resultHash: keccak256("0x01") });
    expect(lastLie.pointAt(4n << 32n)).to.equal(t.pointAt(4n << 32n));
    expect(lastLie.pointAt(5n << 32n)).to.not.equal(t.pointAt(5n << 32n));
  });

  it("refuses lies that cannot be told", () => {
    expectDisputeError(() => liarTrace(t, { fromPosition: 0n, salt: "x" }), "InvalidLie");
    expectDisputeError(() => liarTrace(t, { fromPosition: t.length + 1n, salt: "x" }), "InvalidLie");
    expectDisputeError(() => resultLiarTrace(t, { index: t.slots }), "InvalidLie");
    expectDisputeError(() => resultLiarTrace(t, { index: -1 }), "InvalidLie");
    expectDisputeError(
      () => resultLiarTrace(t, { index: 0, resultHash: t.messageRecord(0).resultHash }),
      "InvalidLie",
    );
    expectDisputeError(
      () => liarTrace(t, { fromPosition: 5n, salt: "x" }).pointAt(t.length + 1n),
      "PositionOutOfRange",
    );
  });
});
