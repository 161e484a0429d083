/**
 * Connecting the chain commands (`holo stake`, `module`, `process`, `result`, `dispute`) to a node
 * and a deployment: the shared options, the signing key, the JSON-RPC endpoint, the contracts'
 * addresses, sending transactions with progress on stderr, searching event logs in bounded block
 * ranges, and turning what ethers throws into named {@link CliError}s.
 *
 * Resolution (cli/README.md, "Connection options"):
 *
 * - the key: `--key`, else `--key-file`, else `HOLO_PRIVATE_KEY` (signing commands only; never printed);
 * - the deployment: `--deployment`, else `.devnet/devnet.json`, else
 *   `deploy/deployments/chain-<id>/deployed_addresses.json` for the connected chain;
 * - the endpoint: `--rpc`, else `HOLO_RPC_URL`, else the `rpcUrl` of the deployment's `devnet.json`,
 *   else `http://127.0.0.1:8545`.
 */
import fs from "node:fs";

import { Option, type Command } from "commander";
import {
  FetchRequest,
  isError,
  JsonRpcProvider,
  Network,
  SigningKey,
  Wallet,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type Interface,
  type Log,
} from "ethers";

import type {
  DisputeGame,
  ERC20,
  ProcessRegistry,
  ResultRegistry,
  StakeManager,
} from "../../typechain-types";
import type { TokenInfo } from "./amounts";
import {
  DEFAULT_DEVNET_FILE,
  ignitionAddressesFile,
  readDeploymentFile,
  CONTRACT_NAMES,
  type ContractKey,
  type DeploymentFile,
} from "./deployment";
import { ChainError, CliError, ConfigError } from "./errors";
import { integerIn, parseRpcUrl } from "./options";
import type { Output, OutputOptions } from "./output";
import { displayPath } from "./paths";

/** The endpoint used when nothing else names one. */
export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";

/** How long the first request to the endpoint may take before it counts as unreachable. */
export const RPC_CONNECT_TIMEOUT_MS = 10_000;

/** How many blocks one `eth_getLogs` request covers by default (many providers refuse more). */
export const DEFAULT_BLOCK_RANGE = 10_000;

/** The connection options of every chain command (with the global ones). */
export interface ChainOptions extends OutputOptions {
  rpc?: string;
  deployment?: string;
  key?: string;
  keyFile?: string;
  /** Blocks to wait for after a transaction's (default 1). */
  confirmations?: number;
  /** The first block of event searches (default: the contract's deployment block when known, else 0). */
  fromBlock?: number;
  /** Blocks per `eth_getLogs` request. */
  blockRange?: number;
}

/** What a command needs: a signing key, and event searches. */
export interface ConnectionNeeds {
  /** `"required"`: the command sends transactions; `"optional"`: a key, if given, names the account. */
  signer?: "required" | "optional";
  /** The command searches event logs (`--from-block`, `--block-range`). */
  logs?: boolean;
}

/** Adds the connection options to `command` (a command that talks to the chain). */
export function addConnectionOptions(command: Command, needs: ConnectionNeeds = {}): Command {
  command
    .addOption(
      new Option(
        "--rpc <url>",
        `JSON-RPC endpoint (default: $HOLO_RPC_URL, else the rpcUrl of the deployment's devnet.json, else ${DEFAULT_RPC_URL})`,
      ).argParser(parseRpcUrl),
    )
    .option(
      "--deployment <file>",
      "contract addresses: holo devnet's devnet.json, Ignition's deployed_addresses.json or " +
        "{ stakeManager, processRegistry, resultRegistry, disputeGame } (default: .devnet/devnet.json, " +
        "else deploy/deployments/chain-<id>/deployed_addresses.json)",
    );
  if (needs.signer !== undefined) {
    const role =
      needs.signer === "required" ? "the private key that signs" : "a private key naming the account";
    command
      .addOption(
        new Option(
          "--key <hex>",
          `${role} (32 bytes of hex; visible to other users in the process list: prefer --key-file or $HOLO_PRIVATE_KEY)`,
        ).conflicts("keyFile"),
      )
      .addOption(new Option("--key-file <path>", `a file holding ${role} (hex)`).conflicts("key"));
  }
  if (needs.signer === "required") {
    command.addOption(
      new Option(
        "--confirmations <n>",
        "confirmations to wait for after each transaction (1: its block is mined)",
      )
        .default(1)
        .argParser(integerIn("the number of confirmations", 1, 1_000)),
    );
  }
  if (needs.logs === true) {
    command
      .addOption(
        new Option(
          "--from-block <n>",
          "first block to search for events (default: the contract's deployment block from the Ignition journal, else 0)",
        ).argParser(integerIn("the block number", 0, Number.MAX_SAFE_INTEGER)),
      )
      .addOption(
        new Option("--block-range <n>", "blocks per eth_getLogs request")
          .default(DEFAULT_BLOCK_RANGE)
          .argParser(integerIn("the block range", 1, 10_000_000)),
      );
  }
  return command;
}

/**
 * The signing key from `--key`, `--key-file` or `HOLO_PRIVATE_KEY` (in that order), or `undefined`
 * when none is given.
 *
 * @throws ConfigError (`E_KEY`) when the key file cannot be read or the key is not a valid private key.
 * The key itself is never part of a message.
 */
export function readSigningKey(options: Pick<ChainOptions, "key" | "keyFile">): string | undefined {
  let key: string;
  let source: string;
  if (options.key !== undefined) {
    key = options.key;
    source = "--key";
  } else if (options.keyFile !== undefined) {
    source = `--key-file ${displayPath(options.keyFile)}`;
    try {
      key = fs.readFileSync(options.keyFile, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConfigError(
        `cannot read the key file ${displayPath(options.keyFile)}: ${code === "ENOENT" ? "no such file" : (code ?? "unreadable")}`,
        "E_KEY",
      );
    }
  } else if (process.env.HOLO_PRIVATE_KEY !== undefined && process.env.HOLO_PRIVATE_KEY !== "") {
    key = process.env.HOLO_PRIVATE_KEY;
    source = "HOLO_PRIVATE_KEY";
  } else {
    return undefined;
  }
  key = key.trim();
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) {
    throw new ConfigError(
      `the private key from ${source} is not a private key: 64 hex digits, optionally after 0x, are expected`,
      "E_KEY",
    );
  }
  const hex = key.startsWith("0x") ? key : `0x${key}`;
  const n = BigInt(hex);
  if (n === 0n || n >= SECP256K1_ORDER) {
    throw new ConfigError(`the private key from ${source} is out of range for secp256k1`, "E_KEY");
  }
  return hex.toLowerCase();
}

const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * The chain id at `url` (one `eth_chainId` request, with a timeout).
 *
 * @throws ChainError (`E_RPC`) naming the endpoint and where it came from when it cannot be reached or
 * does not answer JSON-RPC.
 */
export async function probeRpc(
  url: string,
  source: string,
  timeoutMs = RPC_CONNECT_TIMEOUT_MS,
): Promise<bigint> {
  const where = `the JSON-RPC endpoint ${url} (${source})`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new ChainError(
      `cannot reach ${where}: ${networkProblem(error, timeoutMs)}. Is the node (or holo devnet) running? ` +
        "Choose the endpoint with --rpc",
      "E_RPC",
      { cause: error },
    );
  }
  if (!response.ok) {
    throw new ChainError(
      `${where} answered HTTP ${response.status} ${response.statusText}`.trimEnd(),
      "E_RPC",
    );
  }
  let body: { result?: unknown; error?: { message?: unknown } };
  try {
    body = (await response.json()) as typeof body;
  } catch (error) {
    throw new ChainError(`${where} did not answer with JSON: is it a JSON-RPC endpoint?`, "E_RPC", {
      cause: error,
    });
  }
  if (typeof body.result !== "string" || !/^0x[0-9a-fA-F]+$/.test(body.result)) {
    const problem =
      body.error !== undefined ? String(body.error.message ?? JSON.stringify(body.error)) : "no chain id";
    throw new ChainError(`${where} refused eth_chainId: ${problem}`, "E_RPC");
  }
  return BigInt(body.result);
}

/** Why a request could not be sent, in a few words. */
function networkProblem(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "the host name does not resolve";
    case "ECONNRESET":
      return "the connection was reset";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "the host is unreachable";
    case "ETIMEDOUT":
      return "the connection timed out";
    default:
      return cause instanceof Error ? cause.message : String(cause);
  }
}

/** The typechain factories, loaded on first use (so that `holo --help` loads no contract bindings). */
interface Bindings {
  StakeManager: typeof import("../../typechain-types/factories/contracts/staking/StakeManager__factory").StakeManager__factory;
  ProcessRegistry: typeof import("../../typechain-types/factories/contracts/registry/ProcessRegistry__factory").ProcessRegistry__factory;
  ResultRegistry: typeof import("../../typechain-types/factories/contracts/registry/ResultRegistry__factory").ResultRegistry__factory;
  DisputeGame: typeof import("../../typechain-types/factories/contracts/dispute/DisputeGame__factory").DisputeGame__factory;
  ERC20: typeof import("../../typechain-types/factories/@openzeppelin/contracts/token/ERC20/ERC20__factory").ERC20__factory;
}

async function loadBindings(): Promise<Bindings> {
  try {
    const [stake, processes, results, game, erc20] = await Promise.all([
      import("../../typechain-types/factories/contracts/staking/StakeManager__factory"),
      import("../../typechain-types/factories/contracts/registry/ProcessRegistry__factory"),
      import("../../typechain-types/factories/contracts/registry/ResultRegistry__factory"),
      import("../../typechain-types/factories/contracts/dispute/DisputeGame__factory"),
      import("../../typechain-types/factories/@openzeppelin/contracts/token/ERC20/ERC20__factory"),
    ]);
    return {
      StakeManager: stake.StakeManager__factory,
      ProcessRegistry: processes.ProcessRegistry__factory,
      ResultRegistry: results.ResultRegistry__factory,
      DisputeGame: game.DisputeGame__factory,
      ERC20: erc20.ERC20__factory,
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") {
      throw new CliError(
        "the contract bindings (typechain-types/) are missing: run `npx hardhat compile` in the repository",
        { code: "E_HARDHAT", cause: error },
      );
    }
    throw error;
  }
}

/** A connection to a node and a deployment, for one command. */
export class Chain {
  private readonly withCode = new Set<string>();
  private readonly interfaces: Interface[];

  constructor(
    readonly provider: JsonRpcProvider,
    readonly chainId: bigint,
    /** The endpoint, and where it came from (`--rpc`, `HOLO_RPC_URL`, a devnet.json, the default). */
    readonly rpc: { url: string; source: string },
    readonly deployment: DeploymentFile,
    /** The account of the signing key, if one was given. */
    readonly signer: Wallet | undefined,
    private readonly bindings: Bindings,
    private readonly out: Output,
    private readonly options: ChainOptions,
  ) {
    this.interfaces = [
      bindings.StakeManager.createInterface(),
      bindings.ProcessRegistry.createInterface(),
      bindings.ResultRegistry.createInterface(),
      bindings.DisputeGame.createInterface(),
      bindings.ERC20.createInterface(),
    ];
  }

  /** The signing account (for commands connected with `signer: "required"`). */
  wallet(): Wallet {
    if (this.signer === undefined) throw missingKey();
    return this.signer;
  }

  /**
   * The address of `key` in the deployment file, with code on this chain.
   *
   * @throws ConfigError (`E_DEPLOYMENT`) when the file does not give it, or nothing is deployed there.
   */
  async address(key: ContractKey): Promise<string> {
    const address = this.deployment.contracts[key];
    if (address === undefined) {
      throw new ConfigError(
        `deployment file ${displayPath(this.deployment.file)} has no address for the ${CONTRACT_NAMES[key]} (${key})`,
        "E_DEPLOYMENT",
      );
    }
    await this.requireCode(address, `the ${CONTRACT_NAMES[key]} of ${displayPath(this.deployment.file)}`);
    return address;
  }

  /**
   * @throws ConfigError (`E_DEPLOYMENT`) when `address` has no code on this chain (`what` names it).
   */
  async requireCode(address: string, what: string): Promise<void> {
    if (this.withCode.has(address.toLowerCase())) return;
    if ((await this.provider.getCode(address)) === "0x") {
      throw new ConfigError(
        `${what}, ${address}, has no code on chain ${this.chainId} (${this.rpc.url}): the deployment file ` +
          "is not for this chain (a restarted devnet, or another network?); choose it with --deployment",
        "E_DEPLOYMENT",
      );
    }
    this.withCode.add(address.toLowerCase());
  }

  private get runner() {
    return this.signer ?? this.provider;
  }

  /** The StakeManager of the deployment. */
  async stakeManager(address?: string): Promise<StakeManager> {
    if (address !== undefined) await this.requireCode(address, "the StakeManager");
    return this.bindings.StakeManager.connect(address ?? (await this.address("stakeManager")), this.runner);
  }

  /** The ProcessRegistry of the deployment. */
  async processRegistry(address?: string): Promise<ProcessRegistry> {
    if (address !== undefined) await this.requireCode(address, "the ProcessRegistry");
    return this.bindings.ProcessRegistry.connect(
      address ?? (await this.address("processRegistry")),
      this.runner,
    );
  }

  /** The ResultRegistry of the deployment. */
  async resultRegistry(address?: string): Promise<ResultRegistry> {
    if (address !== undefined) await this.requireCode(address, "the ResultRegistry");
    return this.bindings.ResultRegistry.connect(
      address ?? (await this.address("resultRegistry")),
      this.runner,
    );
  }

  /** The DisputeGame of the deployment. */
  async disputeGame(address?: string): Promise<DisputeGame> {
    if (address !== undefined) await this.requireCode(address, "the DisputeGame");
    return this.bindings.DisputeGame.connect(address ?? (await this.address("disputeGame")), this.runner);
  }

  /** The ERC-20 at `address` and its symbol and decimals. */
  async token(address: string): Promise<{ token: ERC20; info: TokenInfo }> {
    await this.requireCode(address, "the stake token");
    const token = this.bindings.ERC20.connect(address, this.runner);
    const [symbol, decimals] = await Promise.all([token.symbol(), token.decimals()]);
    return { token, info: { address, symbol, decimals: Number(decimals) } };
  }

  /** The latest block's timestamp: the chain's "now" (which `evm_increaseTime` moves). */
  async now(): Promise<bigint> {
    const block = await this.provider.getBlock("latest");
    if (block === null) throw new ChainError(`${this.rpc.url} has no latest block`, "E_RPC");
    return BigInt(block.timestamp);
  }

  /**
   * Sends a transaction (`send` builds it) and waits for `--confirmations`, with progress on stderr.
   *
   * @throws ChainError (`E_REVERTED` with the contract's error, `E_STATE` without gas money, `E_RPC`).
   */
  async send(
    label: string,
    send: () => Promise<ContractTransactionResponse>,
  ): Promise<ContractTransactionReceipt> {
    const confirmations = this.options.confirmations ?? 1;
    this.out.progress(`Sending ${label}…`);
    let receipt: ContractTransactionReceipt | null;
    try {
      const tx = await send();
      this.out.progress(
        `  transaction ${tx.hash}: waiting for ${confirmations} confirmation${confirmations === 1 ? "" : "s"}…`,
      );
      receipt = await tx.wait(confirmations);
    } catch (error) {
      throw this.toCliError(error, label);
    }
    if (receipt === null) throw new ChainError(`${label}: the transaction was not mined`, "E_RPC");
    this.out.progress(`  confirmed in block ${receipt.blockNumber}`);
    return receipt;
  }

  /**
   * The logs of `address` matching `topics`, from `--from-block` (else `deployedAt`, else 0) to the
   * latest block, `--block-range` blocks per request.
   */
  async logs(address: string, topics: (string | string[] | null)[], deployedAt?: number): Promise<Log[]> {
    const latest = await this.provider.getBlockNumber();
    const first = this.options.fromBlock ?? deployedAt ?? 0;
    const range = this.options.blockRange ?? DEFAULT_BLOCK_RANGE;
    const requests = first > latest ? 0 : Math.ceil((latest - first + 1) / range);
    if (requests > 1) {
      this.out.progress(`Searching blocks ${first} to ${latest} for events (${requests} requests)…`);
    }
    const logs: Log[] = [];
    for (let from = first; from <= latest; from += range) {
      const to = Math.min(from + range - 1, latest);
      this.out.detail(`  eth_getLogs ${from}…${to}`);
      logs.push(...(await this.provider.getLogs({ address, topics, fromBlock: from, toBlock: to })));
    }
    return logs;
  }

  /** The block `key`'s contract was deployed in, when the deployment's journal says and it is `address`. */
  deployedAt(key: ContractKey, address: string): number | undefined {
    return this.deployment.contracts[key]?.toLowerCase() === address.toLowerCase()
      ? this.deployment.deployedAt[key]
      : undefined;
  }

  /** Releases the connection (its timers). */
  close(): void {
    this.provider.destroy();
  }

  /** `error` (from ethers, during `label`) as a {@link CliError}. */
  toCliError(error: unknown, label?: string): unknown {
    if (error instanceof CliError) return error;
    const what = label === undefined ? "" : `${label}: `;
    if (isError(error, "CALL_EXCEPTION")) {
      const revert = this.decodeRevert(error);
      return new ChainError(`${what}the contract refused it: ${revert ?? error.shortMessage}`, "E_REVERTED", {
        cause: error,
      });
    }
    if (isError(error, "INSUFFICIENT_FUNDS")) {
      const account = this.signer === undefined ? "the account" : `the account ${this.signer.address}`;
      return new ChainError(`${what}${account} has not enough ETH to pay for gas`, "E_STATE", {
        cause: error,
      });
    }
    if (
      isError(error, "NETWORK_ERROR") ||
      isError(error, "TIMEOUT") ||
      isError(error, "SERVER_ERROR") ||
      isError(error, "NONCE_EXPIRED") ||
      isError(error, "REPLACEMENT_UNDERPRICED") ||
      isError(error, "TRANSACTION_REPLACED") ||
      isError(error, "UNKNOWN_ERROR")
    ) {
      const revert = this.decodeRevert(error);
      if (revert !== undefined) {
        return new ChainError(`${what}the contract refused it: ${revert}`, "E_REVERTED", { cause: error });
      }
      return new ChainError(
        `${what}the JSON-RPC endpoint ${this.rpc.url} failed: ${error.shortMessage}`,
        "E_RPC",
        {
          cause: error,
        },
      );
    }
    return error;
  }

  /** The custom error (`Name(arg=value, …)`) or reason string in a revert, if any. */
  decodeRevert(error: unknown): string | undefined {
    const data = revertData(error);
    if (data !== undefined) {
      for (const iface of this.interfaces) {
        let decoded;
        try {
          decoded = iface.parseError(data);
        } catch {
          decoded = null;
        }
        if (decoded !== null) {
          const args = decoded.fragment.inputs.map(
            (input, i) => `${input.name === "" ? `arg${i}` : input.name}=${String(decoded.args[i])}`,
          );
          return decoded.name === "Error"
            ? `"${String(decoded.args[0])}"`
            : `${decoded.name}(${args.join(", ")})`;
        }
      }
    }
    const reason = (error as { reason?: unknown }).reason;
    return typeof reason === "string" && reason !== "" ? `"${reason}"` : undefined;
  }
}

/** The revert data somewhere in an ethers or JSON-RPC error. */
function revertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): string | undefined => {
    if (value === null || typeof value !== "object" || seen.has(value) || depth > 6) return undefined;
    seen.add(value);
    const data = (value as { data?: unknown }).data;
    if (typeof data === "string" && /^0x[0-9a-fA-F]{8}/.test(data)) return data;
    for (const key of ["data", "error", "info", "cause", "revert"]) {
      const found = visit((value as Record<string, unknown>)[key], depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return visit(error, 0);
}

function missingKey(): ConfigError {
  return new ConfigError(
    "this command signs transactions, but no private key was given: use --key-file <path>, " +
      "the environment variable HOLO_PRIVATE_KEY, or --key <hex>",
    "E_KEY",
  );
}

/**
 * Connects to the node and the deployment `options` name (see the module comment for the defaults).
 *
 * Checks, in order, what needs no network (the key, an explicit deployment file), then the endpoint,
 * then that the deployment is for the connected chain.
 *
 * @throws ConfigError (exit code 3) for a missing or invalid key or deployment file; ChainError
 * (`E_RPC`) when the endpoint cannot be reached.
 */
export async function connect(
  options: ChainOptions,
  out: Output,
  needs: ConnectionNeeds = {},
): Promise<Chain> {
  const key = needs.signer === undefined ? undefined : readSigningKey(options);
  if (needs.signer === "required" && key === undefined) throw missingKey();

  let deployment: DeploymentFile | undefined;
  if (options.deployment !== undefined) deployment = readDeploymentFile(options.deployment);
  else if (fs.existsSync(DEFAULT_DEVNET_FILE)) deployment = readDeploymentFile(DEFAULT_DEVNET_FILE);

  const rpc =
    options.rpc !== undefined
      ? { url: options.rpc, source: "--rpc" }
      : process.env.HOLO_RPC_URL !== undefined && process.env.HOLO_RPC_URL !== ""
        ? { url: parseRpcUrlOrConfig(process.env.HOLO_RPC_URL), source: "HOLO_RPC_URL" }
        : deployment?.rpcUrl !== undefined
          ? { url: deployment.rpcUrl, source: `the rpcUrl of ${displayPath(deployment.file)}` }
          : { url: DEFAULT_RPC_URL, source: "the default" };
  out.detail(`Connecting to ${rpc.url} (${rpc.source})…`);
  const chainId = await probeRpc(rpc.url, rpc.source);

  if (deployment === undefined) {
    const file = ignitionAddressesFile(chainId);
    if (!fs.existsSync(file)) {
      throw new ConfigError(
        `no deployment to use on chain ${chainId}: neither ${displayPath(DEFAULT_DEVNET_FILE)} nor ` +
          `${displayPath(file)} exists; start a devnet (holo devnet) or give the addresses with --deployment <file>`,
        "E_DEPLOYMENT",
      );
    }
    deployment = readDeploymentFile(file);
  }
  if (deployment.chainId !== undefined && BigInt(deployment.chainId) !== chainId) {
    throw new ConfigError(
      `deployment file ${displayPath(deployment.file)} is for chain ${deployment.chainId}, but ${rpc.url} ` +
        `(${rpc.source}) is chain ${chainId}; choose the deployment with --deployment or the node with --rpc`,
      "E_DEPLOYMENT",
    );
  }
  out.detail(`Chain ${chainId}, deployment ${displayPath(deployment.file)}`);

  const request = new FetchRequest(rpc.url);
  request.timeout = 60_000;
  const provider = new JsonRpcProvider(request, Network.from(chainId), {
    staticNetwork: true,
    pollingInterval: 1_000,
    // No cache: a second transaction must see the nonce (and the state) the first one left.
    cacheTimeout: -1,
  });
  const bindings = await loadBindings();
  const signer = key === undefined ? undefined : new Wallet(new SigningKey(key), provider);
  return new Chain(provider, chainId, rpc, deployment, signer, bindings, out, options);
}

function parseRpcUrlOrConfig(value: string): string {
  try {
    return parseRpcUrl(value);
  } catch (error) {
    throw new ConfigError(`HOLO_RPC_URL: ${(error as Error).message}`, "E_CONFIG");
  }
}

/**
 * Connects, runs `run`, and disconnects; whatever ethers throws becomes a named {@link CliError}.
 */
export async function withChain<T>(
  options: ChainOptions,
  out: Output,
  needs: ConnectionNeeds,
  run: (chain: Chain) => Promise<T>,
): Promise<T> {
  const chain = await connect(options, out, needs);
  try {
    return await run(chain);
  } catch (error) {
    throw chain.toCliError(error);
  } finally {
    chain.close();
  }
}
