/** The scheduler unit's settings (docs/agents.md §1): one zod object, every setting described. */
import { z } from "zod";

import {
  address,
  byteSize,
  duration,
  list,
  logLevel,
  nonNegativeInt,
  path,
  positiveInt,
  privateKey,
  url,
  type Config,
} from "../common/config";

/** An on-chain process id: 0x and 64 hex digits (lower-cased). */
export function processId() {
  return z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits (an on-chain process id)")
    .transform((s) => s.toLowerCase());
}

export const SchedulerSettings = z.object({
  rpcUrl: url().describe("The chain's JSON-RPC endpoint (processes and their schedulers are read from it)"),
  privateKey: privateKey().describe(
    "The scheduler's EVM key: it signs the EIP-712 assignments and must be the processes' scheduler",
  ),
  processRegistry: address().describe(
    "The ProcessRegistry contract (the EIP-712 domain's verifyingContract)",
  ),
  chainId: positiveInt().describe("The chain id (the EIP-712 domain's chainId; checked against the RPC)"),
  arweaveUrl: url({ protocols: ["http", "https"] })
    .prefault("https://arweave.net")
    .describe("The Arweave gateway or bundler that messages and assignments are published to"),
  arweaveWallet: path().describe(
    "A JSON file holding the Arweave JWK that signs bundles and assignment items",
  ),
  local: z
    .enum(["auto", "true", "false"])
    .prefault("auto")
    .describe("ArLocal mode (mine after each post): auto = when arweaveUrl is on localhost/127.0.0.1"),
  storePath: path().prefault("./data/su.sqlite").describe("The SQLite file of the scheduler's durable state"),
  processes: list(processId())
    .prefault([])
    .describe("On-chain process ids to register at start (each must name this scheduler on chain)"),
  publicUrl: url({ protocols: ["http", "https"] })
    .optional()
    .describe("The URL announced in the Scheduler-Location item (default http://host:port)"),
  locationTtl: duration().prefault("1d").describe("The Scheduler-Location item's Time-To-Live"),
  host: z.string().min(1).prefault("127.0.0.1").describe("The address the HTTP API listens on"),
  port: nonNegativeInt().prefault(8070).describe("The HTTP API's port (0: any free port)"),
  bodyLimit: byteSize()
    .prefault("72KiB")
    .describe(
      "The largest POST body: a 64 KiB canonical message plus the ANS-104 overhead (signature, owner, tags)",
    ),
  publishEvery: duration()
    .prefault("5s")
    .describe("How often new messages and assignments are bundled to Arweave"),
  freezeCheckEvery: duration()
    .prefault("5s")
    .describe(
      "How long a process's on-chain freeze status is trusted before it is read again (a frozen process gets no new slots)",
    ),
  pendingCheckEvery: duration()
    .prefault("2s")
    .describe(
      "How often the registry is read for Process items held pending (posted before their on-chain spawn): slot 0 is assigned once the process is spawned",
    ),
  pendingTtl: duration()
    .prefault("7d")
    .describe(
      "How long a Process item is held pending before it is dropped if its process is still not spawned on chain (the item can be posted again)",
    ),
  publishBatch: positiveInt().prefault(100).describe("The most slots put in one bundle"),
  maxPublishBacklog: positiveInt()
    .prefault(10_000)
    .describe(
      "The most slots accepted and not yet published to Arweave: above it POST / answers 503 PublishBacklogFull with Retry-After (nothing is assigned) until publishing catches up",
    ),
  logLevel: logLevel().prefault("info").describe("The lowest log level written"),
});

export type SchedulerConfig = Config<typeof SchedulerSettings>;
