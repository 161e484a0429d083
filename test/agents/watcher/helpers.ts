/** Shared fixtures of the watcher tests: a watcher's configuration over a game system, a counting log source. */
import { loadConfig } from "../../../agents/common/config";
import type { LogEntry, LogSource } from "../../../agents/compute/domain/log-source";
import { WatcherSettings, type WatcherConfig } from "../../../agents/watcher/config";
import type { GameSystem } from "../../helpers/game";
import { accountKey } from "../scheduler/helpers";

/** Where a test's watcher runs: its chain endpoint, the process's wasm file, and its store file. */
export interface GameWatcherPlace {
  rpcUrl: string;
  wasm: string;
  storePath: string;
}

/**
 * The configuration of a watcher over `sys` (deployGameSystem's watcher, account 4), watching its one
 * process: any free port, no polling loop to speak of (pollMs 1h: tests tick by hand) and no
 * confirmations. `overrides` are further flags (arweaveUrl, privateKey, crossCheckRpcUrls, …), applied last.
 */
export function gameWatcherConfig(
  sys: GameSystem,
  { rpcUrl, wasm, storePath }: GameWatcherPlace,
  overrides: Record<string, unknown> = {},
): WatcherConfig {
  return loadConfig(WatcherSettings, {
    env: {},
    flags: {
      rpcUrl,
      privateKey: accountKey(4),
      resultRegistry: sys.results.target as string,
      processRegistry: sys.processes.target as string,
      disputeGame: sys.game.target as string,
      stakeManager: sys.stake.target as string,
      processes: [{ id: sys.process, wasm }],
      storePath,
      port: 0,
      pollMs: "1h",
      confirmations: 0,
      ...overrides,
    },
  });
}

/** A log source that records where each read starts (which slots a watcher asks its gateway for). */
export class CountingSource implements LogSource {
  readonly reads: bigint[] = [];
  constructor(private readonly inner: LogSource) {}
  read(process: string, from: bigint, limit: number): Promise<LogEntry[]> {
    this.reads.push(from);
    return this.inner.read(process, from, limit);
  }
}
