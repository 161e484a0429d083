/**
 * Gas of the one-step prover: the transaction cost of one proof, measured as `eth_estimateGas` of the
 * view call `OneStepProofEntry.proveStep(ctx, preStateHash, proof)` sent as a transaction (21,000
 * intrinsic gas + calldata + execution, including the call from the entry into the class prover).
 * A game contract calling the entry inside its own transaction pays the same execution and calldata
 * costs, minus nothing for the storage of the result (which a game does anyway).
 *
 * Fixtures: every step of a program that exercises every class (math, control with calls, locals,
 * globals and `call_indirect`, memory with loads, stores, bulk memory and `memory.init`), every step of
 * a process message that uses the host ABI (msg_len, msg_read, output, send, spawn), a trap step, an
 * out-of-steps step and a halted no-op step; separately, a `msg_read` step carrying a 64 KiB message.
 *
 * Run: `npx hardhat run bench/gas-osp.ts`. Merges the key `oneStepProver` into bench/results/gas.json
 * (read-modify-write: the other keys are kept). GAS_CHECK=true compares with the committed figures.
 */
import fs from "node:fs";
import path from "node:path";

import { ethers, network } from "hardhat";

import { instanceOf, wat } from "../test/machine/helpers";
import { ECHO_PROCESS, message } from "../test/machine/fixtures/echo";
import { Process } from "../machine/process";
import { OPCODE_TABLE, STATUS } from "../machine/spec";
import {
  collectGarbage,
  contextOf,
  deployProvers,
  fixtureOf,
  runFixtures,
  type StepFixture,
} from "../test/osp/helpers";

const RESULTS = path.join(__dirname, "results", "gas.json");

const PROGRAM = `(module
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
  (func $fac (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "main") (param i32) (result i32)
    (local i32 i64)
    (i32.store offset=3 (i32.const 30) (i32.const 0x11223344))
    (i64.store (i32.const 61) (i64.const 0x0102030405060708))
    (memory.init $d (i32.const 200) (i32.const 3) (i32.const 20))
    (memory.fill (i32.const 100) (i32.const 0xab) (i32.const 70))
    (memory.copy (i32.const 90) (i32.const 100) (i32.const 50))
    (memory.copy (i32.const 120) (i32.const 60) (i32.const 40))
    (global.set $g (i32.add (global.get $g) (i32.load offset=3 (i32.const 30))))
    (global.set $h (call $fac (i64.const 5)))
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
        (i32.div_s (call_indirect (type $bin) (i32.const 2) (global.get $g) (i32.const 2)) (local.get 0)))))
)`;

const CLASS_OF = new Map(OPCODE_TABLE.map((o) => [o.opcode, o.class]));
const NAME_OF = new Map(OPCODE_TABLE.map((o) => [o.opcode, o.name]));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : Math.round((s[mid - 1] + s[mid]) / 2);
}

function what(f: StepFixture): string {
  if (f.opcode !== undefined) return NAME_OF.get(f.opcode) ?? `0x${f.opcode.toString(16)}`;
  return f.status === STATUS.Running ? "out of steps" : "no-op (stopped)";
}

async function main(): Promise<void> {
  if (network.name !== "hardhat")
    throw new Error(`run on the in-process hardhat network, not ${network.name}`);
  const p = await deployProvers();

  const fixtures: StepFixture[] = [];
  const inst = await instanceOf(PROGRAM);
  for (const [arg, limit] of [
    [5, 100_000],
    [0, 100_000], // i32.div_s by zero: a trap step
    [5, 40], // out of steps
  ]) {
    inst.beginInvoke(inst.exportedFunc("main")!, [arg], limit);
    fixtures.push(...runFixtures(inst.machine, 1));
    inst.finish();
  }
  const proc = Process.fromWasm(await wat(ECHO_PROCESS), { memoryLimitPages: 4 });
  proc.beginMessage(message("echo: " + "x".repeat(90)));
  fixtures.push(...runFixtures(proc.machine, 1));
  proc.settle(proc.machine.stateHash());

  const gas: number[] = [];
  const perClass = new Map<string, number[]>();
  const sizes: number[] = [];
  let max = { gas: 0, what: "", proofBytes: 0 };
  for (const f of fixtures) {
    const g = Number(await p.entry.proveStep.estimateGas(contextOf(f.proof), f.preStateHash, f.proof));
    gas.push(g);
    sizes.push(f.proof.length);
    const cls = f.opcode === undefined ? "none" : (CLASS_OF.get(f.opcode) ?? "?");
    perClass.set(cls, [...(perClass.get(cls) ?? []), g]);
    if (g > max.gas) max = { gas: g, what: what(f), proofBytes: f.proof.length };
    if (gas.length % 50 === 0) collectGarbage();
  }

  // A msg_read step carrying a 64 KiB message (the largest proof there is).
  const reader = Process.fromWasm(
    await wat(`(module
      (import "holo" "msg_read" (func $msg_read (param i32 i32 i32)))
      (import "holo" "msg_len" (func $msg_len (result i32)))
      (memory 2)
      (func (export "handle") (call $msg_read (i32.const 5) (i32.const 0) (call $msg_len))))`),
  );
  const big = message(new Uint8Array(65536 - 127).fill(0x61));
  reader.beginMessage(big);
  let read = fixtureOf(reader.machine);
  while (read.opcode !== OPCODE_TABLE.find((o) => o.name === "msg_read")!.opcode)
    read = fixtureOf(reader.machine);
  const msgReadGas = Number(
    await p.entry.proveStep.estimateGas(contextOf(read.proof), read.preStateHash, read.proof),
  );

  const classes: Record<string, { median: number; max: number; samples: number }> = {};
  for (const [k, v] of [...perClass.entries()].sort())
    classes[k] = { median: median(v), max: Math.max(...v), samples: v.length };
  const result = {
    method:
      "eth_estimateGas of OneStepProofEntry.proveStep (transaction cost: 21,000 + calldata + execution)",
    oneStepMedian: median(gas),
    oneStepMax: max.gas,
    oneStepMaxInstruction: max.what,
    oneStepMaxProofBytes: max.proofBytes,
    samples: gas.length,
    perClass: classes,
    proofBytesMedian: median(sizes),
    proofBytesMax: Math.max(...sizes),
    msgRead64KiB: { gas: msgReadGas, proofBytes: read.proof.length, messageBytes: big.length },
  };

  const previous = fs.existsSync(RESULTS) ? JSON.parse(fs.readFileSync(RESULTS, "utf8")) : {};
  if (process.env.GAS_CHECK === "true") {
    const before = JSON.stringify(previous.oneStepProver ?? null, null, 2);
    const now = JSON.stringify(result, null, 2);
    if (before !== now) {
      console.error(`one-step prover gas differs from ${RESULTS}:\ncommitted: ${before}\nmeasured: ${now}`);
      process.exitCode = 1;
    } else console.log(`one-step prover gas matches ${path.relative(process.cwd(), RESULTS)}`);
    return;
  }
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, JSON.stringify({ ...previous, oneStepProver: result }, null, 2) + "\n");
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), RESULTS)} (key oneStepProver)`);
  void ethers;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
