/**
 * The scheduler unit's entry point: config → store → chain and gateway → scheduler, publisher → HTTP server.
 *
 *   node -r ts-node/register/transpile-only agents/scheduler/main.ts --help
 *   node agents/scheduler/bin/holo-su.js --rpc-url ... (the same, with the repository's ts-node set up)
 */
import fs from "node:fs";

import type { JWKInterface } from "@dha-team/arbundles";
import { JsonRpcProvider, type Provider } from "ethers";

import { ArweaveClient, EthereumItemSigner, WalletFunding } from "../common/arweave";
import { ConfigError, redactConfig } from "../common/config";
import { needs, runAgent, runIfMain } from "../common/main";
import type { Logger } from "../common/log";
import { createMetrics } from "../common/metrics";
import type { HttpServer } from "../common/http";
import type { Store } from "../common/store";
import { ProcessRegistry__factory } from "../../typechain-types";
import { SchedulerSettings, type SchedulerConfig } from "./config";
import { createSchedulerApi } from "./api/routes";
import { Publisher } from "./domain/publisher";
import { Scheduler, registryDirectory } from "./domain/scheduler";
import { openSchedulerStore } from "./domain/store";

/** The Arweave block height from the gateway's `/info` (`height`), 0 if it has none. */
export async function gatewayHeight(url: string): Promise<number> {
  const res = await fetch(new URL("/info", url), { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url}/info answered ${res.status}`);
  const info = (await res.json()) as { height?: unknown };
  const h = Number(info.height ?? 0);
  return Number.isSafeInteger(h) && h >= 0 ? h : 0;
}

/**
 * How often the Scheduler-Location item is re-published: every half of its TTL (so a reader never sees it
 * expired), at least every second and at most every 2^31 − 1 ms (setInterval's limit).
 */
export function locationRefreshMs(ttlMs: number): number {
  return Math.min(Math.max(Math.floor(ttlMs / 2), 1_000), 2 ** 31 - 1);
}

export interface RunningScheduler {
  url: string;
  scheduler: Scheduler;
  publisher: Publisher;
  stop(): Promise<void>;
}

/**
 * Starts the SU with `config`; resolves when it listens. `provider` replaces the JSON-RPC provider made from
 * `rpcUrl` (tests pass Hardhat's in-process one).
 */
export async function startScheduler(
  config: SchedulerConfig,
  logger: Logger,
  deps: { provider?: Provider } = {},
): Promise<RunningScheduler> {
  const metrics = createMetrics({ agent: "su" });
  const wallet = JSON.parse(fs.readFileSync(config.arweaveWallet, "utf8")) as JWKInterface;
  const owned = deps.provider === undefined ? new JsonRpcProvider(config.rpcUrl) : undefined;
  const provider: Provider = deps.provider ?? owned!;
  let store: Store | undefined;
  let heightTimer: NodeJS.Timeout | undefined;
  let locationTimer: NodeJS.Timeout | undefined;
  let pendingTimer: NodeJS.Timeout | undefined;
  let app: HttpServer | undefined;
  try {
    // unreachable dependencies are waited for by runAgent (needs: a DependencyUnavailableError naming them)
    const network = await needs("chain", () => provider.getNetwork());
    if (network.chainId !== BigInt(config.chainId)) {
      throw new ConfigError([
        {
          key: "chainId",
          source: "chainId",
          problem: `the RPC is on chain ${network.chainId}, not ${config.chainId}`,
        },
      ]);
    }
    store = openSchedulerStore(config.storePath);
    const registry = ProcessRegistry__factory.connect(config.processRegistry, provider);
    const scheduler = new Scheduler({
      store,
      privateKey: config.privateKey,
      chainId: config.chainId,
      processRegistry: config.processRegistry,
      directory: registryDirectory(registry),
      logger,
      metrics,
      freezeCheckMs: config.freezeCheckEvery,
      pendingTtlMs: config.pendingTtl,
    });
    for (const p of config.processes) await needs("chain", () => scheduler.registerProcess(p));
    const local =
      config.local === "true" ||
      (config.local === "auto" && /^(localhost|127\.0\.0\.1)$/.test(new URL(config.arweaveUrl).hostname));
    const arweave = new ArweaveClient({ url: config.arweaveUrl, wallet, local, logger, metrics });
    const refreshHeight = async () => {
      try {
        scheduler.setBlockHeight(await gatewayHeight(config.arweaveUrl));
      } catch (error) {
        logger.warn(
          { event: "su.height.retry", err: error },
          "the gateway's /info failed; keeping the last height",
        );
      }
    };
    await refreshHeight();
    heightTimer = setInterval(() => void refreshHeight(), config.publishEvery);
    // Process items posted before their on-chain spawn get slot 0 once the registry shows the process.
    // (one round at a time: a slow registry read does not pile rounds up)
    let activating = false;
    const activatePending = async () => {
      if (activating) return;
      activating = true;
      try {
        await scheduler.activatePending();
      } catch (error) {
        logger.warn({ event: "su.pending.retry", err: error }, "pending Process items not checked; retried");
      } finally {
        activating = false;
      }
    };
    pendingTimer = setInterval(() => void activatePending(), config.pendingCheckEvery);
    const itemSigner = new EthereumItemSigner(config.privateKey);
    if (local) {
      // ArLocal indexes a bundled item only if it holds a wallet for the item's owner (else its inner post
      // answers 410 and the item is silently left out): give the type-3 owner of the Assignment items one.
      await needs("gateway", () => new WalletFunding(arweave).mint(itemSigner.ownerAddress, 10n ** 12n));
    }
    const publisher = new Publisher({
      store,
      arweave,
      wallet,
      itemSigner,
      scheduler: scheduler.address,
      batch: config.publishBatch,
      logger,
      metrics,
    });
    app = createSchedulerApi({
      scheduler,
      logger,
      metrics,
      bodyLimit: config.bodyLimit,
      arweaveAddress: await arweave.address(),
      // back-pressure: at most maxPublishBacklog slots accepted and not yet published (finding 1)
      backlog: {
        count: () => publisher.backlog(),
        limit: config.maxPublishBacklog,
        retryAfterSec: Math.max(1, Math.ceil(config.publishEvery / 1000)),
      },
    });
    const url = await app.listen({ host: config.host, port: config.port });
    // The Scheduler-Location item expires after its TTL: it is published at start and again every half TTL.
    const publishLocation = async () => {
      try {
        await publisher.publishLocation(config.publicUrl ?? url, config.locationTtl);
      } catch (error) {
        logger.warn(
          { event: "su.location.retry", err: error },
          "Scheduler-Location not published; it is resumed next round",
        );
      }
    };
    await publishLocation();
    locationTimer = setInterval(() => void publishLocation(), locationRefreshMs(config.locationTtl));
    publisher.start(config.publishEvery);
    logger.info(
      {
        event: "su.started",
        url,
        scheduler: scheduler.address,
        config: redactConfig(SchedulerSettings, config),
      },
      "scheduler unit started",
    );
    const [openStore, timer, server, locTimer, pendTimer] = [
      store,
      heightTimer,
      app,
      locationTimer,
      pendingTimer,
    ];
    return {
      url,
      scheduler,
      publisher,
      async stop() {
        clearInterval(timer);
        clearInterval(locTimer);
        clearInterval(pendTimer);
        await server.close();
        await publisher.stop();
        owned?.destroy();
        openStore.close();
      },
    };
  } catch (error) {
    clearInterval(heightTimer);
    clearInterval(locationTimer);
    clearInterval(pendingTimer);
    await app?.close();
    store?.close();
    owned?.destroy();
    throw error;
  }
}

/** The command line: `holo-su --help` lists every setting. */
export function main(argv: readonly string[]): Promise<number> {
  return runAgent(
    {
      command: "holo-su",
      agent: "su",
      title: "the Holoproof scheduler unit",
      settings: SchedulerSettings,
      start: startScheduler,
    },
    argv,
  );
}

runIfMain(module, "holo-su", main);
