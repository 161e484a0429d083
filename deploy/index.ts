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
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { DevnetStakeToken, StakeManager } from "../typechain-types";
import { DeployError, runIgnitionModule, type IgnitionRunOptions } from "./ignition";
import DevnetModule from "./modules/Devnet";
import HoloproofModule from "./modules/Holoproof";
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

/** Addresses of the core contracts. */
export interface CoreAddresses {
  stakeManager: string;
}

/** The core contracts, connected to the deploying account. */
export interface CoreContracts {
  stakeManager: StakeManager;
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
  return {
    chainId: run.chainId,
    deploymentDir: run.deploymentDir,
    executed: run.executed,
    parameters,
    addresses: run.addresses,
    contracts: {
      stakeManager: await hre.ethers.getContractAt("StakeManager", run.addresses.stakeManager, signer),
    },
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

  return {
    chainId: run.chainId,
    deploymentDir: run.deploymentDir,
    executed: run.executed,
    parameters: { stakeToken: run.addresses.stakeToken, ...devnetParameters },
    addresses: run.addresses,
    contracts: {
      stakeToken,
      stakeManager: await hre.ethers.getContractAt("StakeManager", run.addresses.stakeManager, signer),
    },
    funded,
  };
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
