/** The watcher's settings (docs/agents.md §1, §6): one zod object, every setting described. */
import { z } from "zod";

import {
  address,
  bool,
  crossCheckSettings,
  duration,
  logLevel,
  nonNegativeInt,
  path,
  positiveInt,
  privateKey,
  url,
  type Config,
} from "../common/config";
import { processId } from "../scheduler/config";

export const WatchedProcess = z.object({
  id: processId().describe("The on-chain process id"),
  wasm: path().describe("The process module's wasm file (its module root must be the registered one)"),
});

export const WatcherSettings = z.object({
  rpcUrl: url().describe(
    "The chain's JSON-RPC endpoint (commitments are read, games played and payouts claimed through it)",
  ),
  ...crossCheckSettings,
  privateKey: privateKey().describe(
    "The watcher's EVM key: it opens games (its bonded stake covers the challenge bond) and claims payouts",
  ),
  resultRegistry: address().describe("The ResultRegistry contract whose commitments are checked"),
  processRegistry: address().describe(
    "The ProcessRegistry contract (schedulers, modules; the EIP-712 domain's verifyingContract)",
  ),
  disputeGame: address().describe("The DisputeGame contract games are played on"),
  stakeManager: address().describe("The StakeManager contract payouts are claimed from"),
  arweaveUrl: url({ protocols: ["http", "https"] })
    .prefault("https://arweave.net")
    .describe("The Arweave gateway the processes' messages and assignments are read from"),
  processes: z
    .array(WatchedProcess)
    .prefault([])
    .describe('Processes to watch: a JSON array of {"id": "0x…", "wasm": "path/to/module.wasm"}'),
  storePath: path()
    .prefault("./data/watcher.sqlite")
    .describe("The SQLite file of the watcher's durable state (verdicts, games, transactions)"),
  host: z.string().min(1).prefault("127.0.0.1").describe("The address /healthz and /metrics listen on"),
  port: nonNegativeInt().prefault(8090).describe("The HTTP port (0: any free port)"),
  pollMs: duration().prefault("5s").describe("How often the chain and Arweave are polled"),
  answerTime: duration()
    .prefault("60s")
    .describe("The expected time to compute and send one game move; a game clock below twice it pages"),
  fromBlock: nonNegativeInt().prefault(0).describe("The first block scanned for commitments and games"),
  confirmations: nonNegativeInt()
    .prefault(1)
    .describe("Blocks a transaction waits for before it counts as done (0 on a devnet)"),
  reexecStepsPerSecond: positiveInt()
    .prefault(10_000_000)
    .describe(
      "The step-mode re-execution speed counted on (steps/s; ~2.6e7 measured, docs/benchmarks.md): a process whose step limit cannot be re-executed within half the game's clockExtension at it is refused (StepLimitTooLarge)",
    ),
  pageSize: positiveInt()
    .refine((n) => n <= 100, "must be at most 100 (a GraphQL page)")
    .prefault(50)
    .describe("Slots read from the gateway per GraphQL query (≤ 100)"),
  checkpointEverySlots: positiveInt()
    .prefault(100)
    .describe(
      "Store the re-executed process state after every slot s with (s + 1) % N = 0: a restart resumes there, and a game's trace starts from the nearest one",
    ),
  idlePollMax: duration()
    .prefault("30s")
    .describe(
      "A process whose last read found nothing new is read again after a wait that doubles from pollMs up to this (a commitment waiting for its slots reads at once); at most pollMs turns the back-off off",
    ),
  pruneCheckpoints: bool()
    .prefault(true)
    .describe(
      "Delete the checkpoints the finalized chain has made useless: all but the latest at or before the finalized tip (the stored messages stay)",
    ),
  logLevel: logLevel().prefault("info").describe("The lowest log level written"),
});

export type WatcherConfig = Config<typeof WatcherSettings>;
