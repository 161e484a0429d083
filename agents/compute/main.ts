/**
 * The compute unit's entry point: config → Arweave client → store → chain → SU log → compute unit → game
 * player (with `disputeGame`) → HTTP server, and two loops, each `pollMs` after its own round: one evaluates,
 * the other plays games, publishes to Arweave, commits and finalizes.
 *
 *   node -r ts-node/register/transpile-only agents/compute/main.ts --help
 *   node agents/compute/bin/holo-cu.js --rpc-url ... (the same, with the repository's ts-node set up)
 */
import fs from "node:fs";

import type { JWKInterface } from "@dha-team/arbundles";

import { ArweaveClient, ArweaveError } from "../common/arweave";
import type { ChainClient } from "../common/chain";
import { ConfigError, redactConfig } from "../common/config";
import { connectAgentChain, runAgent, runIfMain } from "../common/main";
import { GamePlayer } from "../common/games";
import { maxReexecutableStepLimit } from "../common/process";
import { DisputeGame__factory } from "../../typechain-types";
import type { HttpServer } from "../common/http";
import { logPage, type Logger } from "../common/log";
import { createMetrics } from "../common/metrics";
import type { Store } from "../common/store";
import { createComputeApi } from "./api/routes";
import { ComputeSettings, type ComputeConfig } from "./config";
import { ComputeUnit } from "./domain/compute";
import { ComputeError } from "./domain/errors";
import type { LogSource } from "./domain/log-source";
import { openComputeStore } from "./domain/store";
import { SuLogSource } from "./domain/su-client";

export interface RunningCompute {
  url: string;
  cu: ComputeUnit;
  /** The game player defending this CU's commitments (with `disputeGame` and `stakeManager` set). */
  player: GamePlayer | undefined;
  /** One round: evaluate, commit and finalize every process (the loop calls it every `pollMs`). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/** Reads the `arweaveWallet` JWK file; a `ConfigError` naming the setting when it is not a usable JWK. */
export function readArweaveWallet(file: string): JWKInterface {
  let jwk: unknown;
  try {
    jwk = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError([
      {
        key: "arweaveWallet",
        source: `arweaveWallet ${file}`,
        problem: `cannot be read as JSON: ${(error as Error).message}`,
      },
    ]);
  }
  const k = jwk as Partial<JWKInterface> | null;
  if (
    typeof k !== "object" ||
    k === null ||
    k.kty !== "RSA" ||
    typeof k.n !== "string" ||
    typeof k.d !== "string"
  ) {
    throw new ConfigError([
      {
        key: "arweaveWallet",
        source: `arweaveWallet ${file}`,
        problem: "is not an Arweave JWK with its private part (kty RSA, n, e, d…)",
      },
    ]);
  }
  return k as JWKInterface;
}

/** Starts the CU with `config`; resolves when it listens. `deps.source` replaces the SU client. */
export async function startCompute(
  config: ComputeConfig,
  logger: Logger,
  deps: { source?: LogSource; loop?: boolean } = {},
): Promise<RunningCompute> {
  const metrics = createMetrics({ agent: "cu" });
  let store: Store | undefined;
  let chain: ChainClient | undefined;
  let app: HttpServer | undefined;
  try {
    let arweave: { target: ArweaveClient; wallet: JWKInterface } | undefined;
    if (config.arweaveUrl !== undefined && config.arweaveWallet !== undefined) {
      const wallet = readArweaveWallet(config.arweaveWallet);
      const local =
        config.arweaveLocal === "true" ||
        (config.arweaveLocal === "auto" &&
          /^(localhost|127\.0\.0\.1)$/.test(new URL(config.arweaveUrl).hostname));
      let target: ArweaveClient;
      try {
        target = new ArweaveClient({ url: config.arweaveUrl, wallet, local, logger, metrics });
      } catch (error) {
        if (!(error instanceof ArweaveError)) throw error;
        throw new ConfigError([
          { key: "arweaveUrl", source: `arweaveUrl ${config.arweaveUrl}`, problem: error.message },
        ]);
      }
      arweave = { target, wallet };
    }
    store = openComputeStore(config.storePath);
    chain = await connectAgentChain(config, store.db, logger, metrics);
    // A process whose step limit cannot be re-executed within half the game's clockExtension could not be
    // defended (docs/threat-model.md row 29): refused at follow, when this CU plays games.
    const maxStepLimit =
      config.disputeGame === undefined
        ? undefined
        : maxReexecutableStepLimit(
            BigInt(await DisputeGame__factory.connect(config.disputeGame, chain.provider).clockExtension()),
            config.reexecStepsPerSecond,
          );
    const cu = await ComputeUnit.open({
      store,
      chain,
      maxStepLimit,
      resultRegistry: config.resultRegistry,
      processRegistry: config.processRegistry,
      source: deps.source ?? new SuLogSource(config.suUrl),
      processes: config.processes.map((p) => ({ id: p.id, wasm: new Uint8Array(fs.readFileSync(p.wasm)) })),
      commitEverySlots: config.commitEverySlots,
      commitEveryMs: config.commitEveryMs,
      checkpointEverySlots: config.checkpointEverySlots,
      pruneCheckpoints: config.pruneCheckpoints,
      arweave,
      fault:
        config.fault === undefined
          ? undefined
          : { kind: config.fault.kind, fromSlot: BigInt(config.fault.fromSlot) },
      logger,
      metrics,
    });
    if (config.retryRefused) for (const p of cu.processes) cu.retryRefused(p);
    const player =
      config.disputeGame !== undefined && config.stakeManager !== undefined
        ? await GamePlayer.open({
            store,
            chain,
            disputeGame: config.disputeGame,
            resultRegistry: config.resultRegistry,
            stakeManager: config.stakeManager,
            traceFor: (c) => cu.gameTrace(c),
            marginSec: config.answerTime / 1000,
            logger,
            metrics,
          })
        : undefined;
    app = createComputeApi({ cu, logger, metrics });
    const url = await app.listen({ host: config.host, port: config.port });
    const paged = new Set<string>();
    /** A round of process `p` failed: a ComputeError stops it (paged once), anything else is retried. */
    const failed = (p: string, error: unknown) => {
      if (error instanceof ComputeError) {
        if (!paged.has(p))
          logPage(logger, "livenessAtRisk", { process: p, err: error }, "evaluation stopped");
        paged.add(p);
      } else {
        logger.warn({ event: "cu.round.retry", process: p, err: error }, "round failed; retried next poll");
      }
    };
    // Evaluation: read the SU's log and evaluate every process.
    const evaluateAll = async () => {
      for (const p of cu.processes) {
        try {
          await cu.evaluate(p);
        } catch (error) {
          failed(p, error);
        }
      }
    };
    // The rest of a round: games, then Arweave publishing, pruning, commitments and finalization of what is evaluated.
    const work = async () => {
      // Games first: a move is due against a clock, commitments can wait a round.
      if (player !== undefined) {
        try {
          await player.tick();
          await player.claimPayouts();
        } catch (error) {
          logger.warn({ event: "cu.games.retry", err: error }, "playing games failed; retried next poll");
        }
      }
      for (const p of cu.processes) {
        try {
          try {
            await cu.publish(p);
          } catch (error) {
            // Commits need their results item on Arweave: commit() retries it; checkpoints wait.
            logger.warn(
              { event: "cu.publish.retry", process: p, err: error },
              "publishing to Arweave failed; retried next poll",
            );
          }
          // Superseded commitments (another CU's chain finalized) are pruned first, so commit() can rebase.
          await cu.prune(p);
          await cu.commit(p);
          await cu.finalize(p);
        } catch (error) {
          failed(p, error);
        }
      }
    };
    /** One whole round, in order (tests drive the CU with it when `deps.loop` is false). */
    const tick = async () => {
      await evaluateAll();
      await work();
    };
    // Two loops, each waiting `pollMs` after its previous round: evaluation never waits for a chain receipt or
    // an Arweave post (a gateway that takes seconds to index a bundle would otherwise hold every result back).
    let stopped = false;
    const every = (round: () => Promise<void>) => {
      let timer: NodeJS.Timeout | undefined;
      let wake: (() => void) | undefined;
      const done = (async () => {
        while (!stopped) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, config.pollMs);
          });
          timer = undefined;
          if (stopped) break;
          try {
            await round();
          } catch (error) {
            logger.warn({ event: "cu.round.retry", err: error }, "round failed; retried next poll");
          }
        }
      })();
      return {
        done,
        /** Ends the wait for the next round (a round in progress finishes first). */
        wake() {
          if (timer !== undefined) clearTimeout(timer);
          wake?.();
        },
      };
    };
    const loops: { done: Promise<void>; wake(): void }[] = [];
    if (deps.loop ?? true) loops.push(every(evaluateAll), every(work));
    logger.info(
      { event: "cu.started", url, config: redactConfig(ComputeSettings, config) },
      "compute unit started",
    );
    const [s, c, server] = [store, chain, app];
    return {
      url,
      cu,
      player,
      tick,
      async stop() {
        stopped = true;
        for (const l of loops) l.wake();
        await Promise.all(loops.map((l) => l.done));
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

/** The command line: `holo-cu --help` lists every setting. */
export function main(argv: readonly string[]): Promise<number> {
  return runAgent(
    {
      command: "holo-cu",
      agent: "cu",
      title: "the Holoproof compute unit",
      settings: ComputeSettings,
      start: startCompute,
    },
    argv,
  );
}

runIfMain(module, "holo-cu", main);
