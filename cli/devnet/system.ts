/**
 * The agents of `holo devnet`: ArLocal with a funded Arweave wallet, a scheduler unit (SU), an honest compute
 * unit (CU), a watcher and, in the fraud scenario, a second CU with a `fault`;
 * each operator bonded on the StakeManager. Then the example token module is published to ArLocal and
 * registered, and a token process spawned through the SU (a `Type: Process` item) and
 * `ProcessRegistry.spawn`. The agents' JSON logs go to files; what matters is reported as human lines.
 */
import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";

import type { JWKInterface } from "@dha-team/arbundles";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { DevnetDeployment } from "../../deploy";
import type { DevAccount } from "../lib/accounts";
import { arweaveIdHex, postToScheduler, signAoItem } from "../lib/ao";
import { CliError } from "../lib/errors";
import { startArLocal, type RunningArLocal } from "./arlocal";

/** The example process the devnet spawns, as `npm run build:processes` writes it. */
export const TOKEN_WASM = path.resolve(__dirname, "..", "..", "build", "processes", "token.wasm");

export type Scenario = "honest" | "fraud";

/** Who plays which role (development accounts). */
export interface Roles {
  owner: DevAccount;
  su: DevAccount;
  cu: DevAccount;
  watcher: DevAccount;
  liar: DevAccount;
}

export interface SystemOptions {
  hre: HardhatRuntimeEnvironment;
  rpcUrl: string;
  chainId: number;
  deployment: DevnetDeployment;
  roles: Roles;
  /** Where ArLocal's data, the wallet, the stores and the logs go. */
  dataDir: string;
  arlocalPort: number;
  host: string;
  scenario: Scenario;
  /** The CU's batching: one commitment of `commitEverySlots` slots, or what is pending after `commitEveryMs`. */
  commitEverySlots: number;
  commitEveryMs: string;
  pollMs: number;
  wasm: string;
  /** A human progress line (stderr). */
  progress: (line: string) => void;
  /** A live event line (stderr), from the agents' logs. */
  event: (line: string) => void;
}

/** A running CU (agents/compute/main.ts). */
type ComputeHandle = import("../../agents/compute/main").RunningCompute;

export interface AgentsInfo {
  gatewayUrl: string;
  arweaveWallet: string;
  arweaveAddress: string;
  logsDir: string;
  su: { url: string; address: string; log: string };
  cus: { name: string; url: string; address: string; fault: unknown; log: string }[];
  watcher: { url: string; address: string; log: string };
  module: { moduleId: string; arweaveItemId: string; wasm: string };
  process: { id: string; target: string; arweaveItemId: string; owner: string };
}

export interface RunningSystem {
  info: AgentsInfo;
  jwk: JWKInterface;
  cus: { name: string; address: string; honest: boolean; handle: ComputeHandle }[];
  /** Sends a token message to the process; its slot. */
  send(tags: { name: string; value: string }[], data?: string): Promise<{ id: string; slot: number }>;
  stop(): Promise<void>;
}

/** A stream writing JSON log lines to `file` and handing each parsed line to `onLine`. */
function teeLog(
  file: string,
  onLine: (line: Record<string, unknown>) => void,
): Writable & { closeFile(): void } {
  const fd = fs.openSync(file, "a");
  let pending = "";
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const text = chunk.toString();
      fs.writeSync(fd, text);
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() === "") continue;
        try {
          onLine(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not JSON: kept in the file only
        }
      }
      callback();
    },
  }) as Writable & { closeFile(): void };
  stream.closeFile = () => {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
  };
  return stream;
}

const short = (hex: string): string => (hex.length > 14 ? `${hex.slice(0, 10)}…${hex.slice(-4)}` : hex);

/**
 * Starts ArLocal and the agents, bonds their operators, publishes and registers the token module and spawns a
 * token process. Everything started is stopped if a later step fails.
 */
export async function startSystem(o: SystemOptions): Promise<RunningSystem> {
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch {
        // best effort: the rest still stops
      }
    }
  };
  try {
    return await start(o, stops, stopAll);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function start(
  o: SystemOptions,
  stops: (() => Promise<void> | void)[],
  stopAll: () => Promise<void>,
): Promise<RunningSystem> {
  if (!fs.existsSync(o.wasm) && path.resolve(o.wasm) === TOKEN_WASM) {
    // A fresh clone has not built the example processes yet (`npm test` does): build the token now.
    o.progress("Building the example token process (AssemblyScript, once)…");
    const { buildProcess } = await import("../../scripts/build-processes");
    buildProcess("token");
  }
  if (!fs.existsSync(o.wasm)) {
    throw new CliError(
      `the example token module ${o.wasm} is missing: run \`npm run build:processes\` first (or give --no-agents)`,
      { code: "E_INPUT", exitCode: 2 },
    );
  }
  const { ArweaveClient, WalletFunding } = await import("../../agents/common/arweave");
  const { createLogger } = await import("../../agents/common/log");
  const { loadConfig } = await import("../../agents/common/config");
  const { SchedulerSettings } = await import("../../agents/scheduler/config");
  const { startScheduler } = await import("../../agents/scheduler/main");
  const { ComputeSettings } = await import("../../agents/compute/config");
  const { startCompute } = await import("../../agents/compute/main");
  const { WatcherSettings } = await import("../../agents/watcher/config");
  const { startWatcher } = await import("../../agents/watcher/main");
  const { loadModule, MODULE_DEFAULTS, moduleTags } = await import("../commands/module");
  // the agents run in this process: ethers hashes on the machine's WebAssembly keccak, as in holo-su/cu/watcher
  (await import("../../agents/common/hashing")).useFastKeccak();

  const logsDir = path.join(o.dataDir, "logs");
  fs.mkdirSync(logsDir, { recursive: true });
  const silent = createLogger({ agent: "devnet", level: "silent" });

  // 1. ArLocal and the Arweave wallet (SU bundles, module and process items, messages).
  o.progress("Starting ArLocal…");
  const arlocal: RunningArLocal = await startArLocal(o.arlocalPort, path.join(o.dataDir, "arlocal"));
  stops.push(() => arlocal.stop());
  const jwk = (await (await import("arweave")).default.init({}).wallets.generate()) as JWKInterface;
  const walletFile = path.join(o.dataDir, "arweave-wallet.json");
  fs.writeFileSync(walletFile, JSON.stringify(jwk), { mode: 0o600 });
  const gateway = new ArweaveClient({ url: arlocal.url, wallet: jwk, local: true, logger: silent });
  const arweaveAddress = await new WalletFunding(gateway).fund(jwk, 10n ** 15n);
  o.progress(`ArLocal ${arlocal.url}: wallet ${arweaveAddress} funded with test AR`);

  // 2. Bond the operators.
  const { stakeToken, stakeManager, processRegistry, resultRegistry } = o.deployment.contracts;
  const minScheduler = await processRegistry.minSchedulerStake();
  const commitmentStake = await resultRegistry.commitmentStake();
  const ONE = 10n ** 18n;
  const bondOf = (role: "su" | "cu" | "watcher" | "liar") =>
    role === "su" ? minScheduler : 10n * (commitmentStake > 0n ? commitmentStake : ONE);
  const roles: ("su" | "cu" | "watcher" | "liar")[] =
    o.scenario === "fraud" ? ["su", "cu", "watcher", "liar"] : ["su", "cu", "watcher"];
  for (const role of roles) {
    const account = o.roles[role];
    const signer = await o.hre.ethers.getSigner(account.address);
    const amount = bondOf(role);
    await (await stakeToken.connect(signer).approve(await stakeManager.getAddress(), amount)).wait();
    await (await stakeManager.connect(signer).bond(amount)).wait();
    o.progress(
      `Bonded ${amount / ONE} HOLO-DEV for the ${role === "liar" ? "faulty CU" : role.toUpperCase()} ${account.address}`,
    );
  }

  // 3. The SU.
  const suLog = path.join(logsDir, "su.log");
  const suStream = teeLog(suLog, (l) => {
    if (l.event === "su.slot.assigned") {
      o.event(
        `scheduled   slot ${String(l.slot)} of ${short(String(l.process))}: message ${String(l.message)}`,
      );
    }
  });
  stops.push(() => suStream.closeFile());
  const suConfig = loadConfig(SchedulerSettings, {
    env: {},
    flags: {
      rpcUrl: o.rpcUrl,
      privateKey: o.roles.su.privateKey,
      processRegistry: await processRegistry.getAddress(),
      chainId: String(o.chainId),
      arweaveUrl: arlocal.url,
      arweaveWallet: walletFile,
      local: "true",
      storePath: path.join(o.dataDir, "su.sqlite"),
      host: o.host,
      port: "0",
      publishEvery: "500ms",
      logLevel: "info",
    },
  });
  const su = await startScheduler(suConfig, createLogger({ agent: "su", destination: suStream }));
  stops.push(() => su.stop());
  o.progress(`SU ${su.url} (scheduler ${o.roles.su.address}), log ${suLog}`);

  // 4. The token module: published to ArLocal with AO's module tags, then registered on chain.
  const loaded = await loadModule(o.wasm, MODULE_DEFAULTS.memoryPages);
  const moduleItem = await signAoItem(jwk, {
    type: "Module",
    tags: moduleTags(loaded, MODULE_DEFAULTS),
    data: loaded.bytes,
  });
  await gateway.postDataItems([moduleItem]);
  const owner = await o.hre.ethers.getSigner(o.roles.owner.address);
  const moduleContent = [
    loaded.moduleRoot,
    loaded.wasmHash,
    arweaveIdHex(moduleItem.id),
    MODULE_DEFAULTS.memoryPages,
    MODULE_DEFAULTS.stepLimit,
    MODULE_DEFAULTS.maxMessageBytes,
  ] as const;
  const moduleId = await processRegistry.computeModuleId(...moduleContent);
  await (await processRegistry.connect(owner).registerModule(...moduleContent)).wait();
  o.progress(`Module ${short(moduleId)} registered (token.wasm, Arweave item ${moduleItem.id})`);

  // 5. The token process: a Process item, spawned on chain with the item's id, then posted to the SU.
  const processItem = await signAoItem(jwk, {
    type: "Process",
    tags: [
      { name: "Module", value: moduleItem.id },
      { name: "Scheduler", value: arweaveAddress },
      { name: "Holo-Module", value: moduleId },
      { name: "Holo-Initial-State", value: loaded.initialStateHash },
      { name: "Holo-Owner", value: o.roles.owner.address },
      { name: "Name", value: "devnet-token" },
    ],
    data: "",
  });
  const spawnArgs = [
    moduleId,
    o.roles.su.address,
    loaded.initialStateHash,
    arweaveIdHex(processItem.id),
  ] as const;
  await (await processRegistry.connect(owner).spawn(...spawnArgs)).wait();
  const processId = (
    await processRegistry.computeProcessId(...spawnArgs, o.roles.owner.address)
  ).toLowerCase();
  const spawned = await postToScheduler(su.url, new Uint8Array(processItem.getRaw()));
  if (spawned.process.toLowerCase() !== processId) {
    throw new CliError(`the SU registered process ${spawned.process}, not the spawned ${processId}`);
  }
  const target = Buffer.from(processId.slice(2), "hex").toString("base64url");
  o.progress(`Process ${processId} spawned (owner ${o.roles.owner.address}, slot 0 at the SU)`);

  // 6. The CUs: the honest one, and in the fraud scenario a faulty one.
  const cus: RunningSystem["cus"] = [];
  const cuInfo: AgentsInfo["cus"] = [];
  const startCu = async (
    name: string,
    account: DevAccount,
    fault?: { kind: "state" | "result"; fromSlot: number },
  ) => {
    const log = path.join(logsDir, `${name}.log`);
    let lastGameLine = "";
    const stream = teeLog(log, (l) => {
      if (l.msg === "commitment posted") {
        o.event(
          `${name.padEnd(11)} posted commitment ${short(String(l.id))} for slots ${String(l.firstSlot)}–${String(l.lastSlot)}`,
        );
      } else if (typeof l.event === "string" && /^game\.(move\.refused|ended|timeout)/.test(l.event)) {
        const revert = /reverts[^:]*: (\w+)\(/.exec(String(l.err ?? ""))?.[1];
        const line = `${name.padEnd(11)} ${l.event}${revert === undefined ? "" : `: ${revert}`}`;
        if (line !== lastGameLine) o.event(line); // a refused move is retried every poll: said once
        lastGameLine = line;
      } else if (typeof l.event === "string" && /^page\./.test(l.event)) {
        o.event(`${name.padEnd(11)} ${l.event}: ${String(l.msg ?? "")}`);
      }
    });
    stops.push(() => stream.closeFile());
    const flags: Record<string, string> = {
      rpcUrl: o.rpcUrl,
      privateKey: account.privateKey,
      resultRegistry: await resultRegistry.getAddress(),
      processRegistry: await processRegistry.getAddress(),
      suUrl: su.url,
      storePath: path.join(o.dataDir, `${name}.sqlite`),
      host: o.host,
      port: "0",
      processes: JSON.stringify([{ id: processId, wasm: o.wasm }]),
      commitEverySlots: String(o.commitEverySlots),
      commitEveryMs: o.commitEveryMs,
      pollMs: `${o.pollMs}ms`,
      logLevel: "info",
      arweaveUrl: arlocal.url,
      arweaveWallet: walletFile,
      disputeGame: await o.deployment.contracts.disputeGame.getAddress(),
      stakeManager: await stakeManager.getAddress(),
      // The devnet's game clock is 120 s: a move is expected within seconds, not the default minute.
      answerTime: "5s",
    };
    if (fault !== undefined) flags.fault = JSON.stringify(fault);
    const config = loadConfig(ComputeSettings, { env: {}, flags });
    const handle: ComputeHandle = await startCompute(
      config,
      createLogger({ agent: name, destination: stream }),
    );
    stops.push(() => handle.stop());
    cus.push({ name, address: account.address, honest: fault === undefined, handle });
    cuInfo.push({ name, url: handle.url, address: account.address, fault: fault ?? null, log });
    o.progress(
      `${name === "cu" ? "CU" : "Faulty CU"} ${handle.url} (${account.address}${fault === undefined ? "" : `, fault ${fault.kind} from slot ${fault.fromSlot}`}), log ${log}`,
    );
  };
  await startCu("cu", o.roles.cu);
  if (o.scenario === "fraud") {
    await startCu("faulty-cu", o.roles.liar, { kind: "state", fromSlot: 1 });
  }

  // 7. The watcher.
  const watcherLog = path.join(logsDir, "watcher.log");
  const watcherStream = teeLog(watcherLog, (l) => {
    if (typeof l.event === "string" && /challenge|game|move|bisect|step|resolve|mismatch/i.test(l.event)) {
      o.event(`watcher     ${l.event}${l.msg === undefined ? "" : `: ${String(l.msg)}`}`);
    }
  });
  stops.push(() => watcherStream.closeFile());
  const watcherConfig = loadConfig(WatcherSettings, {
    env: {},
    flags: {
      rpcUrl: o.rpcUrl,
      privateKey: o.roles.watcher.privateKey,
      resultRegistry: await resultRegistry.getAddress(),
      processRegistry: await processRegistry.getAddress(),
      disputeGame: await o.deployment.contracts.disputeGame.getAddress(),
      stakeManager: await stakeManager.getAddress(),
      arweaveUrl: arlocal.url,
      processes: JSON.stringify([{ id: processId, wasm: o.wasm }]),
      storePath: path.join(o.dataDir, "watcher.sqlite"),
      host: o.host,
      port: "0",
      pollMs: `${o.pollMs}ms`,
      logLevel: "info",
      confirmations: "0",
      answerTime: "5s",
      fromBlock: String(Math.max(0, (await o.hre.ethers.provider.getBlockNumber()) - 20)),
    },
  });
  const watcher = await startWatcher(
    watcherConfig,
    createLogger({ agent: "watcher", destination: watcherStream }),
  );
  stops.push(() => watcher.stop());
  const watcherInfo: AgentsInfo["watcher"] = {
    url: watcher.url,
    address: o.roles.watcher.address,
    log: watcherLog,
  };
  o.progress(`Watcher ${watcher.url} (${o.roles.watcher.address}), log ${watcherLog}`);

  const info: AgentsInfo = {
    gatewayUrl: arlocal.url,
    arweaveWallet: walletFile,
    arweaveAddress,
    logsDir,
    su: { url: su.url, address: o.roles.su.address, log: suLog },
    cus: cuInfo,
    watcher: watcherInfo,
    module: { moduleId, arweaveItemId: moduleItem.id, wasm: o.wasm },
    process: { id: processId, target, arweaveItemId: processItem.id, owner: o.roles.owner.address },
  };
  return {
    info,
    jwk,
    cus,
    async send(tags, data = "") {
      const item = await signAoItem(jwk, { type: "Message", target, tags, data });
      const r = await postToScheduler(su.url, new Uint8Array(item.getRaw()));
      return { id: item.id, slot: r.slot };
    },
    stop: stopAll,
  };
}
