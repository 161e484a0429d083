/**
 * Per-instruction tests of the one-step prover: every instruction class with edge values, each step of
 * each run proven through the entry contract and compared with the TypeScript machine's post-state
 * hash (and the reference verifier's).
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { instanceOf } from "../machine/helpers";
import { ECHO_PROCESS, message } from "../machine/fixtures/echo";
import { wat } from "../machine/helpers";
import { Process } from "../../machine/process";
import type { Instance } from "../../machine/process/instance";
import type { Value } from "../../machine/interp/semantics";
import { ERROR_CODE, OPCODE, STATUS } from "../../machine/spec";
import { deployProvers, expectFixtures, fixtureOf, runFixtures, verifyTs, type StepFixture } from "./helpers";
import { ARITH_BINARY, COMPARISONS, I32_UNARY, I64_UNARY } from "../machine/opcode-names";

const I32_EDGES = [0, 1, -1, 2, 0x7fffffff, -0x80000000, 31, 32, 33, 0x12345678, -7];
const I64_EDGES = [
  0n,
  1n,
  -1n,
  2n,
  (1n << 63n) - 1n,
  -(1n << 63n),
  63n,
  64n,
  65n,
  0x123456789abcdef0n,
  -7n,
  0xffffffffn,
];

const I32_BIN = ARITH_BINARY;
const I32_CMP = COMPARISONS;
const I32_UN = I32_UNARY;
const I64_UN = I64_UNARY;

/** Invokes `name` with each argument list, proving every step (plus one no-op step after each run). */
function prove(inst: Instance, name: string, argLists: Value[][], stepLimit?: number): StepFixture[] {
  const out: StepFixture[] = [];
  const idx = inst.exportedFunc(name);
  if (idx === undefined) throw new Error(`no export ${name}`);
  for (const args of argLists) {
    inst.beginInvoke(idx, args, stepLimit);
    out.push(...runFixtures(inst.machine, 1));
    inst.finish();
  }
  return out;
}

function pairs<T>(xs: T[]): T[][] {
  return xs.flatMap((x) => xs.map((y) => [x, y]));
}

/** Opcodes seen in fixtures (for the coverage assertions). */
function opcodes(fx: StepFixture[]): Set<number> {
  return new Set(fx.filter((f) => f.opcode !== undefined).map((f) => f.opcode!));
}

describe("osp: instructions", function () {
  this.timeout(600_000);

  describe("math", () => {
    it("i32 binary operators on edge values (div/rem by zero, div_s overflow, shifts ≥ width, rotations)", async () => {
      const p = await loadFixture(deployProvers);
      const funcs = I32_BIN.map(
        (op) =>
          `(func (export "${op}") (param i32 i32) (result i32) (i32.${op} (local.get 0) (local.get 1)))`,
      );
      const inst = await instanceOf(`(module ${funcs.join("\n")})`);
      const fx = I32_BIN.flatMap((op) => prove(inst, op, pairs<Value>(I32_EDGES)));
      const traps = fx.filter((f) => f.opcode === OPCODE["i32.div_s"] || f.opcode === OPCODE["i32.rem_u"]);
      expect(traps.length).to.be.greaterThan(0);
      expect(await expectFixtures(p, fx, "i32 binary")).to.be.greaterThan(1000);
      for (const op of I32_BIN) expect(opcodes(fx)).to.include(OPCODE[`i32.${op}`]);
    });

    it("i64 binary operators on edge values", async () => {
      const p = await loadFixture(deployProvers);
      const funcs = I32_BIN.map(
        (op) =>
          `(func (export "${op}") (param i64 i64) (result i64) (i64.${op} (local.get 0) (local.get 1)))`,
      );
      const inst = await instanceOf(`(module ${funcs.join("\n")})`);
      const fx = I32_BIN.flatMap((op) => prove(inst, op, pairs<Value>(I64_EDGES)));
      await expectFixtures(p, fx, "i64 binary");
      for (const op of I32_BIN) expect(opcodes(fx)).to.include(OPCODE[`i64.${op}`]);
    });

    it("comparisons, unary operators, conversions and sign extension", async () => {
      const p = await loadFixture(deployProvers);
      const src = [
        ...I32_CMP.map(
          (op) =>
            `(func (export "i32.${op}") (param i32 i32) (result i32) (i32.${op} (local.get 0) (local.get 1)))`,
        ),
        ...I32_CMP.map(
          (op) =>
            `(func (export "i64.${op}") (param i64 i64) (result i32) (i64.${op} (local.get 0) (local.get 1)))`,
        ),
        ...I32_UN.map(
          (op) => `(func (export "i32.${op}") (param i32) (result i32) (i32.${op} (local.get 0)))`,
        ),
        ...I64_UN.map(
          (op) => `(func (export "i64.${op}") (param i64) (result i64) (i64.${op} (local.get 0)))`,
        ),
        `(func (export "i64.eqz") (param i64) (result i32) (i64.eqz (local.get 0)))`,
        `(func (export "wrap") (param i64) (result i32) (i32.wrap_i64 (local.get 0)))`,
        `(func (export "extend_s") (param i32) (result i64) (i64.extend_i32_s (local.get 0)))`,
        `(func (export "extend_u") (param i32) (result i64) (i64.extend_i32_u (local.get 0)))`,
        `(func (export "consts") (result i64)
           (drop (i32.const -1)) (drop (i32.const 0x80000000)) (drop (i64.const -9223372036854775808))
           (i64.const 0x7fffffffffffffff))`,
      ];
      const inst = await instanceOf(`(module ${src.join("\n")})`);
      const fx: StepFixture[] = [];
      for (const op of I32_CMP) {
        fx.push(...prove(inst, `i32.${op}`, pairs<Value>([0, 1, -1, 0x7fffffff, -0x80000000])));
        fx.push(...prove(inst, `i64.${op}`, pairs<Value>([0n, 1n, -1n, (1n << 63n) - 1n, -(1n << 63n)])));
      }
      for (const op of I32_UN)
        fx.push(
          ...prove(
            inst,
            `i32.${op}`,
            I32_EDGES.map((v) => [v]),
          ),
        );
      for (const op of [...I64_UN, "eqz"])
        fx.push(
          ...prove(
            inst,
            `i64.${op}`,
            I64_EDGES.map((v) => [v]),
          ),
        );
      fx.push(
        ...prove(
          inst,
          "wrap",
          I64_EDGES.map((v) => [v]),
        ),
      );
      fx.push(
        ...prove(
          inst,
          "extend_s",
          I32_EDGES.map((v) => [v]),
        ),
      );
      fx.push(
        ...prove(
          inst,
          "extend_u",
          I32_EDGES.map((v) => [v]),
        ),
      );
      fx.push(...prove(inst, "consts", [[]]));
      await expectFixtures(p, fx, "unary/compare");
    });
  });

  describe("memory", () => {
    const MEM = `(module
      (memory 1 3)
      (data $d "Holoproof data segment: the quick brown fox jumps over the lazy dog 0123456789")
      (data $e "\\01\\02\\03")
      (func (export "store_load") (param $a i32) (param $v i64) (result i64)
        (i64.store (local.get $a) (local.get $v))
        (i32.store offset=1 (local.get $a) (i32.wrap_i64 (local.get $v)))
        (i32.store8 offset=3 (local.get $a) (i32.const 0xfe))
        (i32.store16 offset=5 (local.get $a) (i32.const 0x8081))
        (i64.store8 offset=2 (local.get $a) (local.get $v))
        (i64.store16 offset=9 (local.get $a) (local.get $v))
        (i64.store32 offset=11 (local.get $a) (local.get $v))
        (i64.add
          (i64.add (i64.load (local.get $a)) (i64.extend_i32_u (i32.load offset=1 (local.get $a))))
          (i64.add
            (i64.add (i64.load8_s offset=3 (local.get $a)) (i64.load8_u offset=3 (local.get $a)))
            (i64.add
              (i64.add (i64.load16_s offset=5 (local.get $a)) (i64.load16_u offset=5 (local.get $a)))
              (i64.add
                (i64.add (i64.load32_s offset=11 (local.get $a)) (i64.load32_u offset=11 (local.get $a)))
                (i64.extend_i32_s
                  (i32.add
                    (i32.add (i32.load8_s offset=3 (local.get $a)) (i32.load8_u offset=3 (local.get $a)))
                    (i32.add (i32.load16_s offset=5 (local.get $a)) (i32.load16_u offset=6 (local.get $a))))))))))
      (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "load64off") (param i32) (result i64) (i64.load offset=0xfffffff0 (local.get 0)))
      (func (export "store64") (param i32) (i64.store (local.get 0) (i64.const -1)))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "size") (result i32) (memory.size))
      (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
      (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
      (func (export "init") (param i32 i32 i32) (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
      (func (export "drop") (data.drop $d))
      (func (export "init_e") (param i32 i32 i32) (memory.init $e (local.get 0) (local.get 1) (local.get 2))))`;

    it("stores and loads of every width, aligned, unaligned and straddling two leaves", async () => {
      const p = await loadFixture(deployProvers);
      const inst = await instanceOf(MEM);
      const addrs = [0, 1, 13, 24, 25, 28, 29, 30, 31, 32, 60, 61, 65536 - 24];
      const fx = prove(
        inst,
        "store_load",
        addrs.map((a) => [a, 0x0102030405060708n]),
      );
      fx.push(...prove(inst, "store_load", [[27, -2n]]));
      await expectFixtures(p, fx, "store/load");
      for (const name of Object.keys(OPCODE).filter((n) => /^i(32|64)\.(load|store)/.test(n))) {
        expect(opcodes(fx), name).to.include(OPCODE[name]);
      }
    });

    it("out-of-bounds loads and stores trap (incl. offset overflow past 4 GiB and the last bytes)", async () => {
      const p = await loadFixture(deployProvers);
      const inst = await instanceOf(MEM);
      const fx = [
        ...prove(inst, "load32", [[65532], [65533], [65535], [65536], [-1]]),
        ...prove(inst, "load64off", [[0], [16], [-1]]),
        ...prove(inst, "store64", [[65528], [65529], [-8]]),
      ];
      expect(fx.filter((f) => f.status === STATUS.Errored).length).to.be.greaterThan(0);
      await expectFixtures(p, fx, "oob");
    });

    it("memory.grow (success and failure), memory.size", async () => {
      const p = await loadFixture(deployProvers);
      const inst = await instanceOf(MEM);
      const fx = [
        ...prove(inst, "size", [[]]),
        ...prove(inst, "grow", [[0], [1], [5], [1], [1], [-1]]),
        ...prove(inst, "size", [[]]),
      ];
      await expectFixtures(p, fx, "grow");
    });

    it("memory.fill, memory.copy (both directions, overlapping), memory.init, data.drop as per-step sequences", async () => {
      const p = await loadFixture(deployProvers);
      const inst = await instanceOf(MEM);
      const fx = [
        ...prove(inst, "fill", [
          [5, 0x1ab, 100],
          [0, 7, 0],
          [65530, 1, 6],
          [65530, 1, 7],
          [31, 0xff, 2],
        ]),
        ...prove(inst, "copy", [
          [40, 5, 90],
          [5, 40, 90],
          [3, 3, 10],
          [100, 99, 70],
          [99, 100, 70],
          [0, 65500, 37],
          [65500, 0, 37],
          [0, 0, 0],
        ]),
        ...prove(inst, "init", [
          [7, 3, 60],
          [33, 0, 79],
          [0, 79, 0],
          [0, 70, 10],
          [65530, 0, 7],
        ]),
        ...prove(inst, "init_e", [
          [0, 0, 3],
          [0, 1, 3],
        ]),
        ...prove(inst, "drop", [[]]),
        ...prove(inst, "init", [
          [0, 0, 0],
          [0, 0, 1],
        ]),
      ];
      await expectFixtures(p, fx, "bulk");
      for (const name of ["memory.fill", "memory.copy", "memory.init", "data.drop"]) {
        expect(opcodes(fx), name).to.include(OPCODE[name]);
      }
    });
  });

  describe("control", () => {
    const CTRL = `(module
      (global $g (mut i32) (i32.const 7))
      (global $h (mut i64) (i64.const -3))
      (global $c i32 (i32.const 99))
      (table 6 funcref)
      (elem (i32.const 1) $sq $add $three)
      (type $un (func (param i32) (result i32)))
      (type $bin (func (param i32 i32) (result i32)))
      (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
      (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (func $three (param i32) (result i32 i32 i32) (local.get 0) (local.get 0) (local.get 0))
      (func (export "indirect") (param i32) (result i32) (call_indirect (type $un) (i32.const 6) (local.get 0)))
      (func (export "br_table") (param i32) (result i32)
        (block $c (block $b (block $a
          (br_table $a $b $c $b (local.get 0)))
          (return (i32.const 10)))
          (return (i32.const 20)))
        (i32.const 30))
      (func (export "br_carry") (param i32) (result i32)
        (block $out (result i32)
          (i32.const 1) (i32.const 2) (drop) (drop)
          (i32.const 5) (i32.const 6) (i32.const 7)
          (br_if $out (local.get 0))
          (drop) (drop)))
      (func (export "multi") (param i32) (result i32)
        (call $three (local.get 0)) (i32.add) (i32.add))
      (func (export "select") (param i32 i64 i64) (result i64)
        (select (local.get 1) (local.get 2) (local.get 0)))
      (func (export "locals") (param i32 i64) (result i64)
        (local i32 i64 i32 i32 i32 i32 i32 i32 i32)
        (local.set 2 (local.tee 4 (local.get 0)))
        (local.set 3 (i64.add (local.get 1) (i64.extend_i32_u (local.get 2))))
        (local.set 10 (i32.const -1))
        (global.set $g (i32.add (global.get $g) (local.get 10)))
        (global.set $h (i64.mul (global.get $h) (local.get 3)))
        (i64.add (global.get $h) (i64.extend_i32_s (i32.add (global.get $c) (local.get 4)))))
      (func $rec (export "rec") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
      (func $forever (export "forever") (param i32) (result i32) (call $forever (local.get 0)))
      (func $deep (export "deep") (param i32) (result i32)
        (i32.add (i32.const 1) (i32.add (i32.const 2) (i32.add (i32.const 3) (i32.add (i32.const 4)
          (i32.add (i32.const 5) (call $deep (local.get 0))))))))
      (func (export "brif") (param i32) (result i32)
        (block $b (br_if $b (local.get 0)) (return (i32.const 1)))
        (i32.const 2))
      (func (export "trap") (unreachable)))`;

    it("call_indirect: success, type mismatch, null entry, out of range", async () => {
      const p = await loadFixture(deployProvers);
      const inst = await instanceOf(CTRL);
      const fx = prove(inst, "indirect", [[1], [2], [0], [4], [5], [6], [-1]]);
      const errors = new Set(fx.map((f) => f.postStateHash));
      expect(errors.size).to.be.greaterThan(3);
      await expectFixtures(p, fx, "call_indirect");
      const m = inst.machine;
      for (const [i, code] of [
        [2, ERROR_CODE.IndirectCallTypeMismatch],
        [0, ERROR_CODE.NullFunction],
        [6, ERROR_CODE.TableOutOfBounds],
      ]) {
        inst.beginInvoke(inst.exportedFunc("indirect")!, [i]);
        m.run();
        expect(m.error).to.equal(code);
      }
    });

    it("br_table, branches carrying values (drop_under), multi-value returns, select, locals and globals", async () => {
      const p = await loadFixture(deployProvers);
      const inst = await instanceOf(CTRL);
      const fx = [
        ...prove(inst, "br_table", [[0], [1], [2], [3], [4], [-1]]),
        ...prove(inst, "br_carry", [[0], [1]]),
        ...prove(inst, "multi", [[3]]),
        ...prove(inst, "select", [
          [0, 1n, 2n],
          [1, 1n, 2n],
          [-1, -5n, 9n],
        ]),
        ...prove(inst, "locals", [
          [3, 4n],
          [-1, -1n],
        ]),
        ...prove(inst, "rec", [[5]]),
        ...prove(inst, "trap", [[]]),
        ...prove(inst, "brif", [[0], [1]]),
      ];
      await expectFixtures(p, fx, "control");
      for (const name of [
        "br_table",
        "drop_under",
        "select",
        "local.get",
        "local.set",
        "local.tee",
        "global.get",
        "global.set",
        "call",
        "return",
        "jump",
        "jump_if",
        "jump_unless",
        "drop",
        "unreachable",
      ]) {
        expect(opcodes(fx), name).to.include(OPCODE[name]);
      }
    });

    it("call stack exhaustion and value stack exhaustion (the last steps of each run)", async () => {
      const p = await loadFixture(deployProvers);
      const inst = await instanceOf(CTRL);
      const m = inst.machine;
      const fx: StepFixture[] = [];
      for (const [name, code] of [
        ["forever", ERROR_CODE.CallStackExhausted],
        ["deep", ERROR_CODE.ValueStackExhausted],
      ] as const) {
        const r = inst.invoke(name, [1]);
        expect(r.error).to.equal(code);
        inst.beginInvoke(inst.exportedFunc(name)!, [1]);
        m.run(r.steps - 12);
        fx.push(...runFixtures(m, 2));
        expect(m.error).to.equal(code);
      }
      await expectFixtures(p, fx, "exhaustion");
    });
  });

  describe("the machine", () => {
    it("running out of steps, and the no-op steps of halted and errored machines", async () => {
      const p = await loadFixture(deployProvers);
      const inst = await instanceOf(`(module (memory 1)
        (global $g (mut i32) (i32.const 1))
        (func (export "f") (param i32) (result i32)
          (global.set $g (i32.const 5)) (i32.store (i32.const 0) (i32.const 9))
          (i32.add (local.get 0) (i32.const 1))))`);
      const fx: StepFixture[] = [];
      for (const limit of [0, 1, 2, 3, 4, 5, 8, 9, 10, 20]) {
        inst.beginInvoke(inst.exportedFunc("f")!, [1], limit);
        fx.push(...runFixtures(inst.machine, 3));
        inst.finish();
      }
      expect(fx.some((f) => f.status === STATUS.Halted)).to.equal(true);
      expect(fx.some((f) => f.status === STATUS.Errored)).to.equal(true);
      await expectFixtures(p, fx, "limits");
    });
  });

  describe("host I/O", () => {
    it("msg_len, msg_read, output, send, spawn and host traps", async () => {
      const p = await loadFixture(deployProvers);
      const proc = Process.fromWasm(await wat(ECHO_PROCESS), { memoryLimitPages: 4 });
      const fx: StepFixture[] = [];
      for (const data of ["echo: hello, holoproof! " + "x".repeat(100), "t", "g", "gg", "l", "r", ""]) {
        proc.beginMessage(message(data), {
          stepLimit: data === "l" ? 200 : data === "r" ? 100_000 : 1_000_000,
        });
        const m = proc.machine;
        if (data === "r") m.run(m.stepLimit - 30);
        fx.push(...runFixtures(m, 1));
        proc.settle(proc.machine.stateHash());
      }
      await expectFixtures(p, fx, "host");
      for (const name of ["msg_len", "msg_read", "emit_begin", "emit_chunk"]) {
        expect(opcodes(fx), name).to.include(OPCODE[name]);
      }
    });

    it("msg_read out of bounds and into memory out of bounds", async () => {
      const p = await loadFixture(deployProvers);
      const proc = Process.fromWasm(
        await wat(`(module
          (import "holo" "msg_read" (func $msg_read (param i32 i32 i32)))
          (import "holo" "msg_len" (func $msg_len (result i32)))
          (import "holo" "output" (func $output (param i32 i32)))
          (memory 1)
          (func (export "handle")
            (local $n i32) (local.set $n (call $msg_len))
            (if (i32.eq (i32.load8_u (i32.const 65535)) (i32.const 0)) (then
              (i32.store8 (i32.const 65535) (i32.const 1))
              (call $output (i32.const 65500) (i32.const 36))
              (call $msg_read (i32.const 65530) (i32.const 0) (i32.const 7))))
            (call $msg_read (i32.const 0) (i32.const 1) (local.get $n))))`),
      );
      const fx: StepFixture[] = [];
      for (let k = 0; k < 2; k++) {
        proc.beginMessage(message("abc"));
        fx.push(...runFixtures(proc.machine, 1));
        proc.settle(proc.machine.stateHash());
      }
      expect(fx.at(-1)!.status).to.equal(STATUS.Errored);
      await expectFixtures(p, fx, "msg oob");
    });

    it("a msg_read step of a 64 KiB message", async () => {
      const p = await loadFixture(deployProvers);
      const proc = Process.fromWasm(
        await wat(`(module
          (import "holo" "msg_read" (func $msg_read (param i32 i32 i32)))
          (import "holo" "msg_len" (func $msg_len (result i32)))
          (memory 2)
          (func (export "handle") (call $msg_read (i32.const 5) (i32.const 0) (call $msg_len))))`),
      );
      const big = message(new Uint8Array(65536 - 127).fill(0x61));
      expect(big.length).to.equal(65536);
      proc.beginMessage(big);
      const m = proc.machine;
      const fx: StepFixture[] = [];
      while (fx.length < 40) {
        const f = fixtureOf(m);
        if (f.opcode === OPCODE["msg_read"]) fx.push(f);
        if (m.status !== STATUS.Running) break;
      }
      expect(fx[0].proof.length).to.be.greaterThan(65536);
      expect(verifyTs(fx[0].preStateHash, fx[0].proof)).to.equal(fx[0].postStateHash);
      await expectFixtures(p, fx.slice(0, 3), "64 KiB message");
    });
  });
});
