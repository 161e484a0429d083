/**
 * Replayed fixtures from the WebAssembly spec suite (/work/shared/wasm-spec, or HOLO_WASM_SPEC): every
 * invocation of every folder runs on the step-mode machine the way scripts/spec.ts runs it; the first
 * occurrences of every distinct opcode (and of every error code), plus a seeded random sample of the
 * other steps, are proven through the contracts and compared with the TypeScript machine's post-state
 * hashes. Reports how many distinct opcodes of the table the suite covers.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { instantiate, parseArg, type SpecCommand } from "../../scripts/spec";
import type { Instance } from "../../machine/process/instance";
import { OPCODE_TABLE, STATUS } from "../../machine/spec";
import { deployProvers, expectFixtures, fixtureOf, type StepFixture } from "./helpers";

const SPEC = process.env.HOLO_WASM_SPEC ?? path.join(__dirname, "..", "..", "..", "shared", "wasm-spec");
/** Proofs per distinct opcode, and the sampling rate of the other steps. */
const PER_OPCODE = 3;
const SAMPLE_RATE = 0.002;
const STEP_LIMIT = 200_000;

/** A small seeded PRNG (mulberry32), so the sample is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("osp: spec-suite fixtures", function () {
  this.timeout(1_200_000);

  it("proves every distinct opcode the suite executes, and a random sample of its steps", async function () {
    if (!fs.existsSync(SPEC)) this.skip();
    const p = await loadFixture(deployProvers);
    const rand = prng(0x5eed);
    const seen = new Map<number, number>();
    const seenErrors = new Map<number, number>();
    const fixtures: StepFixture[] = [];
    let steps = 0;
    let invocations = 0;
    const folders = fs.readdirSync(SPEC).filter((f) => fs.existsSync(path.join(SPEC, f, `${f}.json`)));
    for (const folder of folders.sort()) {
      const cmds = (
        JSON.parse(fs.readFileSync(path.join(SPEC, folder, `${folder}.json`), "utf8")) as {
          commands: SpecCommand[];
        }
      ).commands;
      let inst: Instance | undefined;
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
        if (!inst || !a || a.type !== "invoke" || a.module) continue;
        const idx = inst.exportedFunc(a.field);
        if (idx === undefined) continue;
        let args;
        try {
          args = (a.args ?? []).map(parseArg);
        } catch {
          continue; // float arguments: the module was refused anyway
        }
        invocations++;
        inst.beginInvoke(idx, args, STEP_LIMIT);
        const m = inst.machine;
        while (m.status === STATUS.Running) {
          steps++;
          const op = m.steps < m.stepLimit ? m.image.ops[m.pc] : -1;
          const n = seen.get(op) ?? 0;
          if (n < PER_OPCODE || rand() < SAMPLE_RATE) {
            seen.set(op, n + 1);
            const f = fixtureOf(m);
            fixtures.push(f);
            if (m.status === STATUS.Errored) seenErrors.set(m.error, (seenErrors.get(m.error) ?? 0) + 1);
          } else {
            const before = m.status;
            m.step();
            // Always prove the first few steps that end a run with each error code.
            if (
              before === STATUS.Running &&
              m.status === STATUS.Errored &&
              (seenErrors.get(m.error) ?? 0) < 2
            ) {
              seenErrors.set(m.error, (seenErrors.get(m.error) ?? 0) + 1);
            }
          }
        }
        fixtures.push(fixtureOf(m)); // the no-op step of the stopped machine
        inst.finish();
      }
    }
    const covered = OPCODE_TABLE.filter((o) => seen.has(o.opcode)).map((o) => o.name);
    const missing = OPCODE_TABLE.filter((o) => !seen.has(o.opcode)).map((o) => o.name);
    console.log(
      `      spec suite: ${invocations} invocations, ${steps} steps; ${fixtures.length} proven through the contracts; ` +
        `distinct opcodes ${covered.length} of ${OPCODE_TABLE.length} in the table` +
        (missing.length ? ` (not executed by the suite: ${missing.join(", ")})` : ""),
    );
    await expectFixtures(p, fixtures, "spec");
    expect(covered.length).to.be.greaterThan(100);
  });
});
