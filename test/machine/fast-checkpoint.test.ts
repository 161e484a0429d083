/**
 * FastProcess checkpoints: `checkpoint()` then `FastProcess.restore()` gives a process with the same
 * process-state hash that behaves identically afterwards — checked differentially against a process that
 * never checkpointed, on every WAT program of the fast-mode tests and on the example processes.
 */
import { expect } from "chai";

import { FastProcess } from "../../machine/fast";
import { CheckpointError } from "../../machine/fast/process";
import { encodeMessage } from "../../machine/process";
import { processWasm } from "../sdk/helpers";
import { dataMessage, wat } from "./fast/helpers";
import { PROGRAMS } from "./fast/programs";

const LIMIT = 2_000_000;

/** A deterministic pseudo-random message stream (16 parameter bytes each). */
function messages(seed: number, n: number): Uint8Array[] {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return Array.from({ length: n }, () => {
    const data = new Uint8Array(16);
    for (let i = 0; i < 16; i += 4) new DataView(data.buffer).setUint32(i, next(), true);
    return dataMessage(data);
  });
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** Runs `msgs` on `p`; returns every outcome's comparable fields and the state hash after it. */
function run(p: FastProcess, msgs: readonly Uint8Array[]) {
  return msgs.map((m) => {
    const o = p.evaluate(m, LIMIT);
    return {
      steps: o.steps,
      status: o.status,
      error: o.error,
      result: hex(o.resultHash),
      state: hex(p.processStateHash()),
    };
  });
}

describe("machine/fast: FastProcess checkpoints", function () {
  this.timeout(120_000);

  for (const [name, src] of Object.entries(PROGRAMS)) {
    it(`${name}: a restored process equals one that never checkpointed, at every cut`, async function () {
      const wasm = await wat(src);
      const opts = { memoryLimitPages: 8 };
      const msgs = messages(name.length * 7919, 40);
      const reference = FastProcess.create(wasm, opts);
      const expected = run(reference, msgs);
      // the stream does change the state (and some messages halt, some trap)
      expect(new Set(expected.map((e) => e.state)).size, name).to.be.greaterThan(3);
      expect(new Set(expected.map((e) => e.status)).size, name).to.equal(2);
      for (const cut of [0, 1, 7, 20, 39]) {
        const p = FastProcess.create(wasm, opts);
        run(p, msgs.slice(0, cut));
        const bytes = p.checkpoint();
        const restored = FastProcess.restore(wasm, opts, bytes);
        expect(hex(restored.processStateHash())).to.equal(hex(p.processStateHash()));
        expect(hex(restored.memoryBytes())).to.equal(hex(p.memoryBytes()));
        expect(restored.allGlobals()).to.deep.equal(p.allGlobals());
        // the checkpoint of the restored process is the same bytes
        expect(hex(restored.checkpoint())).to.equal(hex(bytes));
        expect(run(restored, msgs.slice(cut)), `${name} cut ${cut}`).to.deep.equal(expected.slice(cut));
      }
    });
  }

  it("counter and token: restored processes agree with uninterrupted ones on real messages", function () {
    for (const name of ["counter", "token"]) {
      const wasm = processWasm(name);
      const opts = { memoryLimitPages: 64 };
      const msgs = Array.from({ length: 12 }, (_, i) =>
        encodeMessage({
          id: new Uint8Array(32).fill(i + 1),
          from: new Uint8Array(32).fill(2),
          target: new Uint8Array(32).fill(3),
          slot: BigInt(i),
          timestamp: 1_700_000_000_000n + BigInt(i),
          blockHeight: 1_000n,
          tags: [
            { name: "Action", value: ["Increment", "Get", "Mint", "Balance"][i % 4] },
            { name: "Quantity", value: String(i * 10) },
          ],
          data: new TextEncoder().encode(`m${i}`),
        }),
      );
      const reference = FastProcess.create(wasm, opts);
      const expected = run(reference, msgs);
      const p = FastProcess.create(wasm, opts);
      run(p, msgs.slice(0, 5));
      const restored = FastProcess.restore(wasm, opts, p.checkpoint());
      expect(run(restored, msgs.slice(5)), name).to.deep.equal(expected.slice(5));
    }
  });

  it("a module without a handle: restored with the same state hash, answering NoHandle alike", async function () {
    const wasm = await wat(
      `(module (memory 1 2) (data (i32.const 8) "holo") (global (mut i32) (i32.const 5)))`,
    );
    const p = FastProcess.create(wasm, { memoryLimitPages: 2 });
    const restored = FastProcess.restore(wasm, { memoryLimitPages: 2 }, p.checkpoint());
    expect(hex(restored.processStateHash())).to.equal(hex(p.processStateHash()));
    const m = messages(1, 1);
    expect(run(restored, m)).to.deep.equal(run(p, m));
  });

  it("refuses malformed checkpoints, another module's, and a wrong state hash with CheckpointError", async function () {
    const wasm = processWasm("counter");
    const other = await wat(PROGRAMS.CONTROL);
    const opts = { memoryLimitPages: 64 };
    const p = FastProcess.create(wasm, opts);
    const bytes = p.checkpoint();
    const refuse = (b: Uint8Array, w = wasm) => {
      try {
        FastProcess.restore(w, opts, b);
      } catch (e) {
        expect(e).to.be.instanceOf(CheckpointError);
        return (e as Error).message;
      }
      throw new Error("restored");
    };
    expect(refuse(bytes.subarray(0, 20))).to.match(/truncated/);
    const magic = bytes.slice();
    magic[0] ^= 1;
    expect(refuse(magic)).to.match(/magic/);
    expect(refuse(bytes, other)).to.match(/another module/);
    const recorded = bytes.slice();
    recorded[8 + 32] ^= 0xff; // the recorded state hash
    expect(refuse(recorded)).to.match(/state hash/);
    const memory = bytes.slice();
    let nonZero = memory.length - 1;
    while (nonZero > 0 && memory[nonZero] === 0) nonZero--;
    expect(nonZero).to.be.greaterThan(bytes.length - 65_536); // the last page holds data
    memory[nonZero] ^= 0xff;
    expect(refuse(memory)).to.match(/state hash/);
    expect(refuse(bytes.subarray(0, bytes.length - 1))).to.match(/length/);
  });
});
