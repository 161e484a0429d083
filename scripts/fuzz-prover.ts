/**
 * The differential fuzzer of the one-step prover as a script (the same generator as the CI test,
 * test/osp/fuzz.ts): random programs and states through the TypeScript machine and the contracts,
 * comparing every post-state hash.
 *
 *   FUZZ_STEPS=1000000 FUZZ_SEED=7 npx hardhat run scripts/fuzz-prover.ts
 *
 * `hardhat run` passes no arguments, so the step count comes from FUZZ_STEPS (default 100,000) and the
 * seed from FUZZ_SEED (default: the time). Exits non-zero on any mismatch and prints the first one.
 */
import { network } from "hardhat";

import { deployProvers } from "../test/osp/helpers";
import { fuzz, summary } from "../test/osp/fuzz";

async function main(): Promise<void> {
  if (network.name !== "hardhat")
    throw new Error(`run on the in-process hardhat network, not ${network.name}`);
  const steps = Number(process.env.FUZZ_STEPS ?? 100_000);
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  if (!Number.isSafeInteger(steps) || steps <= 0) throw new Error(`FUZZ_STEPS must be a positive integer`);
  console.log(`fuzzing the one-step prover: ${steps} steps, seed ${seed}`);
  const p = await deployProvers();
  const started = Date.now();
  const report = await fuzz(p, steps, seed, (s) => console.log(s));
  console.log(`${summary(report)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (report.mismatches > 0) {
    console.error(`first mismatch: ${report.firstMismatch}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
