/**
 * Fast-mode benchmark, merged into bench/results/machine.json (read-modify-write: other keys belong to
 * other benchmarks). Medians of REPS repetitions, interleaved so both sides see the same machine state.
 * - `fastVsNative`: fast-mode speed / speed of the same module under V8's own WebAssembly with no
 *   metering (JS host functions, no snapshot, no result hash), on a compute-heavy message: the bench
 *   process's `Hash-Chain` (build/processes/bench.wasm), or an own WAT hash loop if that is missing.
 * - `tokenMsgsPerSec`: token `Transfer` messages per second in fast mode (pre-encoded messages; the
 *   process decodes them; the result hash is computed), if build/processes/token.wasm exists.
 * - `tokenMsPerMsgHashEvery1` / `tokenMsPerMsgHashEvery64`: ms per token Transfer when the process-state hash
 *   is taken after every message or after every 64th (the compute unit's cadence question, issue 7).
 * - `tokenStepMsgsPerSec`: the same messages in step mode (`Process.handleMessage`), for comparison;
 *   `tokenNativeMsgsPerSec`: under V8 with no metering (the ceiling for this process).
 *
 *   npx ts-node --transpile-only bench/fast.ts
 */
import fs from "node:fs";
import path from "node:path";
import { FastProcess } from "../machine/fast";
import { Process, encodeMessage, type Message } from "../machine/process";
import { Wasm, type WasmMemory } from "../machine/fast/wasm-api";

const REPS = 5;
const ROOT = path.join(__dirname, "..");
const BUILD = path.join(ROOT, "build", "processes");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function msg(from: number, tags: { name: string; value: string }[], slot: bigint): Uint8Array {
  const m: Message = {
    id: new Uint8Array(32).fill(7),
    from: new Uint8Array(32).map((_, i) => (i === 31 ? from : 0)),
    target: new Uint8Array(32).fill(9),
    slot,
    timestamp: 1700000000000n,
    blockHeight: 1n,
    tags,
    data: new Uint8Array(0),
  };
  return encodeMessage(m);
}

/** The module under V8 with no metering: plain host functions over its own memory. */
function nativeRunner(wasm: Uint8Array): (message: Uint8Array) => void {
  let msgBytes: Uint8Array = new Uint8Array(0);
  const box: { mem?: WasmMemory } = {};
  const u8 = (): Uint8Array => new Uint8Array(box.mem!.buffer);
  const items: Uint8Array[] = [];
  const emit = (ptr: number, len: number): void => {
    items.push(u8().slice(ptr >>> 0, (ptr >>> 0) + (len >>> 0)));
  };
  const inst = new Wasm.Instance(new Wasm.Module(wasm), {
    holo: {
      msg_len: () => msgBytes.length,
      msg_read: (dst: number, off: number, len: number) => {
        if ((off >>> 0) + (len >>> 0) > msgBytes.length) throw new Error("msg_read out of bounds");
        u8().set(msgBytes.subarray(off >>> 0, (off >>> 0) + (len >>> 0)), dst >>> 0);
      },
      output: emit,
      send: emit,
      spawn: emit,
    },
  });
  const ex = inst.exports as { handle: () => void };
  box.mem = Object.values(inst.exports).find(
    (e) => e instanceof (Wasm.Memory as unknown as typeof Object),
  ) as WasmMemory | undefined;
  return (message) => {
    msgBytes = message;
    items.length = 0;
    ex.handle();
  };
}

const OWN_WAT_NOTE = "own WAT module (build/processes/bench.wasm missing)";

function time(f: () => void): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function fastVsNative(): Record<string, unknown> {
  const file = path.join(BUILD, "bench.wasm");
  if (!fs.existsSync(file)) return { fastVsNativeModule: OWN_WAT_NOTE, fastVsNative: null };
  const wasm = new Uint8Array(fs.readFileSync(file));
  const iterations = 20000;
  const m = msg(
    1,
    [
      { name: "Action", value: "Hash-Chain" },
      { name: "Iterations", value: String(iterations) },
    ],
    1n,
  );
  const native = nativeRunner(wasm);
  const fast = FastProcess.create(wasm);
  fast.evaluate(msg(1, [], 0n));
  native(msg(1, [], 0n));
  // Warm-up (tier-up of both compiled modules).
  for (let i = 0; i < 2; i++) {
    native(m);
    fast.evaluate(m);
  }
  const tn: number[] = [];
  const tf: number[] = [];
  let steps = 0;
  for (let r = 0; r < REPS; r++) {
    tn.push(time(() => native(m)));
    tf.push(
      time(() => {
        const o = fast.evaluate(m);
        if (o.error !== 0 || o.path !== "fast") throw new Error(`bench message: ${o.error} via ${o.path}`);
        steps = o.steps;
      }),
    );
  }
  const n = median(tn);
  const f = median(tf);
  return {
    fastVsNative: Number((n / f).toFixed(3)),
    fastVsNativeModule: `build/processes/bench.wasm Hash-Chain Iterations=${iterations}`,
    fastHashChainSec: Number(f.toFixed(4)),
    nativeHashChainSec: Number(n.toFixed(4)),
    fastHashChainSteps: steps,
    fastStepsPerSec: Math.round(steps / f),
  };
}

function tokenBench(): Record<string, unknown> {
  const file = path.join(BUILD, "token.wasm");
  if (!fs.existsSync(file)) return { tokenMsgsPerSec: null, tokenNote: "build/processes/token.wasm missing" };
  const wasm = new Uint8Array(fs.readFileSync(file));
  const N = 5000;
  const transfers: Uint8Array[] = [];
  for (let i = 0; i < N; i++) {
    transfers.push(
      msg(
        1,
        [
          { name: "Action", value: "Transfer" },
          { name: "Recipient", value: "0x" + ((i % 50) + 2).toString(16).padStart(40, "0") },
          { name: "Quantity", value: String(1 + (i % 7)) },
        ],
        BigInt(i + 1),
      ),
    );
  }
  const spawn = msg(1, [], 0n);
  const fast = FastProcess.create(wasm);
  fast.evaluate(spawn);
  for (let i = 0; i < 500; i++) fast.evaluate(transfers[i]); // warm-up
  const rates: number[] = [];
  let steps = 0;
  for (let r = 0; r < REPS; r++) {
    const t = time(() => {
      for (const m of transfers) {
        const o = fast.evaluate(m);
        if (o.error !== 0) throw new Error(`transfer failed: ${o.error}`);
        steps += o.steps;
      }
    });
    rates.push(N / t);
  }
  const stats = { ...fast.stats };
  // The same messages under V8 with no metering (a fresh instance, same spawn message first).
  const native = nativeRunner(wasm);
  native(spawn);
  const nativeRates: number[] = [];
  for (let r = 0; r < REPS; r++) nativeRates.push(N / time(() => transfers.forEach((m) => native(m))));
  const hashT = time(() => fast.processStateHash());
  // What the process-state hash costs per message when it is taken after every message (as the compute
  // unit does today) or once per 64 (a page of its log), interleaved on the same process.
  const cadence: Record<number, number[]> = { 1: [], 64: [] };
  for (let r = 0; r < REPS; r++) {
    for (const every of [1, 64]) {
      const n = 1024;
      const t = time(() => {
        for (let i = 0; i < n; i++) {
          fast.evaluate(transfers[i]);
          if ((i + 1) % every === 0) fast.processStateHash();
        }
      });
      cadence[every].push((t * 1000) / n);
    }
  }

  const stepN = 300;
  const step = Process.fromWasm(wasm);
  step.handleMessage(spawn);
  const stepRates: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t = time(() => {
      for (let i = 0; i < stepN; i++) step.handleMessage(transfers[i]);
    });
    stepRates.push(stepN / t);
  }
  const fastRate = median(rates);
  const stepRate = median(stepRates);
  return {
    tokenMsgsPerSec: Math.round(fastRate),
    tokenStepMsgsPerSec: Math.round(stepRate),
    tokenNativeMsgsPerSec: Math.round(median(nativeRates)),
    tokenFastOverStep: Number((fastRate / stepRate).toFixed(1)),
    tokenStepsPerMsg: Math.round(steps / (N * REPS)),
    tokenFastPaths: stats,
    tokenProcessStateHashMs: Number((hashT * 1000).toFixed(2)),
    tokenMsPerMsgHashEvery1: Number(median(cadence[1]).toFixed(3)),
    tokenMsPerMsgHashEvery64: Number(median(cadence[64]).toFixed(3)),
  };
}

function main(): void {
  const a = fastVsNative();
  const b = tokenBench();
  const result = {
    ...a,
    ...b,
    fastBench: {
      date: new Date().toISOString(),
      node: process.version,
      repetitions: REPS,
      notes:
        "medians; fastVsNative = native time / fast time on one Hash-Chain message (same process state " +
        "kind, interleaved); token: pre-encoded Transfer messages, fast mode evaluate() incl. result hash, " +
        "no process-state hash per message (tokenProcessStateHashMs is one hash after all of them); step " +
        "mode = Process.handleMessage (start/final state hashed) on 300 of the same messages; " +
        "tokenMsPerMsgHashEvery1/64: ms per Transfer with the process-state hash after every message or every 64th",
    },
  };
  console.log(JSON.stringify(result, null, 2));
  const out = path.join(__dirname, "results", "machine.json");
  const prev = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, "utf8")) : {};
  fs.writeFileSync(out, JSON.stringify({ ...prev, ...result }, null, 2) + "\n");
}

main();
