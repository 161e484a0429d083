#!/usr/bin/env node
// `npm run fuzz:prover -- --steps N [--seed S]`: runs scripts/fuzz-prover.ts under `hardhat run`, which
// passes no arguments of its own, by handing the options over as FUZZ_STEPS / FUZZ_SEED.
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const args = process.argv.slice(2);
const env = { ...process.env };
for (let i = 0; i < args.length; i++) {
  const name = args[i];
  const value = args[i + 1];
  if (name === "--help" || name === "-h") {
    console.log(
      "usage: npm run fuzz:prover -- [--steps N] [--seed S]   (defaults: 100000 steps, a seed from the time)",
    );
    process.exit(0);
  }
  if ((name !== "--steps" && name !== "--seed") || value === undefined || !/^\d+$/.test(value)) {
    console.error(
      `fuzz:prover: unexpected argument ${JSON.stringify(name)}${value === undefined ? "" : ` ${JSON.stringify(value)}`}; usage: --steps N [--seed S] with whole numbers`,
    );
    process.exit(2);
  }
  env[name === "--steps" ? "FUZZ_STEPS" : "FUZZ_SEED"] = value;
  i++;
}
const root = path.join(__dirname, "..");
const hardhat = require.resolve("hardhat/internal/cli/bootstrap", { paths: [root] });
const r = spawnSync(process.execPath, [hardhat, "run", path.join("scripts", "fuzz-prover.ts")], {
  cwd: root,
  env,
  stdio: "inherit",
});
process.exit(r.status ?? 1);
