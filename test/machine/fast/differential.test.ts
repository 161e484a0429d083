/**
 * Differential tests: fast mode and step mode give the same step count, status, error code, result
 * hash and process-state hash at every message boundary, over WAT programs that cover loops, calls,
 * call_indirect, br_table, bulk memory, memory.grow to the limit, the call-depth and value-stack
 * limits, every trap, and the host calls — with random parameters and random step limits, and with
 * every step limit around the end of a message (so out-of-steps lands inside every kind of sequence).
 */
import { expect } from "chai";
import fc from "fast-check";
import { Pair, dataMessage, wat } from "./helpers";
import { PROGRAMS } from "./programs";

const MAX = 0xffffffff;

function params(p: number[]): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  p.forEach((x, i) => v.setUint32(i * 4, x >>> 0, true));
  return dataMessage(b);
}

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const small = fc.integer({ min: 0, max: 70000 });
const param = fc.oneof(u32, small, fc.integer({ min: 0, max: 64 }));
const limitArb = fc.oneof(
  fc.constant(MAX),
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: 0, max: 5000 }),
  fc.integer({ min: 0, max: 200000 }),
);
const msgArb = fc.record({ p: fc.array(param, { minLength: 4, maxLength: 4 }), limit: limitArb });

const MEMORY_LIMIT: Record<string, number | undefined> = { GROW: 6, BULK: 2 };
const RUNS: Record<string, number> = { DEEP: 12 };

describe("fast mode: differential against step mode", function () {
  this.timeout(600_000);
  const wasm: Record<string, Uint8Array> = {};
  before(async () => {
    for (const [name, src] of Object.entries(PROGRAMS)) wasm[name] = await wat(src);
  });

  for (const name of Object.keys(PROGRAMS)) {
    it(`${name}: random messages and step limits`, () => {
      const paths = new Map<string, number>();
      fc.assert(
        fc.property(fc.array(msgArb, { minLength: 1, maxLength: 6 }), (msgs) => {
          const pair = new Pair(wasm[name], MEMORY_LIMIT[name]);
          for (const m of msgs) {
            const out = pair.check(params(m.p), m.limit, `${name} ${JSON.stringify(m.p)}`);
            paths.set(out.path, (paths.get(out.path) ?? 0) + 1);
          }
        }),
        { numRuns: RUNS[name] ?? 60 },
      );
      expect(paths.get("fast") ?? 0, `paths ${JSON.stringify([...paths])}`).to.be.greaterThan(0);
    });
  }

  /** Every step limit from 0 to the message's full length + 2, for fixed parameters. */
  function sweep(name: string, p: number[], memoryLimitPages?: number): Map<string, number> {
    const pair = new Pair(wasm[name], memoryLimitPages);
    const probe = new Pair(wasm[name], memoryLimitPages);
    const full = probe.check(params(p), MAX);
    const n = full.steps;
    const paths = new Map<string, number>();
    for (let limit = 0; limit <= n + 2; limit++) {
      const out = pair.check(params(p), limit, `${name} sweep ${JSON.stringify(p)}`);
      paths.set(out.path, (paths.get(out.path) ?? 0) + 1);
      if (limit >= n) expect(out.error).to.equal(full.error);
    }
    return paths;
  }

  it("every limit: loops, calls and host calls (COMPUTE)", () => {
    sweep("COMPUTE", [9, 6, 3, 0x3000 | 77]);
  });
  it("every limit: branches with drops, call_indirect (CONTROL)", () => {
    for (const b of [0, 1, 2, 3, 4, 9])
      sweep("CONTROL", [b | (1 << 8) | (b << 16), 5, 0x0701 | (b << 24), 40]);
  });
  it("every limit: inside bulk-memory sequences (BULK)", () => {
    sweep("BULK", [37, 3, 100, 0]); // fill
    sweep("BULK", [37, 5, 100, 1]); // copy forward, misaligned
    sweep("BULK", [90, 37, 100, 1]); // copy backward, overlapping
    sweep("BULK", [64, 32, 70, 1]); // copy, same alignment
    sweep("BULK", [45, 3, 60, 2]); // init
    sweep("BULK", [45, 3, 60, 4]); // copy then fill
  });
  it("every limit: inside host-call sequences (msg_read, output)", () => {
    sweep("COMPUTE", [0, 0, 1, (1 << 20) | 300]);
  });
  it("every limit: traps", () => {
    for (let k = 0; k < 20; k++) sweep("TRAPS", [k, k === 9 ? 3 : 70000, 0, 0]);
  });
  it("call-depth and value-stack limits exactly", () => {
    const pair = new Pair(wasm.DEEP);
    const cases: [number, number][] = [
      [100, 0],
      [16382, 0],
      [16383, 0],
      [16384, 0],
      [20000, 0],
      [0, 9000],
      [0, 9361],
      [0, 9362],
      [0, 9363],
      [0, 12000],
    ];
    const outs = cases.map(([a, b]) => pair.check(params([a, b, 0, 0]), MAX, `deep ${a} ${b}`));
    const errors = outs.map((o) => o.error);
    expect(errors).to.include(8); // CallStackExhausted
    expect(errors).to.include(9); // ValueStackExhausted
    expect(errors).to.include(0);
    console.log("      deep:", outs.map((o, i) => `${cases[i].join("/")}:${o.error}:${o.path}`).join(" "));
  });
  it("memory.grow to the limit, and restore after a trap that follows a grow", () => {
    const pair = new Pair(wasm.GROW, 6);
    const seq: number[][] = [
      [2, 1, 1, 0],
      [2, 2, 0, 0],
      [7, 3, 0, 0],
      [3, 4, 0, 0],
      [1, 5, 1, 0],
      [0, 6, 0, 0],
      [2, 7, 0, 0],
      [1, 8, 0, 0],
    ];
    for (const p of seq) for (const limit of [MAX, 7, 12, 30]) pair.check(params(p), limit, `grow ${p}`);
    expect(pair.fast.pages()).to.equal(6);
  });
});
