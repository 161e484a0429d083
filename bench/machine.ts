/**
 * Machine benchmark, merged into bench/results/machine.json (read-modify-write: the file's other keys
 * belong to other benchmarks):
 * - `stepPerSec`: the step-mode interpreter on a loop mixing arithmetic, locals, memory and calls, with a
 *   state hash every 2^20 steps;
 * - `proveStepPerSec`, `verifyStepPerSec`, `avgProofBytes`: one-step proofs on the same loop;
 * - `asMessagesPerSec`, `asStepPerSec`: whole messages (start and final state hashed) through the
 *   AssemblyScript counter example process (build/processes/counter.wasm) in step mode.
 *
 *   npx ts-node --transpile-only bench/machine.ts [steps]
 */
import fs from "node:fs";
import path from "node:path";
import { loadWasm } from "../machine/wasm";
import { Instance } from "../machine/process/instance";
import { STATUS } from "../machine/spec";
import { proveStep, verifyStep } from "../machine/proof";
import { Process, encodeMessage } from "../machine/process";

/** The counter example process, built by `npm run build:processes` (an AssemblyScript process). */
const COUNTER_WASM = path.join(__dirname, "..", "build", "processes", "counter.wasm");

/** Messages per second through the counter process in step mode (start and final state hashed). */
function assemblyScriptBench(): { messagesPerSec: number; stepPerSec: number; messages: number } {
  if (!fs.existsSync(COUNTER_WASM)) {
    throw new Error(`${COUNTER_WASM} is missing: run \`npm run build:processes\` first`);
  }
  const p = Process.fromWasm(new Uint8Array(fs.readFileSync(COUNTER_WASM)), { memoryLimitPages: 256 });
  const from = new Uint8Array(32);
  from[31] = 1;
  const msg = (i: number): Uint8Array =>
    encodeMessage({
      id: new Uint8Array(32),
      from,
      target: new Uint8Array(32),
      slot: BigInt(i),
      timestamp: 0n,
      blockHeight: 0n,
      tags: [
        { name: "Action", value: i % 3 === 2 ? "Decrement" : "Increment" },
        { name: "By", value: String(1 + (i % 5)) },
      ],
      data: new Uint8Array(0),
    });
  for (let i = 0; i < 200; i++) p.handleMessage(msg(i));
  const messages = 2000;
  let steps = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < messages; i++) {
    const out = p.handleMessage(msg(i));
    if (!out.result.ok) throw new Error(`counter message ${i} failed: ${out.result.errorName}`);
    steps += out.steps;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { messagesPerSec: Math.round(messages / secs), stepPerSec: Math.round(steps / secs), messages };
}

// wabt is CommonJS with an async factory.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const wabtFactory = require("wabt") as () => Promise<{
  parseWat(n: string, s: string): { toBinary(o: object): { buffer: Uint8Array } };
}>;

const PROGRAM = `
(module
  (memory 4)
  (func $mix (param i32 i32) (result i32)
    (i32.xor (i32.rotl (local.get 0) (i32.const 5)) (local.get 1)))
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $acc i32) (local $wide i64)
    (loop $l
      (local.set $acc (call $mix (local.get $acc) (local.get $i)))
      (i32.store (i32.and (i32.shl (local.get $i) (i32.const 2)) (i32.const 0x3fffc)) (local.get $acc))
      (local.set $wide (i64.add (local.get $wide)
        (i64.extend_i32_u (i32.load (i32.and (i32.mul (local.get $i) (i32.const 12)) (i32.const 0x3fffc))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i64.add (local.get $wide) (i64.extend_i32_u (local.get $acc)))))`;

const HASH_EVERY = 2 ** 20;
/** Repetitions of the step-mode measurement; the median is reported. */
const REPETITIONS = 5;

async function main(): Promise<void> {
  const target = Number(process.argv[2] ?? 2 ** 23);
  const wabt = await wabtFactory();
  const bytes = new Uint8Array(wabt.parseWat("bench.wat", PROGRAM).toBinary({}).buffer);
  const module = loadWasm(bytes);
  // One measurement: a fresh invocation run for `target` steps, hashing the state every 2^20 steps.
  const measureOnce = () => {
    const inst = new Instance(module);
    inst.beginInvoke(inst.exportedFunc("run")!, [0x7fffffff]);
    const machine = inst.machine;
    machine.run(200_000); // warm-up
    machine.stateHash();
    const t0 = process.hrtime.bigint();
    let steps = 0;
    let hashes = 0;
    while (steps < target && machine.status === STATUS.Running) {
      steps += machine.run(HASH_EVERY);
      machine.stateHash();
      hashes++;
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    return { machine, steps, hashes, secs, rate: steps / secs };
  };
  const runs = Array.from({ length: REPETITIONS }, measureOnce).sort((a, b) => a.rate - b.rate);
  const med = runs[runs.length >> 1];
  const { machine: m, steps, hashes, secs } = med;
  const stepPerSec = Math.round(med.rate);

  // One-step proofs: generate (with the pre-state hash each needs) and verify, on the same loop.
  const proofs: { pre: Uint8Array; proof: Uint8Array }[] = [];
  const PROOFS = 3000;
  const p0 = process.hrtime.bigint();
  for (let i = 0; i < PROOFS; i++) proofs.push({ pre: m.stateHash(), proof: proveStep(m) });
  const proveSecs = Number(process.hrtime.bigint() - p0) / 1e9;
  const v0 = process.hrtime.bigint();
  for (const p of proofs) verifyStep(p.pre, p.proof);
  const verifySecs = Number(process.hrtime.bigint() - v0) / 1e9;
  const avgProofBytes = Math.round(proofs.reduce((n, p) => n + p.proof.length, 0) / PROOFS);
  const as = assemblyScriptBench();
  // Decoding a large module (≈ 1.6 MB, 200 functions of 800 instructions), median of REPETITIONS after a
  // warm-up (was an assertion in test/machine/wasm/decode.test.ts; timings belong here).
  let block = "";
  for (let i = 0; i < 400; i++) {
    block += `(local.set 0 (i32.add (local.get 0) (i32.mul (local.get 1) (i32.const ${i * 12345}))))
      (if (i32.eqz (local.get 0)) (then (br 1)))\n`;
  }
  let fns = "";
  for (let f = 0; f < 200; f++) fns += `(func (param i32 i32) (result i32) (block ${block}) (local.get 0))\n`;
  const big = new Uint8Array(wabt.parseWat("big.wat", `(module (memory 1) ${fns})`).toBinary({}).buffer);
  loadWasm(big);
  const decodeMs = Array.from({ length: REPETITIONS }, () => {
    const t = process.hrtime.bigint();
    loadWasm(big);
    return Number(process.hrtime.bigint() - t) / 1e6;
  }).sort((a, b) => a - b)[REPETITIONS >> 1];
  const result = {
    decodeLargeModuleBytes: big.length,
    decodeLargeModuleMs: Number(decodeMs.toFixed(1)),
    stepPerSec,
    stepPerSecSteps: steps,
    stepPerSecSeconds: Number(secs.toFixed(3)),
    stepPerSecHashEvery: HASH_EVERY,
    stepPerSecRepetitions: REPETITIONS,
    stepPerSecMin: Math.round(runs[0].rate),
    stepPerSecMax: Math.round(runs[runs.length - 1].rate),
    stepPerSecMeasuredAt: new Date().toISOString(),
    proveStepPerSec: Math.round(PROOFS / proveSecs),
    verifyStepPerSec: Math.round(PROOFS / verifySecs),
    avgProofBytes,
    asMessagesPerSec: as.messagesPerSec,
    asStepPerSec: as.stepPerSec,
  };
  const file = path.join(__dirname, "results", "machine.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let prev: Record<string, unknown> = {};
  try {
    prev = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    prev = {};
  }
  fs.writeFileSync(file, JSON.stringify({ ...prev, ...result }, null, 2) + "\n");
  console.log(`stepPerSec ${stepPerSec} (${steps} steps in ${secs.toFixed(2)} s, ${hashes} state hashes)`);
  console.log(
    `AssemblyScript process: ${as.messagesPerSec} messages/s, ${as.stepPerSec} steps/s (${as.messages} messages)`,
  );
  console.log(
    `proveStepPerSec ${result.proveStepPerSec}, verifyStepPerSec ${result.verifyStepPerSec}, avgProofBytes ${avgProofBytes}`,
  );
}

void main();
