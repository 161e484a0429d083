/**
 * Load and soak (issue 8; docs/reliability.md, "Soak"): `npx hardhat run bench/soak.ts` (npm script
 * `bench:soak`) → bench/results/soak.json.
 *
 * Defaults: 100,000 signed messages over 20 token processes; one SU, three bonded CUs (each following every
 * process, posting and finalizing commitments), two watchers, all child processes; seeded kill -9s of the SU,
 * the CUs and the watchers (restarted from their SQLite files) and outages of the chain RPC and of ArLocal
 * (TCP proxies) while the messages are sent; then everything is published, committed and finalized (chain
 * time advanced past the challenge window) and checked. The harness is test/e2e/soak-harness.ts (shared with
 * the CI test, test/e2e/soak.test.ts).
 *
 * Environment: SOAK_MESSAGES, SOAK_PROCESSES, SOAK_CUS, SOAK_WATCHERS, SOAK_SEED, SOAK_CONCURRENCY,
 * SOAK_KILLS (0/1), SOAK_KILL_EVERY_MS ("20000-60000"), SOAK_RESTART_DELAY_MS, SOAK_OUTAGES (0/1),
 * SOAK_OUTAGE_EVERY_MS, SOAK_OUTAGE_MS, SOAK_PUBLISH_EVERY, SOAK_MAX_PUBLISH_BACKLOG (the SU's bound, default
 * 1000), SOAK_COMMIT_EVERY_SLOTS, SOAK_COMMIT_EVERY_MS,
 * SOAK_CU_POLL, SOAK_WATCHER_POLL, SOAK_CU_ARWEAVE (0/1), SOAK_RSS_EVERY_MS, SOAK_SETTLE_TIMEOUT_MS,
 * SOAK_WATCHER_TIMEOUT_MS, SOAK_CHECK_ARWEAVE (0/1), SOAK_STRICT_MEMORY (0/1: memory growth fails the run),
 * SOAK_KEEP (0/1: keep the run directory), SOAK_MIN_SEND_MS (the sending phase lasts at least this long),
 * SOAK_ARLOCAL_TMPFS (0/1: ArLocal's database on /dev/shm), SOAK_ARLOCAL_TUNE (0/1: indexes and planner statistics
 * applied to ArLocal's database, soak-harness ARLOCAL_TUNING), SOAK_OUT (the result file, default
 * bench/results/soak.json).
 *
 * Exit code: 0 when every invariant holds, 1 otherwise (the report names the failures).
 */
import fs from "node:fs";
import path from "node:path";

import { runSoak, soakConfigFromEnv, summarize } from "../test/e2e/soak-harness";

const OUT = process.env.SOAK_OUT ?? path.join(__dirname, "results", "soak.json");

async function main(): Promise<number> {
  const config = soakConfigFromEnv(process.env);
  console.log(`soak: ${JSON.stringify(config)}`);
  const report = await runSoak(config, (line) => console.log(line));
  const command =
    "npx hardhat run bench/soak.ts" +
    Object.entries(process.env)
      .filter(([k]) => k.startsWith("SOAK_"))
      .map(([k, v]) => ` ${k}=${v}`)
      .join("");
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, JSON.stringify({ command, ...report }, null, 2) + "\n");
  console.log(summarize(report));
  console.log(`written to ${path.relative(process.cwd(), OUT)}`);
  return report.failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
