/**
 * Invalid proofs: every refusal class of the reference verifier, each made by altering a real proof,
 * must be refused by the contracts with the matching custom error (`ProofX` → `OneStepProofX`), and the
 * TypeScript `verifyStep` must refuse the same proof with `ProofX`. A sampled differential then flips
 * random bytes of the proofs of every step of a program and requires the contracts and `verifyStep` to
 * agree on every one: the same refusal, or the same post-state hash.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";

import { instanceOf, wat } from "../machine/helpers";
import { Process } from "../../machine/process";
import { ProofError } from "../../machine/proof";
import { OPCODE, STATUS, LAYOUT } from "../../machine/spec";
import {
  PROOF_LAYOUT,
  contextOf,
  deployProvers,
  errorName,
  fixtureOf,
  proveBatch,
  verifyTs,
  type Provers,
  type StepFixture,
} from "./helpers";

const PROGRAM = `
(module
  (memory 1 4)
  (global $g (mut i32) (i32.const 7))
  (global $h (mut i64) (i64.const -3))
  (table 4 funcref)
  (elem (i32.const 1) $sq $add)
  (data $d "0123456789abcdefghijklmnopqrstuvwxyz")
  (type $un (func (param i32) (result i32)))
  (type $bin (func (param i32 i32) (result i32)))
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "main") (param i32) (result i32)
    (local i32 i64)
    (i32.store offset=3 (i32.const 30) (i32.const 0x11223344))
    (memory.init $d (i32.const 200) (i32.const 3) (i32.const 20))
    (memory.fill (i32.const 100) (i32.const 0xab) (i32.const 40))
    (memory.copy (i32.const 90) (i32.const 100) (i32.const 50))
    (global.set $g (i32.add (global.get $g) (i32.load offset=3 (i32.const 30))))
    (local.set 1 (i32.const 0))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get 1) (local.get 0)))
        (local.set 2 (i64.add (local.get 2) (i64.load8_s (i32.add (local.get 1) (i32.const 59)))))
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (br $l)))
    (drop (memory.grow (i32.const 1)))
    (i32.add
      (call_indirect (type $un) (i32.const 5) (i32.const 1))
      (i32.add (i32.wrap_i64 (local.get 2))
        (call_indirect (type $bin) (i32.const 2) (global.get $g) (i32.const 2)))))
  (func (export "bad") (param i32) (result i32)
    (i32.store (i32.const 8) (i32.const 99))
    (call_indirect (type $un) (i32.const 1) (local.get 0))))`;

function flip(proof: Uint8Array, at: number, mask = 0x01): Uint8Array {
  const p = proof.slice();
  p[at] ^= mask;
  return p;
}

/** The offset of the tape: after the instruction's code path. */
function tapeAt(proof: Uint8Array): number {
  const codeLength = Buffer.from(proof).readUInt32BE(PROOF_LAYOUT.moduleAt + 32);
  let d = 0;
  while (2 ** d < codeLength) d++;
  return PROOF_LAYOUT.pathAt + 32 * d;
}

async function allSteps(fn: string, arg: number): Promise<StepFixture[]> {
  const inst = await instanceOf(PROGRAM);
  inst.beginInvoke(inst.exportedFunc(fn)!, [arg]);
  const out: StepFixture[] = [];
  while (inst.machine.status === STATUS.Running) out.push(fixtureOf(inst.machine));
  out.push(fixtureOf(inst.machine));
  return out;
}

/** The first step of `fn(arg)` that executes `opcode`. */
async function stepOf(opcode: number, fn = "main", arg = 3): Promise<StepFixture> {
  const fx = await allSteps(fn, arg);
  const f = fx.find((x) => x.opcode === opcode);
  if (!f) throw new Error(`no step with opcode ${opcode}`);
  return f;
}

/**
 * Requires the contracts (through the entry and through the class prover) and `verifyStep` to refuse
 * `proof` with the named error.
 */
async function expectRefused(
  p: Provers,
  preStateHash: string,
  proof: Uint8Array,
  code: string,
  ctx = contextOf(proof),
): Promise<void> {
  let ts: unknown;
  try {
    const { verifyStep } = await import("../../machine/proof");
    verifyStep(ethers.getBytes(preStateHash), proof, {
      moduleRoot: ethers.getBytes(ctx.moduleRoot as string),
      messageHash: ethers.getBytes(ctx.messageHash as string),
    });
  } catch (e) {
    ts = e;
  }
  expect(ts, "verifyStep must refuse").to.be.instanceOf(ProofError);
  expect((ts as ProofError).code).to.equal(code);
  await expect(p.entry.proveStep(ctx, preStateHash, proof)).to.be.revertedWithCustomError(
    p.entry,
    `OneStepProof${code.slice("Proof".length)}`,
  );
}

describe("osp: invalid proofs", function () {
  this.timeout(600_000);

  it("wrong version, truncated, trailing bytes, wrong pre-state", async () => {
    const p = await loadFixture(deployProvers);
    const f = await stepOf(OPCODE["i32.add"]);
    const ctx = contextOf(f.proof);
    await expectRefused(p, f.preStateHash, flip(f.proof, 0), "ProofVersion", ctx);
    await expectRefused(p, f.preStateHash, f.proof.slice(0, -1), "ProofTruncated", ctx);
    await expectRefused(p, f.preStateHash, f.proof.slice(0, 100), "ProofTruncated", ctx);
    await expectRefused(
      p,
      f.preStateHash,
      f.proof.slice(0, PROOF_LAYOUT.instructionAt + 1),
      "ProofTruncated",
      ctx,
    );
    await expectRefused(p, f.preStateHash, new Uint8Array([...f.proof, 0]), "ProofTrailingBytes");
    await expectRefused(p, f.preStateHash, flip(f.proof, 10), "ProofStateMismatch");
    // A halted machine's proof is the state alone: one byte more is trailing.
    const fx = await allSteps("main", 2);
    const halted = fx.at(-1)!;
    expect(halted.status).to.equal(STATUS.Halted);
    await expectRefused(p, halted.preStateHash, new Uint8Array([...halted.proof, 1]), "ProofTrailingBytes");
  });

  it("wrong context: another module root or message hash", async () => {
    const p = await loadFixture(deployProvers);
    const f = await stepOf(OPCODE["i32.add"]);
    const ctx = contextOf(f.proof);
    await expectRefused(p, f.preStateHash, f.proof, "ProofContextMismatch", {
      ...ctx,
      moduleRoot: ethers.ZeroHash,
    });
    await expectRefused(p, f.preStateHash, f.proof, "ProofContextMismatch", {
      ...ctx,
      messageHash: ethers.keccak256("0x01"),
    });
  });

  it("tampered module, code leaf or code path", async () => {
    const p = await loadFixture(deployProvers);
    const f = await stepOf(OPCODE["i32.add"]);
    await expectRefused(p, f.preStateHash, flip(f.proof, PROOF_LAYOUT.moduleAt + 3), "ProofModule");
    await expectRefused(p, f.preStateHash, flip(f.proof, PROOF_LAYOUT.instructionAt + 1), "ProofCodePath");
    // An opcode of another class: the entry dispatches it to that class's prover, which refuses it.
    const other = f.proof.slice();
    other[PROOF_LAYOUT.instructionAt] = 0x00;
    other[PROOF_LAYOUT.instructionAt + 1] = 0x28;
    await expectRefused(p, f.preStateHash, other, "ProofCodePath");
    await expectRefused(p, f.preStateHash, flip(f.proof, PROOF_LAYOUT.instructionAt + 7), "ProofCodePath");
    await expectRefused(p, f.preStateHash, flip(f.proof, PROOF_LAYOUT.pathAt + 5), "ProofCodePath");
  });

  it("tampered stack value or rest-of-stack hash", async () => {
    const p = await loadFixture(deployProvers);
    const f = await stepOf(OPCODE["i32.add"]);
    for (const k of [1, 5, 33, 34, 40, 41, 42, 50, 82]) {
      await expectRefused(p, f.preStateHash, flip(f.proof, f.proof.length - k), "ProofStackHash");
    }
  });

  it("tampered frame, local or local path", async () => {
    const p = await loadFixture(deployProvers);
    const f = await stepOf(OPCODE["local.get"]);
    const t = tapeAt(f.proof);
    for (const k of [0, 3, 8, 39, 40, 71]) {
      await expectRefused(p, f.preStateHash, flip(f.proof, t + k), "ProofFrameHash");
    }
    await expectRefused(p, f.preStateHash, flip(f.proof, t + 72 + 31), "ProofLocalsPath");
    await expectRefused(p, f.preStateHash, flip(f.proof, t + 72 + 32), "ProofLocalsPath");
    const s = await stepOf(OPCODE["local.set"]);
    await expectRefused(p, s.preStateHash, flip(s.proof, s.proof.length - 1), "ProofLocalsPath");
  });

  it("tampered global or globals path", async () => {
    const p = await loadFixture(deployProvers);
    const f = await stepOf(OPCODE["global.get"]);
    const t = tapeAt(f.proof);
    await expectRefused(p, f.preStateHash, flip(f.proof, t + 31), "ProofGlobalsPath");
    await expectRefused(p, f.preStateHash, flip(f.proof, f.proof.length - 1), "ProofGlobalsPath");
  });

  it("tampered memory leaf or memory path (load, and the second leaf of a straddling store)", async () => {
    const p = await loadFixture(deployProvers);
    const f = await stepOf(OPCODE["i32.load"]);
    const leafBytes = 32 + 32 * LAYOUT.memoryTreeDepth;
    const leafAt = f.proof.length - leafBytes;
    await expectRefused(p, f.preStateHash, flip(f.proof, leafAt + 3), "ProofMemoryPath");
    await expectRefused(p, f.preStateHash, flip(f.proof, leafAt + 32 + 100), "ProofMemoryPath");
    await expectRefused(p, f.preStateHash, flip(f.proof, f.proof.length - 1), "ProofMemoryPath");
    const s = await stepOf(OPCODE["i32.store"]);
    await expectRefused(p, s.preStateHash, flip(s.proof, s.proof.length - 1), "ProofMemoryPath");
  });

  it("tampered table entry or table path", async () => {
    const p = await loadFixture(deployProvers);
    const f = await stepOf(OPCODE["call_indirect"]);
    const t = tapeAt(f.proof) + 41; // after the popped index
    await expectRefused(p, f.preStateHash, flip(f.proof, t + 3), "ProofTablePath");
    await expectRefused(p, f.preStateHash, flip(f.proof, t + 11), "ProofTablePath");
    await expectRefused(p, f.preStateHash, flip(f.proof, t + 20 + 63), "ProofTablePath");
  });

  it("tampered data segment, data path or data chunk", async () => {
    const p = await loadFixture(deployProvers);
    const f = await stepOf(OPCODE["memory.init"]);
    // Tape: three pops (41 each), the dropped flag (global leaf + path), the segment, the chunk, a leaf.
    const t = tapeAt(f.proof) + 3 * 41;
    let gd = 0;
    const globalsCount = Buffer.from(f.proof).readUInt32BE(PROOF_LAYOUT.moduleAt + 72);
    while (2 ** gd < globalsCount) gd++;
    const seg = t + 32 + 32 * gd;
    await expectRefused(p, f.preStateHash, flip(f.proof, seg + 2), "ProofDataPath");
    await expectRefused(p, f.preStateHash, flip(f.proof, seg + 4), "ProofDataPath");
    const chunk = seg + 36; // data count 1: no path
    await expectRefused(p, f.preStateHash, flip(f.proof, chunk + 5), "ProofDataPath");
    await expectRefused(p, f.preStateHash, flip(f.proof, chunk + 32), "ProofDataPath");
  });

  it("tampered snapshot (a trap, and running out of steps)", async () => {
    const p = await loadFixture(deployProvers);
    const fx = await allSteps("bad", 0);
    const trap = fx.at(-2)!;
    expect(fx.at(-1)!.status).to.equal(STATUS.Errored);
    for (const k of [1, 30, 33, 40, 68]) {
      await expectRefused(p, trap.preStateHash, flip(trap.proof, trap.proof.length - k), "ProofSnapshot");
    }
    const inst = await instanceOf(PROGRAM);
    inst.beginInvoke(inst.exportedFunc("main")!, [3], 2);
    inst.machine.run(2);
    const oos = fixtureOf(inst.machine);
    expect(oos.proof.length).to.equal(1 + 326 + 68);
    await expectRefused(p, oos.preStateHash, flip(oos.proof, oos.proof.length - 10), "ProofSnapshot");
  });

  it("wrong message bytes or length (msg_read)", async () => {
    const p = await loadFixture(deployProvers);
    const proc = Process.fromWasm(
      await wat(`(module
        (import "holo" "msg_read" (func $msg_read (param i32 i32 i32)))
        (import "holo" "msg_len" (func $msg_len (result i32)))
        (memory 1)
        (func (export "handle") (call $msg_read (i32.const 5) (i32.const 0) (call $msg_len))))`),
    );
    const { message } = await import("../machine/fixtures/echo");
    proc.beginMessage(message("hello"));
    let f = fixtureOf(proc.machine);
    while (f.opcode !== OPCODE["msg_read"]) f = fixtureOf(proc.machine);
    const len = proc.machine.messageLength;
    // Tape: three pops, then the message (u32 length, bytes), then the leaf.
    const msgAt = f.proof.length - (32 + 32 * LAYOUT.memoryTreeDepth) - len;
    await expectRefused(p, f.preStateHash, flip(f.proof, msgAt + 7), "ProofMessageHash");
    await expectRefused(p, f.preStateHash, flip(f.proof, msgAt - 1), "ProofMessageHash");
    await expectRefused(p, f.preStateHash, flip(f.proof, msgAt - 3), "ProofTruncated");
    // A shorter message with a matching length field: refused by length.
    const buf = Buffer.from(f.proof);
    const shorter = Buffer.concat([
      buf.subarray(0, msgAt - 4),
      Buffer.from([0, 0, 0, len - 1]),
      buf.subarray(msgAt, msgAt + len - 1),
      buf.subarray(msgAt + len),
    ]);
    await expectRefused(p, f.preStateHash, new Uint8Array(shorter), "ProofMessageHash");
  });

  it("each class prover answers like the entry for its own class and refuses the others", async () => {
    const p = await loadFixture(deployProvers);
    const fx = (await allSteps("main", 3)).filter((f) => f.opcode !== undefined);
    const CLASS: Record<string, number> = { control: 1, memory: 2, math: 3, hostio: 4 };
    const provers = [p.control, p.memory, p.math, p.hostIo];
    const { OPCODE_TABLE } = await import("../../machine/spec");
    const classOf = new Map(OPCODE_TABLE.map((o) => [o.opcode, CLASS[o.class]]));
    for (const [k, prover] of provers.entries()) {
      const { posts, errors } = await proveBatch(p, fx, await prover.getAddress());
      for (let i = 0; i < fx.length; i++) {
        if (classOf.get(fx[i].opcode!) === k + 1) {
          expect(errors[i]).to.equal("0x");
          expect(posts[i]).to.equal(fx[i].postStateHash);
        } else {
          expect(errorName(p, errors[i])).to.equal("OneStepProofWrongClass");
        }
      }
    }
    expect(await p.entry.prover(2)).to.equal(await p.memory.getAddress());
  });

  it("a type-confused pre-state (unreachable after validation): verifyStep answers, the contracts refuse", async () => {
    const p = await loadFixture(deployProvers);
    const inst = await instanceOf(
      `(module (func (export "f") (param i32) (result i32) (i32.eqz (local.get 0))))`,
    );
    inst.beginInvoke(inst.exportedFunc("f")!, [5]);
    let f = fixtureOf(inst.machine);
    while (f.opcode !== OPCODE["i32.eqz"]) f = fixtureOf(inst.machine);
    // The popped operand is the last tape answer: type, raw u64, rest-of-stack hash. Make it an i64 0
    // and re-hash the value stack and the pre-state around it.
    const proof = f.proof.slice();
    const at = proof.length - 41;
    proof[at] = LAYOUT.valueTypes.i64;
    proof.fill(0, at + 1, at + 9);
    const rest = proof.slice(at + 9, at + 41);
    const stackHash = ethers.getBytes(
      ethers.solidityPackedKeccak256(
        ["string", "bytes32", "uint8", "uint64"],
        ["Holo:Value stack:", rest, 0x7e, 0],
      ),
    );
    proof.set(stackHash, PROOF_LAYOUT.state.valueStackHash);
    const pre = ethers.keccak256(
      ethers.concat([ethers.toUtf8Bytes("Holo:Machine:"), proof.slice(1, 1 + 326)]),
    );
    const ts = verifyTs(pre, proof);
    expect(typeof ts, "verifyStep accepts the type-confused state").to.equal("string");
    await expect(p.entry.proveStep(contextOf(proof), pre, proof))
      .to.be.revertedWithCustomError(p.entry, "OneStepProofValueType")
      .withArgs(LAYOUT.valueTypes.i32, LAYOUT.valueTypes.i64);
  });

  it("differential: random byte flips in every step's proof are refused (or accepted) alike", async () => {
    const p = await loadFixture(deployProvers);
    const fx = [...(await allSteps("main", 3)), ...(await allSteps("bad", 0)), ...(await allSteps("bad", 3))];
    const items: { preStateHash: string; proof: Uint8Array }[] = [];
    const expected: (string | ProofError)[] = [];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: fx.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (i, at, mask) => {
          const f = fx[i];
          const proof = flip(f.proof, at % f.proof.length, mask);
          items.push({ preStateHash: f.preStateHash, proof });
          expected.push(verifyTs(f.preStateHash, proof));
        },
      ),
      { numRuns: 1500, seed: 42 },
    );
    const { posts, errors } = await proveBatch(p, items);
    let refused = 0;
    for (let k = 0; k < items.length; k++) {
      const e = expected[k];
      if (e instanceof ProofError) {
        refused++;
        expect(errorName(p, errors[k]), `flip ${k}`).to.equal(`OneStepProof${e.code.slice(5)}`);
      } else {
        expect(errors[k], `flip ${k}`).to.equal("0x");
        expect(posts[k], `flip ${k}`).to.equal(e);
      }
    }
    expect(refused).to.be.greaterThan(1400);
  });
});
