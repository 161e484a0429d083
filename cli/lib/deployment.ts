/**
 * Deployment files: where the chain commands find the contracts' addresses.
 *
 * Three formats are read:
 *
 * - `devnet.json`, written by `holo devnet` (`deployment.contracts`, with `chainId` and `rpcUrl`);
 * - Ignition's `deployed_addresses.json` (`{ "<module>#<Contract>": "0x…" }`, in
 *   `deploy/deployments/chain-<id>/`), with the deployment blocks from the `journal.jsonl` beside it;
 * - a plain object `{ "stakeManager": "0x…", "processRegistry": "0x…", … }`.
 */
import fs from "node:fs";
import path from "node:path";

import { ConfigError } from "./errors";
import { DEFAULT_DEVNET_OUT, displayPath, REPO_ROOT } from "./paths";

/** The contracts the chain commands use, by their key in `devnet.json`. */
export type ContractKey =
  "stakeManager" | "processRegistry" | "resultRegistry" | "disputeGame" | "stakeToken";

/** Each contract's name (its artifact, and the `<Contract>` of an Ignition key). */
export const CONTRACT_NAMES: Readonly<Record<ContractKey, string>> = {
  stakeManager: "StakeManager",
  processRegistry: "ProcessRegistry",
  resultRegistry: "ResultRegistry",
  disputeGame: "DisputeGame",
  stakeToken: "DevnetStakeToken",
};

/** A deployment file, read and checked. */
export interface DeploymentFile {
  /** Its absolute path. */
  file: string;
  format: "devnet" | "ignition" | "addresses";
  /** The chain it describes, when the file says (`devnet.json`). */
  chainId?: number;
  /** Where its node listens, when the file says (`devnet.json`). */
  rpcUrl?: string;
  /** The addresses it gives (checksummed or as written, always 0x + 40 hex digits). */
  contracts: Partial<Record<ContractKey, string>>;
  /** The block each contract was deployed in, when an Ignition journal records it. */
  deployedAt: Partial<Record<ContractKey, number>>;
}

/** Where `holo devnet` writes its description by default: the first place the chain commands look. */
export const DEFAULT_DEVNET_FILE = DEFAULT_DEVNET_OUT;

/** Ignition's record of the deployment on chain `chainId`. */
export function ignitionAddressesFile(chainId: bigint | number): string {
  return path.join(REPO_ROOT, "deploy", "deployments", `chain-${chainId}`, "deployed_addresses.json");
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * Reads and checks the deployment file `file`.
 *
 * @throws ConfigError (`E_DEPLOYMENT`, exit code 3) naming the file when it is missing, unreadable, not
 * JSON, not one of the three formats, or has a value that is not an address.
 */
export function readDeploymentFile(file: string): DeploymentFile {
  const absolute = path.resolve(file);
  const shown = displayPath(absolute);
  const fail = (problem: string, cause?: unknown): never => {
    throw new ConfigError(`deployment file ${shown}: ${problem}`, "E_DEPLOYMENT", { cause });
  };
  let text: string;
  try {
    text = fs.readFileSync(absolute, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code === "ENOENT" ? "no such file" : `cannot read it (${code ?? String(error)})`, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`, error);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return fail("not a JSON object");
  const object = json as Record<string, unknown>;

  if ("deployment" in object) return readDevnet(absolute, object, fail);
  if (Object.keys(object).some((key) => key.includes("#"))) return readIgnition(absolute, object, fail);
  const keys = Object.keys(CONTRACT_NAMES) as ContractKey[];
  if (keys.some((key) => key in object)) {
    const contracts: DeploymentFile["contracts"] = {};
    for (const key of keys) {
      if (object[key] === undefined) continue;
      contracts[key] = address(object[key], key, fail);
    }
    return { file: absolute, format: "addresses", contracts, deployedAt: {} };
  }
  return fail(
    "not a deployment file: expected holo devnet's devnet.json, Ignition's deployed_addresses.json, " +
      `or an object of addresses with keys among ${keys.join(", ")}`,
  );
}

type Fail = (problem: string, cause?: unknown) => never;

function address(value: unknown, key: string, fail: Fail): string {
  if (typeof value !== "string" || !ADDRESS.test(value)) {
    return fail(`${key} is ${JSON.stringify(value)}, not an address (0x followed by 40 hex digits)`);
  }
  return value;
}

function readDevnet(file: string, object: Record<string, unknown>, fail: Fail): DeploymentFile {
  const deployment = object.deployment;
  if (deployment === null) {
    return fail("the devnet was started with --no-deploy: it has no contracts");
  }
  if (typeof deployment !== "object" || deployment === undefined) return fail("deployment is not an object");
  const { contracts: raw, deploymentDir } = deployment as { contracts?: unknown; deploymentDir?: unknown };
  if (typeof raw !== "object" || raw === null) return fail("deployment.contracts is not an object");
  const contracts: DeploymentFile["contracts"] = {};
  for (const key of Object.keys(CONTRACT_NAMES) as ContractKey[]) {
    const value = (raw as Record<string, unknown>)[key];
    if (value !== undefined) contracts[key] = address(value, `deployment.contracts.${key}`, fail);
  }
  const chainId = object.chainId;
  if (chainId !== undefined && (typeof chainId !== "number" || !Number.isSafeInteger(chainId))) {
    return fail(`chainId is ${JSON.stringify(chainId)}, not a number`);
  }
  const rpcUrl = object.rpcUrl;
  if (rpcUrl !== undefined && typeof rpcUrl !== "string") {
    return fail(`rpcUrl is ${JSON.stringify(rpcUrl)}, not a URL`);
  }
  const journal = typeof deploymentDir === "string" ? path.join(deploymentDir, "journal.jsonl") : undefined;
  return {
    file,
    format: "devnet",
    chainId,
    rpcUrl,
    contracts,
    deployedAt: journal === undefined ? {} : deploymentBlocks(journal, contracts),
  };
}

function readIgnition(file: string, object: Record<string, unknown>, fail: Fail): DeploymentFile {
  const byName = new Map(Object.entries(CONTRACT_NAMES).map(([key, name]) => [name, key as ContractKey]));
  const contracts: DeploymentFile["contracts"] = {};
  const from: Partial<Record<ContractKey, string>> = {};
  for (const [futureId, value] of Object.entries(object)) {
    const key = byName.get(futureId.slice(futureId.indexOf("#") + 1));
    if (key === undefined) continue;
    const found = address(value, futureId, fail);
    const previous = contracts[key];
    if (previous !== undefined && previous.toLowerCase() !== found.toLowerCase()) {
      return fail(
        `${from[key]} and ${futureId} give two addresses for the ${CONTRACT_NAMES[key]}; ` +
          "write a file with the addresses to use ({ stakeManager, processRegistry, … }) and pass it with --deployment",
      );
    }
    contracts[key] = found;
    from[key] = futureId;
  }
  return {
    file,
    format: "ignition",
    contracts,
    deployedAt: deploymentBlocks(path.join(path.dirname(file), "journal.jsonl"), contracts),
  };
}

/**
 * The block each of `contracts` was deployed in, from the receipts of an Ignition journal; nothing for
 * a missing or unreadable journal (the callers then search from block 0).
 */
function deploymentBlocks(
  journal: string,
  contracts: DeploymentFile["contracts"],
): DeploymentFile["deployedAt"] {
  let text: string;
  try {
    text = fs.readFileSync(journal, "utf8");
  } catch {
    return {};
  }
  const blocks = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.includes('"TRANSACTION_CONFIRM"')) continue;
    try {
      const entry = JSON.parse(line) as { receipt?: { contractAddress?: unknown; blockNumber?: unknown } };
      const { contractAddress, blockNumber } = entry.receipt ?? {};
      if (typeof contractAddress === "string" && typeof blockNumber === "number") {
        blocks.set(contractAddress.toLowerCase(), blockNumber);
      }
    } catch {
      // A torn last line (an interrupted deployment): skip it.
    }
  }
  const deployedAt: DeploymentFile["deployedAt"] = {};
  for (const [key, value] of Object.entries(contracts) as [ContractKey, string][]) {
    const block = blocks.get(value.toLowerCase());
    if (block !== undefined) deployedAt[key] = block;
  }
  return deployedAt;
}
