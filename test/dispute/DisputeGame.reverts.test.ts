/**
 * Every revert path of contracts/dispute/DisputeGame.sol with its custom error and arguments
 * (docs/dispute-game.md §10), on real machine traces of the `counter` example process.
 *
 * One fixture holds the system, the 5-message counter trace (5 slots: a 2^35-step trace, slots 5…7 are
 * padding) and the honest commitment; the other states are derived from it with `loadFixture` by
 * playing a game partway with the honest strategy (`respond`) against a liar (`liarTrace`). At degree
 * 16 a 2^35-step game takes 9 bisections, the challenger's first, so the asserter faces the one-step
 * part; the liar's first wrong point `f` puts the one step at `f − 1`.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { AbiCoder, concat, getBytes, hexlify, keccak256, ZeroAddress, ZeroHash } from "ethers";

import type { IDisputeGame } from "../../typechain-types/contracts/dispute/DisputeGame";
import { Process } from "../../machine/process";
import { TAG } from "../../machine/code/tags";
import { moduleRootOf } from "../../machine/code/module";
import { processHash } from "../../machine/interp/machine";
import { assignmentHash, signAssignment } from "../../sdk/ts/assignments";
import { COMMITMENT_ABI_TYPE, commitmentId, type Commitment } from "../../sdk/ts/results";
import {
  LAST_STEP,
  StepKind,
  boundaryPoint,
  endLeaf,
  innerLeaf,
  liarTrace,
  respond,
  split,
  startLeaf,
  stepKind,
  stepPoint,
  subSegment,
  traceLength,
  zeroResultsRoot,
  type BisectMove,
  type EndLeaf,
  type ModuleFieldsStruct,
  type Move,
  type ProveMove,
  type Segment,
  type StartLeaf,
  type StepLeaf,
} from "../../sdk/ts/dispute";
import {
  GAME_PARAMS,
  GameStatus,
  NO_PARENT,
  Side,
  assignMessages,
  deployGameSystem,
  openGame,
  postClaim,
  sendMove,
  traceOf,
  type GameSystem,
  type MessageSpec,
  type OpenGame,
  type Player,
} from "../helpers/game";

const COUNTER_MESSAGES: MessageSpec[] = [
  {},
  { tags: { Action: "Increment", By: "5" } },
  { tags: { Action: "Increment" } },
  { tags: { Action: "Decrement", By: "99999999999999999999" } }, // an error result
  { tags: { Action: "Get" } },
];

/** `2^32`: the steps of one message. */
const MSG = 1n << 32n;
/** The trace length of the 5-slot counter commitment: `2^(32 + 3)`. */
const N = 1n << 35n;
const DEGREE = GAME_PARAMS.degree;
const { clockTime: CLOCK, clockExtension: EXT, startGrace: GRACE, challengeBond: BOND } = GAME_PARAMS;

const Kind = StepKind;
const KIND_NAMES = ["Padding", "Start", "Inner", "End"] as const;

// ─── Helpers ──────────────────────────────────────────────────────────────────────────────────

/** A segment as the contract's calldata struct (a fresh, mutable copy). */
function segArg(seg: Segment): IDisputeGame.SegmentStruct {
  return { start: seg.start, length: seg.length, points: [...seg.points] };
}

const GAME_CONTEXT_TYPE = `tuple(${COMMITMENT_ABI_TYPE} commitment,address challenger,uint96 bond)`;

/** `keccak256(abi.encode(ctx))`, computed off-chain. */
function gameIdOf(ctx: IDisputeGame.GameContextStruct): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode([GAME_CONTEXT_TYPE], [ctx]));
}

/** The hex of `data` with byte `at` flipped (xor 1). */
function flipByte(data: string, at: number): string {
  const b = getBytes(data).slice();
  b[at] ^= 1;
  return hexlify(b);
}

/** `keccak("Holo:Machine:" ‖ fields)`: the machine-state hash of a 326-byte field preimage. */
function machineHashOf(fields: string | Uint8Array): string {
  return keccak256(concat([TAG.machine, fields]));
}

/** What the contract computes from a start leaf's boundary preimage. */
function startPreimage(sys: GameSystem, leaf: StartLeaf): string {
  const state = hexlify(
    processHash(
      getBytes(sys.moduleRoot),
      getBytes(leaf.memoryRoot),
      leaf.memoryPages,
      getBytes(leaf.globalsRoot),
    ),
  );
  return boundaryPoint(state, leaf.resultsRoot, leaf.prevAssignmentHash);
}

/** What the contract computes from an inner or end leaf's inner-point preimage. */
function stepPreimage(sys: GameSystem, leaf: StepLeaf): string {
  return stepPoint(leaf.machineHash, leaf.resultsRoot, assignmentHash(sys.domain, leaf.assignment));
}

/** `keccak("Holo:Module:" ‖ fields)` from the TypeScript machine. */
function moduleRootHex(m: ModuleFieldsStruct): string {
  return hexlify(
    moduleRootOf({
      codeRoot: getBytes(m.codeRoot),
      codeLength: m.codeLength,
      tableRoot: getBytes(m.tableRoot),
      tableLength: m.tableLength,
      globalsCount: m.globalsCount,
      memoryMaxPages: m.memoryMaxPages,
      handleEntryPc: m.handleEntryPc,
      handleLocals: m.handleLocals,
      dataRoot: getBytes(m.dataRoot),
      dataCount: m.dataCount,
    }),
  );
}

/** `B_N` of a commitment: its claimed boundary. */
function endPointOf(c: Commitment): string {
  return boundaryPoint(c.stateHash, c.resultsRoot, c.lastAssignmentHash);
}

function asProve(m: Move): ProveMove {
  if (m.action !== "prove")
    throw new Error(`expected a proof, got a bisection of [${m.start}, +${m.length}]`);
  return m;
}

function startOf(m: Move): StartLeaf {
  const p = asProve(m);
  if (p.kind !== StepKind.Start) throw new Error(`expected a start proof, got kind ${p.kind}`);
  return p.leaf;
}

function innerOf(m: Move): StepLeaf {
  const p = asProve(m);
  if (p.kind !== StepKind.Inner) throw new Error(`expected an inner proof, got kind ${p.kind}`);
  return p.leaf;
}

function endOf(m: Move): EndLeaf {
  const p = asProve(m);
  if (p.kind !== StepKind.End) throw new Error(`expected an end proof, got kind ${p.kind}`);
  return p.leaf;
}

function asBisect(m: Move): BisectMove {
  if (m.action !== "bisect") throw new Error(`expected a bisection, got a proof of ${m.position}`);
  return m;
}

interface Reached {
  /** The segment on chain, posted by the side not to move. */
  seg: Segment;
  /** The move the side to move would make now (not sent). */
  move: Move;
  side: number;
  mover: HardhatEthersSigner;
  other: HardhatEthersSigner;
}

/**
 * Plays `g` with the honest strategy of each player's trace (the playGame loop) until the move the side
 * to move would make satisfies `stop`; that move is returned unsent.
 */
async function playUntil(
  sys: GameSystem,
  g: OpenGame,
  players: readonly [Player, Player],
  stop: (m: Move) => boolean,
): Promise<Reached> {
  let seg: Segment = g.seg;
  for (let n = 0; n < 64; n++) {
    const state = await sys.game.game(g.id);
    expect(Number(state.status)).to.equal(GameStatus.Active);
    const side = Number(state.turn);
    const me = players[side];
    const move = respond(me.trace, seg, sys.P.degree);
    if (stop(move)) return { seg, move, side, mover: me.signer, other: players[1 - side].signer };
    const bisect = asBisect(move);
    await sendMove(sys, g, seg, bisect, me);
    seg = { start: bisect.start, length: bisect.length, points: bisect.points };
  }
  throw new Error("the stop was not reached within 64 moves");
}

const isProof = (m: Move) => m.action === "prove";

// ─── Fixtures ─────────────────────────────────────────────────────────────────────────────────

/** The system, the 5-message counter trace, the honest commitment (posted by `cu`), sample leaves. */
async function base() {
  const sys = await deployGameSystem("counter");
  const slots = await assignMessages(sys, 0n, COUNTER_MESSAGES);
  const honest = traceOf(sys, slots);
  const { commitment, id: cid } = await postClaim(sys, sys.cu, honest);
  // Well-formed leaves of each kind, for calls that must fail before a leaf is looked at.
  const leaves = {
    start: startLeaf(honest, 0n),
    inner: innerLeaf(honest, 1n),
    end: endLeaf(honest, LAST_STEP),
  };
  // A step inside message 1's real execution (before its halt).
  const innerX = BigInt(Math.floor(honest.messageRecord(1).haltStep / 2));
  expect(innerX).to.be.greaterThan(1n);
  return { sys, slots, honest, commitment, cid, leaves, innerX };
}
type Base = Awaited<ReturnType<typeof base>>;

/** The watcher opens a game against the honest commitment, lying from point `(2 << 32) + 7`. */
async function opened() {
  const b = await loadFixture(base);
  const liar = liarTrace(b.honest, { fromPosition: (2n << 32n) + 7n, salt: "opened" });
  const g = await openGame(b.sys, b.commitment, b.sys.watcher);
  const first = asBisect(respond(liar, g.seg, DEGREE));
  return { ...b, liar, g, first };
}

/**
 * The honest asserter (`cu`) against a challenger (`watcher`) lying from `fromPosition`, played until
 * the asserter faces the one step `fromPosition − 1`.
 */
async function reachProof(b: Base, fromPosition: bigint, kind: StepKind) {
  const { sys } = b;
  const liar = liarTrace(b.honest, { fromPosition, salt: `lie from ${fromPosition}` });
  const g = await openGame(sys, b.commitment, sys.watcher);
  const r = await playUntil(
    sys,
    g,
    [
      { signer: sys.cu, trace: b.honest },
      { signer: sys.watcher, trace: liar },
    ],
    isProof,
  );
  const move = asProve(r.move);
  expect(r.side).to.equal(Side.Asserter);
  expect(move.position).to.equal(fromPosition - 1n);
  expect(move.kind).to.equal(kind);
  expect(r.seg.length).to.equal(8n);
  const pre = r.seg.points[move.index];
  const post = r.seg.points[move.index + 1];
  expect(pre).to.equal(b.honest.pointAt(move.position));
  expect(post).to.not.equal(b.honest.pointAt(move.position + 1n));
  return { ...b, liar, g, ...r, prove: move, index: move.index, position: move.position, pre, post };
}
type AtProof = Awaited<ReturnType<typeof reachProof>>;

/** The start step of message 2. */
async function atStart() {
  return reachProof(await loadFixture(base), 2n * MSG + 1n, Kind.Start);
}
/** An inner step in the middle of message 1's execution. */
async function atInner() {
  const b = await loadFixture(base);
  return reachProof(b, MSG + b.innerX + 1n, Kind.Inner);
}
/** The end step of message 2 (`j = 2`, position `3·2^32 − 1`). */
async function atEnd() {
  return reachProof(await loadFixture(base), 3n * MSG, Kind.End);
}
/** A padding step of slot 6 (the commitment has slots 0…4). */
async function atPadding() {
  return reachProof(await loadFixture(base), 6n * MSG + 5n, Kind.Padding);
}

/** As {@link atInner}, one move earlier: the challenger's last bisection, of a part of 8 steps. */
async function beforeLastBisection() {
  const b = await loadFixture(base);
  const { sys } = b;
  const liar = liarTrace(b.honest, { fromPosition: MSG + b.innerX + 1n, salt: "last bisection" });
  const g = await openGame(sys, b.commitment, sys.watcher);
  const r = await playUntil(
    sys,
    g,
    [
      { signer: sys.cu, trace: b.honest },
      { signer: sys.watcher, trace: liar },
    ],
    (m) => m.action === "bisect" && m.length < BigInt(DEGREE),
  );
  return { ...b, liar, g, ...r, bisect: asBisect(r.move) };
}

/** A lying asserter (`rest[0]`) against the honest watcher, at the liar's one step (inner or padding). */
async function liarAsserterAt(b: Base, fromPosition: bigint) {
  const { sys } = b;
  const liar = liarTrace(b.honest, { fromPosition, salt: `asserter lie ${fromPosition}` });
  const { commitment, id: cid } = await postClaim(sys, sys.rest[0], liar);
  const g = await openGame(sys, commitment, sys.watcher);
  const r = await playUntil(
    sys,
    g,
    [
      { signer: sys.rest[0], trace: liar },
      { signer: sys.watcher, trace: b.honest },
    ],
    isProof,
  );
  return { ...b, liar, liarCommitment: commitment, liarCid: cid, g, ...r, prove: asProve(r.move) };
}
async function liarAsserterInner() {
  const b = await loadFixture(base);
  return liarAsserterAt(b, MSG + b.innerX + 1n);
}
async function liarAsserterPadding() {
  return liarAsserterAt(await loadFixture(base), 5n * MSG + 3n);
}

const CHILD_MESSAGES: MessageSpec[] = [{ tags: { Action: "Increment", By: "3" } }];

/**
 * A one-slot child (slot 5) of the honest commitment: its honest trace from the parent's end state,
 * the honest child posted by `cu` and a lying child posted by `rest[0]`.
 */
async function child() {
  const b = await loadFixture(base);
  const { sys } = b;
  const parentEnd = b.honest.claim();
  const childSlots = await assignMessages(sys, 5n, CHILD_MESSAGES, parentEnd.lastAssignmentHash);
  const proc = Process.fromWasm(sys.wasm, { memoryLimitPages: sys.P.memoryPages });
  for (const s of b.slots) proc.handleMessage(s.message, { stepLimit: sys.P.stepLimit });
  const childTrace = traceOf(sys, childSlots, 5n, {
    process: proc,
    prevAssignmentHash: parentEnd.lastAssignmentHash,
    stateHash: parentEnd.stateHash,
  });
  const x = BigInt(Math.floor(childTrace.messageRecord(0).haltStep / 2));
  const good = await postClaim(sys, sys.cu, childTrace, b.cid);
  const childLiar = liarTrace(childTrace, { fromPosition: x + 1n, salt: "child asserter" });
  const bad = await postClaim(sys, sys.rest[0], childLiar, b.cid);
  return { ...b, parentEnd, childSlots, childTrace, childLiar, good, bad, x };
}

// ─── Calls of every prove function ────────────────────────────────────────────────────────────

type ProveFn = "provePadding" | "proveStart" | "proveInner" | "proveEnd";
const PROVE_FNS: readonly ProveFn[] = ["provePadding", "proveStart", "proveInner", "proveEnd"];
const KIND_OF: Record<ProveFn, StepKind> = {
  provePadding: Kind.Padding,
  proveStart: Kind.Start,
  proveInner: Kind.Inner,
  proveEnd: Kind.End,
};

/** Calls `fn` as `signer` with a sample leaf of its kind. */
function callProve(
  b: Base,
  signer: HardhatEthersSigner,
  fn: ProveFn,
  ctx: IDisputeGame.GameContextStruct,
  seg: Segment,
  index: number,
) {
  const game = b.sys.game.connect(signer);
  switch (fn) {
    case "provePadding":
      return game.provePadding(ctx, segArg(seg), index);
    case "proveStart":
      return game.proveStart(ctx, segArg(seg), index, b.leaves.start);
    case "proveInner":
      return game.proveInner(ctx, segArg(seg), index, b.leaves.inner);
    default:
      return game.proveEnd(ctx, segArg(seg), index, b.leaves.end);
  }
}

async function deployGame(
  sys: GameSystem,
  overrides: Partial<{
    stake: string;
    processes: string;
    results: string;
    prover: string;
    degree: bigint | number;
    clockTime: bigint;
    clockExtension: bigint;
    startGrace: bigint;
    challengeBond: bigint;
  }> = {},
) {
  const o = {
    stake: await sys.stake.getAddress(),
    processes: await sys.processes.getAddress(),
    results: await sys.results.getAddress(),
    prover: await sys.provers.entry.getAddress(),
    degree: DEGREE,
    clockTime: CLOCK,
    clockExtension: EXT,
    startGrace: GRACE,
    challengeBond: BOND,
    ...overrides,
  };
  const factory = await ethers.getContractFactory("DisputeGame");
  return {
    factory,
    deploy: () =>
      factory.deploy(
        o.stake,
        o.processes,
        o.results,
        o.prover,
        o.degree,
        o.clockTime,
        o.clockExtension,
        o.startGrace,
        o.challengeBond,
      ),
  };
}

/** A StakeManager whose `maxGameDuration` is `maxGame` (window 3600, delay at its floor). */
async function stakeManagerWith(sys: GameSystem, maxGame: bigint): Promise<string> {
  const window = 3_600n;
  const sm = await ethers.deployContract("StakeManager", [
    await sys.token.getAddress(),
    sys.admin.address,
    window,
    maxGame,
    window + maxGame,
    sys.treasury.address,
    5_000n,
  ]);
  return sm.getAddress();
}

/**
 * A ProcessRegistry on the fixture's StakeManager whose `stepLimitCeiling` (and first `maxStepLimit`) is
 * `ceiling`: what a game's constructor checks its `clockExtension` against.
 */
async function registryWith(sys: GameSystem, ceiling: bigint): Promise<string> {
  const registry = await ethers.deployContract("ProcessRegistry", [
    await sys.stake.getAddress(),
    sys.admin.address,
    GAME_PARAMS.minSchedulerStake,
    ceiling,
  ]);
  return registry.getAddress();
}

/** `DisputeGame.REEXEC_STEPS_PER_SECOND`: the re-execution speed a game's clock is sized for. */
const REEXEC = 10_000_000n;

/** `2·clock + 2·(⌈64 / log2 degree⌉ + 1)·ext + grace` (docs/dispute-game.md §4). */
function expectedMaxDuration(degree: number, clock: bigint, ext: bigint, grace: bigint): bigint {
  const bits = Math.round(Math.log2(degree));
  expect(2 ** bits).to.equal(degree);
  const moves = BigInt(Math.ceil(64 / bits) + 1);
  return 2n * clock + 2n * moves * ext + grace;
}

// ─── Tests ────────────────────────────────────────────────────────────────────────────────────

describe("DisputeGame: every revert path", function () {
  this.timeout(600_000);

  describe("constructor", () => {
    const ZERO_CASES = [
      ["stakeManager", "stake"],
      ["processRegistry", "processes"],
      ["resultRegistry", "results"],
      ["oneStepProver", "prover"],
    ] as const;
    for (const [what, key] of ZERO_CASES) {
      it(`DisputeGameZeroAddress("${what}")`, async () => {
        const { sys } = await loadFixture(base);
        const { factory, deploy } = await deployGame(sys, { [key]: ZeroAddress });
        await expect(deploy())
          .to.be.revertedWithCustomError(factory, "DisputeGameZeroAddress")
          .withArgs(what);
      });
    }

    it("DisputeGameInvalidParameter for every parameter out of range", async () => {
      const { sys } = await loadFixture(base);
      const cases: [Parameters<typeof deployGame>[1], string, bigint][] = [
        ...[0n, 1n, 3n, 6n, 255n, 512n].map((d): [Parameters<typeof deployGame>[1], string, bigint] => [
          { degree: d },
          "degree",
          d,
        ]),
        [{ clockTime: 0n }, "clockTime", 0n],
        [{ clockExtension: 0n }, "clockExtension", 0n],
        [{ clockExtension: CLOCK + 1n }, "clockExtension", CLOCK + 1n],
        [{ startGrace: 0n }, "startGrace", 0n],
        [{ challengeBond: 0n }, "challengeBond", 0n],
      ];
      for (const [overrides, what, value] of cases) {
        const { factory, deploy } = await deployGame(sys, overrides);
        await expect(deploy(), `${what} = ${value}`)
          .to.be.revertedWithCustomError(factory, "DisputeGameInvalidParameter")
          .withArgs(what, value);
      }
    });

    it("the boundaries are accepted: degree 2 and 256, clockExtension = clockTime", async () => {
      const { sys } = await loadFixture(base);
      const roomy = await stakeManagerWith(sys, 90n * 86_400n);
      for (const degree of [2, 256]) {
        const { deploy } = await deployGame(sys, { stake: roomy, degree });
        const game = await deploy();
        expect(await game.degree()).to.equal(BigInt(degree));
      }
      const { deploy } = await deployGame(sys, { stake: roomy, clockExtension: CLOCK });
      expect(await (await deploy()).clockExtension()).to.equal(CLOCK);
      // With the fixture's StakeManager (maxGameDuration 18,000), clockExtension = clockTime passes the
      // parameter check and is refused by the duration bound.
      const { factory, deploy: tooLong } = await deployGame(sys, { clockExtension: CLOCK });
      const bound = expectedMaxDuration(DEGREE, CLOCK, CLOCK, GRACE);
      await expect(tooLong())
        .to.be.revertedWithCustomError(factory, "DisputeGameDurationExceedsMax")
        .withArgs(bound, GAME_PARAMS.maxGameDuration);
    });

    it("DisputeGameDurationExceedsMax when the StakeManager's maxGameDuration is below maxDuration()", async () => {
      const { sys } = await loadFixture(base);
      expect(await sys.game.maxDuration()).to.equal(18_000n);
      expect(await sys.stake.maxGameDuration()).to.equal(18_000n);
      const short = await stakeManagerWith(sys, 17_999n);
      const { factory, deploy } = await deployGame(sys, { stake: short });
      await expect(deploy())
        .to.be.revertedWithCustomError(factory, "DisputeGameDurationExceedsMax")
        .withArgs(18_000n, 17_999n);
    });

    it("maxDuration() = 2·clock + 2·(ceil(64/log2 degree)+1)·ext + grace, and the bound is exact", async () => {
      const { sys } = await loadFixture(base);
      const params: [bigint, bigint, bigint][] = [
        [CLOCK, EXT, GRACE],
        [1_000n, 7n, 13n],
      ];
      const moves: Record<number, bigint> = {
        2: 65n,
        4: 33n,
        8: 23n,
        16: 17n,
        32: 14n,
        64: 12n,
        128: 11n,
        256: 9n,
      };
      for (const [clock, ext, grace] of params) {
        // A registry whose step-limit ceiling this extension can re-execute (7 s: 3.5·10^7 steps).
        const processes = await registryWith(sys, (ext * REEXEC) / 2n);
        for (const degree of [2, 4, 8, 16, 32, 64, 128, 256]) {
          const bound = expectedMaxDuration(degree, clock, ext, grace);
          expect(bound).to.equal(2n * clock + 2n * moves[degree] * ext + grace);
          const exact = await stakeManagerWith(sys, bound);
          const ok = await deployGame(sys, {
            processes,
            stake: exact,
            degree,
            clockTime: clock,
            clockExtension: ext,
            startGrace: grace,
          });
          const game = await ok.deploy();
          expect(await game.maxDuration(), `degree ${degree}`).to.equal(bound);
          const below = await stakeManagerWith(sys, bound - 1n);
          const bad = await deployGame(sys, {
            processes,
            stake: below,
            degree,
            clockTime: clock,
            clockExtension: ext,
            startGrace: grace,
          });
          await expect(bad.deploy(), `degree ${degree}`)
            .to.be.revertedWithCustomError(bad.factory, "DisputeGameDurationExceedsMax")
            .withArgs(bound, bound - 1n);
        }
      }
    });
  });

  describe("constructor: the step-limit ceiling (threat model row 29)", () => {
    it("REEXEC_STEPS_PER_SECOND is 10^7, the agents' default reexecStepsPerSecond", async () => {
      const { sys } = await loadFixture(base);
      expect(await sys.game.REEXEC_STEPS_PER_SECOND()).to.equal(REEXEC);
      expect(await sys.processes.stepLimitCeiling()).to.equal((GAME_PARAMS.clockExtension * REEXEC) / 2n);
    });

    it("test_constructor_clockExtensionExactlyAtTheCeiling_succeeds_oneSecondLess_reverts_DisputeGameInvalidParameter", async () => {
      const { sys } = await loadFixture(base);
      // The fixture's registry: ceiling 1.5·10^9 = 300 s · 10^7 / 2.
      const atBound = await deployGame(sys, { clockExtension: EXT });
      expect(await (await atBound.deploy()).clockExtension()).to.equal(EXT);
      const short = await deployGame(sys, { clockExtension: EXT - 1n });
      await expect(short.deploy())
        .to.be.revertedWithCustomError(short.factory, "DisputeGameInvalidParameter")
        .withArgs("clockExtension", EXT - 1n);
      // One step above what 300 s re-executes in 150 s: refused; exactly that many: accepted.
      const roomy = await stakeManagerWith(sys, 90n * 86_400n);
      for (const [ceiling, accepted] of [
        [(EXT * REEXEC) / 2n + 1n, false],
        [(EXT * REEXEC) / 2n, true],
        [2n ** 32n - 1n, false],
      ] as const) {
        const g = await deployGame(sys, { stake: roomy, processes: await registryWith(sys, ceiling) });
        if (accepted) await g.deploy();
        else {
          await expect(g.deploy(), `ceiling ${ceiling}`)
            .to.be.revertedWithCustomError(g.factory, "DisputeGameInvalidParameter")
            .withArgs("clockExtension", EXT);
        }
      }
      // 2^32 − 1 steps need an extension of 859 s (⌈2·(2^32 − 1) / 10^7⌉).
      const full = await registryWith(sys, 2n ** 32n - 1n);
      const g859 = await deployGame(sys, { stake: roomy, processes: full, clockExtension: 859n });
      expect(await (await g859.deploy()).clockExtension()).to.equal(859n);
      const g858 = await deployGame(sys, { stake: roomy, processes: full, clockExtension: 858n });
      await expect(g858.deploy())
        .to.be.revertedWithCustomError(g858.factory, "DisputeGameInvalidParameter")
        .withArgs("clockExtension", 858n);
    });

    it("the game checks the registry's ceiling, not its current cap: lowering maxStepLimit admits no shorter clock", async () => {
      const { sys } = await loadFixture(base);
      await sys.processes.connect(sys.admin).setMaxStepLimit(1n);
      expect(await sys.processes.maxStepLimit()).to.equal(1n);
      const g = await deployGame(sys, { clockExtension: 1n });
      await expect(g.deploy())
        .to.be.revertedWithCustomError(g.factory, "DisputeGameInvalidParameter")
        .withArgs("clockExtension", 1n);
    });

    it("property: a game deploys exactly when 2·stepLimitCeiling ≤ clockExtension·10^7", async () => {
      const { sys } = await loadFixture(base);
      const roomy = await stakeManagerWith(sys, 90n * 86_400n);
      const registries = new Map<bigint, string>();
      const registryFor = async (ceiling: bigint) => {
        if (!registries.has(ceiling)) registries.set(ceiling, await registryWith(sys, ceiling));
        return registries.get(ceiling)!;
      };
      // Pairs near the boundary (ceiling = ⌊ext·10^7/2⌋ + δ) and anywhere in the ranges.
      const nearBoundary = fc
        .tuple(fc.bigInt({ min: 1n, max: 858n }), fc.bigInt({ min: -2n, max: 2n }))
        .map(([ext, delta]) => [ext, (ext * REEXEC) / 2n + delta] as const)
        .filter(([, ceiling]) => ceiling >= 1n && ceiling <= 2n ** 32n - 1n);
      const anywhere = fc.tuple(
        fc.bigInt({ min: 1n, max: 3_600n }),
        fc.bigInt({ min: 1n, max: 2n ** 32n - 1n }),
      );
      await fc.assert(
        fc.asyncProperty(fc.oneof(nearBoundary, anywhere), async ([ext, ceiling]) => {
          const g = await deployGame(sys, {
            stake: roomy,
            processes: await registryFor(ceiling),
            clockTime: 3_600n,
            clockExtension: ext,
          });
          const expected = 2n * ceiling <= ext * REEXEC;
          const tx = await g.factory.getDeployTransaction(
            roomy,
            await registryFor(ceiling),
            await sys.results.getAddress(),
            await sys.provers.entry.getAddress(),
            DEGREE,
            3_600n,
            ext,
            GRACE,
            BOND,
          );
          let deployed: boolean;
          try {
            await ethers.provider.call(tx);
            deployed = true;
          } catch (e) {
            expect(g.factory.interface.parseError((e as { data: string }).data)?.args).to.deep.equal([
              "clockExtension",
              ext,
            ]);
            deployed = false;
          }
          expect(deployed, `clockExtension ${ext}, ceiling ${ceiling}`).to.equal(expected);
        }),
        { numRuns: 60 },
      );
    });
  });

  describe("openChallenge", () => {
    it("DisputeGameSelfChallenge: the poster cannot challenge its own commitment", async () => {
      const { sys, commitment } = await loadFixture(base);
      await expect(sys.game.connect(sys.cu).openChallenge(commitment, NO_PARENT))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameSelfChallenge")
        .withArgs(sys.cu.address);
    });

    it("GameOpened carries the id, the commitment id, the challenger, both points and the trace length", async () => {
      const { sys, commitment, cid, honest } = await loadFixture(base);
      const ctx = { commitment, challenger: sys.watcher.address, bond: BOND };
      const id = gameIdOf(ctx);
      const claim = honest.claim();
      expect(claim.startPoint).to.equal(
        boundaryPoint(sys.initialStateHash, zeroResultsRoot(3), ZeroHash), // B_0 from the initial state
      );
      await expect(sys.game.connect(sys.watcher).openChallenge(commitment, NO_PARENT))
        .to.emit(sys.game, "GameOpened")
        .withArgs(id, cid, sys.watcher.address, claim.startPoint, claim.endPoint, N);
      const g = await sys.game.game(id);
      expect(g.status).to.equal(BigInt(GameStatus.Active));
      expect(g.turn).to.equal(BigInt(Side.Challenger));
      expect(g.asserterLeft).to.equal(CLOCK);
      expect(g.challengerLeft).to.equal(CLOCK);
      expect(g.lastMoveAt).to.equal(BigInt(await time.latest()));
      expect(g.segmentHash).to.equal(
        keccak256(
          AbiCoder.defaultAbiCoder().encode(
            ["uint256", "uint256", "bytes32[]"],
            [0n, N, [claim.startPoint, claim.endPoint]],
          ),
        ),
      );
      expect(await sys.stake.lockedBy(await sys.game.getAddress(), sys.watcher.address)).to.equal(BOND);
    });

    it("DisputeGameExists: one game per (commitment, challenger)", async () => {
      const { sys, commitment } = await loadFixture(base);
      const g = await openGame(sys, commitment, sys.watcher);
      await expect(sys.game.connect(sys.watcher).openChallenge(commitment, NO_PARENT))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameExists")
        .withArgs(g.id);
      // Another challenger opens its own game.
      await expect(sys.game.connect(sys.rest[1]).openChallenge(commitment, NO_PARENT)).to.emit(
        sys.game,
        "GameOpened",
      );
    });

    it("the registry's ResultRegistryUnknownCommitment bubbles up for a commitment never posted", async () => {
      const { sys, commitment } = await loadFixture(base);
      const unknown: Commitment = { ...commitment, arweaveRef: ethers.id("another data item") };
      await expect(sys.game.connect(sys.watcher).openChallenge(unknown, NO_PARENT))
        .to.be.revertedWithCustomError(sys.results, "ResultRegistryUnknownCommitment")
        .withArgs(commitmentId(unknown));
    });

    it("the registry's ResultRegistryWindowElapsed bubbles up once the challenge window has closed", async () => {
      const { sys, commitment, cid } = await loadFixture(base);
      const { deadline } = await sys.results.record(cid);
      await time.setNextBlockTimestamp(deadline);
      await expect(sys.game.connect(sys.watcher).openChallenge(commitment, NO_PARENT))
        .to.be.revertedWithCustomError(sys.results, "ResultRegistryWindowElapsed")
        .withArgs(cid, deadline, deadline);
    });

    it("a game opens at the last second of the window", async () => {
      const { sys, commitment, cid } = await loadFixture(base);
      const { deadline } = await sys.results.record(cid);
      await time.setNextBlockTimestamp(deadline - 1n);
      await expect(sys.game.connect(sys.watcher).openChallenge(commitment, NO_PARENT)).to.emit(
        sys.game,
        "GameOpened",
      );
    });

    it("the StakeManager's StakeManagerInsufficientUnlocked bubbles up when the challenger lacks the bond", async () => {
      const { sys, commitment } = await loadFixture(base);
      const poor = sys.rest[1];
      // 95 of its 100 bonded tokens are locked in a reservation: 5 are unlocked, the bond is 10.
      await sys.results.connect(poor).reserve(95n * 10n ** 18n);
      const unlocked = await sys.stake.unlockedOf(poor.address);
      expect(unlocked).to.equal(5n * 10n ** 18n);
      await expect(sys.game.connect(poor).openChallenge(commitment, NO_PARENT))
        .to.be.revertedWithCustomError(sys.stake, "StakeManagerInsufficientUnlocked")
        .withArgs(poor.address, unlocked, BOND);
    });

    describe("against a child commitment", () => {
      it("DisputeGameParentMismatch for a parent whose content does not hash to c.parent", async () => {
        const { sys, commitment, cid, good } = await loadFixture(child);
        expect(good.commitment.parent).to.equal(cid);
        const wrong: Commitment = { ...commitment, arweaveRef: ethers.id("not the parent") };
        await expect(sys.game.connect(sys.watcher).openChallenge(good.commitment, wrong))
          .to.be.revertedWithCustomError(sys.game, "DisputeGameParentMismatch")
          .withArgs(cid, commitmentId(wrong));
        await expect(sys.game.connect(sys.watcher).openChallenge(good.commitment, NO_PARENT))
          .to.be.revertedWithCustomError(sys.game, "DisputeGameParentMismatch")
          .withArgs(cid, commitmentId(NO_PARENT));
        // The poster is checked first.
        await expect(sys.game.connect(sys.cu).openChallenge(good.commitment, wrong))
          .to.be.revertedWithCustomError(sys.game, "DisputeGameSelfChallenge")
          .withArgs(sys.cu.address);
      });

      it("starts from the parent's state, and a lying child loses to the challenger's proof", async () => {
        const { sys, commitment, bad, childTrace, parentEnd, x } = await loadFixture(child);
        const startPoint = boundaryPoint(parentEnd.stateHash, ZeroHash, parentEnd.lastAssignmentHash);
        expect(childTrace.claim().startPoint).to.equal(startPoint);
        expect(startPoint).to.not.equal(boundaryPoint(sys.initialStateHash, ZeroHash, ZeroHash));
        const ctx = { commitment: bad.commitment, challenger: sys.watcher.address, bond: BOND };
        const id = gameIdOf(ctx);
        await expect(sys.game.connect(sys.watcher).openChallenge(bad.commitment, commitment))
          .to.emit(sys.game, "GameOpened")
          .withArgs(id, bad.id, sys.watcher.address, startPoint, endPointOf(bad.commitment), MSG);
        const g = {
          ctx,
          id,
          seg: { start: 0n, length: MSG, points: [startPoint, endPointOf(bad.commitment)] },
          gas: 0n,
        };
        const liar = liarTrace(childTrace, { fromPosition: x + 1n, salt: "child asserter" });
        const r = await playUntil(
          sys,
          g,
          [
            { signer: sys.rest[0], trace: liar },
            { signer: sys.watcher, trace: childTrace },
          ],
          isProof,
        );
        // A one-slot trace takes 8 bisections: the challenger proves.
        expect(r.side).to.equal(Side.Challenger);
        const prove = asProve(r.move);
        expect(prove.position).to.equal(x);
        const next = childTrace.pointAt(x + 1n);
        await expect(
          sys.game.connect(sys.watcher).proveInner(ctx, segArg(r.seg), prove.index, innerOf(prove)),
        )
          .to.emit(sys.game, "StepProven")
          .withArgs(id, Side.Challenger, x, Kind.Inner, next)
          .and.to.emit(sys.game, "GameResolved")
          .withArgs(id, bad.id, GameStatus.ChallengerWon, bad.commitment.stake);
        expect(await sys.results.statusOf(bad.commitment)).to.equal(3n); // Rejected
      });

      it("an honest child beats a lying challenger, whose true-step proof is DisputeGameStepAgrees", async () => {
        const { sys, commitment, good, childTrace, x } = await loadFixture(child);
        const g = await openGame(sys, good.commitment, sys.watcher, commitment);
        expect(g.seg.points[0]).to.equal(childTrace.claim().startPoint);
        const liar = liarTrace(childTrace, { fromPosition: x + 1n, salt: "child challenger" });
        const r = await playUntil(
          sys,
          g,
          [
            { signer: sys.cu, trace: childTrace },
            { signer: sys.watcher, trace: liar },
          ],
          isProof,
        );
        expect(r.side).to.equal(Side.Challenger);
        const prove = asProve(r.move);
        const post = r.seg.points[prove.index + 1];
        expect(post).to.equal(childTrace.pointAt(x + 1n));
        await expect(
          sys.game.connect(sys.watcher).proveInner(g.ctx, segArg(r.seg), prove.index, innerOf(prove)),
        )
          .to.be.revertedWithCustomError(sys.game, "DisputeGameStepAgrees")
          .withArgs(post);
        const state = await sys.game.game(g.id);
        await time.setNextBlockTimestamp(state.lastMoveAt + state.challengerLeft);
        await expect(sys.game.timeout(g.ctx))
          .to.emit(sys.game, "GameResolved")
          .withArgs(g.id, good.id, GameStatus.AsserterWon, BOND);
      });
    });
  });

  describe("moves on an open game", () => {
    it("DisputeGameNotActive for an unknown game: bisect, every prove*, timeout; resolve: NothingPending", async () => {
      const b = await loadFixture(opened);
      const { sys, g, first } = b;
      const ctx = { ...g.ctx, bond: 1n };
      const id = gameIdOf(ctx);
      expect(id).to.not.equal(g.id);
      await expect(sys.game.connect(sys.watcher).bisect(ctx, segArg(g.seg), 0, first.points))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameNotActive")
        .withArgs(id, GameStatus.None);
      for (const fn of PROVE_FNS) {
        await expect(callProve(b, sys.watcher, fn, ctx, g.seg, 0), fn)
          .to.be.revertedWithCustomError(sys.game, "DisputeGameNotActive")
          .withArgs(id, GameStatus.None);
      }
      await expect(sys.game.timeout(ctx))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameNotActive")
        .withArgs(id, GameStatus.None);
      await expect(sys.game.resolve(ctx))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameNothingPending")
        .withArgs(id);
    });

    it("DisputeGameNotActive after the game resolved: bisect, every prove*, timeout; resolve: NothingPending", async () => {
      const b = await loadFixture(opened);
      const { sys, g, first, cid } = b;
      // The challenger stalls; its clock runs out and the asserter wins by timeout.
      await time.setNextBlockTimestamp((await sys.game.game(g.id)).lastMoveAt + CLOCK);
      await expect(sys.game.connect(sys.rest[3]).timeout(g.ctx))
        .to.emit(sys.game, "GameResolved")
        .withArgs(g.id, cid, GameStatus.AsserterWon, BOND);
      expect((await sys.game.game(g.id)).status).to.equal(BigInt(GameStatus.AsserterWon));
      await expect(sys.game.connect(sys.watcher).bisect(g.ctx, segArg(g.seg), 0, first.points))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameNotActive")
        .withArgs(g.id, GameStatus.AsserterWon);
      for (const fn of PROVE_FNS) {
        await expect(callProve(b, sys.watcher, fn, g.ctx, g.seg, 0), fn)
          .to.be.revertedWithCustomError(sys.game, "DisputeGameNotActive")
          .withArgs(g.id, GameStatus.AsserterWon);
      }
      await expect(sys.game.timeout(g.ctx))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameNotActive")
        .withArgs(g.id, GameStatus.AsserterWon);
      await expect(sys.game.resolve(g.ctx))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameNothingPending")
        .withArgs(g.id);
    });

    it("DisputeGameNotYourTurn: the asserter first, a stranger, then the challenger twice in a row", async () => {
      const b = await loadFixture(opened);
      const { sys, g, first } = b;
      const stranger = sys.rest[2];
      for (const who of [sys.cu, stranger]) {
        await expect(sys.game.connect(who).bisect(g.ctx, segArg(g.seg), 0, first.points))
          .to.be.revertedWithCustomError(sys.game, "DisputeGameNotYourTurn")
          .withArgs(g.id, who.address, sys.watcher.address);
        for (const fn of PROVE_FNS) {
          await expect(callProve(b, who, fn, g.ctx, g.seg, 0), fn)
            .to.be.revertedWithCustomError(sys.game, "DisputeGameNotYourTurn")
            .withArgs(g.id, who.address, sys.watcher.address);
        }
      }
      await sys.game.connect(sys.watcher).bisect(g.ctx, segArg(g.seg), 0, first.points);
      const seg: Segment = { start: first.start, length: first.length, points: first.points };
      const answer = asBisect(respond(b.honest, seg, DEGREE));
      for (const who of [sys.watcher, stranger]) {
        await expect(sys.game.connect(who).bisect(g.ctx, segArg(seg), answer.index, answer.points))
          .to.be.revertedWithCustomError(sys.game, "DisputeGameNotYourTurn")
          .withArgs(g.id, who.address, sys.cu.address);
      }
      await expect(sys.game.connect(sys.cu).bisect(g.ctx, segArg(seg), answer.index, answer.points)).to.emit(
        sys.game,
        "Bisected",
      );
    });

    it("DisputeGameSegmentMismatch for an altered point, start, length or point count", async () => {
      const { sys, g, first, honest } = await loadFixture(opened);
      const s = g.seg;
      const altered: Segment[] = [
        { ...s, points: [s.points[0], ethers.id("another end")] },
        { ...s, points: [ethers.id("another start"), s.points[1]] },
        { ...s, start: 1n },
        { ...s, length: s.length - 1n },
        { ...s, length: s.length * 2n },
        { ...s, points: [s.points[0], s.points[1], s.points[1]] },
      ];
      for (const seg of altered) {
        await expect(sys.game.connect(sys.watcher).bisect(g.ctx, segArg(seg), 0, first.points))
          .to.be.revertedWithCustomError(sys.game, "DisputeGameSegmentMismatch")
          .withArgs(g.id);
        await expect(sys.game.connect(sys.watcher).provePadding(g.ctx, segArg(seg), 0))
          .to.be.revertedWithCustomError(sys.game, "DisputeGameSegmentMismatch")
          .withArgs(g.id);
      }
      // And after a bisection, a middle point.
      await sys.game.connect(sys.watcher).bisect(g.ctx, segArg(s), 0, first.points);
      const points = [...first.points];
      points[7] = ethers.id("a different middle point");
      const seg: Segment = { start: first.start, length: first.length, points };
      const answer = asBisect(respond(honest, { ...seg, points: first.points }, DEGREE));
      await expect(sys.game.connect(sys.cu).bisect(g.ctx, segArg(seg), answer.index, answer.points))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameSegmentMismatch")
        .withArgs(g.id);
    });

    it("DisputeGameInvalidIndex for a part index out of range, for bisect and prove*", async () => {
      const b = await loadFixture(opened);
      const { sys, g, first } = b;
      for (const index of [1, 2, 1000]) {
        await expect(sys.game.connect(sys.watcher).bisect(g.ctx, segArg(g.seg), index, first.points))
          .to.be.revertedWithCustomError(sys.game, "DisputeGameInvalidIndex")
          .withArgs(index, 1);
        for (const fn of PROVE_FNS) {
          await expect(callProve(b, sys.watcher, fn, g.ctx, g.seg, index), fn)
            .to.be.revertedWithCustomError(sys.game, "DisputeGameInvalidIndex")
            .withArgs(index, 1);
        }
      }
      await sys.game.connect(sys.watcher).bisect(g.ctx, segArg(g.seg), 0, first.points);
      const seg: Segment = { start: first.start, length: first.length, points: first.points };
      const answer = asBisect(respond(b.honest, seg, DEGREE));
      await expect(sys.game.connect(sys.cu).bisect(g.ctx, segArg(seg), 16, answer.points))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameInvalidIndex")
        .withArgs(16, 16);
    });

    it("DisputeGameNotOneStep: every prove* of the whole trace, or of a 2^31-step part", async () => {
      const b = await loadFixture(opened);
      const { sys, g, first } = b;
      for (const fn of PROVE_FNS) {
        await expect(callProve(b, sys.watcher, fn, g.ctx, g.seg, 0), fn)
          .to.be.revertedWithCustomError(sys.game, "DisputeGameNotOneStep")
          .withArgs(N);
      }
      await sys.game.connect(sys.watcher).bisect(g.ctx, segArg(g.seg), 0, first.points);
      const seg: Segment = { start: first.start, length: first.length, points: first.points };
      for (const fn of PROVE_FNS) {
        await expect(callProve(b, sys.cu, fn, g.ctx, seg, 3), fn)
          .to.be.revertedWithCustomError(sys.game, "DisputeGameNotOneStep")
          .withArgs(1n << 31n);
      }
    });

    it("DisputeGameInvalidPointCount: a bisection must post degree + 1 points", async () => {
      const { sys, g, first } = await loadFixture(opened);
      expect(first.points.length).to.equal(17);
      for (const points of [
        first.points.slice(0, 16),
        [...first.points, first.points[16]],
        first.points.slice(0, 2),
      ]) {
        await expect(sys.game.connect(sys.watcher).bisect(g.ctx, segArg(g.seg), 0, points))
          .to.be.revertedWithCustomError(sys.game, "DisputeGameInvalidPointCount")
          .withArgs(points.length, 17);
      }
    });

    it("DisputeGameStartMismatch: the first point must be h_i", async () => {
      const { sys, g, first } = await loadFixture(opened);
      const points = [ethers.id("not B_0"), ...first.points.slice(1)];
      await expect(sys.game.connect(sys.watcher).bisect(g.ctx, segArg(g.seg), 0, points))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameStartMismatch")
        .withArgs(g.seg.points[0], points[0]);
    });

    it("DisputeGameEndAgrees: the last point must differ from h_{i+1}", async () => {
      const { sys, g, first } = await loadFixture(opened);
      const points = [...first.points.slice(0, 16), g.seg.points[1]];
      await expect(sys.game.connect(sys.watcher).bisect(g.ctx, segArg(g.seg), 0, points))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameEndAgrees")
        .withArgs(g.seg.points[1]);
    });

    it("DisputeGameNothingPending: resolve of an active game", async () => {
      const { sys, g } = await loadFixture(opened);
      await expect(sys.game.resolve(g.ctx))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameNothingPending")
        .withArgs(g.id);
    });
  });

  describe("the last bisection (a part of 8 steps)", () => {
    it("DisputeGameInvalidPointCount: min(degree, length) + 1 = 9 points, not 17", async () => {
      const { sys, g, seg, bisect, side, mover } = await loadFixture(beforeLastBisection);
      expect(side).to.equal(Side.Challenger);
      expect(bisect.length).to.equal(8n);
      expect(bisect.points.length).to.equal(9);
      const seventeen = [...bisect.points, ...bisect.points.slice(1)];
      await expect(sys.game.connect(mover).bisect(g.ctx, segArg(seg), bisect.index, seventeen))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameInvalidPointCount")
        .withArgs(17, 9);
    });

    it("DisputeGameNotOneStep(8) for every prove* of the 8-step part", async () => {
      const b = await loadFixture(beforeLastBisection);
      for (const fn of PROVE_FNS) {
        await expect(callProve(b, b.mover, fn, b.g.ctx, b.seg, b.bisect.index), fn)
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameNotOneStep")
          .withArgs(8n);
      }
    });

    it("the right bisection emits Bisected with the 9 points", async () => {
      const { sys, g, seg, bisect, mover } = await loadFixture(beforeLastBisection);
      const before = await sys.game.game(g.id);
      const at = before.lastMoveAt + 10n;
      await time.setNextBlockTimestamp(at);
      await expect(sys.game.connect(mover).bisect(g.ctx, segArg(seg), bisect.index, bisect.points))
        .to.emit(sys.game, "Bisected")
        .withArgs(
          g.id,
          Side.Challenger,
          bisect.start,
          8n,
          bisect.points,
          before.asserterLeft,
          before.challengerLeft - 10n,
        );
    });
  });

  describe("clocks", () => {
    it("the mover is charged exactly the elapsed time; the last-moment rule lifts the opponent to clockExtension", async () => {
      const b = await loadFixture(opened);
      const { sys, g, first } = b;
      const t0 = (await sys.game.game(g.id)).lastMoveAt;
      const check = async (
        turn: number,
        lastMoveAt: bigint,
        asserterLeft: bigint,
        challengerLeft: bigint,
      ) => {
        const s = await sys.game.game(g.id);
        expect(s.turn).to.equal(BigInt(turn));
        expect(s.status).to.equal(BigInt(GameStatus.Active));
        expect(s.lastMoveAt).to.equal(lastMoveAt);
        expect(s.asserterLeft).to.equal(asserterLeft);
        expect(s.challengerLeft).to.equal(challengerLeft);
      };
      const players: [Player, Player] = [
        { signer: sys.cu, trace: b.honest },
        { signer: sys.watcher, trace: b.liar },
      ];

      // 1. The challenger moves after 100 s: charged 100 s.
      const t1 = t0 + 100n;
      await time.setNextBlockTimestamp(t1);
      await expect(sys.game.connect(sys.watcher).bisect(g.ctx, segArg(g.seg), 0, first.points))
        .to.emit(sys.game, "Bisected")
        .withArgs(g.id, Side.Challenger, 0n, N, first.points, CLOCK, CLOCK - 100n);
      await check(Side.Asserter, t1, CLOCK, CLOCK - 100n);
      let seg: Segment = { start: first.start, length: first.length, points: first.points };

      // 2. The asserter leaves itself 100 s; the challenger's 3500 s are above the extension: unchanged.
      const m2 = asBisect(respond(players[0].trace, seg, DEGREE));
      const t2 = t1 + CLOCK - 100n;
      await time.setNextBlockTimestamp(t2);
      await expect(sys.game.connect(sys.cu).bisect(g.ctx, segArg(seg), m2.index, m2.points))
        .to.emit(sys.game, "Bisected")
        .withArgs(g.id, Side.Asserter, m2.start, m2.length, m2.points, 100n, CLOCK - 100n);
      await check(Side.Challenger, t2, 100n, CLOCK - 100n);
      seg = { start: m2.start, length: m2.length, points: m2.points };

      // 3. The challenger moves with 1 s left: charged exactly; the asserter's 100 s are lifted to 300.
      const m3 = asBisect(respond(players[1].trace, seg, DEGREE));
      const t3 = t2 + CLOCK - 100n - 1n;
      await time.setNextBlockTimestamp(t3);
      await expect(sys.game.connect(sys.watcher).bisect(g.ctx, segArg(seg), m3.index, m3.points))
        .to.emit(sys.game, "Bisected")
        .withArgs(g.id, Side.Challenger, m3.start, m3.length, m3.points, EXT, 1n);
      await check(Side.Asserter, t3, EXT, 1n);
      seg = { start: m3.start, length: m3.length, points: m3.points };

      // 4. The asserter moves at the last second of its extension; the challenger's 1 s becomes 300.
      const m4 = asBisect(respond(players[0].trace, seg, DEGREE));
      const t4 = t3 + EXT - 1n;
      await time.setNextBlockTimestamp(t4);
      await expect(sys.game.connect(sys.cu).bisect(g.ctx, segArg(seg), m4.index, m4.points))
        .to.emit(sys.game, "Bisected")
        .withArgs(g.id, Side.Asserter, m4.start, m4.length, m4.points, 1n, EXT);
      await check(Side.Challenger, t4, 1n, EXT);
      seg = { start: m4.start, length: m4.length, points: m4.points };

      // 5. The challenger's extension: a timeout 1 s early is refused with the time remaining…
      const m5 = asBisect(respond(players[1].trace, seg, DEGREE));
      await time.setNextBlockTimestamp(t4 + EXT - 1n);
      await expect(sys.game.connect(sys.rest[3]).timeout(g.ctx))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameClockNotExpired")
        .withArgs(g.id, Side.Challenger, 1n);
      // …and once it ran out, the move is refused and the timeout wins the asserter the game.
      await time.setNextBlockTimestamp(t4 + EXT);
      await expect(sys.game.connect(sys.watcher).bisect(g.ctx, segArg(seg), m5.index, m5.points))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameClockExpired")
        .withArgs(g.id, Side.Challenger);
      await time.setNextBlockTimestamp(t4 + EXT + 1n);
      await expect(sys.game.connect(sys.rest[3]).timeout(g.ctx))
        .to.emit(sys.game, "GameResolved")
        .withArgs(g.id, b.cid, GameStatus.AsserterWon, BOND);
    });

    it("DisputeGameClockNotExpired at the opening (with the remaining time), DisputeGameClockExpired at clockTime", async () => {
      const { sys, g, first } = await loadFixture(opened);
      const t0 = (await sys.game.game(g.id)).lastMoveAt;
      for (const elapsed of [1n, 2n, 1234n, CLOCK - 1n]) {
        await time.setNextBlockTimestamp(t0 + elapsed);
        await expect(sys.game.timeout(g.ctx))
          .to.be.revertedWithCustomError(sys.game, "DisputeGameClockNotExpired")
          .withArgs(g.id, Side.Challenger, CLOCK - elapsed);
      }
      await time.setNextBlockTimestamp(t0 + CLOCK);
      await expect(sys.game.connect(sys.watcher).bisect(g.ctx, segArg(g.seg), 0, first.points))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameClockExpired")
        .withArgs(g.id, Side.Challenger);
      await time.setNextBlockTimestamp(t0 + CLOCK + 5_000n);
      await expect(sys.game.connect(sys.watcher).provePadding(g.ctx, segArg(g.seg), 0))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameClockExpired")
        .withArgs(g.id, Side.Challenger);
    });

    it("DisputeGameClockExpired for a proof after the prover's clock ran out; one second earlier it wins", async () => {
      const { sys, g, seg, index, prove, cid } = await loadFixture(atInner);
      const s = await sys.game.game(g.id);
      const leaf = innerOf(prove);
      await time.setNextBlockTimestamp(s.lastMoveAt + s.asserterLeft);
      await expect(sys.game.connect(sys.cu).proveInner(g.ctx, segArg(seg), index, leaf))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameClockExpired")
        .withArgs(g.id, Side.Asserter);
      await time.setNextBlockTimestamp(s.lastMoveAt + s.asserterLeft + 1n);
      await expect(sys.game.timeout(g.ctx))
        .to.emit(sys.game, "GameResolved")
        .withArgs(g.id, cid, GameStatus.ChallengerWon, GAME_PARAMS.commitmentStake);
    });

    it("a proof at the last second of the prover's clock wins", async () => {
      const { sys, g, seg, index, prove, cid } = await loadFixture(atInner);
      const s = await sys.game.game(g.id);
      await time.setNextBlockTimestamp(s.lastMoveAt + s.asserterLeft - 1n);
      await expect(sys.game.connect(sys.cu).proveInner(g.ctx, segArg(seg), index, innerOf(prove)))
        .to.emit(sys.game, "GameResolved")
        .withArgs(g.id, cid, GameStatus.AsserterWon, BOND);
    });
  });

  describe("at a start step (message 2, x = 0)", () => {
    it("the honest proof: StepProven, then DisputeGameGraceNotOver until the grace ends, then GameResolved", async () => {
      const b = await loadFixture(atStart);
      const { sys, g, seg, index, position, prove, cid } = b;
      expect(position).to.equal(2n * MSG);
      const next = b.honest.pointAt(position + 1n);
      const tx = sys.game.connect(sys.cu).proveStart(g.ctx, segArg(seg), index, startOf(prove));
      await expect(tx)
        .to.emit(sys.game, "StepProven")
        .withArgs(g.id, Side.Asserter, position, Kind.Start, next)
        .and.not.to.emit(sys.game, "GameResolved");
      const proofAt = BigInt(await time.latest());
      const s = await sys.game.game(g.id);
      expect(s.status).to.equal(BigInt(GameStatus.StartProven));
      expect(s.turn).to.equal(BigInt(Side.Asserter));
      const until = proofAt + GRACE;
      expect(s.lastMoveAt).to.equal(until);

      // While the grace runs, no move is possible: the game is not Active.
      await expect(sys.game.connect(sys.cu).proveStart(g.ctx, segArg(seg), index, startOf(prove)))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameNotActive")
        .withArgs(g.id, GameStatus.StartProven);
      for (const fn of PROVE_FNS) {
        await expect(callProve(b, sys.watcher, fn, g.ctx, seg, index), fn)
          .to.be.revertedWithCustomError(sys.game, "DisputeGameNotActive")
          .withArgs(g.id, GameStatus.StartProven);
      }
      await expect(sys.game.connect(sys.cu).bisect(g.ctx, segArg(seg), index, [seg.points[index], ZeroHash]))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameNotActive")
        .withArgs(g.id, GameStatus.StartProven);
      await expect(sys.game.timeout(g.ctx))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameNotActive")
        .withArgs(g.id, GameStatus.StartProven);

      await time.setNextBlockTimestamp(until - 1n);
      await expect(sys.game.resolve(g.ctx))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameGraceNotOver")
        .withArgs(until);
      await time.setNextBlockTimestamp(until);
      await expect(sys.game.connect(sys.rest[3]).resolve(g.ctx))
        .to.emit(sys.game, "GameResolved")
        .withArgs(g.id, cid, GameStatus.AsserterWon, BOND);
      await expect(sys.game.resolve(g.ctx))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameNothingPending")
        .withArgs(g.id);
    });

    it("DisputeGameWrongLeafKind for provePadding, proveInner and proveEnd", async () => {
      const b = await loadFixture(atStart);
      for (const fn of ["provePadding", "proveInner", "proveEnd"] as const) {
        await expect(callProve(b, b.mover, fn, b.g.ctx, b.seg, b.index), fn)
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameWrongLeafKind")
          .withArgs(Kind.Start, KIND_OF[fn]);
      }
    });

    it("DisputeGameOneStep for a bisection of the one-step part", async () => {
      const { sys, g, seg, index, pre } = await loadFixture(atStart);
      await expect(sys.game.connect(sys.cu).bisect(g.ctx, segArg(seg), index, [pre, ethers.id("x")]))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameOneStep")
        .withArgs();
    });

    /** Sends the start proof with `leaf`. */
    const proveStartWith = (b: AtProof, leaf: StartLeaf) =>
      b.sys.game.connect(b.sys.cu).proveStart(b.g.ctx, segArg(b.seg), b.index, leaf);

    it("DisputeGameLeafPreimage(Start) for a wrong memory root, pages, globals, results root or A_j", async () => {
      const b = await loadFixture(atStart);
      const leaf = startOf(b.prove);
      expect(startPreimage(b.sys, leaf)).to.equal(b.pre);
      const tampered: StartLeaf[] = [
        { ...leaf, memoryRoot: ethers.id("memory") },
        { ...leaf, memoryPages: leaf.memoryPages + 1 },
        { ...leaf, globalsRoot: ethers.id("globals") },
        { ...leaf, resultsRoot: ethers.id("results") },
        { ...leaf, prevAssignmentHash: ethers.id("A_j") },
      ];
      for (const t of tampered) {
        const got = startPreimage(b.sys, t);
        expect(got).to.not.equal(b.pre);
        await expect(proveStartWith(b, t))
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameLeafPreimage")
          .withArgs(Kind.Start, b.pre, got);
      }
    });

    it("DisputeGameModuleMismatch for an altered module field", async () => {
      const b = await loadFixture(atStart);
      const leaf = startOf(b.prove);
      expect(moduleRootHex(leaf.module)).to.equal(b.sys.moduleRoot);
      for (const module of [
        { ...leaf.module, codeLength: leaf.module.codeLength + 1 },
        { ...leaf.module, handleEntryPc: leaf.module.handleEntryPc + 1 },
        { ...leaf.module, dataRoot: ethers.id("data") },
      ]) {
        await expect(proveStartWith(b, { ...leaf, module }))
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameModuleMismatch")
          .withArgs(b.sys.moduleRoot, moduleRootHex(module));
      }
    });

    it("DisputeGameAssignmentSigner for an assignment whose messageHash or messageLength was altered (no message bytes at the start step)", async () => {
      const b = await loadFixture(atStart);
      const leaf = startOf(b.prove);
      const a = leaf.assignment;
      for (const assignment of [
        { ...a, messageHash: flipByte(a.messageHash, 3) },
        { ...a, messageLength: a.messageLength + 1 },
        { ...a, messageLength: 0 },
        { ...a, messageLength: 2 ** 21 },
      ]) {
        await expect(proveStartWith(b, { ...leaf, assignment })).to.be.revertedWithCustomError(
          b.sys.game,
          "DisputeGameAssignmentSigner",
        );
      }
    });

    it('DisputeGameAssignment("process" / "slot" / "prevAssignmentHash")', async () => {
      const b = await loadFixture(atStart);
      const leaf = startOf(b.prove);
      const a = leaf.assignment;
      const cases: [StartLeaf["assignment"], string][] = [
        [{ ...a, process: ethers.id("another process") }, "process"],
        [{ ...a, slot: a.slot + 1n }, "slot"],
        [{ ...a, slot: a.slot - 1n }, "slot"],
        [{ ...a, prevAssignmentHash: ethers.id("another chain") }, "prevAssignmentHash"],
      ];
      for (const [assignment, what] of cases) {
        await expect(proveStartWith(b, { ...leaf, assignment }))
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameAssignment")
          .withArgs(what);
      }
    });

    it("DisputeGameAssignmentSigner for a signature by a non-scheduler, of another assignment, or malformed", async () => {
      const b = await loadFixture(atStart);
      const { sys } = b;
      const leaf = startOf(b.prove);
      const byCu = await signAssignment(sys.cu, sys.domain, b.slots[2].assignment);
      const otherSlot = b.slots[3].signature;
      const cases: [string, string][] = [
        [byCu, sys.cu.address],
        [otherSlot, ethers.recoverAddress(assignmentHash(sys.domain, leaf.assignment), otherSlot)],
        ["0x" + "00".repeat(65), ZeroAddress],
        ["0x1234", ZeroAddress],
      ];
      for (const [signature, signer] of cases) {
        expect(signer).to.not.equal(sys.scheduler.address);
        await expect(proveStartWith(b, { ...leaf, signature }))
          .to.be.revertedWithCustomError(sys.game, "DisputeGameAssignmentSigner")
          .withArgs(signer, sys.scheduler.address);
      }
    });

    it("a malformed step proof: the prover's OneStepProofVersion / StateMismatch / Truncated bubble up", async () => {
      const b = await loadFixture(atStart);
      const { sys } = b;
      const leaf = startOf(b.prove);
      const s0 = b.honest.messageRecord(2).startStateHash;
      await expect(proveStartWith(b, { ...leaf, stepProof: flipByte(leaf.stepProof, 0) }))
        .to.be.revertedWithCustomError(sys.provers.entry, "OneStepProofVersion")
        .withArgs(getBytes(leaf.stepProof)[0] ^ 1);
      const bad = flipByte(leaf.stepProof, 40);
      await expect(proveStartWith(b, { ...leaf, stepProof: bad }))
        .to.be.revertedWithCustomError(sys.provers.entry, "OneStepProofStateMismatch")
        .withArgs(s0, machineHashOf(getBytes(bad).slice(1, 327)));
      await expect(proveStartWith(b, { ...leaf, stepProof: hexlify(getBytes(leaf.stepProof).slice(0, 100)) }))
        .to.be.revertedWithCustomError(sys.provers.entry, "OneStepProofTruncated")
        .withArgs(1, 326);
    });
  });

  describe("at an inner step (message 1, mid-execution)", () => {
    const proveInnerWith = (b: AtProof, leaf: StepLeaf) =>
      b.sys.game.connect(b.sys.cu).proveInner(b.g.ctx, segArg(b.seg), b.index, leaf);

    it("DisputeGameWrongLeafKind for provePadding, proveStart and proveEnd", async () => {
      const b = await loadFixture(atInner);
      for (const fn of ["provePadding", "proveStart", "proveEnd"] as const) {
        await expect(callProve(b, b.mover, fn, b.g.ctx, b.seg, b.index), fn)
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameWrongLeafKind")
          .withArgs(Kind.Inner, KIND_OF[fn]);
      }
    });

    it("DisputeGameNotYourTurn for the challenger and a stranger; DisputeGameInvalidIndex past the 8 parts", async () => {
      const b = await loadFixture(atInner);
      const leaf = innerOf(b.prove);
      for (const who of [b.sys.watcher, b.sys.rest[2]]) {
        await expect(b.sys.game.connect(who).proveInner(b.g.ctx, segArg(b.seg), b.index, leaf))
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameNotYourTurn")
          .withArgs(b.g.id, who.address, b.sys.cu.address);
      }
      await expect(b.sys.game.connect(b.sys.cu).proveInner(b.g.ctx, segArg(b.seg), 8, leaf))
        .to.be.revertedWithCustomError(b.sys.game, "DisputeGameInvalidIndex")
        .withArgs(8, 8);
    });

    it("DisputeGameLeafPreimage(Inner) for a wrong machine hash, results root or assignment field", async () => {
      const b = await loadFixture(atInner);
      const leaf = innerOf(b.prove);
      expect(stepPreimage(b.sys, leaf)).to.equal(b.pre);
      const tampered: StepLeaf[] = [
        { ...leaf, machineHash: ethers.id("machine") },
        { ...leaf, resultsRoot: ethers.id("results") },
        { ...leaf, assignment: { ...leaf.assignment, messageId: ethers.id("message id") } },
        { ...leaf, assignment: { ...leaf.assignment, timestamp: leaf.assignment.timestamp + 1n } },
        { ...leaf, assignment: { ...leaf.assignment, prevAssignmentHash: ethers.id("chain") } },
      ];
      for (const t of tampered) {
        const got = stepPreimage(b.sys, t);
        expect(got).to.not.equal(b.pre);
        await expect(proveInnerWith(b, t))
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameLeafPreimage")
          .withArgs(Kind.Inner, b.pre, got);
      }
    });

    it('DisputeGameAssignment("process" / "slot")', async () => {
      const b = await loadFixture(atInner);
      const leaf = innerOf(b.prove);
      const a = leaf.assignment;
      const cases: [StepLeaf["assignment"], string][] = [
        [{ ...a, process: ethers.id("another process") }, "process"],
        [{ ...a, slot: a.slot + 1n }, "slot"],
        [{ ...b.leaves.inner.assignment }, "slot"], // message 0's assignment
      ];
      for (const [assignment, what] of cases) {
        await expect(proveInnerWith(b, { ...leaf, assignment }))
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameAssignment")
          .withArgs(what);
      }
    });

    it("a malformed step proof: OneStepProofStateMismatch / Version / Truncated / TrailingBytes bubble up", async () => {
      const b = await loadFixture(atInner);
      const { sys } = b;
      const leaf = innerOf(b.prove);
      for (const at of [1, 100, 326]) {
        const bad = flipByte(leaf.stepProof, at);
        await expect(proveInnerWith(b, { ...leaf, stepProof: bad }), `byte ${at}`)
          .to.be.revertedWithCustomError(sys.provers.entry, "OneStepProofStateMismatch")
          .withArgs(leaf.machineHash, machineHashOf(getBytes(bad).slice(1, 327)));
      }
      await expect(proveInnerWith(b, { ...leaf, stepProof: "0x02" + leaf.stepProof.slice(4) }))
        .to.be.revertedWithCustomError(sys.provers.entry, "OneStepProofVersion")
        .withArgs(2);
      await expect(proveInnerWith(b, { ...leaf, stepProof: "0x" }))
        .to.be.revertedWithCustomError(sys.provers.entry, "OneStepProofTruncated")
        .withArgs(0, 1);
      await expect(proveInnerWith(b, { ...leaf, stepProof: hexlify(getBytes(leaf.stepProof).slice(0, 200)) }))
        .to.be.revertedWithCustomError(sys.provers.entry, "OneStepProofTruncated")
        .withArgs(1, 326);
      await expect(proveInnerWith(b, { ...leaf, stepProof: hexlify(concat([leaf.stepProof, "0x000000"])) }))
        .to.be.revertedWithCustomError(sys.provers.entry, "OneStepProofTrailingBytes")
        .withArgs(3);
    });

    it("the honest proof ends the game at once: StepProven and GameResolved", async () => {
      const b = await loadFixture(atInner);
      const next = b.honest.pointAt(b.position + 1n);
      expect(next).to.not.equal(b.post);
      await expect(proveInnerWith(b, innerOf(b.prove)))
        .to.emit(b.sys.game, "StepProven")
        .withArgs(b.g.id, Side.Asserter, b.position, Kind.Inner, next)
        .and.to.emit(b.sys.game, "GameResolved")
        .withArgs(b.g.id, b.cid, GameStatus.AsserterWon, BOND);
      expect((await b.sys.game.game(b.g.id)).status).to.equal(BigInt(GameStatus.AsserterWon));
      expect(await b.sys.stake.lockedBy(await b.sys.game.getAddress(), b.sys.watcher.address)).to.equal(0n);
    });
  });

  describe("at an end step (message 2, x = 2^32 − 1)", () => {
    const proveEndWith = (b: AtProof, leaf: EndLeaf) =>
      b.sys.game.connect(b.sys.cu).proveEnd(b.g.ctx, segArg(b.seg), b.index, leaf);

    it("DisputeGameWrongLeafKind for provePadding, proveStart and proveInner", async () => {
      const b = await loadFixture(atEnd);
      expect(b.position).to.equal(3n * MSG - 1n);
      for (const fn of ["provePadding", "proveStart", "proveInner"] as const) {
        await expect(callProve(b, b.mover, fn, b.g.ctx, b.seg, b.index), fn)
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameWrongLeafKind")
          .withArgs(Kind.End, KIND_OF[fn]);
      }
    });

    it("DisputeGameLeafPreimage(End) for a wrong machine hash or results root", async () => {
      const b = await loadFixture(atEnd);
      const leaf = endOf(b.prove);
      expect(stepPreimage(b.sys, leaf.step)).to.equal(b.pre);
      for (const step of [
        { ...leaf.step, machineHash: ethers.id("machine") },
        { ...leaf.step, resultsRoot: ethers.id("results") },
      ]) {
        await expect(proveEndWith(b, { ...leaf, step }))
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameLeafPreimage")
          .withArgs(Kind.End, b.pre, stepPreimage(b.sys, step));
      }
    });

    it("DisputeGameLeafPreimage(End) for final-state fields that do not hash to S'", async () => {
      const b = await loadFixture(atEnd);
      const leaf = endOf(b.prove);
      const finalHash = b.honest.messageRecord(2).finalStateHash;
      expect(machineHashOf(leaf.finalState)).to.equal(finalHash);
      for (const at of [0, 200, 325]) {
        const finalState = flipByte(leaf.finalState, at);
        await expect(proveEndWith(b, { ...leaf, finalState }), `byte ${at}`)
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameLeafPreimage")
          .withArgs(Kind.End, finalHash, machineHashOf(finalState));
      }
    });

    it("DisputeGameFinalState for a final state that is not 326 bytes", async () => {
      const b = await loadFixture(atEnd);
      const leaf = endOf(b.prove);
      const bytes = getBytes(leaf.finalState);
      expect(bytes.length).to.equal(326);
      for (const finalState of [bytes.slice(0, 325), concat([bytes, "0x00"]), new Uint8Array(0)]) {
        await expect(proveEndWith(b, { ...leaf, finalState: hexlify(finalState) }))
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameFinalState")
          .withArgs(getBytes(finalState).length);
      }
    });

    it("DisputeGameResultsPath for a wrong sibling count or siblings that do not show a zero leaf", async () => {
      const b = await loadFixture(atEnd);
      const leaf = endOf(b.prove);
      const sib = leaf.resultsSiblings;
      expect(sib.length).to.equal(3);
      const cases: string[][] = [
        sib.slice(0, 2),
        [...sib, ZeroHash],
        [],
        [ethers.id("a sibling"), sib[1], sib[2]],
        [sib[0], ZeroHash, sib[2]], // leaves 0 and 1 are filled in T_2
        [sib[0], sib[1], ethers.id("a sibling")],
      ];
      for (const resultsSiblings of cases) {
        await expect(proveEndWith(b, { ...leaf, resultsSiblings }))
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameResultsPath")
          .withArgs(2);
      }
    });

    it('DisputeGameAssignment("slot") and a malformed step proof at the end step', async () => {
      const b = await loadFixture(atEnd);
      const leaf = endOf(b.prove);
      await expect(
        proveEndWith(b, {
          ...leaf,
          step: { ...leaf.step, assignment: { ...leaf.step.assignment, slot: 3n } },
        }),
      )
        .to.be.revertedWithCustomError(b.sys.game, "DisputeGameAssignment")
        .withArgs("slot");
      const bad = flipByte(leaf.step.stepProof, 5);
      await expect(proveEndWith(b, { ...leaf, step: { ...leaf.step, stepProof: bad } }))
        .to.be.revertedWithCustomError(b.sys.provers.entry, "OneStepProofStateMismatch")
        .withArgs(leaf.step.machineHash, machineHashOf(getBytes(bad).slice(1, 327)));
    });

    it("the honest proof reaches B_3 and ends the game", async () => {
      const b = await loadFixture(atEnd);
      const next = b.honest.boundary(3).point;
      expect(next).to.equal(b.honest.pointAt(3n * MSG));
      await expect(proveEndWith(b, endOf(b.prove)))
        .to.emit(b.sys.game, "StepProven")
        .withArgs(b.g.id, Side.Asserter, b.position, Kind.End, next)
        .and.to.emit(b.sys.game, "GameResolved")
        .withArgs(b.g.id, b.cid, GameStatus.AsserterWon, BOND);
    });
  });

  describe("at a padding step (slot 6)", () => {
    it("DisputeGameWrongLeafKind for proveStart, proveInner and proveEnd", async () => {
      const b = await loadFixture(atPadding);
      expect(b.position).to.equal(6n * MSG + 4n);
      for (const fn of ["proveStart", "proveInner", "proveEnd"] as const) {
        await expect(callProve(b, b.mover, fn, b.g.ctx, b.seg, b.index), fn)
          .to.be.revertedWithCustomError(b.sys.game, "DisputeGameWrongLeafKind")
          .withArgs(Kind.Padding, KIND_OF[fn]);
      }
    });

    it("provePadding: the point repeats, the game ends", async () => {
      const b = await loadFixture(atPadding);
      expect(b.pre).to.equal(b.honest.claim().endPoint);
      await expect(b.sys.game.connect(b.sys.cu).provePadding(b.g.ctx, segArg(b.seg), b.index))
        .to.emit(b.sys.game, "StepProven")
        .withArgs(b.g.id, Side.Asserter, b.position, Kind.Padding, b.pre)
        .and.to.emit(b.sys.game, "GameResolved")
        .withArgs(b.g.id, b.cid, GameStatus.AsserterWon, BOND);
    });
  });

  describe("DisputeGameStepAgrees: a liar proving a true step", () => {
    it("an inner step: the true leaf leads to the opponent's point", async () => {
      const b = await loadFixture(liarAsserterInner);
      const { sys, g, seg, prove } = b;
      expect(b.side).to.equal(Side.Asserter);
      expect(prove.position).to.equal(MSG + b.innerX);
      const post = seg.points[prove.index + 1];
      expect(post).to.equal(b.honest.pointAt(prove.position + 1n));
      await expect(sys.game.connect(sys.rest[0]).proveInner(g.ctx, segArg(seg), prove.index, innerOf(prove)))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameStepAgrees")
        .withArgs(post);
      // The liar cannot move otherwise, and loses on time.
      const s = await sys.game.game(g.id);
      await time.setNextBlockTimestamp(s.lastMoveAt + s.asserterLeft);
      await expect(sys.game.timeout(g.ctx))
        .to.emit(sys.game, "GameResolved")
        .withArgs(g.id, b.liarCid, GameStatus.ChallengerWon, GAME_PARAMS.commitmentStake);
    });

    it("a padding step: the point repeats, which is the opponent's point", async () => {
      const b = await loadFixture(liarAsserterPadding);
      const { sys, g, seg, prove } = b;
      expect(prove.kind).to.equal(Kind.Padding);
      expect(prove.position).to.equal(5n * MSG + 2n);
      const post = seg.points[prove.index + 1];
      expect(post).to.equal(b.honest.claim().endPoint);
      await expect(sys.game.connect(sys.rest[0]).provePadding(g.ctx, segArg(seg), prove.index))
        .to.be.revertedWithCustomError(sys.game, "DisputeGameStepAgrees")
        .withArgs(post);
    });
  });

  describe("views", () => {
    it("gameId(ctx) is keccak256(abi.encode(ctx))", async () => {
      const { sys, g, commitment } = await loadFixture(opened);
      expect(await sys.game.gameId(g.ctx)).to.equal(g.id);
      expect(gameIdOf(g.ctx)).to.equal(g.id);
      for (const ctx of [
        { ...g.ctx, bond: BOND + 1n },
        { ...g.ctx, challenger: sys.rest[4].address },
        { ...g.ctx, commitment: { ...commitment, stake: 1n } },
      ]) {
        const id = await sys.game.gameId(ctx);
        expect(id).to.equal(gameIdOf(ctx));
        expect(id).to.not.equal(g.id);
      }
    });

    it("traceLength agrees with sdk/ts/dispute for 1 … 2^32 slots", async () => {
      const { sys } = await loadFixture(base);
      for (const slots of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 1000, 2 ** 20 + 1, 2 ** 32 - 1, 2 ** 32]) {
        const expected = traceLength(slots);
        expect(await sys.game.traceLength(slots), `${slots} slots`).to.equal(expected);
      }
      expect(traceLength(5)).to.equal(N);
      expect(traceLength(1)).to.equal(MSG);
      expect(traceLength(2 ** 32)).to.equal(1n << 64n);
    });

    it("stepKind agrees with sdk/ts/dispute: all four kinds and their boundaries", async () => {
      const { sys } = await loadFixture(base);
      const cases: [number, bigint, StepKind][] = [
        [5, 0n, Kind.Start],
        [5, 1n, Kind.Inner],
        [5, MSG - 2n, Kind.Inner],
        [5, MSG - 1n, Kind.End],
        [5, MSG, Kind.Start],
        [5, MSG + 1n, Kind.Inner],
        [5, 4n * MSG, Kind.Start],
        [5, 5n * MSG - 1n, Kind.End],
        [5, 5n * MSG, Kind.Padding],
        [5, 5n * MSG + 1n, Kind.Padding],
        [5, 6n * MSG - 1n, Kind.Padding],
        [5, 8n * MSG - 1n, Kind.Padding],
        [1, 0n, Kind.Start],
        [1, MSG - 1n, Kind.End],
        [1, MSG, Kind.Padding],
        [3, 3n * MSG, Kind.Padding],
        [3, 2n * MSG + 12345n, Kind.Inner],
      ];
      for (const [slots, position, kind] of cases) {
        expect(stepKind(slots, position), `sdk ${slots} ${position}`).to.equal(kind);
        expect(await sys.game.stepKind(slots, position), `${KIND_NAMES[kind]} ${slots} ${position}`).to.equal(
          BigInt(kind),
        );
      }
    });

    it("subSegment agrees with sdk/ts/dispute's split: the first part takes the remainder", async () => {
      const { sys } = await loadFixture(base);
      const segments: [bigint, bigint][] = [
        [0n, N],
        [100n, 37n],
        [7n, 5n],
        [42n, 1n],
        [1n << 40n, 16n],
        [3n, 17n],
      ];
      for (const [start, length] of segments) {
        const parts = length < BigInt(DEGREE) ? Number(length) : DEGREE;
        for (let index = 0; index < parts; index++) {
          const want = split(start, length, parts, index);
          expect(subSegment(start, length, index, DEGREE)).to.deep.equal(want);
          const [s, l] = await sys.game.subSegment(start, length, index);
          expect([s, l], `${start} ${length} ${index}`).to.deep.equal([want.start, want.length]);
        }
      }
      // The remainder goes to the first part: 37 = 7 + 15·2, 17 = 2 + 15·1.
      expect(await sys.game.subSegment(100n, 37n, 0)).to.deep.equal([100n, 7n]);
      expect(await sys.game.subSegment(100n, 37n, 1)).to.deep.equal([107n, 2n]);
      expect(await sys.game.subSegment(100n, 37n, 15)).to.deep.equal([135n, 2n]);
      expect(await sys.game.subSegment(3n, 17n, 0)).to.deep.equal([3n, 2n]);
      expect(await sys.game.subSegment(3n, 17n, 15)).to.deep.equal([19n, 1n]);
    });

    it("subSegment: DisputeGameInvalidIndex(index, min(degree, length))", async () => {
      const { sys } = await loadFixture(base);
      const cases: [bigint, bigint, number, number][] = [
        [0n, N, 16, 16],
        [0n, N, 1000, 16],
        [7n, 5n, 5, 5],
        [42n, 1n, 1, 1],
        [0n, 0n, 0, 0],
      ];
      for (const [start, length, index, parts] of cases) {
        await expect(sys.game.subSegment(start, length, index))
          .to.be.revertedWithCustomError(sys.game, "DisputeGameInvalidIndex")
          .withArgs(index, parts);
      }
    });
  });
});
