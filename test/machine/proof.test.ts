import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { instanceOf, hex, wat } from "./helpers";
import { proveStep, proveStepAt, verifyStep, ProofError, type ProofErrorCode } from "../../machine/proof";
import { Process } from "../../machine/process";
import { OPCODE, STATUS, LAYOUT } from "../../machine/spec";
import { ECHO_PROCESS, message } from "./fixtures/echo";
import { instantiate, parseArg, type SpecCommand } from "../../scripts/spec";
import type { Instance } from "../../machine/process/instance";

const PROGRAM = `
(module
  (memory 1 4)
  (global $g (mut i32) (i32.const 7))
  (global $h (mut i64) (i64.const -3))
  (table 4 funcref)
  (elem (i32.const 1) $sq $add)
  (type $un (func (param i32) (result i32)))
  (type $bin (func (param i32 i32) (result i32)))
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func $fac (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "main") (param i32) (result i32)
    (local i32 i64)
    (i32.store offset=3 (i32.const 30) (i32.const 0x11223344))
    (i64.store (i32.const 61) (i64.const 0x0102030405060708))
    (memory.fill (i32.const 100) (i32.const 0xab) (i32.const 70))
    (memory.copy (i32.const 90) (i32.const 100) (i32.const 50))
    (memory.copy (i32.const 120) (i32.const 60) (i32.const 40))
    (global.set $g (i32.add (global.get $g) (i32.load offset=3 (i32.const 30))))
    (global.set $h (call $fac (i64.const 10)))
    (local.set 1 (i32.const 0))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get 1) (local.get 0)))
        (local.set 2 (i64.add (local.get 2) (i64.load8_s (i32.add (local.get 1) (i32.const 59)))))
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (br $l)))
    (drop (memory.grow (i32.const 1)))
    (block $b (block $a (br_table $a $b $a (i32.and (local.get 0) (i32.const 3)))))
    (i32.add
      (call_indirect (type $un) (i32.const 5) (i32.const 1))
      (i32.add (i32.wrap_i64 (local.get 2))
        (call_indirect (type $bin) (i32.const 2) (global.get $g) (i32.const 2)))))
  (func (export "bad") (param i32) (result i32)
    (i32.store (i32.const 8) (i32.const 99))
    (call_indirect (type $un) (i32.const 1) (local.get 0))))`;

/** Proof layout offsets (docs/machine.md §6): version, state fields, module fields, instruction. */
const STATE_BYTES = 1 + 1 + 4 + 8 + 8 + 4 + 32 + 4 + 32 + 32 + 32 + 4 + 32 + 32 + 4 + 32 + 32 + 32;
const MODULE_AT = 1 + STATE_BYTES;
const INSTR_AT = MODULE_AT + 32 + 4 + 32 + 4 + 4 + 4 + 4 + 4 + 32 + 4;

function expectRefused(f: () => unknown, code: ProofErrorCode): void {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(ProofError);
    expect((e as ProofError).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

function flip(proof: Uint8Array, at: number): Uint8Array {
  const p = proof.slice();
  p[at] ^= 0x01;
  return p;
}

describe("machine/proof", () => {
  it("proves and verifies every step of a program, including an error step", async () => {
    for (const [fn, arg, end] of [
      ["main", 13, STATUS.Halted],
      ["bad", 0, STATUS.Errored],
    ] as const) {
      const inst = await instanceOf(PROGRAM);
      inst.beginInvoke(inst.exportedFunc(fn)!, [arg]);
      const m = inst.machine;
      let n = 0;
      while (m.status === STATUS.Running) {
        const pre = m.stateHash();
        const proof = proveStep(m);
        expect(hex(verifyStep(pre, proof)), `step ${n}`).to.equal(hex(m.stateHash()));
        n++;
      }
      expect(m.status).to.equal(end);
      // Once stopped, a step is a no-op and its proof says so.
      const pre = m.stateHash();
      expect(hex(verifyStep(pre, proveStep(m)))).to.equal(hex(pre));
    }
  });

  it("hash at step i = replay of i steps; random-step proofs verify to the next hash", async () => {
    const bytes = await wat(ECHO_PROCESS);
    const fresh = (): Process => {
      const p = Process.fromWasm(bytes, { memoryLimitPages: 4 });
      p.handleMessage(message("efirst"));
      return p;
    };
    for (const [data, stepLimit] of [
      ["ehello, this message is long enough to need several chunks", 1_000_000],
      ["loop", 3000],
    ] as const) {
      const p = fresh();
      p.beginMessage(message(data, 2n), { stepLimit });
      const hashes: string[] = [];
      const m = p.machine;
      while (m.status === STATUS.Running) {
        hashes.push(hex(m.stateHash()));
        m.step();
      }
      hashes.push(hex(m.stateHash()));
      const last = hashes.length - 1;
      fc.assert(
        fc.property(fc.integer({ min: 0, max: last + 5 }), (i) => {
          const q = fresh();
          q.beginMessage(message(data, 2n), { stepLimit });
          q.machine.runTo(i);
          const pre = q.machine.stateHash();
          expect(hex(pre)).to.equal(hashes[Math.min(i, last)]);
          const proof = proveStepAt(q.machine, i);
          const post = verifyStep(pre, proof, {
            moduleRoot: q.moduleRoot,
            messageHash: q.machine.messageHash,
          });
          expect(hex(post)).to.equal(hashes[Math.min(i + 1, last)]);
        }),
        { numRuns: 25 },
      );
      // The last step of the fixed-length trace is a no-op too.
      const q = fresh();
      q.beginMessage(message(data, 2n), { stepLimit });
      const proof = proveStepAt(q.machine, 2 ** LAYOUT.traceLog2Steps - 1);
      expect(hex(verifyStep(q.machine.stateHash(), proof))).to.equal(hashes[last]);
    }
  });

  it("proves every step of messages that use the host ABI, trap, or run out of steps", async () => {
    const p = Process.fromWasm(await wat(ECHO_PROCESS), { memoryLimitPages: 4 });
    for (const [data, stepLimit] of [
      ["e" + "x".repeat(100), 100_000],
      ["trap", 100_000],
      ["grow", 100_000],
      ["loop", 500],
    ] as const) {
      p.beginMessage(message(data), { stepLimit });
      const m = p.machine;
      const context = { moduleRoot: p.moduleRoot, messageHash: m.messageHash };
      while (m.status === STATUS.Running) {
        const pre = m.stateHash();
        expect(hex(verifyStep(pre, proveStep(m), context)), data).to.equal(hex(m.stateHash()));
      }
      p.settle(m.stateHash());
    }
  });

  describe("tampered proofs", () => {
    /** A machine stopped before the first instruction with opcode `op`. */
    async function at(op: number): Promise<{ pre: Uint8Array; proof: Uint8Array; moduleRoot: Uint8Array }> {
      const inst = await instanceOf(PROGRAM);
      inst.beginInvoke(inst.exportedFunc("main")!, [13]);
      const m = inst.machine;
      while (m.image.ops[m.pc] !== op) m.step();
      const pre = m.stateHash();
      return { pre, proof: proveStep(m), moduleRoot: inst.image.moduleRoot };
    }

    it("refuses a wrong pre-state, module, code leaf or code path", async () => {
      const { pre, proof } = await at(OPCODE["i32.add"]);
      expect(verifyStep(pre, proof)).to.have.length(32);
      expectRefused(() => verifyStep(pre, flip(proof, 10)), "ProofStateMismatch");
      expectRefused(() => verifyStep(pre, flip(proof, MODULE_AT + 3)), "ProofModule");
      expectRefused(() => verifyStep(pre, flip(proof, INSTR_AT + 1)), "ProofCodePath");
      expectRefused(() => verifyStep(pre, flip(proof, INSTR_AT + 18 + 5)), "ProofCodePath");
    });

    it("refuses a tampered stack value or rest-of-stack hash", async () => {
      const { pre, proof } = await at(OPCODE["i32.add"]);
      // i32.add pops two values it did not push: the tape is two (value, rest-of-stack hash) pairs of
      // 41 bytes each, at the end of the proof. Every byte of them matters.
      for (let k = 1; k <= 41 * 2; k++) {
        expectRefused(() => verifyStep(pre, flip(proof, proof.length - k)), "ProofStackHash");
      }
    });

    it("refuses a tampered memory leaf or memory path", async () => {
      const { pre, proof } = await at(OPCODE["i32.load"]);
      const leafBytes = 32 + 32 * LAYOUT.memoryTreeDepth;
      const tapeLeaf = proof.length - leafBytes; // pop (41 bytes) then the one leaf
      expectRefused(() => verifyStep(pre, flip(proof, tapeLeaf + 3)), "ProofMemoryPath");
      expectRefused(() => verifyStep(pre, flip(proof, tapeLeaf + 32 + 100)), "ProofMemoryPath");
      expectRefused(() => verifyStep(pre, flip(proof, tapeLeaf - 20)), "ProofStackHash");
    });

    it("refuses a tampered local, frame or global", async () => {
      const local = await at(OPCODE["local.get"]);
      // The first local.get executed is in $fac (one local: no path). Its tape is the frame
      // (4 + 4 + 32 + 32 bytes), then the local's 32-byte leaf.
      expectRefused(
        () => verifyStep(local.pre, flip(local.proof, local.proof.length - 1)),
        "ProofLocalsPath",
      );
      const frameAt = local.proof.length - 32 - 72;
      expectRefused(() => verifyStep(local.pre, flip(local.proof, frameAt + 2)), "ProofFrameHash");
      const glob = await at(OPCODE["global.get"]);
      expectRefused(() => verifyStep(glob.pre, flip(glob.proof, glob.proof.length - 1)), "ProofGlobalsPath");
    });

    it("refuses a tampered message, snapshot or table entry", async () => {
      const p = Process.fromWasm(await wat(ECHO_PROCESS), { memoryLimitPages: 4 });
      p.beginMessage(message("trap"));
      const m = p.machine;
      while (m.image.ops[m.pc] !== OPCODE["msg_read"]) m.step();
      let pre = m.stateHash();
      let proof = proveStep(m);
      // The tape ends with the memory leaf written; the message sits before it (its last byte is "p").
      const msgEnd = proof.length - (32 + 32 * LAYOUT.memoryTreeDepth);
      expectRefused(() => verifyStep(pre, flip(proof, msgEnd - 1)), "ProofMessageHash");
      while (m.image.ops[m.pc] !== OPCODE["unreachable"]) m.step();
      pre = m.stateHash();
      proof = proveStep(m);
      expect(m.status).to.equal(STATUS.Errored);
      // The error step's tape is the snapshot: memoryRoot, pages, globalsRoot (68 bytes, at the end).
      expectRefused(() => verifyStep(pre, flip(proof, proof.length - 40)), "ProofSnapshot");

      const inst = await instanceOf(PROGRAM);
      inst.beginInvoke(inst.exportedFunc("main")!, [3]);
      const t = inst.machine;
      while (t.image.ops[t.pc] !== OPCODE["call_indirect"]) t.step();
      pre = t.stateHash();
      proof = proveStep(t);
      // call_indirect: pop (41 bytes), then the entry (20 bytes) and its path (table of 4: depth 2).
      const entryAt = INSTR_AT + 18 + 32 * Math.ceil(Math.log2(inst.image.fields.codeLength)) + 41;
      expectRefused(() => verifyStep(pre, flip(proof, entryAt + 11)), "ProofTablePath");
    });

    it("refuses a wrong context, a truncated proof and trailing bytes", async () => {
      const { pre, proof, moduleRoot } = await at(OPCODE["i32.add"]);
      expect(verifyStep(pre, proof, { moduleRoot })).to.have.length(32);
      expectRefused(() => verifyStep(pre, proof, { moduleRoot: new Uint8Array(32) }), "ProofContextMismatch");
      expectRefused(
        () => verifyStep(pre, proof, { messageHash: new Uint8Array(32).fill(9) }),
        "ProofContextMismatch",
      );
      expectRefused(() => verifyStep(pre, proof.slice(0, -1)), "ProofTruncated");
      const longer = new Uint8Array(proof.length + 1);
      longer.set(proof);
      expectRefused(() => verifyStep(pre, longer), "ProofTrailingBytes");
    });
  });
});

describe("machine/proof over the spec suite", () => {
  const SPEC = "/work/shared/wasm-spec";
  const FOLDERS = [
    "bulk",
    "memory_copy",
    "memory_fill",
    "call_indirect",
    "br_table",
    "data",
    "elem",
    "func_ptrs",
    "i64",
    "load",
    "store",
    "memory_grow",
    "select",
    "stack",
    "start",
  ];

  it("every step of sampled spec invocations (calls, traps, bulk memory, memory.init) verifies", function () {
    this.timeout(300_000);
    let proven = 0;
    for (const folder of FOLDERS) {
      const file = path.join(SPEC, folder, `${folder}.json`);
      if (!fs.existsSync(file)) continue;
      const cmds = (JSON.parse(fs.readFileSync(file, "utf8")) as { commands: SpecCommand[] }).commands;
      let inst: Instance | undefined;
      let invocations = 0;
      for (const c of cmds) {
        if (c.type === "module") {
          try {
            inst = instantiate(fs.readFileSync(path.join(SPEC, folder, c.filename!)));
          } catch {
            inst = undefined;
          }
          continue;
        }
        const a = c.action;
        if (!inst || !a || a.type !== "invoke" || a.module || invocations >= 40) continue;
        const idx = inst.exportedFunc(a.field);
        if (idx === undefined) continue;
        invocations++;
        inst.beginInvoke(idx, (a.args ?? []).map(parseArg), 3000);
        const m = inst.machine;
        while (m.status === STATUS.Running) {
          const pre = m.stateHash();
          const proof = proveStep(m);
          expect(hex(verifyStep(pre, proof)), `${folder}:${c.line} ${a.field}`).to.equal(hex(m.stateHash()));
          proven++;
        }
        inst.finish();
      }
    }
    expect(proven).to.be.greaterThan(10_000);
  });
});
