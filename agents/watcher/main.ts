/**
 * The watcher's entry point: config → store → chain → Arweave log → game player → watcher → HTTP server,
 * and a loop that scans, judges, plays games and claims payouts every `pollMs`.
 *
 *   node -r ts-node/register/transpile-only agents/watcher/main.ts --help
 *   node agents/watcher/bin/holo-watcher.js --rpc-url ... (the same, with the repository's ts-node set up)
 */
import fs from "node:fs";

import { ArweaveClient } from "../common/arweave";
import type { ChainClient } from "../common/chain";
import { redactConfig } from "../common/config";
import { connectAgentChain, runAgent, runIfMain } from "../common/main";
import { GamePlayer } from "../common/games";
import type { HttpServer } from "../common/http";
import type { Logger } from "../common/log";
import { createMetrics } from "../common/metrics";
import type { Store } from "../common/store";
import type { LogSource } from "../compute/domain/log-source";
import { assignmentDomain } from "../../sdk/ts/assignments";
import { ProcessRegistry__factory } from "../../typechain-types";
import { createWatcherApi } from "./api/routes";
import { WatcherSettings, type WatcherConfig } from "./config";
import { ArweaveLogSource } from "./domain/arweave-log";
import { openWatcherStore } from "./domain/store";
import { Watcher } from "./domain/watcher";

export { WatcherSettings, type WatcherConfig } from "./config";

export interface RunningWatcher {
  url: string;
  watcher: Watcher;
  player: GamePlayer;
  /** One round: scan, judge, play, claim (the loop calls it every `pollMs`). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the watcher with `config`; resolves when it listens. `deps.source` replaces the Arweave log,
 * `deps.loop: false` turns the polling loop off (tests call `tick`), `deps.now` replaces the clock of the
 * idle back-off.
 */
export async function startWatcher(
  config: WatcherConfig,
  logger: Logger,
  deps: { source?: LogSource; loop?: boolean; now?: () => number } = {},
): Promise<RunningWatcher> {
  const metrics = createMetrics({ agent: "watcher" });
  let store: Store | undefined;
  let chain: ChainClient | undefined;
  let app: HttpServer | undefined;
  try {
    const wasms = config.processes.map((p) => ({ id: p.id, wasm: new Uint8Array(fs.readFileSync(p.wasm)) }));
    store = openWatcherStore(config.storePath);
    chain = await connectAgentChain(config, store.db, logger, metrics);
    const registry = ProcessRegistry__factory.connect(config.processRegistry, chain.provider);
    const source =
      deps.source ??
      new ArweaveLogSource({
        arweave: new ArweaveClient({ url: config.arweaveUrl, logger, metrics }),
        domain: assignmentDomain(chain.chainId, config.processRegistry),
        schedulerOf: async (p) => (await registry.getProcess(p)).scheduler,
        logger,
        pageSize: config.pageSize,
      });
    // The player asks the watcher for traces; the watcher needs the player: tied through a reference.
    const ref: { watcher?: Watcher } = {};
    const player = await GamePlayer.open({
      store,
      chain,
      disputeGame: config.disputeGame,
      resultRegistry: config.resultRegistry,
      stakeManager: config.stakeManager,
      traceFor: (c) => ref.watcher!.traceFor(c),
      logger,
      metrics,
      marginSec: config.answerTime / 1000,
      fromBlock: config.fromBlock,
    });
    await chain.recover();
    const w = await Watcher.open({
      store,
      chain,
      player,
      resultRegistry: config.resultRegistry,
      processRegistry: config.processRegistry,
      source,
      processes: wasms,
      logger,
      metrics,
      fromBlock: config.fromBlock,
      reexecStepsPerSecond: config.reexecStepsPerSecond,
      checkpointEverySlots: config.checkpointEverySlots,
      pruneCheckpoints: config.pruneCheckpoints,
      idleBackoff:
        config.idlePollMax > config.pollMs ? { minMs: config.pollMs, maxMs: config.idlePollMax } : undefined,
      now: deps.now,
    });
    ref.watcher = w;
    app = createWatcherApi({ watcher: w, player, logger, metrics });
    const url = await app.listen({ host: config.host, port: config.port });
    const tick = async () => {
      try {
        await w.tick();
      } catch (error) {
        logger.warn(
          { event: "watcher.round.retry", err: error instanceof Error ? error.message : String(error) },
          "round failed; retried next poll",
        );
      }
    };
    let running: Promise<void> = Promise.resolve();
    let stopped = false;
    const timer =
      (deps.loop ?? true)
        ? setInterval(() => {
            running = running.then(() => (stopped ? undefined : tick()));
          }, config.pollMs)
        : undefined;
    logger.info(
      {
        event: "watcher.started",
        url,
        address: chain.address,
        config: redactConfig(WatcherSettings, config),
      },
      "watcher started",
    );
    const [s, c, server] = [store, chain, app];
    return {
      url,
      watcher: w,
      player,
      tick,
      async stop() {
        stopped = true;
        clearInterval(timer);
        await running;
        await server.close();
        c.close();
        s.close();
      },
    };
  } catch (error) {
    await app?.close();
    chain?.close();
    store?.close();
    throw error;
  }
}

/** The command line: `holo-watcher --help` lists every setting. */
export function main(argv: readonly string[]): Promise<number> {
  return runAgent(
    {
      command: "holo-watcher",
      agent: "watcher",
      title: "the Holoproof watcher",
      settings: WatcherSettings,
      start: startWatcher,
    },
    argv,
  );
}

runIfMain(module, "holo-watcher", main);
