/**
 * The differential fuzzer in CI (test/osp/fuzz.ts): FUZZ_STEPS steps (default 100,000) of random
 * programs, proven through both the TypeScript machine and the contracts, with zero mismatches.
 * FUZZ_SEED picks another sample.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { deployProvers } from "./helpers";
import { fuzz, summary } from "./fuzz";

const STEPS = Number(process.env.FUZZ_STEPS ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261124);

describe("osp: differential fuzzer", function () {
  this.timeout(3_600_000);

  it(`${STEPS} random steps: the contracts and the TypeScript machine agree on every one`, async () => {
    const p = await loadFixture(deployProvers);
    const report = await fuzz(p, STEPS, SEED);
    console.log(`      fuzz: ${summary(report)}`);
    expect(report.firstMismatch ?? "").to.equal("");
    expect(report.mismatches).to.equal(0);
    expect(report.steps).to.be.at.least(STEPS);
  });
});
