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
 * SOAK_MAX_SEND_MS (the sending phase stops after this long even if fewer than SOAK_MESSAGES were sent; default
 * no cap; a positive number of milliseconds: the run then settles and is checked as usual over the messages
 * sent, and the report's messages.sendCappedAtMs / messages.sendStopped say the target was not reached),
 * SOAK_ARLOCAL_TMPFS (0/1: ArLocal's database on /dev/shm), SOAK_ARLOCAL_TUNE (0/1: indexes and planner statistics
 * applied to ArLocal's database, soak-harness ARLOCAL_TUNING), SOAK_OUT (the result file, default
 * bench/results/soak.json).
 *
 * Stopping early: the first SIGINT or SIGTERM (to the soak's process, whose pid is printed at the start:
 * `kill -INT <pid>`) stops the sending phase as SOAK_MAX_SEND_MS does — no new message, those in flight re-sent
 * until acked — then the run settles, is checked and writes its report as usual (messages.sendStopped names the
 * signal); a second signal exits at once, with no report. A Ctrl-C in the terminal reaches the agents too (same
 * process group): they stop cleanly and the harness restarts them (counted in chaos.unexpectedExits); hardhat's
 * own parent process exits at once, the soak's carries on printing to the terminal.
 *
 * Progress: a line at least every 30 s while sending and settling (acked, sent, acked/s, the SU's slots assigned
 * and published, each agent's latest RSS).
 *
 * Exit code: 1 when an invariant fails (the report names the failures); otherwise 0, or 128 + the signal's
 * number (130 SIGINT, 143 SIGTERM) when a signal stopped the sending phase.
 */
import fs from "node:fs";
import path from "node:path";

import { runSoak, soakConfigFromEnv, summarize } from "../test/e2e/soak-harness";

const OUT = process.env.SOAK_OUT ?? path.join(__dirname, "results", "soak.json");
const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

async function main(): Promise<number> {
  const config = soakConfigFromEnv(process.env);
  console.log(`soak: ${JSON.stringify(config)}`);
  // first SIGINT/SIGTERM: stop sending, settle, check, write the report; the second: exit at once
  const stop = new AbortController();
  let signalled: keyof typeof SIGNAL_NUMBERS | undefined;
  const onSignal = (signal: keyof typeof SIGNAL_NUMBERS) => {
    if (signalled === undefined) {
      signalled = signal;
      console.log(
        `soak: ${signal}: stopping the sending phase, then settling, checking and writing the report ` +
          `(another SIGINT/SIGTERM exits at once, with no report)`,
      );
      stop.abort(signal);
      return;
    }
    console.log(`soak: ${signal} again: exiting now, no report`);
    process.exit(128 + SIGNAL_NUMBERS[signal]); // the harness's exit handler kills every agent
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  console.log(
    `soak: pid ${process.pid} (kill -INT ${process.pid}: stop sending, settle, check and write the report)`,
  );
  const report = await runSoak(config, (line) => console.log(line), { signal: stop.signal });
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
  if (report.failures.length > 0) return 1;
  return report.messages.sendStopped?.by === "signal" && signalled !== undefined
    ? 128 + SIGNAL_NUMBERS[signalled]
    : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
