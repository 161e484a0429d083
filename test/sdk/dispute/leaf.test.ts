/**
 * sdk/ts/dispute/leaf.ts: the leaf proofs of every kind on real traces, shaped like the Solidity structs
 * of contracts/interfaces/IDisputeGame.sol (read from the source, and ABI-encoded with ethers), and the
 * TypeScript twin of the contract's `next`: for sampled steps of every kind (the first and last of each
 * message, around the halt, padding) `nextPoint(leaf(p)) == pointAt(p + 1)`, and every tampered leaf is
 * refused with the contract's error name.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { AbiCoder, getBytes, hexlify, keccak256, solidityPackedKeccak256 } from "ethers";
import { Process } from "../../../machine/process";
import { proveStep, ProofError } from "../../../machine/proof";
import { signAssignment } from "../../../sdk/ts/assignments";
import { buildResultsTree } from "../../../sdk/ts/results";
import {
  endLeaf,
  innerLeaf,
  LAST_STEP,
  leafAt,
  LeafError,
  nextPoint,
  startLeaf,
  STATE_FIELD_BYTES,
  stepKind,
  StepKind,
  type CommitmentTrace,
  type EndLeaf,
  type LeafProof,
  type StartLeaf,
  type StepLeaf,
} from "../../../sdk/ts/dispute";
import { DOMAIN, expectDisputeError, FIXTURE_SPECS, fixture, OTHER_SIGNER, type Fixture } from "./fixtures";

const ROOT = path.join(__dirname, "..", "..", "..");

// ---------------------------------------------------------------------------------------------------
// The Solidity structs, read from the interfaces

interface SolField {
  type: string;
  name: string;
}

function solStructs(): Map<string, SolField[]> {
  const out = new Map<string, SolField[]>();
  for (const file of ["contracts/interfaces/IDisputeGame.sol", "contracts/interfaces/IAssignments.sol"]) {
    const src = fs.readFileSync(path.join(ROOT, file), "utf8");
    for (const m of src.matchAll(/struct\s+(\w+)\s*\{([^}]*)\}/g)) {
      const fields = m[2]
        .split(";")
        .map((l) => l.replace(/\/\/.*$/gm, "").trim())
        .filter((l) => l.length > 0)
        .map((l) => {
          const [type, name] = l.split(/\s+/);
          return { type: type.replace(/^\w+\./, ""), name };
        });
      out.set(m[1], fields);
    }
  }
  return out;
}

const STRUCTS = solStructs();

/** The ethers ABI type of struct `name` (nested structs resolved). */
function abiType(name: string): string {
  const fields = STRUCTS.get(name);
  if (!fields) throw new Error(`no struct ${name}`);
  return `tuple(${fields.map((f) => `${STRUCTS.has(f.type) ? abiType(f.type) : f.type} ${f.name}`).join(",")})`;
}

/** Checks that `value` has exactly the fields of struct `name`, in order, recursively. */
function expectShape(value: object, name: string): void {
  const fields = STRUCTS.get(name)!;
  expect(Object.keys(value), name).to.deep.equal(fields.map((f) => f.name));
  for (const f of fields) {
    const v = (value as Record<string, unknown>)[f.name];
    if (STRUCTS.has(f.type)) expectShape(v as object, f.type);
    else if (/^uint(64|128|256)$/.test(f.type)) expect(typeof v, `${name}.${f.name}`).to.equal("bigint");
    else if (/^uint\d+$/.test(f.type)) expect(typeof v, `${name}.${f.name}`).to.equal("number");
    else if (f.type === "bytes32[]") (v as string[]).forEach((s) => expect(s).to.match(/^0x[0-9a-f]{64}$/));
    else if (f.type === "bytes32") expect(v, `${name}.${f.name}`).to.match(/^0x[0-9a-f]{64}$/);
    else if (f.type === "bytes") expect(v, `${name}.${f.name}`).to.match(/^0x([0-9a-f]{2})*$/);
  }
  // Encodes as the struct (ethers refuses a missing or ill-typed field) and decodes to the same.
  const coder = AbiCoder.defaultAbiCoder();
  const encoded = coder.encode([abiType(name)], [value]);
  expect(coder.encode([abiType(name)], coder.decode([abiType(name)], encoded))).to.equal(encoded);
}

// ---------------------------------------------------------------------------------------------------

/** The steps to check in message `j`: the first and last, around the halt, a few in between. */
function sampleSteps(t: CommitmentTrace, j: number): bigint[] {
  const halt = t.messageRecord(j).haltStep;
  const xs = new Set<bigint>([0n, 1n, 2n, LAST_STEP - 1n, LAST_STEP]);
  for (const x of [halt / 7, halt / 2, halt - 2, halt - 1, halt, halt + 1, halt + 1000]) {
    const v = BigInt(Math.floor(x));
    if (v >= 0n && v <= LAST_STEP) xs.add(v);
  }
  return [...xs].sort((a, b) => (a < b ? -1 : 1)).map((x) => (BigInt(j) << 32n) + x);
}

describe("dispute leaf: the leaf structs", () => {
  it("the interfaces declare the structs the builders produce", () => {
    for (const s of ["StartLeaf", "StepLeaf", "EndLeaf", "ModuleFields", "Assignment", "Segment"]) {
      expect(STRUCTS.has(s), s).to.equal(true);
    }
  });

  it("stepKind follows the position: start at x = 0, end at x = 2^32 − 1, padding from message n", () => {
    for (const slots of [1, 2, 3, 5, 8]) {
      const n = BigInt(slots);
      const d = Math.ceil(Math.log2(slots));
      const length = 1n << BigInt(32 + d);
      const cases: [bigint, StepKind][] = [
        [0n, StepKind.Start],
        [1n, StepKind.Inner],
        [LAST_STEP - 1n, StepKind.Inner],
        [LAST_STEP, StepKind.End],
        [(n - 1n) << 32n, StepKind.Start],
        [((n - 1n) << 32n) + 12345n, StepKind.Inner],
        [(n << 32n) - 1n, StepKind.End],
      ];
      if (n << 32n < length) cases.push([n << 32n, StepKind.Padding], [length - 1n, StepKind.Padding]);
      for (const [p, kind] of cases) expect(stepKind(slots, p), `${slots} slots, step ${p}`).to.equal(kind);
    }
  });
});

for (const spec of FIXTURE_SPECS) {
  describe(`dispute leaf: ${spec.name}`, () => {
    let f: Fixture;
    let t: CommitmentTrace;
    before(async () => {
      f = await fixture(spec.name);
      t = f.trace;
    });

    it("next(p, point_p) == point_{p+1} for sampled steps of every kind, padding included", () => {
      const ctx = t.leafContext();
      const n = t.slots;
      const positions: bigint[] = [];
      for (let j = 0; j < n; j++) positions.push(...sampleSteps(t, j));
      const pad = BigInt(n) << 32n;
      for (const p of [pad, pad + 1n, pad + LAST_STEP, t.length - 1n])
        if (p >= pad && p < t.length) positions.push(p);
      const kinds = new Set<number>();
      for (const p of positions) {
        const proof = leafAt(t, p);
        expect(proof.kind, `kind of ${p}`).to.equal(stepKind(n, p));
        kinds.add(proof.kind);
        expect(nextPoint(ctx, p, t.pointAt(p), proof), `step ${p}`).to.equal(t.pointAt(p + 1n));
      }
      expect(kinds.has(StepKind.Start) && kinds.has(StepKind.Inner) && kinds.has(StepKind.End)).to.equal(
        true,
      );
      expect(kinds.has(StepKind.Padding)).to.equal(BigInt(n) << 32n < t.length);
    });

    it("leaves are shaped like the Solidity structs and ABI-encode as them", () => {
      for (let j = 0; j < t.slots; j++) {
        const base = BigInt(j) << 32n;
        expectShape(startLeaf(t, base), "StartLeaf");
        expectShape(innerLeaf(t, base + 1n), "StepLeaf");
        expectShape(endLeaf(t, base + LAST_STEP), "EndLeaf");
      }
    });

    it("a start leaf reveals P_j's fields, T_j, A_j, the module and the signed assignment (the message's hash and length, no bytes)", () => {
      for (let j = 0; j < t.slots; j++) {
        const leaf = startLeaf(t, BigInt(j) << 32n);
        const b = t.boundary(j);
        const rec = t.messageRecord(j);
        expect(leaf.resultsRoot).to.equal(b.resultsRoot);
        expect(leaf.prevAssignmentHash).to.equal(b.assignmentHash);
        expect(
          solidityPackedKeccak256(
            ["string", "bytes32", "bytes32", "uint32", "bytes32"],
            ["Holo:Process:", t.moduleRoot, leaf.memoryRoot, leaf.memoryPages, leaf.globalsRoot],
          ),
        ).to.equal(b.processHash);
        // no message bytes: the assignment signs the message's hash and length
        expect(leaf).to.not.have.property("message");
        expect(keccak256(rec.message)).to.equal(leaf.assignment.messageHash);
        expect(leaf.assignment.messageLength).to.equal(rec.message.length);
        expect(leaf.assignment.slot).to.equal(t.firstSlot + BigInt(j));
        expect(leaf.assignment.prevAssignmentHash).to.equal(b.assignmentHash);
        expect(leaf.signature).to.equal(rec.signature.toLowerCase());
      }
    });

    it("an end leaf reveals the 326-byte final state and the d siblings of leaf j in T_j", () => {
      for (let j = 0; j < t.slots; j++) {
        const leaf = endLeaf(t, (BigInt(j) << 32n) + LAST_STEP);
        const st = getBytes(leaf.finalState);
        expect(st.length).to.equal(326);
        expect(STATE_FIELD_BYTES).to.equal(326);
        expect(solidityPackedKeccak256(["string", "bytes"], ["Holo:Machine:", st])).to.equal(
          t.messageRecord(j).finalStateHash,
        );
        expect(leaf.step.machineHash).to.equal(t.messageRecord(j).finalStateHash);
        expect(leaf.resultsSiblings).to.have.length(t.depth);
      }
    });

    it("proofs equal machine/proof proveStep's on an independent machine, the no-op ones built without a replay", () => {
      // One independent process, stepped through every message: each proof is of the step it is at.
      const p = f.parentProcess();
      for (let j = 0; j < t.slots; j++) {
        const halt = t.messageRecord(j).haltStep;
        p.beginMessage(f.options.slots[j]!.message, { stepLimit: spec.stepLimit });
        const startHash = p.machine.stateHash();
        for (const x of [0, Math.floor(halt / 2), halt - 1, halt, halt + 3]) {
          if (x < 0 || x < p.machine.trace) continue;
          expect(hexlify(t.stepProof(j, x)), `message ${j} step ${x}`).to.equal(
            hexlify(proveStep(p.machine, x)),
          );
        }
        p.settle(startHash);
      }
    });
  });
}

describe("dispute leaf: refused leaves carry the contract's error names", () => {
  let f: Fixture;
  let t: CommitmentTrace;
  const J = 1;
  const START = BigInt(J) << 32n;
  let inner: bigint;
  const END = START + LAST_STEP;
  before(async () => {
    f = await fixture("token-3");
    t = f.trace;
    inner = START + BigInt(Math.floor(t.messageRecord(J).haltStep / 2));
  });

  function expectLeafError(f: () => unknown, code: LeafError["code"], detail?: string): void {
    let thrown: unknown;
    try {
      f();
    } catch (e) {
      thrown = e;
    }
    expect(thrown, `expected ${code}`).to.be.instanceOf(LeafError);
    expect((thrown as LeafError).code).to.equal(code);
    if (detail !== undefined) expect((thrown as LeafError).message).to.contain(detail);
  }

  function expectProofError(f: () => unknown): void {
    expect(f).to.throw(ProofError);
  }

  const next = (p: bigint, proof: LeafProof, pre?: string): string =>
    nextPoint(t.leafContext(), p, pre ?? t.pointAt(p), proof);
  const start = (change: (l: StartLeaf) => StartLeaf): string =>
    next(START, { kind: StepKind.Start, leaf: change(startLeaf(t, START)) });
  const step = (change: (l: StepLeaf) => StepLeaf): string =>
    next(inner, { kind: StepKind.Inner, leaf: change(innerLeaf(t, inner)) });
  const end = (change: (l: EndLeaf) => EndLeaf): string =>
    next(END, { kind: StepKind.End, leaf: change(endLeaf(t, END)) });
  const flip = (hex: string, at = -1): string => {
    const b = getBytes(hex).slice();
    b[at < 0 ? b.length + at : at] ^= 1;
    return hexlify(b);
  };

  it("the untampered leaves are accepted (the baseline of this block)", () => {
    expect(start((l) => l)).to.equal(t.pointAt(START + 1n));
    expect(step((l) => l)).to.equal(t.pointAt(inner + 1n));
    expect(end((l) => l)).to.equal(t.pointAt(END + 1n));
  });

  it("start: the boundary's preimage, the module, the message, the assignment, the signer, the proof", async () => {
    expectLeafError(() => next(START, leafAt(t, START), t.pointAt(0n)), "DisputeGameLeafPreimage");
    expectLeafError(
      () => start((l) => ({ ...l, memoryPages: l.memoryPages + 1 })),
      "DisputeGameLeafPreimage",
    );
    expectLeafError(
      () => start((l) => ({ ...l, resultsRoot: flip(l.resultsRoot) })),
      "DisputeGameLeafPreimage",
    );
    expectLeafError(
      () => start((l) => ({ ...l, module: { ...l.module, handleLocals: l.module.handleLocals + 1 } })),
      "DisputeGameModuleMismatch",
    );
    expectLeafError(
      () =>
        start((l) => ({
          ...l,
          assignment: { ...l.assignment, messageHash: flip(l.assignment.messageHash) },
        })),
      "DisputeGameAssignmentSigner",
    );
    expectLeafError(
      () =>
        start((l) => ({
          ...l,
          assignment: { ...l.assignment, messageLength: l.assignment.messageLength + 1 },
        })),
      "DisputeGameAssignmentSigner",
    );
    expectLeafError(
      () => start((l) => ({ ...l, assignment: { ...l.assignment, process: flip(l.assignment.process) } })),
      "DisputeGameAssignment",
      "process",
    );
    expectLeafError(
      () => start((l) => ({ ...l, assignment: { ...l.assignment, slot: l.assignment.slot + 1n } })),
      "DisputeGameAssignment",
      "slot",
    );
    expectLeafError(
      () =>
        start((l) => ({
          ...l,
          assignment: { ...l.assignment, prevAssignmentHash: flip(l.assignment.prevAssignmentHash) },
        })),
      "DisputeGameAssignment",
      "prevAssignmentHash",
    );
    const leaf = startLeaf(t, START);
    const forged = await signAssignment(OTHER_SIGNER, DOMAIN, leaf.assignment);
    expectLeafError(() => start((l) => ({ ...l, signature: forged })), "DisputeGameAssignmentSigner");
    expectLeafError(() => start((l) => ({ ...l, signature: "0x00" })), "DisputeGameAssignmentSigner");
    // A step proof of another state.
    expectProofError(() => start((l) => ({ ...l, stepProof: innerLeaf(t, START + 1n).stepProof })));
    expectProofError(() => start((l) => ({ ...l, stepProof: flip(l.stepProof, 40) })));
  });

  it("inner: the point's preimage, the assignment, the proof, the kind", () => {
    expectLeafError(() => next(inner, leafAt(t, inner), t.pointAt(inner + 1n)), "DisputeGameLeafPreimage");
    expectLeafError(
      () => step((l) => ({ ...l, machineHash: flip(l.machineHash) })),
      "DisputeGameLeafPreimage",
    );
    expectLeafError(
      () => step((l) => ({ ...l, assignment: { ...l.assignment, messageId: flip(l.assignment.messageId) } })),
      "DisputeGameLeafPreimage",
    );
    expectLeafError(
      () => step((l) => ({ ...l, assignment: { ...l.assignment, slot: 0n } })),
      "DisputeGameAssignment",
      "slot",
    );
    expectProofError(() => step((l) => ({ ...l, stepProof: innerLeaf(t, inner + 1n).stepProof })));
    expectProofError(() => step((l) => ({ ...l, stepProof: l.stepProof + "00" })));
    expectLeafError(() => next(START + 1n, leafAt(t, START)), "DisputeGameWrongLeafKind");
    expectLeafError(() => next(END, leafAt(t, inner)), "DisputeGameWrongLeafKind");
    expectDisputeError(() => next(t.length, { kind: StepKind.Padding, leaf: null }), "PositionOutOfRange");
  });

  it("end: the final state's length and preimage, the results path", () => {
    expectLeafError(
      () => end((l) => ({ ...l, finalState: l.finalState.slice(0, -2) })),
      "DisputeGameFinalState",
    );
    expectLeafError(
      () => end((l) => ({ ...l, finalState: flip(l.finalState, 200) })),
      "DisputeGameLeafPreimage",
    );
    expectLeafError(
      () => end((l) => ({ ...l, resultsSiblings: l.resultsSiblings.slice(1) })),
      "DisputeGameResultsPath",
    );
    expectLeafError(
      () =>
        end((l) => ({ ...l, resultsSiblings: [flip(l.resultsSiblings[0]), ...l.resultsSiblings.slice(1)] })),
      "DisputeGameResultsPath",
    );
    // The siblings of leaf j in the final tree (leaf j + 1 filled) do not show a zero leaf j in T_j.
    const final = buildResultsTree(
      t.process,
      t.firstSlot,
      [0, 1, 2].map((j) => t.messageRecord(j).resultHash),
    ).proof(t.firstSlot + BigInt(J));
    expectLeafError(() => end((l) => ({ ...l, resultsSiblings: final })), "DisputeGameResultsPath");
  });

  it("the builders refuse a step of another kind or outside the trace", () => {
    expectDisputeError(() => startLeaf(t, inner), "WrongLeafKind");
    expectDisputeError(() => innerLeaf(t, END), "WrongLeafKind");
    expectDisputeError(() => endLeaf(t, START), "WrongLeafKind");
    expectDisputeError(() => innerLeaf(t, (3n << 32n) + 5n), "WrongLeafKind");
    expectDisputeError(() => leafAt(t, t.length), "PositionOutOfRange");
    expectDisputeError(() => leafAt(t, -1n), "PositionOutOfRange");
  });

  it("a padding step keeps its point", () => {
    const p = (3n << 32n) + 5n;
    expect(next(p, leafAt(t, p))).to.equal(t.pointAt(p));
    expect(leafAt(t, p)).to.deep.equal({ kind: StepKind.Padding, leaf: null });
  });

  it("does not accept a leaf for a process the context does not name", () => {
    const other = Process.fromWasm(f.wasm, { memoryLimitPages: 63 });
    const ctx = { ...t.leafContext(), moduleRoot: hexlify(other.moduleRoot) };
    expectLeafError(
      () => nextPoint(ctx, START, t.pointAt(START), leafAt(t, START)),
      "DisputeGameModuleMismatch",
    );
    expectProofError(() => nextPoint(ctx, inner, t.pointAt(inner), leafAt(t, inner)));
  });
});
