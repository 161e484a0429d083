/**
 * `holo devnet`: a local Holoproof network on one machine.
 *
 * It serves the in-process Hardhat network over JSON-RPC (the same server as `npx hardhat node`,
 * through Hardhat's `node:create-server` subtask), deploys the devnet with Ignition on that network
 * (the stake token and the whole core: staking, registries, dispute game, one-step prover, wired),
 * funds the first accounts with devnet stake tokens, prints how to connect and writes a
 * machine-readable `devnet.json`, then runs until SIGINT or SIGTERM.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { Option, type Command } from "commander";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { DevnetDeployment } from "../../deploy";
import { accountCount, devAccounts, type DevAccount } from "../lib/accounts";
import { CliError, UsageError } from "../lib/errors";
import { loadHardhat, withConsoleOnStderr } from "../lib/hardhat";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../lib/jsonrpc";
import { assertListenable } from "../lib/net";
import { integerIn, parseHost, parsePort } from "../lib/options";
import { Output, type OutputOptions } from "../lib/output";
import { DEFAULT_DEVNET_OUT, displayPath } from "../lib/paths";
import type { AgentsInfo, RunningSystem, Scenario } from "../devnet/system";
import type { ChainMonitor } from "../devnet/scenario";
import type { CliContext } from "./index";

/** The warning attached to every printed or written private key. */
export const DEV_KEYS_WARNING =
  "DEVNET ONLY: these are Hardhat's well-known development keys, public knowledge. Never use them on a real network.";

/** The options of `holo devnet` (with the global ones). */
export interface DevnetOptions extends OutputOptions {
  host: string;
  port: number;
  accounts: number;
  /** `false` with `--no-deploy`. */
  deploy: boolean;
  out?: string;
  parameters?: string;
  deploymentDir?: string;
  /** `false` with `--no-agents`. */
  agents: boolean;
  scenario: Scenario;
  once?: boolean;
  /** Seconds, for `--once`. */
  timeout: number;
  messages: number;
  arlocalPort: number;
  dataDir?: string;
  commitEvery?: number;
}

/**
 * The contents of `devnet.json` (and of the `ready` event with `--json`). Amounts are decimal strings
 * of the smallest unit (wei).
 */
export interface DevnetInfo {
  /** The format's version; bumped on incompatible changes. */
  version: 1;
  chainId: number;
  /** Where to send JSON-RPC requests (HTTP). */
  rpcUrl: string;
  /** The same endpoint over WebSocket. */
  wsUrl: string;
  host: string;
  port: number;
  /** The devnet's process id (to stop it: `kill -INT <pid>`). */
  pid: number;
  startedAt: string;
  /** Where this description was written. */
  out: string;
  /** `null` with `--no-deploy`. */
  deployment: {
    /**
     * Every contract's address: `stakeToken` (the devnet token), `stakeManager`, `processRegistry`,
     * `resultRegistry`, `disputeGame`, `oneStepProofEntry` and the four class provers
     * `oneStepProverControl`, `oneStepProverMemory`, `oneStepProverMath`, `oneStepProverHostIo`.
     */
    contracts: DevnetDeployment["addresses"];
    parameters: Record<string, string | number>;
    parametersFile: string;
    /** The Ignition journal of this devnet's deployment. */
    deploymentDir: string;
  } | null;
  /** The agents (`null` with `--no-agents` or `--no-deploy`). */
  agents: (AgentsInfo & { scenario: Scenario; dataDir: string }) | null;
  warning: string;
  accounts: {
    index: number;
    address: string;
    privateKey: string;
    balance: string;
    stakeTokenBalance: string | null;
  }[];
}

/** Adds the `devnet` command to `program`. */
export function register(program: Command, context: CliContext): void {
  program
    .command("devnet")
    .summary("run a local Holoproof network (Hardhat JSON-RPC node + deployed contracts)")
    .description(
      "Run a local Holoproof network on this machine: an in-process Hardhat JSON-RPC node (chain id 31337) " +
        "with the devnet stake token and the core contracts (staking, registries, dispute game, one-step " +
        "prover) deployed by Ignition and wired with their roles, and the first accounts " +
        "funded with stake tokens; then ArLocal (a local Arweave gateway), a scheduler unit, a compute " +
        "unit and a watcher, each bonded, the example token module published and a token process spawned " +
        "and sent a few messages. What happens (messages scheduled and evaluated, commitments, challenges, " +
        "game moves, slashes, finalizations) is shown live on stderr; the agents' JSON logs go to files. " +
        "Prints the addresses, the accounts, the agents and how to connect, writes them to devnet.json, " +
        "and runs until interrupted (Ctrl+C, SIGINT or SIGTERM), or with --once until the scenario ends.",
    )
    .addOption(
      new Option("--host <host>", "interface to listen on (an IP address or a host name)")
        .default("127.0.0.1")
        .argParser(parseHost),
    )
    .addOption(
      new Option("--port <port>", "port to listen on (0: any free port)").default(8545).argParser(parsePort),
    )
    .addOption(
      new Option("--accounts <n>", "how many accounts to fund with stake tokens and list")
        .default(10)
        .argParser(integerIn("the number of accounts", 1, 1_000)),
    )
    .option("--no-deploy", "start the node only: no compilation, no contracts, no stake tokens")
    .option(
      "--out <file>",
      `where to write devnet.json (default: ${displayPath(DEFAULT_DEVNET_OUT)} in the repo)`,
    )
    .option(
      "--parameters <file>",
      "Ignition parameter file, section Devnet (default: deploy/parameters/hardhat.json)",
    )
    .option(
      "--deployment-dir <dir>",
      "Ignition journal of the deployment, reset at start (default: deploy/deployments/chain-31337)",
    )
    .option("--no-agents", "no ArLocal and no agents: the chain and the contracts only")
    .addOption(
      new Option(
        "--scenario <name>",
        "honest: one SU, one CU, a watcher; fraud: plus a CU posting wrong commitments",
      )
        .choices(["honest", "fraud"])
        .default("honest"),
    )
    .option(
      "--once",
      "run the scenario to its end, print a one-line JSON summary last on stdout and exit (0 only for the " +
        "expected outcome). The chain is local: the devnet advances its time (evm_increaseTime, evm_mine) " +
        "past the challenge window (and a dispute game's start grace) instead of waiting, and runs down the " +
        "clock of a faulty CU that stops answering its game",
    )
    .addOption(
      new Option(
        "--timeout <seconds>",
        "with --once: give up after this long (the summary names what was awaited)",
      )
        .default(240)
        .argParser(integerIn("the timeout in seconds", 1, 86_400)),
    )
    .addOption(
      new Option("--messages <n>", "token messages sent to the process after the spawn")
        .default(4)
        .argParser(integerIn("the number of messages", 0, 100)),
    )
    .addOption(
      new Option(
        "--commit-every <slots>",
        "slots per CU commitment (default: with --once all the scenario's slots in one, else 10; a partial " +
          "batch is committed after 5 s without --once)",
      ).argParser(integerIn("the slots per commitment", 1, 10_000)),
    )
    .addOption(
      new Option("--arlocal-port <port>", "port of the local Arweave gateway (ArLocal; 0: any free port)")
        .default(0)
        .argParser(parsePort),
    )
    .option(
      "--data-dir <dir>",
      "where ArLocal's data, the agents' stores and JSON logs and the Arweave wallet go (default: a new " +
        "temporary directory, removed on exit unless a --once run fails)",
    )
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<DevnetOptions>();
      await runDevnet(options, new Output(options, context.streams));
    });
}

/**
 * Runs the devnet until `stop` resolves (default: the first SIGINT or SIGTERM), then shuts it down.
 *
 * @throws CliError on invalid options, a port in use, a failed deployment.
 */
export async function runDevnet(options: DevnetOptions, out: Output, stop?: Promise<string>): Promise<void> {
  const outFile = path.resolve(options.out ?? DEFAULT_DEVNET_OUT);

  // Fail fast, before loading Hardhat and compiling, when the port is taken or the host is not ours.
  await assertListenable(options.host, options.port);

  const hre = loadHardhat("hardhat");
  const configured = hre.config.networks.hardhat.accounts;
  if (options.accounts > accountCount(configured)) {
    throw new UsageError(
      `--accounts ${options.accounts} is more than the ${accountCount(configured)} accounts of the Hardhat network ` +
        `(networks.hardhat.accounts in hardhat.config.ts)`,
    );
  }
  const accounts = devAccounts(configured, options.accounts);

  const withAgents = options.deploy && options.agents !== false;
  if (!withAgents && options.once === true) {
    throw new UsageError(
      "--once runs a scenario with the agents: it cannot be combined with --no-agents or --no-deploy",
    );
  }
  const roles = withAgents ? agentRoles(configured) : undefined;
  const funded =
    roles === undefined
      ? accounts
      : [...accounts, ...Object.values(roles).filter((r) => r.index >= accounts.length)];

  const deployment = options.deploy ? await deploy(hre, options, funded, out) : undefined;

  out.detail(`Starting the JSON-RPC server on ${options.host}:${options.port}…`);
  const server = await startJsonRpcServer(hre, options.host, options.port);
  let wroteOut = false;
  let reason: string;
  let system: RunningSystem | undefined;
  let monitor: ChainMonitor | undefined;
  let dataDir: string | undefined;
  let keepData = options.dataDir !== undefined;
  let miner: NodeJS.Timeout | undefined;
  const startedAtMs = Date.now();
  try {
    let agents: DevnetInfo["agents"] = null;
    if (withAgents && deployment !== undefined && roles !== undefined) {
      dataDir =
        options.dataDir !== undefined
          ? path.resolve(options.dataDir)
          : fs.mkdtempSync(path.join(os.tmpdir(), "holo-devnet-"));
      fs.mkdirSync(dataDir, { recursive: true });
      const { startSystem, TOKEN_WASM } = await import("../devnet/system");
      const { ChainMonitor } = await import("../devnet/scenario");
      const rpcUrl = `http://${connectableHost(server.address)}:${server.port}`;
      const chainId = Number(await hre.network.provider.request({ method: "eth_chainId" }));
      const live = (line: string) => out.progress(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
      const fromBlock = (await hre.ethers.provider.getBlockNumber()) + 1;
      system = await startSystem({
        hre,
        rpcUrl,
        chainId,
        deployment,
        roles,
        dataDir,
        arlocalPort: options.arlocalPort ?? 0,
        host: "127.0.0.1",
        scenario: options.scenario ?? "honest",
        commitEverySlots: options.commitEvery ?? (options.once === true ? options.messages + 1 : 10),
        commitEveryMs: options.once === true ? "10m" : "5s",
        pollMs: 250,
        wasm: TOKEN_WASM,
        progress: (line) => out.progress(line),
        event: live,
      });
      const names = new Map<string, string>([
        [roles.su.address.toLowerCase(), "SU"],
        [roles.cu.address.toLowerCase(), "honest CU"],
        [roles.watcher.address.toLowerCase(), "watcher"],
        [roles.liar.address.toLowerCase(), "faulty CU"],
      ]);
      monitor = new ChainMonitor(hre, deployment, system, names, fromBlock, live);
      // Hardhat mines only on transactions: a block every second keeps chain time with the clock, so game
      // clocks and challenge windows run out as on a real chain.
      miner = setInterval(() => {
        hre.network.provider.request({ method: "evm_mine", params: [] }).catch(() => undefined);
      }, 1_000);
      agents = { ...system.info, scenario: options.scenario ?? "honest", dataDir };
    }
    const info = await describe(hre, options, server, outFile, accounts, deployment, agents);
    writeJsonAtomically(outFile, info);
    wroteOut = true;
    out.result("ready", { ...info }, () => banner(info));

    if (system !== undefined && monitor !== undefined && deployment !== undefined) {
      if (options.once === true) {
        const { runOnce } = await import("../devnet/scenario");
        const summary = await runOnce({
          hre,
          deployment,
          system,
          monitor,
          scenario: options.scenario ?? "honest",
          messages: tokenMessages(options.messages),
          timeoutMs: options.timeout * 1000,
          startedAtMs,
          keeper: roles!.owner.address,
          progress: (line) => out.progress(line),
        });
        await monitor.stop();
        monitor = undefined;
        // The summary is the last line on stdout, whatever the mode.
        out.line(JSON.stringify({ event: "summary", ...summary }));
        if (!summary.ok) {
          keepData = true;
          throw new CliError(
            `the ${summary.scenario} scenario did not end as expected: ${summary.reason ?? "unknown"}` +
              (dataDir === undefined ? "" : ` (agent logs kept in ${dataDir}/logs)`),
            { code: "E_SCENARIO", reported: true },
          );
        }
        reason = "once";
      } else {
        monitor.start(500);
        const stopping = stop ?? nextSignal(out);
        for (const tags of tokenMessages(options.messages)) {
          const r = await system.send(tags);
          out.progress(`sent ${tags.map((t) => `${t.name}=${t.value}`).join(" ")} → slot ${r.slot}`);
        }
        reason = await stopping;
      }
    } else {
      reason = await (stop ?? nextSignal(out));
    }
    out.progress(`Stopping the devnet (${reason})…`);
  } finally {
    clearInterval(miner);
    await monitor?.stop();
    await system?.stop();
    await server.close();
    if (wroteOut) fs.rmSync(outFile, { force: true });
    if (dataDir !== undefined && !keepData) fs.rmSync(dataDir, { recursive: true, force: true });
  }
  // After --once, the summary stays the last line on stdout.
  if (reason === "once") out.progress("Devnet stopped.");
  else out.result("stopped", { reason }, () => "Devnet stopped.");
}

/** The accounts of the agents: #0 owns the process, #2 the SU, #3 the CU, #4 the watcher, #5 the faulty CU. */
function agentRoles(configured: HardhatRuntimeEnvironment["config"]["networks"]["hardhat"]["accounts"]) {
  if (accountCount(configured) < 6) {
    throw new UsageError(
      "the agents need 6 accounts on the Hardhat network (networks.hardhat.accounts); give --no-agents",
    );
  }
  const all = devAccounts(configured, 6);
  return { owner: all[0], su: all[2], cu: all[3], watcher: all[4], liar: all[5] };
}

/** The token messages a scenario sends: Info, Balance, Transfer, Total-Supply, Balances, … (n of them). */
export function tokenMessages(n: number): { name: string; value: string }[][] {
  const recipient = "0x" + "ab".repeat(20);
  const cycle = [
    [{ name: "Action", value: "Info" }],
    [{ name: "Action", value: "Balance" }],
    [
      { name: "Action", value: "Transfer" },
      { name: "Recipient", value: recipient },
      { name: "Quantity", value: "1000" },
    ],
    [{ name: "Action", value: "Total-Supply" }],
    [{ name: "Action", value: "Balances" }],
  ];
  return Array.from({ length: n }, (_, i) => cycle[i % cycle.length]);
}

/** Compiles if needed, deploys the devnet on a fresh journal and funds `accounts`. */
async function deploy(
  hre: HardhatRuntimeEnvironment,
  options: DevnetOptions,
  accounts: readonly DevAccount[],
  out: Output,
): Promise<DevnetDeployment & { deploymentDir: string; parametersFile: string }> {
  // Loaded here, not at the top: `holo --help` must not load Hardhat and Ignition.
  const { defaultDeploymentDir, deployDevnet, loadCoreParameters, parameterFileFor } =
    await import("../../deploy");

  // A bad parameter file fails here, before compiling (deployDevnet checks it again before sending).
  const parametersFile = path.resolve(options.parameters ?? parameterFileFor("hardhat"));
  loadCoreParameters(parametersFile, "Devnet", { defaultAdmin: accounts[0]?.address });

  out.progress("Compiling contracts…");
  await withConsoleOnStderr(() => hre.run("compile", { quiet: true }));

  const chainId = Number(await hre.network.provider.request({ method: "eth_chainId" }));
  const defaultDir = defaultDeploymentDir(hre, chainId);
  const deploymentDir = path.resolve(options.deploymentDir ?? defaultDir);
  // The chain starts empty: any journal there belongs to an earlier chain and would make Ignition
  // believe that the contracts exist.
  resetJournal(deploymentDir, chainId);

  out.progress(`Deploying the devnet contracts (Ignition, journal ${displayPath(deploymentDir)})…`);
  const deployment = await withConsoleOnStderr(() =>
    deployDevnet(hre, {
      parametersFile,
      deploymentDir,
      fund: { accounts: accounts.map((a) => a.address) },
    }),
  );
  if (deploymentDir === path.resolve(defaultDir)) await recordNetworkInstance(hre, path.basename(defaultDir));
  return { ...deployment, deploymentDir, parametersFile };
}

/**
 * Removes an Ignition journal directory, refusing anything that is not the journal of a local chain
 * (so that a mistyped `--deployment-dir` never deletes unrelated files or a real network's record).
 */
function resetJournal(dir: string, chainId: number): void {
  if (!fs.existsSync(dir)) return;
  const entries = fs.readdirSync(dir);
  if (entries.length === 0) return;
  const refuse = (why: string): never => {
    throw new UsageError(`refusing to reset ${displayPath(dir)}: ${why}; choose another --deployment-dir`);
  };
  if (!entries.includes("journal.jsonl"))
    refuse("it is not an Ignition deployment directory (no journal.jsonl)");
  const [first] = fs.readFileSync(path.join(dir, "journal.jsonl"), "utf8").split("\n", 1);
  let journalChainId: unknown;
  try {
    journalChainId = (JSON.parse(first) as { chainId?: unknown }).chainId;
  } catch {
    journalChainId = undefined;
  }
  if (journalChainId !== undefined && journalChainId !== chainId) {
    refuse(
      `it is the journal of a deployment on chain ${String(journalChainId)}, not of a devnet (${chainId})`,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Records which Hardhat network instance the journal `deploymentId` belongs to, where Ignition's
 * `deploy` task looks for it (`<cache>/.hardhat-network-instances.json`). With it,
 * `npx hardhat ignition deploy … --network localhost` against this devnet reuses the journal (and
 * deploys nothing already deployed) instead of wiping it.
 */
async function recordNetworkInstance(hre: HardhatRuntimeEnvironment, deploymentId: string): Promise<void> {
  const { instanceId } = (await hre.network.provider.request({ method: "hardhat_metadata" })) as {
    instanceId: string;
  };
  const file = path.join(hre.config.paths.cache, ".hardhat-network-instances.json");
  let instances: Record<string, string> = {};
  try {
    instances = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
  } catch {
    // Missing or unreadable: start afresh, as Ignition does.
  }
  instances[deploymentId] = instanceId;
  writeJsonAtomically(file, instances);
}

async function describe(
  hre: HardhatRuntimeEnvironment,
  options: DevnetOptions,
  server: RunningJsonRpcServer,
  outFile: string,
  accounts: readonly DevAccount[],
  deployment: (DevnetDeployment & { deploymentDir: string; parametersFile: string }) | undefined,
  agents: DevnetInfo["agents"] = null,
): Promise<DevnetInfo> {
  const connectHost = connectableHost(server.address);
  const balances = await Promise.all(
    accounts.map(
      async (a) =>
        (await hre.network.provider.request({
          method: "eth_getBalance",
          params: [a.address, "latest"],
        })) as string,
    ),
  );
  const stakeBalance = new Map(deployment?.funded.map((f) => [f.address, f.balance.toString()]) ?? []);
  const { stakeToken: _token, ...parameters } = deployment?.parameters ?? { stakeToken: "" };
  return {
    version: 1,
    chainId: Number(await hre.network.provider.request({ method: "eth_chainId" })),
    rpcUrl: `http://${connectHost}:${server.port}`,
    wsUrl: `ws://${connectHost}:${server.port}`,
    host: options.host,
    port: server.port,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    out: outFile,
    deployment:
      deployment === undefined
        ? null
        : {
            contracts: { ...deployment.addresses },
            parameters: Object.fromEntries(
              Object.entries(parameters).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]),
            ) as Record<string, string | number>,
            parametersFile: deployment.parametersFile,
            deploymentDir: deployment.deploymentDir,
          },
    agents,
    warning: DEV_KEYS_WARNING,
    accounts: accounts.map((a, i) => ({
      index: a.index,
      address: a.address,
      privateKey: a.privateKey,
      balance: BigInt(balances[i]).toString(),
      stakeTokenBalance: stakeBalance.get(a.address) ?? null,
    })),
  };
}

/** The host a client connects to: loopback for a wildcard address, brackets around IPv6. */
function connectableHost(address: string): string {
  if (address === "0.0.0.0") return "127.0.0.1";
  if (address === "::") return "[::1]";
  return address.includes(":") ? `[${address}]` : address;
}

/** The human-readable "ready" text (exported for tests). */
export function banner(info: DevnetInfo): string {
  const units = (wei: string | null, symbol: string): string =>
    wei === null ? "" : `${formatAmount(BigInt(wei))} ${symbol}`;
  const lines: string[] = [
    "",
    "Holoproof devnet is running",
    "",
    `  JSON-RPC  ${info.rpcUrl}  (WebSocket ${info.wsUrl})`,
    `  Chain id  ${info.chainId}`,
    `  Details   ${info.out}  (removed on exit)`,
    "",
  ];
  if (info.deployment === null) {
    lines.push("Contracts: none (--no-deploy)", "");
  } else {
    const { contracts, parameters } = info.deployment;
    lines.push(
      "Contracts",
      ...CONTRACT_LABELS.map(([key, label, note]) =>
        `  ${label.padEnd(21)} ${contracts[key]}${note === undefined ? "" : `  (${note})`}`.trimEnd(),
      ),
      "",
      `Parameters (${displayPath(info.deployment.parametersFile)})`,
      ...Object.entries(parameters).map(([name, value]) => `  ${name.padEnd(18)} ${withUnit(name, value)}`),
      "",
    );
  }
  if (info.agents !== null) {
    const a = info.agents;
    lines.push(
      `Agents  (scenario ${a.scenario}; JSON logs in ${a.logsDir})`,
      `  ArLocal    ${a.gatewayUrl}  (Arweave wallet ${a.arweaveWallet}, ${a.arweaveAddress})`,
      `  SU         ${a.su.url}  scheduler ${a.su.address}`,
      ...a.cus.map(
        (cu) =>
          `  ${(cu.fault === null ? "CU" : "faulty CU").padEnd(10)} ${cu.url}  ${cu.address}` +
          (cu.fault === null ? "" : `  (fault ${JSON.stringify(cu.fault)})`),
      ),
      `  watcher    ${a.watcher.url}  ${a.watcher.address}`,
      `  module     ${a.module.moduleId}  (Arweave item ${a.module.arweaveItemId})`,
      `  process    ${a.process.id}`,
      `             AO target ${a.process.target}, owner ${a.process.owner}`,
      "",
      "Send a message",
      `  holo message send --process ${a.process.id} --tag Action=Balance`,
      "",
    );
  }
  lines.push(`Accounts  (${info.warning})`);
  for (const account of info.accounts) {
    const holdings = [units(account.balance, "ETH"), units(account.stakeTokenBalance, "HOLO-DEV")].filter(
      Boolean,
    );
    lines.push(`  #${String(account.index).padEnd(3)}${account.address}  ${holdings.join(", ")}`);
    lines.push(`       private key ${account.privateKey}`);
  }
  const envPrefix = info.rpcUrl === "http://127.0.0.1:8545" ? "" : `HOLO_RPC_URL=${info.rpcUrl} `;
  lines.push(
    "",
    "Connect",
    `  Hardhat   ${envPrefix}npx hardhat console --network localhost`,
    `  Ignition  ${envPrefix}npx hardhat ignition deploy deploy/modules/<Module>.ts --network localhost \\`,
    "              --parameters deploy/parameters/localhost.json",
    `  ethers    new JsonRpcProvider("${info.rpcUrl}")`,
    `  MetaMask  Settings > Networks > Add a network manually: RPC URL ${info.rpcUrl}, chain id ${info.chainId},`,
    "            currency symbol ETH; then Import account with a private key above" +
      (info.deployment === null ? "." : `, and Import tokens: ${info.deployment.contracts.stakeToken}.`),
    "",
    "Press Ctrl+C to stop.",
  );
  return lines.join("\n");
}

/** The contracts of the banner, in order: key in `devnet.json`, name, and a note. */
const CONTRACT_LABELS: readonly (readonly [keyof DevnetDeployment["addresses"], string, string?])[] = [
  ["stakeManager", "StakeManager"],
  ["processRegistry", "ProcessRegistry"],
  ["resultRegistry", "ResultRegistry"],
  ["disputeGame", "DisputeGame"],
  ["oneStepProofEntry", "OneStepProofEntry", "the one-step prover the game calls"],
  ["oneStepProverControl", "OneStepProverControl"],
  ["oneStepProverMemory", "OneStepProverMemory"],
  ["oneStepProverMath", "OneStepProverMath"],
  ["oneStepProverHostIo", "OneStepProverHostIo"],
  ["stakeToken", "DevnetStakeToken", "HOLO-DEV, 18 decimals; faucet(amount) up to 10000 per call"],
];

/** An 18-decimals amount in whole units, with at most 4 decimals ("9999.9982"). */
function formatAmount(amount: bigint): string {
  const scaled = (amount + 5n * 10n ** 13n) / 10n ** 14n; // rounded to 4 decimals
  const whole = scaled / 10_000n;
  const fraction = (scaled % 10_000n).toString().padStart(4, "0").replace(/0+$/, "");
  return fraction === "" ? whole.toString() : `${whole}.${fraction}`;
}

/** The parameters that are times, in seconds. */
const TIME_PARAMETERS = [
  "challengeWindow",
  "maxGameDuration",
  "unbondingDelay",
  "gameClockTime",
  "gameClockExtension",
  "gameStartGrace",
];

/** The parameters that are amounts of the stake token, in wei. */
const AMOUNT_PARAMETERS = ["minSchedulerStake", "commitmentStake", "gameChallengeBond"];

/**
 * A parameter's value with its unit, for people: "300 s (5 min)", "5000 bps (50%)",
 * "10000000000000000000 wei (10 HOLO-DEV)".
 */
function withUnit(name: string, value: string | number): string {
  if (name === "slashRewardBps") return `${value} bps (${Number(value) / 100}%)`;
  if (AMOUNT_PARAMETERS.includes(name)) return `${value} wei (${formatAmount(BigInt(value))} HOLO-DEV)`;
  if (TIME_PARAMETERS.includes(name)) {
    const seconds = Number(value);
    const [unit, size] =
      seconds % 86_400 === 0
        ? ["d", 86_400]
        : seconds % 3_600 === 0
          ? ["h", 3_600]
          : seconds % 60 === 0
            ? ["min", 60]
            : ["", 1];
    return size === 1 ? `${value} s` : `${value} s (${seconds / size} ${unit})`;
  }
  return String(value);
}

/**
 * The first SIGINT or SIGTERM. A second one while shutting down stops the process at once
 * (exit code 128 + signal number).
 */
function nextSignal(out: Output): Promise<string> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals): void => {
      process.off("SIGINT", first);
      process.off("SIGTERM", first);
      const force = (again: NodeJS.Signals): void => {
        out.progress(`${again} again: exiting without a clean shutdown`);
        process.exit(again === "SIGINT" ? 130 : 143);
      };
      process.once("SIGINT", force);
      process.once("SIGTERM", force);
      resolve(signal);
    };
    process.on("SIGINT", first);
    process.on("SIGTERM", first);
  });
}

/** Writes `value` as JSON to `file` (creating its directory) through a temporary file and a rename. */
function writeJsonAtomically(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}
