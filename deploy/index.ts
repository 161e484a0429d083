/**
 * The programmatic deployment API, used by the `holo` CLI and by the tests:
 *
 * - {@link deployCore}: the core contracts on any network, bonding an existing ERC-20;
 * - {@link deployDevnet}: the devnet token and the core on a local network, and stake tokens for
 *   the first accounts.
 *
 * Both validate their parameters first ({@link DeployParameterError}), deploy through Hardhat
 * Ignition (so a re-run with the same journal deploys nothing new), and return the addresses and
 * typed contracts. The same modules deploy from the command line:
 * `npx hardhat ignition deploy deploy/modules/Holoproof.ts --parameters deploy/parameters/<net>.json --network <net>`.
 */
import type { Signer } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type {
  DevnetStakeToken,
  DisputeGame,
  OneStepProofEntry,
  OneStepProverControl,
  OneStepProverHostIo,
  OneStepProverMath,
  OneStepProverMemory,
  ProcessRegistry,
  ResultRegistry,
  StakeManager,
} from "../typechain-types";
import { DeployError, runIgnitionModule, type IgnitionRunOptions } from "./ignition";
import DevnetModule from "./modules/Devnet";
import HoloproofModule, { ADMIN_HANDOVERS } from "./modules/Holoproof";
import StakeTokenModule from "./modules/StakeToken";
import {
  displayPath,
  DeployParameterError,
  loadCoreParameters,
  parameterFileFor,
  toIgnitionParameters,
  validateCoreParameters,
  type CoreParameters,
  type DevnetParameters,
  type ParameterInput,
} from "./parameters";

export * from "./parameters";
export { DeployError, defaultDeploymentDir, runIgnitionModule } from "./ignition";
export type { IgnitionRun, IgnitionRunOptions } from "./ignition";
export { DevnetModule, HoloproofModule, StakeTokenModule };
export { ADMIN_HANDOVERS, CORE_ROLE_GRANTS, ROLES } from "./modules/Holoproof";

/** Chain ids of local development networks: the only ones {@link deployDevnet} deploys to. */
export const LOCAL_CHAIN_IDS: readonly number[] = [31337, 1337];

/** What {@link deployDevnet} tops each funded account up to by default: 1,000,000 HOLO-DEV. */
export const DEVNET_FUND_AMOUNT = 1_000_000n * 10n ** 18n;

/** Options shared by {@link deployCore} and {@link deployDevnet}. */
export interface DeployOptions extends IgnitionRunOptions {
  /**
   * An Ignition parameter file to take the values from (its `Holoproof` or `Devnet` section, with
   * `$global` as fallback); values passed in code override the file's.
   */
  parametersFile?: string;
}

/** Addresses of the core contracts (the results of module `Holoproof`, and of `Devnet` but its token). */
export interface CoreAddresses {
  stakeManager: string;
  processRegistry: string;
  resultRegistry: string;
  disputeGame: string;
  /** The one-step prover the dispute game calls, which dispatches to the four class provers. */
  oneStepProofEntry: string;
  oneStepProverControl: string;
  oneStepProverMemory: string;
  oneStepProverMath: string;
  oneStepProverHostIo: string;
}

/** The core contracts, connected to the deploying account. */
export interface CoreContracts {
  stakeManager: StakeManager;
  processRegistry: ProcessRegistry;
  resultRegistry: ResultRegistry;
  disputeGame: DisputeGame;
  oneStepProofEntry: OneStepProofEntry;
  oneStepProverControl: OneStepProverControl;
  oneStepProverMemory: OneStepProverMemory;
  oneStepProverMath: OneStepProverMath;
  oneStepProverHostIo: OneStepProverHostIo;
}

/** The contract name (artifact) of each core contract, by its key in {@link CoreAddresses}. */
export const CORE_CONTRACT_NAMES = {
  stakeManager: "StakeManager",
  processRegistry: "ProcessRegistry",
  resultRegistry: "ResultRegistry",
  disputeGame: "DisputeGame",
  oneStepProofEntry: "OneStepProofEntry",
  oneStepProverControl: "OneStepProverControl",
  oneStepProverMemory: "OneStepProverMemory",
  oneStepProverMath: "OneStepProverMath",
  oneStepProverHostIo: "OneStepProverHostIo",
} as const satisfies Record<keyof CoreAddresses, string>;

/**
 * Where the admin handover begun by a deployment stands on one contract (`deploy/README.md`, "Roles
 * and the admin").
 */
export interface AdminHandover {
  /** The key of the contract in {@link CoreAddresses}: `stakeManager` or `resultRegistry`. */
  contract: (typeof ADMIN_HANDOVERS)[number][1];
  /** Who holds `DEFAULT_ADMIN_ROLE` now: the deployer until `admin` accepts. */
  defaultAdmin: string;
  /** The account that may accept (`admin`), or `null` once it has accepted or the transfer was cancelled. */
  pendingAdmin: string | null;
  /** When `pendingAdmin` may call `acceptDefaultAdminTransfer()` (Unix seconds), or `null` when none is pending. */
  acceptableAt: number | null;
}

/** The outcome of {@link deployCore}. */
export interface CoreDeployment {
  chainId: number;
  /** The Ignition journal directory (`undefined`: kept in memory). */
  deploymentDir: string | undefined;
  /** Ignition future ids executed by this call; empty when everything was already deployed. */
  executed: string[];
  /** The validated values the contracts were deployed with. */
  parameters: CoreParameters;
  addresses: CoreAddresses;
  contracts: CoreContracts;
  /**
   * The deployer's admin handover of the `StakeManager` and the `ResultRegistry` as it stands after
   * this call (read from the chain): `admin` must accept each once `acceptableAt` has passed.
   */
  adminHandovers: AdminHandover[];
}

/** How {@link deployDevnet} funds accounts with stake tokens. */
export interface DevnetFunding {
  /** The accounts to fund. */
  accounts: readonly string[];
  /** The balance each account is topped up to (default {@link DEVNET_FUND_AMOUNT}). */
  amount?: bigint;
}

/** Options of {@link deployDevnet}. */
export interface DevnetDeployOptions extends DeployOptions {
  /** Values that override the parameter file's. */
  parameters?: ParameterInput<DevnetParameters>;
  /** Accounts to top up with stake tokens, minted by the token's owner (account 0). */
  fund?: DevnetFunding;
}

/** The outcome of {@link deployDevnet}. */
export interface DevnetDeployment extends Omit<CoreDeployment, "addresses" | "contracts"> {
  /** Also holds `stakeToken`, the devnet token's address. */
  parameters: CoreParameters;
  addresses: CoreAddresses & { stakeToken: string };
  contracts: CoreContracts & { stakeToken: DevnetStakeToken };
  /** The accounts funded, with their stake-token balance after the top-up. */
  funded: { address: string; balance: bigint }[];
}

/**
 * Deploys the core contracts (module `Holoproof`) bonding the existing ERC-20 `stakeToken`.
 *
 * @param params the parameters; with `options.parametersFile`, they override the file's `Holoproof`
 * section. `admin` defaults to the first account, `treasury` to zero (burn).
 * @throws DeployParameterError if a parameter is invalid or `stakeToken` has no code.
 * @throws DeployError if Ignition fails.
 */
export async function deployCore(
  hre: HardhatRuntimeEnvironment,
  params: ParameterInput<CoreParameters> = {},
  options: DeployOptions = {},
): Promise<CoreDeployment> {
  const [firstAccount] = await accountsOf(hre);
  const { parameters, source } =
    options.parametersFile === undefined
      ? {
          source: "deployCore parameters",
          parameters: validateCoreParameters(params, {
            source: "deployCore parameters",
            moduleId: "Holoproof",
            defaultAdmin: firstAccount,
          }),
        }
      : {
          source: displayPath(options.parametersFile),
          parameters: loadCoreParameters(options.parametersFile, "Holoproof", {
            defaultAdmin: firstAccount,
            overrides: params,
          }),
        };

  const code = (await hre.network.provider.request({
    method: "eth_getCode",
    params: [parameters.stakeToken, "latest"],
  })) as string;
  if (code === "0x") {
    const chainId = Number(await hre.network.provider.request({ method: "eth_chainId" }));
    throw new DeployParameterError(source, [
      `stakeToken ${parameters.stakeToken} has no code on chain ${chainId} (it must be an ERC-20 contract)`,
    ]);
  }

  const run = await runIgnitionModule(
    hre,
    HoloproofModule,
    toIgnitionParameters("Holoproof", parameters),
    options,
  );
  const signer = await signerOf(hre, options.defaultSender);
  const contracts = await coreContractsAt(hre, run.addresses, signer);
  return {
    chainId: run.chainId,
    deploymentDir: run.deploymentDir,
    executed: run.executed,
    parameters,
    addresses: run.addresses,
    contracts,
    adminHandovers: await adminHandoversOf(contracts),
  };
}

/**
 * Deploys the devnet (module `Devnet`: the devnet stake token and the core bonding it) on a local
 * network, then tops up `options.fund.accounts` with stake tokens.
 *
 * Parameters come from `options.parametersFile` (default `deploy/parameters/<network>.json`, section
 * `Devnet`), overridden by `options.parameters`.
 *
 * @throws DeployError on a chain that is not local ({@link LOCAL_CHAIN_IDS}) or if Ignition fails.
 * @throws DeployParameterError if a parameter is invalid.
 */
export async function deployDevnet(
  hre: HardhatRuntimeEnvironment,
  options: DevnetDeployOptions = {},
): Promise<DevnetDeployment> {
  const chainId = Number(await hre.network.provider.request({ method: "eth_chainId" }));
  if (!LOCAL_CHAIN_IDS.includes(chainId)) {
    throw new DeployError(
      `the devnet deploys only to local networks (chain id ${LOCAL_CHAIN_IDS.join(" or ")}), ` +
        `not to network ${hre.network.name} (chain id ${chainId}); use deployCore with a real stake token`,
    );
  }
  const [firstAccount] = await accountsOf(hre);
  const devnetParameters = loadCoreParameters(
    options.parametersFile ?? parameterFileFor(hre.network.name),
    "Devnet",
    { defaultAdmin: firstAccount, overrides: options.parameters },
  );

  const run = await runIgnitionModule(
    hre,
    DevnetModule,
    toIgnitionParameters("Devnet", devnetParameters),
    options,
  );
  const signer = await signerOf(hre, options.defaultSender);
  const stakeToken = await hre.ethers.getContractAt("DevnetStakeToken", run.addresses.stakeToken, signer);

  const funded: DevnetDeployment["funded"] = [];
  if (options.fund !== undefined) {
    // The token's owner is account 0 (module StakeToken), whoever sent the deployment.
    const minter = stakeToken.connect(await hre.ethers.getSigner(firstAccount));
    const target = options.fund.amount ?? DEVNET_FUND_AMOUNT;
    for (const account of options.fund.accounts) {
      const balance = await stakeToken.balanceOf(account);
      if (balance < target) await (await minter.mint(account, target - balance)).wait();
      funded.push({ address: account, balance: await stakeToken.balanceOf(account) });
    }
  }

  const { stakeToken: _token, ...coreAddresses } = run.addresses;
  const contracts = await coreContractsAt(hre, coreAddresses, signer);
  return {
    chainId: run.chainId,
    deploymentDir: run.deploymentDir,
    executed: run.executed,
    parameters: { stakeToken: run.addresses.stakeToken, ...devnetParameters },
    addresses: run.addresses,
    contracts: { stakeToken, ...contracts },
    adminHandovers: await adminHandoversOf(contracts),
    funded,
  };
}

/**
 * The typed core contracts at `addresses`, connected to `signer`.
 */
export async function coreContractsAt(
  hre: HardhatRuntimeEnvironment,
  addresses: CoreAddresses,
  signer: Signer,
): Promise<CoreContracts> {
  const at = <T>(key: keyof CoreAddresses): Promise<T> =>
    hre.ethers.getContractAt(CORE_CONTRACT_NAMES[key], addresses[key], signer) as Promise<T>;
  return {
    stakeManager: await at<StakeManager>("stakeManager"),
    processRegistry: await at<ProcessRegistry>("processRegistry"),
    resultRegistry: await at<ResultRegistry>("resultRegistry"),
    disputeGame: await at<DisputeGame>("disputeGame"),
    oneStepProofEntry: await at<OneStepProofEntry>("oneStepProofEntry"),
    oneStepProverControl: await at<OneStepProverControl>("oneStepProverControl"),
    oneStepProverMemory: await at<OneStepProverMemory>("oneStepProverMemory"),
    oneStepProverMath: await at<OneStepProverMath>("oneStepProverMath"),
    oneStepProverHostIo: await at<OneStepProverHostIo>("oneStepProverHostIo"),
  };
}

/** Where the admin handover stands on each contract of {@link ADMIN_HANDOVERS}, read from the chain. */
export async function adminHandoversOf(
  contracts: Pick<CoreContracts, "stakeManager" | "resultRegistry">,
): Promise<AdminHandover[]> {
  return Promise.all(
    ADMIN_HANDOVERS.map(async ([, key]) => {
      const contract = contracts[key];
      const [defaultAdmin, [pendingAdmin, schedule]] = await Promise.all([
        contract.defaultAdmin(),
        contract.pendingDefaultAdmin(),
      ]);
      const pending = schedule !== 0n;
      return {
        contract: key,
        defaultAdmin,
        pendingAdmin: pending ? pendingAdmin : null,
        acceptableAt: pending ? Number(schedule) : null,
      };
    }),
  );
}

async function accountsOf(hre: HardhatRuntimeEnvironment): Promise<string[]> {
  const accounts = (await hre.network.provider.request({ method: "eth_accounts" })) as string[];
  if (accounts.length === 0) {
    throw new DeployError(`network ${hre.network.name} has no accounts to deploy from (configure accounts)`);
  }
  return accounts;
}

async function signerOf(hre: HardhatRuntimeEnvironment, sender: string | undefined) {
  return sender === undefined ? (await hre.ethers.getSigners())[0] : hre.ethers.getSigner(sender);
}
