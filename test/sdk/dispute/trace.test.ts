/**
 * sdk/ts/dispute/trace.ts: the points of real commitments of the example processes, checked against an
 * independent run of the machine (`Process.handleMessage`, `beginMessage` + `runTo`), the message
 * boundary (`messageStartHash`), the results tree of sdk/ts/results.ts and the hashes written out with
 * ethers' `solidityPackedKeccak256`; the split rule; the cost model; and the named errors.
 */
import { expect } from "chai";
import fc from "fast-check";
import { getBytes, hexlify, keccak256, solidityPackedKeccak256 } from "ethers";
import { toHex } from "../../../machine/code/hash";
import { messageStartHash, Process } from "../../../machine/process";
import { assignmentHash, signAssignment } from "../../../sdk/ts/assignments";
import { buildResultsTree, resultLeaf, resultNode } from "../../../sdk/ts/results";
import {
  bisectionPositions,
  CommitmentTrace,
  LAST_STEP,
  MESSAGE_STEPS,
  partsOf,
  split,
  subSegment,
  traceLength,
  type TraceOptions,
} from "../../../sdk/ts/dispute";
import {
  DOMAIN,
  expectDisputeError,
  FIXTURE_SPECS,
  fixture,
  OTHER_SIGNER,
  SCHEDULER,
  signedSlots,
  type Fixture,
} from "./fixtures";

const ZERO = "0x" + "00".repeat(32);

function boundaryHash(p: string, t: string, a: string): string {
  return solidityPackedKeccak256(["string", "bytes32", "bytes32", "bytes32"], ["Holo:Boundary:", p, t, a]);
}

function innerHash(s: string, t: string, a: string): string {
  return solidityPackedKeccak256(["string", "bytes32", "bytes32", "bytes32"], ["Holo:Step:", s, t, a]);
}

/** The depth-`depth` results tree with the first `filled.length` leaves filled, naively. */
function partialRoot(process: string, firstSlot: bigint, depth: number, filled: readonly string[]): string {
  let level = Array.from({ length: 2 ** depth }, (_, i) =>
    i < filled.length ? resultLeaf(process, firstSlot + BigInt(i), filled[i]) : ZERO,
  );
  while (level.length > 1)
    level = level.map((_, i) => (i % 2 === 0 ? resultNode(level[i], level[i + 1]) : "")).filter((x) => x);
  return level[0];
}

/** What an independent Process says about the commitment's messages. */
interface Independent {
  processHashes: string[];
  resultHashes: string[];
  startHashes: string[];
  finalHashes: string[];
  haltSteps: number[];
}

function independent(f: Fixture): Independent {
  const p = f.parentProcess();
  const out: Independent = {
    processHashes: [hexlify(p.processHash())],
    resultHashes: [],
    startHashes: [],
    finalHashes: [],
    haltSteps: [],
  };
  for (const s of f.options.slots) {
    const o = p.handleMessage(s!.message, { stepLimit: f.spec.stepLimit });
    out.processHashes.push(hexlify(o.processHash));
    out.resultHashes.push(hexlify(o.resultHash));
    out.startHashes.push(hexlify(o.startStateHash));
    out.finalHashes.push(hexlify(o.finalStateHash));
    out.haltSteps.push(p.machine.trace);
  }
  return out;
}

/**
 * `S^j_x` for the steps `xs[j]` of each message, by an independent step-by-step run from the parent: one
 * process stepped through every message.
 */
function statesAt(f: Fixture, xs: readonly (readonly number[])[]): Map<number, string>[] {
  const p = f.parentProcess();
  return f.options.slots.map((s, j) => {
    p.beginMessage(s!.message, { stepLimit: f.spec.stepLimit });
    const start = p.machine.stateHash();
    const out = new Map<number, string>();
    for (const x of [...xs[j]].sort((a, b) => a - b)) {
      p.machine.runTo(x);
      out.set(x, hexlify(p.machine.stateHash()));
    }
    p.machine.run();
    p.settle(start);
    return out;
  });
}

for (const spec of FIXTURE_SPECS) {
  describe(`dispute trace: ${spec.name}`, () => {
    let f: Fixture;
    let t: CommitmentTrace;
    let ind: Independent;
    const n = spec.slots.length;
    before(async () => {
      f = await fixture(spec.name);
      t = f.trace;
      ind = independent(f);
    });

    it("has n slots, d = ceil(log2 n) and N = 2^(32 + d)", () => {
      expect(t.slots).to.equal(n);
      expect(2 ** t.depth).to.be.gte(n);
      expect(t.depth === 0 || 2 ** (t.depth - 1) < n).to.equal(true);
      expect(t.length).to.equal(1n << BigInt(32 + t.depth));
      expect(traceLength(n)).to.equal(t.length);
    });

    it("runs each message as Process.handleMessage does: P_j, r_j, S^j_0, the final state and the halt", () => {
      for (let j = 0; j <= n; j++) expect(t.boundary(j).processHash, `P_${j}`).to.equal(ind.processHashes[j]);
      for (let j = 0; j < n; j++) {
        const r = t.messageRecord(j);
        expect(r.resultHash, `r_${j}`).to.equal(ind.resultHashes[j]);
        expect(r.startStateHash, `S^${j}_0`).to.equal(ind.startHashes[j]);
        expect(r.finalStateHash, `S^${j}_2^32`).to.equal(ind.finalHashes[j]);
        expect(r.haltStep, `halt ${j}`).to.equal(ind.haltSteps[j]);
        expect(r.slot).to.equal(f.options.firstSlot + BigInt(j));
        // The message boundary as a pure function of P_j agrees.
        const b = t.boundary(j);
        const start = messageStartHash(
          {
            module: f.parentProcess().instance.image.fields,
            memoryRoot: getBytes(b.memoryRoot),
            memoryPages: b.memoryPages,
            globalsRoot: getBytes(b.globalsRoot),
          },
          getBytes(keccak256(r.message)),
          r.message.length,
          spec.stepLimit,
        );
        expect(toHex(start)).to.equal(r.startStateHash);
      }
      // The parent's state is P_0, and the caller's process was not run.
      expect(t.boundary(0).processHash).to.equal(f.options.parentStateHash);
    });

    it("claims P_n, the results tree of sdk/ts/results.ts and the last assignment; B_0 and B_N", () => {
      const c = t.claim();
      const tree = buildResultsTree(f.processId, f.options.firstSlot, ind.resultHashes);
      expect(c.stateHash).to.equal(ind.processHashes[n]);
      expect(c.resultsRoot).to.equal(tree.root);
      expect(c.lastAssignmentHash).to.equal(assignmentHash(DOMAIN, f.options.slots[n - 1]!.assignment));
      expect(c.firstSlot).to.equal(f.options.firstSlot);
      expect(c.lastSlot).to.equal(f.options.lastSlot);
      // B_0 as the contract computes it from the parent: its state, the zero tree, its last assignment.
      const zeroTree = partialRoot(f.processId, f.options.firstSlot, t.depth, []);
      expect(c.startPoint).to.equal(
        boundaryHash(f.options.parentStateHash!, zeroTree, f.options.prevAssignmentHash!),
      );
      // B_N as the contract computes it from the commitment's fields.
      expect(c.endPoint).to.equal(boundaryHash(c.stateHash, c.resultsRoot, c.lastAssignmentHash));
      expect(t.pointAt(0n)).to.equal(c.startPoint);
      expect(t.pointAt(t.length)).to.equal(c.endPoint);
    });

    it("B_j = keccak(Holo:Boundary: ‖ P_j ‖ T_j ‖ A_j) at every boundary, T_j with leaves 0 … j − 1 filled", () => {
      const assignments = [
        f.options.prevAssignmentHash!,
        ...f.options.slots.map((s) => assignmentHash(DOMAIN, s!.assignment)),
      ];
      for (let j = 0; j <= n; j++) {
        const tj = partialRoot(f.processId, f.options.firstSlot, t.depth, ind.resultHashes.slice(0, j));
        expect(t.boundary(j).resultsRoot, `T_${j}`).to.equal(tj);
        expect(t.boundary(j).assignmentHash, `A_${j}`).to.equal(assignments[j]);
        const bj = boundaryHash(ind.processHashes[j], tj, assignments[j]);
        expect(t.boundary(j).point).to.equal(bj);
        expect(t.pointAt(BigInt(j) << 32n), `B_${j}`).to.equal(bj);
      }
    });

    it("inner points are keccak(Holo:Step: ‖ S^j_x ‖ T_j ‖ A_{j+1}) with S^j_x from an independent run", () => {
      const xs = Array.from({ length: n }, (_, j) => {
        const halt = t.messageRecord(j).haltStep;
        return [...new Set([1, 2, Math.floor(halt / 3), halt - 1, halt, halt + 1, halt + 50])].filter(
          (x) => x >= 1,
        );
      });
      const states = statesAt(f, xs);
      for (let j = 0; j < n; j++) {
        const b = t.boundary(j);
        const next = t.boundary(j + 1).assignmentHash;
        for (const x of xs[j]) {
          const s = states[j].get(x)!;
          if (x >= t.messageRecord(j).haltStep) expect(s).to.equal(ind.finalHashes[j]);
          expect(t.pointAt((BigInt(j) << 32n) + BigInt(x)), `message ${j} step ${x}`).to.equal(
            innerHash(s, b.resultsRoot, next),
          );
        }
        // The last inner point is the final state's.
        expect(t.pointAt((BigInt(j) << 32n) + LAST_STEP)).to.equal(
          innerHash(ind.finalHashes[j], b.resultsRoot, next),
        );
      }
    });

    it("padding points (j ≥ n) all equal B_n", () => {
      const bn = t.boundary(n).point;
      const padding = [
        BigInt(n) << 32n,
        (BigInt(n) << 32n) + 1n,
        (BigInt(n) << 32n) + LAST_STEP,
        t.length - 1n,
        t.length,
      ];
      for (const p of padding)
        if (p >= BigInt(n) << 32n && p <= t.length) expect(t.pointAt(p), `${p}`).to.equal(bn);
    });

    it("points() agrees with pointAt at degrees 2, 16 and 64, across messages, inside one and in padding", () => {
      const segments: [bigint, bigint][] = [
        [0n, t.length],
        [0n, MESSAGE_STEPS],
        [3n, 1000n],
        [(BigInt(n - 1) << 32n) + 17n, 40n],
        [(BigInt(n - 1) << 32n) + BigInt(t.messageRecord(n - 1).haltStep) - 10n, 20n],
        [t.length - 37n, 37n],
        [t.length / 2n - 5n, 11n],
        [5n, 1n],
      ];
      for (const degree of [2, 16, 64]) {
        for (const [start, length] of segments) {
          if (start < 0n) continue;
          const pts = t.points(start, length, degree);
          const k = Math.min(degree, Number(length < 1000n ? length : 1000n));
          expect(pts).to.have.length(k + 1);
          const positions = bisectionPositions(start, length, degree);
          expect(positions[0]).to.equal(start);
          expect(positions[k]).to.equal(start + length);
          pts.forEach((pt, i) =>
            expect(pt, `degree ${degree} [${start}, +${length}] point ${i}`).to.equal(
              t.pointAt(positions[i]),
            ),
          );
          for (let i = 0; i < k; i++) {
            const s = t.subSegment(start, length, i, degree);
            expect(s.start).to.equal(positions[i]);
            expect(s.start + s.length).to.equal(positions[i + 1]);
          }
        }
      }
    });
  });
}

const cost = (t: CommitmentTrace) => ({ replays: t.stats.replays, replayedSteps: t.stats.replayedSteps });

describe("dispute trace: the cost model", () => {
  let t: CommitmentTrace;
  before(async () => {
    // A fresh trace, so the counters start at zero.
    const f = await fixture("token-3");
    t = CommitmentTrace.fromProcess(f.parentProcess(), f.options);
  });

  it("boundaries, padding, steps at or past the halt and the end leaf's proof run nothing", () => {
    const halt = t.messageRecord(1).haltStep;
    const base = 1n << 32n;
    t.pointsAt([
      0n,
      base,
      2n * base,
      3n * base + 5n,
      t.length,
      base + BigInt(halt),
      base + BigInt(halt) + 99n,
      base + LAST_STEP,
    ]);
    t.stepProof(1, Number(LAST_STEP));
    expect(cost(t)).to.deep.equal({ replays: 0, replayedSteps: 0 });
  });

  it("a batch of steps inside one message is one replay up to its last step; asking again is cached", () => {
    const base = 1n << 32n;
    const xs = [500n, 10n, 20_000n, 7n, 3_000n];
    t.pointsAt(xs.map((x) => base + x));
    expect(cost(t)).to.deep.equal({ replays: 1, replayedSteps: 20_000 });
    t.pointsAt(xs.map((x) => base + x));
    expect(cost(t)).to.deep.equal({ replays: 1, replayedSteps: 20_000 });
  });

  it("later steps of the same message continue the replay; earlier ones start a new one", () => {
    const base = 1n << 32n;
    t.pointAt(base + 25_000n);
    expect(cost(t)).to.deep.equal({ replays: 1, replayedSteps: 25_000 });
    t.pointAt(base + 100n);
    expect(cost(t)).to.deep.equal({ replays: 2, replayedSteps: 25_100 });
    // A proof at a later step continues the cursor: to the step, plus the step itself.
    t.stepProof(1, 150);
    expect(cost(t)).to.deep.equal({ replays: 2, replayedSteps: 25_151 });
  });

  it("steps of another message replay that message only, from its own snapshot", () => {
    const before = { ...t.stats };
    t.pointAt((2n << 32n) + 1_000n);
    expect(cost(t)).to.deep.equal({
      replays: before.replays + 1,
      replayedSteps: before.replayedSteps + 1_000,
    });
  });
});

describe("dispute trace: snapshots", () => {
  it("message-start snapshots share the pages a message did not change", async () => {
    // token-5: a trap, an out-of-steps and a too-large message leave the state as it was, so the first
    // four message starts are one state; the Mint changes it.
    const t = (await fixture("token-5")).trace;
    expect(t.boundary(0).memoryPages).to.equal(1);
    expect(t.boundary(1).processHash).to.equal(t.boundary(0).processHash);
    expect(t.boundary(3).processHash).to.equal(t.boundary(0).processHash);
    expect(t.boundary(4).processHash).to.not.equal(t.boundary(3).processHash);
    // Five snapshots of one page each, two distinct.
    expect(t.stats.snapshotPages).to.equal(2);
    expect((await fixture("token-3")).trace.stats.snapshotPages).to.equal(3);
    // Replays from the shared snapshots still give the right states.
    expect(t.machineHashes(4, [0])[0]).to.equal(t.messageRecord(4).startStateHash);
    expect(t.machineHashes(0, [0])[0]).to.equal(t.messageRecord(0).startStateHash);
  });
});

describe("dispute trace: the split rule", () => {
  const degrees = [2, 16, 64];

  function checkSplit(start: bigint, length: bigint, degree: number): void {
    const k = length < BigInt(degree) ? Number(length) : degree;
    const base = length / BigInt(k);
    const rem = length % BigInt(k);
    let total = 0n;
    let at = start;
    for (let i = 0; i < k; i++) {
      const s = subSegment(start, length, i, degree);
      expect(s.start, `part ${i}`).to.equal(at);
      // The contract's formula for where part i starts.
      expect(s.start).to.equal(start + BigInt(i) * base + (i > 0 ? rem : 0n));
      expect(s.length).to.equal(i === 0 ? base + rem : base);
      expect(s.length >= 1n).to.equal(true);
      total += s.length;
      at += s.length;
    }
    expect(total).to.equal(length);
    expectDisputeError(() => subSegment(start, length, k, degree), "InvalidSegment");
    const positions = bisectionPositions(start, length, degree);
    expect(positions).to.have.length(k + 1);
    expect(positions[k]).to.equal(start + length);
  }

  it("lengths 1 … 40: parts of ⌊L/k⌋, the first taking the remainder, summing to L", () => {
    for (const degree of degrees)
      for (let length = 1n; length <= 40n; length++) checkSplit(7n, length, degree);
  });

  it("lengths 2^32 … 2^36 and around them", () => {
    for (const degree of degrees) {
      for (let e = 32n; e <= 36n; e++) {
        for (const delta of [-1n, 0n, 1n, 12345n]) checkSplit(1n << 40n, (1n << e) + delta, degree);
      }
    }
  });

  it("random segments (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1n << 64n }),
        fc.bigInt({ min: 1n, max: 1n << 64n }),
        fc.constantFrom(2, 4, 16, 64, 256),
        (start, length, degree) => checkSplit(start, length, degree),
      ),
      { numRuns: 300 },
    );
  });

  it("a power-of-two trace divides exactly: each bisection divides by the degree", () => {
    for (const degree of degrees) {
      let length = 1n << 35n;
      let rounds = 0;
      while (length > 1n) {
        const parts = partsOf(length, degree);
        const first = split(0n, length, parts, 0);
        const last = split(0n, length, parts, parts - 1);
        expect(first.length * BigInt(parts)).to.equal(length);
        expect(last.length).to.equal(first.length);
        length = first.length;
        rounds++;
      }
      expect(rounds).to.equal(Math.ceil(35 / Math.log2(degree)));
    }
  });
});

describe("dispute trace: bad input", () => {
  let f: Fixture;
  let t: CommitmentTrace;
  before(async () => {
    f = await fixture("counter-2");
    t = f.trace;
  });

  const build = (o: Partial<TraceOptions>, proc?: Process): CommitmentTrace =>
    CommitmentTrace.fromProcess(proc ?? f.parentProcess(), { ...f.options, ...o });

  it("positions outside [0, N] and segments that do not fit", () => {
    expectDisputeError(() => t.pointAt(-1n), "PositionOutOfRange");
    expectDisputeError(() => t.pointAt(t.length + 1n), "PositionOutOfRange");
    expectDisputeError(() => t.pointsAt([0n, t.length + 5n]), "PositionOutOfRange");
    expectDisputeError(() => t.points(t.length - 3n, 4n, 16), "PositionOutOfRange");
    expectDisputeError(() => t.points(-2n, 4n, 16), "PositionOutOfRange");
    expectDisputeError(() => t.points(5n, 0n, 16), "InvalidSegment");
    expectDisputeError(() => t.subSegment(0n, 3n, 3, 16), "InvalidSegment");
    expectDisputeError(() => t.boundary(3), "PositionOutOfRange");
    expectDisputeError(() => t.messageRecord(2), "PositionOutOfRange");
    expectDisputeError(() => t.machineHashes(0, [2 ** 32 + 1]), "PositionOutOfRange");
    expectDisputeError(() => t.stepProof(0, 2 ** 32), "PositionOutOfRange");
  });

  it("a degree that is not a power of two in [2, 256]", () => {
    for (const degree of [0, 1, 3, 6, 100, 512, 2.5, -4]) {
      expectDisputeError(() => t.points(0n, t.length, degree), "InvalidDegree");
      expectDisputeError(() => subSegment(0n, 100n, 0, degree), "InvalidDegree");
    }
  });

  it("a slot without an assignment", () => {
    expectDisputeError(() => build({ slots: [f.options.slots[0]] }), "MissingAssignment");
    expectDisputeError(() => build({ slots: [undefined, f.options.slots[1]] }), "MissingAssignment");
    expectDisputeError(() => build({ lastSlot: f.options.lastSlot + 1n }), "MissingAssignment");
  });

  it("a message whose keccak is not the assignment's messageHash", () => {
    const s = f.options.slots[1]!;
    const message = s.message.slice();
    message[message.length - 1] ^= 1;
    expectDisputeError(() => build({ slots: [f.options.slots[0], { ...s, message }] }), "MessageHash");
  });

  it("a message whose length is not the assignment's signed messageLength", async () => {
    const [s0, s1] = f.options.slots as NonNullable<TraceOptions["slots"][number]>[];
    for (const messageLength of [s1.message.length + 1, s1.message.length - 1, 2 ** 21]) {
      const assignment = { ...s1.assignment, messageLength };
      const signature = await signAssignment(SCHEDULER, DOMAIN, assignment);
      expectDisputeError(() => build({ slots: [s0, { ...s1, assignment, signature }] }), "MessageLength");
    }
  });

  it("assignments of another process or slot, out of the chain, or signed by someone else", async () => {
    const [s0, s1] = f.options.slots as NonNullable<TraceOptions["slots"][number]>[];
    expectDisputeError(
      () => build({ slots: [{ ...s0, assignment: { ...s0.assignment, process: ZERO } }, s1] }),
      "AssignmentProcess",
    );
    expectDisputeError(() => build({ slots: [s1, s0] }), "AssignmentSlot");
    expectDisputeError(() => build({ prevAssignmentHash: ZERO }), "AssignmentChain");
    const forged = await signedSlots(
      f.processId,
      f.inputs.map((i) => i.message),
      OTHER_SIGNER,
    );
    expectDisputeError(
      () =>
        build({ slots: forged.slice(2), prevAssignmentHash: assignmentHash(DOMAIN, forged[1].assignment) }),
      "AssignmentSigner",
    );
    expectDisputeError(() => build({ slots: [{ ...s0, signature: "0x1234" }, s1] }), "AssignmentSigner");
  });

  it("a process that is not in the parent's state, or in the middle of a message", () => {
    const fresh = Process.fromWasm(f.wasm, { memoryLimitPages: 64 });
    expectDisputeError(() => build({}, fresh), "ParentState");
    const running = f.parentProcess();
    running.beginMessage(f.options.slots[0]!.message);
    running.machine.run(10);
    expectDisputeError(() => build({}, running), "ProcessRunning");
  });

  it("a process of another module than the registered one", () => {
    expect(build({ moduleRoot: t.moduleRoot }).claim()).to.deep.equal(t.claim());
    const other = Process.fromWasm(f.wasm, { memoryLimitPages: 65 });
    expectDisputeError(() => build({ moduleRoot: t.moduleRoot }, other), "ModuleRoot");
  });

  it("an empty or reversed slot range, and a step limit that is not a uint64", () => {
    expectDisputeError(() => build({ lastSlot: f.options.firstSlot - 1n }), "InvalidSlotRange");
    expectDisputeError(() => build({ stepLimit: -1 }), "InvalidStepLimit");
    expectDisputeError(() => build({ stepLimit: 1.5 }), "InvalidStepLimit");
    expectDisputeError(() => build({ stepLimit: 1n << 64n }), "InvalidStepLimit");
  });

  it("does not change the process it is built from", () => {
    const p = f.parentProcess();
    const before = hexlify(p.processHash());
    build({}, p);
    expect(hexlify(p.processHash())).to.equal(before);
  });
});
