/** The compute unit's settings (docs/agents.md §1, §6): one zod object, every setting described. */
import { z } from "zod";

import {
  address,
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

export const ComputeSettings = z.object({
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
  logLevel: logLevel().prefault("info").describe("The lowest log level written"),
});

export type ComputeConfig = Config<typeof ComputeSettings>;
