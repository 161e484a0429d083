import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type {
  AccountRuntimeValue,
  AddressResolvableFuture,
  IgnitionModuleBuilder,
  ModuleParameterRuntimeValue,
} from "@nomicfoundation/ignition-core";

/** The zero address: as `treasury`, it means "burn the non-reward share of every slash". */
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/**
 * Anything Ignition accepts where a contract constructor wants an address: a literal, a module
 * parameter, an account, or the future of a contract deployed in the same deployment.
 */
export type AddressArgument =
  string | ModuleParameterRuntimeValue<string> | AccountRuntimeValue | AddressResolvableFuture;

/**
 * Adds the Holoproof core contracts to the module being built by `m`, and returns their futures.
 *
 * The parameters are read from `m`'s own module section of the parameter file (`Holoproof` when
 * deployed by {@link HoloproofModule}, `Devnet` when deployed by the devnet module); see
 * `deploy/README.md` for each one's meaning and constraints, and `deploy/parameters.ts` for the
 * validation run before every deployment.
 *
 * To add a contract to the core: deploy it here with `m.contract(...)` (wiring it to the futures
 * above it), return its future, and add its parameters to `CORE_PARAMETER_NAMES` and its checks to
 * `validateCoreParameters` in `deploy/parameters.ts`.
 *
 * @param m the module builder.
 * @param stakeToken the ERC-20 that operators bond: a parameter (real networks) or the devnet token's
 * future.
 */
export function buildCore(m: IgnitionModuleBuilder, stakeToken: AddressArgument) {
  const deployer: AccountRuntimeValue = m.getAccount(0);

  const stakeManager = m.contract("StakeManager", [
    stakeToken,
    m.getParameter("admin", deployer),
    m.getParameter<bigint>("challengeWindow"),
    m.getParameter<bigint>("maxGameDuration"),
    m.getParameter<bigint>("unbondingDelay"),
    m.getParameter<string>("treasury", ZERO_ADDRESS),
    m.getParameter<bigint>("slashRewardBps"),
  ]);

  return { stakeManager };
}

/**
 * Ignition module `Holoproof`: the core contracts, bonding an existing ERC-20 (`stakeToken`).
 *
 * Deploy with
 * `npx hardhat ignition deploy deploy/modules/Holoproof.ts --parameters deploy/parameters/<net>.json --network <net>`.
 *
 * Parameters (section `Holoproof`): `stakeToken`, `admin` (default: the deploying account),
 * `challengeWindow`, `maxGameDuration`, `unbondingDelay`, `treasury` (default: zero, i.e. burn),
 * `slashRewardBps`.
 * Results: `stakeManager`.
 */
const HoloproofModule = buildModule("Holoproof", (m) => buildCore(m, m.getParameter<string>("stakeToken")));

export default HoloproofModule;
