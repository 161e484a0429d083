/**
 * A thin wrapper over Ignition's `deploy` that the programmatic API (`deploy/index.ts`) uses instead
 * of `hre.ignition.deploy`, because it needs two things the helper does not give:
 *
 * - the choice of the journal directory on every network (`hre.ignition.deploy` keeps the journal in
 *   memory on the in-process `hardhat` network, but `holo devnet` serves that network and records it);
 * - which futures this run executed, so that callers and tests can tell a fresh deployment from a
 *   no-op re-run.
 */
import path from "node:path";

import {
  errorDeploymentResultToExceptionMessage,
  HardhatArtifactResolver,
} from "@nomicfoundation/hardhat-ignition/helpers";
import {
  deploy,
  DeploymentResultType,
  IgnitionError,
  type BatchInitializeEvent,
  type DeploymentParameters,
  type ExecutionEventListener,
  type IgnitionModule,
  type IgnitionModuleResult,
} from "@nomicfoundation/ignition-core";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

/** A deployment that Ignition could not complete (failed transaction, changed module, chain mismatch…). */
export class DeployError extends Error {
  override readonly name = "DeployError";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Options of {@link runIgnitionModule}. */
export interface IgnitionRunOptions {
  /**
   * The journal directory (Ignition's `deployments/<id>` folder): a path, `null` for an in-memory
   * journal, or `undefined` for Ignition's default: in memory on the in-process `hardhat` network,
   * `deploy/deployments/chain-<chainId>` on every other network.
   */
  deploymentDir?: string | null;
  /** The account that sends the transactions (default: the first account). */
  defaultSender?: string;
}

/** The outcome of {@link runIgnitionModule}. */
export interface IgnitionRun<ResultNameT extends string> {
  chainId: number;
  /** The journal directory, or `undefined` for an in-memory journal. */
  deploymentDir: string | undefined;
  /** Ids of the futures executed by this run, in order; empty when everything was already done. */
  executed: string[];
  /** The address of each contract the module returns, by result name. */
  addresses: Record<ResultNameT, string>;
}

/** `deploy/deployments/chain-<chainId>`, Ignition's default journal of a network. */
export function defaultDeploymentDir(hre: HardhatRuntimeEnvironment, chainId: number): string {
  return path.join(hre.config.paths.ignition, "deployments", `chain-${chainId}`);
}

/**
 * Deploys `ignitionModule` on `hre.network.provider`. Idempotent when the journal is on disk: futures
 * already recorded there are not executed again.
 *
 * @throws DeployError if Ignition rejects the module or the parameters, or a transaction fails.
 */
export async function runIgnitionModule<
  ModuleIdT extends string,
  ContractNameT extends string,
  ResultsT extends IgnitionModuleResult<ContractNameT>,
>(
  hre: HardhatRuntimeEnvironment,
  ignitionModule: IgnitionModule<ModuleIdT, ContractNameT, ResultsT>,
  deploymentParameters: DeploymentParameters,
  options: IgnitionRunOptions = {},
): Promise<IgnitionRun<keyof ResultsT & string>> {
  const provider = hre.network.provider;
  const chainId = Number(await provider.request({ method: "eth_chainId" }));
  const accounts = (await provider.request({ method: "eth_accounts" })) as string[];
  const deploymentDir =
    options.deploymentDir === null
      ? undefined
      : (options.deploymentDir ??
        (hre.network.name === "hardhat" ? undefined : defaultDeploymentDir(hre, chainId)));

  const executed: string[] = [];
  const listener = batchListener((event) => executed.push(...event.batches.flat()));
  const networkIgnition = hre.config.networks[hre.network.name]?.ignition;

  let result;
  try {
    result = await deploy({
      config: hre.config.ignition,
      provider,
      executionEventListener: listener,
      artifactResolver: new HardhatArtifactResolver(hre),
      deploymentDir,
      ignitionModule,
      deploymentParameters,
      accounts,
      defaultSender: options.defaultSender,
      maxFeePerGasLimit: networkIgnition?.maxFeePerGasLimit,
      maxFeePerGas: networkIgnition?.maxFeePerGas,
      maxPriorityFeePerGas: networkIgnition?.maxPriorityFeePerGas,
      gasPrice: networkIgnition?.gasPrice,
      disableFeeBumping: hre.config.ignition.disableFeeBumping ?? networkIgnition?.disableFeeBumping,
      maxRetries: hre.config.ignition.maxRetries ?? networkIgnition?.maxRetries,
      retryInterval: hre.config.ignition.retryInterval ?? networkIgnition?.retryInterval,
    });
  } catch (error) {
    if (error instanceof IgnitionError) {
      throw new DeployError(`module ${ignitionModule.id}: ${error.message}`, { cause: error });
    }
    throw error;
  }

  if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT) {
    const where = deploymentDir === undefined ? "" : ` (journal: ${deploymentDir})`;
    throw new DeployError(
      `module ${ignitionModule.id} was not deployed${where}: ${errorDeploymentResultToExceptionMessage(result)}`,
    );
  }

  const addresses = {} as Record<keyof ResultsT & string, string>;
  for (const [name, future] of Object.entries(ignitionModule.results)) {
    const deployed = result.contracts[future.id];
    if (deployed === undefined)
      throw new DeployError(`module ${ignitionModule.id}: no address for ${future.id}`);
    addresses[name as keyof ResultsT & string] = deployed.address;
  }
  return { chainId, deploymentDir, executed, addresses };
}

/** An execution listener that ignores every event but the batch plan, which it hands to `onBatches`. */
function batchListener(onBatches: (event: BatchInitializeEvent) => void): ExecutionEventListener {
  const ignore = (): void => undefined;
  return new Proxy({} as ExecutionEventListener, {
    get: (_target, property) => (property === "batchInitialize" ? onBatches : ignore),
  });
}
