/**
 * The honest strategy (docs/dispute-game.md §6) as pure functions over a trace, and dishonest traces to
 * play against it.
 *
 * Given the segment the opponent posted last, {@link respond} picks the first part whose end point differs
 * from ours (its start point is then ours: the opponent agreed with it) and either bisects it, posting our
 * points, or, when it is one step long, proves it with a leaf. The invariant of §6 is that the opponent's
 * segment starts at one of our points; if it does not, {@link chooseIndex} throws `InvariantBroken`.
 *
 * The liars ({@link liarTrace}, {@link resultLiarTrace}) are {@link GameTrace}s too, so the same strategy
 * plays the dishonest side in tests; their leaves come from the honest trace behind them, so a liar's
 * proof is always refused (`DisputeGameStepAgrees` or a preimage error).
 */
import { concat, keccak256, toUtf8Bytes } from "ethers";
import { DisputeError } from "./errors";
import {
  bisectionPositions,
  boundaryPoint,
  checkDegree,
  locate,
  partsOf,
  sameHash,
  split,
  stepPoint,
} from "./game";
import { leafAt, type LeafProof } from "./leaf";
import { ResultsChain, type Claim, type CommitmentTrace, type GameTrace } from "./trace";

/** `IDisputeGame.Segment`: `[start, start + length]` with the points its last mover posted. */
export interface Segment {
  start: bigint;
  length: bigint;
  points: readonly string[];
}

/** Bisect part `index` of the current segment: the new segment is `[start, start + length]` with `points`. */
export interface BisectMove {
  action: "bisect";
  index: number;
  start: bigint;
  length: bigint;
  points: string[];
}

/** Prove part `index`, the one step `position`, with the leaf of its kind (`leaf` is null for padding). */
export type ProveMove = { action: "prove"; index: number; position: bigint } & LeafProof;

export type Move = BisectMove | ProveMove;

/** The segment a game opens with: the asserter's claim `[0, N]` with points `(B_0, B_N)`. */
export function openingSegment(length: bigint, startPoint: string, endPoint: string): Segment {
  return { start: 0n, length, points: [startPoint, endPoint] };
}

function checkSegment(trace: GameTrace, seg: Segment): number {
  const parts = seg.points.length - 1;
  if (parts < 1) throw new DisputeError("InvalidSegment", `a segment with ${seg.points.length} points`);
  if (seg.length < BigInt(parts)) {
    throw new DisputeError("InvalidSegment", `${parts} parts of a segment of length ${seg.length}`);
  }
  if (seg.start < 0n || seg.start + seg.length > trace.length) {
    throw new DisputeError(
      "PositionOutOfRange",
      `segment [${seg.start}, ${seg.start + seg.length}] is not in [0, ${trace.length}]`,
    );
  }
  return parts;
}

/** The positions of a posted segment's points: its start and the end of each of its parts. */
export function segmentPositions(seg: Segment): bigint[] {
  const parts = seg.points.length - 1;
  const out = [seg.start];
  for (let i = 0; i < parts; i++) {
    const s = split(seg.start, seg.length, parts, i);
    out.push(s.start + s.length);
  }
  return out;
}

/**
 * The part of the opponent's segment to dispute: the first whose end point differs from ours. Throws
 * `InvariantBroken` when the segment's first point is not ours, `NoDisagreement` when every point is.
 */
export function chooseIndex(trace: GameTrace, seg: Segment): number {
  const parts = checkSegment(trace, seg);
  const ours = trace.pointsAt(segmentPositions(seg));
  if (!sameHash(ours[0], seg.points[0])) {
    throw new DisputeError(
      "InvariantBroken",
      `the segment starts at ${seg.points[0]} at position ${seg.start}, where our point is ${ours[0]}`,
    );
  }
  for (let i = 0; i < parts; i++) if (!sameHash(ours[i + 1], seg.points[i + 1])) return i;
  throw new DisputeError(
    "NoDisagreement",
    `every point of [${seg.start}, ${seg.start + seg.length}] is ours`,
  );
}

/** The honest answer to the opponent's segment `seg` in a game of `degree`: a bisection or a proof. */
export function respond(trace: GameTrace, seg: Segment, degree: number): Move {
  checkDegree(degree);
  const index = chooseIndex(trace, seg);
  const part = split(seg.start, seg.length, seg.points.length - 1, index);
  if (part.length === 1n) {
    return { action: "prove", index, position: part.start, ...leafAt(trace.base, part.start) };
  }
  const points = trace.points(part.start, part.length, degree);
  return { action: "bisect", index, start: part.start, length: part.length, points };
}

/**
 * The most bisections a game over a segment of `length` steps can take to reach one step at `degree`
 * (always following the longest part, the first): `ceil(log2 N / log2 degree)` for a trace.
 */
export function bisectionRounds(length: bigint, degree: number): number {
  let rounds = 0;
  let l = length;
  while (l > 1n) {
    l = split(0n, l, partsOf(l, degree), 0).length;
    rounds++;
  }
  return rounds;
}

// ---------------------------------------------------------------------------------------------------
// Liars

function checkedPoints(trace: GameTrace, start: bigint, length: bigint, degree: number): string[] {
  partsOf(length, degree);
  if (start < 0n || start + length > trace.length) {
    throw new DisputeError(
      "PositionOutOfRange",
      `segment [${start}, ${start + length}] is not in [0, ${trace.length}]`,
    );
  }
  return trace.pointsAt(bisectionPositions(start, length, degree));
}

function checkPositions(trace: GameTrace, ps: readonly bigint[]): void {
  for (const p of ps) {
    if (typeof p !== "bigint" || p < 0n || p > trace.length) {
      throw new DisputeError("PositionOutOfRange", `position ${p} is not in [0, ${trace.length}]`);
    }
  }
}

export interface LieOptions {
  /** The first wrong point (`1 ≤ fromPosition ≤ N`; point 0 is fixed by the contract). */
  fromPosition: bigint;
  /** Any text; different salts give different lies. */
  salt: string;
}

/**
 * A liar whose points agree with `honest` before `fromPosition` and are `keccak(honest ‖ keccak(salt))`
 * from there on, except the last, which is the boundary of a commitment claiming the wrong state
 * `keccak(stateHash ‖ keccak(salt))` (with the true results root and last assignment), so that the liar can
 * post its claim as an asserter.
 */
export function liarTrace(honest: CommitmentTrace, o: LieOptions): GameTrace {
  if (o.fromPosition < 1n || o.fromPosition > honest.length) {
    throw new DisputeError(
      "InvalidLie",
      `a lie from position ${o.fromPosition}, not in [1, ${honest.length}]`,
    );
  }
  const saltHash = keccak256(toUtf8Bytes(o.salt));
  const truth = honest.claim();
  const stateHash = keccak256(concat([truth.stateHash, saltHash]));
  const claim: Claim = {
    ...truth,
    stateHash,
    endPoint: boundaryPoint(stateHash, truth.resultsRoot, truth.lastAssignmentHash),
  };
  const trace: GameTrace = {
    base: honest,
    slots: honest.slots,
    depth: honest.depth,
    length: honest.length,
    claim: () => ({ ...claim }),
    pointAt: (p) => trace.pointsAt([p])[0],
    pointsAt: (ps) => {
      checkPositions(trace, ps);
      const needed = ps.filter((p) => p < honest.length);
      const values = new Map<bigint, string>();
      honest.pointsAt(needed).forEach((h, i) => values.set(needed[i], h));
      return ps.map((p) => {
        if (p === honest.length) return claim.endPoint;
        const h = values.get(p)!;
        return p < o.fromPosition ? h : keccak256(concat([h, saltHash]));
      });
    },
    points: (start, length, degree) => checkedPoints(trace, start, length, degree),
  };
  return trace;
}

export interface ResultLieOptions {
  /** The message `k` (slot `firstSlot + k`) whose result the liar misstates. */
  index: number;
  /** The wrong result hash (default `keccak(r_k ‖ "liar")`); must differ from the true one. */
  resultHash?: string;
}

/**
 * A liar with the right machine states and assignments but a wrong result hash for message `k`: its `T_j`
 * differs from `j = k + 1` on, so its points agree with `honest` up to the last step of message `k` and
 * differ from boundary `k + 1`; its claim has the right `stateHash` and a wrong `resultsRoot`.
 */
export function resultLiarTrace(honest: CommitmentTrace, o: ResultLieOptions): GameTrace {
  if (!Number.isInteger(o.index) || o.index < 0 || o.index >= honest.slots) {
    throw new DisputeError("InvalidLie", `message ${o.index} is not in [0, ${honest.slots})`);
  }
  const truth = honest.messageRecord(o.index).resultHash;
  const wrong = o.resultHash ?? keccak256(concat([truth, toUtf8Bytes("liar")]));
  if (sameHash(wrong, truth)) throw new DisputeError("InvalidLie", `${wrong} is the true result hash`);
  const hashes = honest.results.resultHashes.map((r, i) => (i === o.index ? wrong : r));
  const results = new ResultsChain(honest.process, honest.firstSlot, honest.depth, hashes);
  const n = honest.slots;
  const boundary = (j: number): string => {
    const b = honest.boundary(j);
    return boundaryPoint(b.processHash, results.roots[j], b.assignmentHash);
  };
  const claim: Claim = {
    ...honest.claim(),
    resultsRoot: results.roots[n],
    endPoint: boundary(n),
  };
  const trace: GameTrace = {
    base: honest,
    slots: n,
    depth: honest.depth,
    length: honest.length,
    claim: () => ({ ...claim }),
    pointAt: (p) => trace.pointsAt([p])[0],
    pointsAt: (ps) => {
      checkPositions(trace, ps);
      const byMessage = new Map<number, number[]>();
      for (const p of ps) {
        const { j, x } = locate(p);
        if (j < n && x > 0) byMessage.set(j, [...(byMessage.get(j) ?? []), x]);
      }
      const states = new Map<string, string>();
      for (const [j, xs] of byMessage) {
        honest.machineHashes(j, xs).forEach((h, i) => states.set(`${j}:${xs[i]}`, h));
      }
      return ps.map((p) => {
        const { j, x } = locate(p);
        if (j >= n) return boundary(n);
        if (x === 0) return boundary(j);
        return stepPoint(states.get(`${j}:${x}`)!, results.roots[j], honest.boundary(j + 1).assignmentHash);
      });
    },
    points: (start, length, degree) => checkedPoints(trace, start, length, degree),
  };
  return trace;
}
