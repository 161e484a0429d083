/**
 * The issue's differential test on the example processes: for every `build/processes/*.wasm` (built
 * by `scripts/build-processes.ts`), at least 1,000 random messages — including messages that trap,
 * run out of steps, or grow memory to the limit — give equal boundaries (steps, status, error, result
 * hash, process-state hash) in fast mode and step mode, message after message on one evolving state.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import fc from "fast-check";
import { encodeMessage, HOST_IMPORTS, type Message } from "../../../machine/process";
import { loadWasm } from "../../../machine/wasm";
import { Pair } from "./helpers";

const DIR = path.join(__dirname, "../../../build/processes");
const MESSAGES = Number(process.env.FAST_PROCESS_MESSAGES ?? 1000);
const MAX = 0xffffffff;

type Tag = { name: string; value: string };

const addr = fc.oneof(
  fc.constantFrom(...[1, 2, 3, 4].map((i) => "0x" + i.toString(16).padStart(40, "0"))),
  fc.constantFrom("not-an-address", "0xZZ" + "0".repeat(38)),
);
const quantity = fc.oneof(
  fc.bigInt({ min: 0n, max: 10n ** 16n }).map(String),
  fc.constantFrom("", "-5", "007", "1e3", "340282366920938463463374607431768211456", "0"),
);
const from = fc.constantFrom(1, 2, 3, 4);

function tagsFor(name: string): fc.Arbitrary<Tag[]> {
  const t = (n: string, v: fc.Arbitrary<string>): fc.Arbitrary<Tag> => v.map((value) => ({ name: n, value }));
  switch (name) {
    case "token":
      return fc.oneof(
        fc
          .tuple(t("Recipient", addr), t("Quantity", quantity))
          .map((x) => [{ name: "Action", value: "Transfer" }, ...x]),
        fc
          .tuple(t("Recipient", addr), t("Quantity", quantity), t("X-Note", fc.string({ maxLength: 8 })))
          .map((x) => [{ name: "Action", value: "Transfer" }, ...x]),
        t("Recipient", addr).map((x) => [{ name: "Action", value: "Balance" }, x]),
        t("Quantity", quantity).map((x) => [{ name: "Action", value: "Mint" }, x]),
        t("Quantity", quantity).map((x) => [{ name: "Action", value: "Burn" }, x]),
        fc
          .constantFrom("Info", "Balances", "Total-Supply", "Nope")
          .map((a) => [{ name: "Action", value: a }]),
        fc.constant<Tag[]>([]),
      );
    case "counter":
      return fc.oneof(
        fc
          .tuple(
            fc.constantFrom("Increment", "Decrement"),
            fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 63n }).map(String), fc.constantFrom("x", "")),
          )
          .map(([a, by]) => [
            { name: "Action", value: a },
            { name: "By", value: by },
          ]),
        fc.constantFrom("Increment", "Get", "Reset", "Other").map((a) => [{ name: "Action", value: a }]),
      );
    case "bench":
      return fc.oneof(
        fc.integer({ min: 0, max: 12 }).map((n) => [
          { name: "Action", value: "Hash-Chain" },
          { name: "Iterations", value: String(n) },
        ]),
        fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.constantFrom(400000, 2000000)).map((n) => [
          { name: "Action", value: "Sieve" },
          { name: "Limit", value: String(n) },
        ]),
        fc.constantFrom("x", "-1").map((v) => [
          { name: "Action", value: "Sieve" },
          { name: "Limit", value: v },
        ]),
      );
    default:
      return fc.array(fc.record({ name: fc.string({ maxLength: 6 }), value: fc.string({ maxLength: 10 }) }), {
        maxLength: 3,
      });
  }
}

function messageArb(name: string): fc.Arbitrary<{ bytes: Uint8Array; limit: number }> {
  return fc
    .record({
      tags: tagsFor(name),
      from,
      data: fc.uint8Array({ maxLength: 80 }),
      limit: fc.oneof(
        { weight: 6, arbitrary: fc.constant(MAX) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: 60000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 2000 }) },
      ),
    })
    .map((r) => {
      const m: Message = {
        id: new Uint8Array(32).fill(7),
        from: new Uint8Array(32).fill(0).map((_, i) => (i === 31 ? r.from : 0)),
        target: new Uint8Array(32).fill(9),
        slot: 1n,
        timestamp: 1700000000000n,
        blockHeight: 1n,
        tags: r.tags,
        data: r.data,
      };
      return { bytes: encodeMessage(m), limit: r.limit };
    });
}

const files = fs.existsSync(DIR)
  ? fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith(".wasm"))
      .sort()
  : [];

describe("fast mode: example processes (build/processes/*.wasm)", function () {
  this.timeout(1_200_000);
  if (files.length === 0) it.skip("no build/processes/*.wasm: run scripts/build-processes.ts first");
  for (const file of files) {
    const name = path.basename(file, ".wasm");
    it(`${name}: ${MESSAGES} random messages, equal boundaries`, () => {
      const wasm = new Uint8Array(fs.readFileSync(path.join(DIR, file)));
      const min = loadWasm(wasm, { allowedImports: HOST_IMPORTS }).memory?.limits.min ?? 0;
      // A tight memory limit makes the big allocations (bench Sieve) run into it.
      const pair = new Pair(wasm, name === "bench" ? min + 24 : undefined);
      const setup = encodeMessage({
        id: new Uint8Array(32).fill(7),
        from: new Uint8Array(32).map((_, i) => (i === 31 ? 1 : 0)),
        target: new Uint8Array(32).fill(9),
        slot: 0n,
        timestamp: 0n,
        blockHeight: 0n,
        tags: [],
        data: new Uint8Array(0),
      });
      pair.check(setup, MAX, `${name} slot 0`);
      const msgs = fc.sample(messageArb(name), { numRuns: MESSAGES, seed: 42 });
      const tally = { halted: 0, trapped: 0, outOfSteps: 0, fast: 0, precise: 0, step: 0 };
      for (const [i, m] of msgs.entries()) {
        const out = pair.check(m.bytes, m.limit, `${name} #${i}`);
        if (out.error === 0) tally.halted++;
        else if (out.error === 10) tally.outOfSteps++;
        else tally.trapped++;
        if (out.path === "fast" || out.path === "precise" || out.path === "step") tally[out.path]++;
      }
      console.log(`      ${name}: ${JSON.stringify(tally)}, pages ${pair.fast.pages()}`);
      expect(tally.halted).to.be.greaterThan(0);
      expect(tally.outOfSteps).to.be.greaterThan(0);
      expect(tally.trapped).to.be.greaterThan(0);
      expect(tally.step).to.equal(0);
    });
  }
});
