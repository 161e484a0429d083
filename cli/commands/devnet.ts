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
import path from "node:path";

import { Option, type Command } from "commander";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { DevnetDeployment } from "../../deploy";
import { accountCount, devAccounts, type DevAccount } from "../lib/accounts";
import { UsageError } from "../lib/errors";
import { loadHardhat, withConsoleOnStderr } from "../lib/hardhat";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../lib/jsonrpc";
import { assertListenable } from "../lib/net";
import { integerIn, parseHost, parsePort } from "../lib/options";
import { Output, type OutputOptions } from "../lib/output";
import { DEFAULT_DEVNET_OUT, displayPath } from "../lib/paths";
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
        "funded with stake tokens. Prints the addresses, the accounts and how to connect, writes them to " +
        "devnet.json, and runs until interrupted (Ctrl+C, SIGINT or SIGTERM).",
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

  const deployment = options.deploy ? await deploy(hre, options, accounts, out) : undefined;

  out.detail(`Starting the JSON-RPC server on ${options.host}:${options.port}…`);
  const server = await startJsonRpcServer(hre, options.host, options.port);
  let wroteOut = false;
  let reason: string;
  try {
    const info = await describe(hre, options, server, outFile, accounts, deployment);
    writeJsonAtomically(outFile, info);
    wroteOut = true;
    out.result("ready", { ...info }, () => banner(info));

    reason = await (stop ?? nextSignal(out));
    out.progress(`Stopping the devnet (${reason})…`);
  } finally {
    await server.close();
    if (wroteOut) fs.rmSync(outFile, { force: true });
  }
  out.result("stopped", { reason }, () => "Devnet stopped.");
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
