/**
 * ComputeUnit#gameTrace and fault injection: the trace a CU stands by for a commitment is the honest
 * CommitmentTrace (equal to test/helpers/game.ts traceOf) or, with a `fault`, the liar trace whose claim is
 * exactly what the faulty CU posted — played to the end of a real DisputeGame on chain.
 */
import { expect } from "chai";
import { ethers } from "hardhat";

import { ComputeError } from "../../../agents/compute/domain/errors";
import { lyingStateHash, type Fault } from "../../../agents/compute/domain/fault";
import { Process } from "../../../machine/process";
import { assignmentHash } from "../../../sdk/ts/assignments";
import { liarTrace, type GameTrace } from "../../../sdk/ts/dispute";
import type { CommitmentTrace, SlotInput } from "../../../sdk/ts/dispute/trace";
import type { Commitment } from "../../../sdk/ts/results";
import {
  assignMessages,
  deployGameSystem,
  GameStatus,
  openGame,
  playGame,
  traceOf,
  type GameSystem,
} from "../../helpers/game";
import { capturingLogger, CuFixture, sourceOf } from "./helpers";

const SPECS = Array.from({ length: 6 }, (_, i) => ({
  tags: { Action: i % 2 === 0 ? "Increment" : "Get" },
  data: `message ${i}`,
}));

describe("agents/compute: gameTrace and fault injection", function () {
  this.timeout(300_000);

  const fx = new CuFixture();
  let sys: GameSystem;
  let log: SlotInput[];

  before(async function () {
    await fx.start();
  });

  beforeEach(async function () {
    sys = await deployGameSystem("counter");
    log = await assignMessages(sys, 0n, SPECS);
  });

  afterEach(function () {
    fx.closeAll();
  });

  after(async function () {
    await fx.stop();
  });

  /** The honest trace of slots [first, first + 3) per test/helpers/game.ts. */
  function honestTrace(first: number): CommitmentTrace {
    if (first === 0) return traceOf(sys, log.slice(0, 3));
    const step = Process.fromWasm(sys.wasm, { memoryLimitPages: sys.P.memoryPages });
    let out;
    for (const s of log.slice(0, first))
      out = step.handleMessage(s.message, { stepLimit: Number(sys.P.stepLimit) });
    return traceOf(sys, log.slice(first, first + 3), BigInt(first), {
      process: step,
      prevAssignmentHash: assignmentHash(sys.domain, log[first - 1].assignment),
      stateHash: ethers.hexlify(out!.processHash),
    });
  }

  /** A spread of positions over a trace: boundaries, steps inside messages, the end. */
  function positions(t: GameTrace): bigint[] {
    const out = [0n, 1n, 7n, 1n << 32n, (1n << 32n) + 3n, (2n << 32n) + 1n, t.length - 1n, t.length];
    return out.filter((p) => p <= t.length);
  }

  function claimOf(c: Commitment) {
    return { stateHash: c.stateHash, resultsRoot: c.resultsRoot, lastAssignmentHash: c.lastAssignmentHash };
  }

  async function faultyCu(file: string, fault?: Fault) {
    const { cu } = await fx.makeCu(sys, fx.file(file), sourceOf(sys, log), {
      fault,
      checkpointEverySlots: 2,
    });
    await cu.evaluate(sys.process);
    expect(await cu.commit(sys.process)).to.have.length(2);
    const [c0, c1] = cu.commitments(sys.process).map((r) => r.commitment);
    return { cu, c0, c1 };
  }

  it("an honest CU's trace is traceOf's, and defends its commitment against a lying challenger", async function () {
    const { cu, c0, c1 } = await faultyCu("honest.sqlite");
    for (const [c, first] of [
      [c0, 0],
      [c1, 3],
    ] as const) {
      const mine = await cu.gameTrace(c);
      const ref = honestTrace(first);
      expect(mine.claim()).to.deep.equal(ref.claim());
      expect(mine.pointsAt(positions(ref))).to.deep.equal(ref.pointsAt(positions(ref)));
      const claim = mine.claim();
      expect({
        stateHash: claim.stateHash,
        resultsRoot: claim.resultsRoot,
        lastAssignmentHash: claim.lastAssignmentHash,
      }).to.deep.equal(claimOf(c));
    }
    const mine = await cu.gameTrace(c0);
    expect(await cu.gameTrace({ ...c0 })).to.equal(mine); // kept for the game's later moves
    const liar = liarTrace(mine.base, { fromPosition: (1n << 32n) + 5n, salt: "challenger" });
    const g = await openGame(sys, c0, sys.watcher);
    const r = await playGame(sys, g, { signer: sys.cu, trace: mine }, { signer: sys.watcher, trace: liar });
    expect(r.status).to.equal(GameStatus.AsserterWon);
  });

  it("fault state: posts a consistent lie from fromSlot on and plays it to the end (and loses)", async function () {
    const fault: Fault = { kind: "state", fromSlot: 1n };
    const { logger, lines } = capturingLogger();
    const { cu: probe } = await fx.makeCu(sys, fx.file("warn.sqlite"), sourceOf(sys, []), { fault, logger });
    expect(probe.processes).to.have.length(1);
    const warned = lines.filter((l) => l.event === "cu.fault");
    expect(warned).to.have.length(1);
    expect(warned[0].level).to.equal("warn");
    fx.closeAll();

    const { cu, c0, c1 } = await faultyCu("state.sqlite", fault);
    const h0 = honestTrace(0);
    const h1 = honestTrace(3);
    expect(c0.stateHash).to.equal(lyingStateHash(fault, h0.claim().stateHash));
    expect(c0.resultsRoot).to.equal(h0.claim().resultsRoot);
    expect(c1.stateHash).to.equal(lyingStateHash(fault, h1.claim().stateHash));
    expect(await sys.results.statusOf(c0)).to.equal(1n);
    expect(await sys.results.statusOf(c1)).to.equal(1n);
    // The CU's stored (served) results stay honest.
    expect(cu.state(sys.process).stateHash).to.equal(h1.claim().stateHash);

    const t0 = await cu.gameTrace(c0);
    expect({ ...t0.claim(), endPoint: undefined }).to.deep.include(claimOf(c0));
    // The points agree with the truth up to the first step of slot 1, differ from there.
    expect(t0.pointsAt([0n, 1n, 1n << 32n])).to.deep.equal(h0.pointsAt([0n, 1n, 1n << 32n]));
    expect(t0.pointAt((1n << 32n) + 1n)).to.not.equal(h0.pointAt((1n << 32n) + 1n));

    // The child of a lying commitment starts where the contract says (from the parent's lying state).
    const t1 = await cu.gameTrace(c1);
    expect({ ...t1.claim() }).to.deep.include(claimOf(c1));
    const g1 = await openGame(sys, c1, sys.rest[0], c0);
    expect(g1.seg.points[0]).to.equal(t1.pointAt(0n));
    expect(g1.seg.points[g1.seg.points.length - 1]).to.equal(t1.claim().endPoint);

    // The same lie after a restart.
    fx.closeAll();
    const { cu: again } = await fx.makeCu(sys, fx.file("state.sqlite"), sourceOf(sys, log), {
      fault,
      checkpointEverySlots: 2,
    });
    const t0b = await again.gameTrace(c0);
    expect(t0b.claim()).to.deep.equal(t0.claim());

    const g0 = await openGame(sys, c0, sys.watcher);
    expect(g0.seg.points[g0.seg.points.length - 1]).to.equal(t0b.claim().endPoint);
    const r = await playGame(sys, g0, { signer: sys.cu, trace: t0b }, { signer: sys.watcher, trace: h0 });
    expect(r.status).to.equal(GameStatus.ChallengerWon);
    expect(r.moves[0]).to.be.greaterThan(0); // the liar did play its lie
  });

  it("fault result: claims a wrong resultsRoot from fromSlot on, with the right state, and loses its game", async function () {
    const fault: Fault = { kind: "result", fromSlot: 4n };
    const { cu, c0, c1 } = await faultyCu("result.sqlite", fault);
    const h0 = honestTrace(0);
    const h1 = honestTrace(3);
    // Slots before fromSlot: honest.
    expect(claimOf(c0)).to.deep.equal({
      stateHash: h0.claim().stateHash,
      resultsRoot: h0.claim().resultsRoot,
      lastAssignmentHash: h0.claim().lastAssignmentHash,
    });
    expect((await cu.gameTrace(c0)).claim()).to.deep.equal(h0.claim());
    expect(c1.stateHash).to.equal(h1.claim().stateHash);
    expect(c1.resultsRoot).to.not.equal(h1.claim().resultsRoot);
    const t1 = await cu.gameTrace(c1);
    expect({ ...t1.claim() }).to.deep.include(claimOf(c1));
    // Agrees with the truth through slot 3 (message 0 of the commitment), differs from boundary 2 (after slot 4).
    expect(t1.pointAt(1n << 32n)).to.equal(h1.pointAt(1n << 32n));
    expect(t1.pointAt(2n << 32n)).to.not.equal(h1.pointAt(2n << 32n));

    const g = await openGame(sys, c1, sys.watcher, c0);
    const r = await playGame(sys, g, { signer: sys.cu, trace: t1 }, { signer: sys.watcher, trace: h1 });
    expect(r.status).to.equal(GameStatus.ChallengerWon);
  });

  it("gameTrace refuses a range not evaluated yet and a commitment it did not claim", async function () {
    const { cu, c0 } = await faultyCu("errors.sqlite");
    const later = { ...c0, firstSlot: 6n, lastSlot: 8n };
    const e1 = await cu.gameTrace(later).catch((e: unknown) => e);
    expect(e1).to.be.instanceOf(ComputeError);
    expect((e1 as ComputeError).code).to.equal("NotEvaluated");
    const forged = { ...c0, stateHash: ethers.id("not what this CU computed") };
    const e2 = await cu.gameTrace(forged).catch((e: unknown) => e);
    expect((e2 as ComputeError).code).to.equal("TraceMismatch");
    // Someone else's commitment over the same range: the honest trace, no claim check.
    const other = { ...forged, poster: sys.watcher.address };
    expect((await cu.gameTrace(other)).claim().stateHash).to.equal(c0.stateHash);
  });
});
