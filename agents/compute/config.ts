/** The compute unit's settings (docs/agents.md §1, §6): one zod object, every setting described. */
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

export const FollowedProcess = z.object({
  id: processId().describe("The on-chain process id"),
  wasm: path().describe("The process module's wasm file (its module root must be the registered one)"),
});

/** Devnet/testing only: the claims this CU gets wrong (domain/fault.ts). */
export const FaultSetting = z.strictObject({
  kind: z.enum(["state", "result"]).describe("state: a wrong stateHash; result: a wrong resultsRoot"),
  fromSlot: nonNegativeInt().describe("The first slot whose claim is wrong"),
});

export const ComputeSettings = z
  .object({
    rpcUrl: url().describe(
      "The chain's JSON-RPC endpoint (registries are read and commitments posted through it)",
    ),
    privateKey: privateKey().describe("The compute unit's EVM key: it posts and finalizes commitments"),
    resultRegistry: address().describe("The ResultRegistry contract commitments are posted to"),
    processRegistry: address().describe(
      "The ProcessRegistry contract (schedulers, modules; the EIP-712 domain's verifyingContract)",
    ),
    suUrl: url({ protocols: ["http", "https"] }).describe("The scheduler unit whose logs are followed"),
    storePath: path()
      .prefault("./data/cu.sqlite")
      .describe("The SQLite file of the compute unit's durable state"),
    host: z.string().min(1).prefault("127.0.0.1").describe("The address the HTTP API listens on"),
    port: nonNegativeInt().prefault(8080).describe("The HTTP API's port (0: any free port)"),
    processes: z
      .array(FollowedProcess)
      .prefault([])
      .describe('Processes to follow: a JSON array of {"id": "0x…", "wasm": "path/to/module.wasm"}'),
    commitEverySlots: positiveInt()
      .prefault(100)
      .describe("Post a commitment once this many evaluated slots are uncommitted (N)"),
    commitEveryMs: duration()
      .prefault("10m")
      .describe("Post a commitment for the uncommitted slots once the oldest of them is this old (T)"),
    pollMs: duration().prefault("2s").describe("How often the SU's logs and the chain are polled"),
    confirmations: nonNegativeInt()
      .prefault(1)
      .describe("Blocks a transaction waits for before it counts as done (0 on a devnet)"),
    ...crossCheckSettings,
    reexecStepsPerSecond: positiveInt()
      .prefault(10_000_000)
      .describe(
        "The step-mode re-execution speed counted on (steps/s; ~2.6e7 measured, docs/benchmarks.md): with disputeGame set, a process whose step limit cannot be re-executed within half the game's clockExtension at it is refused (StepLimitTooLarge)",
      ),
    logLevel: logLevel().prefault("info").describe("The lowest log level written"),
    arweaveUrl: url({ protocols: ["http", "https"] })
      .optional()
      .describe(
        "The Arweave gateway or bundler results and checkpoints are published to (unset: nothing is published, arweaveRef is zero)",
      ),
    arweaveWallet: path()
      .optional()
      .describe(
        "A JSON file holding the Arweave JWK that signs the CU's data items and bundles (with arweaveUrl)",
      ),
    arweaveLocal: z
      .enum(["auto", "true", "false"])
      .prefault("auto")
      .describe("ArLocal mode (mine after each post): auto = when arweaveUrl is on localhost/127.0.0.1"),
    checkpointEverySlots: positiveInt()
      .prefault(100)
      .describe("Store the process state (and publish it to Arweave) every this many slots"),
    pruneCheckpoints: bool()
      .prefault(true)
      .describe(
        "Delete the checkpoints the finalized chain has made useless: all but the latest at or before the finalized tip, with Arweave once their item is posted (the stored messages and results stay)",
      ),
    retryRefused: bool()
      .prefault(false)
      .describe("At start, forget commitments the registry refused so their ranges are committed again"),
    disputeGame: address()
      .optional()
      .describe(
        "The DisputeGame contract: with stakeManager, the CU defends its commitments in games (unset: no defence)",
      ),
    answerTime: duration()
      .prefault("60s")
      .describe(
        "The expected time to compute and send one game move; a game clock below twice it pages (with disputeGame)",
      ),
    stakeManager: address()
      .optional()
      .describe("The StakeManager contract (game payouts are claimed from it; with disputeGame)"),
    fault: FaultSetting.optional().describe(
      'DEVNET/TESTING ONLY: post wrong claims from a slot on, {"kind": "state"|"result", "fromSlot": n}',
    ),
  })
  .superRefine((s, ctx) => {
    if (s.arweaveUrl !== undefined && s.arweaveWallet === undefined) {
      ctx.addIssue({ code: "custom", path: ["arweaveWallet"], message: "required when arweaveUrl is set" });
    }
    if (s.disputeGame !== undefined && s.stakeManager === undefined) {
      ctx.addIssue({ code: "custom", path: ["stakeManager"], message: "required when disputeGame is set" });
    }
    if (s.stakeManager !== undefined && s.disputeGame === undefined) {
      ctx.addIssue({ code: "custom", path: ["disputeGame"], message: "required when stakeManager is set" });
    }
    if (s.arweaveWallet !== undefined && s.arweaveUrl === undefined) {
      ctx.addIssue({ code: "custom", path: ["arweaveUrl"], message: "required when arweaveWallet is set" });
    }
  });

export type ComputeConfig = Config<typeof ComputeSettings>;
